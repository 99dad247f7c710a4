"""Figure helpers: each returns a matplotlib ``Figure`` and never calls ``plt.show()``.

Colours come from the Okabe–Ito palette (colour-blind safe): members orange, non-members blue.
Low-FPR ROC curves are drawn on log–log axes, as in Carlini et al. (2022), because the region that
matters for a confident attacker (FPR ≤ 1 %) is invisible on linear axes.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from . import metrics

OKABE_ITO = ("#E69F00", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
MEMBER, NON_MEMBER = OKABE_ITO[0], OKABE_ITO[1]


def _new_figure(width: float = 6.0, height: float = 4.0, ncols: int = 1):
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def signal_histogram(values, is_member, *, name: str = "signal", bins: int = 50, log_x: bool = False,
                     ax=None, title: str | None = None) -> Figure:
    """Overlaid density histograms of a signal for members and non-members, with the AUC in the title."""
    v, m = metrics.check_scores(values, is_member)
    fig, ax = _new_figure() if ax is None else (ax.figure, ax)
    data = np.log10(np.maximum(v, 1e-300)) if log_x else v
    edges = np.histogram_bin_edges(data, bins=bins)
    ax.hist(data[~m], bins=edges, density=True, alpha=0.55, color=NON_MEMBER, label=f"non-members (n={int((~m).sum())})")
    ax.hist(data[m], bins=edges, density=True, alpha=0.55, color=MEMBER, label=f"members (n={int(m.sum())})")
    ax.set_xlabel(f"log10 {name}" if log_x else name)
    ax.set_ylabel("density")
    auc = metrics.roc_auc(v, m)
    ax.set_title(title or f"{name}: members vs non-members (AUC of −{name} = {1 - auc:.3f})"
                 if auc < 0.5 else title or f"{name}: members vs non-members (AUC = {auc:.3f})")
    ax.legend(frameon=False)
    return fig


def roc_figure(curves: Mapping[str, tuple], *, log: bool | str = "both", title: str | None = None) -> Figure:
    """ROC curves of several attacks: ``{name: (scores, is_member)}``.

    ``log="both"`` draws linear axes (left) and log–log axes (right, FPR from 1/n); ``True`` only
    the log–log panel, ``False`` only the linear one. The legend gives each AUC and TPR at 1 % FPR.
    """
    panels = {"both": (False, True), True: (True,), False: (False,)}[log]
    fig, axes = _new_figure(5.2 * len(panels), 4.4, len(panels))
    axes = np.atleast_1d(axes)
    lo = 1.0
    for i, (name, (scores, is_member)) in enumerate(curves.items()):
        s, m = metrics.check_scores(scores, is_member)
        f, t, _ = metrics.roc_curve(s, m)
        auc = metrics.roc_auc(s, m)
        tpr1 = metrics.tpr_at_fpr(s, m, 0.01)
        lo = min(lo, 1.0 / max(1, int((~m).sum())))
        for ax in axes:
            ax.plot(f, t, color=OKABE_ITO[i % len(OKABE_ITO)], lw=2,
                    label=f"{name} (AUC {auc:.3f}, TPR@1% {tpr1:.1%})")
    for ax, is_log in zip(axes, panels):
        ax.plot([lo, 1], [lo, 1], ls="--", color="grey", lw=1, label="chance")
        if is_log:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(lo, 1)
            ax.set_ylim(lo, 1)
            ax.set_title("ROC, log–log: the low-FPR regime")
        else:
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_title("ROC, linear axes")
        ax.set_xlabel("false-positive rate (non-members called members)")
        ax.set_ylabel("true-positive rate (members found)")
        ax.grid(alpha=0.3, which="both")
    axes[-1].legend(loc="lower right", fontsize=8, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def training_curves(history: Mapping[str, np.ndarray], *, title: str | None = None) -> Figure:
    """Train vs test loss and accuracy per epoch; the gap between them is the overfitting."""
    fig, (ax_loss, ax_acc) = _new_figure(10, 3.8, 2)
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    for key, color, label in (("train", MEMBER, "train (members)"), ("test", NON_MEMBER, "test (non-members)")):
        if f"{key}_loss" in history:
            ax_loss.plot(epochs, history[f"{key}_loss"], color=color, lw=2, label=label)
            ax_acc.plot(epochs, history[f"{key}_acc"], color=color, lw=2, label=label)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_ylim(0, 1.02)
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
    if "test_acc" in history:
        gap = history["train_acc"][-1] - history["test_acc"][-1]
        fig.suptitle(title or f"Train–test accuracy gap at the end: {gap:.2f}")
    elif title:
        fig.suptitle(title)
    return fig


def sweep_figure(x, gaps, aucs, *, xlabel: str, log_x: bool = False, title: str | None = None) -> Figure:
    """Two aligned panels for a sweep of one knob: train–test gap and attack AUC against the knob."""
    fig, (ax_gap, ax_auc) = _new_figure(10, 3.6, 2)
    ax_auc.sharex(ax_gap)  # same knob, same x-axis (and the same symlog limits when x includes 0)
    ax_gap.plot(x, gaps, "o-", color=OKABE_ITO[4], lw=2)
    ax_gap.set_ylabel("train acc − test acc")
    ax_auc.plot(x, aucs, "o-", color=OKABE_ITO[2], lw=2)
    ax_auc.axhline(0.5, ls="--", color="grey", lw=1, label="chance")
    ax_auc.set_ylabel("loss-attack AUC")
    ax_auc.legend(frameon=False)
    for ax in (ax_gap, ax_auc):
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    if log_x and min(x) <= 0:  # a sweep that starts at 0 (e.g. weight decay): linear near 0, log beyond
        linthresh = min(v for v in x if v > 0)
        ax_gap.set_xscale("symlog", linthresh=linthresh)
        ax_gap.set_xlim(min(x) - 0.3 * linthresh, max(x) * 1.4)
    elif log_x:
        ax_gap.set_xscale("log")
    if title:
        fig.suptitle(title)
    return fig


def gap_vs_auc_figure(gaps, aucs, labels=None, *, groups=None, title: str | None = None) -> Figure:
    """Scatter of attack AUC against the train–test gap over many configurations.

    ``labels`` annotates each point; ``groups`` (one name per point, e.g. the knob of a sweep)
    colours the points by group, with a legend.
    """
    fig, ax = _new_figure(6, 4.4)
    if groups is None:
        ax.scatter(gaps, aucs, color=OKABE_ITO[4], s=40, zorder=3)
    else:
        gaps_a, aucs_a, groups_a = np.asarray(gaps), np.asarray(aucs), np.asarray(groups, dtype=object)
        markers = "osD^vP*X"
        for i, name in enumerate(dict.fromkeys(groups_a.tolist())):
            sel = groups_a == name
            ax.scatter(gaps_a[sel], aucs_a[sel], color=OKABE_ITO[i % len(OKABE_ITO)], s=45, zorder=3,
                       marker=markers[i % len(markers)], label=str(name))
        ax.legend(frameon=False, fontsize=9, loc="upper left")
    if labels is not None:
        for g, a, lab in zip(gaps, aucs, labels):
            ax.annotate(str(lab), (g, a), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(0.5, ls="--", color="grey", lw=1)
    ax.set_xlabel("train–test accuracy gap (overfitting)")
    ax.set_ylabel("loss-attack AUC (leakage)")
    ax.grid(alpha=0.3)
    ax.set_title(title or "The more a model overfits, the more it leaks")
    return fig
