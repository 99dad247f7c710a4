"""What every signal-level attack shares: input checks, the member label, ``score`` and ``evaluate``.

Signal-level attacks are binary scikit-learn classifiers whose *positive class is "member"*: with
``is_member`` given as booleans or 0/1, ``classes_ == [False, True]`` (or ``[0, 1]``) and a higher
``decision_function`` means "more likely a member" (the convention of :mod:`mia_edu.metrics`).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import roc_auc_score
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import as_labels
from ._signals import LABEL, label_values, resolve_column


def _check_finite(S, name: str = "S"):
    """A clear message for NaN/inf in S before scikit-learn's generic one."""
    if sparse.issparse(S):
        return  # not supported: validate_data says so
    try:
        arr = np.asarray(S)
    except (TypeError, ValueError):
        return
    if arr.dtype.kind not in "biuf":
        return  # not real numbers (objects, strings, complex): let validate_data raise its error
    bad = ~np.isfinite(arr)
    if bad.any():
        cols = sorted(set(np.nonzero(bad)[-1].tolist())) if bad.ndim == 2 else []
        raise ValueError(f"{name} contains {int(bad.sum())} NaN or inf value(s)"
                         + (f" in column(s) {cols[:5]}" if cols else "") + "; expected finite signals")


def _check_member_values(y, name: str = "is_member") -> None:
    """Only booleans or 0/1 say which value is "member"; anything else would be a guess.

    With strings (``"in"``/``"out"``) the sorted order decides which class scikit-learn would call
    positive, which silently flips the attack when "member" sorts first.
    """
    y = np.asarray(y)
    if y.dtype == bool:
        return
    ok = y.dtype.kind in "iuf" and np.all(np.isin(y, (0, 1)))
    if not ok:
        values = np.unique(y.astype(str) if y.dtype.kind in "OUS" else y)[:5].tolist()
        raise ValueError(f"{name} must hold booleans or 0/1 (True/1 = member), got values {values}; "
                         "other labels leave it ambiguous which one means member")


class SignalAttack(ClassifierMixin, BaseEstimator):
    """Base class: subclasses implement ``fit`` (calling ``_validate_fit``) and ``decision_function``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        return tags

    # -- input checks ---------------------------------------------------------------------------
    def _validate_fit(self, S, is_member):
        if S is None:
            raise TypeError("S must be a 2-D array of signals (samples × signals), got None")
        if is_member is None:
            raise ValueError("is_member (y) is missing: the attack requires y to be passed, but the target y is None")
        _check_finite(S)
        if not sparse.issparse(S) and hasattr(S, "__len__") and hasattr(is_member, "__len__") \
                and len(S) != len(is_member):
            raise ValueError(f"is_member has {len(is_member)} entries but S has {len(S)} rows; "
                             "expected one membership label per sample")
        S, y = validate_data(self, S, is_member, dtype=np.float64)
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="is_member")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError("is_member contains only one class; expected both members and non-members")
        if y_type != "binary":
            raise ValueError("Only binary classification is supported (member vs non-member). "
                             f"The type of the target is {y_type}.")
        _check_member_values(y)
        self.classes_ = classes
        return S, (y == classes[1])

    def _validate_predict(self, S):
        check_is_fitted(self)
        if S is None:
            raise TypeError("S must be a 2-D array of signals (samples × signals), got None")
        _check_finite(S)
        return validate_data(self, S, reset=False, dtype=np.float64)

    def _column(self, spec, n_columns: int, param: str) -> int:
        return resolve_column(spec, n_columns=n_columns, columns=getattr(self, "columns", None), param=param)

    def _label_column(self, n_columns: int) -> int:
        spec = self.label_column
        cols = getattr(self, "columns", None)
        if spec == -1 and cols is not None and LABEL in cols:
            spec = LABEL
        return self._column(spec, n_columns, "label_column")

    @staticmethod
    def _labels(S, j: int) -> np.ndarray:
        return label_values(S, j)

    # -- shared outputs -------------------------------------------------------------------------
    def predict(self, S) -> np.ndarray:
        """Hard decision per sample: ``classes_[1]`` (member) where ``decision_function >= 0``.

        The same rule as every threshold in :mod:`mia_edu.metrics` (``score >= threshold`` ⇒
        member), so a fitted threshold attack's ``predict`` reaches exactly the TPR − FPR its
        threshold was chosen for, also when many scores tie at the threshold (a saturated
        confidence of 1.0, "member iff correct").
        """
        d = self.decision_function(S)
        return self.classes_[(d >= 0).astype(int)]

    def score(self, S, y, sample_weight=None) -> float:
        """ROC AUC of the membership scores against ``y`` (``is_member``) — not accuracy, which
        misleads (notebook 04)."""
        d = self.decision_function(S)
        y = self._member_truth(y, len(d))
        return float(roc_auc_score(y, d, sample_weight=sample_weight))

    def _member_truth(self, is_member, n: int) -> np.ndarray:
        """``is_member`` for scoring as booleans, in the label values seen in ``fit``."""
        y = np.asarray(is_member)
        if y.ndim != 1 or len(y) != n:
            raise ValueError(f"is_member has shape {y.shape} but S has {n} rows; expected one label per sample")
        _check_member_values(y)
        member = y.astype(bool)
        if member.all() or not member.any():
            raise ValueError("is_member contains only one class; expected both members and non-members")
        return member

    def evaluate(self, S, is_member, *, name: str | None = None, classes=None):
        """Score ``S`` and wrap the scores with the truth in an :class:`AttackResult`.

        ``classes`` (true labels, for :meth:`AttackResult.by_class`) defaults to the label column
        of ``S`` when the attack is class-dependent.
        """
        from .result import AttackResult

        d = self.decision_function(S)
        y = self._member_truth(is_member, len(d))
        if classes is None and getattr(self, "label_index_", None) is not None:
            classes = label_values(np.asarray(S, dtype=np.float64), self.label_index_)
        elif classes is not None:
            classes = as_labels(classes, "classes", n=len(d), length_of="S")
        return AttackResult(d, y, name or type(self).__name__, classes=classes)
