"""The unlearning comparison as a figure: over- and under-unlearning made visible (notebook 07).

Returns a matplotlib ``Figure`` (never pyplot state), in the Okabe–Ito colours of
:mod:`mia_edu.plots`; the verdict is also written on each bar, so nothing depends on colour alone.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..plots import OKABE_ITO
from .comparison import UnlearningComparison

VERDICT_COLOURS = {"under-unlearning": OKABE_ITO[4], "as retraining": OKABE_ITO[2],
                   "over-unlearning": OKABE_ITO[1], "can't tell": "#BBBBBB", None: "#999999"}
_SHORT = {"under-unlearning": "under", "as retraining": "≈ retrain", "over-unlearning": "over",
          "can't tell": "can't tell", None: ""}


def comparison_figure(table: UnlearningComparison, *, title: str | None = None, accuracy: bool = True) -> Figure:
    """Bars of the forget-as-member rate per method against the retraining line; accuracies beside.

    Left: each method's forget-as-member rate (95 % interval as an error bar), coloured and labelled
    by its verdict, with retraining's rate as a horizontal band (the yardstick) and each method's two
    reference points (held-out retain ▲, validation ▼). Above the band: under-unlearning; below:
    over-unlearning. Right (``accuracy=True``): test and forget accuracy per method.
    """
    if not isinstance(table, UnlearningComparison):
        raise TypeError(f"table must be an UnlearningComparison (compare_methods), got {type(table).__name__}")
    names = list(table.reports)
    reports = [table.reports[n] for n in names]
    x = np.arange(len(names))
    fig = Figure(figsize=(12 if accuracy else 7, 4.6), layout="constrained")
    axes = fig.subplots(1, 2 if accuracy else 1, width_ratios=[3, 2] if accuracy else None)
    ax = axes[0] if accuracy else axes
    rates = np.array([r.forget_member_rate for r in reports])
    lo = rates - np.array([r.forget_member_ci[0] for r in reports])
    hi = np.array([r.forget_member_ci[1] for r in reports]) - rates
    ax.bar(x, 100 * rates, color=[VERDICT_COLOURS[r.verdict] for r in reports], width=0.6,
           yerr=100 * np.vstack([lo, hi]), capsize=4, ecolor="#333333", zorder=2)
    ax.scatter(x + 0.38, [100 * r.retain_member_rate for r in reports], marker="^", color=OKABE_ITO[0], s=45,
               zorder=3, label="held-out retain (members)")
    ax.scatter(x + 0.38, [100 * r.validation_member_rate for r in reports], marker="v", color=OKABE_ITO[5], s=45,
               zorder=3, label="held-out validation (non-members)")
    retrained = table.reports.get("retrain")
    if retrained is None and reports and reports[0].retrain_gap is not None:
        ref = reports[0].forget_member_rate - reports[0].retrain_gap["forget_member_rate"]
        band = None
    else:
        ref = None if retrained is None else retrained.forget_member_rate
        band = None if retrained is None else retrained.forget_member_ci
    if ref is not None:
        ax.axhline(100 * ref, color=OKABE_ITO[2], lw=2, ls="--", zorder=1, label="retraining (the yardstick)")
        if band is not None:
            ax.axhspan(100 * band[0], 100 * band[1], color=OKABE_ITO[2], alpha=0.15, zorder=0)
    for xi, r in zip(x, reports):
        ax.text(xi, 100 * r.forget_member_ci[1] + 1.5, _SHORT[r.verdict], ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, names, rotation=20, ha="right")
    ax.set_ylim(0, 122)
    ax.set_yticks(np.arange(0, 101, 20))
    ax.set_ylabel("forget samples called member (%)")
    ax.set_title(title or "Forget set called member: above the retraining line = under-unlearning, below = over",
                 fontsize=10)
    ax.legend(loc="upper center", ncol=3, fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    if accuracy:
        ax2 = axes[1]
        w = 0.38
        ax2.bar(x - w / 2, [r.test_acc for r in reports], w, color=OKABE_ITO[1], label="test accuracy")
        ax2.bar(x + w / 2, [r.forget_acc for r in reports], w, color=OKABE_ITO[0], hatch="//", edgecolor="white",
                label="forget accuracy")
        if retrained is not None:
            ax2.axhline(retrained.forget_acc, color=OKABE_ITO[2], lw=2, ls="--",
                        label="forget accuracy after retraining")
        ax2.set_xticks(x, names, rotation=20, ha="right")
        ax2.set_ylim(0, 1.25)
        ax2.set_yticks(np.linspace(0, 1, 6))
        ax2.set_ylabel("accuracy")
        ax2.set_title("Utility: what each method costs", fontsize=10)
        ax2.legend(loc="upper center", ncol=2, fontsize=8, frameon=False)
        ax2.grid(axis="y", alpha=0.3)
    return fig
