"""What the model-level attacks share: a bank of shadow / reference models trained on IN/OUT subsets
of an attacker's pool, and the lookup of which models trained on a query.

Used by :class:`~mia_edu.attacks.ShadowModelAttack`, :class:`~mia_edu.attacks.LiRA` and
:class:`~mia_edu.attacks.RMIA`. The subsets are random halves (:func:`mia_edu.splits.random_subsets`)
unless the caller gives them explicitly (replaying another tool's splits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_labels, check_int
from ..splits import random_subsets
from ..training import as_recipe, check_features, train_many
from ..training.many import _check_subsets


def check_recipe(config):
    """A TrainConfig or a recipe (:mod:`mia_edu.training.recipes`); ``None`` → ``TrainConfig()``."""
    return as_recipe(config, "config")


def _row_keys(X: np.ndarray, y: np.ndarray) -> list[bytes]:
    """One hashable key per sample: its float32 feature bytes and its label."""
    return [row.tobytes() + int(label).to_bytes(8, "little", signed=True) for row, label in zip(X, y)]


def resolve_subsets(subsets, n_models: int, n_pool: int, seed, *, param: str) -> np.ndarray:
    """The K × N IN/OUT matrix: random halves, or the caller's ``subsets`` (checked: K must be ``param``)."""
    if subsets is None:
        return random_subsets(n_pool, n_models, seed=seed)
    arr = _check_subsets(subsets, n_pool)
    if arr.shape[0] != n_models:
        raise ValueError(f"subsets has {arr.shape[0]} rows but {param}={n_models}; expected one row per model "
                         f"(set {param}={arr.shape[0]})")
    return arr


@dataclass(eq=False)
class ReferenceBank:
    """Models trained on IN/OUT subsets of a pool, and which of them trained on a given query."""

    bank: object
    subsets: np.ndarray
    n_features: int
    n_classes: int
    pool_index: dict

    @classmethod
    def fit(cls, config, X_pool, y_pool, n_models: int, seed, *, subsets=None, n_classes=None,
            pool_name: str = "X_pool", param: str = "n_reference", device: str = "cpu", n_jobs=None,
            progress: bool = True, use_cache: bool = True) -> ReferenceBank:
        X = check_features(X_pool, pool_name)
        y = as_labels(y_pool, "y" + pool_name[1:], n=len(X), length_of=pool_name)
        if len(X) < 2:
            raise ValueError(f"{pool_name} has {len(X)} sample(s); expected at least 2")
        n_classes = int(y.max()) + 1 if n_classes is None else check_int(n_classes, "n_classes", minimum=2)
        y = as_labels(y, "y" + pool_name[1:], n_classes=n_classes)
        subsets = resolve_subsets(subsets, n_models, len(X), seed, param=param)
        bank = train_many(config, X, y, subsets, n_classes=n_classes, device=device, n_jobs=n_jobs,
                          progress=progress, use_cache=use_cache)
        index = {key: i for i, key in reversed(list(enumerate(_row_keys(X, y))))}
        return cls(bank, subsets, X.shape[1], n_classes, index)

    def check_queries(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        X = check_features(X, "X", n_features=self.n_features)
        y = as_labels(y, "y", n=len(X), n_classes=self.n_classes, length_of="X")
        return X, y

    def in_pool(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """True for each query found in the pool (exact features and label)."""
        return np.array([k in self.pool_index for k in _row_keys(X, y)], dtype=bool)

    def in_mask(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """models × samples: True where the model trained on the query (matched to the pool by its exact
        features and label; a query not in the pool is OUT for every model)."""
        idx = np.array([self.pool_index.get(k, -1) for k in _row_keys(X, y)], dtype=np.int64)
        mask = np.zeros((self.subsets.shape[0], len(X)), dtype=bool)
        found = idx >= 0
        mask[:, found] = self.subsets[:, idx[found]]
        return mask

    def logits_and_mask(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Every model's logits on ``(X, y)`` (models × samples × classes) and :meth:`in_mask`."""
        X, y = self.check_queries(X, y)
        return self.bank.logits(X), self.in_mask(X, y)
