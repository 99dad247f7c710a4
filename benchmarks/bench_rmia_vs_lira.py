"""RMIA against LiRA at 1, 2, 4 and 16 reference models on the audit's target (notebook 10).

The target and split are ``python -m mia_edu audit``'s defaults (MNIST-1D, 2,500 members, 2,500
non-members, an attacker pool of 5,000; ``TrainConfig()``). For each count k, k online reference
models train on halves of the candidates and k offline ones on halves of the pool; every variant
(:data:`mia_edu.attacks.by_reference.VARIANTS`) runs on the same models. The 16-model banks are the
audit's own (a cache hit after an audit). Prints a table and, last, one JSON line.

Usage: ``python benchmarks/bench_rmia_vs_lira.py [--counts 1,2,4,16] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from mia_edu.attacks.by_reference import compare_by_reference_count, reference_count_rows
from mia_edu.attacks.result import format_table
from mia_edu.data import load_dataset
from mia_edu.splits import make_split
from mia_edu.training import TrainConfig, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", default="1,2,4,16")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    start = time.perf_counter()
    ds = load_dataset("mnist1d", n_samples=10_000)
    split = make_split(len(ds), train_size=2500, holdout_size=2500, shadow_size=5000, seed=args.seed)
    idx, is_member = split.evaluation()
    config = TrainConfig()
    target = train(config.replace(seed=args.seed), ds.X[split.train], ds.y[split.train], n_classes=10)
    results = compare_by_reference_count(target, ds.X[idx], ds.y[idx], is_member, ds.X[split.shadow],
                                         ds.y[split.shadow], config=config.replace(seed=args.seed + 1),
                                         counts=counts, n_classes=10, seed=args.seed)
    rows = reference_count_rows(results)
    print(format_table(rows, ["attack", "k", "auc", "tpr_at_0.1%", "tpr_at_1%"]))
    print(f"offline RMIA a: {sorted({r.name for (n, _), r in results.items() if n == 'rmia_offline'})}")
    print(f"{time.perf_counter() - start:.1f} s, load average {os.getloadavg()[0]:.1f}")
    print(json.dumps([{k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()} for row in rows]))


if __name__ == "__main__":
    main()
