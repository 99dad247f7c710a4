"""Every attack of notebook 11 on one target language model, as ``python -m mia_edu lm`` prints it.

:func:`lm_experiment` generates the corpus, trains the target on the members plus the canaries and
``n_references`` reference models on the attacker's own records (cached), and returns an
:class:`LMReport`: one :class:`~mia_edu.attacks.AttackResult` per attack on the random split, the blind
baseline and the loss attack on the shifted split, and the canaries' exposure by insertion count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..attacks.result import AttackResult, format_table
from ..training.many import model_seeds
from .blind import blind_scores
from .corpus import LMCorpus, make_lm_corpus
from .model import LMConfig, TokenStats, TrainedLM, train_lm, train_lm_many
from .secret_sharer import exposure_table
from .signals import loss_score, min_k_pp_score, min_k_score, reference_score, zlib_score

ATTACKS = ("loss", "zlib", "min_k", "min_k_pp", "reference", "blind")
"""The attacks on the random split, in the order they are reported."""

CHECKPOINTS = (5, 10, 15, 20)
"""Epochs whose weights the target keeps (notebook 11 and its panel read memorisation epoch by epoch)."""


def sequence_scores(stats: TokenStats, texts: Sequence[str], *, k: float = 0.2,
                    reference_losses: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every model-based membership score of ``texts`` from the target's :class:`TokenStats`
    (``reference`` only when the reference models' losses, references × texts, are given)."""
    out = {"loss": loss_score(stats.logp), "zlib": zlib_score(stats.logp, texts),
           "min_k": min_k_score(stats.logp, k), "min_k_pp": min_k_pp_score(stats.logp, stats.mean, stats.std, k)}
    if reference_losses is not None:
        out["reference"] = reference_score(-out["loss"], reference_losses)
    return out


@dataclass(eq=False)
class LMReport:
    """The outcome of :func:`lm_experiment`.

    Attributes
    ----------
    results : attack name → :class:`AttackResult` on the random split (:data:`ATTACKS`).
    shifted : ``"blind_shifted"`` and ``"loss_shifted"``: the same members against later-dated non-members.
    exposure : one row per insertion count: ``{"insertions", "exposure", "ranks"}``.
    train_seconds : how long the target took to train (recorded at training time, kept in the cache).
    target, references, corpus : what the numbers came from.
    """

    results: dict[str, AttackResult]
    shifted: dict[str, AttackResult]
    exposure: list[dict]
    train_seconds: float
    target: TrainedLM = field(repr=False)
    references: list[TrainedLM] = field(repr=False)
    corpus: LMCorpus = field(repr=False)

    def table(self) -> str:
        """An aligned table: AUC and TPR at 1 % and 0.1 % FPR of every attack, both splits."""
        rows = [{"split": split, "attack": name, **{key: r.to_dict()[key] for key in ("auc", "tpr_at_1%", "tpr_at_0.1%")}}
                for split, group in (("random", self.results), ("shifted", self.shifted)) for name, r in group.items()]
        exp = ", ".join(f"r={row['insertions']}: {row['exposure']:.1f}" for row in self.exposure)
        return format_table(rows) + f"\nexposure (bits, of {np.log2(10 ** 5):.1f} at most): {exp}"

    def to_dict(self) -> dict:
        """The JSON of ``python -m mia_edu lm --json``."""
        def metrics(r: AttackResult) -> dict:
            d = r.to_dict()
            return {"auc": d["auc"], "tpr_at_1%": d["tpr_at_1%"], "tpr_at_0.1%": d["tpr_at_0.1%"]}

        out = {name: metrics(r) for name, r in self.results.items()}
        out["blind_shifted"] = metrics(self.shifted["blind_shifted"])
        out["loss_shifted"] = metrics(self.shifted["loss_shifted"])
        out["exposure"] = [{"insertions": row["insertions"], "exposure": row["exposure"]} for row in self.exposure]
        out["train_seconds"] = self.train_seconds
        out["train_cpu_seconds"] = float(self.target.history.get("cpu_seconds", [float("nan")])[0])
        return out


def reference_texts(corpus: LMCorpus, n_references: int, seed: int = 0) -> list[list[str]]:
    """One training set per reference model: ``len(corpus.members)`` records drawn without replacement
    from the attacker's own records (never a candidate), a fresh draw per model."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    n = min(len(corpus.members), len(corpus.reference))
    return [[corpus.reference[i] for i in np.sort(rng.choice(len(corpus.reference), n, replace=False))]
            for _ in range(n_references)]


def train_references(config: LMConfig, corpus: LMCorpus, n_references: int, *, seed: int = 0,
                     progress: bool = True) -> list[TrainedLM]:
    """The attacker's reference models: ``config`` with seeds ``model_seeds(config.seed, n + 1)[1:]``, each on
    its own draw of the attacker's records (:func:`reference_texts`), trained several at once and cached."""
    if isinstance(n_references, bool) or not isinstance(n_references, int) or n_references < 1:
        raise ValueError(f"n_references must be an integer >= 1, got {n_references!r}")
    seeds = [int(s) for s in model_seeds(config.seed, n_references + 1)[1:]]
    return train_lm_many(config, reference_texts(corpus, n_references, seed), seeds=seeds, progress=progress)


def lm_experiment(config: LMConfig | None = None, *, corpus: LMCorpus | None = None, n_references: int = 2,
                  k: float = 0.2, seed: int = 0, checkpoints=CHECKPOINTS, progress: bool = True) -> LMReport:
    """Train the target and references (cached) and run every attack; see :class:`LMReport`.

    ``corpus`` defaults to :func:`~mia_edu.text.make_lm_corpus` with ``seed``; the target trains on
    ``corpus.training_texts`` with ``config`` (default :class:`LMConfig`); reference model j uses the
    same recipe with its own seed on its own draw of the attacker's records (:func:`train_references`).
    The target keeps the weights after ``checkpoints`` epochs (those below ``config.epochs``), as
    notebook 11 and its panel train it: the same cache entry.
    """
    config = LMConfig() if config is None else config
    corpus = make_lm_corpus(seed=seed) if corpus is None else corpus
    if not isinstance(corpus, LMCorpus):
        raise TypeError(f"corpus must be an LMCorpus (make_lm_corpus), got {type(corpus).__name__}")
    keep = tuple(e for e in checkpoints if e < config.epochs)
    target = train_lm(config, corpus.training_texts, checkpoints=keep)
    references = train_references(config, corpus, n_references, seed=seed, progress=progress)
    texts, is_member = corpus.candidates()
    ref_losses = np.stack([ref.loss(texts) for ref in references])
    scores = sequence_scores(target.token_stats(texts), texts, k=k, reference_losses=ref_losses)
    scores["blind"] = blind_scores(texts, is_member, seed=seed)
    results = {name: AttackResult(scores[name], is_member, name) for name in ATTACKS}
    s_texts, s_member = corpus.candidates(shifted=True)
    shifted = {"blind_shifted": AttackResult(blind_scores(s_texts, s_member, seed=seed), s_member, "blind_shifted"),
               "loss_shifted": AttackResult(-target.loss(s_texts), s_member, "loss_shifted")}
    return LMReport(results, shifted, exposure_table(target, corpus.canaries),
                    float(target.history["seconds"][0]), target, references, corpus)
