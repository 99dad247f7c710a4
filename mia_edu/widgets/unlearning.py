"""The unlearning lab (notebook 07): pick a method and a forget-set size, run, read the attack's verdict.

Thin over :mod:`mia_edu.unlearning`: the original model and the retrained-from-scratch yardstick are
trained once (and cached on disk), the chosen method unlearns the forget set, and
:func:`~mia_edu.unlearning.evaluate_unlearning` fits the attack on retain vs validation and
applies it to the forget set. Work that takes seconds runs on a button, with a progress bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import plots
from .._threads import single_thread
from ..data import load_dataset
from ..splits import make_unlearning_split
from ..training import TrainConfig, train
from ..unlearning import METHODS, evaluate_unlearning, unlearn
from ._base import FIGURE_DPI, BlitFigure, Panel, ResultCache, columns, readout_table, slider_style

SIZES = {"train_size": 2500, "validation_size": 1500, "test_size": 1000}


@dataclass(frozen=True, eq=False)
class UnlearningRun:
    """One run of the lab: the method's report and the retrained yardstick's report."""

    method: str
    forget_size: int
    report: object
    yardstick: object


class UnlearningLab(Panel):
    """Run one unlearning method on an overfit MNIST-1D model and evaluate it by membership inference.

    Parameters
    ----------
    dataset : str
        A bundled data set name (the default sizes suit ``"mnist1d"``).
    forget_sizes : tuple of int
        Choices of the forget-set size.
    config : TrainConfig
        How the original model is trained (the default overfits, so the attack has something to see).
    method : str
        The method selected first (one of :data:`mia_edu.unlearning.METHODS`).
    seed : int
        Seed of the split, the training and the methods.
    run_at_start : bool
        Run the first setting at construction (trains the original model, seconds the first time).
    """

    def __init__(self, dataset: str = "mnist1d", *, forget_sizes=(100, 250, 500), config: TrainConfig | None = None,
                 method: str = "finetune", seed: int = 0, sizes: dict | None = None, run_at_start: bool = True):
        super().__init__()
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        self.sizes = dict(SIZES if sizes is None else sizes)
        self.config = TrainConfig(seed=seed) if config is None else config
        self.seed = seed
        self.dataset = load_dataset(dataset)
        self.cache = ResultCache(64)
        self.result: UnlearningRun | None = None
        self.method = W.Dropdown(options=list(METHODS), value=method, description="method",
                                 style=slider_style(), layout=W.Layout(width="300px"))
        self.forget_size = W.SelectionSlider(options=list(forget_sizes), value=forget_sizes[-1],
                                             description="forget size", continuous_update=False,
                                             style=slider_style(), layout=W.Layout(width="300px"))
        self.run_button = W.Button(description="run unlearning", icon="play", button_style="primary",
                                   layout=W.Layout(width="200px"))
        self.progress = W.IntProgress(value=0, min=0, max=4, description="", layout=W.Layout(width="300px"))
        self._build_figure()
        self.run_button.on_click(self.guard(self.run))
        self._assemble(columns([self.method, self.forget_size, self.run_button, self.progress], [self.readout],
                               widths=["320px", "560px"]))
        self._set_status("choose a method and a forget size, then press “run unlearning”")
        if run_at_start:
            self.guard(self.run)()

    def _step(self, text: str) -> None:
        self.progress.value += 1
        self._set_status(text)

    def run(self, _button=None) -> UnlearningRun:
        """Unlearn with the selected method and size (the button's callback); cached by setting."""
        method, forget_size = self.method.value, int(self.forget_size.value)
        hit = self.cache.get((method, forget_size))
        self.progress.value = 0
        if hit is None:
            self.run_button.disabled = True
            try:
                hit = self._run(method, forget_size)
            finally:
                self.run_button.disabled = False
            self.cache.put((method, forget_size), hit)
        self.progress.value = self.progress.max
        self.result = hit
        self.draw(hit)
        self.readout.value = self.readout_html(hit)
        self.image.value = self.blit.png()
        self._set_status(f"{method}, forget {forget_size}: done")
        return hit

    def _run(self, method: str, forget_size: int) -> UnlearningRun:
        ds = self.dataset
        split = make_unlearning_split(len(ds), forget_size=forget_size, seed=self.seed, **self.sizes)
        with single_thread():
            self._step("training the original model (cached after the first time)…")
            model = train(self.config, ds.X[split.train], ds.y[split.train], n_classes=ds.n_classes)
            self._step("retraining from scratch without the forget set: the yardstick…")
            retrained = unlearn("retrain", model, ds.X, ds.y, split, seed=self.seed)
            yardstick = evaluate_unlearning(retrained, ds.X, ds.y, split, seed=self.seed, method="retrain")
            self._step(f"unlearning with {method}…")
            unlearned = unlearn(method, model, ds.X, ds.y, split, seed=self.seed)
            self._step("attacking: fit on retain vs validation, apply to the forget set…")
            report = evaluate_unlearning(unlearned, ds.X, ds.y, split, seed=self.seed, retrained=yardstick,
                                         method=method)
        return UnlearningRun(method, forget_size, report, yardstick)

    def _build_figure(self) -> None:
        fig = Figure(figsize=(11.0, 3.4))
        fig.subplots_adjust(left=0.07, right=0.99, bottom=0.16, top=0.89, wspace=0.25)
        ax_bar, ax_hist = self.axes = fig.subplots(1, 2)
        a = self.artists = {}
        labels = ["retain (member)", "forget", "validation (non-member)"]
        colours = [plots.MEMBER, plots.OKABE_ITO[3], plots.NON_MEMBER]
        x = np.arange(3)
        a["bars_method"] = ax_bar.bar(x - 0.2, [0, 0, 0], width=0.38, color=colours, label="unlearned")
        a["bars_retrain"] = ax_bar.bar(x + 0.2, [0, 0, 0], width=0.38, color=colours, alpha=0.35, hatch="//",
                                       label="retrained (yardstick)")
        a["err_method"], = ax_bar.plot([], [], color="black", lw=1.5)
        a["err_retrain"], = ax_bar.plot([], [], color="black", lw=1.0, alpha=0.6)
        ax_bar.set_xticks(x, labels)
        ax_bar.set_ylim(0, 1)
        ax_bar.set_ylabel("fraction the attack calls member")
        ax_bar.legend(frameon=False, loc="upper right", fontsize=8)
        a["hist_method"] = ax_hist.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.5, color=plots.OKABE_ITO[3],
                                          label="forget set, unlearned")
        a["hist_retrain"] = ax_hist.stairs([0.0], [0.0, 1.0], fill=False, lw=2, color="black",
                                           label="forget set, retrained")
        ax_hist.axvline(0.0, color="grey", ls="--", lw=1)
        ax_hist.set_xlabel("attack score per forget sample, sign·log(1+|s|)  (> 0: member)")
        ax_hist.set_ylabel("fraction per bin")
        legends = [ax_hist.legend(frameon=False, loc="upper right", fontsize=8)]
        for ax in self.axes:
            ax.grid(alpha=0.3, axis="y")
            ax.set_title(" ")
        self.figure = fig
        animated = [*a["bars_method"], *a["bars_retrain"], a["err_method"], a["err_retrain"], a["hist_method"],
                    a["hist_retrain"], *(ax.title for ax in self.axes), *legends]
        self.blit = BlitFigure(fig, animated, dpi=FIGURE_DPI)

    def draw(self, run: UnlearningRun) -> None:
        ax_bar, ax_hist = self.axes
        a = self.artists
        for key, rep, shift in (("method", run.report, -0.2), ("retrain", run.yardstick, 0.2)):
            rates = [rep.retain_member_rate, rep.forget_member_rate, rep.validation_member_rate]
            cis = [rep.retain_member_ci, rep.forget_member_ci, rep.validation_member_ci]
            for bar, rate in zip(a[f"bars_{key}"], rates):
                bar.set_height(rate)
            xs, ys = [], []
            for i, (lo, hi) in enumerate(cis):
                xs += [i + shift, i + shift, np.nan]
                ys += [lo, hi, np.nan]
            a[f"err_{key}"].set_data(xs, ys)
        ax_bar.set_title(f"{run.method}: forget set called member {run.report.forget_member_rate:.0%} "
                         f"(retraining {run.yardstick.forget_member_rate:.0%})")
        # the scores span orders of magnitude on the non-member side: draw sign(s)·log(1 + |s|)
        s_m, s_r = (np.sign(v) * np.log1p(np.abs(v)) for v in (run.report.forget_scores, run.yardstick.forget_scores))
        lo, hi = np.quantile(np.concatenate([s_m, s_r]), [0.01, 0.99])
        lo, hi = min(lo, -0.5), max(hi, 0.5)
        edges = np.linspace(lo, hi, 41)
        a["hist_method"].set_data(np.histogram(np.clip(s_m, lo, hi), bins=edges)[0] / len(s_m), edges)
        a["hist_retrain"].set_data(np.histogram(np.clip(s_r, lo, hi), bins=edges)[0] / len(s_r), edges)
        ax_hist.set_xlim(lo, hi)
        top = max(a["hist_method"].get_data().values.max(), a["hist_retrain"].get_data().values.max())
        y_top = next(t for t in (0.1, 0.2, 0.3, 0.5, 1.0) if t >= top * 1.05 or t == 1.0)
        ax_hist.set_ylim(0, y_top)
        verdict = run.report.verdict or "no yardstick"
        ax_hist.set_title(f"Forget-set scores; verdict: {verdict}")
        self.blit.set_frame((round(lo, 6), round(hi, 6), y_top))

    def readout_html(self, run: UnlearningRun) -> str:
        r, y = run.report, run.yardstick
        rows = [("forget set called member", f"{r.forget_member_rate:.1%} (retrain {y.forget_member_rate:.1%})"),
                ("retain reference (TPR)", f"{r.retain_member_rate:.1%}"),
                ("validation reference (FPR)", f"{r.validation_member_rate:.1%}"),
                ("attack AUC, retain vs validation", f"{r.attack_auc:.3f}"),
                ("accuracy forget / test", f"{r.forget_acc:.3f} / {r.test_acc:.3f}"),
                ("gap to retraining [90 % CI]", "—" if r.vs_retrain is None else
                 f"{r.vs_retrain.gap:+.1%} [{r.vs_retrain.low:+.1%}, {r.vs_retrain.high:+.1%}]"),
                ("verdict vs retraining", "—" if r.vs_retrain is None else
                 f"{r.verdict} (margin ±{r.vs_retrain.margin:.0%}, McNemar p = {r.vs_retrain.mcnemar_p:.2g})")]
        if not r.distinguishable:
            rows.append(("caveat", "references overlap: the attack cannot see membership"))
        return readout_table(rows, title=f"{run.method}, forgetting {run.forget_size} samples")


def unlearning_lab(dataset: str = "mnist1d", **kwargs) -> UnlearningLab:
    """Build the notebook-07 panel (see :class:`UnlearningLab`)."""
    return UnlearningLab(dataset, **kwargs)
