"""Membership inference on a tiny character-level language model, offline (notebook 11).

- :mod:`~mia_edu.text.corpus` — generated patient records and Secret-Sharer canaries;
- :mod:`~mia_edu.text.model` — a character-level GRU, its recipe :class:`LMConfig`, cached training;
- :mod:`~mia_edu.text.signals` — sequence scores: loss, zlib ratio, Min-K %, Min-K %++, reference;
- :mod:`~mia_edu.text.secret_sharer` — the exact exposure of a canary (Carlini et al. 2019);
- :mod:`~mia_edu.text.experiment` — every attack on one target, as ``python -m mia_edu lm`` prints it.
"""

import importlib

# Public names and the module that defines each, imported on first use: ``python -m mia_edu`` reads
# the ``lm`` command's parser from :mod:`mia_edu.text.cli` without importing torch or scikit-learn.
_WHERE = {
    "blind_scores": "blind",
    "Canary": "corpus", "LMCorpus": "corpus", "make_canaries": "corpus", "make_lm_corpus": "corpus",
    "make_records": "corpus",
    "ATTACKS": "experiment", "CHECKPOINTS": "experiment", "LMReport": "experiment", "lm_experiment": "experiment",
    "reference_texts": "experiment", "sequence_scores": "experiment", "train_references": "experiment",
    "candidate_log_perplexities": "secret_sharer", "exposure": "secret_sharer", "exposure_from_rank": "secret_sharer",
    "exposure_table": "secret_sharer", "secret_rank": "secret_sharer",
    "CHARS": "model", "LMConfig": "model", "TokenStats": "model", "TrainedLM": "model", "encode": "model",
    "n_parameters": "model", "train_lm": "model", "train_lm_many": "model",
    "loss_score": "signals", "min_k_pp_score": "signals", "min_k_score": "signals", "perplexity": "signals",
    "reference_score": "signals", "zlib_entropy": "signals", "zlib_score": "signals",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
