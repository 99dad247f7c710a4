"""The frontier and the DP ceiling as figures (notebook 08).

Matplotlib ``Figure`` objects (never pyplot state) in the Okabe–Ito colours of :mod:`mia_edu.plots`;
every defence also has its own marker, so nothing depends on colour alone.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from .. import metrics
from ..plots import OKABE_ITO
from .frontier import FrontierPoint, FrontierTable, pareto_mask

_STYLE = {"weight_decay": (OKABE_ITO[0], "o"), "dropout": (OKABE_ITO[5], "v"),
          "label_smoothing": (OKABE_ITO[2], "s"), "early_stopping": (OKABE_ITO[3], "D"),
          "relaxloss": (OKABE_ITO[4], "P"), "dp_sgd": (OKABE_ITO[1], "^")}


def dp_ceiling(fpr, epsilon: float, delta: float) -> np.ndarray:
    """The largest TPR an (ε, δ)-DP model allows at each FPR (Kairouz et al. 2015):
    ``min(1, e^ε·FPR + δ, 1 − e^−ε·(1 − δ − FPR))``.

    >>> dp_ceiling([0.01], 1.0, 0.0).round(4).tolist()
    [0.0272]
    """
    f = np.asarray(fpr, dtype=np.float64)
    direct = math.exp(epsilon) * f + delta
    mirror = 1 - math.exp(-epsilon) * (1 - delta - f)
    return np.clip(np.minimum(direct, mirror), 0.0, 1.0)


def draw_frontier(ax, points, *, attack: str = "lira", metric: str = "tpr_at_1%",
                  highlight: FrontierPoint | None = None, legend: bool = True) -> list[FrontierPoint]:
    """Draw test accuracy against ``attack``'s ``metric`` on ``ax``; returns the Pareto-optimal points.

    One line per defence (weak → strong), the undefended model as a black star, DP-SGD points
    labelled with ε, the Pareto frontier (for TPR at 1 % FPR: no point both more accurate and less
    exposed) as a thick grey line with ringed points; ``highlight`` ringed in black.
    """
    points = list(points)
    if not points:
        raise ValueError("points is empty; expected at least one FrontierPoint")
    floor = 1.0 / int((~points[0].is_member).sum())
    log = metric.startswith("tpr")

    def x_of(p):
        v = (p.lira if attack == "lira" else p.loss)[metric]
        return max(v, floor) if log else v

    groups: dict[str, list[FrontierPoint]] = {}
    for p in points:
        groups.setdefault(p.defence, []).append(p)
    for name, pts in groups.items():
        x, acc = [x_of(p) for p in pts], [p.test_acc for p in pts]
        if name == "none":
            ax.plot(x, acc, "*", color="black", ms=16, zorder=5, label="undefended")
            continue
        colour, marker = _STYLE.get(name, (OKABE_ITO[7], "o"))
        ax.plot(x, acc, "-", color=colour, lw=1.5, alpha=0.8)
        for xi, ai, si in zip(x, acc, np.linspace(6, 11, len(pts))):
            ax.plot([xi], [ai], marker, color=colour, ms=si, mec="black", mew=0.5)
        ax.plot([], [], "-" + marker, color=colour, label=name.replace("_", " ") + " (weak → strong)")
        if name == "dp_sgd":
            for p, xi in zip(pts, x):
                ax.annotate(f"ε={p.epsilon:.2g}", (xi, p.test_acc), xytext=(8, 2), textcoords="offset points",
                            fontsize=8, color=colour, fontweight="bold")
    risk = [(p.lira if attack == "lira" else p.loss)[metric] for p in points]
    if not log:
        risk = [abs(r - 0.5) for r in risk]  # AUC: distance from chance is the exposure
    mask = pareto_mask([p.test_acc for p in points], risk)
    front = sorted((p for p, k in zip(points, mask) if k), key=x_of)
    if metric == "tpr_at_1%":
        xf = [x_of(p) for p in front]
        ax.plot(xf, [p.test_acc for p in front], "-", color="#777777", lw=5, alpha=0.35, zorder=0,
                label="Pareto frontier")
        ax.plot(xf, [p.test_acc for p in front], "o", ms=16, mfc="none", mec="#777777", mew=1.5)
    if highlight is not None:
        ax.plot([x_of(highlight)], [highlight.test_acc], "o", ms=20, mfc="none", mec="black", mew=2,
                label="this setting")
    chance = 0.01 if log else 0.5
    ax.axvline(chance, color="grey", ls=":", lw=1)
    ax.annotate("chance", (chance, 0.02), xycoords=("data", "axes fraction"), xytext=(3, 0),
                textcoords="offset points", fontsize=8, color="grey")
    if log:
        ax.set_xscale("log")
    who = "online LiRA (same-recipe references)" if attack == "lira" else "loss threshold"
    ax.set_xlabel(f"{who}: " + {"tpr_at_1%": "TPR at 1 % FPR (log)", "auc": "AUC"}.get(metric, metric))
    ax.set_ylabel("test accuracy")
    ax.grid(alpha=0.3)
    ax.margins(y=0.08)
    if legend:
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    return front


def frontier_figure(table: FrontierTable, *, attack: str = "lira", highlight: FrontierPoint | None = None,
                    title: str | None = None) -> Figure:
    """Test accuracy against the attack's TPR at 1 % FPR (left, log x) and its AUC (right).

    See :func:`draw_frontier`; the title states the price of the least exposed model, from the numbers.
    """
    if not isinstance(table, FrontierTable):
        raise TypeError(f"table must be a FrontierTable, got {type(table).__name__}")
    fig = Figure(figsize=(12.0, 5.4))
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.21, top=0.91, wspace=0.12)
    ax_tpr, ax_auc = fig.subplots(1, 2, sharey=True)
    front = draw_frontier(ax_tpr, table.points, attack=attack, highlight=highlight, legend=False)
    draw_frontier(ax_auc, table.points, attack=attack, metric="auc", highlight=highlight, legend=False)
    ax_auc.set_ylabel("")
    handles, labels = ax_tpr.get_legend_handles_labels()
    fig.legend(handles, labels, frameon=False, fontsize=8, loc="lower center", ncol=5)
    if title is None:
        nums = (lambda p: p.lira) if attack == "lira" else (lambda p: p.loss)
        best, safest = max(table.points, key=lambda p: p.test_acc), front[0]
        title = (f"The least exposed model ({safest.label}: TPR {nums(safest)['tpr_at_1%']:.1%} at 1 % FPR) "
                 f"costs {best.test_acc - safest.test_acc:.1%} test accuracy against the most accurate")
    fig.suptitle(title, fontsize=11)
    return fig


def draw_dp_roc(ax, point: FrontierPoint) -> None:
    """Log–log ROC of LiRA and the loss attack on ``point``'s model, under its DP ceiling (if private)."""
    m = point.is_member
    lo = 1.0 / int((~m).sum())
    grid = np.geomspace(lo, 1, 300)
    ax.plot([lo, 1], [lo, 1], "--", color="grey", lw=1, label="chance")
    if point.epsilon is not None:
        ceiling = dp_ceiling(grid, point.epsilon, point.delta)
        ax.fill_between(grid, ceiling, 1, color=OKABE_ITO[4], alpha=0.12, lw=0, label="forbidden by DP")
        ax.plot(grid, ceiling, color=OKABE_ITO[4], lw=2.2,
                label=f"DP ceiling TPR ≤ e^ε·FPR + δ (ε={point.epsilon:.2f}, δ={point.delta:.1e})")
    for scores, colour, name in ((point.lira_scores, OKABE_ITO[1], "online LiRA"),
                                 (point.loss_scores, OKABE_ITO[0], "loss threshold")):
        fpr, tpr, _ = metrics.roc_curve(scores, m)
        ax.plot(np.maximum(fpr, lo), np.maximum(tpr, lo), color=colour, lw=2, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo, 1)
    ax.set_ylim(lo, 1)
    ax.set_xlabel("false-positive rate (log)")
    ax.set_ylabel("true-positive rate (log)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=8, loc="lower right")


def proven_epsilon(point: FrontierPoint, confidence: float = 0.95) -> float:
    """The per-sample ε estimate of LiRA's ROC on this model, with ``confidence`` (Clopper–Pearson,
    thresholds fixed by rank; :func:`mia_edu.information.per_sample_epsilon_estimate_from_scores`, an
    estimate for one model rather than a DP proof, see :mod:`mia_edu.information.dp`) — at most the accountant's ε when
    DP-SGD is implemented correctly. A single ROC step above the ceiling at the lowest FPRs is
    sampling noise; this is the honest comparison."""
    from ..information import per_sample_epsilon_estimate_from_scores

    delta = point.delta if point.delta is not None else 0.0
    return float(per_sample_epsilon_estimate_from_scores(point.lira_scores, point.is_member, delta=delta,
                                                         confidence=confidence).epsilon)


def roc_title(point: FrontierPoint) -> str:
    """A title stating the finding: LiRA's TPR at 1 % FPR, and the ε it proves against the accountant's."""
    text = f"{point.label}: LiRA TPR {point.lira['tpr_at_1%']:.1%} at 1 % FPR"
    if point.epsilon is None:
        return text + " (no DP guarantee)"
    proven = proven_epsilon(point)
    verdict = "within" if proven <= point.epsilon else "ABOVE"
    return text + f"\nit proves ε ≥ {proven:.2f} (95 %), {verdict} the accountant's {point.epsilon:.2f}"


def dp_roc_figure(point: FrontierPoint, *, title: str | None = None) -> Figure:
    """Log–log ROC of LiRA and the loss attack on one model, under the DP ceiling of its (ε, δ)."""
    if not isinstance(point, FrontierPoint):
        raise TypeError(f"point must be a FrontierPoint, got {type(point).__name__}")
    fig = Figure(figsize=(6.2, 5.0))
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.12, top=0.9)
    ax = fig.subplots()
    draw_dp_roc(ax, point)
    ax.set_title(title or roc_title(point), fontsize=10)
    return fig
