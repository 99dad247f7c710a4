"""The theoretical best: how much can *any* attacker learn about membership? Taught in notebook 06.

An attack is one attacker's result. The question here is the ceiling: given what a forward pass
reveals (features ``X``: a loss, a vector of signals, ...), how well could the *best possible*
classifier predict membership ``Y ~ Bern(p)``? Its error is the **Bayes error rate**. It cannot be
computed from data exactly, but it can be approached from three sides:

- **mutual information** ``I(X; Y)`` in bits (0 = the features say nothing about membership, 1 bit
  = they decide it, for ``p = 1/2``), which *brackets* the Bayes error (:func:`bayes_error_bounds`);
- **balanced accuracy** of the best classifier we can find (:func:`best_classifier_error`), an
  estimate of the Bayes error *from above* (no classifier beats the Bayes classifier);
- **Youden's J** (informedness) = TPR − FPR = 2 · balanced accuracy − 1, the balanced accuracy
  rescaled so that 0 is chance and 1 is perfect; its maximum over thresholds is the membership
  *advantage*. With equal priors, the best achievable J is ``1 − 2 · Bayes error``.

Lower is more private, for all three. :func:`gaussian_case` gives a world where every one of these
numbers is known exactly, to check the estimators against; :func:`dp_advantage_bound` and
:func:`empirical_epsilon` connect them to differential privacy.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, optimize, special, stats

from ._validation import as_membership, check_fraction, check_int, rng_from
from .metrics import advantage, balanced_accuracy, bootstrap_ci, check_scores, youden_j

__all__ = [
    "Estimate", "ClassifierErrors", "EpsilonBound", "GaussianCase",
    "mutual_information", "bayes_error_bounds", "best_classifier_error", "default_estimators",
    "gaussian_case", "binary_entropy", "dp_advantage_bound", "empirical_epsilon",
    "empirical_epsilon_from_scores", "advantage", "balanced_accuracy", "youden_j",
]

LN2 = math.log(2.0)


# --------------------------------------------------------------------------------------- checks
def _as_features(features, is_member, name: str = "features") -> tuple[np.ndarray, np.ndarray]:
    """Features as a finite float64 (samples × columns) array plus a checked membership vector."""
    if features is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    try:
        X = np.asarray(features, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must be 1-D (one value per sample) or 2-D (samples × columns), "
                         f"non-empty; got shape {np.shape(features)}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains {int(np.sum(~np.isfinite(X)))} NaN or infinite value(s); "
                         "expected finite numbers")
    m = as_membership(is_member, "is_member", n=X.shape[0], length_of=name)
    return X, m


def _check_real(value, name: str, *, minimum: float | None = None, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return float(value)


# ------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Estimate:
    """A number estimated from data, with its confidence interval ``(low, high)``."""

    value: float
    low: float
    high: float
    confidence: float = 0.95
    method: str = ""

    @property
    def ci(self) -> tuple[float, float]:
        return (self.low, self.high)

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        ci = "no CI" if np.isnan(self.low) else f"{self.confidence:.0%} CI {self.low:.4f}–{self.high:.4f}"
        return f"{self.value:.4f} ({ci}{', ' + self.method if self.method else ''})"


# ------------------------------------------------------------------------- mutual information
def binary_entropy(p) -> np.ndarray | float:
    """h(p) = −p log2 p − (1−p) log2(1−p), in bits (0 at p ∈ {0, 1}, 1 at p = 1/2)."""
    p = np.asarray(p, dtype=np.float64)
    out = (special.entr(p) + special.entr(1 - p)) / LN2
    return float(out) if out.ndim == 0 else out


def _knn_mi_nats(X: np.ndarray, y: np.ndarray, k: int, rng: np.random.Generator, *, clip: bool = True) -> float:
    """Ross (2014)'s kNN estimator of I(X; Y) for continuous X (any number of columns), discrete Y.

    For each sample, ``d`` = distance to its k-th nearest neighbour *of the same class*; ``m`` =
    number of samples of *any* class within ``d``. Then ``I = ψ(N) + ψ(k) − ⟨ψ(N_y)⟩ − ⟨ψ(m)⟩``.
    Columns are scaled to unit variance and distances are max-norm (as in Kraskov et al. 2004), so
    the columns count jointly; in one column this is exactly scikit-learn's ``mutual_info_classif``
    (the tests check it). A relative jitter of 1e-10 (seeded) breaks ties, as scikit-learn does.
    ``clip=False`` keeps the raw value, which can be slightly negative (for the interval).
    """
    from sklearn.neighbors import KDTree, NearestNeighbors

    std = X.std(axis=0)
    X = X / np.where(std > 0, std, 1.0)
    X = X + 1e-10 * np.maximum(1.0, np.mean(np.abs(X), axis=0)) * rng.standard_normal(X.shape)
    n = len(X)
    radius, k_all, n_class = np.empty(n), np.empty(n), np.empty(n)
    for label in (False, True):
        mask = y == label
        kk = min(k, int(mask.sum()) - 1)
        dist, _ = NearestNeighbors(n_neighbors=kk, metric="chebyshev").fit(X[mask]).kneighbors()
        radius[mask] = np.nextafter(dist[:, -1], 0)
        k_all[mask], n_class[mask] = kk, mask.sum()
    m = KDTree(X, metric="chebyshev").query_radius(X, radius, count_only=True)
    mi = special.digamma(n) + np.mean(special.digamma(k_all)) - np.mean(special.digamma(n_class)) \
        - np.mean(special.digamma(m))
    return max(0.0, float(mi)) if clip else float(mi)


def _bin_edges(X: np.ndarray, bins: int) -> list[np.ndarray]:
    """Interior edges of equal-frequency bins, per column (repeated quantiles merged)."""
    qs = np.linspace(0, 1, bins + 1)[1:-1]
    return [np.unique(np.quantile(col, qs)) for col in X.T]


def _binned_mi_bits(X: np.ndarray, y: np.ndarray, edges: list[np.ndarray]) -> float:
    """Plug-in MI of the binned features minus the Miller–Madow correction (can be slightly < 0)."""
    codes = np.zeros(len(X), dtype=np.int64)
    for col, e in zip(X.T, edges):
        codes = codes * (len(e) + 1) + np.searchsorted(e, col, side="right")
    _, cell = np.unique(codes, return_inverse=True)
    table = np.zeros((cell.max() + 1, 2))
    np.add.at(table, (cell, y.astype(np.int64)), 1.0)
    n = table.sum()
    px, py = table.sum(1, keepdims=True) / n, table.sum(0, keepdims=True) / n
    pxy = table / n
    nz = pxy > 0
    plug_in = float(np.sum(pxy[nz] * np.log(pxy[nz] / (px @ py)[nz])))
    # Miller–Madow: each entropy is biased down by (K − 1)/(2N) for K occupied cells.
    k_x, k_y, k_xy = int((px > 0).sum()), int((py > 0).sum()), int(nz.sum())
    correction = (k_xy - k_x - k_y + 1) / (2 * n)
    return (plug_in - correction) / LN2


def _half_sampling_ci(estimator, X, y, value, *, n_boot, confidence, rng) -> tuple[float, float]:
    """Interval ``value ± spread`` where the spread comes from stratified half-samples drawn
    *without* replacement.

    The ordinary bootstrap duplicates samples, and a duplicate is its own nearest neighbour at
    distance 0: the kNN estimator then sees "perfect information" and explodes. Half-samples have
    no duplicates, and ``Var(θ̂_{n/2} − θ̂_n) ≈ Var(θ̂_n)`` (the finite-population correction of
    sampling half without replacement), so the spread of ``θ̂_{n/2} − θ̂_n`` around its mean
    estimates the estimator's own spread at n. (Measured on the Gaussian cases: ≈ 95 % coverage
    where MI ≳ 0.1 bit; lower near 0, where the upward bias dominates.)
    """
    pos, neg = np.flatnonzero(y), np.flatnonzero(~y)
    h1, h0 = len(pos) // 2, len(neg) // 2
    diffs = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.r_[rng.choice(pos, h1, replace=False), rng.choice(neg, h0, replace=False)]
        diffs[b] = estimator(X[idx], y[idx]) - value
    scale = math.sqrt((h1 + h0) / (len(y) - h1 - h0))
    alpha = (1 - confidence) / 2
    q_lo, q_hi = np.quantile((diffs - diffs.mean()) * scale, [alpha, 1 - alpha])
    return max(0.0, value - q_hi), max(0.0, value - q_lo)


def mutual_information(features, is_member, *, method: str = "knn", n_neighbors: int = 3,
                       bins: int | None = None, n_boot: int = 50, confidence: float = 0.95,
                       seed: int | np.random.Generator = 0) -> Estimate:
    """Mutual information I(X; membership) in **bits**, with a confidence interval.

    Parameters
    ----------
    features : array, shape (n,) or (n, d)
        What the attacker sees per sample (one signal, or several columns *jointly*).
    is_member : array of bool, shape (n,)
    method : {"knn", "binned"}
        ``"knn"``: the k-nearest-neighbour estimator of Ross (2014) (Kraskov et al. 2004 family) for
        continuous features and a discrete target, on all columns jointly (scikit-learn's
        ``mutual_info_classif`` for one column; it is per-column only, so several columns go
        through the same estimator written with ``NearestNeighbors``/``KDTree`` on the max-norm).
        ``"binned"``: equal-frequency bins (``bins`` per column, default ``n^(1/(d+2))``), the
        plug-in estimate minus the Miller–Madow bias correction. Binning loses information (a
        downward bias that shrinks with more bins), the plug-in overcounts it (upward, fixed by
        Miller–Madow to first order).
    n_neighbors : int
        k of the kNN estimator (3, as scikit-learn): small k = less bias, more variance.
    n_boot : int
        Half-samples for the interval (see below); 0 skips it (``low = high = nan``).
    confidence, seed
        Interval level; seed for the tie-breaking jitter and the resampling. Same seed, same numbers.

    Returns
    -------
    Estimate
        ``value`` in bits, ``low``/``high`` the interval from stratified *half-sampling* without
        replacement (the ordinary bootstrap's duplicates break the kNN estimator; see
        ``_half_sampling_ci``).

    Notes
    -----
    **Small samples are biased upward where the information is small.** MI cannot be negative, so
    both estimates are truncated at 0, and the kNN estimate fluctuates by about a hundredth of a bit
    at n = 2,000: averaged over 40 samples of unit Gaussians, kNN gives 0.008 bit where the truth
    is 0 (n = 2,000; 0.005 at n = 8,000) and 0.014 where it is 0.011 (μ = 0.25, n = 2,000), with a
    spread of ±0.014 between samples, so a single estimate of 0.02–0.03 is common there. Where MI ≳
    0.1 bit the bias is negligible against the spread. The binned estimate is less noisy in one
    column but loses information to the bins, and degrades fast with more columns. Read a small MI
    from a small sample as "at most about this", and compare it with a null (shuffled
    ``is_member``) before claiming a leak. The interval is centred on the estimate and is ≈ 95 %
    wide where MI ≳ 0.1 bit; near 0 it covers less reliably.

    Examples
    --------
    >>> x, m = gaussian_case(1.0).sample(4000, seed=0)
    >>> est = mutual_information(x, m, n_boot=0)
    >>> abs(est.value - 0.1607) < 0.03
    True
    """
    X, y = _as_features(features, is_member)
    if method not in ("knn", "binned"):
        raise ValueError(f"method must be 'knn' or 'binned', got {method!r}")
    k = check_int(n_neighbors, "n_neighbors", minimum=1)
    check_int(n_boot, "n_boot", minimum=0)
    check_fraction(confidence, "confidence")
    rng = rng_from(seed)
    smallest = int(min(y.sum(), (~y).sum()))
    if method == "knn":
        if smallest < 2 * (k + 1):
            raise ValueError(f"is_member has only {smallest} samples in its smaller class; the kNN estimator "
                             f"with n_neighbors={k} needs at least {2 * (k + 1)} (half-sampling halves it)")
        estimator = lambda Xs, ys: _knn_mi_nats(Xs, ys, k, rng, clip=False) / LN2
    else:
        n_bins = max(2, int(len(y) ** (1.0 / (X.shape[1] + 2)))) if bins is None else check_int(bins, "bins", minimum=2)
        edges = _bin_edges(X, n_bins)
        estimator = lambda Xs, ys: _binned_mi_bits(Xs, ys, edges)
    raw = estimator(X, y)
    lo, hi = (np.nan, np.nan) if n_boot == 0 else _half_sampling_ci(
        estimator, X, y, raw, n_boot=n_boot, confidence=confidence, rng=rng)
    return Estimate(max(0.0, raw), lo, hi, confidence, f"{method} MI, bits")


# ------------------------------------------------------------------------------ Bayes error
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

    An ``mi_bits`` above ``h(prior)`` (possible for an estimate) is treated as ``h(prior)``.

    Examples
    --------
    >>> lo, hi = bayes_error_bounds(0.1607)   # unit Gaussians 1 apart: Bayes error 0.3085
    >>> lo < 0.3085 < hi
    True
    """
    mi = _check_real(mi_bits.value if isinstance(mi_bits, Estimate) else mi_bits, "mi_bits", minimum=0.0)
    p = check_fraction(prior, "prior")
    h_cond = max(0.0, binary_entropy(p) - mi)
    return _inverse_binary_entropy(h_cond), min(h_cond / 2.0, p, 1 - p)


@dataclass(frozen=True)
class ClassifierErrors:
    """Cross-validated balanced errors of several classifiers; the lowest estimates the Bayes error
    from above. ``balanced_accuracy = 1 − error``; ``youden_j = 1 − 2 · error``."""

    error: float
    low: float
    high: float
    best: str
    table: Mapping[str, Estimate] = field(repr=False)
    confidence: float = 0.95

    @property
    def balanced_accuracy(self) -> float:
        return 1.0 - self.error

    @property
    def youden_j(self) -> float:
        return 1.0 - 2.0 * self.error

    def __str__(self) -> str:
        rows = "\n".join(f"  {name:<18} {est}" for name, est in self.table.items())
        return f"best: {self.best}, balanced error {self.error:.4f} ({self.low:.4f}–{self.high:.4f})\n{rows}"


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


def _fit_predict(estimators, X, y, folds, preds, max_train_samples, rng) -> None:
    """Out-of-fold hard predictions of each estimator, written into ``preds[name]``."""
    from sklearn.base import clone

    for train_idx, test_idx in folds:
        for name, est in estimators.items():
            idx = train_idx
            if _is_kernel_svm(est) and len(idx) > max_train_samples:
                idx = np.sort(rng.choice(train_idx, max_train_samples, replace=False))
            model = clone(est).fit(X[idx], y[idx])
            if hasattr(model, "predict_proba"):
                col = list(model.classes_).index(True)
                preds[name][test_idx] = model.predict_proba(X[test_idx])[:, col] > y[idx].mean()
            else:
                preds[name][test_idx] = np.asarray(model.predict(X[test_idx]), dtype=bool)


def best_classifier_error(features, is_member, *, estimators: Mapping | None = None, cv: int = 5,
                          max_train_samples: int = 3000, n_boot: int = 500, confidence: float = 0.95,
                          seed: int = 0) -> ClassifierErrors:
    """Cross-validated balanced error of flexible classifiers: the Bayes error, estimated from above.

    Each estimator is fitted on ``cv − 1`` folds and predicts the held-out fold (stratified folds,
    shuffled with ``seed``); its balanced error ``(FNR + FPR) / 2`` over all out-of-fold
    predictions gets a stratified bootstrap interval (:func:`mia_edu.metrics.bootstrap_ci`).
    Estimators with ``predict_proba`` call a member when ``P(member | x)`` exceeds the training
    fraction of members (the rule that minimises the balanced error); others use ``predict``.
    Training folds larger than ``max_train_samples`` are subsampled for the SVC only (its fit is
    quadratic in n). Picking the best of a few on the same data is slightly optimistic; with a
    handful of estimators and thousands of samples that is well inside the interval.

    Parameters
    ----------
    estimators : mapping name → scikit-learn classifier, optional
        Default :func:`default_estimators`: k-NN, gradient boosting, RBF SVC.
    """
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    X, y = _as_features(features, is_member)
    cv = check_int(cv, "cv", minimum=2)
    check_int(max_train_samples, "max_train_samples", minimum=10)
    check_int(seed, "seed", minimum=0)
    check_fraction(confidence, "confidence")
    if min(y.sum(), (~y).sum()) < cv:
        raise ValueError(f"is_member needs at least cv={cv} samples of each class")
    if estimators is None:
        estimators = default_estimators(len(y) * (cv - 1) // cv, seed)
    if not isinstance(estimators, Mapping) or not estimators:
        raise TypeError("estimators must be a non-empty mapping of name → scikit-learn classifier")
    rng = rng_from(seed)
    preds = {name: np.zeros(len(y)) for name in estimators}
    folds = StratifiedKFold(cv, shuffle=True, random_state=seed).split(X, y)
    # One thread: on a shared 2-core machine, OpenMP gradient boosting was 17× slower (wall) with
    # its default threads than with one, for these small problems.
    with threadpool_limits(limits=1):
        _fit_predict(estimators, X, y, folds, preds, max_train_samples, rng)

    def balanced_error(s, m):

        return 1.0 - 0.5 * (np.mean(s[m] > 0.5) + np.mean(s[~m] < 0.5))

    table = {}
    for name, p in preds.items():
        lo, hi = bootstrap_ci(balanced_error, p, y, n_boot=n_boot, confidence=confidence, seed=seed)
        table[name] = Estimate(balanced_error(p, y), lo, hi, confidence, "balanced error")
    best = min(table, key=lambda name: table[name].value)
    return ClassifierErrors(table[best].value, table[best].low, table[best].high, best, table, confidence)


# --------------------------------------------------------------------- the Gaussian ground truth
@dataclass(frozen=True)
class GaussianCase:
    """Members ~ N(mu, sigma1²), non-members ~ N(0, sigma0²), P(member) = prior: everything exact.

    The Bayes-optimal attack thresholds the log-likelihood ratio ``q(x) = log f1(x) − log f0(x)``,
    a quadratic in x. With equal variances it is a threshold on x; with unequal variances the
    member region is an interval or the outside of one (two-sided), handled exactly here.

    Attributes (computed)
    ---------------------
    bayes_error : the lowest possible error, ``prior · FNR + (1 − prior) · FPR`` of the optimal rule.
    auc : AUC of the optimal (likelihood-ratio) attack.
    advantage : best TPR − FPR of any attack = total variation distance (does not depend on prior).
    mi_bits : I(X; membership) in bits (numerical quadrature).
    """

    mu: float
    sigma0: float = 1.0
    sigma1: float = 1.0
    prior: float = 0.5
    bayes_error: float = field(init=False)
    auc: float = field(init=False)
    advantage: float = field(init=False)
    mi_bits: float = field(init=False)

    def __post_init__(self):
        _check_real(self.mu, "mu")
        _check_real(self.sigma0, "sigma0", positive=True)
        _check_real(self.sigma1, "sigma1", positive=True)
        check_fraction(self.prior, "prior")
        p = self.prior
        fpr, tpr = self._region_rates(math.log((1 - p) / p))
        values = {"bayes_error": p * (1 - tpr) + (1 - p) * fpr,
                  "advantage": float(np.subtract(*self._region_rates(0.0)[::-1])),
                  "auc": self._auc(), "mi_bits": self._mi_bits()}
        for name, value in values.items():
            object.__setattr__(self, name, float(value))

    # q(x) = a x² + b x + c
    @property
    def _coefficients(self) -> tuple[float, float, float]:
        s0, s1, mu = self.sigma0, self.sigma1, self.mu
        a = 0.5 / s0**2 - 0.5 / s1**2
        if abs(a) < 1e-9 / max(s0, s1) ** 2:  # numerically equal variances: the quadratic term is noise
            a = 0.0
        return a, mu / s1**2, math.log(s0 / s1) - mu**2 / (2 * s1**2)

    def log_likelihood_ratio(self, x) -> np.ndarray:
        """``log f1(x) − log f0(x)``: the score of the Bayes-optimal attack (higher = member)."""
        x = np.asarray(x, dtype=np.float64)
        return stats.norm.logpdf(x, self.mu, self.sigma1) - stats.norm.logpdf(x, 0.0, self.sigma0)

    def _rates_outside(self, v, r):  # P(|X − v| > r) for non-members, members
        def p(m, s):
            return stats.norm.cdf((v - r - m) / s) + stats.norm.sf((v + r - m) / s)
        return p(0.0, self.sigma0), p(self.mu, self.sigma1)

    def _rates_inside(self, v, r):  # P(|X − v| < r)
        def p(m, s):
            return stats.norm.cdf((v + r - m) / s) - stats.norm.cdf((v - r - m) / s)
        return p(0.0, self.sigma0), p(self.mu, self.sigma1)

    def _region_rates(self, t: float) -> tuple[float, float]:
        """(FPR, TPR) of the rule "member iff q(x) > t"."""
        a, b, c = self._coefficients
        if a == 0:
            if b == 0:
                return (1.0, 1.0) if c > t else (0.0, 0.0)
            x0 = (t - c) / b
            if b > 0:
                return stats.norm.sf(x0 / self.sigma0), stats.norm.sf((x0 - self.mu) / self.sigma1)
            return stats.norm.cdf(x0 / self.sigma0), stats.norm.cdf((x0 - self.mu) / self.sigma1)
        v, qv = -b / (2 * a), c - b * b / (4 * a)
        if a > 0:
            return (1.0, 1.0) if t < qv else self._rates_outside(v, math.sqrt((t - qv) / a))
        return (0.0, 0.0) if t >= qv else self._rates_inside(v, math.sqrt((qv - t) / -a))

    def _tpr_at(self, alpha: float) -> float:
        a, b, _ = self._coefficients
        if alpha <= 0 or alpha >= 1:
            return float(alpha >= 1)
        if a == 0:
            if b == 0:
                return alpha  # no information: the best is to guess at random
            x0 = self.sigma0 * (stats.norm.isf(alpha) if b > 0 else stats.norm.ppf(alpha))
            return float(stats.norm.sf((x0 - self.mu) / self.sigma1) if b > 0
                         else stats.norm.cdf((x0 - self.mu) / self.sigma1))
        v = -b / (2 * a)
        rates = self._rates_outside if a > 0 else self._rates_inside
        r_hi = abs(v) + self.sigma0 * (stats.norm.isf(min(alpha, 1 - alpha) / 2) + 1)
        r = optimize.brentq(lambda r: rates(v, r)[0] - alpha, 0.0, r_hi, xtol=1e-300, rtol=1e-15)
        return float(rates(v, r)[1])

    def optimal_roc(self, fpr) -> np.ndarray | float:
        """TPR of the Bayes-optimal attack at the given false-positive rate(s) in [0, 1]."""
        f = np.asarray(fpr, dtype=np.float64)
        if not np.all(np.isfinite(f)) or np.any((f < 0) | (f > 1)):
            raise ValueError(f"fpr must lie in [0, 1], got {fpr}")
        out = np.array([self._tpr_at(float(a)) for a in f.ravel()]).reshape(f.shape)
        return float(out) if out.ndim == 0 else out

    def _limits(self) -> tuple[float, float, list[float]]:
        a, b, _ = self._coefficients
        width = 40 * max(self.sigma0, self.sigma1)
        lo, hi = min(0.0, self.mu) - width, max(0.0, self.mu) + width
        vertex = {-b / (2 * a)} if a != 0 and lo < -b / (2 * a) < hi else set()
        return lo, hi, sorted({0.0, self.mu} | vertex)

    def _auc(self) -> float:
        a, b, _ = self._coefficients
        if a == 0:
            spread = math.hypot(self.sigma0, self.sigma1)
            return 0.5 if b == 0 else float(stats.norm.cdf(abs(self.mu) / spread))
        v = -b / (2 * a)
        rates = self._rates_outside if a > 0 else self._rates_inside
        # AUC = P(q(X1) > q(X0)) = E over non-members x of the TPR at threshold q(x).
        lo, hi, points = self._limits()
        val, _ = integrate.quad(lambda x: stats.norm.pdf(x, 0, self.sigma0) * rates(v, abs(x - v))[1],
                                lo, hi, points=points, limit=200, epsabs=1e-13, epsrel=1e-12)
        return float(val)

    def _mi_bits(self) -> float:
        p = self.prior

        def integrand(x):
            l1 = stats.norm.logpdf(x, self.mu, self.sigma1)
            l0 = stats.norm.logpdf(x, 0.0, self.sigma0)
            lm = np.logaddexp(math.log(p) + l1, math.log(1 - p) + l0)
            return p * math.exp(l1) * (l1 - lm) + (1 - p) * math.exp(l0) * (l0 - lm)

        lo, hi, points = self._limits()
        val, _ = integrate.quad(integrand, lo, hi, points=points, limit=200, epsabs=1e-13, epsrel=1e-12)
        return max(0.0, val / LN2)

    def sample(self, n: int, seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` samples (``round(n · prior)`` members, shuffled): ``(features, is_member)``."""
        n = check_int(n, "n", minimum=2)
        rng = rng_from(seed)
        n1 = min(n - 1, max(1, round(n * self.prior)))
        is_member = np.zeros(n, dtype=bool)
        is_member[:n1] = True
        rng.shuffle(is_member)
        x = np.where(is_member, rng.normal(self.mu, self.sigma1, n), rng.normal(0.0, self.sigma0, n))
        return x, is_member


def gaussian_case(mu: float, sigma0: float = 1.0, sigma1: float = 1.0, prior: float = 0.5) -> GaussianCase:
    """The course's ground truth: members ~ N(mu, sigma1²) vs non-members ~ N(0, sigma0²).

    Examples
    --------
    >>> g = gaussian_case(1.0)
    >>> round(g.bayes_error, 4), round(g.auc, 4), round(g.advantage, 4), round(g.mi_bits, 4)
    (0.3085, 0.7602, 0.3829, 0.1607)
    >>> round(g.optimal_roc(0.001), 4)
    0.0183
    """
    return GaussianCase(mu, sigma0, sigma1, prior)


# ---------------------------------------------------------------------------------- the DP link
def _check_epsilon_delta(epsilon, delta) -> tuple[float, float]:
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or math.isnan(epsilon):
        raise TypeError(f"epsilon must be a number, got {epsilon!r}")
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    return float(epsilon), check_fraction(delta, "delta", inclusive=True)


def dp_advantage_bound(epsilon: float, delta: float = 0.0) -> float:
    """The largest membership advantage (TPR − FPR) any attack can have on an (ε, δ)-DP model.

    ``(e^ε − 1 + 2δ) / (e^ε + 1)``, which is ``tanh(ε/2)`` for δ = 0 (Kairouz et al. 2015: every
    attack satisfies ``TPR ≤ e^ε FPR + δ`` and ``1 − FPR ≤ e^ε (1 − TPR) + δ``).

    >>> round(dp_advantage_bound(1.0), 4)
    0.4621
    """
    eps, delta = _check_epsilon_delta(epsilon, delta)
    if math.isinf(eps):
        return 1.0
    return min(1.0, (math.expm1(eps) + 2 * delta) / (math.exp(eps) + 1))


def _clopper_pearson(k, n, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) interval for k successes in n trials, vectorised.

    The same numbers as ``scipy.stats.binomtest(k, n).proportion_ci(confidence, method="exact")``
    (its beta-quantile form), but for many k at once.
    """
    k, n = np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return low, high


def _epsilon_from_counts(k1, n1, k0, n0, delta, confidence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ε lower bounds from k1/n1 members and k0/n0 non-members called "member" (arrays of k)."""
    tpr_lo = _clopper_pearson(k1, n1, confidence)[0]
    fpr_hi = _clopper_pearson(k0, n0, confidence)[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.log(np.maximum(tpr_lo - delta, 0.0) / fpr_hi)          # TPR ≤ e^ε FPR + δ
        mirror = np.log(np.maximum(1 - delta - fpr_hi, 0.0) / (1 - tpr_lo))  # 1 − FPR ≤ e^ε (1 − TPR) + δ
    eps = np.maximum(0.0, np.maximum(np.nan_to_num(direct, nan=0.0, neginf=0.0),
                                     np.nan_to_num(mirror, nan=0.0, neginf=0.0)))
    return eps, tpr_lo, fpr_hi


def empirical_epsilon(tpr, fpr, n_members: int, n_non_members: int, *, delta: float = 0.0,
                      confidence: float = 0.95) -> float:
    """A lower bound on ε that one attack's operating point proves, with confidence ``confidence``.

    An (ε, δ)-DP model forces ``TPR ≤ e^ε FPR + δ`` and ``1 − FPR ≤ e^ε (1 − TPR) + δ``, so an
    observed attack shows ``ε ≥ max(log((TPR − δ)/FPR), log((1 − δ − FPR)/(1 − TPR)))``. Measured
    rates are noisy, so the bound uses a Clopper–Pearson *lower* limit for TPR and *upper* limit
    for FPR (two-sided ``confidence`` intervals, so both hold together with probability ≥
    ``confidence``). 0 means "this attack proves nothing".

    >>> round(empirical_epsilon(0.5, 0.05, 1000, 1000), 2)   # log(0.5 / 0.05) = 2.30 before the CIs
    1.97
    """
    n1 = check_int(n_members, "n_members", minimum=1)
    n0 = check_int(n_non_members, "n_non_members", minimum=1)
    tpr = check_fraction(tpr, "tpr", inclusive=True)
    fpr = check_fraction(fpr, "fpr", inclusive=True)
    _, delta = _check_epsilon_delta(0.0, delta)
    check_fraction(confidence, "confidence")
    return float(_epsilon_from_counts(round(tpr * n1), n1, round(fpr * n0), n0, delta, confidence)[0])


@dataclass(frozen=True)
class EpsilonBound:
    """The ε an attack proves at least, and the threshold (``score ≥ threshold`` ⇒ member) that proves it."""

    epsilon: float
    threshold: float
    tpr: float
    fpr: float
    tpr_low: float
    fpr_high: float
    n_thresholds: int
    confidence: float

    def __float__(self) -> float:
        return self.epsilon


def empirical_epsilon_from_scores(scores, is_member, *, delta: float = 0.0, confidence: float = 0.95,
                                  max_thresholds: int = 64) -> EpsilonBound:
    """:func:`empirical_epsilon` maximised over thresholds, still a valid lower bound.

    Trying many thresholds and keeping the best would be optimistic, so the thresholds are fixed
    in advance by rank — the j-th highest non-member score (a low-FPR rule) and the j-th lowest
    member score (a low-FNR rule) for geometrically spaced j — or every distinct score when there
    are at most ``max_thresholds`` of them; and each one's Clopper–Pearson intervals are taken at
    ``1 − (1 − confidence) / T`` for T candidates (Bonferroni), so the maximum holds with
    probability ≥ ``confidence``.
    """
    s, m = check_scores(scores, is_member)
    _, delta = _check_epsilon_delta(0.0, delta)
    check_fraction(confidence, "confidence")
    T = check_int(max_thresholds, "max_thresholds", minimum=2)
    s1, s0 = np.sort(s[m]), np.sort(s[~m])
    distinct = np.unique(s)
    if len(distinct) <= T:
        thresholds = distinct
    else:
        ranks0 = np.unique(np.geomspace(1, max(1, len(s0) // 2), T // 2).astype(int))
        ranks1 = np.unique(np.geomspace(1, max(1, len(s1) // 2), T - T // 2).astype(int))
        thresholds = np.unique(np.r_[s0[::-1][ranks0 - 1], s1[ranks1 - 1]])
    per_confidence = 1 - (1 - confidence) / len(thresholds)
    k1 = len(s1) - np.searchsorted(s1, thresholds, side="left")
    k0 = len(s0) - np.searchsorted(s0, thresholds, side="left")
    eps, tpr_lo, fpr_hi = _epsilon_from_counts(k1, len(s1), k0, len(s0), delta, per_confidence)
    i = int(np.argmax(eps))
    return EpsilonBound(float(eps[i]), float(thresholds[i]), k1[i] / len(s1), k0[i] / len(s0),
                        float(tpr_lo[i]), float(fpr_hi[i]), len(thresholds), confidence)
