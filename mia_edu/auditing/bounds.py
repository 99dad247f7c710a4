"""The arithmetic of a sound audit: counts of correct membership guesses → an ε lower bound.

Two bounds, one per audit design (taught in notebook 09):

- **many runs** (Jagielski, Ullman & Oprea 2020; Nasr et al. 2021): one trial per training run, so
  the attack's true- and false-positive counts over runs are binomial, and Clopper–Pearson intervals
  on TPR and FPR turn them into ``ε ≥ log((TPR_low − δ) / FPR_high)`` (or the mirrored inequality on
  the negatives). The arithmetic is :func:`mia_edu.information.dp`'s, reused as it is: what makes it a
  bound on the *training algorithm* is where the counts come from (independent runs), not the formula.
- **one run** (Steinke, Nasr & Jagielski 2023): m canaries, each included independently with
  probability 1/2 in one training run; the auditor guesses r of them (IN or OUT) and gets v right.
  For an ε-DP algorithm, v is stochastically dominated by Binomial(r, e^ε / (1 + e^ε)) (their
  Theorem 3.1), so a small tail probability rejects ε; for δ > 0 the tail gets the extra term
  ``2 m δ · max_i P[v > Binomial(r, q) ≥ v − i] / i`` (their Theorem 3.2/Proposition 5.2, the
  ``p_value_DP_audit`` of their Appendix). The lower bound is the largest ε rejected at level
  ``1 − confidence``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy import stats
from scipy.special import expit

from .._validation import check_fraction, check_int
from ..information.dp import _epsilon_from_counts


def _check_confidence(confidence) -> float:
    return check_fraction(confidence, "confidence")


def _check_delta(delta) -> float:
    return check_fraction(delta, "delta", inclusive=True)


def many_run_epsilon(true_positives, n_in: int, false_positives, n_out: int, *, delta: float = 0.0,
                     confidence: float = 0.95) -> float:
    """The ε lower bound that an attack's counts over independent training runs prove.

    ``true_positives`` of ``n_in`` runs trained *with* the canary and ``false_positives`` of
    ``n_out`` runs trained *without* it were called "member". With probability ≥ ``confidence``
    (Clopper–Pearson, two-sided, each at ``confidence``), an (ε, δ)-DP algorithm could not have
    produced counts this extreme for any ε below the returned value. 0 = nothing proved.

    >>> round(many_run_epsilon(50, 50, 0, 50), 3)   # a perfect attack on 50 + 50 runs
    2.57
    """
    n1 = check_int(n_in, "n_in", minimum=1)
    n0 = check_int(n_out, "n_out", minimum=1)
    k1 = check_int(true_positives, "true_positives", minimum=0)
    k0 = check_int(false_positives, "false_positives", minimum=0)
    if k1 > n1:
        raise ValueError(f"true_positives={k1} is more than n_in={n1}")
    if k0 > n0:
        raise ValueError(f"false_positives={k0} is more than n_out={n0}")
    return float(_epsilon_from_counts(k1, n1, k0, n0, _check_delta(delta), _check_confidence(confidence))[0])


def _check_guesses(m, r, v) -> tuple[int, int, int]:
    m = check_int(m, "m", minimum=1)
    r = check_int(r, "r", minimum=0)
    v = check_int(v, "v", minimum=0)
    if not v <= r <= m:
        raise ValueError(f"expected 0 <= v (correct guesses) <= r (guesses) <= m (canaries), got v={v}, r={r}, m={m}")
    return m, r, v


def one_run_p_value(m: int, r: int, v: int, epsilon: float, delta: float = 0.0) -> float:
    """P[≥ v of r guesses correct] under the null "the algorithm is (ε, δ)-DP" (Steinke et al. 2023).

    ``m`` canaries, each included independently with probability 1/2; ``r`` guesses (abstentions
    excluded), ``v`` of them correct. With ``q = e^ε / (1 + e^ε)`` (the accuracy of ε-randomised
    response), the δ = 0 value is the binomial tail ``P[Binomial(r, q) ≥ v]``, exact; for δ > 0 the
    paper adds ``2 m δ · max_{1≤i≤v} P[v > Binomial(r, q) ≥ v − i] / i``.

    >>> round(one_run_p_value(100, 100, 100, 3.0), 4)   # all 100 right: q^100 with q = e^3 / (1 + e^3)
    0.0078
    """
    m, r, v = _check_guesses(m, r, v)
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or math.isnan(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be a number >= 0, got {epsilon!r}")
    delta = _check_delta(delta)
    q = float(expit(epsilon))
    p = float(stats.binom.sf(v - 1, r, q))
    if delta > 0 and v > 0:
        below = stats.binom.pmf(np.arange(v - 1, -1, -1), r, q)  # P[B = v−1], P[B = v−2], …, P[B = 0]
        alpha = float(np.max(np.cumsum(below) / np.arange(1, v + 1)))
        p += 2 * m * delta * alpha
    return min(p, 1.0)


def one_run_epsilon(m: int, r: int, v: int, *, delta: float = 0.0, confidence: float = 0.95,
                    tolerance: float = 1e-6) -> float:
    """The ε lower bound of a one-run audit: the largest ε whose p-value is below ``1 − confidence``.

    Bisection on :func:`one_run_p_value`, which grows with ε; the result is rounded *down* to
    ``tolerance``, so it never overstates. 0 = nothing proved.

    >>> round(one_run_epsilon(1000, 100, 100), 3)   # 100 guesses, all right: log(q / (1 − q)), q = 0.05 ** (1 / 100)
    3.493
    """
    m, r, v = _check_guesses(m, r, v)
    delta = _check_delta(delta)
    level = 1 - _check_confidence(confidence)
    if tolerance <= 0:
        raise ValueError(f"tolerance must be > 0, got {tolerance}")
    if one_run_p_value(m, r, v, 0.0, delta) >= level:
        return 0.0
    low, high = 0.0, 1.0
    while one_run_p_value(m, r, v, high, delta) < level:  # the p-value reaches 1 as q → 1 (when v ≤ r)
        low, high = high, 2 * high
        if high > 1e3:
            return low
    while high - low > tolerance:
        mid = (low + high) / 2
        if one_run_p_value(m, r, v, mid, delta) < level:
            low = mid
        else:
            high = mid
    return low
