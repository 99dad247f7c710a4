"""RMIA against LiRA by the number of reference models, on one target (notebook 10).

Zarifzadeh, Liu & Shokri (2024) claim that RMIA with 1–4 reference models is at least as strong as
LiRA with the same models. :func:`compare_by_reference_count` measures it: for each count ``k`` it
trains (or loads from the cache) ``k`` online reference models on halves of the candidates and ``k``
offline ones on halves of the attacker's pool, and runs every variant on the *same* models:

- ``lira_online`` / ``lira_offline``: per-example variances (Carlini et al.'s default with many models);
- ``lira_online_fixed`` / ``lira_offline_fixed``: one pooled variance (their advice below ~64 models);
- ``rmia_online`` / ``rmia_offline``: RMIA at γ = 1, offline with the tuned ``a``.

Online LiRA needs an IN and an OUT model for every sample, so it starts at ``k = 2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from .._validation import as_membership, check_int
from .lira import LiRA
from .result import AttackResult
from .rmia import RMIA

VARIANTS = ("lira_online", "lira_online_fixed", "lira_offline", "lira_offline_fixed", "rmia_online", "rmia_offline")


def compare_by_reference_count(target, X, y, is_member, X_pool, y_pool, *, config=None,
                               counts: Sequence[int] = (1, 2, 4, 16), variants: Sequence[str] = VARIANTS,
                               gamma: float = 1.0, n_classes: int | None = None, seed: int = 0,
                               progress: bool = True, **train_kw) -> dict[tuple[str, int], AttackResult]:
    """Every variant at every reference count against ``target`` on the candidates ``(X, y)``.

    Parameters
    ----------
    target : the attacked model (``logits(X)``, a torch module or a scikit-learn classifier).
    X, y, is_member : the candidates and the truth (for the results only; no attack sees it).
    X_pool, y_pool : the attacker's own data, disjoint from the candidates: offline reference
        models train on its halves, and it is RMIA's population z.
    config : the reference models' recipe (a TrainConfig or a recipe, as for :class:`LiRA`).
    counts : reference-model counts ``k``.
    variants : a subset of :data:`VARIANTS`.
    gamma : RMIA's γ.
    seed : subsets' seed (the reference models' own seeds come from ``config``).
    progress : progress bars; ``train_kw`` (device, n_jobs, use_cache) go to ``train_many``.

    Returns
    -------
    dict ``(variant, k) → AttackResult`` (online LiRA is absent at ``k = 1``). Each offline RMIA
    result's name carries its ``a``.
    """
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; expected names from {VARIANTS}")
    counts = [check_int(k, "counts", minimum=1) for k in counts]
    is_member = as_membership(is_member, n=len(X), length_of="X")
    common = dict(seed=seed, progress=progress, **train_kw)
    out: dict[tuple[str, int], AttackResult] = {}
    steps = tqdm(total=len(counts), desc="reference counts", disable=not progress, leave=False)
    for k in counts:
        for online in (True, False):
            pool = (X, y) if online else (X_pool, y_pool)
            side = "online" if online else "offline"
            lira_names = [v for v in (f"lira_{side}", f"lira_{side}_fixed") if v in variants]
            if online and k < 2:
                lira_names = []
            for name in lira_names:
                lira = LiRA(config, n_reference=k, online=online, fixed_variance=name.endswith("fixed"), **common)
                scores = lira.fit(*pool, n_classes=n_classes).score_target(target, X, y)
                out[(name, k)] = AttackResult(scores, is_member, f"{name} (k={k})")
            if f"rmia_{side}" in variants:
                rmia = RMIA(config, n_reference=k, online=online, gamma=gamma, **common)
                rmia.fit(*pool, n_classes=n_classes, X_population=X_pool, y_population=y_pool)
                scores = rmia.score_target(target, X, y)
                label = f"rmia_{side} (k={k}" + ("" if online else f", a={rmia.offline_a_:.1f}") + ")"
                out[(f"rmia_{side}", k)] = AttackResult(np.asarray(scores, float), is_member, label)
        steps.update()
    steps.close()
    return out


def reference_count_rows(results: dict[tuple[str, int], AttackResult]) -> list[dict]:
    """One row per (variant, k): ``{"attack", "k", "auc", "tpr_at_0.1%", "tpr_at_1%"}`` for a table."""
    rows = []
    for (name, k), r in sorted(results.items(), key=lambda item: (item[0][1], VARIANTS.index(item[0][0]))):
        d = r.to_dict()
        rows.append({"attack": name, "k": k, "auc": d["auc"], "tpr_at_0.1%": d["tpr_at_0.1%"],
                     "tpr_at_1%": d["tpr_at_1%"]})
    return rows
