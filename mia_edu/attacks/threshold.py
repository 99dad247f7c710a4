"""The simplest attack: one signal and a threshold (global, or one per class).

Taught in notebook 01 (written out as five lines: low loss → member) and notebook 04 (one threshold
per class, Song & Mittal 2021). This is that idea as a scikit-learn estimator.
"""

from __future__ import annotations

import numpy as np

from .. import metrics
from ._base import SignalAttack


def _youden_threshold(x: np.ndarray, member: np.ndarray) -> float:
    """The threshold t (member ⇔ x >= t) with the largest TPR − FPR on (x, member); always finite."""
    t = metrics.best_threshold(x, member)
    if not np.isfinite(t):  # no threshold beats "nobody is a member": put it just above every score
        t = float(np.nextafter(x.max(), np.inf))
    return float(t)


class ThresholdAttack(SignalAttack):
    """Member if one signal is on the member side of a learned threshold.

    Parameters
    ----------
    signal : int or str, default 0
        Which column of ``S`` holds the signal (a name needs ``columns``).
    greater_is_member : bool or None, default None
        Whether a *larger* signal means member (True for confidence and the scaled logit, False for
        loss and entropy). ``None``: learned in ``fit`` from the data (the direction with AUC ≥ 0.5).
    per_class : bool, default False
        Learn one threshold per true class (Song & Mittal 2021's class-dependent thresholds). The
        class is read from the label column of ``S`` (see ``label_column``). A class seen in
        ``fit`` with only members or only non-members, or not seen at all, uses the global threshold.
    label_column : int or str, default -1
        Where the true class is in ``S`` when ``per_class=True``: by default the last column (what
        ``signal_matrix(..., labels=y)`` appends), or the column named ``"label"`` if ``columns`` has one.
    columns : list of str, optional
        Names of the columns of ``S`` (the second output of
        :func:`~mia_edu.attacks.signal_matrix`), so that ``signal`` can be a name.

    Attributes
    ----------
    classes_ : the two values of ``is_member`` seen in ``fit``; ``classes_[1]`` means member.
    greater_is_member_ : bool, the direction used.
    threshold_ : float, the global threshold on the *oriented* signal (±signal, larger = member).
    class_thresholds_ : dict {class: threshold} (``per_class=True`` only).
    signal_index_ : int, label_index_ : int or None.

    Notes
    -----
    ``decision_function(S)`` is the oriented signal minus the sample's threshold (its class's with
    ``per_class=True``), so ``> 0`` means "member" and, with ``per_class``, the classes become
    comparable: each is shifted so that its best operating point sits at 0. Thresholds are chosen
    to maximise TPR − FPR (the membership advantage) on the data given to ``fit``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> S = np.r_[rng.normal(1, 1, (500, 1)), rng.normal(0, 1, (500, 1))]
    >>> is_member = np.r_[np.ones(500, bool), np.zeros(500, bool)]
    >>> attack = ThresholdAttack().fit(S, is_member)
    >>> bool(attack.greater_is_member_), round(attack.score(S, is_member), 2)
    (True, 0.78)
    """

    def __init__(self, signal=0, greater_is_member=None, per_class=False, label_column=-1, columns=None):
        self.signal = signal
        self.greater_is_member = greater_is_member
        self.per_class = per_class
        self.label_column = label_column
        self.columns = columns

    def fit(self, S, y):
        """Learn the direction (if not given) and the threshold(s) from signals of known membership.

        ``y`` is ``is_member`` (booleans or 0/1, True = member); named ``y`` for scikit-learn.
        """
        if self.greater_is_member not in (None, True, False):
            raise ValueError(f"greater_is_member must be True, False or None, got {self.greater_is_member!r}")
        if self.per_class not in (True, False):
            raise TypeError(f"per_class must be True or False, got {self.per_class!r}")
        S, member = self._validate_fit(S, y)
        j = self._column(self.signal, S.shape[1], "signal")
        self.signal_index_ = j
        self.label_index_ = self._label_column(S.shape[1]) if self.per_class else None
        if self.per_class and self.label_index_ == j:
            raise ValueError(f"signal and label_column both point to column {j}; the signal must be another column")
        x = S[:, j]
        if self.greater_is_member is None:
            self.greater_is_member_ = bool(metrics.roc_auc(x, member) >= 0.5)
        else:
            self.greater_is_member_ = bool(self.greater_is_member)
        x = self._orient(x)
        self.threshold_ = _youden_threshold(x, member)
        if self.per_class:
            labels = self._labels(S, self.label_index_)
            self.class_thresholds_ = {}
            for c in np.unique(labels):
                k = labels == c
                if member[k].all() or not member[k].any():
                    continue  # one membership class only: no threshold can be learned, use the global one
                self.class_thresholds_[int(c)] = _youden_threshold(x[k], member[k])
        return self

    def _orient(self, x: np.ndarray) -> np.ndarray:
        """The signal turned so that larger means member."""
        return x if self.greater_is_member_ else -x

    def decision_function(self, S) -> np.ndarray:
        """Membership score: oriented signal minus the (class's) threshold; > 0 means member."""
        S = self._validate_predict(S)
        x = self._orient(S[:, self.signal_index_])
        if not self.per_class:
            return x - self.threshold_
        labels = self._labels(S, self.label_index_)
        thr = np.array([self.class_thresholds_.get(int(c), self.threshold_) for c in labels])
        return x - thr
