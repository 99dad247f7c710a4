"""An attack model on several signals: any scikit-learn classifier, standardised inputs.

The classic membership inference attack (Shokri et al. 2017; most practitioners use a logistic
regression or an SVC): extract signals from a forward pass, then *learn* to tell members from
non-members. Taught in notebook 04; notebook 05 trains the same thing on shadow models.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.metaestimators import available_if

from .._validation import check_int
from ._base import SignalAttack
from ._signals import LABEL

USE_LABEL = ("none", "onehot", "per_class")


def _inner_scores(model: Pipeline, X: np.ndarray) -> np.ndarray:
    """A membership score from a fitted binary pipeline: its decision function, else log-odds."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=np.float64)
    p = np.clip(model.predict_proba(X)[:, 1], 1e-12, 1 - 1e-12)
    return logit(p)


def _estimator_has_proba(attack) -> bool:
    est = LogisticRegression() if attack.estimator is None else attack.estimator
    return hasattr(est, "predict_proba")


class ClassifierAttack(SignalAttack):
    """A scikit-learn classifier trained on signals to tell members from non-members.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        The attack model (default ``LogisticRegression()``). ``SVC()``, ``RandomForestClassifier()``,
        ``KNeighborsClassifier()``, ``MLPClassifier()`` all work. It is cloned, never modified, and
        fitted on standardised signals (a ``StandardScaler`` in a pipeline).
    signals : list of int or str, optional
        Which columns of ``S`` to use (names need ``columns``). Default: every column except the
        label column (the one at ``label_column`` when a label is used; the one named ``"label"`` in
        ``columns`` otherwise; with neither, every column).
    use_label : {"none", "onehot", "per_class"}, default "none"
        How the true class enters: not at all; as a one-hot feature next to the signals; or one
        attack model per class (a class with only members or only non-members in ``fit``, or unseen,
        falls back to a model fitted on all classes). The label is read from ``label_column`` of ``S``.
    label_column : int or str, default -1
        Where the true class is in ``S`` (last column by default; see :func:`signal_matrix`).
    n_classes : int, optional
        Number of classes, for ``use_label="onehot"``: fixes the one-hot categories to
        ``0 .. n_classes − 1``. Default: the labels seen in ``fit`` (an unseen label at scoring time
        then gets an all-zero one-hot code).
    columns : list of str, optional
        Names of the columns of ``S`` (second output of :func:`signal_matrix`).

    Attributes
    ----------
    classes_ : the two values of ``is_member``; ``classes_[1]`` means member.
    model_ : the fitted pipeline (all classes).
    class_models_ : dict {class: fitted pipeline} (``use_label="per_class"`` only).
    signal_indices_ : list of int, label_index_ : int or None.

    Notes
    -----
    ``decision_function`` is the inner estimator's decision function (log-odds for logistic
    regression), or the log-odds of its ``predict_proba`` when it has none. ``predict_proba``
    exists when the estimator has one.

    Examples
    --------
    >>> from sklearn.svm import SVC
    >>> rng = np.random.default_rng(0)
    >>> S = np.r_[rng.normal(0, 1, (500, 1)), rng.normal(0, 2, (500, 1))]
    >>> is_member = np.r_[np.ones(500, bool), np.zeros(500, bool)]
    >>> lr = ClassifierAttack().fit(S, is_member).score(S, is_member)
    >>> svc = ClassifierAttack(SVC()).fit(S, is_member).score(S, is_member)
    >>> bool(svc > lr + 0.1)
    True
    """

    def __init__(self, estimator=None, signals=None, use_label="none", label_column=-1, n_classes=None,
                 columns=None):
        self.estimator = estimator
        self.signals = signals
        self.use_label = use_label
        self.label_column = label_column
        self.n_classes = n_classes
        self.columns = columns

    def _pipeline(self, n_signals: int) -> Pipeline:
        est = LogisticRegression() if self.estimator is None else clone(self.estimator)
        if self.use_label != "onehot":
            return make_pipeline(StandardScaler(), est)
        categories = "auto" if self.n_classes is None else [np.arange(self.n_classes, dtype=np.float64)]
        prep = ColumnTransformer([("signals", StandardScaler(), list(range(n_signals))),
                                  ("label", OneHotEncoder(categories=categories, handle_unknown="ignore"),
                                   [n_signals])])
        return Pipeline([("features", prep), ("attack", est)])

    def _design(self, S: np.ndarray) -> np.ndarray:
        cols = list(self.signal_indices_)
        if self.use_label == "onehot":
            cols.append(self.label_index_)
        return S[:, cols]

    def fit(self, S, y):
        """Fit the attack model(s) on signals of samples whose membership is known.

        ``y`` is ``is_member`` (booleans or 0/1, True = member); named ``y`` for scikit-learn.
        """
        if self.use_label not in USE_LABEL:
            raise ValueError(f"use_label must be one of {USE_LABEL}, got {self.use_label!r}")
        if self.estimator is not None and not hasattr(self.estimator, "fit"):
            raise TypeError(f"estimator must be a scikit-learn classifier, got {self.estimator!r}")
        if self.n_classes is not None:
            check_int(self.n_classes, "n_classes", minimum=2)
        S, member = self._validate_fit(S, y)
        d = S.shape[1]
        self.label_index_ = self._label_column(d) if self.use_label != "none" else None
        if self.signals is None:
            skip = self.label_index_
            if skip is None and self.columns is not None and LABEL in self.columns:
                skip = list(self.columns).index(LABEL)  # never feed the class as a number by accident
            idx = [j for j in range(d) if j != skip]
        else:
            specs = [self.signals] if isinstance(self.signals, (str, int, np.integer)) else list(self.signals)
            if not specs:
                raise ValueError("signals is empty; pass None for every column or a list of columns")
            idx = [self._column(s, d, "signals") for s in specs]
            if self.label_index_ is not None and self.label_index_ in idx:
                raise ValueError(f"signals includes the label column {self.label_index_}; "
                                 "use use_label to let the attack use the class")
        if not idx:
            raise ValueError("S has no signal column besides the label; expected at least one signal")
        self.signal_indices_ = idx
        labels = None
        if self.label_index_ is not None:
            labels = self._labels(S, self.label_index_)
            if self.n_classes is not None and (labels.min() < 0 or labels.max() >= self.n_classes):
                raise ValueError(f"the label column holds classes outside [0, {self.n_classes - 1}] "
                                 f"(found {labels.min()}..{labels.max()}); check n_classes")
        X = self._design(S)
        self.model_ = self._pipeline(len(idx)).fit(X, member)
        if self.use_label == "per_class":
            self.class_models_ = {}
            for c in np.unique(labels):
                k = labels == c
                if member[k].all() or not member[k].any():
                    continue  # one membership class only: fall back to the all-class model
                self.class_models_[int(c)] = self._pipeline(len(idx)).fit(X[k], member[k])
        return self

    def _apply(self, S: np.ndarray, fn) -> np.ndarray:
        X = self._design(S)
        if self.use_label != "per_class":
            return fn(self.model_, X)
        labels = self._labels(S, self.label_index_)
        out = None
        for c in np.unique(labels):
            k = labels == c
            part = fn(self.class_models_.get(int(c), self.model_), X[k])
            if out is None:
                out = np.empty((len(S),) + part.shape[1:], dtype=np.float64)
            out[k] = part
        return out if out is not None else fn(self.model_, X)

    def decision_function(self, S) -> np.ndarray:
        """Membership score per sample; > 0 means member (log-odds for logistic regression)."""
        S = self._validate_predict(S)
        return self._apply(S, _inner_scores)

    @available_if(_estimator_has_proba)
    def predict_proba(self, S) -> np.ndarray:
        """``[P(non-member), P(member)]`` per sample, from the estimator's ``predict_proba``."""
        S = self._validate_predict(S)
        return self._apply(S, lambda m, X: m.predict_proba(X))
