"""Membership inference on a tiny character-level language model, offline (notebook 11).

- :mod:`~mia_edu.text.corpus` — generated patient records and Secret-Sharer canaries;
- :mod:`~mia_edu.text.model` — a character-level GRU, its recipe :class:`LMConfig`, cached training;
- :mod:`~mia_edu.text.signals` — sequence scores: loss, zlib ratio, Min-K %, Min-K %++, reference;
- :mod:`~mia_edu.text.exposure` — the exact exposure of a canary;
- :mod:`~mia_edu.text.experiment` — every attack on one target, as ``python -m mia_edu lm`` prints it.
"""

from .blind import blind_scores
from .corpus import Canary, LMCorpus, make_canaries, make_lm_corpus, make_records
from .experiment import (
    ATTACKS,
    CHECKPOINTS,
    LMReport,
    lm_experiment,
    reference_texts,
    sequence_scores,
    train_references,
)
from .exposure import candidate_log_perplexities, exposure, exposure_from_rank, exposure_table, secret_rank
from .model import CHARS, LMConfig, TokenStats, TrainedLM, encode, n_parameters, train_lm, train_lm_many
from .signals import (
    loss_score,
    min_k_pp_score,
    min_k_score,
    perplexity,
    reference_score,
    zlib_entropy,
    zlib_score,
)

__all__ = ["ATTACKS", "CHARS", "CHECKPOINTS", "Canary", "LMConfig", "LMCorpus", "LMReport", "TokenStats",
           "TrainedLM", "blind_scores", "candidate_log_perplexities", "encode", "exposure", "exposure_from_rank",
           "exposure_table", "lm_experiment", "loss_score", "make_canaries", "make_lm_corpus", "make_records",
           "min_k_pp_score", "min_k_score", "n_parameters", "perplexity", "reference_score", "reference_texts",
           "secret_rank", "sequence_scores", "train_lm", "train_lm_many", "train_references", "zlib_entropy", "zlib_score"]
