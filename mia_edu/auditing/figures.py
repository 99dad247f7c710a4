"""Audit figures (notebook 09): the ε lower bound against the number of trials, beside the accountant's ε.

Each function returns a matplotlib ``Figure`` or draws on a given ``Axes`` (never pyplot state), in
the Okabe–Ito colours of :mod:`mia_edu.plots`; lines differ by marker and style too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from ..plots import OKABE_ITO
from .result import AuditResult

_MARKERS = "os^Dv<>P"


def bound_curve(results: Sequence[AuditResult], *, ax=None, title: str | None = None, log_x: bool = True,
                ceiling: Sequence[tuple[np.ndarray, np.ndarray, str]] = ()):
    """Each audit's ε lower bound against the trials it used (its ``curve``), with its accountant ε dashed.

    ``ceiling``: extra ``(trials, epsilon, label)`` lines drawn in grey, e.g. what a perfect attack
    could prove with that many trials. An accountant's ε far above everything else (more than 3 times
    the largest bound or ceiling) is written in the corner instead of squashing the curves. Returns the
    ``Figure`` (a new one unless ``ax`` is given).
    """
    results = list(results)
    for r in results:
        if not isinstance(r, AuditResult):
            raise TypeError(f"results must be AuditResult objects, got {type(r).__name__}")
    if ax is None:
        fig = Figure(figsize=(9.0, 4.2), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    curves_top = max([float(np.max(r.curve[1])) for r in results if len(r.curve[1])]
                     + [float(np.max(c[1])) for c in ceiling if len(c[1])] + [0.5])
    shown = [r.epsilon_theory for r in results if r.epsilon_theory is not None and r.epsilon_theory <= 3 * curves_top]
    top = max([curves_top, *shown])
    off_scale = []
    for i, r in enumerate(results):
        colour = OKABE_ITO[(i + 1) % len(OKABE_ITO)]
        trials, eps = r.curve
        label = f"{r.model + ', ' if r.model else ''}{r.method}"
        ax.plot(trials, eps, marker=_MARKERS[i % len(_MARKERS)], color=colour, lw=2, ms=5, zorder=3,
                label=f"{label}: ε ≥ {r.epsilon_lower:.2f}")
        if r.epsilon_theory is not None:
            if r.epsilon_theory <= 3 * curves_top:
                ax.axhline(r.epsilon_theory, color=colour, ls="--", lw=1.5,
                           label=f"{label}: accountant ε = {r.epsilon_theory:.2f}")
            else:
                off_scale.append(f"{label}: accountant ε = {r.epsilon_theory:.2f} (far above)")
    for j, (trials, eps, label) in enumerate(ceiling):
        ax.plot(trials, eps, color="#888888", ls=(":", "-.", "--")[j % 3], lw=2.5, label=label, zorder=1)
    if off_scale:
        ax.text(0.02, 0.97, "\n".join(off_scale), transform=ax.transAxes, ha="left", va="top", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "#999999", "alpha": 0.9})
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("trials (evaluation runs for many-run, canaries for one-run)")
    ax.set_ylabel("ε lower bound")
    ax.set_ylim(0, 1.12 * top)
    confidence = results[0].confidence if results else 0.95
    ax.set_title(title or f"The bound grows with the trials and stays below the accountant's ε "
                          f"({100 * confidence:g} % confidence)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return fig


def canary_score_histogram(result: AuditResult, *, ax=None, bins: int = 30, title: str | None = None):
    """The canary scores with the canary IN vs OUT (runs, or canaries in one run), the many-run threshold marked."""
    if not isinstance(result, AuditResult):
        raise TypeError(f"result must be an AuditResult, got {type(result).__name__}")
    if ax is None:
        fig = Figure(figsize=(6.0, 3.6), layout="constrained")
        ax = fig.subplots()
    else:
        fig = ax.figure
    s_in, s_out = result.scores["in"], result.scores["out"]
    edges = np.histogram_bin_edges(np.r_[s_in, s_out], bins=bins)
    unit = "runs" if result.method == "many-run" else "canaries"
    ax.hist(s_out, bins=edges, color=OKABE_ITO[1], alpha=0.6, label=f"OUT ({len(s_out)} {unit})")
    ax.hist(s_in, bins=edges, color=OKABE_ITO[0], alpha=0.6, label=f"IN ({len(s_in)} {unit})", hatch="//")
    if "threshold" in result.counts:
        ax.axvline(result.counts["threshold"], color="#000000", ls="--", label="threshold (selection runs)")
    ax.set_xlabel("canary score (scaled logit; high → member)")
    ax.set_ylabel(unit)
    ax.set_title(title or f"{result.model or result.method}: IN vs OUT scores give ε ≥ {result.epsilon_lower:.2f}")
    ax.legend(fontsize=8)
    return fig
