"""The defences lab (notebook 08): pick a defence and its strength, see the point move on the frontier.

Thin over :func:`mia_edu.defences.evaluate_defence`: a button trains the target with the chosen
defence and its reference models with the same recipe, and attacks it with online LiRA and the
loss threshold (cached by setting, and on disk). Left, every point computed so far on the privacy–
utility plane (test accuracy vs LiRA's TPR at 1 % FPR), the current one ringed; right, the current
model's log–log ROC under the DP ceiling ``TPR ≤ e^ε·FPR + δ`` when it was trained with DP-SGD.
"""

from __future__ import annotations

import ipywidgets as W
from matplotlib.figure import Figure

from .._threads import single_thread
from ..defences import DEFENCES, FrontierPoint, FrontierSetting, FrontierTable, evaluate_defence
from ..defences.figures import draw_dp_roc, draw_frontier, roc_title
from ..defences.frontier import _Data
from ..training import TrainConfig
from ._base import FIGURE_DPI, Panel, columns, figure_png, readout_table, slider_style

#: The lab's recipe (the notebook's): 300 members, width 64, 60 epochs of batches of 64, 4 reference
#: models, DP-SGD for 15 epochs — a point trains in seconds. The CLI's default is larger.
LAB_SETTING = FrontierSetting("mnist1d", n_members=300, validation_size=100,
                              base=TrainConfig(epochs=60, hidden=64, batch_size=64), n_reference=4, dp_epochs=15)


def _fmt(strength) -> str:
    return "-" if strength is None else f"{strength:g}"


class DefencesLab(Panel):
    """Defence × strength → a point on the privacy–utility frontier and a ROC under the DP ceiling.

    Parameters
    ----------
    setting : FrontierSetting, optional
        The experiment (default :data:`LAB_SETTING`).
    table : FrontierTable, optional
        Points already computed (e.g. the notebook's frontier): they are shown from the start and
        are cache hits; its setting is used.
    defence, strength : the starting choice.
    run_at_start : compute the starting choice at construction.
    """

    def __init__(self, setting: FrontierSetting | None = None, *, table: FrontierTable | None = None,
                 defence: str = "dp_sgd", strength=None, run_at_start: bool = True):
        super().__init__()
        if table is not None and not isinstance(table, FrontierTable):
            raise TypeError(f"table must be a FrontierTable, got {type(table).__name__}")
        self.setting = table.setting if table is not None else (setting or LAB_SETTING)
        if not isinstance(self.setting, FrontierSetting):
            raise TypeError(f"setting must be a FrontierSetting, got {type(self.setting).__name__}")
        if defence not in DEFENCES:
            raise ValueError(f"defence must be one of {', '.join(DEFENCES)}, got {defence!r}")
        self._data = _Data(self.setting)
        #: (defence, strength) → FrontierPoint: every point computed (or handed in), in order
        self.cache: dict[tuple, FrontierPoint] = {}
        for p in (table.points if table is not None else []):
            self.cache[(p.defence, p.strength)] = p
        self.result: FrontierPoint | None = None

        self.defence = W.Dropdown(options=[(n.replace("_", " "), n) for n in DEFENCES], value=defence,
                                  description="defence", style=slider_style(), layout=W.Layout(width="300px"))
        self.strength = W.SelectionSlider(options=["-"], description="strength", continuous_update=False,
                                          style=slider_style(), layout=W.Layout(width="300px"))
        self.knob = W.HTML()
        self.run_button = W.Button(description="train & attack", icon="play", button_style="primary",
                                   layout=W.Layout(width="200px"))
        self._set_strengths(strength)
        self.defence.observe(self.guard(lambda change: self._on_defence()), names="value")
        self.strength.observe(self.guard(lambda change: self._on_strength()), names="value")
        self.run_button.on_click(self.guard(self.run))
        self.figure = Figure(figsize=(12.0, 4.4))
        self.figure.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.88, wspace=0.28)
        self._assemble(columns([self.defence, self.strength, self.knob, self.run_button],
                               [self.readout], widths=["330px", "540px"]))
        self._set_status("pick a defence and a strength, then press “train & attack”")
        if run_at_start:
            self.guard(self.run)()

    # ---- controls ------------------------------------------------------------------------------
    def _set_strengths(self, strength=None) -> None:
        d = DEFENCES[self.defence.value]
        strengths = self.strengths(d.name, extra=strength)
        self._strengths = {_fmt(s): s for s in strengths}  # slider label → strength
        value = strength if strength in strengths else d.strengths[-1]
        self.strength.options = list(self._strengths)
        self.strength.value = _fmt(value)
        self.strength.disabled = len(strengths) == 1
        self.knob.value = f"<span style='color:#555'>{d.knob}; {d.paper}</span>"

    def strengths(self, defence: str, extra=None) -> list:
        """The slider's strengths for ``defence``: its defaults, those already computed and ``extra``,
        weak → strong (the direction of the defaults: early stopping's patience falls)."""
        d = DEFENCES[defence]
        if d.strengths == (None,):
            return [None]
        found = {k[1] for k in self.cache if k[0] == defence} | set(d.strengths)
        if extra is not None:
            found.add(float(extra) if defence != "early_stopping" else int(extra))
        return sorted(found, reverse=d.strengths[0] > d.strengths[-1])

    def _key(self):
        return (self.defence.value, self._strengths[self.strength.value])

    def _on_defence(self) -> None:
        self._set_strengths()
        self._on_strength()

    def _on_strength(self) -> None:
        if self.strength.value not in self._strengths:  # options are being swapped by _set_strengths
            return
        hit = self.cache.get(self._key())
        if hit is not None:  # computed before: show it at once; otherwise wait for the button
            self._show(hit)
        else:
            self._set_status(f"{self._key()[0]} at {_fmt(self._key()[1])} is not computed yet: "
                             "press “train & attack”")

    # ---- work ------------------------------------------------------------------------------------
    def run(self, _button=None) -> FrontierPoint:
        """Train and attack the chosen setting (cached) and redraw: the button's callback."""
        key = self._key()
        hit = self.cache.get(key)
        if hit is None:
            self.run_button.disabled = True
            try:
                self._set_status(f"training the target and {self.setting.n_reference} reference models with "
                                 f"{key[0]} at {_fmt(key[1])}…")
                with single_thread(), self.output:
                    hit = evaluate_defence(self.setting, key[0], key[1], _data=self._data)
            finally:
                self.run_button.disabled = False
            self.cache[key] = hit
        self._show(hit)
        self._set_status(f"{hit.label}: done in {hit.seconds:.1f} s (cached from now on)")
        return hit

    # ---- drawing -------------------------------------------------------------------------------
    def points(self) -> list[FrontierPoint]:
        """Every point computed so far, undefended first, then in the order of :data:`DEFENCES`."""
        order = {name: i for i, name in enumerate(DEFENCES)}
        return sorted(self.cache.values(), key=lambda p: (order[p.defence], -1 if p.strength is None else p.strength))

    def _show(self, point: FrontierPoint) -> None:
        self.result = point
        fig = self.figure
        fig.clear()
        ax_front, ax_roc = fig.subplots(1, 2)
        points = self.points()
        draw_frontier(ax_front, points, highlight=point)
        # fixed, readable axes: every TPR from 1/n to 1, accuracy from 0 (points accumulate as you explore)
        ax_front.set_xlim(0.7 / int((~point.is_member).sum()), 1.0)
        ax_front.set_ylim(0.0, min(1.0, max(p.test_acc for p in points) + 0.1))
        ax_front.set_title("every point computed so far; ringed: this setting", fontsize=10)
        draw_dp_roc(ax_roc, point)
        ax_roc.set_title(roc_title(point), fontsize=10)
        self.image.value = figure_png(fig, FIGURE_DPI)
        self.readout.value = self.readout_html(point)

    def readout_html(self, p: FrontierPoint) -> str:
        eps = "-" if p.epsilon is None else f"{p.epsilon:.2f} (δ = {p.delta:.1e})"
        rows = [("train / test accuracy", f"{p.train_acc:.3f} / {p.test_acc:.3f}"), ("ε (RDP accountant)", eps),
                ("LiRA AUC", f"{p.lira['auc']:.3f}"), ("LiRA TPR at 1% FPR", f"{p.lira['tpr_at_1%']:.1%}"),
                ("LiRA TPR at 0.1% FPR", f"{p.lira['tpr_at_0.1%']:.1%}"),
                ("loss attack TPR at 1% FPR", f"{p.loss['tpr_at_1%']:.1%}"),
                ("LiRA advantage", f"{p.lira['advantage']:.3f}")]
        return readout_table(rows, title=f"{p.label}; {self.setting.n_members} members, "
                                         f"{self.setting.n_reference} reference models")


def defences_lab(setting: FrontierSetting | None = None, **kwargs) -> DefencesLab:
    """Build the notebook-08 panel (see :class:`DefencesLab`)."""
    return DefencesLab(setting, **kwargs)
