"""Bundled, offline data sets by name.

Nothing here downloads: MNIST-1D is *generated* by the ``mnist1d`` package's ``make_dataset``
(never its ``get_dataset``, which fetches a file), and digits ships inside scikit-learn. Both come
back as a :class:`Dataset` of float32 features and int64 labels. See ``data/README.md`` for the
data cards. Taught in notebook 01.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from . import cache
from ._validation import check_int, check_seed

DATASETS = ("mnist1d", "digits")

MNIST1D_MAX_SAMPLES = 200_000
"""The most MNIST-1D samples :func:`load_dataset` generates (about 20 s on one core; the course uses 10,000)."""

_DESCRIPTIONS = {
    "mnist1d": (
        "MNIST-1D (Greydanus & Kobak, 2020): 1-D signals of length 40 made from ten digit templates "
        "by random padding, translation, shear, scaling and noise; 10 classes. Small enough to train "
        "in seconds, hard enough that an MLP overfits it visibly: the course's main teaching set."
    ),
    "digits": (
        "scikit-learn's handwritten digits (UCI optical digits): 1,797 8x8 grey images flattened to 64 "
        "features scaled to [0, 1]; 10 classes. So easy that a model barely leaks at 900 training "
        "samples, unless the training set is tiny: itself a lesson."
    ),
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features ``X`` (float32, samples × features), labels ``y`` (int64) and a short data card."""

    X: np.ndarray
    y: np.ndarray
    n_classes: int
    name: str
    description: str = field(repr=False)

    def __len__(self) -> int:
        return len(self.y)

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def __repr__(self) -> str:
        return (f"Dataset(name={self.name!r}, n_samples={len(self)}, n_features={self.n_features}, "
                f"n_classes={self.n_classes})")


def _make_mnist1d(n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset  # generation only: never get_dataset

    key = cache.make_key("mnist1d-v1", n_samples, seed)
    hit = cache.load("data", key)
    if hit is not None and _valid_entry(hit, n_samples):
        return hit["X"], hit["y"]
    args = get_dataset_args()
    args.num_samples = int(np.ceil(n_samples / 10) * 10)  # make_dataset draws num_samples // 10 per class
    args.train_split = 1.0  # one pool: mia_edu.splits makes every split
    args.seed = seed
    # make_dataset seeds numpy's and random's *global* generators; leave the caller's state untouched.
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        raw = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    X = np.asarray(raw["x"], dtype=np.float32)[:n_samples]
    y = np.asarray(raw["y"], dtype=np.int64)[:n_samples]
    cache.save("data", key, {"X": X, "y": y})
    return X, y


def _valid_entry(hit: dict, n_samples: int, n_features: int = 40, n_classes: int = 10) -> bool:
    """Whether a cached MNIST-1D entry holds what was asked for (else it is regenerated and overwritten)."""
    X, y = hit.get("X"), hit.get("y")
    return (X is not None and y is not None and X.dtype == np.float32 and y.dtype == np.int64
            and X.shape == (n_samples, n_features) and y.shape == (n_samples,)
            and bool(np.all(np.isfinite(X))) and bool(np.all((y >= 0) & (y < n_classes))))


def _make_digits(n_samples: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    raw = load_digits()
    X = (raw.data / 16.0).astype(np.float32)
    y = raw.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    if n_samples is not None:
        if n_samples > len(y):
            raise ValueError(f"n_samples={n_samples} is more than the {len(y)} samples digits has")
        order = order[:n_samples]
    return X[order], y[order]


def load_dataset(name: str, *, n_samples: int | None = None, seed: int = 0) -> Dataset:
    """Load a bundled data set by name, offline.

    Parameters
    ----------
    name : {"mnist1d", "digits"}
        Which data set. An unknown name raises ``ValueError`` listing the known ones.
    n_samples : int, optional
        How many samples. MNIST-1D is generated to this size (default 10,000; generation takes
        about a second and is cached on disk, so a second load is instant). Digits is shuffled and
        truncated (default: all 1,797).
    seed : int
        Generation seed (MNIST-1D) or shuffling seed (digits). Same seed, same arrays.

    Examples
    --------
    >>> ds = load_dataset("mnist1d", n_samples=1000)
    >>> ds.X.shape, ds.X.dtype, ds.n_classes
    ((1000, 40), dtype('float32'), 10)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, one of {DATASETS}; got {name!r}")
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key not in DATASETS:
        raise ValueError(f"unknown dataset name {name!r}; known names: {', '.join(DATASETS)}")
    check_seed(seed)
    if n_samples is not None:
        limit = MNIST1D_MAX_SAMPLES if key == "mnist1d" else None
        check_int(n_samples, "n_samples", minimum=10, maximum=limit,
                  why=" for MNIST-1D (generating more takes minutes)" if limit else "")
    if key == "mnist1d":
        X, y = _make_mnist1d(10_000 if n_samples is None else n_samples, seed)
    else:
        X, y = _make_digits(n_samples, seed)
    X.setflags(write=False)
    y.setflags(write=False)
    return Dataset(X=X, y=y, n_classes=10, name=key, description=_DESCRIPTIONS[key])
