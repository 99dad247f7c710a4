"""The link to differential privacy: the advantage an ε allows, and a per-sample estimate of ε for one model.

:func:`dp_advantage_bound` is a theorem about (ε, δ)-DP training algorithms. The
``per_sample_epsilon_estimate*`` functions are *not* a DP audit: they put confidence intervals on the
TPR and FPR that one attack reaches on the samples of **one** trained model, as if each sample were
an independent trial of the training algorithm. DP is a property of the training algorithm (the
distribution over models), so a sound audit needs one trial per training run (Jagielski, Ullman &
Oprea 2020) or canaries included independently at random in a single run (Steinke, Nasr &
Jagielski 2023). What they do measure is how distinguishable this model's members are from its
non-members, in the units of ε. Taught in notebook 06.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from scipy import stats

from .._validation import check_fraction, check_int
from ..metrics import check_scores


def _check_epsilon_delta(epsilon, delta) -> tuple[float, float]:
    if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or math.isnan(epsilon):
        raise TypeError(f"epsilon must be a number, got {epsilon!r}")
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon}")
    return float(epsilon), check_fraction(delta, "delta", inclusive=True)


def dp_advantage_bound(epsilon: float, delta: float = 0.0) -> float:
    """The largest membership advantage (TPR − FPR) any attack can have on an (ε, δ)-DP model.

    ``(e^ε − 1 + 2δ) / (e^ε + 1)``, which is ``tanh(ε/2)`` for δ = 0 (Kairouz et al. 2015: every
    attack satisfies ``TPR ≤ e^ε FPR + δ`` and ``1 − FPR ≤ e^ε (1 − TPR) + δ``).

    >>> round(dp_advantage_bound(1.0), 4)
    0.4621
    """
    eps, delta = _check_epsilon_delta(epsilon, delta)
    if math.isinf(eps):
        return 1.0
    return min(1.0, (math.expm1(eps) + 2 * delta) / (math.exp(eps) + 1))


def _clopper_pearson(k, n, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) interval for k successes in n trials, vectorised.

    The same numbers as ``scipy.stats.binomtest(k, n).proportion_ci(confidence, method="exact")``
    (its beta-quantile form), but for many k at once.
    """
    k, n = np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return low, high


def _epsilon_from_counts(k1, n1, k0, n0, delta, confidence) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ε lower bounds from k1/n1 members and k0/n0 non-members called "member" (arrays of k)."""
    tpr_lo = _clopper_pearson(k1, n1, confidence)[0]
    fpr_hi = _clopper_pearson(k0, n0, confidence)[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.log(np.maximum(tpr_lo - delta, 0.0) / fpr_hi)          # TPR ≤ e^ε FPR + δ
        mirror = np.log(np.maximum(1 - delta - fpr_hi, 0.0) / (1 - tpr_lo))  # 1 − FPR ≤ e^ε (1 − TPR) + δ
    eps = np.maximum(0.0, np.maximum(np.nan_to_num(direct, nan=0.0, neginf=0.0),
                                     np.nan_to_num(mirror, nan=0.0, neginf=0.0)))
    return eps, tpr_lo, fpr_hi


def per_sample_epsilon_estimate(tpr, fpr, n_members: int, n_non_members: int, *, delta: float = 0.0,
                                confidence: float = 0.95) -> float:
    """The ε that one attack's operating point on one model *suggests*, with per-sample intervals.

    An (ε, δ)-DP training algorithm forces every attack to satisfy ``TPR ≤ e^ε FPR + δ`` and
    ``1 − FPR ≤ e^ε (1 − TPR) + δ``, where the rates are over the randomness of *training*. This
    function plugs in rates measured over the members and non-members of **one** trained model:
    ``max(log((TPR − δ)/FPR), log((1 − δ − FPR)/(1 − TPR)))``, with a Clopper–Pearson *lower*
    limit for TPR and *upper* limit for FPR (two-sided ``confidence`` intervals). The intervals treat
    the samples as independent trials, which they are not for a DP claim (they share one training
    run), so the result is a per-sample **estimate** of how distinguishable this model's members are,
    not a statistically valid lower bound on the algorithm's ε. A sound audit trains one model per
    trial (Jagielski et al. 2020) or inserts canaries at random (Steinke, Nasr & Jagielski 2023).
    0 means "no evidence of leakage at this operating point".

    >>> round(per_sample_epsilon_estimate(0.5, 0.05, 1000, 1000), 2)   # log(0.5 / 0.05) = 2.30 before the CIs
    1.97
    """
    n1 = check_int(n_members, "n_members", minimum=1)
    n0 = check_int(n_non_members, "n_non_members", minimum=1)
    tpr = check_fraction(tpr, "tpr", inclusive=True)
    fpr = check_fraction(fpr, "fpr", inclusive=True)
    _, delta = _check_epsilon_delta(0.0, delta)
    check_fraction(confidence, "confidence")
    return float(_epsilon_from_counts(round(tpr * n1), n1, round(fpr * n0), n0, delta, confidence)[0])


@dataclass(frozen=True)
class EpsilonBound:
    """A per-sample ε estimate and the threshold (``score ≥ threshold`` ⇒ member) it was read at.

    Returned by :func:`per_sample_epsilon_estimate_from_scores`; an estimate for one model, not a
    lower bound on a training algorithm's ε (see the module docstring).
    """

    epsilon: float
    threshold: float
    tpr: float
    fpr: float
    tpr_low: float
    fpr_high: float
    n_thresholds: int
    confidence: float

    def __float__(self) -> float:
        return self.epsilon


def per_sample_epsilon_estimate_from_scores(scores, is_member, *, delta: float = 0.0, confidence: float = 0.95,
                                            max_thresholds: int = 64) -> EpsilonBound:
    """:func:`per_sample_epsilon_estimate` maximised over thresholds, without optimism from the search.

    Still a per-sample estimate for one model (see :func:`per_sample_epsilon_estimate` for why it is
    not a DP lower bound). Trying many thresholds and keeping the best would add a second optimism on
    top, so the thresholds are fixed
    in advance by rank — the j-th highest non-member score (a low-FPR rule) and the j-th lowest
    member score (a low-FNR rule) for geometrically spaced j — or every distinct score when there
    are at most ``max_thresholds`` of them; and each one's Clopper–Pearson intervals are taken at
    ``1 − (1 − confidence) / T`` for T candidates (Bonferroni), so the maximum over thresholds is
    covered as well as a single threshold would be — under the per-sample independence assumption.
    """
    s, m = check_scores(scores, is_member)
    _, delta = _check_epsilon_delta(0.0, delta)
    check_fraction(confidence, "confidence")
    T = check_int(max_thresholds, "max_thresholds", minimum=2)
    s1, s0 = np.sort(s[m]), np.sort(s[~m])
    distinct = np.unique(s)
    if len(distinct) <= T:
        thresholds = distinct
    else:
        ranks0 = np.unique(np.geomspace(1, max(1, len(s0) // 2), T // 2).astype(int))
        ranks1 = np.unique(np.geomspace(1, max(1, len(s1) // 2), T - T // 2).astype(int))
        thresholds = np.unique(np.r_[s0[::-1][ranks0 - 1], s1[ranks1 - 1]])
    per_confidence = 1 - (1 - confidence) / len(thresholds)
    k1 = len(s1) - np.searchsorted(s1, thresholds, side="left")
    k0 = len(s0) - np.searchsorted(s0, thresholds, side="left")
    eps, tpr_lo, fpr_hi = _epsilon_from_counts(k1, len(s1), k0, len(s0), delta, per_confidence)
    i = int(np.argmax(eps))
    return EpsilonBound(float(eps[i]), float(thresholds[i]), k1[i] / len(s1), k0[i] / len(s0),
                        float(tpr_lo[i]), float(fpr_hi[i]), len(thresholds), confidence)
