"""Checks for notebook 09 (auditing: what a perfect attack on a few runs can prove)."""

from __future__ import annotations

from . import diagnoses, exercise


def _confidence_mistake(given, right, **_):
    if given["ceiling_99"] > given["ceiling_95"]:
        return "More confidence can only make a lower bound *lower*: the interval widens."
    return None


@diagnoses(_confidence_mistake)
@exercise("09.1", "the many-run ceiling of 32 runs at 95 % and at 99 % confidence",
          answers=("ceiling_95", "ceiling_99"), context=("delta",), atol=1e-6,
          hint="perfect_attack_ceiling([32], delta=DELTA, confidence=...) is the bound of an audit whose every "
               "guess is right; compare it at confidence 0.95 and 0.99.")
def _ex1(*, delta):
    from ..auditing.experiment import perfect_attack_ceiling  # notebook 09's audit, imported on use
    return {f"ceiling_{round(100 * c)}": float(perfect_attack_ceiling([32], delta=float(delta), confidence=c)[0])
            for c in (0.95, 0.99)}
