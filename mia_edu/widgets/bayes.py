"""The Bayes-error lab (notebook 06): a membership game whose best possible attack is known exactly.

Members ~ N(μ, σ₁²), non-members ~ N(0, 1) (:func:`mia_edu.information.gaussian_case`). Sliders for
μ, σ₁ and the sample size n; a button draws a fresh sample. The panel compares the exact answer
(Bayes error, AUC and advantage of the optimal attack, mutual information) with what a finite
sample gives: the k-NN mutual-information estimate with its CI, the Fano / Hellman–Raviv bounds it
implies, and the error of the optimal rule on the sample — the *fixed* Bayes rule (member iff the
likelihood ratio says so, decided before seeing the sample: an unbiased estimate of the Bayes
error), beside the threshold tuned on the same sample (optimistic: below the Bayes error on
average at small n). Watch the estimates close in on the truth as n grows, and the bounds bracket
the Bayes error.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import metrics, plots
from ..information import Estimate, GaussianCase, bayes_error_bounds, gaussian_case, mutual_information
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

X_RANGE = (-5.0, 9.0)
FPR_GRID = np.logspace(-4, 0, 49)


def rule_errors(case: GaussianCase, x, is_member) -> dict[str, float]:
    """Error and advantage on a sample of the fixed Bayes rule and of the threshold tuned on it.

    ``fixed_*``: member iff ``log f1(x)/f0(x) ≥ 0`` (the Bayes rule for equal priors, known before
    the sample is drawn), so its error on a fresh sample is an unbiased estimate of the Bayes
    error. ``tuned_*``: the best threshold on the same score, chosen on the sample itself — the
    in-sample optimum, optimistic (at n = 100, μ = 1 it averages about 0.28 against the true 0.3085).
    Errors are balanced, ``(FNR + FPR) / 2``.
    """
    s, m = metrics.check_scores(case.log_likelihood_ratio(x), is_member)
    called = s >= 0.0
    fixed_adv = float(called[m].mean() - called[~m].mean())
    tuned_adv = metrics.advantage(s, m)
    return {"fixed_error": (1.0 - fixed_adv) / 2.0, "fixed_advantage": fixed_adv,
            "tuned_error": (1.0 - tuned_adv) / 2.0, "tuned_advantage": tuned_adv}


@dataclass(frozen=True, eq=False)
class BayesResult:
    """Exact quantities of the case and their estimates from one sample of ``n``."""

    case: GaussianCase
    n: int
    seed: int
    x: np.ndarray
    is_member: np.ndarray
    mi: Estimate
    bounds_exact: tuple[float, float]
    bounds_estimated: tuple[float, float]
    empirical_auc: float
    empirical_advantage: float
    fixed_rule_error: float = float("nan")
    fixed_rule_advantage: float = float("nan")

    @property
    def empirical_error(self) -> float:
        """Error of the best threshold on the optimal score, tuned on this sample (optimistic)."""
        return (1.0 - self.empirical_advantage) / 2.0


class BayesErrorLab(Panel):
    """Exact Bayes error vs what a sample of n tells, on the Gaussian membership game.

    Parameters
    ----------
    mu, sigma1 : float
        Start values: members ~ N(mu, sigma1²), non-members ~ N(0, 1).
    sizes : tuple of int
        Choices of the sample-size slider (half members, half non-members).
    n_boot : int
        Half-sampling replicates of the MI confidence interval.
    warm_up : bool
        Compute the first view at construction.
    """

    def __init__(self, mu: float = 1.0, sigma1: float = 1.0, *, sizes=(100, 300, 1000, 3000, 10000), n: int = 1000,
                 n_boot: int = 20, warm_up: bool = True):
        super().__init__()
        if n not in sizes:
            raise ValueError(f"n must be one of sizes {tuple(sizes)}, got {n!r}")
        gaussian_case(mu, 1.0, sigma1)  # validates mu and sigma1 with clear messages
        self.n_boot = n_boot
        self.cache = ResultCache(128)
        self.result: BayesResult | None = None
        self.mu = W.FloatSlider(value=mu, min=0.0, max=3.0, step=0.1, description="μ (members' mean)",
                                continuous_update=False, style=slider_style(), layout=W.Layout(width="320px"))
        self.sigma1 = W.FloatSlider(value=sigma1, min=0.5, max=2.0, step=0.1, description="σ₁ (members' sd)",
                                    continuous_update=False, style=slider_style(), layout=W.Layout(width="320px"))
        self.n = W.SelectionSlider(options=list(sizes), value=n, description="sample size n",
                                   continuous_update=False, style=slider_style(), layout=W.Layout(width="320px"))
        self.seed = 0
        self.resample = W.Button(description="draw a new sample", icon="refresh", layout=W.Layout(width="200px"))
        self._build_figure()
        self._update = self.guard(self.update)
        for control in (self.mu, self.sigma1, self.n):
            control.observe(lambda change: self._update(), names="value")
        self.resample.on_click(self.guard(self._on_resample))
        self._assemble(columns([self.mu, self.sigma1, self.n, self.resample], [self.readout],
                               widths=["330px", "560px"]))
        if warm_up:
            self._update()

    def _on_resample(self, _button=None):
        self.seed += 1
        return self.update()

    def compute(self, mu: float, sigma1: float, n: int, seed: int) -> BayesResult:
        key = (round(mu, 6), round(sigma1, 6), n, seed)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        case = gaussian_case(mu, 1.0, sigma1)
        x, m = case.sample(n, seed)
        mi = mutual_information(x, m, n_boot=self.n_boot, seed=seed)
        score = case.log_likelihood_ratio(x)
        rules = rule_errors(case, x, m)
        result = BayesResult(case=case, n=n, seed=seed, x=x, is_member=m, mi=mi,
                             bounds_exact=bayes_error_bounds(case.mi_bits),
                             bounds_estimated=bayes_error_bounds(min(mi.value, 1.0)),
                             empirical_auc=metrics.roc_auc(score, m), empirical_advantage=rules["tuned_advantage"],
                             fixed_rule_error=rules["fixed_error"], fixed_rule_advantage=rules["fixed_advantage"])
        self.cache.put(key, result)
        return result

    def _build_figure(self) -> None:
        fig = Figure(figsize=(11.0, 3.5))
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.9, wspace=0.22)
        ax_x, ax_roc = self.axes = fig.subplots(1, 2)
        a = self.artists = {}
        a["hist_non"] = ax_x.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.4, color=plots.NON_MEMBER,
                                    label="non-members (sample)")
        a["hist_mem"] = ax_x.stairs([0.0], [0.0, 1.0], fill=True, alpha=0.4, color=plots.MEMBER,
                                    label="members (sample)")
        a["pdf_non"], = ax_x.plot([], [], color=plots.NON_MEMBER, lw=2, label="N(0, 1)")
        a["pdf_mem"], = ax_x.plot([], [], color=plots.MEMBER, lw=2, label="N(μ, σ₁²)")
        ax_x.set_xlim(*X_RANGE)
        ax_x.set_ylim(0, 0.85)
        ax_x.set_xlabel("feature x")
        ax_x.set_ylabel("density")
        a["roc_exact"], = ax_roc.plot([], [], color="#000000", lw=2.5, label="exact optimal ROC")
        a["roc_sample"], = ax_roc.plot([], [], color=plots.OKABE_ITO[2], lw=1.5, label="optimal rule on the sample")
        ax_roc.legend(frameon=False, loc="lower right", fontsize=8)
        legends = [ax_x.legend(frameon=False, loc="upper right", fontsize=8)]
        for ax in self.axes:
            ax.grid(alpha=0.3)
            ax.set_title(" ")
        self.figure = fig
        self.blit = BlitFigure(fig, [a["hist_non"], a["hist_mem"], a["pdf_non"], a["pdf_mem"], a["roc_exact"],
                                     a["roc_sample"], *(ax.title for ax in self.axes), *legends], dpi=FIGURE_DPI)

    def draw(self, r: BayesResult) -> None:
        ax_x, ax_roc = self.axes
        a = self.artists
        grid = np.linspace(*X_RANGE, 400)
        from scipy import stats

        a["pdf_non"].set_data(grid, stats.norm.pdf(grid, 0.0, 1.0))
        a["pdf_mem"].set_data(grid, stats.norm.pdf(grid, r.case.mu, r.case.sigma1))
        edges = np.linspace(*X_RANGE, 57)
        x = np.clip(r.x, *X_RANGE)
        a["hist_mem"].set_data(np.histogram(x[r.is_member], bins=edges, density=True)[0], edges)
        a["hist_non"].set_data(np.histogram(x[~r.is_member], bins=edges, density=True)[0], edges)
        ax_x.set_title(f"Bayes error {r.case.bayes_error:.3f} (exact); n = {r.n} drawn")
        lo = 1.0 / int((~r.is_member).sum())
        ax_roc.set_xlim(lo, 1)
        ax_roc.set_ylim(lo, 1)
        fpr = FPR_GRID[FPR_GRID >= lo]
        a["roc_exact"].set_data(fpr, np.maximum(r.case.optimal_roc(fpr), lo))
        draw_roc(a["roc_sample"], r.case.log_likelihood_ratio(r.x), r.is_member)
        ax_roc.set_title(f"AUC exact {r.case.auc:.3f}, on the sample {r.empirical_auc:.3f}")
        if not getattr(self, "_roc_ready", None) == lo:
            for line in list(ax_roc.lines):
                if line not in (a["roc_exact"], a["roc_sample"]):
                    line.remove()
            setup_log_roc(ax_roc, int((~r.is_member).sum()))
            self._roc_ready = lo
        self.blit.set_frame(lo)

    def readout_html(self, r: BayesResult) -> str:
        c = r.case
        rows = [("Bayes error (exact)", f"{c.bayes_error:.3f}"),
                ("Fano ≤ Bayes error ≤ Hellman–Raviv, exact MI", f"{r.bounds_exact[0]:.3f} – {r.bounds_exact[1]:.3f}"),
                ("… from the estimated MI", f"{r.bounds_estimated[0]:.3f} – {r.bounds_estimated[1]:.3f}"),
                ("error of the Bayes rule on the sample (fixed in advance)", f"{r.fixed_rule_error:.3f}"),
                ("… of the threshold tuned on the sample (optimistic)", f"{r.empirical_error:.3f}"),
                ("MI exact (bits)", f"{c.mi_bits:.4f}"),
                ("MI estimated (k-NN), 95% CI", f"{r.mi.value:.4f} [{r.mi.low:.3f}, {r.mi.high:.3f}]"),
                ("advantage exact / fixed rule / tuned (optimistic)",
                 f"{c.advantage:.3f} / {r.fixed_rule_advantage:.3f} / {r.empirical_advantage:.3f}")]
        return readout_table(rows, title=f"The truth vs a sample of n = {r.n} (draw {r.seed})")

    def update(self) -> BayesResult:
        r = self.compute(float(self.mu.value), float(self.sigma1.value), int(self.n.value), self.seed)
        self.draw(r)
        self.result = r
        self.readout.value = self.readout_html(r)
        self.image.value = self.blit.png()
        return r


def bayes_error_lab(mu: float = 1.0, sigma1: float = 1.0, **kwargs) -> BayesErrorLab:
    """Build the notebook-06 panel (see :class:`BayesErrorLab`)."""
    return BayesErrorLab(mu, sigma1, **kwargs)
