"""The Bayes error of membership: bounds from mutual information, estimates from classifiers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from .._threads import single_thread
from .._validation import check_fraction, check_int, rng_from
from ..metrics import bootstrap_ci
from ._common import Estimate, _as_features, _check_real, binary_entropy


def _inverse_binary_entropy(h: float) -> float:
    """The p in [0, 1/2] with binary_entropy(p) = h (bits)."""
    if h <= 0:
        return 0.0
    if h >= 1:
        return 0.5
    return float(optimize.brentq(lambda p: binary_entropy(p) - h, 0.0, 0.5, xtol=1e-15))


def bayes_error_bounds(mi_bits, prior: float = 0.5) -> tuple[float, float]:
    """Bounds on the Bayes error of predicting membership implied by ``I(X; Y)`` (bits).

    With ``H(Y|X) = h(prior) − I`` (h = binary entropy, bits):

    - **Fano** (lower): ``h(P_e) ≥ H(Y|X)``, so ``P_e ≥ h⁻¹(H(Y|X))`` (the inverse on [0, 1/2]).
      Little information forces a large error.
    - **Hellman–Raviv** (upper): ``P_e ≤ H(Y|X) / 2``, tightened by the trivial ``min(p, 1 − p)``
      (always guessing the larger class). Much information allows a small error.

    ``I(X; Y) ≤ H(Y) = h(prior)``: an ``mi_bits`` above it is refused (it would silently give the
    bracket (0, 0)); an estimate just above it is mostly estimator bias — pass
    ``min(mi, binary_entropy(prior))`` to mean "all the information there is".

    Examples
    --------
    >>> lo, hi = bayes_error_bounds(0.1607)   # unit Gaussians 1 apart: Bayes error 0.3085
    >>> lo < 0.3085 < hi
    True
    """
    mi = _check_real(mi_bits.value if isinstance(mi_bits, Estimate) else mi_bits, "mi_bits", minimum=0.0)
    p = check_fraction(prior, "prior")
    if mi > binary_entropy(p) + 1e-12:
        raise ValueError(f"mi_bits={mi:g} is more than the {binary_entropy(p):.4g} bits the membership bit carries "
                         f"(H(Y) at prior {p:g}); expected 0 <= mi_bits <= H(Y)")
    h_cond = max(0.0, binary_entropy(p) - mi)
    return _inverse_binary_entropy(h_cond), min(h_cond / 2.0, p, 1 - p)


@dataclass(frozen=True)
class ClassifierErrors:
    """Cross-validated errors of several classifiers; the lowest estimates the Bayes error from above.

    ``error`` is ``prior · FNR + (1 − prior) · FPR``: the balanced error when ``prior = 1/2`` (the
    default), the prior-weighted error — the same quantity as :attr:`GaussianCase.bayes_error` and
    :func:`bayes_error_bounds` at that prior — otherwise. ``balanced_accuracy = 1 − error`` and
    ``youden_j = 1 − 2 · error`` are defined for ``prior = 1/2`` only.
    """

    error: float
    low: float
    high: float
    best: str
    table: Mapping[str, Estimate] = field(repr=False)
    confidence: float = 0.95
    prior: float = 0.5

    def _balanced(self) -> float:
        if self.prior != 0.5:
            raise ValueError(f"balanced accuracy and Youden's J need prior = 1/2; this error is weighted by "
                             f"prior {self.prior:g}: use .error")
        return self.error

    @property
    def balanced_accuracy(self) -> float:
        return 1.0 - self._balanced()

    @property
    def youden_j(self) -> float:
        return 1.0 - 2.0 * self._balanced()

    def __str__(self) -> str:
        rows = "\n".join(f"  {name:<18} {est}" for name, est in self.table.items())
        kind = "balanced error" if self.prior == 0.5 else f"error at prior {self.prior:g}"
        return f"best: {self.best}, {kind} {self.error:.4f} ({self.low:.4f}–{self.high:.4f})\n{rows}"


def default_estimators(n_train: int, seed: int = 0) -> dict:
    """k-NN (k ≈ √n, odd), histogram gradient boosting and an RBF SVC, each scaled where it matters."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    k = max(5, int(math.sqrt(n_train)) // 2 * 2 + 1)
    return {
        "k-NN": make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=k)),
        "gradient boosting": HistGradientBoostingClassifier(random_state=seed),
        "RBF SVC": make_pipeline(StandardScaler(), SVC(kernel="rbf", class_weight="balanced")),
    }


def _is_kernel_svm(est) -> bool:
    """An SVC/NuSVC, alone or as a pipeline's last step: the estimators whose fit is quadratic in n."""
    from sklearn.svm import SVC, NuSVC

    final = est.steps[-1][1] if hasattr(est, "steps") else est
    return isinstance(final, (SVC, NuSVC))


def _fit_predict(estimators, X, y, folds, preds, max_train_samples, rng, prior: float = 0.5) -> None:
    """Out-of-fold hard predictions of each estimator, written into ``preds[name]``."""
    from sklearn.base import clone

    for train_idx, test_idx in folds:
        for name, est in estimators.items():
            idx = train_idx
            if _is_kernel_svm(est) and len(idx) > max_train_samples:
                idx = np.sort(rng.choice(train_idx, max_train_samples, replace=False))
            model = clone(est).fit(X[idx], y[idx])
            if hasattr(model, "predict_proba"):
                # Bayes rule at `prior` from a posterior q fitted at the training fraction pi:
                # member iff q / (1 − q) > pi (1 − prior) / ((1 − pi) prior); at prior 1/2: q > pi.
                col = list(model.classes_).index(True)
                q = np.clip(model.predict_proba(X[test_idx])[:, col], 1e-12, 1 - 1e-12)
                pi = y[idx].mean()
                preds[name][test_idx] = q / (1 - q) > pi * (1 - prior) / ((1 - pi) * prior)
            else:
                preds[name][test_idx] = np.asarray(model.predict(X[test_idx]), dtype=bool)


def best_classifier_error(features, is_member, *, estimators: Mapping | None = None, cv: int = 5,
                          max_train_samples: int = 3000, n_boot: int = 500, confidence: float = 0.95,
                          seed: int = 0, prior: float = 0.5) -> ClassifierErrors:
    """Cross-validated error of flexible classifiers: the Bayes error, estimated from above.

    Each estimator is fitted on ``cv − 1`` folds and predicts the held-out fold (stratified folds,
    shuffled with ``seed``); its balanced error ``(FNR + FPR) / 2`` over all out-of-fold
    predictions gets a stratified bootstrap interval (:func:`mia_edu.metrics.bootstrap_ci`).
    Estimators with ``predict_proba`` use the Bayes rule at ``prior`` (at ``prior = 1/2``: member
    when ``P(member | x)`` exceeds the training fraction of members, the rule that minimises the
    balanced error); others use ``predict`` and take part only at ``prior = 1/2``.

    The error is ``prior · FNR + (1 − prior) · FPR``, whatever fraction of members the data holds:
    at the default ``prior = 1/2`` the **balanced** error, which is the Bayes error for equal
    priors; at another ``prior`` the prior-weighted error, the quantity :func:`gaussian_case` and
    :func:`bayes_error_bounds` give at that prior (notebook 06).
    Training folds larger than ``max_train_samples`` are subsampled for the SVC only (its fit is
    quadratic in n). Picking the best of a few on the same data is slightly optimistic; with a
    handful of estimators and thousands of samples that is well inside the interval.

    Parameters
    ----------
    estimators : mapping name → scikit-learn classifier, optional
        Default :func:`default_estimators`: k-NN, gradient boosting, RBF SVC.
    prior : float in (0, 1)
        P(member) the error is weighted by (default 1/2: the balanced error).
    """
    from sklearn.model_selection import StratifiedKFold

    X, y = _as_features(features, is_member)
    cv = check_int(cv, "cv", minimum=2)
    check_int(max_train_samples, "max_train_samples", minimum=10)
    check_int(seed, "seed", minimum=0)
    check_fraction(confidence, "confidence")
    prior = check_fraction(prior, "prior")
    if min(y.sum(), (~y).sum()) < cv:
        raise ValueError(f"is_member needs at least cv={cv} samples of each class")
    if estimators is None:
        estimators = default_estimators(len(y) * (cv - 1) // cv, seed)
    if not isinstance(estimators, Mapping) or not estimators:
        raise TypeError("estimators must be a non-empty mapping of name → scikit-learn classifier")
    if prior != 0.5:
        estimators = {name: est for name, est in estimators.items() if hasattr(est, "predict_proba")}
        if not estimators:
            raise ValueError(f"prior={prior:g} needs estimators with predict_proba (to apply the Bayes rule at "
                             "that prior); none of the given ones has it")
    rng = rng_from(seed)
    preds = {name: np.zeros(len(y)) for name in estimators}
    folds = StratifiedKFold(cv, shuffle=True, random_state=seed).split(X, y)
    # One thread: on a shared 2-core machine, OpenMP gradient boosting was 17× slower (wall) with
    # its default threads than with one, for these small problems.
    with single_thread():
        _fit_predict(estimators, X, y, folds, preds, max_train_samples, rng, prior)

    def balanced_error(s, m):  # prior · FNR + (1 − prior) · FPR of the hard predictions s
        return prior * np.mean(s[m] < 0.5) + (1 - prior) * np.mean(s[~m] > 0.5)

    table = {}
    for name, p in preds.items():
        lo, hi = bootstrap_ci(balanced_error, p, y, n_boot=n_boot, confidence=confidence, seed=seed)
        kind = "balanced error" if prior == 0.5 else f"error at prior {prior:g}"
        table[name] = Estimate(balanced_error(p, y), lo, hi, confidence, kind)
    best = min(table, key=lambda name: table[name].value)
    return ClassifierErrors(table[best].value, table[best].low, table[best].high, best, table, confidence, prior)
