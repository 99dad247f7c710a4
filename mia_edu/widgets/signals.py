"""The signal explorer (notebook 03): which signal separates members from non-members, per class.

Thin over :mod:`mia_edu.signals` and :mod:`mia_edu.metrics`: give it a target's logits on members
and non-members; pick a signal and a class; see the two histograms, the log–log ROC of every
signal (the chosen one bold) and a table of AUC and TPR at 1 % FPR. Nothing is trained, so a move
costs milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import metrics, plots
from .._validation import as_labels, as_membership
from ..signals import compute_signals
from ._base import (
    FIGURE_DPI,
    BlitFigure,
    Panel,
    ResultCache,
    columns,
    draw_histograms,
    draw_roc,
    oriented_score,
    readout_table,
    setup_log_roc,
    slider_style,
)

#: The signals offered: the five of :mod:`mia_edu.signals` and the label-free maximum probability.
EXPLORER_SIGNALS = ("loss", "confidence", "scaled_logit", "entropy", "modified_entropy", "max_probability")
ALL = "all classes"


@dataclass(frozen=True, eq=False)
class SignalView:
    """Signals of one subset (all samples, or one true class) and each signal's attack numbers."""

    subset: object
    signals: dict
    is_member: np.ndarray
    attack: dict


class SignalExplorer(Panel):
    """Compare the signals of one target model, over all samples or one true class.

    Parameters
    ----------
    logits : array, samples × classes
        The target's logits on members and non-members.
    y : array of int
        True labels.
    is_member : array of bool
        Membership of each sample (both kinds must be present).
    signal : str
        The signal shown first (one of :data:`EXPLORER_SIGNALS`).
    warm_up : bool
        Draw the first view at construction.

    Examples
    --------
    >>> panel = SignalExplorer(logits, y, is_member)   # doctest: +SKIP
    >>> panel.target_class.value = 3                    # doctest: +SKIP
    >>> panel.view.attack["loss"]["auc"]                # doctest: +SKIP
    """

    def __init__(self, logits, y, is_member, *, signal: str = "loss", warm_up: bool = True):
        super().__init__()
        if signal not in EXPLORER_SIGNALS:
            raise ValueError(f"signal must be one of {EXPLORER_SIGNALS}, got {signal!r}")
        self.is_member = as_membership(is_member, "is_member")
        z = np.asarray(logits, dtype=np.float64)
        if z.ndim != 2 or len(z) != len(self.is_member):
            raise ValueError(f"logits must be samples × classes with one row per is_member entry; got shape "
                             f"{z.shape} for {len(self.is_member)} samples")
        self.y = as_labels(y, "y", n=len(z), n_classes=z.shape[1], length_of="logits")
        sig = compute_signals(z, self.y)
        sig.pop("logits")
        sig["max_probability"] = np.exp(z.max(axis=1) - np.logaddexp.reduce(z, axis=1))
        self.signals = sig
        self.views = ResultCache(64)
        self._png_cache = ResultCache(256)
        self.view: SignalView | None = None

        classes = [(ALL, ALL)] + [(f"class {c}", int(c)) for c in np.unique(self.y)
                           if self.is_member[self.y == c].any() and (~self.is_member[self.y == c]).any()]
        self.signal = W.Dropdown(options=list(EXPLORER_SIGNALS), value=signal, description="signal",
                                 style=slider_style(), layout=W.Layout(width="280px"))
        self.target_class = W.Dropdown(options=classes, value=ALL, description="true class",
                                       style=slider_style(), layout=W.Layout(width="280px"))
        self._build_figure()
        self._update = self.guard(self.update)
        for control in (self.signal, self.target_class):
            control.observe(lambda change: self._update(), names="value")
        self._assemble(columns([self.signal, self.target_class], [self.readout], widths=["300px", "520px"]))
        if warm_up:
            self._update()

    def compute(self, subset) -> SignalView:
        """Signals and attack numbers of all samples (``subset="all classes"``) or one true class."""
        hit = self.views.get(subset)
        if hit is not None:
            return hit
        keep = np.ones(len(self.y), bool) if subset == ALL else self.y == subset
        m = self.is_member[keep]
        sig = {name: values[keep] for name, values in self.signals.items()}
        attack = {}
        for name in EXPLORER_SIGNALS:
            score = oriented_score(sig[name], name)
            attack[name] = {"auc": metrics.roc_auc(score, m), "advantage": metrics.advantage(score, m),
                            "tpr_at_1%": metrics.tpr_at_fpr(score, m, 0.01)}
        view = SignalView(subset, sig, m, attack)
        self.views.put(subset, view)
        return view

    def _build_figure(self) -> None:
        fig = Figure(figsize=(11.0, 3.6))
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.9, wspace=0.22)
        ax_hist, ax_roc = self.axes = fig.subplots(1, 2)
        a = self.artists = {}
        a["hist_non"] = ax_hist.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.55, color=plots.NON_MEMBER,
                                       label="non-members")
        a["hist_mem"] = ax_hist.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.55, color=plots.MEMBER,
                                       label="members")
        ax_hist.set_ylabel("fraction of samples per bin")
        for i, name in enumerate(EXPLORER_SIGNALS):
            a[name], = ax_roc.plot([], [], color=plots.OKABE_ITO[(i + 2) % len(plots.OKABE_ITO)], lw=1.2,
                                   label=name)
        setup_log_roc(ax_roc, int((~self.is_member).sum()))
        ax_roc.legend(frameon=False, loc="lower right", fontsize=8)
        legends = [ax_hist.legend(frameon=False, loc="upper right", fontsize=9)]
        for ax in self.axes:
            ax.grid(alpha=0.3)
            ax.set_title(" ")
        self.figure = fig
        self.blit = BlitFigure(fig, [a["hist_non"], a["hist_mem"], *(a[n] for n in EXPLORER_SIGNALS),
                                     *(ax.title for ax in self.axes), *legends], dpi=FIGURE_DPI)

    def draw(self, view: SignalView, signal: str) -> None:
        ax_hist, ax_roc = self.axes
        a = self.artists
        y_top = draw_histograms(ax_hist, a["hist_mem"], a["hist_non"], view.signals[signal], view.is_member, signal)
        where = "all classes" if view.subset == ALL else f"true class {view.subset}"
        ax_hist.set_title(f"{signal}, {where}: AUC {view.attack[signal]['auc']:.3f}")
        for name in EXPLORER_SIGNALS:
            draw_roc(a[name], oriented_score(view.signals[name], name), view.is_member)
            a[name].set_linewidth(3.0 if name == signal else 1.2)
            a[name].set_alpha(1.0 if name == signal else 0.6)
        ax_roc.set_title(f"ROC of every signal ({signal} bold), {where}")
        lo = 1.0 / int((~view.is_member).sum())  # the ROC's lower limit depends on the subset's size
        ax_roc.set_xlim(lo, 1)
        ax_roc.set_ylim(lo, 1)
        self.blit.set_frame((view.subset, signal, y_top, lo))

    def readout_html(self, view: SignalView, signal: str) -> str:
        rows = [(("▶ " if name == signal else "") + name,
                 f"AUC {a['auc']:.3f} · TPR@1% {a['tpr_at_1%']:.1%} · adv {a['advantage']:.3f}")
                for name, a in view.attack.items()]
        n_m, n_n = int(view.is_member.sum()), int((~view.is_member).sum())
        return readout_table(rows, title=f"Threshold attack on each signal ({n_m} members, {n_n} non-members)")

    def update(self) -> SignalView:
        subset, signal = self.target_class.value, self.signal.value
        view = self.compute(subset)
        self.draw(view, signal)
        png = self._png_cache.get((subset, signal))
        if png is None:
            png = self.blit.png()
            self._png_cache.put((subset, signal), png)
        self.view, self.shown = view, (subset, signal)
        self.readout.value = self.readout_html(view, signal)
        self.image.value = png
        return view


def signal_explorer(logits, y, is_member, **kwargs) -> SignalExplorer:
    """Build the notebook-03 panel from a target's logits, labels and membership."""
    return SignalExplorer(logits, y, is_member, **kwargs)
