"""Membership scores of texts from per-token log-probabilities: higher means "more likely a member".

Every function takes NaN-padded arrays, texts × positions (what
:meth:`mia_edu.text.model.TrainedLM.token_stats` returns), so it can be checked on hand-made
probabilities:

- :func:`loss_score` — minus the mean per-token loss (log-perplexity); :func:`perplexity`;
- :func:`zlib_score` — log-perplexity relative to the zlib-compressed length (Carlini et al. 2021);
- :func:`min_k_score` — the mean of the k % lowest token log-probabilities (Min-K %, Shi et al. 2024);
- :func:`min_k_pp_score` — the same on log-probabilities standardised by the model's own next-token
  distribution (Min-K %++, Zhang et al. 2024);
- :func:`reference_score` — the target's loss against reference models' loss on the same text
  (the likelihood-ratio idea, Carlini et al. 2021; Mireshghallah et al. 2022).

Taught in notebook 11.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from .._validation import check_fraction


def _token_array(values, name: str) -> np.ndarray:
    arr = np.array(values, dtype=np.float64, ndmin=2)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (texts × positions, NaN-padded), got shape {arr.shape}")
    if arr.shape[0] == 0 or np.any(np.all(np.isnan(arr), axis=1)):
        raise ValueError(f"{name} must have at least one text and one non-NaN token per text")
    if np.any(np.isinf(arr)):
        raise ValueError(f"{name} has infinite values; expected finite log-probabilities (NaN = padding)")
    return arr


def loss_score(logp) -> np.ndarray:
    """−(mean per-token loss) = mean log p(x_t | x_<t) of each text (nats); members are high."""
    return np.nanmean(_token_array(logp, "logp"), axis=1)


def perplexity(logp) -> np.ndarray:
    """exp(mean per-token loss) of each text: low for members."""
    return np.exp(-loss_score(logp))


def zlib_entropy(texts: Sequence[str]) -> np.ndarray:
    """Bytes of each text after ``zlib.compress`` (level 9): a model-free measure of how much it holds."""
    if isinstance(texts, str):
        raise TypeError("texts must be a list of strings, not one string")
    return np.array([len(zlib.compress(t.encode("utf-8"), 9)) for t in texts], dtype=np.float64)


def zlib_score(logp, texts: Sequence[str]) -> np.ndarray:
    """−(log-perplexity / zlib entropy) (Carlini et al. 2021): low loss for a text zlib finds rich."""
    score = loss_score(logp)
    z = zlib_entropy(texts)
    if len(z) != len(score):
        raise ValueError(f"texts has {len(z)} entries but logp has {len(score)} rows; expected one text per row")
    return score / z


def _lowest_k_mean(values: np.ndarray, k: float) -> np.ndarray:
    """Mean of the ⌈k·n⌉ smallest non-NaN values of each row (n = the row's number of tokens)."""
    if check_fraction(k, "k", inclusive=True) == 0:
        raise ValueError(f"k must lie in (0, 1], got {k}")
    ordered = np.sort(values, axis=1)  # NaN (padding) sorts last
    n = np.sum(~np.isnan(values), axis=1)
    take = np.maximum(1, np.ceil(k * n - 1e-9)).astype(int)
    keep = np.arange(values.shape[1])[None, :] < take[:, None]
    return np.sum(np.where(keep, ordered, 0.0), axis=1) / take


def min_k_score(logp, k: float = 0.2) -> np.ndarray:
    """Min-K % (Shi et al. 2024): mean of the ⌈k·n⌉ lowest token log-probabilities; members are high.

    A non-member text has a few surprising tokens with very low probability; a member has fewer.
    """
    return _lowest_k_mean(_token_array(logp, "logp"), k)


def min_k_pp_score(logp, mean, std, k: float = 0.2) -> np.ndarray:
    """Min-K %++ (Zhang et al. 2024): Min-K % of ``(log p(x_t) − μ_t) / σ_t``.

    ``μ_t``, ``σ_t`` are the mean and standard deviation of log p(z | x_<t) for z drawn from the model's
    next-token distribution: a token is scored by how much more likely the model finds it than its
    typical next token (a local mode of the likelihood, for a training text). A position with
    ``σ_t = 0`` (a certain next token) contributes 0.
    """
    lp, mu, sd = _token_array(logp, "logp"), _token_array(mean, "mean"), _token_array(std, "std")
    if not lp.shape == mu.shape == sd.shape:
        raise ValueError(f"logp, mean and std must have one shape, got {lp.shape}, {mu.shape}, {sd.shape}")
    if np.any(sd < 0):
        raise ValueError("std must be >= 0")
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(sd > 0, (lp - mu) / np.where(sd > 0, sd, 1.0), 0.0)
    z[np.isnan(lp)] = np.nan
    return _lowest_k_mean(z, k)


def reference_score(target_loss, reference_losses) -> np.ndarray:
    """Mean reference loss − target loss per text: how much easier the target finds a text than models
    that never saw it (Carlini et al. 2021's comparison with another model; an offline LiRA without the
    Gaussian). ``reference_losses`` is references × texts."""
    t = np.asarray(target_loss, dtype=np.float64)
    r = np.array(reference_losses, dtype=np.float64, ndmin=2)
    if t.ndim != 1 or r.shape[1] != len(t):
        raise ValueError(f"reference_losses must be references × texts with {len(t)} texts, got shape {r.shape}")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(r))):
        raise ValueError("target_loss and reference_losses must be finite")
    return r.mean(axis=0) - t
