"""The audit lab (notebook 09): runs or canaries, canary kind and DP noise → the ε lower bound vs the accountant's ε.

Thin over :mod:`mia_edu.auditing`: :func:`~mia_edu.auditing.experiment.audit_model` trains (cached on
disk) and audits; the panel draws the bound against the trials it used, the accountant's ε and what
a perfect attack could prove with as many trials, and the canary's IN/OUT scores. Training takes
seconds, so it runs on a button; every setting is cached, so revisiting one is instant.
"""

from __future__ import annotations

import ipywidgets as W
from matplotlib.figure import Figure

from .._threads import single_thread
from ..auditing.canaries import CANARY_KINDS
from ..auditing.experiment import NON_PRIVATE, audit_model, dp_config, perfect_attack_ceiling
from ..auditing.figures import bound_curve, canary_score_histogram
from ._base import Panel, ResultCache, columns, figure_png, readout_table, slider_style

TRIALS = {"many-run": (8, 16, 32, 64), "one-run": (100, 250, 500, 1000)}
"""Choices of the trials slider: runs with the canary (and as many without), or canaries."""

NOISE = (0.0, 1.0, 2.0, 4.0)
"""Choices of DP-SGD's noise multiplier σ; 0 = the non-private target."""


class AuditLab(Panel):
    """Audit one training recipe by one method; compare the ε lower bound with the accountant's ε.

    Parameters
    ----------
    method : ``"many-run"`` or ``"one-run"`` (selected first).
    noise : the DP-SGD noise multiplier selected first (0 = non-private).
    dp_changes : changes to the DP-SGD recipe (:data:`mia_edu.auditing.experiment.DP_RECIPE`).
    seed : seed of the setup, the canaries and the training.
    run_at_start : run the first setting at construction (seconds the first time, then cached).
    """

    def __init__(self, *, method: str = "one-run", noise: float = 0.0, canary: str = "mislabelled",
                 trials: int | None = None, n_train: int = 250, dp_changes: dict | None = None, seed: int = 0,
                 noise_choices=NOISE, trials_choices: dict | None = None, run_at_start: bool = True):
        super().__init__()
        choices = dict(TRIALS if trials_choices is None else trials_choices)
        if method not in choices:
            raise ValueError(f"method must be one of {tuple(choices)}, got {method!r}")
        if noise not in noise_choices:
            raise ValueError(f"noise must be one of {tuple(noise_choices)}, got {noise!r}")
        if canary not in CANARY_KINDS:
            raise ValueError(f"canary must be one of {CANARY_KINDS}, got {canary!r}")
        self.trials_choices, self.n_train, self.seed = choices, n_train, seed
        self.dp_changes = dict(dp_changes or {})
        self.cache = ResultCache(64)
        self.result = None
        style, width = slider_style(), W.Layout(width="300px")
        self.method = W.ToggleButtons(options=list(choices), value=method, description="audit", style=style)
        self.trials = W.SelectionSlider(options=list(choices[method]), value=trials or choices[method][-2],
                                        description=self._trials_label(method), continuous_update=False,
                                        style=style, layout=width)
        self.canary = W.Dropdown(options=list(CANARY_KINDS), value=canary, description="canary", style=style,
                                 layout=width)
        self.noise = W.SelectionSlider(options=list(noise_choices), value=noise, description="DP noise σ",
                                       continuous_update=False, style=style, layout=width)
        self.run_button = W.Button(description="run audit", icon="play", button_style="primary",
                                   layout=W.Layout(width="200px"))
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="300px"))
        self.method.observe(self.guard(self._method_changed), names="value")
        self.run_button.on_click(self.guard(self.run))
        self.figure = Figure(figsize=(12.4, 3.9), layout="constrained")
        self.axes = self.figure.subplots(1, 2, width_ratios=[3, 2])
        self._assemble(columns([self.method, self.trials, self.canary, self.noise],
                               [self.run_button, self.progress, self.readout], widths=["380px", "520px"]))
        self._set_status("choose an audit, its trials, a canary and the DP noise, then press “run audit”")
        if run_at_start:
            self.guard(self.run)()

    @staticmethod
    def _trials_label(method: str) -> str:
        return "runs (each side)" if method == "many-run" else "canaries m"

    def _method_changed(self, change) -> None:
        options = list(self.trials_choices[change["new"]])
        self.trials.options = options
        self.trials.value = options[-2] if len(options) > 1 else options[0]
        self.trials.description = self._trials_label(change["new"])

    def config(self, noise: float):
        """The training recipe for noise multiplier σ (0 → the non-private target)."""
        return NON_PRIVATE if noise == 0 else dp_config(noise, **self.dp_changes)

    def run(self, _button=None):
        """Audit the selected setting (the button's callback); cached by setting."""
        key = (self.method.value, int(self.trials.value), self.canary.value, float(self.noise.value))
        hit = self.cache.get(key)
        self.progress.value = 0
        if hit is None:
            self.run_button.disabled = True
            self._set_status("training and auditing (cached on disk after the first time)…")
            try:
                with single_thread():
                    result = audit_model(self.config(key[3]), key[0], trials=key[1], canary=key[2],
                                         n_train=self.n_train, seed=self.seed, progress=False)
                label = "non-private" if key[3] == 0 else f"DP-SGD σ={key[3]:g}"
                result = result.replace(model=label)
                self.draw(result)
                hit = (result, figure_png(self.figure), self.readout_html(result))
            finally:
                self.run_button.disabled = False
            self.cache.put(key, hit)
        self.result, png, readout = hit
        self.image.value, self.readout.value = png, readout
        self.progress.value = self.progress.max
        self._set_status(f"{self.result.summary()} — {self.result.seconds:.1f} s")
        return self.result

    def draw(self, result) -> None:
        """Redraw both panels for ``result``."""
        for ax in self.axes:
            ax.clear()
        trials = result.curve[0]
        ceiling = perfect_attack_ceiling(trials, method=result.method, delta=result.delta,
                                         confidence=result.confidence)
        bound_curve([result], ax=self.axes[0], ceiling=[(trials, ceiling, "a perfect attack, same trials")],
                    title="ε lower bound vs trials" + ("" if result.epsilon_theory is None
                                                        else " (dashed: the accountant's ε)"))
        canary_score_histogram(result, ax=self.axes[1], title="Canary scores, IN vs OUT")

    def readout_html(self, result) -> str:
        c = result.counts
        if result.method == "many-run":
            detail = (f"{c['true_positives']}/{c['n_in']} IN, {c['false_positives']}/{c['n_out']} OUT "
                      "called member")
        else:
            detail = f"{c['correct']} of {c['guesses']} guesses right (m = {c['m']})"
        theory = "— (not private)" if result.epsilon_theory is None else f"{result.epsilon_theory:.2f}"
        rows = [("ε lower bound", f"{result.epsilon_lower:.2f}"), ("accountant ε", theory),
                ("counts", detail), ("confidence, δ", f"{100 * result.confidence:g} %, {result.delta:g}"),
                ("training runs", str(result.runs)), ("seconds", f"{result.seconds:.1f}")]
        return readout_table(rows, title=f"{result.model}: {result.method} audit")


def audit_lab(**kwargs) -> AuditLab:
    """Build the notebook-09 panel (see :class:`AuditLab`)."""
    return AuditLab(**kwargs)
