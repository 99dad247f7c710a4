"""A label-only attack (Choquette-Choo, Tramèr, Carlini & Papernot, "Label-Only Membership Inference
Attacks", ICML 2021): the attacker sees only the predicted label. Taught in notebook 10.

Hiding confidences does not hide membership. A model is not only more often *right* on its training
points (the "gap attack": member iff correctly classified, Yeom et al. 2018), it is right on them
*robustly*: small perturbations of a member rarely flip its label, while a non-member near the
decision boundary flips often. So the attack queries the target on ``n_queries`` perturbed copies
of each sample and scores it by the fraction classified correctly (the unperturbed query included).

Perturbations for MNIST-1D's 1-D signals: circular **shifts** by ±1 … ±``max_shift`` positions (the
data's own augmentation: its templates are randomly translated), Gaussian **noise** with standard
deviation ``noise_scale`` × each feature's spread (measured on the attacker's data in :meth:`fit`),
or **both** (a shift plus noise per query). Choquette-Choo et al. use translations and flips of
images (data augmentation) and additive noise; they also fit a classifier on the vector of
correct/incorrect answers with shadow models, which we do not: the fraction is their threshold
attack. The score takes ``n_queries + 1`` values, so many samples tie (the ROC has steps).
"""

from __future__ import annotations

import numbers

import numpy as np

from .._validation import as_labels, check_int, rng_from
from ..training import check_features
from .shadow import query_logits

PERTURBATIONS = ("shift", "noise", "both")


class LabelOnlyAttack:
    """Choquette-Choo et al.'s label-only attack: robustness of the predicted label under perturbations.

    Parameters
    ----------
    perturbation : {"noise", "shift", "both"}
        How queries are perturbed (see the module docstring). The defaults (32 noisy queries at a
        tenth of each feature's spread) were the strongest of those tried on MNIST-1D in notebook 10;
        shifts hurt an MLP's accuracy on members too much to separate them.
    n_queries : int, at least 1
        Perturbed queries per sample (``"shift"``: at most ``2 · max_shift``, the distinct shifts).
    noise_scale : float > 0
        Standard deviation of the noise, in units of each feature's standard deviation.
    max_shift : int, at least 1
        Largest shift, in positions.
    seed : int
        Seed of the noise and of which shifts are used. Same seed, same queries.

    Attributes
    ----------
    scale_ : per-feature standard deviation of the data given to :meth:`fit`.
    n_features_in_ : number of features.

    Examples
    --------
    >>> attack = LabelOnlyAttack("noise", n_queries=16).fit(X_pool)          # doctest: +SKIP
    >>> scores = attack.score_target(target, X, y)                           # doctest: +SKIP
    """

    def __init__(self, perturbation: str = "noise", n_queries: int = 32, noise_scale: float = 0.1,
                 max_shift: int = 3, seed: int = 0):
        self.perturbation = perturbation
        self.n_queries = n_queries
        self.noise_scale = noise_scale
        self.max_shift = max_shift
        self.seed = seed

    def _check_params(self):
        if self.perturbation not in PERTURBATIONS:
            raise ValueError(f"perturbation must be one of {PERTURBATIONS}, got {self.perturbation!r}")
        check_int(self.n_queries, "n_queries", minimum=1)
        check_int(self.max_shift, "max_shift", minimum=1)
        if self.perturbation == "shift" and self.n_queries > 2 * self.max_shift:
            raise ValueError(f"n_queries={self.n_queries} exceeds the {2 * self.max_shift} distinct shifts of "
                             f"max_shift={self.max_shift}; lower n_queries or raise max_shift")
        s = self.noise_scale
        if isinstance(s, bool) or not isinstance(s, numbers.Real) or not np.isfinite(s) or s <= 0:
            raise ValueError(f"noise_scale must be a finite number > 0, got {s!r}")
        rng_from(self.seed)

    def fit(self, X, y=None) -> LabelOnlyAttack:
        """Measure each feature's spread on the attacker's data ``X`` (no model, no labels needed)."""
        self._check_params()
        X = check_features(X, "X")
        if len(X) < 2:
            raise ValueError(f"X has {len(X)} sample(s); expected at least 2 to measure the features' spread")
        self.scale_ = X.std(axis=0).astype(np.float32)
        self.n_features_in_ = X.shape[1]
        return self

    def _shifts(self, rng) -> np.ndarray:
        options = np.r_[np.arange(-self.max_shift, 0), np.arange(1, self.max_shift + 1)]
        if self.perturbation == "shift":
            return rng.permutation(options)[:self.n_queries]
        return rng.choice(options, size=self.n_queries)

    def perturbed(self, X) -> np.ndarray:
        """The queries: ``n_queries`` perturbed copies of every sample, queries × samples × features.

        Every sample gets the same perturbations (shifts and, per query, one noise draw per sample),
        so a member and a non-member are asked equally hard questions.
        """
        if not hasattr(self, "scale_"):
            raise RuntimeError("this LabelOnlyAttack is not fitted yet; call fit(X) first")
        X = check_features(X, "X", n_features=self.n_features_in_)
        rng = rng_from(self.seed)
        shifted = self.perturbation in ("shift", "both")
        noisy = self.perturbation in ("noise", "both")
        shifts = self._shifts(rng) if shifted else None
        # one draw for all queries: noise[q] is query q's noise (the same stream a student's
        # rng.standard_normal((n_queries,) + X.shape) gives, so the notebook's hand version matches)
        noise = rng.standard_normal((self.n_queries,) + X.shape).astype(np.float32) if noisy else None
        out = np.empty((self.n_queries,) + X.shape, np.float32)
        for q in range(self.n_queries):
            xq = np.roll(X, int(shifts[q]), axis=1) if shifted else X
            out[q] = xq + self.noise_scale * self.scale_ * noise[q] if noisy else xq
        return out

    def correct(self, target, X, y) -> np.ndarray:
        """Whether the target's predicted *label* is right: samples × (1 + n_queries), column 0 the
        unperturbed query. The only thing the attack looks at."""
        X = check_features(X, "X", n_features=getattr(self, "n_features_in_", None))
        y = as_labels(y, "y", n=len(X), length_of="X")
        queries = np.concatenate([X[None], self.perturbed(X)])
        flat = queries.reshape(-1, X.shape[1])
        labels = query_logits(target, flat).argmax(axis=1).reshape(len(queries), len(X))
        return (labels == y[None, :]).T

    def score_target(self, target, X, y) -> np.ndarray:
        """Fraction of the (1 + n_queries) queries the target labels correctly: higher = more likely a member."""
        return self.correct(target, X, y).mean(axis=1)

    def __repr__(self) -> str:
        return (f"LabelOnlyAttack(perturbation={self.perturbation!r}, n_queries={self.n_queries}, "
                f"noise_scale={self.noise_scale}, max_shift={self.max_shift}, seed={self.seed})")
