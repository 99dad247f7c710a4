"""The blind baseline: a membership "attack" that never queries the model (Das, Zhang & Tramèr,
"Blind Baselines Beat Membership Inference Attacks for Foundation Models", 2024; Duan et al.,
"Do Membership Inference Attacks Work on Large Language Models?", 2024). Taught in notebook 10.

If members and non-members are drawn *differently* (non-members collected later, from another
source, or selected by some property), a classifier on the inputs alone tells them apart, and so
does every attack, model or no model: the evaluation measured a distribution shift, not
membership. The check is cheap: fit a classifier on the candidates' inputs (features and label)
to predict membership, exactly as the attacks are fitted (cross-fitted, each candidate scored by a
model that did not see it), and report it beside every attack. On a proper split (members and
non-members drawn at random from one pool) its AUC is at chance; a blind AUC well above 0.5 means
the split, not the model, is leaking. :func:`mia_edu.splits.make_shifted_split` makes such a
split on purpose.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier

from .._threads import single_thread
from ._base import SignalAttack


class BlindAttack(SignalAttack):
    """A classifier on the *inputs* alone (never the model's outputs) that predicts membership.

    A scikit-learn estimator: ``fit(X, is_member)`` (scikit-learn calls it ``y``), ``decision_function(X)`` (higher = more
    likely a member), ``predict``, ``score`` (ROC AUC). ``X`` is whatever describes a sample
    without the model: its features, with the label as a last column if you like.

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        Default: ``HistGradientBoostingClassifier(max_iter=100, random_state=0)`` (non-linear,
        fast, no scaling needed). Cloned; the original is never fitted.

    Attributes
    ----------
    estimator_ : the fitted clone.
    classes_ : the two membership classes.
    """

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y) -> BlindAttack:
        """Fit the classifier to tell members (``y`` = ``is_member``) from non-members by their inputs."""
        X, member = self._validate_fit(X, y)
        est = HistGradientBoostingClassifier(max_iter=100, random_state=0) if self.estimator is None \
            else clone(self.estimator)
        if not hasattr(est, "fit"):
            raise TypeError(f"estimator must be a scikit-learn classifier, got {self.estimator!r}")
        with single_thread():
            self.estimator_ = est.fit(X, member)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Membership scores from the inputs alone: higher = more likely a member."""
        X = self._validate_predict(X)
        est = self.estimator_
        with single_thread():
            if hasattr(est, "decision_function"):
                d = np.asarray(est.decision_function(X), dtype=np.float64)
            else:
                p = np.asarray(est.predict_proba(X), dtype=np.float64)[:, 1]
                d = np.log(np.maximum(p, 1e-12)) - np.log(np.maximum(1 - p, 1e-12))
        return d  # fitted on booleans: classes_ == [False, True], the positive class is 'member'
