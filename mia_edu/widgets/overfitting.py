"""The overfitting explorer (notebook 02): drag a training knob, watch members and non-members separate.

Sliders for epochs, hidden width, weight decay, training-set size, label smoothing and dropout
retrain the target model (``continuous_update=False``: once, when the slider is released); the
signal dropdown only re-scores the cached model. Three live panels — train/test accuracy per
epoch, the chosen signal's histogram for members vs non-members, and the ROC on log–log axes —
plus a readout of train/test accuracy, gap, AUC, advantage and TPR at 1 % FPR.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import metrics, plots
from .._threads import single_thread
from .._validation import check_int
from ..data import load_dataset
from ..signals import SIGNALS, compute_signals
from ..splits import make_split
from ..training import TrainConfig, train
from ._base import (
    CONTROL_WIDTH,
    FIGURE_DPI,
    MEMBER_HIGH,
    BlitFigure,
    Panel,
    ResultCache,
    columns,
    control_layout,
    draw_histograms,
    draw_roc,
    readout_table,
    setup_log_roc,
    slider_style,
)

SETTING_FIELDS = ("epochs", "hidden", "weight_decay", "train_size", "label_smoothing", "dropout")


@dataclass(frozen=True)
class Setting:
    """One position of the explorer's training sliders: the key of the result cache."""

    epochs: int
    hidden: int
    weight_decay: float
    train_size: int
    label_smoothing: float
    dropout: float


@dataclass(frozen=True, eq=False)
class ExplorerResult:
    """What one setting gives: the training history, every signal, and the attack's numbers.

    ``signals[name]`` holds members first (``train_size`` values) then the non-members; ``is_member``
    marks which is which. ``summary`` has ``train_acc``, ``test_acc``, ``gap`` and, per signal,
    ``auc``/``advantage``/``tpr_at_1%`` in ``attack[name]``.
    """

    setting: Setting
    history: dict
    signals: dict
    is_member: np.ndarray
    train_acc: float
    test_acc: float
    attack: dict
    train_seconds: float
    from_disk_cache: bool

    @property
    def gap(self) -> float:
        return self.train_acc - self.test_acc

    def score(self, signal: str) -> np.ndarray:
        """Attack score of ``signal`` (higher = more likely a member)."""
        values = self.signals[signal]
        return values if signal in MEMBER_HIGH else -values


class OverfittingExplorer(Panel):
    """Train a target model with the chosen knobs and show how much membership it leaks.

    Parameters
    ----------
    dataset : str
        A :func:`mia_edu.data.load_dataset` name (``"mnist1d"`` leaks visibly; ``"digits"`` barely).
    train_sizes : tuple of int
        Choices of the training-set (member) size slider; the default is the largest of these
        that is ≤ 1,000.
    holdout_size : int
        Number of non-members (fixed, so AUCs across settings are comparable).
    epochs_range : (min, max, step)
        The epochs slider.
    hidden_options, weight_decays, label_smoothings, dropouts : tuples
        The choices of the other sliders.
    config : TrainConfig
        Defaults for everything else (learning rate, depth, seed) and the sliders' start values.
    signal : str
        The signal shown first (one of :data:`mia_edu.signals.SIGNALS`).
    seed : int
        Seed of the data set and of the member/non-member split.
    warm_up : bool
        Compute the default setting at construction (so the panel shows a figure at once and the
        first slider move pays no start-up cost).

    Examples
    --------
    >>> ex = OverfittingExplorer(train_sizes=(250,), holdout_size=250, epochs_range=(10, 30, 10),
    ...                          config=TrainConfig(epochs=20, hidden=64))       # doctest: +SKIP
    >>> ex.weight_decay.value = 1e-2                                            # doctest: +SKIP
    >>> ex.result.attack["loss"]["auc"]                                         # doctest: +SKIP
    """

    def __init__(self, dataset: str = "mnist1d", *, train_sizes=(250, 500, 1000), holdout_size: int = 1000,
                 epochs_range=(10, 200, 10), hidden_options=(32, 64, 128, 256),
                 weight_decays=(0.0, 1e-4, 1e-3, 3e-3, 1e-2, 3e-2), label_smoothings=(0.0, 0.1, 0.2, 0.3),
                 dropouts=(0.0, 0.1, 0.2, 0.3, 0.5), config: TrainConfig | None = None, signal: str = "loss",
                 seed: int = 0, warm_up: bool = True, cache_size: int = 256):
        super().__init__()
        config = TrainConfig(epochs=100, hidden=128) if config is None else config
        if not isinstance(config, TrainConfig):
            raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
        if signal not in SIGNALS:
            raise ValueError(f"signal must be one of {SIGNALS}, got {signal!r}")
        train_sizes = tuple(sorted(check_int(n, "train_sizes", minimum=10) for n in train_sizes))
        if not train_sizes:
            raise ValueError("train_sizes must hold at least one size")
        check_int(holdout_size, "holdout_size", minimum=10)
        lo, hi, step = (check_int(v, "epochs_range", minimum=1) for v in epochs_range)
        if not lo <= config.epochs <= hi:
            raise ValueError(f"config.epochs={config.epochs} lies outside epochs_range {epochs_range}")
        self.config = config
        self.seed = seed
        self.dataset = load_dataset(dataset, n_samples=max(train_sizes) + holdout_size, seed=seed)
        self.split = make_split(len(self.dataset), train_size=max(train_sizes), holdout_size=holdout_size,
                                seed=seed)
        self.cache = ResultCache(cache_size)
        self._png_cache = ResultCache(cache_size)
        self.result: ExplorerResult | None = None

        def choices(values, value, name, fmt):
            values = tuple(values)
            if value not in values:
                values = tuple(sorted({*values, value}))
            return W.SelectionSlider(options=[(fmt(v), v) for v in values], value=value, description=name,
                                     continuous_update=False, style=slider_style(), layout=control_layout())

        default_size = max([n for n in train_sizes if n <= 1000] or [train_sizes[0]])
        self.epochs = W.IntSlider(value=config.epochs, min=lo, max=hi, step=step, description="epochs",
                                  continuous_update=False, style=slider_style(), layout=control_layout())
        self.hidden = choices(hidden_options, config.hidden, "hidden width", str)
        self.weight_decay = choices(weight_decays, config.weight_decay, "weight decay", lambda v: f"{v:g}")
        self.train_size = choices(train_sizes, default_size, "members", str)
        self.label_smoothing = choices(label_smoothings, config.label_smoothing, "label smoothing",
                                       lambda v: f"{v:g}")
        self.dropout = choices(dropouts, config.dropout, "dropout", lambda v: f"{v:g}")
        self.signal = W.Dropdown(options=list(SIGNALS), value=signal, description="signal",
                                 style=slider_style(), layout=control_layout())
        self.controls = {name: getattr(self, name) for name in SETTING_FIELDS}

        self._build_figure()
        self._update = self.guard(self.update)
        for control in (*self.controls.values(), self.signal):
            control.observe(lambda change: self._update(), names="value")

        self.signal.layout.width = "230px"
        self.signal.style.description_width = "50px"
        self._assemble(columns([self.epochs, self.hidden, self.train_size],
                               [self.weight_decay, self.label_smoothing, self.dropout],
                               [self.signal, self.readout], widths=[CONTROL_WIDTH, CONTROL_WIDTH, "240px"]))
        if warm_up:
            self._update()

    # ---- state -------------------------------------------------------------------------------
    def setting(self) -> Setting:
        """The setting the sliders show right now."""
        return Setting(**{name: self.controls[name].value for name in SETTING_FIELDS})

    def compute(self, setting: Setting) -> ExplorerResult:
        """Train (or fetch) the model for ``setting`` and score every signal. Cached by setting."""
        hit = self.cache.get(setting)
        if hit is not None:
            return hit
        ds, split = self.dataset, self.split
        members = split.train[:setting.train_size]
        cfg = self.config.replace(epochs=setting.epochs, hidden=setting.hidden,
                                  weight_decay=float(setting.weight_decay),
                                  label_smoothing=float(setting.label_smoothing), dropout=float(setting.dropout))
        start = time.perf_counter()
        with single_thread():
            model = train(cfg, ds.X[members], ds.y[members], X_eval=ds.X[split.holdout], y_eval=ds.y[split.holdout],
                          n_classes=ds.n_classes)
            logits = model.logits(ds.X[np.concatenate([members, split.holdout])])
        seconds = time.perf_counter() - start
        idx = np.concatenate([members, split.holdout])
        is_member = np.r_[np.ones(len(members), bool), np.zeros(len(split.holdout), bool)]
        sig = compute_signals(logits, ds.y[idx])
        sig.pop("logits")
        correct = logits.argmax(1) == ds.y[idx]
        attack = {}
        for name, values in sig.items():
            score = values if name in MEMBER_HIGH else -values
            attack[name] = {"auc": metrics.roc_auc(score, is_member), "advantage": metrics.advantage(score, is_member),
                            "tpr_at_1%": metrics.tpr_at_fpr(score, is_member, 0.01)}
        result = ExplorerResult(setting=setting, history=model.history, signals=sig, is_member=is_member,
                                train_acc=float(correct[is_member].mean()), test_acc=float(correct[~is_member].mean()),
                                attack=attack, train_seconds=seconds, from_disk_cache=model.from_cache)
        self.cache.put(setting, result)
        return result

    # ---- drawing -----------------------------------------------------------------------------
    def _build_figure(self) -> None:
        """One figure, three axes and their artists, made once; :meth:`draw` only changes their data.

        Axes limits are fixed per signal (epochs: the slider's range; histogram: a range per signal;
        ROC: 1/n to 1), so a move is visible as a change of the data, not of the axes, and the
        static parts render once (:class:`~mia_edu.widgets._base.BlitFigure`).
        """
        fig = Figure(figsize=(12.4, 3.5))
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.15, top=0.89, wspace=0.28)
        ax_curve, ax_hist, ax_roc = self.axes = fig.subplots(1, 3)
        a = self.artists = {}
        a["train"], = ax_curve.plot([], [], color=plots.MEMBER, lw=2, label="train (members)")
        a["test"], = ax_curve.plot([], [], color=plots.NON_MEMBER, lw=2, label="test (non-members)")
        ax_curve.set_xlim(0, self.epochs.max)
        ax_curve.set_ylim(0, 1.02)
        ax_curve.set_xlabel("epoch")
        ax_curve.set_ylabel("accuracy")
        a["hist_non"] = ax_hist.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.55, color=plots.NON_MEMBER,
                                       label="non-members")
        a["hist_mem"] = ax_hist.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.55, color=plots.MEMBER,
                                       label="members")
        ax_hist.set_ylabel("fraction of samples per bin")
        a["roc"], = ax_roc.plot([], [], color=plots.OKABE_ITO[2], lw=2, label="attack")
        setup_log_roc(ax_roc, len(self.split.holdout))
        legends = [ax_curve.legend(frameon=False, loc="lower right", fontsize=9),
                   ax_hist.legend(frameon=False, loc="upper right", fontsize=9),
                   ax_roc.legend(frameon=False, loc="lower right", fontsize=9)]
        for ax in self.axes:
            ax.grid(alpha=0.3, which="major")
            ax.set_title(" ")
        self.figure = fig
        self.blit = BlitFigure(fig, [a["train"], a["test"], a["hist_non"], a["hist_mem"], a["roc"],
                                     *(ax.title for ax in self.axes), *legends], dpi=FIGURE_DPI)

    def draw(self, result: ExplorerResult, signal: str) -> None:
        """Point the figure's artists at ``result`` and ``signal`` (in place: same figure, same axes)."""
        ax_curve, ax_hist, ax_roc = self.axes
        a = self.artists
        h = result.history
        ep = np.arange(1, len(h["train_acc"]) + 1)
        a["train"].set_data(ep, h["train_acc"])
        a["test"].set_data(ep, h["test_acc"])
        ax_curve.set_title(f"Train–test accuracy gap: {result.gap:.2f}")

        values, m = result.signals[signal], result.is_member
        y_top = draw_histograms(ax_hist, a["hist_mem"], a["hist_non"], values, m, signal)
        ax_hist.set_title(f"{signal}: members vs non-members")

        stats = result.attack[signal]
        draw_roc(a["roc"], result.score(signal), m)
        ax_roc.set_title(f"ROC: AUC {stats['auc']:.3f}, TPR@1%FPR {stats['tpr_at_1%']:.1%}")
        self.blit.set_frame((signal, y_top))

    def readout_html(self, result: ExplorerResult, signal: str) -> str:
        a = result.attack[signal]
        rows = [("train accuracy", f"{result.train_acc:.3f}"), ("test accuracy", f"{result.test_acc:.3f}"),
                ("gap (overfitting)", f"{result.gap:.3f}"), (f"AUC ({signal} attack)", f"{a['auc']:.3f}"),
                ("advantage", f"{a['advantage']:.3f}"), ("TPR at 1% FPR", f"{a['tpr_at_1%']:.1%}")]
        return readout_table(rows, title="Leakage at this setting")

    def update(self) -> ExplorerResult:
        """Bring result, readout and figure in line with the current sliders (the callback)."""
        start = time.perf_counter()
        setting, signal = self.setting(), self.signal.value
        cached = setting in self.cache
        if not cached:
            self._set_status("training…")
        result = self.compute(setting)
        self.draw(result, signal)  # cheap (data only): keeps ``figure`` true to the setting even on a cache hit
        png = self._png_cache.get((setting, signal))
        if png is None:
            png = self.blit.png()
            self._png_cache.put((setting, signal), png)
        self.result, self.shown_signal = result, signal
        self.readout.value = self.readout_html(result, signal)
        self.image.value = png
        self.last_step_seconds = time.perf_counter() - start
        how = "from memory" if cached else ("from the disk cache" if result.from_disk_cache else "trained")
        self._set_status(f"{how} in {self.last_step_seconds:.2f} s")
        return result


def overfitting_explorer(dataset: str = "mnist1d", **kwargs) -> OverfittingExplorer:
    """Build the notebook-02 panel: ``overfitting_explorer()`` as the last line of a cell shows it.

    Keyword arguments go to :class:`OverfittingExplorer`.
    """
    return OverfittingExplorer(dataset, **kwargs)
