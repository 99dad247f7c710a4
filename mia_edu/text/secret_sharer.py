"""Exposure of an inserted secret (Carlini et al. 2019, "The Secret Sharer"), computed exactly.

Every candidate PIN (all 10^5 of them) is scored by its log-perplexity after the canary's prefix,
``−Σ_t log p(secret_t | prefix, secret_<t)`` in bits; the true secret's *rank* is 1 + the number of
candidates the model finds more likely. Exposure = log2(number of candidates) − log2(rank): 0 when the
secret looks like any other, log2(10^5) ≈ 16.6 bits when it is the model's first choice. The GRU walks
the tree of digit prefixes level by level (1 + 10 + … + 10^4 steps), so no candidate is sampled or
approximated. Taught in notebook 11.
"""

from __future__ import annotations

import numpy as np
import torch

from .._threads import single_thread
from .corpus import Canary
from .model import _INDEX, TrainedLM, encode

DIGITS = "0123456789"


def candidate_log_perplexities(lm: TrainedLM, prefix: str, n_digits: int) -> np.ndarray:
    """Log-perplexity (bits) of every ``n_digits``-digit secret after ``prefix``; entry i is the
    secret ``str(i).zfill(n_digits)``."""
    if not isinstance(lm, TrainedLM):
        raise TypeError(f"lm must be a TrainedLM, got {type(lm).__name__}")
    tokens = torch.from_numpy(encode([prefix], "prefix")[:, :len(prefix) + 1])  # BOS + prefix, no EOS
    digit_tokens = torch.tensor([_INDEX[d] for d in DIGITS])
    module = lm.module.eval()
    with torch.no_grad(), single_thread():
        logits, state = module(tokens)
        logits = logits[:, -1]
        total = torch.zeros(1, dtype=torch.float64)
        for level in range(n_digits):
            lp = torch.log_softmax(logits.double(), dim=-1)[:, digit_tokens]  # candidates so far × 10
            total = (total[:, None] - lp).reshape(-1)  # candidate c·10 + d: prefix c, then digit d
            if level + 1 < n_digits:
                state = state.repeat_interleave(10, dim=1)
                nxt = digit_tokens.repeat(len(logits))[:, None]
                logits, state = module(nxt, state)
                logits = logits[:, -1]
    return total.numpy() / np.log(2)


def secret_rank(lm: TrainedLM, canary: Canary) -> int:
    """Rank of the true secret among all candidates (1 = the model's most likely secret)."""
    if not isinstance(canary, Canary):
        raise TypeError(f"canary must be a Canary, got {type(canary).__name__}")
    if not canary.secret.isdigit():
        raise ValueError(f"canary.secret must be digits, got {canary.secret!r}")
    scores = candidate_log_perplexities(lm, canary.prefix, len(canary.secret))
    return int(1 + np.sum(scores < scores[int(canary.secret)]))


def exposure_from_rank(rank, n_candidates: int) -> np.ndarray | float:
    """log2(n_candidates) − log2(rank) (the Secret Sharer's definition)."""
    r = np.asarray(rank, dtype=np.float64)
    if np.any(r < 1) or np.any(r > n_candidates):
        raise ValueError(f"rank must lie in [1, n_candidates={n_candidates}], got {rank}")
    out = np.log2(n_candidates) - np.log2(r)
    return float(out) if out.ndim == 0 else out


def exposure(lm: TrainedLM, canary: Canary) -> float:
    """Exposure (bits) of ``canary``'s secret in ``lm``: log2(10^digits) − log2(rank)."""
    return exposure_from_rank(secret_rank(lm, canary), 10 ** len(canary.secret))


def exposure_table(lm: TrainedLM, canaries) -> list[dict]:
    """One row per insertion count: ``{"insertions", "exposure"}`` (mean over that count's canaries),
    sorted by insertions; also ``"ranks"``, the true secrets' ranks."""
    by_count: dict[int, list[int]] = {}
    for c in canaries:
        by_count.setdefault(c.insertions, []).append(secret_rank(lm, c))
    rows = []
    for r in sorted(by_count):
        ranks = by_count[r]
        n = 10 ** len(next(c for c in canaries if c.insertions == r).secret)
        rows.append({"insertions": r, "exposure": float(np.mean(exposure_from_rank(np.array(ranks), n))),
                     "ranks": ranks})
    return rows
