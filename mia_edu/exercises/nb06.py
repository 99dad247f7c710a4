"""Checks for notebook 06 (the theoretical best: Bayes error, the DP link)."""

from __future__ import annotations

import numpy as np

from . import diagnoses, exercise


@exercise("06.1", "leaking without a shift: members N(0, 1.5²), non-members N(0, 1)",
          answers=("bayes_error", "best_advantage", "better_score"), atol=1e-3,
          hint="information.gaussian_case(0.0, sigma0=1.0, sigma1=1.5) knows the exact answers; for the score, "
               "ask where members are more likely than non-members (better_score is 'x' or '|x|').")
def _ex1():
    from ..information import gaussian_case
    case = gaussian_case(0.0, sigma0=1.0, sigma1=1.5)
    return {"bayes_error": float(case.bayes_error), "best_advantage": float(case.advantage), "better_score": "|x|"}


def _delta_mistake(given, right):
    if abs(given["bound_delta"] - np.tanh(0.5)) < 1e-7:
        return "That is the bound for δ = 0: δ adds a small term of its own."
    if abs(given["epsilon_001"] - 0.01) < 1e-3:
        return "The advantage is not ε itself: invert advantage = tanh(ε / 2)."
    return None


@diagnoses(_delta_mistake)
@exercise("06.5", "δ in the advantage bound", answers=("bound_delta", "epsilon_001"), atol=1e-6,
          hint="an (ε, δ)-DP algorithm allows an advantage of at most (e^ε − 1 + 2δ) / (e^ε + 1); for δ = 0 that is "
               "tanh(ε / 2), which you invert for an advantage of 0.01.")
def _ex5():
    return {"bound_delta": float((np.e - 1 + 2e-5) / (np.e + 1)), "epsilon_001": float(2 * np.arctanh(0.01))}
