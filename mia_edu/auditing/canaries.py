"""Canaries: samples made so that their membership is easy to detect, and inserting them at random.

An audit asks "could an attacker tell whether *this* sample was in the training set?" for the
sample that makes the answer easiest, because DP promises the answer is hard for *every* sample.
Typical data is learned from its neighbours whether it is in or not, so audits plant canaries
(taught in notebook 09):

- ``"mislabelled"``: a real input (from data the model never sees otherwise) with a wrong label.
  Only memorising that very sample makes the model predict the wrong label, so IN and OUT differ.
- ``"out_of_distribution"``: a uniform-noise input (each feature drawn in the data's range) with a
  random label: nothing else in the data resembles it, so nothing else teaches its label.

(Gradient-space canaries, which white-box audits insert directly into DP-SGD's summed gradients,
need access to the optimiser and are out of scope here.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_labels, check_fraction, check_int, rng_from
from ..training import check_features

CANARY_KINDS = ("mislabelled", "out_of_distribution")
"""The kinds :func:`make_canaries` makes."""


@dataclass(frozen=True, eq=False)
class Canaries:
    """Canary samples: inputs ``X``, (planted) labels ``y``, and the ``kind`` they were made as.

    ``source`` holds, for ``"mislabelled"`` canaries, the index of each one's input in the array it was
    drawn from (−1 for generated inputs) and ``true_y`` its original label (−1 when there is none).
    """

    X: np.ndarray
    y: np.ndarray
    kind: str
    source: np.ndarray
    true_y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index) -> Canaries:
        """A subset of the canaries (an int, slice, index array or boolean mask)."""
        index = np.atleast_1d(np.arange(len(self))[index])
        return Canaries(self.X[index], self.y[index], self.kind, self.source[index], self.true_y[index])

    def __repr__(self) -> str:
        return f"Canaries(n={len(self)}, kind={self.kind!r}, n_features={self.X.shape[1]})"


def make_canaries(X, y, n_canaries: int, *, kind: str = "mislabelled", n_classes: int | None = None,
                  seed=0) -> Canaries:
    """Make ``n_canaries`` canaries of ``kind`` from the data ``(X, y)``.

    Parameters
    ----------
    X, y : arrays
        Data the canaries are made from. For ``"mislabelled"``, pass samples that are *not* otherwise in
        the training set (e.g. a held-out part): ``n_canaries`` of them are drawn without replacement
        and each gets a label drawn uniformly among the *other* classes. For ``"out_of_distribution"``
        only the range of each feature (and the number of classes) is used.
    n_canaries : int
        How many.
    kind : {"mislabelled", "out_of_distribution"}
    n_classes : int, optional
        Number of classes (default ``max(y) + 1``).
    seed : int or numpy.random.Generator
        Same seed, same canaries.

    Examples
    --------
    >>> from mia_edu.data import load_dataset
    >>> ds = load_dataset("digits")
    >>> c = make_canaries(ds.X, ds.y, 5, seed=0)
    >>> bool(np.all(c.y != c.true_y)), c.X.shape
    (True, (5, 64))
    """
    X = check_features(X, "X")
    y = as_labels(y, "y", n=len(X), length_of="X")
    n = check_int(n_canaries, "n_canaries", minimum=1)
    if kind not in CANARY_KINDS:
        raise ValueError(f"kind must be one of {CANARY_KINDS}, got {kind!r}")
    n_classes = int(y.max()) + 1 if n_classes is None else check_int(n_classes, "n_classes", minimum=2)
    if n_classes < 2:
        raise ValueError(f"canaries need at least 2 classes, y has {n_classes}")
    rng = rng_from(seed)
    if kind == "mislabelled":
        if n > len(X):
            raise ValueError(f"n_canaries={n} is more than the {len(X)} samples they are drawn from")
        source = rng.choice(len(X), size=n, replace=False)
        true_y = y[source]
        shift = rng.integers(1, n_classes, size=n)  # 1 … n_classes − 1: never the true class
        return Canaries(X[source].copy(), (true_y + shift) % n_classes, kind, source, true_y.copy())
    low, high = X.min(axis=0), X.max(axis=0)
    inputs = (low + (high - low) * rng.random((n, X.shape[1]))).astype(np.float32)
    return Canaries(inputs, rng.integers(0, n_classes, size=n), kind, np.full(n, -1), np.full(n, -1))


def draw_inclusion(n_canaries: int, *, p: float = 0.5, seed=0) -> np.ndarray:
    """Which canaries go into the training set: each independently with probability ``p`` (a bool mask).

    The independence is what the one-run audit's bound rests on (Steinke et al. 2023), so the mask
    must be drawn *before* training and without looking at the canaries.
    """
    n = check_int(n_canaries, "n_canaries", minimum=1)
    p = check_fraction(p, "p")
    return rng_from(seed).random(n) < p


def insert_canaries(X, y, canaries: Canaries, include) -> tuple[np.ndarray, np.ndarray]:
    """The training set ``(X, y)`` with the canaries that ``include`` marks appended.

    ``include`` is a bool mask over the canaries (e.g. :func:`draw_inclusion`). Returns new arrays.
    """
    if not isinstance(canaries, Canaries):
        raise TypeError(f"canaries must be Canaries (make_canaries), got {type(canaries).__name__}")
    X = check_features(X, "X", n_features=canaries.X.shape[1])
    y = as_labels(y, "y", n=len(X), length_of="X")
    include = np.asarray(include)
    if include.dtype != bool or include.shape != (len(canaries),):
        raise ValueError(f"include must be a bool mask with one entry per canary ({len(canaries)}), "
                         f"got dtype {include.dtype}, shape {include.shape}")
    return (np.concatenate([X, canaries.X[include]]).astype(np.float32),
            np.concatenate([y, canaries.y[include]]).astype(np.int64))
