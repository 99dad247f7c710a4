"""Who is a member: the only place where index sets are made.

A :class:`MembershipSplit` says which samples the target model trains on (``train``: the
*members*), which it never sees (``holdout``: the *non-members*), which the attacker may use to
train shadow models (``shadow``), and which the defender may use to tune training, e.g. early
stopping (``validation``: neither a member nor an evaluation non-member, notebook 08). All index
arrays are disjoint, and that is checked. Taught in notebook 01.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import check_fraction, check_int, rng_from


def _as_index(values, name: str, n_samples: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of sample indices, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer indices, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if arr.size and (arr.min() < 0 or arr.max() >= n_samples):
        raise ValueError(f"{name} has indices outside [0, {n_samples - 1}] "
                         f"(found {arr.min()}..{arr.max()}); expected indices into {n_samples} samples")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{name} contains repeated indices; expected each sample at most once")
    return arr


def check_disjoint(n_samples: int, **index_sets) -> dict[str, np.ndarray]:
    """Validate named index arrays: in range, no repeats, pairwise disjoint. Returns them as int64."""
    arrays = {name: _as_index(v, name, n_samples) for name, v in index_sets.items()}
    names = list(arrays)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            common = np.intersect1d(arrays[a], arrays[b])
            if common.size:
                raise ValueError(f"{a} and {b} overlap in {common.size} indices (e.g. {common[:3].tolist()}); "
                                 "members and non-members must be disjoint")
    for arr in arrays.values():
        arr.setflags(write=False)
    return arrays


@dataclass(frozen=True, eq=False)
class MembershipSplit:
    """Disjoint index arrays into one data set.

    Attributes
    ----------
    train : members: the target model is trained on these.
    holdout : non-members from the same distribution, never seen by the target.
    shadow : the attacker's own pool (for shadow or reference models); may be empty.
    n_samples : the size of the data set the indices point into.
    validation : the defender's held-out set for tuning training (early stopping, notebook 08); never
        a member and never scored as a non-member, so tuning on it does not touch the evaluation.
        May be empty (the default).
    """

    train: np.ndarray
    holdout: np.ndarray
    shadow: np.ndarray
    n_samples: int
    validation: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self):
        checked = check_disjoint(self.n_samples, train=self.train, holdout=self.holdout, shadow=self.shadow,
                                 validation=self.validation)
        for name, arr in checked.items():
            object.__setattr__(self, name, arr)

    @property
    def members(self) -> np.ndarray:
        return self.train

    @property
    def non_members(self) -> np.ndarray:
        return self.holdout

    def evaluation(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices of members then non-members, and the matching boolean ``is_member``."""
        idx = np.concatenate([self.train, self.holdout])
        is_member = np.concatenate([np.ones(len(self.train), bool), np.zeros(len(self.holdout), bool)])
        return idx, is_member


def make_split(n_samples: int, *, train_size: int, holdout_size: int, shadow_size: int = 0,
               validation_size: int = 0, seed: int | np.random.Generator = 0) -> MembershipSplit:
    """Draw disjoint member / non-member / shadow (/ validation) index sets uniformly at random.

    The validation set is drawn after the others from the same permutation, so adding one leaves
    the train, holdout and shadow sets of a seed unchanged.

    Examples
    --------
    >>> s = make_split(100, train_size=40, holdout_size=40, shadow_size=20, seed=0)
    >>> len(s.train), len(s.holdout), len(s.shadow), len(s.validation)
    (40, 40, 20, 0)
    >>> v = make_split(100, train_size=40, holdout_size=30, validation_size=10, seed=0)
    >>> len(v.validation), bool((v.train == make_split(100, train_size=40, holdout_size=30).train).all())
    (10, True)
    """
    check_int(n_samples, "n_samples", minimum=2)
    check_int(train_size, "train_size", minimum=1)
    check_int(holdout_size, "holdout_size", minimum=1)
    check_int(shadow_size, "shadow_size", minimum=0)
    check_int(validation_size, "validation_size", minimum=0)
    total = train_size + holdout_size + shadow_size
    if total + validation_size > n_samples:
        raise ValueError(f"train_size + holdout_size + shadow_size + validation_size = {total + validation_size} "
                         f"exceeds n_samples = {n_samples}")
    perm = rng_from(seed).permutation(n_samples)
    a, b = train_size, train_size + holdout_size
    return MembershipSplit(train=np.sort(perm[:a]), holdout=np.sort(perm[a:b]),
                           shadow=np.sort(perm[b:total]), n_samples=n_samples,
                           validation=np.sort(perm[total:total + validation_size]))


def random_subsets(n_samples: int, n_models: int, *, p_in: float = 0.5,
                   seed: int | np.random.Generator = 0) -> np.ndarray:
    """Which samples each of ``n_models`` shadow / reference models trains on (LiRA's recipe).

    For every sample, the models are put in a random order and the sample is IN for the first
    ``n_models · p_in`` of them, so each sample is IN for exactly ``n_models · p_in`` models when
    that is an integer (e.g. 8 of 16 at ``p_in=0.5``), and for its floor or ceiling (at random, with
    the right mean) otherwise. Each model then trains on about ``n_samples · p_in`` samples.
    Carlini et al. (2022), "Membership inference attacks from first principles". Taught in notebook 05.

    Parameters
    ----------
    n_samples : int
        Size of the pool the models draw from.
    n_models : int
        Number of models K.
    p_in : float in (0, 1)
        Fraction of the models each sample is IN for.
    seed : int or numpy.random.Generator
        Same seed, same subsets.

    Returns
    -------
    numpy.ndarray of bool, shape (n_models, n_samples)
        Row ``k`` marks the samples model ``k`` trains on (pass it to
        :func:`mia_edu.training.train_many`).

    Examples
    --------
    >>> s = random_subsets(6, 4, seed=0)
    >>> s.shape, s.sum(axis=0).tolist()
    ((4, 6), [2, 2, 2, 2, 2, 2])
    """
    check_int(n_samples, "n_samples", minimum=1)
    check_int(n_models, "n_models", minimum=1)
    p_in = check_fraction(p_in, "p_in")
    rng = rng_from(seed)
    target = n_models * p_in
    counts = np.full(n_samples, int(np.floor(target)))
    frac = target - np.floor(target)
    if frac > 1e-12:
        counts += rng.random(n_samples) < frac
    # rank[k, i]: the position of model k in sample i's own random order of the models.
    rank = rng.permuted(np.broadcast_to(np.arange(n_models)[:, None], (n_models, n_samples)), axis=0)
    return rank < counts[None, :]


def make_shifted_split(covariate, *, train_size: int, holdout_size: int, shadow_size: int = 0,
                       strength: float = 2.0, seed: int | np.random.Generator = 0) -> MembershipSplit:
    """A deliberately *improper* split: members and non-members drawn differently (notebook 10).

    Members (and the attacker's pool) favour samples with a low ``covariate``, non-members a high
    one: sample i's weight is ``exp(∓ strength · z_i)`` with ``z`` the standardised covariate
    (weighted sampling without replacement, by Gumbel top-k). ``strength=0`` is an ordinary random
    split. Use it to see a blind baseline (:class:`mia_edu.attacks.BlindAttack`), and every attack,
    score well without membership having anything to do with it (Das et al. 2024).

    Parameters
    ----------
    covariate : array, one value per sample
        What the selection depends on (e.g. each MNIST-1D signal's mean, ``X.mean(axis=1)``).
    train_size, holdout_size, shadow_size : int
        As in :func:`make_split`.
    strength : float >= 0
        How strongly selection depends on the covariate.
    seed : int or numpy Generator

    Examples
    --------
    >>> c = np.arange(1000.0)
    >>> s = make_shifted_split(c, train_size=200, holdout_size=200, strength=3.0)
    >>> bool(c[s.train].mean() < c[s.holdout].mean())
    True
    """
    from ._validation import as_1d_float

    c = as_1d_float(covariate, "covariate")
    n = len(c)
    check_int(train_size, "train_size", minimum=1)
    check_int(holdout_size, "holdout_size", minimum=1)
    check_int(shadow_size, "shadow_size", minimum=0)
    if isinstance(strength, bool) or not np.isfinite(strength) or strength < 0:
        raise ValueError(f"strength must be a finite number >= 0, got {strength!r}")
    total = train_size + holdout_size + shadow_size
    if total > n:
        raise ValueError(f"train_size + holdout_size + shadow_size = {total} exceeds the {n} samples of covariate")
    rng = rng_from(seed)
    sd = c.std()
    z = (c - c.mean()) / sd if sd > 0 else np.zeros(n)
    gumbel = rng.gumbel(size=(2, n))
    # members + pool first (low covariate), then non-members from the rest (high covariate)
    low = np.argsort(-(-strength * z + gumbel[0]), kind="stable")[:train_size + shadow_size]
    rest = np.setdiff1d(np.arange(n), low)
    high = rest[np.argsort(-(strength * z[rest] + gumbel[1, rest]), kind="stable")[:holdout_size]]
    low = rng.permutation(low)
    return MembershipSplit(train=np.sort(low[:train_size]), holdout=np.sort(high),
                           shadow=np.sort(low[train_size:]), n_samples=n)


FORGET_MODES = ("random", "class")


@dataclass(frozen=True, eq=False)
class UnlearningSplit:
    """Disjoint index arrays for evaluating machine unlearning.

    The original model trained on ``retain ∪ forget`` (its training set, :attr:`train`); unlearning
    asks it to forget ``forget`` while keeping what it learnt from ``retain``. ``validation`` holds
    non-members from the same distribution (the MIA is fitted on retain vs validation), ``test`` is
    for accuracy (and the NeurIPS-2023 starting kit's forget-vs-test attack). Taught in notebook 07.

    Attributes
    ----------
    retain : training samples the model must keep (members before and after unlearning).
    forget : training samples the model must forget (members before, non-members after retraining).
    validation : non-members the attack is fitted on (and reference rates are measured on).
    test : non-members for test accuracy.
    n_samples : the size of the data set the indices point into.
    """

    retain: np.ndarray
    forget: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    n_samples: int

    def __post_init__(self):
        check_int(self.n_samples, "n_samples", minimum=2)
        checked = check_disjoint(self.n_samples, retain=self.retain, forget=self.forget,
                                 validation=self.validation, test=self.test)
        for name, arr in checked.items():
            if arr.size == 0:
                raise ValueError(f"{name} is empty; an unlearning split needs at least one {name} sample")
            object.__setattr__(self, name, arr)

    @classmethod
    def from_train(cls, train, forget, validation, test, n_samples: int) -> UnlearningSplit:
        """Build a split from the original training set and the part of it to forget.

        ``forget`` must lie inside ``train``; ``retain`` is the rest of ``train``.
        """
        check_int(n_samples, "n_samples", minimum=2)
        arrays = check_disjoint(n_samples, train=train, validation=validation, test=test)
        forget = _as_index(forget, "forget", n_samples)
        outside = np.setdiff1d(forget, arrays["train"])
        if outside.size:
            raise ValueError(f"forget has {outside.size} indices outside the training set (e.g. "
                             f"{outside[:3].tolist()}); the forget set must be part of train")
        retain = np.setdiff1d(arrays["train"], forget)
        return cls(retain=retain, forget=np.sort(forget), validation=arrays["validation"],
                   test=arrays["test"], n_samples=n_samples)

    @property
    def train(self) -> np.ndarray:
        """The original training set: ``retain ∪ forget`` (sorted)."""
        return np.sort(np.concatenate([self.retain, self.forget]))

    def sizes(self) -> dict[str, int]:
        """Number of samples in each part."""
        return {name: len(getattr(self, name)) for name in ("retain", "forget", "validation", "test")}


def make_unlearning_split(n_samples: int, *, train_size: int, forget_size: int | None = None,
                          validation_size: int, test_size: int, forget: str = "random",
                          forget_class=None, y=None, seed: int | np.random.Generator = 0) -> UnlearningSplit:
    """Draw a training set (retain + forget), a validation set and a test set, all disjoint.

    The training, validation and test sets depend only on the sizes and the seed, not on how the
    forget set is chosen, so a random and a class-wise forget set of the same seed share one
    original model.

    Parameters
    ----------
    n_samples : size of the data set.
    train_size : size of the original training set (retain + forget).
    forget_size : how many training samples to forget. Required for ``forget="random"``; for
        ``forget="class"``, ``None`` (default) forgets every training sample of the class(es).
    validation_size, test_size : non-members for fitting the attack and for accuracy.
    forget : ``"random"`` (a uniform random subset of the training set) or ``"class"`` (training
        samples of ``forget_class``: the other classic case).
    forget_class : int or list of int; the class(es) to forget (``forget="class"`` only).
    y : labels of all ``n_samples`` samples (``forget="class"`` only).
    seed : int or numpy Generator.

    Examples
    --------
    >>> s = make_unlearning_split(100, train_size=50, forget_size=10, validation_size=30, test_size=20)
    >>> s.sizes()
    {'retain': 40, 'forget': 10, 'validation': 30, 'test': 20}
    """
    from ._validation import as_labels

    check_int(n_samples, "n_samples", minimum=2)
    check_int(train_size, "train_size", minimum=2)
    check_int(validation_size, "validation_size", minimum=1)
    check_int(test_size, "test_size", minimum=1)
    if forget not in FORGET_MODES:
        raise ValueError(f"forget must be one of {FORGET_MODES}, got {forget!r}")
    total = train_size + validation_size + test_size
    if total > n_samples:
        raise ValueError(f"train_size + validation_size + test_size = {total} exceeds n_samples = {n_samples}")
    rng = rng_from(seed)
    perm = rng.permutation(n_samples)
    a, b = train_size, train_size + validation_size
    train, validation, test = np.sort(perm[:a]), np.sort(perm[a:b]), np.sort(perm[b:total])
    if forget == "random":
        if forget_class is not None or y is not None:
            raise ValueError("forget_class and y are only used with forget='class'")
        if forget_size is None:
            raise TypeError("forget_size is required for forget='random'")
        check_int(forget_size, "forget_size", minimum=1)
        if forget_size >= train_size:
            raise ValueError(f"forget_size must be smaller than train_size = {train_size} (something must be "
                             f"retained), got {forget_size}")
        chosen = rng.choice(train, size=forget_size, replace=False)
    else:
        if y is None or forget_class is None:
            raise TypeError("forget='class' needs the labels y and the forget_class")
        labels = as_labels(y, "y", n=n_samples, length_of="the data set (n_samples)")
        classes = np.atleast_1d(np.asarray(forget_class))
        if classes.ndim != 1 or classes.size == 0 or not np.issubdtype(classes.dtype, np.integer):
            raise TypeError(f"forget_class must be an integer class or a list of them, got {forget_class!r}")
        candidates = train[np.isin(labels[train], classes)]
        if candidates.size == 0:
            raise ValueError(f"the training set holds no sample of forget_class={forget_class!r}")
        if forget_size is None:
            chosen = candidates
        else:
            check_int(forget_size, "forget_size", minimum=1)
            if forget_size > candidates.size:
                raise ValueError(f"forget_size = {forget_size} exceeds the {candidates.size} training samples "
                                 f"of forget_class={forget_class!r}")
            chosen = rng.choice(candidates, size=forget_size, replace=False)
        if chosen.size >= train_size:
            raise ValueError("forgetting these classes would leave nothing to retain")
    return UnlearningSplit.from_train(train, chosen, validation, test, n_samples)
