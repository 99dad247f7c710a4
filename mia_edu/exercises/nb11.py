"""Checks for notebook 11 (language models: Min-K %'s k)."""

from __future__ import annotations

from .. import metrics
from .._validation import as_membership
from . import diagnoses, exercise

KS = (0.05, 0.1, 0.2, 0.5, 1.0)


def _k_mistake(given, right, **_):
    aucs = given["auc_by_k"]
    if isinstance(aucs, dict) and all(isinstance(v, float) for v in aucs.values()) and max(aucs.values()) < 0.5:
        return "Orientation: Min-K % is a mean log-probability, higher = more likely a member; do not negate it."
    return None


@diagnoses(_k_mistake)
@exercise("11.1", "the Min-K % AUC for each k", answers=("auc_by_k", "best_k"), context=("logp", "is_member"),
          atol=1e-6,
          hint="min_k_score(stats.logp, k) gives the score for one k (a dict k → AUC for k = 0.05, 0.1, 0.2, 0.5 "
               "and 1.0); best_k is the k with the highest AUC.")
def _ex1(*, logp, is_member):
    from ..text import min_k_score  # notebook 11's sequence signals, imported on use

    m = as_membership(is_member, n=len(logp), length_of="logp")
    aucs = {k: metrics.roc_auc(min_k_score(logp, k), m) for k in KS}
    return {"auc_by_k": aucs, "best_k": max(aucs, key=aucs.get)}
