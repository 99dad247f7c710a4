"""Mutual information between features and membership, in bits: kNN (Ross 2014) and binned (Miller–Madow)."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .._validation import check_fraction, check_int, rng_from
from ._common import LN2, Estimate, _as_features


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
    >>> from mia_edu.information import gaussian_case
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
