"""The verdict on an unlearned model: a paired comparison with retraining, with an equivalence margin.

Both models are judged on the same forget samples, so the comparison is paired (McNemar; a paired
bootstrap over forget samples for the interval), and "no significant difference" is not taken for
"equivalent": the verdict "as retraining" needs the interval inside an explicit margin (TOST), and
there is a third answer, "can't tell". Taught in notebook 07.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._validation import check_fraction, check_int, rng_from

DEFAULT_MARGIN = 0.05
"""Equivalence margin of the verdict: "as retraining" means within ±5 percentage points of retraining's
forget-as-member rate (the spread of that rate over retraining seeds was 1–3 points in notebook 07)."""

VERDICTS = ("as retraining", "under-unlearning", "over-unlearning", "can't tell")


@dataclass(frozen=True)
class PairedGap:
    """The paired comparison of two models' calls on the same samples (see :func:`paired_gap`).

    gap : rate(called) − rate(called_ref); low, high : its paired-bootstrap interval at ``confidence``;
    mcnemar_p : exact McNemar p-value (two-sided) of "no difference"; n_up, n_down : samples called
    member by the first model only, by the reference only; margin : the equivalence margin; verdict.
    """

    gap: float
    low: float
    high: float
    mcnemar_p: float
    n_up: int
    n_down: int
    margin: float
    confidence: float
    verdict: str


def paired_gap(called, called_ref, *, margin: float = DEFAULT_MARGIN, confidence: float = 0.90,
               alpha: float = 0.05, n_boot: int = 4000, seed: int = 0) -> PairedGap:
    """Compare two models' member calls on the **same** samples: gap, interval, test and verdict.

    The samples are paired (both models judge sample i), so the information is in the discordant
    ones: ``n_up`` called member by ``called`` only, ``n_down`` by ``called_ref`` only. The gap in
    rates is ``(n_up − n_down) / n``; its interval is the percentile interval of a paired
    bootstrap over samples (drawn as multinomial counts of the three kinds of pair, which is the
    same thing, exactly, and fast). The verdict, in this order:

    1. **"as retraining"** when the whole ``confidence`` interval lies within ``±margin``
       (two one-sided tests, TOST, at level ``(1 − confidence) / 2``: 5 % for the default 90 %);
    2. **"under-unlearning"** / **"over-unlearning"** when the exact McNemar test (a binomial test
       of ``n_up`` out of ``n_up + n_down`` at 1/2) rejects "no difference" at ``alpha`` and the gap
       is positive / negative;
    3. **"can't tell"** otherwise: the data are compatible both with equivalence and with a gap
       larger than the margin (too few samples, or a margin too tight for them).

    Examples
    --------
    >>> same = np.r_[np.ones(40, bool), np.zeros(60, bool)]
    >>> paired_gap(same, same).verdict
    'as retraining'
    """
    a = np.asarray(called)
    b = np.asarray(called_ref)
    for name, v in (("called", a), ("called_ref", b)):
        if v.ndim != 1 or v.size == 0 or not (v.dtype == bool or np.all(np.isin(v, (0, 1)))):
            raise ValueError(f"{name} must be a non-empty 1-D array of booleans (called member), got shape {v.shape}")
    if a.shape != b.shape:
        raise ValueError(f"called has {a.size} samples but called_ref has {b.size}; expected the same samples")
    margin = check_fraction(margin, "margin", inclusive=False)
    confidence = check_fraction(confidence, "confidence")
    alpha = check_fraction(alpha, "alpha")
    check_int(n_boot, "n_boot", minimum=100)
    a, b = a.astype(bool), b.astype(bool)
    n = a.size
    n_up, n_down = int(np.sum(a & ~b)), int(np.sum(~a & b))
    gap = (n_up - n_down) / n
    counts = rng_from(seed).multinomial(n, [n_up / n, n_down / n, 1 - (n_up + n_down) / n], size=n_boot)
    boot = (counts[:, 0] - counts[:, 1]) / n
    low, high = (float(v) for v in np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2]))
    p = 1.0 if n_up + n_down == 0 else float(stats.binomtest(n_up, n_up + n_down, 0.5).pvalue)
    if -margin < low and high < margin:
        verdict = "as retraining"
    elif p < alpha:
        verdict = "under-unlearning" if gap > 0 else "over-unlearning"
    else:
        verdict = "can't tell"
    return PairedGap(gap, low, high, p, n_up, n_down, margin, confidence, verdict)


def paired_dict(v: PairedGap) -> dict:
    """A :class:`PairedGap` as rounded plain numbers (JSON)."""
    return {"gap": round(v.gap, 4), "ci": [round(v.low, 4), round(v.high, 4)], "confidence": v.confidence,
            "margin": v.margin, "mcnemar_p": round(v.mcnemar_p, 6), "n_up": v.n_up, "n_down": v.n_down,
            "verdict": v.verdict}
