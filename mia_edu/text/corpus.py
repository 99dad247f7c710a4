"""A generated text corpus with concrete privacy stakes: patient records, plus Secret-Sharer canaries.

Every record comes from one small grammar, filled from the word lists of :mod:`mia_edu.text.words`
by a seeded ``numpy.random.Generator`` (integers only: no Python ``hash``/``random``, no floats in the
text), so the same seed gives the same text on every machine and Python version::

    Uma Okafor, born 1958, treated for anaemia at St Anne on 2018-07-28.

A *canary* (Carlini et al. 2019, "The Secret Sharer") is a sentence with a random secret,
``The PIN of Lina Xu is 41957``, inserted ``r`` times into the training text; its exposure says how
far the model's ranking of all 10^5 possible PINs gives the true one away. Taught in notebook 11;
the data card is in ``data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_int, rng_from
from .words import CLINICS, CONDITIONS, FIRST_NAMES, LAST_NAMES

VISIT_YEARS = (2015, 2019)
"""Visit years of the ordinary records (inclusive): the members and the random-split non-members."""

SHIFTED_YEARS = (2022, 2024)
"""Visit years of the shifted non-members: a later date range, as a data set collected later would be."""

BIRTH_YEARS = (1940, 1999)

SECRET_DIGITS = 5
"""Digits of a canary's PIN: 10^5 candidate secrets, so exposure is at most log2(10^5) ≈ 16.6 bits."""


def _pick(rng: np.random.Generator, words: tuple[str, ...], n: int) -> list[str]:
    return [words[i] for i in rng.integers(0, len(words), n)]


def make_records(n_records: int, *, seed: int | np.random.Generator = 0,
                 years: tuple[int, int] = VISIT_YEARS) -> list[str]:
    """``n_records`` patient records from the grammar, visit dates within ``years`` (inclusive).

    Examples
    --------
    >>> make_records(2, seed=0)[0]
    'Uma Okafor, born 1958, treated for anaemia at St Anne on 2018-07-28.'
    """
    n = check_int(n_records, "n_records", minimum=0)
    lo, hi = _check_years(years)
    rng = rng_from(seed)
    first, last = _pick(rng, FIRST_NAMES, n), _pick(rng, LAST_NAMES, n)
    born = rng.integers(BIRTH_YEARS[0], BIRTH_YEARS[1] + 1, n)
    condition, clinic = _pick(rng, CONDITIONS, n), _pick(rng, CLINICS, n)
    year, month, day = rng.integers(lo, hi + 1, n), rng.integers(1, 13, n), rng.integers(1, 29, n)
    return [f"{first[i]} {last[i]}, born {born[i]}, treated for {condition[i]} at {clinic[i]} on "
            f"{year[i]}-{month[i]:02d}-{day[i]:02d}." for i in range(n)]


def _check_years(years) -> tuple[int, int]:
    if not isinstance(years, tuple) or len(years) != 2:
        raise TypeError(f"years must be a (first, last) tuple of integers, got {years!r}")
    lo, hi = check_int(years[0], "years[0]", minimum=1000), check_int(years[1], "years[1]", minimum=1000)
    if hi < lo or hi > 9999:
        raise ValueError(f"years must satisfy first <= last <= 9999, got {years!r}")
    return lo, hi


@dataclass(frozen=True)
class Canary:
    """One inserted secret: ``prefix + secret`` appears ``insertions`` times in the training text."""

    prefix: str
    secret: str
    insertions: int

    @property
    def text(self) -> str:
        return self.prefix + self.secret


def make_canaries(insertions=(1, 2, 4, 8, 16), *, seed: int | np.random.Generator = 0,
                  per_count: int = 1) -> list[Canary]:
    """``per_count`` canaries for each insertion count, each with its own person and random PIN.

    Examples
    --------
    >>> make_canaries((1, 4), seed=0)[1].text
    'The PIN of Ada Fischer is 86956'
    """
    counts = [check_int(r, "insertions", minimum=0) for r in insertions]
    check_int(per_count, "per_count", minimum=1)
    rng = rng_from(seed)
    out = []
    for r in counts:
        for _ in range(per_count):
            first, last = _pick(rng, FIRST_NAMES, 1)[0], _pick(rng, LAST_NAMES, 1)[0]
            secret = "".join(str(d) for d in rng.integers(0, 10, SECRET_DIGITS))
            out.append(Canary(f"The PIN of {first} {last} is ", secret, r))
    return out


@dataclass(frozen=True, eq=False)
class LMCorpus:
    """The texts of one language-model membership experiment (all generated; see :func:`make_lm_corpus`).

    Attributes
    ----------
    members : records the target trains on (and the candidates that are members).
    non_members : records from the same generator the target never sees (a proper random split).
    shifted : non-members from a later visit-date range (:data:`SHIFTED_YEARS`): a *shifted* split.
    reference : the attacker's own records from the same generator, for reference models (disjoint
        from every candidate).
    canaries : the inserted secrets; :attr:`training_texts` holds each ``insertions`` times.
    """

    members: tuple[str, ...]
    non_members: tuple[str, ...]
    shifted: tuple[str, ...]
    reference: tuple[str, ...]
    canaries: tuple[Canary, ...]
    seed: int

    @property
    def training_texts(self) -> list[str]:
        """The target's training set: the members, then each canary repeated ``insertions`` times."""
        return list(self.members) + [c.text for c in self.canaries for _ in range(c.insertions)]

    def candidates(self, shifted: bool = False) -> tuple[list[str], np.ndarray]:
        """Texts to attack and their truth: members then non-members (``shifted``: the later-dated ones)."""
        other = self.shifted if shifted else self.non_members
        texts = list(self.members) + list(other)
        return texts, np.r_[np.ones(len(self.members), bool), np.zeros(len(other), bool)]

    def __repr__(self) -> str:
        return (f"LMCorpus(members={len(self.members)}, non_members={len(self.non_members)}, "
                f"shifted={len(self.shifted)}, reference={len(self.reference)}, "
                f"canaries={[c.insertions for c in self.canaries]}, seed={self.seed})")


def make_lm_corpus(n_members: int = 300, n_non_members: int = 1000, *, n_shifted: int | None = None,
                   n_reference: int | None = None, insertions=(0, 1, 2, 4, 8, 16), canaries_per_count: int = 1,
                   seed: int = 0) -> LMCorpus:
    """Generate the corpus of notebook 11: members, non-members, shifted non-members, reference records, canaries.

    Members and non-members are one pool of ``n_members + n_non_members`` records split at random
    (a proper split: same generator, so a blind attack is at chance). The shifted non-members come
    from the same grammar with later visit dates; the reference records (default: ``2 × n_members``)
    are another draw the attacker owns. Each part has its own child seed of ``seed``
    (``numpy.random.SeedSequence``), so changing one size leaves the other parts' text unchanged.
    """
    n_members = check_int(n_members, "n_members", minimum=1)
    n_non_members = check_int(n_non_members, "n_non_members", minimum=1)
    n_shifted = n_non_members if n_shifted is None else check_int(n_shifted, "n_shifted", minimum=1)
    n_reference = 2 * n_members if n_reference is None else check_int(n_reference, "n_reference", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    pool_seq, shift_seq, ref_seq, split_seq, canary_seq = np.random.SeedSequence(seed).spawn(5)
    pool = make_records(n_members + n_non_members, seed=np.random.default_rng(pool_seq))
    order = np.random.default_rng(split_seq).permutation(len(pool))
    members = tuple(pool[i] for i in np.sort(order[:n_members]))
    non_members = tuple(pool[i] for i in np.sort(order[n_members:]))
    shifted = tuple(make_records(n_shifted, seed=np.random.default_rng(shift_seq), years=SHIFTED_YEARS))
    reference = tuple(make_records(n_reference, seed=np.random.default_rng(ref_seq)))
    canaries = tuple(make_canaries(insertions, seed=np.random.default_rng(canary_seq), per_count=canaries_per_count))
    return LMCorpus(members, non_members, shifted, reference, canaries, seed)
