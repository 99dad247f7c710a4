"""The language-model lab (notebook 11): epochs and insertions → ROC of the sequence attacks and exposure.

Thin over :mod:`mia_edu.text`: the target is trained once (cached on disk) with its weights kept at
several epochs (:data:`mia_edu.text.CHECKPOINTS`), so moving the epoch slider reads a stored checkpoint
instead of retraining; each epoch's scores and exposures are computed once and cached by setting.
The insertions control picks one canary: its 10^5 candidate PINs' log-perplexities, the true one marked.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np
from matplotlib.figure import Figure

from .. import metrics, plots
from ..text import (
    CHECKPOINTS,
    LMConfig,
    LMCorpus,
    candidate_log_perplexities,
    exposure_from_rank,
    make_lm_corpus,
    sequence_scores,
    train_lm,
)
from ._base import FIGURE_DPI, Panel, ResultCache, columns, draw_roc, figure_png, readout_table, setup_log_roc
from ._base import slider_style as _slider_style

SCORES = ("loss", "zlib", "min_k", "min_k_pp")


@dataclass(frozen=True, eq=False)
class EpochResult:
    """What the target says after ``epoch`` epochs: attack scores on the random split, per-canary
    candidate log-perplexities (bits) and exposures."""

    epoch: int
    scores: dict
    is_member: np.ndarray
    candidates: list
    exposures: np.ndarray
    train_loss: float


class LanguageLab(Panel):
    """Move through the epochs of one training run of the character-level LM and watch it memorise.

    Parameters
    ----------
    config : LMConfig
        The target's recipe (default :class:`~mia_edu.text.LMConfig`, as in the notebook: the cached
        model is reused).
    corpus : LMCorpus
        The texts (default :func:`~mia_edu.text.make_lm_corpus` with ``seed``).
    checkpoints : tuple of int
        Epochs the slider offers besides the last one.
    seed : int
        Corpus seed when ``corpus`` is not given.
    """

    def __init__(self, config: LMConfig | None = None, *, corpus: LMCorpus | None = None,
                 checkpoints=CHECKPOINTS, seed: int = 0):
        super().__init__()
        self.config = LMConfig() if config is None else config
        self.corpus = make_lm_corpus(seed=seed) if corpus is None else corpus
        keep = tuple(e for e in checkpoints if e < self.config.epochs)
        self._set_status("training the target (cached after the first time)…")
        self.model = train_lm(self.config, self.corpus.training_texts, checkpoints=keep)
        self.texts, self.is_member = self.corpus.candidates()
        self.cache = ResultCache(32)
        epochs = [*keep, self.config.epochs]
        counts = sorted({c.insertions for c in self.corpus.canaries})
        self.epochs = W.SelectionSlider(options=epochs, value=epochs[-1], description="epochs",
                                        continuous_update=False, style=_slider_style(),
                                        layout=W.Layout(width="300px"))
        self.insertions = W.SelectionSlider(options=counts, value=counts[min(1, len(counts) - 1)],
                                            description="insertions r", continuous_update=False,
                                            style=_slider_style(), layout=W.Layout(width="300px"))
        self._build_figure()
        self.epochs.observe(self.guard(lambda change: self.update()), names="value")
        self.insertions.observe(self.guard(lambda change: self.update()), names="value")
        self._assemble(columns([self.epochs, self.insertions], [self.readout], widths=["320px", "560px"]))
        self.result: EpochResult | None = None
        self.guard(self.update)()

    def compute(self, epoch: int) -> EpochResult:
        """Scores and exposures of the target stopped after ``epoch`` epochs (cached by epoch)."""
        hit = self.cache.get(epoch)
        if hit is None:
            lm = self.model.at_epoch(epoch)
            scores = sequence_scores(lm.token_stats(self.texts), self.texts)
            cands, exps = [], []
            for c in self.corpus.canaries:
                lp = candidate_log_perplexities(lm, c.prefix, len(c.secret))
                cands.append(lp)
                exps.append(exposure_from_rank(1 + int(np.sum(lp < lp[int(c.secret)])), len(lp)))
            hit = EpochResult(epoch, scores, self.is_member, cands, np.array(exps),
                              float(lm.history["train_loss"][-1]))
            self.cache.put(epoch, hit)
        return hit

    def update(self) -> EpochResult:
        r = self._timed(self.compute, int(self.epochs.value))
        self.result = r
        self.draw(r, int(self.insertions.value))
        self.readout.value = self.readout_html(r)
        self.image.value = figure_png(self.figure, FIGURE_DPI)
        self._set_status(f"epoch {r.epoch}: {self.last_step_seconds:.2f} s")
        return r

    def _build_figure(self) -> None:
        fig = Figure(figsize=(12.4, 3.6))
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.16, top=0.88, wspace=0.3)
        self.axes = fig.subplots(1, 3)
        ax_roc, ax_exp, ax_can = self.axes
        setup_log_roc(ax_roc, int((~self.is_member).sum()))
        self.roc_lines = {name: ax_roc.plot([], [], lw=2, color=plots.OKABE_ITO[i], label=name)[0]
                          for i, name in enumerate(SCORES)}
        ax_roc.legend(frameon=False, fontsize=8, loc="lower right")
        counts = np.array([c.insertions for c in self.corpus.canaries])
        self.exp_line, = ax_exp.plot(counts, np.zeros(len(counts)), marker="o", lw=2, color=plots.OKABE_ITO[4])
        self.exp_mark, = ax_exp.plot([], [], marker="o", ms=12, mfc="none", mec="black", lw=0)
        n = 10 ** len(self.corpus.canaries[0].secret)
        ax_exp.axhline(np.log2(n), ls="--", color="grey", lw=1)
        ax_exp.set_xscale("symlog", linthresh=1)
        ax_exp.set_xticks(sorted(set(counts.tolist())), [str(v) for v in sorted(set(counts.tolist()))])
        ax_exp.set_ylim(0, np.log2(n) * 1.08)
        ax_exp.set_xlabel("insertions r of the canary")
        ax_exp.set_ylabel("exposure (bits)")
        ax_can.set_xlabel("log-perplexity of a candidate PIN (bits)")
        ax_can.set_ylabel("candidates")
        for ax in self.axes:
            ax.grid(alpha=0.3, which="both")
        self.figure = fig

    def draw(self, r: EpochResult, insertions: int) -> None:
        ax_roc, ax_exp, ax_can = self.axes
        for name, line in self.roc_lines.items():
            draw_roc(line, r.scores[name], r.is_member)
        auc = metrics.roc_auc(r.scores["loss"], r.is_member)
        ax_roc.set_title(f"epoch {r.epoch}: loss attack AUC {auc:.3f}")
        counts = np.array([c.insertions for c in self.corpus.canaries])
        self.exp_line.set_ydata(r.exposures)
        k = int(np.flatnonzero(counts == insertions)[0])
        self.exp_mark.set_data([counts[k]], [r.exposures[k]])
        ax_exp.set_title(f"exposure by insertions (r={insertions}: {r.exposures[k]:.1f} bits)")
        ax_can.clear()
        lp, canary = r.candidates[k], self.corpus.canaries[k]
        ax_can.hist(lp, bins=60, color=plots.NON_MEMBER, alpha=0.7)
        ax_can.axvline(lp[int(canary.secret)], color=plots.MEMBER, lw=2.5, label=f"true PIN {canary.secret}")
        rank = 1 + int(np.sum(lp < lp[int(canary.secret)]))
        ax_can.set_title(f"r={insertions}: true PIN ranked {rank:,} of {len(lp):,}")
        ax_can.set_xlabel("log-perplexity of a candidate PIN (bits)")
        ax_can.set_ylabel("candidates")
        ax_can.legend(frameon=False, fontsize=8, loc="upper right")
        ax_can.grid(alpha=0.3)

    def readout_html(self, r: EpochResult) -> str:
        rows = [("training loss (nats / char)", f"{r.train_loss:.3f}")]
        for name in SCORES:
            s = r.scores[name]
            rows.append((f"{name}: AUC / TPR at 1 % FPR",
                         f"{metrics.roc_auc(s, r.is_member):.3f} / {metrics.tpr_at_fpr(s, r.is_member, 0.01):.1%}"))
        rows.append(("exposure by r (bits)", ", ".join(
            f"{c.insertions}: {e:.1f}" for c, e in zip(self.corpus.canaries, r.exposures))))
        return readout_table(rows, title=f"target after {r.epoch} of {self.config.epochs} epochs")


def language_lab(config: LMConfig | None = None, **kwargs) -> LanguageLab:
    """Build the notebook-11 panel (see :class:`LanguageLab`)."""
    return LanguageLab(config, **kwargs)
