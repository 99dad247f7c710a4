"""Shadow models (Shokri et al., "Membership Inference Attacks against Machine Learning Models",
IEEE S&P 2017): the attacker who has no access to the target's training data. Taught in notebook 05.

To train an attack model you need signals of samples whose membership you *know*. The target's
training set is exactly what the attacker lacks, so it builds its own ground truth: it trains
``n_shadow`` *shadow models* the way it believes the target was trained, each on a random half of
its own data pool drawn from the same distribution. For every shadow model it knows which pool
samples were IN and which were OUT, so it can label their signals and fit an attack model (one per
class, as in the paper, or one overall). The attack model is then applied to the target's signals.
"""

from __future__ import annotations

import numpy as np

from .._validation import as_labels, check_int, rng_from
from ..signals import SIGNALS, compute_signals
from ..training import TrainConfig, check_features, model_logits
from ..training.recipes import is_model
from ._reference import ReferenceBank, check_recipe
from ._signals import signal_matrix
from .classifier import ClassifierAttack

DEFAULT_SIGNALS = ("loss", "confidence", "entropy", "modified_entropy")


def query_logits(target, X: np.ndarray) -> np.ndarray:
    """The target model's logits on ``X`` (samples × classes): from a ``.logits(X)`` method, a torch
    module (evaluated in ``eval`` mode without gradients) or a fitted scikit-learn classifier
    (:func:`mia_edu.training.model_logits`, with its caveat). The only access an attack needs."""
    if not is_model(target):
        raise TypeError("target must be a trained model with a logits(X) method (e.g. from mia_edu.training.train), "
                        f"a torch.nn.Module or a fitted scikit-learn classifier, got {type(target).__name__}")
    return model_logits(target, X)


def _check_signals(signals) -> list[str]:
    if isinstance(signals, str):
        signals = [signals]
    try:
        names = list(signals)
    except TypeError:
        raise TypeError(f"signals must be a list of signal names from {SIGNALS}, got {signals!r}") from None
    if not names:
        raise ValueError("signals is empty; expected at least one signal name")
    known = SIGNALS + ("logits",)
    for name in names:
        if name not in known:
            raise ValueError(f"unknown signal name {name!r} in signals; known names: {', '.join(known)}")
    return names


class ShadowModelAttack:
    """Shokri et al.'s shadow-model attack: train look-alike models, learn from their IN/OUT signals.

    Parameters
    ----------
    config : TrainConfig or recipe, optional
        How the shadow models are trained (the attacker's guess of the target's recipe);
        ``None`` = ``TrainConfig()``; a scikit-learn classifier or a function ``(X, y, seed) -> model``
        works too (:mod:`mia_edu.training.recipes`).
    n_shadow : int, at least 1
        Number of shadow models. Each trains on a random half of the shadow pool
        (:func:`mia_edu.splits.random_subsets`), so every pool sample gives ``n_shadow`` labelled
        signal rows, about half IN and half OUT.
    estimator : scikit-learn classifier, optional
        The attack model (default logistic regression), fitted on standardised signals by
        :class:`~mia_edu.attacks.ClassifierAttack`.
    per_class : bool
        One attack model per true class (as in the paper), else one for all classes.
    signals : sequence of str
        Which signals the attack model sees (names from :data:`mia_edu.signals.SIGNALS`, or
        ``"logits"`` for the whole logit vector).
    seed : int
        Seed of the shadow models' IN/OUT subsets. Same seed, same scores.
    device, n_jobs, progress, use_cache
        Passed to :func:`mia_edu.training.train_many`.

    Attributes
    ----------
    subsets_ : bool array, n_shadow × n_pool — which pool samples each shadow model trained on.
    bank_ : ModelBank — the shadow models.
    attack_ : ClassifierAttack — the attack model fitted on the shadow models' signals.
    columns_ : list of str — the columns of the signal matrix (the chosen signals, then ``"label"``).

    Examples
    --------
    >>> attack = ShadowModelAttack(TrainConfig(epochs=20, hidden=32), n_shadow=4)   # doctest: +SKIP
    >>> scores = attack.fit(X_pool, y_pool).score_target(target, X, y)               # doctest: +SKIP
    """

    def __init__(self, config: TrainConfig | None = None, n_shadow: int = 8, estimator=None, per_class: bool = True,
                 signals=DEFAULT_SIGNALS, seed: int = 0, *, device: str = "cpu", n_jobs: int | None = None,
                 progress: bool = True, use_cache: bool = True):
        self.config = config
        self.n_shadow = n_shadow
        self.estimator = estimator
        self.per_class = per_class
        self.signals = signals
        self.seed = seed
        self.device = device
        self.n_jobs = n_jobs
        self.progress = progress
        self.use_cache = use_cache

    def _check_params(self):
        config = check_recipe(self.config)
        check_int(self.n_shadow, "n_shadow", minimum=1)
        if not isinstance(self.per_class, bool | np.bool_):
            raise TypeError(f"per_class must be True or False, got {self.per_class!r}")
        if self.estimator is not None and not hasattr(self.estimator, "fit"):
            raise TypeError(f"estimator must be a scikit-learn classifier, got {self.estimator!r}")
        rng_from(self.seed)
        return config

    def _signal_matrix(self, logits: np.ndarray, y: np.ndarray) -> np.ndarray:
        S, self.columns_ = signal_matrix(compute_signals(logits, y), self.signals_, labels=y)
        return S

    def shadow_signals(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The labelled training data of the attack model, one block of rows per shadow model.

        Returns
        -------
        S : float array, (n_shadow · n_pool) × columns — signals then the label column
        is_member : bool array — True where that shadow model trained on that sample
        model : int array — which shadow model each row comes from
        """
        if not hasattr(self, "bank_"):
            raise RuntimeError("this ShadowModelAttack is not fitted yet; call fit(X_shadow, y_shadow) first")
        return self._S, self._member, self._model

    def fit(self, X_shadow, y_shadow, *, n_classes: int | None = None, subsets=None) -> ShadowModelAttack:
        """Train the shadow models on halves of the attacker's pool and the attack model on their signals.

        ``subsets`` (bool, n_shadow × n_pool) gives each shadow model's IN samples explicitly instead
        of random halves (e.g. to replay another tool's splits).
        """
        config = self._check_params()
        self.signals_ = _check_signals(self.signals)
        ref = ReferenceBank.fit(config, X_shadow, y_shadow, self.n_shadow, self.seed, subsets=subsets,
                                n_classes=n_classes, pool_name="X_shadow", param="n_shadow", device=self.device,
                                n_jobs=self.n_jobs, progress=self.progress, use_cache=self.use_cache)
        X = check_features(X_shadow, "X_shadow")
        y = as_labels(y_shadow, "y_shadow", n=len(X), n_classes=ref.n_classes)
        self.n_classes_, self.n_features_in_ = ref.n_classes, ref.n_features
        self.subsets_, self.bank_ = ref.subsets, ref.bank
        logits = self.bank_.logits(X)  # n_shadow × n_pool × classes
        self._S = np.concatenate([self._signal_matrix(logits[k], y) for k in range(self.n_shadow)])
        self._member = self.subsets_.reshape(-1).astype(bool)
        self._model = np.repeat(np.arange(self.n_shadow), len(X))
        # The label is the last column of S: the per-class attack reads it, the global one ignores it.
        self.attack_ = ClassifierAttack(self.estimator, signals=list(range(self._S.shape[1] - 1)),
                                        use_label="per_class" if self.per_class else "none",
                                        n_classes=self.n_classes_, columns=self.columns_)
        self.attack_.fit(self._S, self._member)
        return self

    def score_target(self, target, X, y) -> np.ndarray:
        """Membership scores of the target model on ``(X, y)``: higher = more likely a member.

        ``target`` is a trained model with a ``logits(X)`` method (e.g. from
        :func:`mia_edu.training.train`) or a torch module; only its outputs on ``X`` are used.
        """
        if not hasattr(self, "attack_"):
            raise RuntimeError("this ShadowModelAttack is not fitted yet; call fit(X_shadow, y_shadow) first")
        X = check_features(X, "X", n_features=self.n_features_in_)
        y = as_labels(y, "y", n=len(X), n_classes=self.n_classes_, length_of="X")
        S = self._signal_matrix(query_logits(target, X), y)
        return self.attack_.decision_function(S)

    def __repr__(self) -> str:
        return (f"ShadowModelAttack(n_shadow={self.n_shadow}, estimator={self.estimator!r}, "
                f"per_class={self.per_class}, signals={tuple(self.signals)!r}, seed={self.seed})")
