"""How to score an attack, as the literature does — on top of scikit-learn's metrics.

Convention everywhere: **a higher score means "more likely a member"**. A signal where members are
*low* (loss) is turned into a score by negating it. Taught in notebooks 01 and 04.

- ROC curve and AUC (``sklearn.metrics.roc_curve`` / ``roc_auc_score``);
- TPR at a fixed low FPR (0.1 %, 1 %), the figure that matters when an attacker must be sure
  (Carlini et al. 2022), read conservatively from the ROC: the best TPR with FPR ≤ the target;
- advantage = max over thresholds of TPR − FPR (Yeom et al. 2018) = Youden's J of the best threshold;
- balanced accuracy and Youden's J of hard predictions;
- stratified bootstrap confidence intervals for any of these.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import metrics as skm

from ._validation import as_1d_float, as_membership, check_fraction, check_int, rng_from


def check_scores(scores, is_member) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (scores, is_member) pair: finite 1-D scores, same length, both classes present."""
    s = as_1d_float(scores, "scores")
    m = as_membership(is_member, "is_member", n=len(s), length_of="scores")
    return s, m


def roc_curve(scores, is_member) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False-positive rates, true-positive rates and thresholds (``sklearn.metrics.roc_curve``)."""
    s, m = check_scores(scores, is_member)
    return skm.roc_curve(m, s, drop_intermediate=False)


def roc_auc(scores, is_member) -> float:
    """Area under the ROC curve: P(score of a random member > score of a random non-member)."""
    s, m = check_scores(scores, is_member)
    return float(skm.roc_auc_score(m, s))


def tpr_at_fpr(scores, is_member, fpr: float | list | np.ndarray = 0.01):
    """True-positive rate at a false-positive rate of at most ``fpr`` (scalar or array).

    The conservative reading of the empirical ROC: the highest TPR among thresholds whose FPR does
    not exceed the target. With ``n`` non-members, FPRs below ``1/n`` cannot be resolved and give
    the TPR at FPR = 0.
    """
    s, m = check_scores(scores, is_member)
    try:
        targets = np.atleast_1d(np.asarray(fpr, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"fpr must be a number or a list of numbers in [0, 1], got {fpr!r}") from None
    if np.any(~np.isfinite(targets)) or np.any(targets < 0) or np.any(targets > 1):
        raise ValueError(f"fpr must lie in [0, 1], got {fpr}")
    f, t, _ = skm.roc_curve(m, s, drop_intermediate=False)
    out = np.array([t[f <= target + 1e-12].max() for target in targets])
    return float(out[0]) if np.ndim(fpr) == 0 else out


def advantage(scores, is_member) -> float:
    """Membership advantage max_threshold (TPR − FPR) (Yeom et al. 2018), in [0, 1]."""
    f, t, _ = roc_curve(scores, is_member)
    return float(np.max(t - f))


def best_threshold(scores, is_member) -> float:
    """The threshold (``score >= threshold`` ⇒ member) that achieves :func:`advantage`."""
    f, t, thr = roc_curve(scores, is_member)
    return float(thr[np.argmax(t - f)])


def _check_predictions(is_member, predicted):
    m = as_membership(is_member, "is_member")
    p = as_membership(predicted, "predicted", n=len(m), length_of="is_member", both_classes=False)
    return m, p


def balanced_accuracy(is_member, predicted) -> float:
    """Mean of TPR and TNR of hard predictions (``sklearn.metrics.balanced_accuracy_score``)."""
    m, p = _check_predictions(is_member, predicted)
    return float(skm.balanced_accuracy_score(m, p))


def youden_j(is_member, predicted) -> float:
    """Youden's J (informedness) of hard predictions: TPR − FPR = 2 · balanced accuracy − 1."""
    m, p = _check_predictions(is_member, predicted)
    return float(skm.balanced_accuracy_score(m, p, adjusted=True))


def auc_null_std(n_members: int, n_non_members: int) -> float:
    """Standard deviation of the AUC of a useless attack (Mann–Whitney null): √((n₁+n₀+1)/(12 n₁ n₀))."""
    n1 = check_int(n_members, "n_members", minimum=1)
    n0 = check_int(n_non_members, "n_non_members", minimum=1)
    return float(np.sqrt((n1 + n0 + 1) / (12.0 * n1 * n0)))


def bootstrap_ci(metric: Callable[[np.ndarray, np.ndarray], float], scores, is_member, *,
                 n_boot: int = 500, confidence: float = 0.95,
                 seed: int | np.random.Generator = 0) -> tuple[float, float]:
    """Percentile confidence interval of ``metric(scores, is_member)`` by stratified bootstrap.

    Members and non-members are resampled separately (so each replicate keeps both classes and the
    same class sizes).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = np.r_[rng.normal(1, 1, 500), rng.normal(0, 1, 500)]
    >>> m = np.r_[np.ones(500, bool), np.zeros(500, bool)]
    >>> lo, hi = bootstrap_ci(roc_auc, s, m, n_boot=200)
    >>> lo < 0.76 < hi
    True
    """
    if not callable(metric):
        raise TypeError(f"metric must be a function metric(scores, is_member) -> float such as "
                        f"metrics.roc_auc, got {type(metric).__name__} {metric!r}")
    s, m = check_scores(scores, is_member)
    check_int(n_boot, "n_boot", minimum=10)
    check_fraction(confidence, "confidence")
    rng = rng_from(seed)
    pos, neg = np.flatnonzero(m), np.flatnonzero(~m)
    labels = np.r_[np.ones(len(pos), bool), np.zeros(len(neg), bool)]
    values = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        values[b] = metric(s[idx], labels)
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha])
    return float(lo), float(hi)


def summarize(scores, is_member, *, fprs=(0.001, 0.01)) -> dict[str, float]:
    """AUC, advantage and TPR at each of ``fprs`` in one dict (keys ``"tpr_at_0.1%"`` etc.)."""
    s, m = check_scores(scores, is_member)
    out = {"auc": roc_auc(s, m), "advantage": advantage(s, m)}
    for f, t in zip(fprs, np.atleast_1d(tpr_at_fpr(s, m, list(fprs)))):
        out[f"tpr_at_{f * 100:g}%"] = float(t)
    return out
