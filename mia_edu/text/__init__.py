"""Membership inference on a tiny character-level language model, offline (notebook 11).

- :mod:`~mia_edu.text.corpus` — generated patient records and Secret-Sharer canaries;
- :mod:`~mia_edu.text.model` — a character-level GRU, its recipe :class:`LMConfig`, cached training;
- :mod:`~mia_edu.text.signals` — sequence scores: loss, zlib ratio, Min-K %, Min-K %++, reference;
- :mod:`~mia_edu.text.exposure` — the exact exposure of a canary;
- :mod:`~mia_edu.text.experiment` — every attack on one target, as ``python -m mia_edu lm`` prints it.
"""
