"""The default audit of ``python -m mia_edu dp-audit`` and notebook 09: a non-private target and DP-SGD models,
each audited by the many-run and the one-run method, against the accountant's ε.

Setup (one seed decides it all): ``n_train`` samples of the data set are the fixed training set; the
canaries are made from samples outside it (:func:`~mia_edu.auditing.canaries.make_canaries`). The
many-run audit trains ``n_runs`` models with one canary and ``n_runs`` without; the one-run audit
trains one model with each of ``n_canaries`` canaries included with probability 1/2. Every model is
cached on disk, so a second call only recomputes the bounds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from .._validation import check_int, rng_from
from ..data import load_dataset
from ..training import TrainConfig
from .bounds import _check_confidence, _check_delta
from .canaries import draw_inclusion, make_canaries
from .many_run import run_many_run_audit
from .one_run import run_one_run_audit
from .result import AuditResult

NON_PRIVATE = TrainConfig(epochs=200, hidden=64, lr=1e-2, seed=0)
"""The non-private target's recipe: full batch, no regularisation: it memorises its canaries.

Its many-run models train on the stacked-weights route (``train_many(route="batched")``), which the
automatic rule would not pick at this size: ``benchmarks/bench_audit.py`` measured the 64 models of
the default audit at 16.3 s stacked vs 47.0 s for the loop (2.9×, load ≈ 10 on 2 cores), canary
scores within 0.11 of each other (they span about 35)."""

DP_RECIPE = {"epochs": 10, "hidden": 64, "lr": 1e-2, "seed": 0}
"""The DP-SGD models' recipe (Opacus, Poisson sampling); ``dp_noise_multiplier`` σ and
``dp_max_grad_norm`` C come from :func:`dp_audit`'s arguments, the batch size from
:data:`DP_STEPS_PER_EPOCH`."""

DP_STEPS_PER_EPOCH = 4
"""Every audited DP-SGD run samples at rate q = 1/4 (4 steps an epoch), whatever its training-set size.

Opacus sets ``q = 1 / ⌈n / batch_size⌉`` from the training-set size n, so with one batch size, a run
with one sample more can sample at another rate — another mechanism, which the accountant's ε does
not cover as a neighbour. The audits' sizes vary (the canary in or out; in the one-run audit,
n + Binomial(m, 1/2)), so :func:`at_fixed_rate` picks the batch size ⌈n / 4⌉ for each run: the same q,
the same number of steps, the same ε for every run. (Opacus divides the noisy sum by that expected
batch size, which moves with n by under 1 %: the standard practice, which the analysis treats as public.)"""

DELTA = 1e-5
"""The δ of every bound and of the accountant's ε (so the two are comparable)."""


def dp_config(noise_multiplier: float, *, max_grad_norm: float = 1.0, delta: float = DELTA,
              **changes) -> TrainConfig:
    """The DP-SGD recipe :data:`DP_RECIPE` at noise multiplier σ (batch size set per run by :func:`at_fixed_rate`)."""
    return TrainConfig(**{**DP_RECIPE, **changes}, dp_noise_multiplier=float(noise_multiplier),
                       dp_max_grad_norm=float(max_grad_norm), dp_delta=delta)


def at_fixed_rate(config: TrainConfig, *sizes: int) -> TrainConfig:
    """``config`` with the batch size that samples at q = 1 / :data:`DP_STEPS_PER_EPOCH` for every size given.

    Non-private configs come back unchanged. Raises ``ValueError`` if no one batch size does (the sizes
    are too far apart).
    """
    if not config.private:
        return config
    from ..training.private import dp_sample_rate

    config = config.replace(batch_size=max(1, math.ceil(min(sizes) / DP_STEPS_PER_EPOCH)))
    rates = {dp_sample_rate(config, n) for n in sizes}
    if rates != {1 / DP_STEPS_PER_EPOCH}:
        raise ValueError(f"training-set sizes {sorted(set(sizes))} need different sampling rates {sorted(rates)}")
    return config


def audit_setup(dataset: str = "digits", *, n_train: int = 250, n_canaries: int = 500, canary: str = "mislabelled",
                seed: int = 0):
    """The fixed training set and the canaries: ``(X, y, n_classes, one_canary, canaries)``."""
    ds = load_dataset(dataset)
    n_train = check_int(n_train, "n_train", minimum=10)
    m = check_int(n_canaries, "n_canaries", minimum=2)
    order = rng_from(seed).permutation(len(ds))
    if n_train + m + 1 > len(ds):
        raise ValueError(f"n_train + n_canaries + 1 = {n_train + m + 1} is more than the {len(ds)} samples of "
                         f"{dataset}")
    train_idx, rest = order[:n_train], order[n_train:]
    X, y = ds.X[train_idx], ds.y[train_idx]
    one = make_canaries(ds.X[rest[:1]], ds.y[rest[:1]], 1, kind=canary, n_classes=ds.n_classes, seed=seed)
    many = make_canaries(ds.X[rest[1:]], ds.y[rest[1:]], m, kind=canary, n_classes=ds.n_classes, seed=seed + 1)
    return X, y, ds.n_classes, one, many


def audit_model(config: TrainConfig, method: str, *, dataset: str = "digits", n_train: int = 250, trials: int = 32,
                canary: str = "mislabelled", delta: float = DELTA, confidence: float = 0.95, k_fraction: float = 0.1,
                seed: int = 0, progress: bool = True) -> AuditResult:
    """Audit the training ``config`` describes by ``method`` on the :func:`audit_setup` data.

    ``trials``: runs with the canary (and as many without) for ``"many-run"``; canaries m for
    ``"one-run"`` (the auditor guesses on ``k_fraction · m`` at each end). Non-private many-run models
    train on the stacked route (see :data:`NON_PRIVATE`). ``seconds`` includes the training.
    """
    if method not in ("many-run", "one-run"):
        raise ValueError(f"method must be 'many-run' or 'one-run', got {method!r}")
    if not 0 < k_fraction <= 0.5:
        raise ValueError(f"k_fraction must lie in (0, 0.5], got {k_fraction}")
    confidence, delta = _check_confidence(confidence), _check_delta(delta)
    trials = check_int(trials, "trials", minimum=2)
    start = time.perf_counter()
    X, y, n_classes, one, many = audit_setup(dataset, n_train=n_train, canary=canary, seed=seed,
                                            n_canaries=trials if method == "one-run" else 2)
    if method == "many-run":
        config = at_fixed_rate(config, len(y), len(y) + 1)
        r = run_many_run_audit(config, X, y, one, trials, delta=delta, confidence=confidence, n_classes=n_classes,
                               seed=seed, route=None if config.private else "batched", progress=progress)
    else:
        k = max(1, round(k_fraction * trials))
        config = at_fixed_rate(config, len(y) + int(draw_inclusion(trials, seed=seed).sum()))  # train_one_run's draw
        r = run_one_run_audit(config, X, y, many, k_plus=k, k_minus=k, delta=delta, confidence=confidence,
                              n_classes=n_classes, seed=seed)
    return r.replace(seconds=time.perf_counter() - start)


def dp_audit(dataset: str = "digits", *, n_train: int = 250, n_runs: int = 32, n_canaries: int = 500,
             canary: str = "mislabelled", noise_multipliers: Sequence[float] = (4.0,), max_grad_norm: float = 1.0,
             non_private: bool = True, methods: Sequence[str] = ("many-run", "one-run"), delta: float = DELTA,
             confidence: float = 0.95, k_fraction: float = 0.1, seed: int = 0, progress: bool = True,
             dp_changes: dict | None = None) -> list[AuditResult]:
    """Audit the non-private target and one DP-SGD model per noise multiplier, by each method.

    Parameters
    ----------
    dataset, n_train, canary, seed : the setup (:func:`audit_setup`).
    n_runs : models trained with the canary, and as many without (many-run; half of each select the threshold).
    n_canaries : m, the canaries of the one-run audit (each included with probability 1/2).
    noise_multipliers, max_grad_norm : DP-SGD's σ (one audited model per value) and clipping norm C.
    non_private : also audit :data:`NON_PRIVATE` (the power check: its bound should be far above).
    methods : ``"many-run"`` and/or ``"one-run"``.
    delta, confidence : of every bound (and of the accountant's ε).
    k_fraction : the one-run auditor guesses IN for the top and OUT for the bottom ``k_fraction · m`` scores.
    dp_changes : changes to :data:`DP_RECIPE` (e.g. ``{"epochs": 5}``).

    Returns
    -------
    list of AuditResult, in the order non-private, then each σ; within each, the methods' order.
    """
    models: list[tuple[str, TrainConfig]] = [("non-private", NON_PRIVATE)] if non_private else []
    models += [(f"DP-SGD σ={s:g}", dp_config(s, max_grad_norm=max_grad_norm, delta=delta, **(dp_changes or {})))
               for s in noise_multipliers]
    return [audit_model(config, method, dataset=dataset, n_train=n_train,
                        trials=n_runs if method == "many-run" else n_canaries, canary=canary, delta=delta,
                        confidence=confidence, k_fraction=k_fraction, seed=seed, progress=progress).replace(model=name)
            for name, config in models for method in methods]


def format_audits(results: Sequence[AuditResult]) -> str:
    """An aligned table: model, method, ε lower bound, accountant ε, trials, seconds."""
    rows = [("model", "method", "ε lower", "accountant ε", "trials", "runs", "seconds")]
    for r in results:
        rows.append((r.model, r.method, f"{r.epsilon_lower:.3f}",
                     "—" if r.epsilon_theory is None else f"{r.epsilon_theory:.3f}",
                     str(r.trials), str(r.runs), f"{r.seconds:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
             for row in rows]
    if results:
        lines.append(f"(bounds at {100 * results[0].confidence:g} % confidence, δ = {results[0].delta:g})")
    return "\n".join(lines)


def perfect_attack_ceiling(trials, *, method: str = "many-run", delta: float = 0.0, confidence: float = 0.95,
                           k_fraction: float = 0.1) -> np.ndarray:
    """The largest bound an audit with that many trials can prove: every guess right.

    Many-run: all evaluation runs correct (half IN, half OUT). One-run: ``2 · k_fraction · m`` guesses,
    all correct. Shows the audit's cost: its bound is capped by its trials, whatever the model.
    """
    from .bounds import many_run_epsilon, one_run_epsilon

    out = []
    for t in np.atleast_1d(trials):
        t = int(t)
        if method == "many-run":
            half = max(1, t // 2)
            out.append(many_run_epsilon(half, half, 0, half, delta=delta, confidence=confidence))
        else:
            r = max(1, 2 * round(k_fraction * t))
            out.append(one_run_epsilon(t, min(r, t), min(r, t), delta=delta, confidence=confidence))
    return np.array(out)
