"""The one-run audit (Steinke, Nasr & Jagielski, NeurIPS 2023): m canaries, one training run.

Each of m canaries goes into the training set independently with probability 1/2
(:func:`~mia_edu.auditing.canaries.draw_inclusion`); the model is trained once; the auditor scores
every canary, guesses IN for the ``k_plus`` highest scores and OUT for the ``k_minus`` lowest, and
abstains on the rest. If training is ε-DP, each guess is right with probability at most
``e^ε / (1 + e^ε)`` *even given all the other canaries' inclusions* — the independent coin flips
are what let one run replace many (the paper's Theorem 3.1, by the link between DP and
generalisation, with no group-privacy cost). The number of correct guesses then proves
ε ≥ :func:`~mia_edu.auditing.bounds.one_run_epsilon`.

Its price: the guesses interfere (all canaries share one model), so the bound is looser than a
many-run audit with as many trials, and with ``r`` guesses it can never exceed what r correct
guesses prove (3.49 for r = 100 at 95 %, δ = 0). Taught in notebook 09.
"""

from __future__ import annotations

import time

import numpy as np

from .._validation import as_1d_float, as_membership, check_int
from ..training import TrainConfig, train
from .bounds import _check_confidence, _check_delta, one_run_epsilon
from .canaries import Canaries, draw_inclusion, insert_canaries
from .many_run import _curve_sizes, accountant_epsilon, canary_scores
from .result import AuditResult


def _guess(scores: np.ndarray, included: np.ndarray, k_plus: int, k_minus: int) -> tuple[int, int]:
    """(guesses, correct) for IN on the k_plus highest and OUT on the k_minus lowest scores (stable order)."""
    order = np.argsort(-scores, kind="stable")
    top, bottom = order[:k_plus], order[len(order) - k_minus:] if k_minus else order[:0]
    return k_plus + k_minus, int(included[top].sum() + (~included[bottom]).sum())


def one_run_audit(scores, included, *, k_plus: int | None = None, k_minus: int | None = None,
                  delta: float = 0.0, confidence: float = 0.95) -> AuditResult:
    """The ε lower bound from the canaries' scores in one training run and which of them were included.

    Parameters
    ----------
    scores : array, m
        The attack's score of each canary (high → member).
    included : bool array, m
        Which canaries were in the training set, drawn independently with probability 1/2 *before*
        training (:func:`~mia_edu.auditing.canaries.draw_inclusion`).
    k_plus, k_minus : int, optional
        Guess IN for the ``k_plus`` highest scores and OUT for the ``k_minus`` lowest (default: m // 10
        each). Fix them in advance: trying several and keeping the best overstates the bound.
    delta, confidence : float
        The δ of the bound and the level it holds at.

    Returns
    -------
    AuditResult
        ``trials`` = m; ``curve`` = the bound from the first n canaries alone (each a valid one-run audit
        with n canaries and the same share of guesses), for a grid of n.

    Examples
    --------
    >>> included = draw_inclusion(1000, seed=0)   # a perfect score: the 100 + 100 guesses are all right
    >>> r = one_run_audit(included.astype(float), included, k_plus=100, k_minus=100)
    >>> r.counts["correct"], round(r.epsilon_lower, 2)
    (200, 4.19)
    """
    s = as_1d_float(scores, "scores")
    inc = as_membership(included, "included", n=len(s), length_of="scores", both_classes=False)
    m = len(s)
    delta, confidence = _check_delta(delta), _check_confidence(confidence)
    k_plus = max(1, m // 10) if k_plus is None else check_int(k_plus, "k_plus", minimum=0)
    k_minus = max(1, m // 10) if k_minus is None else check_int(k_minus, "k_minus", minimum=0)
    if k_plus + k_minus > m:
        raise ValueError(f"k_plus + k_minus = {k_plus + k_minus} guesses is more than the {m} canaries")
    if k_plus + k_minus == 0:
        raise ValueError("k_plus + k_minus must be at least 1 (no guesses prove nothing)")
    r, v = _guess(s, inc, k_plus, k_minus)
    eps = one_run_epsilon(m, r, v, delta=delta, confidence=confidence)
    sizes, curve = _curve_sizes(m), []
    for n in sizes:
        kp, km = k_plus * int(n) // m, k_minus * int(n) // m  # rounded down: never more guesses than canaries
        if kp + km == 0:
            curve.append(0.0)
            continue
        rn, vn = _guess(s[:n], inc[:n], kp, km)
        curve.append(one_run_epsilon(int(n), rn, vn, delta=delta, confidence=confidence))
    counts = {"m": m, "guesses": r, "correct": v, "k_plus": k_plus, "k_minus": k_minus,
              "included": int(inc.sum())}
    return AuditResult("one-run", eps, confidence, delta, m, 1, counts, (sizes, np.array(curve)),
                       scores={"in": s[inc], "out": s[~inc]})


def train_one_run(config: TrainConfig | None, X, y, canaries: Canaries, *, n_classes: int | None = None,
                  seed: int = 0):
    """Insert each canary with probability 1/2 (seeded), train once (cached); score every canary.

    Returns ``(scores, included, model)``.
    """
    if not isinstance(canaries, Canaries):
        raise TypeError(f"canaries must be Canaries (make_canaries), got {type(canaries).__name__}")
    included = draw_inclusion(len(canaries), seed=check_int(seed, "seed", minimum=0))
    X_train, y_train = insert_canaries(X, y, canaries, included)
    model = train(config, X_train, y_train, n_classes=n_classes)
    return canary_scores(model, canaries), included, model


def run_one_run_audit(config: TrainConfig | None, X, y, canaries: Canaries, *, k_plus: int | None = None,
                      k_minus: int | None = None, delta: float = 0.0, confidence: float = 0.95,
                      n_classes: int | None = None, seed: int = 0) -> AuditResult:
    """:func:`train_one_run` then :func:`one_run_audit`, with the training's accountant ε and the time."""
    start = time.perf_counter()
    scores, included, model = train_one_run(config, X, y, canaries, n_classes=n_classes, seed=seed)
    result = one_run_audit(scores, included, k_plus=k_plus, k_minus=k_minus, delta=delta, confidence=confidence)
    return result.replace(epsilon_theory=accountant_epsilon(model), seconds=time.perf_counter() - start)
