"""The shadow / LiRA lab (notebook 05): how many reference models, online or offline, per example.

Thin over :class:`mia_edu.attacks.LiRA`: a target model is trained on the members; the attacker
trains ``n_reference`` reference models, on a button, with a progress bar — for **online** LiRA on
random halves of the candidates (members and non-members: each candidate is IN for about half of
them), for **offline** LiRA on random halves of a *disjoint* pool of as many samples, as the paper
defines it (every reference model is OUT for every candidate: N OUT values each, not N/2). The panel shows LiRA's ROC on log–log axes
against the global loss threshold, and for one chosen candidate the per-example picture: the
scaled logits of the reference models that trained on it (IN) and of those that did not (OUT),
their Gaussians, and where the target's own value falls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from .. import metrics, plots
from .._threads import single_thread
from ..attacks import LiRA
from ..data import load_dataset
from ..signals import loss, scaled_logit
from ..splits import make_split
from ..training import TrainConfig, train
from ._base import (
    FIGURE_DPI,
    BlitFigure,
    Panel,
    ResultCache,
    columns,
    draw_roc,
    readout_table,
    setup_log_roc,
    slider_style,
)


@dataclass(frozen=True, eq=False)
class LiraRun:
    """One LiRA run: scores of every candidate and the per-example Gaussian fits."""

    n_reference: int
    online: bool
    scores: np.ndarray
    fits: dict
    phi_target: np.ndarray
    auc: float
    tpr_at_1: float
    seconds: float


class ShadowLab(Panel):
    """LiRA against an overfit target: the number of reference models on a slider, run on a button.

    Parameters
    ----------
    dataset : str
        A bundled data set name.
    n_members : int
        Size of the target's training set; as many non-members are drawn. The candidates (the
        attacker's pool for online LiRA) are both; offline LiRA's pool is ``2 * n_members`` other
        samples of the same data set.
    config : TrainConfig
        The target's recipe, which the attacker reuses for the reference models.
    references : tuple of int
        Choices of the number of reference models.
    seed : int
        Seed of the data, the split, the target and the reference subsets.
    progress : bool
        Show ``train_many``'s progress bar (in the panel's output area) while references train.
    run_at_start : bool
        Run the first setting at construction.
    """

    def __init__(self, dataset: str = "mnist1d", *, n_members: int = 500, config: TrainConfig | None = None,
                 references=(2, 4, 8, 16), n_reference: int = 8, seed: int = 0, progress: bool = True,
                 run_at_start: bool = True):
        super().__init__()
        if n_reference not in references:
            raise ValueError(f"n_reference must be one of references {tuple(references)}, got {n_reference!r}")
        self.config = TrainConfig(epochs=100, hidden=128, seed=seed) if config is None else config
        self.seed, self.show_progress = seed, progress
        ds = self.dataset = load_dataset(dataset, n_samples=4 * n_members, seed=seed)
        self.split = make_split(len(ds), train_size=n_members, holdout_size=n_members, shadow_size=2 * n_members,
                                seed=seed)
        idx, self.is_member = self.split.evaluation()
        self.X, self.y = ds.X[idx], ds.y[idx]
        self.X_pool, self.y_pool = ds.X[self.split.shadow], ds.y[self.split.shadow]  # offline LiRA's references
        self.cache = ResultCache(32)
        self.result: LiraRun | None = None
        self.target = None

        self.n_reference = W.SelectionSlider(options=list(references), value=n_reference, description="reference models",
                                             continuous_update=False, style=slider_style(),
                                             layout=W.Layout(width="300px"))
        self.online = W.ToggleButtons(options=[("online (IN and OUT)", True), ("offline (OUT only)", False)],
                                      value=True, style={"button_width": "140px"})
        self.run_button = W.Button(description="run LiRA", icon="play", button_style="primary",
                                   layout=W.Layout(width="200px"))
        self.progress = W.IntProgress(value=0, min=0, max=3, layout=W.Layout(width="300px"))
        self.sample = W.IntSlider(value=0, min=0, max=len(self.y) - 1, description="candidate #",
                                  continuous_update=False, style=slider_style(), layout=W.Layout(width="300px"))
        self.most_exposed = W.Button(description="most exposed member", layout=W.Layout(width="200px"))
        self._build_figure()
        self.run_button.on_click(self.guard(self.run))
        self.sample.observe(lambda change: self._redraw(), names="value")
        self.most_exposed.on_click(self.guard(self._on_most_exposed))
        self._redraw = self.guard(self.redraw)
        self._assemble(columns([self.n_reference, self.online, self.run_button, self.progress],
                               [self.sample, self.most_exposed, self.readout], widths=["330px", "540px"]))
        self._set_status("choose the number of reference models, then press “run LiRA”")
        if run_at_start:
            self.guard(self.run)()

    # ---- work ----------------------------------------------------------------------------------
    def _train_target(self):
        if self.target is None:
            ds, split = self.dataset, self.split
            self.target = train(self.config, ds.X[split.train], ds.y[split.train], n_classes=ds.n_classes)
            logits = self.target.logits(self.X)
            self.loss_scores = -loss(logits, self.y)
            self.phi_target = scaled_logit(logits, self.y)
        return self.target

    def run(self, _button=None) -> LiraRun:
        """Fit LiRA with the chosen settings (cached by setting) and redraw (the button's callback)."""
        key = (int(self.n_reference.value), bool(self.online.value))
        self.progress.value = 0
        hit = self.cache.get(key)
        if hit is None:
            self.run_button.disabled = True
            try:
                start = time.perf_counter()
                with single_thread():
                    self._set_status("training the target (cached after the first time)…")
                    target = self._train_target()
                    self.progress.value = 1
                    where = "the candidates" if key[1] else "a disjoint pool (offline: every model OUT)"
                    self._set_status(f"training {key[0]} reference models on random halves of {where}…")
                    lira = LiRA(self.config, n_reference=key[0], online=key[1], seed=self.seed,
                                progress=self.show_progress)
                    X_ref, y_ref = (self.X, self.y) if key[1] else (self.X_pool, self.y_pool)
                    with self.output:
                        lira.fit(X_ref, y_ref, n_classes=self.dataset.n_classes)
                    self.progress.value = 2
                    scores = lira.score_target(target, self.X, self.y)
                    fits = lira.gaussians(self.X, self.y)
                hit = LiraRun(key[0], key[1], scores, fits, self.phi_target, metrics.roc_auc(scores, self.is_member),
                              metrics.tpr_at_fpr(scores, self.is_member, 0.01), time.perf_counter() - start)
            finally:
                self.run_button.disabled = False
            self.cache.put(key, hit)
        self.progress.value = self.progress.max
        self.result = hit
        self.redraw()
        self._set_status(f"LiRA with {hit.n_reference} reference models ({'online' if hit.online else 'offline'}): "
                         f"done in {hit.seconds:.1f} s")
        return hit

    def _on_most_exposed(self, _button=None):
        if self.result is None:
            raise RuntimeError("run LiRA first")
        members = np.flatnonzero(self.is_member)
        self.sample.value = int(members[np.argmax(self.result.scores[members])])

    # ---- drawing -------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        fig = Figure(figsize=(11.0, 3.5))
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.89, wspace=0.22)
        ax_roc, ax_one = self.axes = fig.subplots(1, 2)
        a = self.artists = {}
        a["roc_lira"], = ax_roc.plot([], [], color=plots.OKABE_ITO[2], lw=2.2, label="LiRA")
        a["roc_loss"], = ax_roc.plot([], [], color=plots.OKABE_ITO[4], lw=1.5, label="global loss threshold")
        setup_log_roc(ax_roc, int((~self.is_member).sum()))
        ax_roc.legend(frameon=False, loc="lower right", fontsize=8)
        a["rug_in"], = ax_one.plot([], [], "|", color=plots.MEMBER, ms=30, mew=2, label="IN reference models")
        a["rug_out"], = ax_one.plot([], [], "|", color=plots.NON_MEMBER, ms=30, mew=2, label="OUT reference models")
        a["pdf_in"], = ax_one.plot([], [], color=plots.MEMBER, lw=2)
        a["pdf_out"], = ax_one.plot([], [], color=plots.NON_MEMBER, lw=2)
        a["target"] = ax_one.axvline(0.0, color="black", lw=2, ls="--", label="the target's value")
        ax_one.set_xlabel("scaled logit φ of this candidate")
        ax_one.set_ylabel("density")
        legends = [ax_one.legend(frameon=False, loc="upper left", fontsize=8, markerscale=0.35)]
        for ax in self.axes:
            ax.grid(alpha=0.3)
            ax.set_title(" ")
        self.figure = fig
        self.blit = BlitFigure(fig, [a["roc_lira"], a["roc_loss"], a["pdf_in"], a["pdf_out"], a["rug_in"],
                                     a["rug_out"], a["target"], *(ax.title for ax in self.axes), *legends],
                               dpi=FIGURE_DPI)

    def draw(self, run: LiraRun, i: int) -> None:
        ax_roc, ax_one = self.axes
        a = self.artists
        draw_roc(a["roc_lira"], run.scores, self.is_member)
        draw_roc(a["roc_loss"], self.loss_scores, self.is_member)
        ax_roc.set_title(f"LiRA, {run.n_reference} references: AUC {run.auc:.3f}, TPR@1%FPR {run.tpr_at_1:.1%}")
        f = run.fits
        phi_ref, in_mask = f["phi_ref"][:, i], f["in_mask"][:, i]
        phi_t = float(run.phi_target[i])
        mu_out, sd_out = float(f["mu_out"][i]), float(f["sigma_out"][i])
        centres = [phi_t, mu_out, *phi_ref]
        spreads = [sd_out]
        show_in = run.online and np.isfinite(f["mu_in"][i]) and in_mask.any()
        if show_in:
            centres.append(float(f["mu_in"][i]))
            spreads.append(float(f["sigma_in"][i]))
        width = 4 * max(spreads + [1.0])
        lo, hi = min(centres) - width, max(centres) + width
        grid = np.linspace(lo, hi, 300)
        pdf_out = stats.norm.pdf(grid, mu_out, sd_out)
        pdf_in = stats.norm.pdf(grid, f["mu_in"][i], f["sigma_in"][i]) if show_in else np.full_like(grid, np.nan)
        a["pdf_out"].set_data(grid, pdf_out)
        a["pdf_in"].set_data(grid, pdf_in)
        top = float(np.nanmax(np.r_[pdf_out, pdf_in])) * 1.15
        a["rug_in"].set_data(phi_ref[in_mask], np.full(int(in_mask.sum()), 0.04 * top))
        a["rug_out"].set_data(phi_ref[~in_mask], np.full(int((~in_mask).sum()), 0.04 * top))
        a["target"].set_xdata([phi_t, phi_t])
        ax_one.set_xlim(lo, hi)
        ax_one.set_ylim(0, top)
        who = "member" if self.is_member[i] else "non-member"
        ax_one.set_title(f"candidate #{i} ({who}, class {self.y[i]}): LiRA score {run.scores[i]:.2f}")
        self.blit.set_frame((i, run.n_reference, run.online))

    def readout_html(self, run: LiraRun) -> str:
        m = self.is_member
        loss_auc = metrics.roc_auc(self.loss_scores, m)
        loss_tpr = metrics.tpr_at_fpr(self.loss_scores, m, 0.01)
        rows = [("LiRA AUC", f"{run.auc:.3f}"), ("LiRA TPR at 1% FPR", f"{run.tpr_at_1:.1%}"),
                ("loss threshold AUC", f"{loss_auc:.3f}"), ("loss threshold TPR at 1% FPR", f"{loss_tpr:.1%}")]
        n_out = run.fits["n_out"]
        rows.append(("OUT reference values per candidate", f"{int(n_out.min())}–{int(n_out.max())}"
                     if n_out.min() != n_out.max() else f"{int(n_out.min())}"))
        mode = "online" if run.online else "offline (disjoint pool)"
        return readout_table(rows, title=f"{run.n_reference} reference models, {mode}; {int(m.sum())} members")

    def redraw(self) -> None:
        if self.result is None:
            return
        self.draw(self.result, int(self.sample.value))
        self.readout.value = self.readout_html(self.result)
        self.image.value = self.blit.png()


def shadow_lab(dataset: str = "mnist1d", **kwargs) -> ShadowLab:
    """Build the notebook-05 panel (see :class:`ShadowLab`)."""
    return ShadowLab(dataset, **kwargs)
