"""Who is a member: the only place where index sets are made.

A :class:`MembershipSplit` says which samples the target model trains on (``train``: the
*members*), which it never sees (``holdout``: the *non-members*), and which the attacker may use to
train shadow models (``shadow``). All index arrays are disjoint, and that is checked. Taught in
notebook 01.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import check_int, rng_from


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
    """

    train: np.ndarray
    holdout: np.ndarray
    shadow: np.ndarray
    n_samples: int

    def __post_init__(self):
        checked = check_disjoint(self.n_samples, train=self.train, holdout=self.holdout, shadow=self.shadow)
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
               seed: int | np.random.Generator = 0) -> MembershipSplit:
    """Draw disjoint member / non-member / shadow index sets uniformly at random.

    Examples
    --------
    >>> s = make_split(100, train_size=40, holdout_size=40, shadow_size=20, seed=0)
    >>> len(s.train), len(s.holdout), len(s.shadow)
    (40, 40, 20)
    """
    check_int(n_samples, "n_samples", minimum=2)
    check_int(train_size, "train_size", minimum=1)
    check_int(holdout_size, "holdout_size", minimum=1)
    check_int(shadow_size, "shadow_size", minimum=0)
    total = train_size + holdout_size + shadow_size
    if total > n_samples:
        raise ValueError(f"train_size + holdout_size + shadow_size = {total} exceeds n_samples = {n_samples}")
    perm = rng_from(seed).permutation(n_samples)
    a, b = train_size, train_size + holdout_size
    return MembershipSplit(train=np.sort(perm[:a]), holdout=np.sort(perm[a:b]),
                           shadow=np.sort(perm[b:total]), n_samples=n_samples)
