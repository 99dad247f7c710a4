"""What one forward pass reveals about a sample: the *signals* an attack is built on.

Each function takes logits (samples × classes, or models × samples × classes) and the true labels
``y`` and returns one float64 value per sample (per model). Everything is computed from
``log_softmax`` of float64 logits — never ``log(softmax(...))``, which in float32 rounds a
confident probability to exactly 1 and its loss to exactly 0. Taught in notebook 03.

Signals are raw quantities; which direction means "member" is the attack's business (low loss,
high confidence, low entropy, low modified entropy and high scaled logit all point to members).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_softmax, logsumexp

from ._validation import as_labels

SIGNALS = ("loss", "confidence", "entropy", "modified_entropy", "scaled_logit")


def _check_logits(logits) -> np.ndarray:
    try:
        z = np.asarray(logits, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"logits must be an array of numbers: {exc}") from None
    if z.ndim not in (2, 3):
        raise ValueError(f"logits must be samples × classes or models × samples × classes, got shape {z.shape}")
    if z.shape[-1] < 2:
        raise ValueError(f"logits must have at least 2 classes in the last axis, got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise ValueError("logits contain NaN or infinite values")
    return z


def _prepare(logits, y) -> tuple[np.ndarray, np.ndarray]:
    z = _check_logits(logits)
    y = as_labels(y, "y", n=z.shape[-2], n_classes=z.shape[-1], length_of="logits")
    return z, y


def _take(values: np.ndarray, y: np.ndarray) -> np.ndarray:
    """values[..., i, y[i]] for every sample i."""
    return np.take_along_axis(values, np.broadcast_to(y[:, None], values.shape[:-1] + (1,)), axis=-1)[..., 0]


def _log_rest(z: np.ndarray, cls: np.ndarray) -> np.ndarray:
    """log(1 − p_c) = logsumexp of the other logits − logsumexp of all, exact as p_c → 1."""
    masked = z.copy()
    np.put_along_axis(masked, np.broadcast_to(cls[..., None], z.shape[:-1] + (1,)), -np.inf, axis=-1)
    return logsumexp(masked, axis=-1) - logsumexp(z, axis=-1)


def log_probs(logits) -> np.ndarray:
    """Log-probabilities ``log_softmax(logits)`` in float64."""
    return log_softmax(_check_logits(logits), axis=-1)


def _phi(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z_y − logsumexp_{y'≠y} z_y' (no cancellation, even when p_y rounds to 1)."""
    yb = np.broadcast_to(y, z.shape[:-1])
    return _take(z, y) - (_log_rest(z, yb) + logsumexp(z, axis=-1))


def loss(logits, y) -> np.ndarray:
    """Cross-entropy loss ``−log p_y`` (members: low).

    Computed as ``log(1 + e^{−φ})`` from the scaled logit φ, so a loss of 1e-26 is 1e-26 and not
    the 0 (or −0) that ``logsumexp(z) − z_y`` rounds to.
    """
    z, y = _prepare(logits, y)
    return np.logaddexp(0.0, -_phi(z, y))


def confidence(logits, y) -> np.ndarray:
    """Probability of the true class ``p_y`` (members: high)."""
    z, y = _prepare(logits, y)
    return expit(_phi(z, y))


def entropy(logits, y=None) -> np.ndarray:
    """Shannon entropy of the predicted distribution, in nats (members: low). Ignores ``y``."""
    z = np.asarray(logits, dtype=np.float64)
    if y is not None:
        z, _ = _prepare(z, y)
    elif z.ndim not in (2, 3) or not np.all(np.isfinite(z)):
        raise ValueError("logits must be finite, samples × classes (or models × samples × classes)")
    lp = log_softmax(z, axis=-1)
    return -np.sum(np.exp(lp) * lp, axis=-1)


def modified_entropy(logits, y) -> np.ndarray:
    """Song & Mittal (2021)'s modified entropy, which uses the label (members: low).

    ``Mentr = −(1 − p_y) log p_y − Σ_{i≠y} p_i log(1 − p_i)``. Unlike entropy it is monotone in
    the true-class probability: a confident *wrong* prediction scores high, not low.
    """
    z, y = _prepare(logits, y)
    lp = log_softmax(z, axis=-1)
    phi = _phi(z, y)
    log1m = np.stack([_log_rest(z, np.full(z.shape[:-1], c)) for c in range(z.shape[-1])], axis=-1)
    p = np.exp(lp)
    other = p * log1m
    np.put_along_axis(other, np.broadcast_to(y[:, None], other.shape[:-1] + (1,)), 0.0, axis=-1)
    return expit(-phi) * np.logaddexp(0.0, -phi) - other.sum(axis=-1)


def scaled_logit(logits, y) -> np.ndarray:
    """LiRA's φ = log p_y − log Σ_{y'≠y} p_y' (Carlini et al. 2022), members: high.

    Computed from logits as ``z_y − logsumexp_{y'≠y} z_y'``, so it stays finite (and accurate) as
    p_y → 1, where ``log(p/(1−p))`` in floating point would give ``inf``.
    """
    z, y = _prepare(logits, y)
    return _phi(z, y)


def compute_signals(logits, y) -> dict[str, np.ndarray]:
    """All signals at once: ``{"loss", "confidence", "entropy", "modified_entropy", "scaled_logit",
    "logits"}`` (the last is the raw float64 logits)."""
    z, y = _prepare(logits, y)
    out = {name: globals()[name](z, y) for name in SIGNALS}
    out["logits"] = z
    return out
