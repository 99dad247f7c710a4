"""What an audit found: :class:`AuditResult` (an ε lower bound with its confidence, δ and counts)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

METHODS = ("many-run", "one-run")
"""The audit designs: one trial per training run, or m canaries in one run."""


@dataclass(frozen=True, eq=False)
class AuditResult:
    """An audit's ε lower bound: "with probability ≥ ``confidence``, the training algorithm is not
    (ε, δ)-DP for any ε < ``epsilon_lower``" (taught in notebook 09).

    Attributes
    ----------
    method : ``"many-run"`` or ``"one-run"``.
    epsilon_lower : the bound (0 = nothing proved).
    confidence, delta : the level and the δ it holds at.
    trials : what the bound counts: evaluation runs (many-run) or canaries m (one-run).
    runs : training runs it took.
    counts : the counts behind the bound. Many-run: ``true_positives``, ``n_in``, ``false_positives``,
        ``n_out`` of the evaluation runs, the ``threshold`` (chosen on the selection runs) and
        ``n_selection``. One-run: ``m``, ``guesses`` (r), ``correct`` (v), ``k_plus``, ``k_minus``.
    curve : ``(trials, epsilon_lower)`` arrays: the same audit on the first n trials, for a grid of n.
    epsilon_theory : the accountant's ε of the audited training (``None``: not private / unknown).
    model : a label for the audited training.
    seconds : wall-clock time (training included, when the audit trained).
    scores : the attack scores behind the counts (``"in"``/``"out"`` arrays), for plots.
    """

    method: str
    epsilon_lower: float
    confidence: float
    delta: float
    trials: int
    runs: int
    counts: dict
    curve: tuple[np.ndarray, np.ndarray]
    epsilon_theory: float | None = None
    model: str = ""
    seconds: float = 0.0
    scores: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")

    def __float__(self) -> float:
        return float(self.epsilon_lower)

    def replace(self, **changes) -> AuditResult:
        """A copy with some fields changed (e.g. ``model``, ``epsilon_theory``, ``seconds``)."""
        return dataclasses.replace(self, **changes)

    @property
    def gap(self) -> float | None:
        """``epsilon_theory − epsilon_lower`` (how loose the audit is), or ``None`` without a theory ε."""
        return None if self.epsilon_theory is None else self.epsilon_theory - self.epsilon_lower

    def summary(self) -> str:
        """One line: model, method, bound, theory ε, confidence, δ, trials."""
        theory = "not private" if self.epsilon_theory is None else f"accountant ε = {self.epsilon_theory:.2f}"
        name = f"{self.model}: " if self.model else ""
        return (f"{name}{self.method} audit: ε ≥ {self.epsilon_lower:.3f} at {100 * self.confidence:g} % "
                f"confidence, δ = {self.delta:.2g} ({theory}; {self.trials} trials, {self.runs} training run"
                f"{'s' if self.runs != 1 else ''})")

    def __repr__(self) -> str:
        return f"AuditResult({self.summary()})"

    def to_dict(self) -> dict:
        """The JSON record of ``python -m mia_edu dp-audit``: model, method, epsilon_lower,
        epsilon_theory (``None`` when not private), delta, confidence, trials, seconds (plus runs, counts)."""
        counts = {k: (float(v) if isinstance(v, (float, np.floating)) else int(v)) for k, v in self.counts.items()}
        return {"model": self.model, "method": self.method, "epsilon_lower": float(self.epsilon_lower),
                "epsilon_theory": None if self.epsilon_theory is None else float(self.epsilon_theory),
                "delta": float(self.delta), "confidence": float(self.confidence), "trials": int(self.trials),
                "seconds": float(self.seconds), "runs": int(self.runs), "counts": counts}

    def plot(self, ax=None):
        """The bound against the number of trials (:func:`mia_edu.auditing.figures.bound_curve`)."""
        from .figures import bound_curve

        return bound_curve([self], ax=ax)
