"""The modern-attacks lab (notebook 10): model family × reference models → log–log ROC.

Thin over :mod:`mia_edu.attacks`: a target of the chosen family (the course's MLP, a random forest,
a 5-nearest-neighbour classifier or a logistic regression, from
:func:`mia_edu.training.recipes.named_recipe`) is trained on the members; the attacker trains
``k`` offline reference models of the same family on random halves of its own pool, on a button.
The panel draws, on log–log axes, the global loss threshold, offline LiRA (one pooled variance),
offline RMIA, the label-only attack and the blind baseline, and prints the target's train and
test accuracy beside each attack's AUC and TPR at 1 % FPR.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from .. import metrics, plots
from .._threads import single_thread
from ..attacks import RMIA, BlindAttack, LabelOnlyAttack, LiRA
from ..data import load_dataset
from ..signals import loss
from ..splits import make_split
from ..training import TrainConfig, train
from ..training.recipes import named_recipe
from ._base import FIGURE_DPI, BlitFigure, Panel, ResultCache, columns, draw_roc, readout_table, setup_log_roc

FAMILIES = ("mlp", "random_forest", "knn", "logistic")
CURVES = ("loss threshold", "LiRA offline", "RMIA offline", "label-only", "blind baseline")


@dataclass(frozen=True, eq=False)
class ModernRun:
    """One setting's results: the target's accuracy and each attack's scores."""

    family: str
    n_reference: int
    train_acc: float
    test_acc: float
    scores: dict
    seconds: float

    def auc(self, name: str, is_member: np.ndarray) -> float:
        return metrics.roc_auc(self.scores[name], is_member)


def family_recipe(family: str, seed: int = 0, config: TrainConfig | None = None):
    """The panel's recipe for a family: ``config`` (default: MLP width 128, 100 epochs) for ``"mlp"``,
    else :func:`~mia_edu.training.recipes.named_recipe` (the forest with 50 trees, to answer in seconds)."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if family == "mlp":
        return (TrainConfig(epochs=100, hidden=128) if config is None else config).replace(seed=seed)
    return named_recipe(family, seed=seed, **({"n_estimators": 50} if family == "random_forest" else {}))


class ModernLab(Panel):
    """Model family × number of reference models → the modern attacks' ROC, run on a button.

    Parameters
    ----------
    dataset : str
        A bundled data set name.
    n_members : int
        The target's training set; as many non-members, and an attacker's pool twice as large.
    references : tuple of int
        Choices of the number of offline reference models.
    family, n_reference : the first setting.
    config : TrainConfig, optional
        The MLP family's recipe.
    seed : int
        Data, split, target and reference-subset seed.
    progress : bool
        ``train_many``'s progress bar in the panel's output area.
    run_at_start : bool
        Run the first setting at construction.
    """

    def __init__(self, dataset: str = "mnist1d", *, n_members: int = 500, references=(1, 2, 4), family: str = "mlp",
                 n_reference: int = 2, config: TrainConfig | None = None, seed: int = 0, progress: bool = True,
                 run_at_start: bool = True):
        super().__init__()
        if n_reference not in references:
            raise ValueError(f"n_reference must be one of references {tuple(references)}, got {n_reference!r}")
        family_recipe(family)
        self.seed, self.show_progress, self.config = seed, progress, config
        ds = self.dataset = load_dataset(dataset, n_samples=4 * n_members, seed=seed)
        self.split = make_split(len(ds), train_size=n_members, holdout_size=n_members, shadow_size=2 * n_members,
                                seed=seed)
        idx, self.is_member = self.split.evaluation()
        self.X, self.y = ds.X[idx], ds.y[idx]
        self.X_pool, self.y_pool = ds.X[self.split.shadow], ds.y[self.split.shadow]
        self.cache = ResultCache(32)
        self.result: ModernRun | None = None
        self._blind = None

        self.family = W.ToggleButtons(options=[("MLP", "mlp"), ("random forest", "random_forest"), ("5-NN", "knn"),
                                               ("logistic reg.", "logistic")], value=family,
                                      style={"button_width": "105px"})
        self.n_reference = W.SelectionSlider(options=list(references), value=n_reference,
                                             description="reference models", continuous_update=False,
                                             style={"description_width": "112px"}, layout=W.Layout(width="320px"))
        self.run_button = W.Button(description="run the attacks", icon="play", button_style="primary",
                                   layout=W.Layout(width="200px"))
        self._build_figure()
        self.run_button.on_click(self.guard(self.run))
        self._assemble(columns([self.family, self.n_reference, self.run_button], [self.readout],
                               widths=["460px", "520px"]))
        self._set_status("choose a model family and the number of reference models, then press “run the attacks”")
        if run_at_start:
            self.guard(self.run)()

    # ---- work ----------------------------------------------------------------------------------
    def _blind_scores(self) -> np.ndarray:
        """The blind baseline does not depend on the model: fitted once, cross-fitted on the candidates."""
        if self._blind is None:
            cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=self.seed)
            self._blind = cross_val_predict(BlindAttack(), np.c_[self.X, self.y], self.is_member, cv=cv,
                                            method="decision_function")
        return self._blind

    def run(self, _button=None) -> ModernRun:
        """Train (or load) the target and the reference models of the chosen setting and redraw."""
        key = (str(self.family.value), int(self.n_reference.value))
        hit = self.cache.get(key)
        if hit is None:
            self.run_button.disabled = True
            try:
                start = time.perf_counter()
                family, k = key
                ds, split = self.dataset, self.split
                with single_thread():
                    self._set_status(f"training the {family} target (cached after the first time)…")
                    target = train(family_recipe(family, self.seed, self.config), ds.X[split.train], ds.y[split.train],
                                   n_classes=ds.n_classes)
                    attacker = family_recipe(family, self.seed + 1, self.config)
                    scores = {"loss threshold": -loss(target.logits(self.X), self.y)}
                    self._set_status(f"training {k} reference model(s) on halves of the attacker's pool…")
                    common = dict(n_reference=k, online=False, seed=self.seed, progress=self.show_progress)
                    with self.output:
                        lira = LiRA(attacker, fixed_variance=True, **common).fit(self.X_pool, self.y_pool,
                                                                                n_classes=ds.n_classes)
                        rmia = RMIA(attacker, **common).fit(self.X_pool, self.y_pool, n_classes=ds.n_classes)
                    scores["LiRA offline"] = lira.score_target(target, self.X, self.y)
                    scores["RMIA offline"] = rmia.score_target(target, self.X, self.y)
                    scores["label-only"] = LabelOnlyAttack(seed=self.seed).fit(self.X_pool).score_target(
                        target, self.X, self.y)
                    scores["blind baseline"] = self._blind_scores()
                    hit = ModernRun(family, k, target.accuracy(ds.X[split.train], ds.y[split.train]),
                                    target.accuracy(ds.X[split.holdout], ds.y[split.holdout]), scores,
                                    time.perf_counter() - start)
            finally:
                self.run_button.disabled = False
            self.cache.put(key, hit)
        self.result = hit
        self.redraw()
        self._set_status(f"{hit.family}, {hit.n_reference} reference model(s): done in {hit.seconds:.1f} s")
        return hit

    # ---- drawing -------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        fig = Figure(figsize=(6.2, 4.2))
        fig.subplots_adjust(left=0.12, right=0.98, bottom=0.13, top=0.9)
        ax = self.ax = fig.subplots()
        colours = (plots.OKABE_ITO[4], plots.OKABE_ITO[2], plots.OKABE_ITO[5], plots.OKABE_ITO[1], plots.OKABE_ITO[7])
        self.artists = {name: ax.plot([], [], color=c, lw=2.0 if i else 1.5, label=name)[0]
                        for i, (name, c) in enumerate(zip(CURVES, colours))}
        setup_log_roc(ax, int((~self.is_member).sum()))
        ax.legend(frameon=False, loc="lower right", fontsize=8)
        ax.grid(alpha=0.3)
        ax.set_title(" ")
        self.figure = fig
        self.blit = BlitFigure(fig, [*self.artists.values(), ax.title], dpi=FIGURE_DPI)

    def draw(self, run: ModernRun) -> None:
        for name, artist in self.artists.items():
            draw_roc(artist, run.scores[name], self.is_member)
        best = max(CURVES[1:4], key=lambda n: run.auc(n, self.is_member))
        self.ax.set_title(f"{run.family}, {run.n_reference} ref.: test acc {run.test_acc:.2f}, "
                          f"strongest {best} (AUC {run.auc(best, self.is_member):.2f})", fontsize=10)
        self.blit.set_frame((run.family, run.n_reference))

    def readout_html(self, run: ModernRun) -> str:
        m = self.is_member
        rows = [("target train / test accuracy", f"{run.train_acc:.3f} / {run.test_acc:.3f}")]
        rows += [(f"{name}: AUC, TPR at 1% FPR",
                  f"{metrics.roc_auc(run.scores[name], m):.3f}, {metrics.tpr_at_fpr(run.scores[name], m, 0.01):.1%}")
                 for name in CURVES]
        return readout_table(rows, title=f"{run.family}, {run.n_reference} offline reference model(s); "
                                         f"{int(m.sum())} members")

    def redraw(self) -> None:
        if self.result is None:
            return
        self.draw(self.result)
        self.readout.value = self.readout_html(self.result)
        self.image.value = self.blit.png()


def modern_lab(dataset: str = "mnist1d", **kwargs) -> ModernLab:
    """Build the notebook-10 panel (see :class:`ModernLab`)."""
    return ModernLab(dataset, **kwargs)
