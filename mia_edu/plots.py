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


# ------------------------------------------------------------------ the theoretical best (notebook 06)
def gaussian_case_figure(case, *, title: str | None = None) -> Figure:
    """Two panels for a :class:`mia_edu.information.GaussianCase`: the two densities (weighted by the
    prior) with the Bayes error shaded — the overlap no attack can resolve — and the optimal ROC on
    log–log axes."""
    fig, (ax_d, ax_r) = _new_figure(10.5, 4.0, 2)
    s = max(case.sigma0, case.sigma1)
    x = np.linspace(min(0.0, case.mu) - 4 * s, max(0.0, case.mu) + 4 * s, 600)
    f1 = case.prior * np.exp(-0.5 * ((x - case.mu) / case.sigma1) ** 2) / (case.sigma1 * np.sqrt(2 * np.pi))
    f0 = (1 - case.prior) * np.exp(-0.5 * (x / case.sigma0) ** 2) / (case.sigma0 * np.sqrt(2 * np.pi))
    ax_d.plot(x, f0, color=NON_MEMBER, lw=2, label="non-members  (1−p)·f₀(x)")
    ax_d.plot(x, f1, color=MEMBER, lw=2, label="members  p·f₁(x)")
    ax_d.fill_between(x, np.minimum(f0, f1), color="grey", alpha=0.35,
                      label=f"Bayes error = shaded area = {case.bayes_error:.3f}")
    ax_d.set_xlabel("feature x (e.g. a signal of the target model)")
    ax_d.set_ylabel("density × prior")
    ax_d.set_title(f"μ = {case.mu:g}: the overlap no attack can resolve")
    ax_d.set_ylim(0, 1.4 * max(f0.max(), f1.max()))
    ax_d.legend(frameon=False, fontsize=8, loc="upper left")
    fpr = np.geomspace(1e-4, 1, 200)
    ax_r.plot(fpr, case.optimal_roc(fpr), color=OKABE_ITO[2], lw=2, label=f"optimal attack (AUC {case.auc:.3f})")
    ax_r.plot(fpr, fpr, ls="--", color="grey", lw=1, label="chance")
    t = case.optimal_roc(0.001)
    ax_r.plot([0.001], [t], "o", color=OKABE_ITO[4], label=f"TPR {t:.2%} at 0.1 % FPR")
    ax_r.set(xscale="log", yscale="log", xlim=(1e-4, 1), ylim=(1e-4, 1.05),
             xlabel="false-positive rate", ylabel="true-positive rate",
             title=f"Best possible ROC: advantage {case.advantage:.3f}")
    ax_r.grid(alpha=0.3, which="both")
    ax_r.legend(frameon=False, fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title)
    return fig


def estimator_convergence_figure(ns, estimates: Mapping[str, np.ndarray], truth: float, *,
                                 ylabel: str = "mutual information (bits)", title: str | None = None,
                                 ax=None) -> Figure:
    """Estimates against the sample size n (log axis): one faint dot per repeat, the mean as a line,
    the truth dashed. ``estimates[name]`` has shape (len(ns), repeats)."""
    fig, ax = _new_figure(6, 4) if ax is None else (ax.figure, ax)
    ns = np.asarray(ns, dtype=float)
    for i, (name, values) in enumerate(estimates.items()):
        values = np.asarray(values, dtype=float)
        color = OKABE_ITO[(i + 2) % len(OKABE_ITO)]
        jitter = 1 + 0.04 * (i - (len(estimates) - 1) / 2)
        for j in range(values.shape[1]):
            ax.plot(ns * jitter, values[:, j], "o", color=color, alpha=0.35, ms=4)
        ax.plot(ns * jitter, values.mean(axis=1), "-", color=color, lw=2, label=f"{name} (mean of {values.shape[1]})")
    ax.axhline(truth, ls="--", color="black", lw=1.5, label=f"truth = {truth:.4f}")
    ax.set_xscale("log")
    ax.set_xticks(ns, [f"{int(n):,}" for n in ns])
    ax.minorticks_off()
    ax.set_xlabel("sample size n (members + non-members)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(title or "Estimates converge to the truth as n grows")
    return fig


def bayes_bounds_figure(x, bayes_error, lower, upper, *, points: Mapping[str, tuple] | None = None,
                        xlabel: str = "separation μ", title: str | None = None) -> Figure:
    """The exact Bayes error between the Fano (lower) and Hellman–Raviv (upper) bounds implied by
    the mutual information, with optional estimates ``{name: (x, y)}`` as markers."""
    fig, ax = _new_figure(6.5, 4.2)
    ax.fill_between(x, lower, upper, color=OKABE_ITO[5], alpha=0.3, label="bounds from the exact MI")
    ax.plot(x, lower, color=OKABE_ITO[5], lw=1.5, label="Fano lower bound")
    ax.plot(x, upper, color=OKABE_ITO[1], lw=1.5, label="Hellman–Raviv upper bound")
    ax.plot(x, bayes_error, color="black", lw=2, label="exact Bayes error")
    for i, (name, (px, py)) in enumerate((points or {}).items()):
        ax.plot(px, py, "os^D"[i % 4], color=OKABE_ITO[(i + 3) % len(OKABE_ITO)], ms=7, label=name, ls="none")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("error of the best possible attack")
    ax.set_ylim(0, 0.52)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(title or "Mutual information brackets the Bayes error")
    return fig


def privacy_gap_figure(labels, simple, best, ceiling, *, best_ci=None, floor=None, xlabel: str = "setting",
                       simple_name: str = "simple attack", title: str | None = None) -> Figure:
    """Advantage (TPR − FPR) per setting: the simple attack, the best classifier found (with its
    CI) and the range the mutual information allows for the best possible attack (``floor`` to
    ``ceiling``). The gap between "best found" and "ceiling" is what a better attacker might gain."""
    fig, ax = _new_figure(7, 4.2)
    pos = np.arange(len(labels))
    if floor is not None:
        ax.fill_between(pos, floor, ceiling, color=OKABE_ITO[5], alpha=0.25, label="best possible: range allowed by MI")
    ax.plot(pos, ceiling, "v-", color=OKABE_ITO[1], lw=2, ms=8, label="ceiling from MI (Fano)")
    if best_ci is not None:
        lo, hi = np.asarray(best_ci, dtype=float).T
        ax.errorbar(pos, best, yerr=[np.asarray(best) - lo, hi - np.asarray(best)], fmt="o-", color=OKABE_ITO[2],
                    lw=2, capsize=4, label="best classifier found (cross-validated)")
    else:
        ax.plot(pos, best, "o-", color=OKABE_ITO[2], lw=2, label="best classifier found (cross-validated)")
    ax.plot(pos, simple, "s--", color=OKABE_ITO[0], lw=2, label=simple_name)
    ax.set_xticks(pos, [str(v) for v in labels])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("membership advantage  TPR − FPR")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    ax.set_title(title or "Best attack found vs the best possible")
    return fig


def dp_advantage_figure(measured: Mapping[str, float] | None = None, *, delta: float = 0.0,
                        eps_max: float = 6.0, title: str | None = None) -> Figure:
    """The largest advantage an (ε, δ)-DP model allows, against ε; measured advantages as
    horizontal lines, each meeting the curve at the smallest ε that does not rule it out."""
    from .information import dp_advantage_bound

    fig, ax = _new_figure(7, 4.8)
    eps = np.linspace(0, eps_max, 300)
    ax.plot(eps, [dp_advantage_bound(e, delta) for e in eps], color="black", lw=2,
            label=f"bound (exp ε − 1 + 2δ)/(exp ε + 1), δ = {delta:g}")
    for i, (name, adv) in enumerate((measured or {}).items()):
        color = OKABE_ITO[i % len(OKABE_ITO)]
        ax.axhline(adv, color=color, ls="--", lw=1.5, label=f"{name}: advantage {adv:.3f}")
        if delta == 0 and 0 < adv < 1:
            e = 2 * np.arctanh(adv)
            ax.plot([e], [adv], "o", color=color)
            ax.annotate(f"ε ≥ {e:.2f}", (e, adv), xytext=(5, -12), textcoords="offset points", fontsize=8)
    ax.set_xlabel("privacy budget ε")
    ax.set_ylabel("largest possible advantage  TPR − FPR")
    ax.set_xlim(0, eps_max)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.set_title(title or "Differential privacy caps every attack's advantage")
    return fig


def token_loss_figure(texts: Mapping[str, str], losses: Mapping[str, np.ndarray], *, title: str | None = None) -> Figure:
    """Per-character loss (nats) of a few texts, one panel each, the characters on the x axis (notebook 11).

    ``texts`` and ``losses`` are keyed by a label (e.g. ``"member"``, ``"non-member"``); ``losses[label]``
    holds one value per character of the text, then one for the end of the text.
    """
    labels = list(texts)
    fig = Figure(figsize=(12.0, 1.9 * len(labels) + 0.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(len(labels), 1, sharey=True))
    top = max(float(np.nanmax(losses[k])) for k in labels) * 1.1
    colours = {0: MEMBER, 1: NON_MEMBER}
    for i, (ax, label) in enumerate(zip(axes, labels)):
        text, loss = texts[label], np.asarray(losses[label], dtype=float)[:len(texts[label]) + 1]
        x = np.arange(len(loss))
        ax.bar(x, loss, color=colours.get(i, OKABE_ITO[(i + 2) % len(OKABE_ITO)]), width=0.85)
        ax.set_xticks(x, list(text) + ["⏎"], fontsize=8, fontfamily="monospace")
        ax.set_xlim(-0.6, len(loss) - 0.4)
        ax.set_ylim(0, top)
        ax.set_ylabel("loss (nats)")
        ax.set_title(f"{label}: mean loss {np.nanmean(loss):.2f} nats per character", fontsize=10, loc="left")
        ax.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title)
    return fig


def exposure_figure(curves: Mapping[str, tuple], *, n_candidates: int, title: str | None = None) -> Figure:
    """Exposure (bits) against the number of insertions of each canary: ``{label: (insertions, exposure)}``.

    The x axis is symmetric-log (0 insertions is the control canary, never in the training text); the
    dashed line is the most exposure possible, log2(``n_candidates``): the true secret ranked first.
    """
    fig, ax = _new_figure(6.0, 4.0)
    top = float(np.log2(n_candidates))
    for i, (label, (r, e)) in enumerate(curves.items()):
        ax.plot(r, e, marker="o", lw=2, color=OKABE_ITO[i % len(OKABE_ITO)], label=label)
    ax.axhline(top, ls="--", color="grey", lw=1, label=f"maximum: log2({n_candidates:,}) = {top:.1f} bits")
    ax.axhline(np.log2(np.e), ls=":", color="grey", lw=1, label="expected for a secret never seen (≈1.4)")
    ax.set_xscale("symlog", linthresh=1)
    all_r = sorted({int(v) for r, _ in curves.values() for v in r})
    ax.set_xticks(all_r, [str(v) for v in all_r])
    ax.set_ylim(0, top * 1.3)  # room for the legend above the maximum
    ax.set_xlabel("times the canary was inserted in the training text (r)")
    ax.set_ylabel("exposure (bits)")
    ax.set_title(title or "Exposure grows with every insertion of the secret")
    ax.grid(alpha=0.3, which="both")
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    return fig
