"""The many-run audit (Jagielski, Ullman & Oprea 2020; Nasr et al. 2021): one trial per training run.

Train K models *with* a canary and K *without* it, on the same data otherwise; score the canary on
every model (here its scaled logit, high → member); choose a threshold on half of the runs (the
selection runs); count on the other half (the evaluation runs) how often "score ≥ threshold" calls
the canary a member with it (true positives) and without it (false positives); and turn the counts
into an ε lower bound with Clopper–Pearson intervals (:func:`~mia_edu.auditing.bounds.many_run_epsilon`).

Why it is sound: every run is an independent draw of the training algorithm on one of two
neighbouring data sets, so each count is a binomial count of independent trials and the
Clopper–Pearson interval covers the true rate. The threshold is fixed before the evaluation runs
are looked at, so choosing it costs nothing. Its price: the bound is capped by the number of runs
(a perfect attack on 2 × 50 evaluation runs proves ε ≥ 2.57 at 95 %, no more). Taught in notebook 09.
"""

from __future__ import annotations

import time

import numpy as np

from .._validation import as_1d_float, as_labels, check_fraction, check_int, rng_from
from ..information.dp import _epsilon_from_counts
from ..signals import scaled_logit
from ..training import TrainConfig, check_features, train_many
from .bounds import _check_confidence, _check_delta
from .canaries import Canaries
from .result import AuditResult


def _counts_at(scores_in: np.ndarray, scores_out: np.ndarray, thresholds: np.ndarray):
    """How many IN / OUT scores are ≥ each threshold."""
    s1, s0 = np.sort(scores_in), np.sort(scores_out)
    return (len(s1) - np.searchsorted(s1, thresholds, side="left"),
            len(s0) - np.searchsorted(s0, thresholds, side="left"))


def _curve_sizes(n: int, points: int = 12) -> np.ndarray:
    return np.unique(np.geomspace(min(2, n), n, points).astype(int))


def many_run_audit(scores_in, scores_out, *, delta: float = 0.0, confidence: float = 0.95,
                   selection_fraction: float = 0.5, seed=0) -> AuditResult:
    """The ε lower bound from a canary's scores on runs trained with it and runs trained without it.

    Parameters
    ----------
    scores_in, scores_out : arrays
        The attack's score of the canary (high → member) on each run trained with it / without it.
        One score per independent training run.
    delta : float
        The δ of the bound.
    confidence : float
        The bound holds with probability ≥ ``confidence`` over the evaluation runs.
    selection_fraction : float
        The share of runs (of each kind, drawn at random with ``seed``) used to choose the threshold:
        the one with the largest bound on those runs. The remaining runs give the counts.
    seed : int or numpy.random.Generator
        Which runs select the threshold.

    Returns
    -------
    AuditResult
        ``trials`` = evaluation runs; ``curve`` = the bound from the first n evaluation runs of each
        kind (the same threshold), for a grid of n.

    Examples
    --------
    >>> rng = np.random.default_rng(0)   # a canary that is always detected: the bound is capped by the runs
    >>> r = many_run_audit(rng.normal(10, 1, 100), rng.normal(0, 1, 100))
    >>> r.trials, round(r.epsilon_lower, 3)
    (100, 2.57)
    """
    s_in = as_1d_float(scores_in, "scores_in")
    s_out = as_1d_float(scores_out, "scores_out")
    for name, s in (("scores_in", s_in), ("scores_out", s_out)):
        if len(s) < 2:
            raise ValueError(f"{name} needs at least 2 runs (one to select the threshold, one to count), got {len(s)}")
    delta, confidence = _check_delta(delta), _check_confidence(confidence)
    frac = check_fraction(selection_fraction, "selection_fraction")
    rng = rng_from(seed)
    perm_in, perm_out = rng.permutation(len(s_in)), rng.permutation(len(s_out))
    n_sel_in = min(len(s_in) - 1, max(1, round(frac * len(s_in))))
    n_sel_out = min(len(s_out) - 1, max(1, round(frac * len(s_out))))
    sel_in, ev_in = s_in[perm_in[:n_sel_in]], s_in[perm_in[n_sel_in:]]
    sel_out, ev_out = s_out[perm_out[:n_sel_out]], s_out[perm_out[n_sel_out:]]

    # threshold: the best bound on the selection runs, among midpoints between their distinct scores
    distinct = np.unique(np.r_[sel_in, sel_out])
    candidates = np.r_[distinct[0] - 1.0, (distinct[1:] + distinct[:-1]) / 2, distinct[-1] + 1.0]
    k1, k0 = _counts_at(sel_in, sel_out, candidates)
    eps_sel = _epsilon_from_counts(k1, len(sel_in), k0, len(sel_out), delta, confidence)[0]
    threshold = float(candidates[int(np.argmax(eps_sel))])

    tp, fp = (int(c[0]) for c in _counts_at(ev_in, ev_out, np.array([threshold])))
    eps = float(_epsilon_from_counts(tp, len(ev_in), fp, len(ev_out), delta, confidence)[0])
    sizes = _curve_sizes(min(len(ev_in), len(ev_out)))
    curve_eps = np.array([_epsilon_from_counts(int((ev_in[:n] >= threshold).sum()), n,
                                               int((ev_out[:n] >= threshold).sum()), n, delta, confidence)[0]
                          for n in sizes])
    counts = {"true_positives": tp, "n_in": len(ev_in), "false_positives": fp, "n_out": len(ev_out),
              "threshold": threshold, "n_selection": n_sel_in + n_sel_out}
    return AuditResult("many-run", eps, confidence, delta, len(ev_in) + len(ev_out), len(s_in) + len(s_out),
                       counts, (2 * sizes, curve_eps), scores={"in": s_in, "out": s_out})


def canary_scores(bank_or_model, canaries: Canaries) -> np.ndarray:
    """The canaries' scaled logits ``log p_y − log(1 − p_y)`` (high → member) on each model.

    ``bank_or_model``: a :class:`~mia_edu.training.ModelBank` (→ models × canaries) or one
    :class:`~mia_edu.training.TrainedModel` (→ canaries).
    """
    if not isinstance(canaries, Canaries):
        raise TypeError(f"canaries must be Canaries (make_canaries), got {type(canaries).__name__}")
    return scaled_logit(bank_or_model.logits(canaries.X), canaries.y)


def train_canary_runs(config: TrainConfig | None, X, y, canary: Canaries, n_runs: int, *, n_classes: int | None = None,
                      seed: int = 0, route: str | None = None, progress: bool = True):
    """Train ``n_runs`` models with the canary and ``n_runs`` without, on ``(X, y)`` otherwise; cached.

    Which runs get the canary is drawn with ``seed`` (half each); the per-run training seeds come from
    :func:`mia_edu.training.train_many` (``config.seed``). Returns ``(scores_in, scores_out, bank)``:
    the canary's score on each run with / without it, and the :class:`~mia_edu.training.ModelBank`.
    """
    if not isinstance(canary, Canaries) or len(canary) != 1:
        raise ValueError("canary must be one canary (make_canaries(..., 1) or canaries[i])")
    k = check_int(n_runs, "n_runs", minimum=2)
    X = check_features(X, "X", n_features=canary.X.shape[1])
    y = as_labels(y, "y", n=len(X), length_of="X")
    pool_X = np.concatenate([X, canary.X]).astype(np.float32)
    pool_y = np.concatenate([y, canary.y]).astype(np.int64)
    has_canary = rng_from(seed).permutation(np.r_[np.ones(k, bool), np.zeros(k, bool)])
    subsets = np.ones((2 * k, len(pool_y)), bool)
    subsets[:, -1] = has_canary
    bank = train_many(config, pool_X, pool_y, subsets, n_classes=n_classes, route=route, progress=progress)
    scores = canary_scores(bank, canary)[:, 0]
    return scores[has_canary], scores[~has_canary], bank


def run_many_run_audit(config: TrainConfig | None, X, y, canary: Canaries, n_runs: int, *, delta: float = 0.0,
                       confidence: float = 0.95, n_classes: int | None = None, seed: int = 0,
                       route: str | None = None, progress: bool = True) -> AuditResult:
    """:func:`train_canary_runs` then :func:`many_run_audit`, with the training's accountant ε and the time."""
    start = time.perf_counter()
    s_in, s_out, bank = train_canary_runs(config, X, y, canary, n_runs, n_classes=n_classes, seed=seed,
                                          route=route, progress=progress)
    result = many_run_audit(s_in, s_out, delta=delta, confidence=confidence, seed=seed)
    return result.replace(epsilon_theory=accountant_epsilon(bank[0]), seconds=time.perf_counter() - start)


def accountant_epsilon(model) -> float | None:
    """The accountant's ε of a trained model (``TrainedModel.epsilon``), ``None`` when it is not private."""
    eps = getattr(model, "epsilon", None)
    return None if eps is None else float(eps)
