"""How fast are the many-run audit's models: the stacked route against the plain loop, in the same run?

The many-run audit of ``python -m mia_edu dp-audit`` and notebook 09 trains 2K non-private models on
one fixed digits training set (250 samples), half with one canary. ``train_many``'s automatic rule
picks the loop here (the stacked activations exceed its 2 MiB threshold); the audit asks for the
stacked route (``route="batched"``). This benchmark trains the same 2K models both ways with the
cache off, prints how far apart their canary scores end up (floating-point rounding grows over 200 epochs), and prints
the seconds, the ratio and the load average. DP-SGD models cannot be stacked (Opacus), so they are
not timed here.

Usage: ``python benchmarks/bench_audit.py [--runs 32]``. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from mia_edu.auditing import canary_scores
from mia_edu.auditing.experiment import NON_PRIVATE, audit_setup
from mia_edu.training import train_many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=32, help="models with the canary, and as many without")
    args = parser.parse_args()
    X, y, n_classes, canary, _ = audit_setup("digits", n_canaries=2)
    pool_X = np.concatenate([X, canary.X])
    pool_y = np.concatenate([y, canary.y])
    subsets = np.ones((2 * args.runs, len(pool_y)), bool)
    subsets[::2, -1] = False
    out = {"runs": 2 * args.runs, "load_before": os.getloadavg()[0]}
    scores = {}
    for route in ("sequential", "batched"):
        start = time.perf_counter()
        bank = train_many(NON_PRIVATE, pool_X, pool_y, subsets, n_classes=n_classes, route=route, progress=False,
                          use_cache=False)
        out[f"{route}_s"] = round(time.perf_counter() - start, 2)
        scores[route] = canary_scores(bank, canary)[:, 0]
    out["speedup"] = round(out["sequential_s"] / out["batched_s"], 2)
    out["max_score_diff"] = float(np.max(np.abs(scores["sequential"] - scores["batched"])))
    out["load_after"] = os.getloadavg()[0]
    print(f"{2 * args.runs} audit models: loop {out['sequential_s']} s, stacked {out['batched_s']} s "
          f"({out['speedup']}x); largest canary-score difference {out['max_score_diff']:.2g}; "
          f"load {out['load_before']:.1f} → {out['load_after']:.1f}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
