"""LiRA, the Likelihood Ratio Attack (Carlini et al., "Membership Inference Attacks From First
Principles", IEEE S&P 2022). Taught in notebook 05.

A global threshold asks "is this loss low?". LiRA asks "is this loss low *for this sample*?": some
samples are easy (every model is confident on them, member or not), some are hard. So it trains
*reference models* on random halves of a data pool and, for each query sample ``x`` with label
``y``, looks at the scaled logit ``φ = log p_y − log(1 − p_y)`` (:func:`mia_edu.signals.scaled_logit`)
of the reference models that trained on ``x`` (IN) and of those that did not (OUT). Each set is
modelled as a Gaussian, and the target model's ``φ`` on ``x`` is scored by

- **online** (IN and OUT reference models; ``x`` must be in the pool):
  ``log N(φ; μ_in, σ_in²) − log N(φ; μ_out, σ_out²)``, the log likelihood ratio (paper, Alg. 1);
- **offline** (OUT models only, so reference models can be trained before the queries are known):
  the one-sided test ``Λ = Pr[Z < φ]``, ``Z ~ N(μ_out, σ_out²)`` (paper, §VI-B). We return its
  z-score ``(φ − μ_out) / σ_out``: ``Λ = Φ(z)`` is monotone in it, so the ROC is the same, and the
  z-score does not saturate at 1.0 in floating point for the strongest members.

With few reference models a per-example variance is noisy; ``fixed_variance=True`` uses one global
variance for all examples, as the paper recommends below ~64 models. :class:`LiRA`'s default
(``fixed_variance=None``) follows that advice — global below 64 reference models — because it is
what measures better on the audit's target (``benchmarks/lira_variance.py``: MNIST-1D, 2,500
members, 16 reference models, seeds 0 and 1). Online, per-example → global: AUC 0.882 → 0.871 and
0.880 → 0.880, TPR at 0.1 % FPR 1.0 % → 6.5 % and 1.6 % → 8.5 %, at 1 % FPR 15.4 % → 21.5 % and
20.0 % → 23.1 %. Offline: AUC 0.769 → 0.770 and 0.772 → 0.772, TPR at 1 % FPR 5.8 % → 5.7 % and
4.4 % → 6.2 %.

Where this follows the paper rather than its reference code (``tensorflow/privacy``,
``research/mi_lira_2021/plot.py``):

- means and variances are the sample mean and variance (the paper); the reference code uses the
  *median* as the centre and ``np.std`` as the spread;
- ``fixed_variance``: here one *pooled within-example* variance (every reference value minus its own
  example's mean, IN and OUT together). The reference code's ``fix_variance`` takes ``np.std`` of
  all IN values at once (which also counts the spread *between* examples' means) and reuses that IN
  spread for the OUT side too;
- offline: the paper's one-sided test. The reference code's offline score is the two-sided
  ``−log N(φ; μ_out, σ_out²)``, which also flags samples whose ``φ`` is unusually *low*;
- queries: one query per sample. The reference code averages the score over augmented queries
  (mirror and shifts of CIFAR images); MNIST-1D has no augmentation the models were trained with;
- an example with fewer than two IN (or OUT) reference values has no per-example variance; it
  falls back to the global one (the reference code truncates every example to the smallest count).
  With a single value per example and side (2 online reference models) even the pooled estimate
  has no degrees of freedom, and the global variance of all values is used, as the reference code does.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, rng_from
from ..signals import scaled_logit
from ..training import TrainConfig
from ._reference import ReferenceBank, check_recipe
from .shadow import query_logits

GLOBAL_VARIANCE_BELOW = 64
"""LiRA's default: one global variance below this many reference models (Carlini et al. 2022)."""

_MIN_SIGMA = 1e-6  # a floor on every standard deviation, so identical reference values cannot divide by 0


def _masked_mean_var(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column count, mean and unbiased variance of ``values[mask]`` (models × samples)."""
    count = mask.sum(axis=0)
    total = np.where(mask, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        sq = np.where(mask, (values - mean) ** 2, 0.0).sum(axis=0)
        var = sq / (count - 1)
    return count, mean, var


def _pooled_var(values: np.ndarray, masks: list[np.ndarray]) -> float:
    """Pooled within-example variance: squared deviations from each example's own mean, summed over
    every mask, divided by (observations − estimated means)."""
    sq, dof = 0.0, 0
    for mask in masks:
        count, mean, _ = _masked_mean_var(values, mask)
        has = count > 0
        sq += float(np.where(mask[:, has], (values[:, has] - mean[has]) ** 2, 0.0).sum())
        dof += int(count[has].sum() - has.sum())
    if dof <= 0:
        # One value per example and side (e.g. 2 online reference models): no within-example spread
        # exists. Fall back to the reference code's global estimate, the variance of all values.
        return float(np.var(values[np.logical_or.reduce(masks)]))
    return sq / dof


def gaussian_fits(phi_ref, in_mask, *, online: bool = True, fixed_variance: bool = False) -> dict[str, np.ndarray]:
    """Per-example Gaussians of the reference models' scaled logits.

    Parameters
    ----------
    phi_ref : array, models × samples
        Each reference model's scaled logit on each query sample.
    in_mask : bool array, models × samples
        True where the reference model trained on the sample (IN).
    online : bool
        Fit the IN Gaussians too (else only OUT).
    fixed_variance : bool
        One global (pooled within-example) standard deviation for every example and both sides.

    Returns
    -------
    dict with ``mu_out``, ``sigma_out``, ``n_out`` (and ``mu_in``, ``sigma_in``, ``n_in`` when
    ``online``), one value per sample.
    """
    phi_ref = np.asarray(phi_ref, dtype=np.float64)
    in_mask = np.asarray(in_mask, dtype=bool)
    if phi_ref.ndim != 2 or in_mask.shape != phi_ref.shape:
        raise ValueError(f"phi_ref and in_mask must both be models × samples, got {phi_ref.shape} and {in_mask.shape}")
    if not np.all(np.isfinite(phi_ref)):
        raise ValueError("phi_ref contains NaN or infinite values")
    sides = {"out": ~in_mask} | ({"in": in_mask} if online else {})
    for side, mask in sides.items():
        missing = np.flatnonzero(mask.sum(axis=0) == 0)
        if missing.size:
            where = "trained on" if side == "in" else "not trained on"
            raise ValueError(f"{missing.size} sample(s) (e.g. {missing[:3].tolist()}) have no reference model "
                             f"{where} them, so no {side.upper()} distribution"
                             + ("; online LiRA needs every query in the reference pool (or use online=False)"
                                if side == "in" else "; use more reference models"))
    pooled = np.sqrt(_pooled_var(phi_ref, list(sides.values())))
    out: dict[str, np.ndarray] = {}
    for side, mask in sides.items():
        count, mean, var = _masked_mean_var(phi_ref, mask)
        if fixed_variance:
            sigma = np.full(mean.shape, pooled)
        else:
            sigma = np.where(count >= 2, np.sqrt(np.where(count >= 2, var, 0.0)), pooled)
        out[f"mu_{side}"] = mean
        out[f"sigma_{side}"] = np.maximum(sigma, _MIN_SIGMA)
        out[f"n_{side}"] = count
    return out


def _log_normal(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)


def lira_scores(phi_target, phi_ref, in_mask, *, online: bool = True, fixed_variance: bool = False) -> np.ndarray:
    """LiRA's score for each sample from the target's and the reference models' scaled logits.

    Online: ``log N(φ; μ_in, σ_in²) − log N(φ; μ_out, σ_out²)``; offline: ``(φ − μ_out) / σ_out``
    (monotone in the paper's one-sided ``Λ = Φ(z)``). Higher = more likely a member. The pure array
    version of :meth:`LiRA.score_target`, for reference values computed elsewhere.
    """
    phi_target = np.asarray(phi_target, dtype=np.float64)
    phi_ref = np.asarray(phi_ref, dtype=np.float64)
    if phi_target.ndim != 1 or phi_ref.ndim != 2 or phi_ref.shape[1] != phi_target.shape[0]:
        raise ValueError(f"phi_target must be 1-D (samples) and phi_ref models × samples with the same number of "
                         f"samples, got {phi_target.shape} and {phi_ref.shape}")
    if not np.all(np.isfinite(phi_target)):
        raise ValueError("phi_target contains NaN or infinite values")
    fits = gaussian_fits(phi_ref, in_mask, online=online, fixed_variance=fixed_variance)
    if online:
        return (_log_normal(phi_target, fits["mu_in"], fits["sigma_in"])
                - _log_normal(phi_target, fits["mu_out"], fits["sigma_out"]))
    return (phi_target - fits["mu_out"]) / fits["sigma_out"]


class LiRA:
    """The Likelihood Ratio Attack (Carlini et al. 2022) with reference models from ``train_many``.

    Parameters
    ----------
    config : TrainConfig or recipe, optional
        How the reference models are trained (the attacker's guess of the target's recipe);
        ``None`` = ``TrainConfig()``; a scikit-learn classifier or a function ``(X, y, seed) -> model``
        works too (:mod:`mia_edu.training.recipes`).
    n_reference : int, at least 2 (at least 1 offline)
        Number of reference models. Each pool sample is IN for about half of them
        (:func:`mia_edu.splits.random_subsets`), so online LiRA sees ~``n_reference/2`` IN and OUT
        values per sample.
    online : bool
        ``True``: per-example IN and OUT Gaussians; the queries must be in the pool given to
        :meth:`fit` (the attacker trains on the samples it asks about). ``False`` (offline): OUT
        only, a one-sided test; the pool need not contain the queries (train it on other data).
    fixed_variance : bool or None, default None
        One global variance instead of per-example variances. ``None``: global below 64 reference
        models (the paper's advice, and the better choice measured on the audit target at 16: see
        the module docstring), per-example from 64 on. The choice made is ``fixed_variance_``.
    seed : int
        Seed of the IN/OUT subsets. Same seed, same scores.
    device, n_jobs, progress, use_cache
        Passed to :func:`mia_edu.training.train_many`.

    Attributes
    ----------
    subsets_ : bool array, n_reference × n_pool
        Which pool samples each reference model trained on.
    bank_ : ModelBank
        The reference models.

    Examples
    --------
    >>> lira = LiRA(TrainConfig(epochs=20, hidden=32), n_reference=4)      # doctest: +SKIP
    >>> scores = lira.fit(X_pool, y_pool).score_target(target, X, y)        # doctest: +SKIP
    """

    def __init__(self, config: TrainConfig | None = None, n_reference: int = 16, online: bool = True,
                 fixed_variance: bool | None = None, seed: int = 0, *, device: str = "cpu", n_jobs: int | None = None,
                 progress: bool = True, use_cache: bool = True):
        self.config = config
        self.n_reference = n_reference
        self.online = online
        self.fixed_variance = fixed_variance
        self.seed = seed
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress
        self.use_cache = use_cache

    def _check_params(self):
        config = check_recipe(self.config)
        if not isinstance(self.online, bool | np.bool_):
            raise TypeError(f"online must be True or False, got {self.online!r}")
        if self.fixed_variance is not None and not isinstance(self.fixed_variance, bool | np.bool_):
            raise TypeError(f"fixed_variance must be True, False or None (global below 64 reference models), "
                            f"got {self.fixed_variance!r}")
        check_int(self.n_reference, "n_reference", minimum=2 if self.online else 1)
        rng_from(self.seed)
        return config

    def fit(self, X_pool, y_pool, *, n_classes: int | None = None, subsets=None) -> LiRA:
        """Train ``n_reference`` models on random halves of the pool ``(X_pool, y_pool)``.

        For online LiRA the pool must contain the samples you will query (e.g. the target's
        candidate members and non-members); for offline LiRA it should not need to.
        ``subsets`` (bool, n_reference × n_pool) gives the IN/OUT split of every reference model
        explicitly instead (e.g. to replay another tool's splits).
        """
        config = self._check_params()
        self.fixed_variance_ = (self.n_reference < GLOBAL_VARIANCE_BELOW if self.fixed_variance is None
                                else bool(self.fixed_variance))
        self.reference_ = ReferenceBank.fit(config, X_pool, y_pool, self.n_reference, self.seed, subsets=subsets,
                                            n_classes=n_classes, device=self.device, n_jobs=self.n_jobs,
                                            progress=self.progress, use_cache=self.use_cache)
        self.subsets_, self.bank_ = self.reference_.subsets, self.reference_.bank
        self.n_classes_, self.n_features_in_ = self.reference_.n_classes, self.reference_.n_features
        return self

    def _check_fitted(self):
        if not hasattr(self, "bank_"):
            raise RuntimeError("this LiRA is not fitted yet; call fit(X_pool, y_pool) first")

    def reference_signals(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """The reference models' scaled logits on ``(X, y)`` and which of them trained on each sample.

        A query is matched to the pool by its exact features and label; a sample that is not in the
        pool is OUT for every reference model.

        Returns
        -------
        phi_ref : float array, n_reference × samples
        in_mask : bool array, n_reference × samples
        """
        self._check_fitted()
        X, y = self.reference_.check_queries(X, y)
        logits, in_mask = self.reference_.logits_and_mask(X, y)
        return scaled_logit(logits, y), in_mask

    def gaussians(self, X, y) -> dict[str, np.ndarray]:
        """Per-example Gaussian fits (``mu_in``, ``sigma_in``, ``mu_out``, ``sigma_out``, counts) on
        ``(X, y)``, plus ``phi_ref`` and ``in_mask``: everything the per-example picture needs."""
        phi_ref, in_mask = self.reference_signals(X, y)
        fits = gaussian_fits(phi_ref, in_mask, online=self.online, fixed_variance=self.fixed_variance_)
        return fits | {"phi_ref": phi_ref, "in_mask": in_mask}

    def score_target(self, target, X, y) -> np.ndarray:
        """LiRA scores of the target model on ``(X, y)``: higher = more likely a member.

        ``target`` is a trained model with a ``logits(X)`` method (e.g. from
        :func:`mia_edu.training.train`) or a torch module.
        """
        self._check_fitted()
        X, y = self.reference_.check_queries(X, y)
        phi_target = scaled_logit(query_logits(target, X), y)
        phi_ref, in_mask = self.reference_signals(X, y)
        return lira_scores(phi_target, phi_ref, in_mask, online=self.online, fixed_variance=self.fixed_variance_)

    def __repr__(self) -> str:
        return (f"LiRA(n_reference={self.n_reference}, online={self.online}, "
                f"fixed_variance={self.fixed_variance}, seed={self.seed})")
