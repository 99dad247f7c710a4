"""RMIA, the Relative Membership Inference Attack (Zarifzadeh, Liu & Shokri, "Low-Cost High-Power
Membership Inference Attacks", ICML 2024). Taught in notebook 10.

LiRA compares the target's output on ``x`` with reference models' outputs on the *same* ``x``. RMIA
also compares ``x`` with other samples ``z`` of the population. With ``Pr(x | θ)`` the target's
probability of ``x``'s true label and ``Pr(x)`` its average over reference models,

    LR(x, z) = [Pr(x | θ) / Pr(x)] / [Pr(z | θ) / Pr(z)],
    score(x) = fraction of population samples z with LR(x, z) ≥ γ.

A member should be more likely under the target than under models that did not (all) see it,
*relative to* typical population samples, which calibrates away what a global threshold cannot.

- **online**: ``Pr(x)`` is the mean over reference models of which about half trained on ``x``;
- **offline**: only OUT reference models exist, so ``Pr(x)`` is approximated from their mean
  ``Pr_OUT(x)`` by the paper's linear correction ``Pr(x) = ½ ((1 + a) Pr_OUT(x) + (1 − a))``
  (the same for every ``z``). ``a`` is found, as in the paper, by attacking one reference model
  with the others and keeping the ``a`` with the best AUC (``offline_a="auto"``).

Ranking: for a fixed population, ``score(x)`` only grows with ``Pr(x | θ) / Pr(x)``; γ and ``z``
turn that ratio into a test with a meaning (at γ = 1, "x is more typical of θ than a fraction
``score`` of the population is") and set where scores saturate at 1 (ties at the top, which cost TPR
at very low FPR). The paper's reference code (``privacytrustlab/ml_privacy_meter``) counts
``LR > γ`` strictly; we follow the paper's ``≥``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import check_int, rng_from
from ..metrics import roc_auc
from ..signals import log_probs
from ..training import TrainConfig
from ._reference import ReferenceBank, check_recipe
from .shadow import query_logits

A_GRID = tuple(np.round(np.arange(0.0, 1.01, 0.1), 2))
"""The values of ``a`` that ``offline_a="auto"`` tries (the paper's reference code tries the same)."""

DEFAULT_A = 0.3
"""``a`` when it cannot be tuned (fewer than 3 reference models): the reference code's default."""


def true_class_prob(logits, y) -> np.ndarray:
    """``Pr(x | θ)``: the softmax probability of each sample's true label (any leading model axes)."""
    lp = log_probs(logits)
    y = np.asarray(y)
    return np.exp(np.take_along_axis(lp, np.broadcast_to(y[..., None], lp.shape[:-1] + (1,)), axis=-1)[..., 0])


def _check_prob(p, name, ndim):
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or np.any(p > 1):
        raise ValueError(f"{name} must hold probabilities in [0, 1]")
    return p


def marginal_prob(p_ref, in_mask=None, *, online: bool = True, offline_a: float = DEFAULT_A) -> np.ndarray:
    """``Pr(x)`` from the reference models' ``Pr(x | θ_k)`` (models × samples).

    Online: the mean over all reference models. Offline: ``½ ((1 + a) Pr_OUT(x) + (1 − a))`` with
    ``Pr_OUT(x)`` the mean over the models whose ``in_mask`` is False (all of them if ``in_mask`` is None).
    """
    p_ref = _check_prob(p_ref, "p_ref", 2)
    if online:
        return p_ref.mean(axis=0)
    out = np.ones(p_ref.shape, bool) if in_mask is None else ~np.asarray(in_mask, bool)
    if out.shape != p_ref.shape:
        raise ValueError(f"in_mask must have the shape of p_ref {p_ref.shape}, got {out.shape}")
    n_out = out.sum(axis=0)
    if np.any(n_out == 0):
        bad = np.flatnonzero(n_out == 0)
        raise ValueError(f"{bad.size} sample(s) (e.g. {bad[:3].tolist()}) have no OUT reference model; offline "
                         "RMIA needs at least one reference model that did not train on each sample")
    p_out = np.where(out, p_ref, 0.0).sum(axis=0) / n_out
    return 0.5 * ((1 + offline_a) * p_out + (1 - offline_a))


def rmia_scores(p_target_x, p_ref_x, p_target_z, p_ref_z, *, in_mask_x=None, in_mask_z=None, online: bool = True,
                offline_a: float = DEFAULT_A, gamma: float = 1.0) -> np.ndarray:
    """RMIA's score of each query x: the fraction of population samples z with ``LR(x, z) ≥ γ``.

    Parameters
    ----------
    p_target_x, p_target_z : arrays, samples
        The target's probability of the true label on the queries x and on the population z.
    p_ref_x, p_ref_z : arrays, models × samples
        The same for each reference model.
    in_mask_x, in_mask_z : bool arrays, models × samples, optional
        True where a reference model trained on the sample (used offline, to average OUT models only).
    online, offline_a, gamma
        See :class:`RMIA`.

    Returns
    -------
    float array, one score in [0, 1] per query; higher = more likely a member.
    """
    ratio_x = _ratio(p_target_x, p_ref_x, in_mask_x, online, offline_a, "x")
    ratio_z = np.sort(_ratio(p_target_z, p_ref_z, in_mask_z, online, offline_a, "z"))
    gamma = _check_gamma(gamma)
    # LR(x, z) ≥ γ  ⇔  ratio_z ≤ ratio_x / γ: count those z with one sorted search (not an x × z matrix)
    return np.searchsorted(ratio_z, ratio_x / gamma, side="right") / len(ratio_z)


def _ratio(p_target, p_ref, in_mask, online, offline_a, which):
    p_target = _check_prob(p_target, f"p_target_{which}", 1)
    p_ref = _check_prob(p_ref, f"p_ref_{which}", 2)
    if p_ref.shape[1] != len(p_target):
        raise ValueError(f"p_ref_{which} has {p_ref.shape[1]} samples but p_target_{which} has {len(p_target)}")
    if len(p_target) == 0:
        raise ValueError(f"p_target_{which} is empty")
    marginal = marginal_prob(p_ref, in_mask, online=online, offline_a=offline_a)
    return p_target / np.maximum(marginal, 1e-300)


def _check_gamma(gamma) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, numbers.Real) or not np.isfinite(gamma) or gamma <= 0:
        raise ValueError(f"gamma must be a finite number > 0, got {gamma!r}")
    return float(gamma)


def tune_offline_a(p_ref, in_mask, *, grid=A_GRID) -> tuple[float, dict[float, float]]:
    """The paper's choice of ``a``: attack reference model 0 with the others as OUT references and keep
    the ``a`` of the highest AUC (samples with no OUT model among the others are left out).

    Returns ``(a, {a: auc})``. Needs at least 3 reference models (with 2, no sample has both a
    known membership for model 0 and an OUT model among the rest for both memberships).
    """
    p_ref = _check_prob(p_ref, "p_ref", 2)
    in_mask = np.asarray(in_mask, bool)
    if p_ref.shape[0] < 3:
        raise ValueError(f"tuning a needs at least 3 reference models, got {p_ref.shape[0]}")
    rest_out = ~in_mask[1:]
    usable = rest_out.any(axis=0)
    member = in_mask[0, usable]
    if member.all() or not member.any():
        raise ValueError("tuning a: model 0's usable samples are all IN or all OUT")
    aucs = {}
    for a in grid:
        marginal = marginal_prob(p_ref[1:, usable], in_mask[1:, usable], online=False, offline_a=float(a))
        aucs[float(a)] = roc_auc(p_ref[0, usable] / marginal, member)
    best = max(aucs, key=lambda a: (aucs[a], -abs(a - DEFAULT_A)))
    return best, aucs


class RMIA:
    """The Relative Membership Inference Attack (Zarifzadeh, Liu & Shokri 2024), reference models from
    :func:`mia_edu.training.train_many`.

    Parameters
    ----------
    config : TrainConfig or recipe, optional
        How the reference models are trained (the attacker's guess of the target's recipe).
    n_reference : int, at least 1
        Number of reference models, each trained on a random half of the pool.
    online : bool
        ``True``: the pool contains the queries (about half the reference models trained on each);
        ``False``: OUT reference models only, with the paper's ``a`` correction.
    offline_a : float in [0, 1] or "auto"
        The offline correction's ``a``. ``"auto"``: tuned on the reference models
        (:func:`tune_offline_a`) when there are at least 3, else :data:`DEFAULT_A`; the value used
        is ``offline_a_``.
    gamma : float > 0
        The threshold on the pairwise likelihood ratio (the paper: γ = 1 for most results).
    seed : int
        Seed of the IN/OUT subsets.
    device, n_jobs, progress, use_cache
        Passed to :func:`mia_edu.training.train_many`.

    Attributes
    ----------
    subsets_, bank_ : the reference models' IN/OUT subsets and the models.
    offline_a_ : the ``a`` used (offline).
    population_ : ``(X_z, y_z)``, the population samples z.

    Examples
    --------
    >>> rmia = RMIA(TrainConfig(epochs=20, hidden=32), n_reference=2)                  # doctest: +SKIP
    >>> scores = rmia.fit(X_pool, y_pool, X_population=Xz, y_population=yz).score_target(target, X, y)  # doctest: +SKIP
    """

    def __init__(self, config: TrainConfig | None = None, n_reference: int = 4, online: bool = True,
                 offline_a="auto", gamma: float = 1.0, seed: int = 0, *, device: str = "cpu",
                 n_jobs: int | None = None, progress: bool = True, use_cache: bool = True):
        self.config = config
        self.n_reference = n_reference
        self.online = online
        self.offline_a = offline_a
        self.gamma = gamma
        self.seed = seed
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress
        self.use_cache = use_cache

    def _check_params(self):
        config = check_recipe(self.config)
        check_int(self.n_reference, "n_reference", minimum=1)
        if not isinstance(self.online, bool | np.bool_):
            raise TypeError(f"online must be True or False, got {self.online!r}")
        a = self.offline_a
        if not (isinstance(a, str) and a == "auto") and (
                isinstance(a, bool) or not isinstance(a, numbers.Real) or not 0 <= a <= 1):
            raise ValueError(f"offline_a must be a number in [0, 1] or 'auto', got {a!r}")
        _check_gamma(self.gamma)
        rng_from(self.seed)
        return config

    def fit(self, X_pool, y_pool, *, n_classes: int | None = None, subsets=None, X_population=None,
            y_population=None) -> RMIA:
        """Train the reference models on halves of the pool (or on explicit ``subsets``) and keep the
        population ``z`` (default: the pool itself; z that a reference model trained on count as IN
        for it, so offline ``Pr_OUT(z)`` uses only the models that did not, and a z that every
        reference model trained on, e.g. half the pool with one model, is left out)."""
        config = self._check_params()
        self.reference_ = ReferenceBank.fit(config, X_pool, y_pool, self.n_reference, self.seed, subsets=subsets,
                                            n_classes=n_classes, device=self.device, n_jobs=self.n_jobs,
                                            progress=self.progress, use_cache=self.use_cache)
        self.subsets_, self.bank_ = self.reference_.subsets, self.reference_.bank
        self.n_classes_, self.n_features_in_ = self.reference_.n_classes, self.reference_.n_features
        if (X_population is None) != (y_population is None):
            raise ValueError("X_population and y_population must be given together")
        if X_population is None:
            X_population, y_population = X_pool, y_pool
        Xz, yz = self.reference_.check_queries(X_population, y_population)
        if len(Xz) == 0:
            raise ValueError("X_population is empty; RMIA compares each query with population samples z")
        logits_z, in_z = self.reference_.logits_and_mask(Xz, yz)
        if not self.online:  # offline Pr_OUT(z) needs a model that did not train on z: keep only those z
            keep = (~in_z).any(axis=0)
            if not keep.any():
                raise ValueError("every population sample was trained on by every reference model; offline RMIA "
                                 "needs population samples outside the reference models' training sets")
            Xz, yz, logits_z, in_z = Xz[keep], yz[keep], logits_z[:, keep], in_z[:, keep]
        self.population_ = (Xz, yz)
        self._in_z = in_z
        self._p_ref_z = true_class_prob(logits_z, yz)
        if self.online or not (isinstance(self.offline_a, str)):
            self.offline_a_ = DEFAULT_A if self.online else float(self.offline_a)
        elif self.n_reference >= 3:
            Xp, yp = self.reference_.check_queries(X_pool, y_pool)
            p_pool = true_class_prob(self.bank_.logits(Xp), yp)
            self.offline_a_, self.a_aucs_ = tune_offline_a(p_pool, self.subsets_)
        else:
            self.offline_a_ = DEFAULT_A
        return self

    def _check_fitted(self):
        if not hasattr(self, "bank_"):
            raise RuntimeError("this RMIA is not fitted yet; call fit(X_pool, y_pool) first")

    def score_target(self, target, X, y) -> np.ndarray:
        """RMIA scores of the target on ``(X, y)``, in [0, 1]: higher = more likely a member."""
        self._check_fitted()
        X, y = self.reference_.check_queries(X, y)
        logits_x, in_x = self.reference_.logits_and_mask(X, y)
        if self.online and not self.reference_.in_pool(X, y).all():
            raise ValueError("online RMIA needs every query in the reference pool given to fit (about half the "
                             "reference models train on it); use online=False for queries outside the pool")
        Xz, yz = self.population_
        return rmia_scores(true_class_prob(query_logits(target, X), y), true_class_prob(logits_x, y),
                           true_class_prob(query_logits(target, Xz), yz), self._p_ref_z,
                           in_mask_x=in_x, in_mask_z=self._in_z, online=self.online, offline_a=self.offline_a_,
                           gamma=self.gamma)

    def __repr__(self) -> str:
        return (f"RMIA(n_reference={self.n_reference}, online={self.online}, offline_a={self.offline_a!r}, "
                f"gamma={self.gamma}, seed={self.seed})")
