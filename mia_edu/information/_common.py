"""Shared pieces of :mod:`mia_edu.information`: input checks, the :class:`Estimate` result, entropy."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import special

from .._validation import as_2d_float, as_membership

LN2 = math.log(2.0)


# --------------------------------------------------------------------------------------- checks
def _as_features(features, is_member, name: str = "features") -> tuple[np.ndarray, np.ndarray]:
    """Features as a finite float64 (samples × columns) array plus a checked membership vector."""
    X = as_2d_float(features, name, promote_1d=True)
    m = as_membership(is_member, "is_member", n=X.shape[0], length_of=name)
    return X, m


def _check_real(value, name: str, *, minimum: float | None = None, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return float(value)


@dataclass(frozen=True)
class Estimate:
    """A number estimated from data, with its confidence interval ``(low, high)``."""

    value: float
    low: float
    high: float
    confidence: float = 0.95
    method: str = ""

    @property
    def ci(self) -> tuple[float, float]:
        return (self.low, self.high)

    def __float__(self) -> float:
        return float(self.value)

    def __str__(self) -> str:
        ci = "no CI" if np.isnan(self.low) else f"{self.confidence:.0%} CI {self.low:.4f}–{self.high:.4f}"
        return f"{self.value:.4f} ({ci}{', ' + self.method if self.method else ''})"


def binary_entropy(p) -> np.ndarray | float:
    """h(p) = −p log2 p − (1−p) log2(1−p), in bits (0 at p ∈ {0, 1}, 1 at p = 1/2)."""
    p = np.asarray(p, dtype=np.float64)
    out = (special.entr(p) + special.entr(1 - p)) / LN2
    return float(out) if out.ndim == 0 else out
