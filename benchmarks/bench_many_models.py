"""How fast does ``train_many`` train K shadow / reference models, against a plain loop?

Trains the same K models (LiRA-style subsets, each sample IN for half of them) on MNIST-1D
(5,000 pool samples, 1,000 test samples) and on digits (1,297 pool, 500 test), first with a plain
sequential loop (``route="sequential"``: what a user would write), then with ``train_many``'s
automatic route, and (for the table) with every other route too. For each it prints the seconds,
the mean test accuracy of the K models, and the achieved training GFLOP/s (matmul FLOPs of forward +
backward, counted with ``torch.utils.flop_counter``) next to the machine's sgemm GFLOP/s measured in
the same run: a torch matmul of comparable size (n_per_model × hidden @ hidden × hidden, best of
30; the larger of torch's default threads and cores × one thread). The disk cache is off. The machine's load average is printed too:
on a shared machine, other jobs eat into every number.

The last line is one JSON object (the MNIST-1D run)::

    {"k": 16, "dataset": "mnist1d", "sequential_s": ..., "train_many_s": ..., "speedup": ...,
     "acc_delta": ..., "gflops_fraction": ...}

Usage: ``python benchmarks/bench_many_models.py [--k 64] [--epochs 200] [--routes all|auto]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from mia_edu.data import load_dataset
from mia_edu.models import build_model
from mia_edu.splits import random_subsets
from mia_edu.training import TrainConfig, choose_route, train_many


def sgemm_gflops(m: int, k: int, n: int, repeats: int = 30) -> tuple[float, float]:
    """The machine's float32 matmul speed for ``(m × k) @ (k × n)``, best of ``repeats``.

    Returns ``(peak, one_thread)`` GFLOP/s: ``peak`` is the larger of the matmul with torch's
    default threads and cores × the single-thread matmul (a conservative denominator: on a busy
    machine two threads can stall each other, and a fraction of a stalled peak would flatter).
    """
    a, b = torch.randn(m, k), torch.randn(k, n)

    def best() -> float:
        a @ b
        seconds = np.inf
        for _ in range(repeats):
            t = time.perf_counter()
            a @ b
            seconds = min(seconds, time.perf_counter() - t)
        return 2 * m * k * n / seconds / 1e9

    threads = torch.get_num_threads()
    all_threads = best()
    torch.set_num_threads(1)
    try:
        one = best()
    finally:
        torch.set_num_threads(threads)
    return max(all_threads, threads * one), one


def training_gflop(config: TrainConfig, subsets: np.ndarray, n_features: int, n_classes: int) -> float:
    """Matmul GFLOP to train every model: one counted full-batch step × samples × epochs."""
    module = build_model(config.arch, n_features, n_classes, hidden=config.hidden, depth=config.depth)
    n = 1000
    x, y = torch.randn(n, n_features), torch.randint(0, n_classes, (n,))
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.cross_entropy(module(x), y).backward()
    return counter.get_total_flops() / n * config.epochs * int(subsets.sum()) / 1e9


def run(name: str, k: int, config: TrainConfig, routes: str) -> dict:
    if name == "mnist1d":
        ds = load_dataset("mnist1d", n_samples=6000)
        n_pool = 5000
    else:
        ds = load_dataset("digits")
        n_pool = len(ds) - 500
    X, y, Xt, yt = ds.X[:n_pool], ds.y[:n_pool], ds.X[n_pool:], ds.y[n_pool:]
    subsets = random_subsets(n_pool, k, seed=0)
    gflop = training_gflop(config, subsets, X.shape[1], ds.n_classes)
    n_per_model = int(subsets.sum(1).mean())
    peak, one_thread = sgemm_gflops(n_per_model, config.hidden, config.hidden)
    auto = choose_route(config, subsets, X.shape[1], ds.n_classes)
    order = ["sequential", "auto"] + ([r for r in ("processes", "batched") if r != auto] if routes == "all" else [])
    rows = {}
    for route in order:
        load = os.getloadavg()[0]
        start = time.perf_counter()
        bank = train_many(config, X, y, subsets, n_classes=ds.n_classes, route=None if route == "auto" else route,
                          progress=False, use_cache=False)
        seconds = time.perf_counter() - start
        acc = float(np.mean(bank.logits(Xt).argmax(-1) == yt))
        label = f"train_many auto ({bank.route})" if route == "auto" else route
        rows[route] = dict(label=label, seconds=seconds, acc=acc, gflops=gflop / seconds, load=load)
    print(f"\n{name}: K={k}, {n_pool} pool samples (~{n_per_model} per model), {len(yt)} test samples, "
          f"{config.arch} hidden {config.hidden}, {config.epochs} epochs, "
          f"batch {'full' if config.batch_size is None else config.batch_size}; {gflop:.0f} GFLOP of training; "
          f"sgemm {n_per_model}x{config.hidden}x{config.hidden}: {peak:.1f} GFLOP/s on {torch.get_num_threads()} threads "
          f"({one_thread:.1f} on one)")
    print(f"| {'route':<32} | {'seconds':>8} | {'vs loop':>7} | {'mean test acc':>13} | {'GFLOP/s':>8} "
          f"| {'of sgemm':>8} | {'load':>5} |")
    print(f"|{'-' * 34}|{'-' * 9}:|{'-' * 8}:|{'-' * 14}:|{'-' * 9}:|{'-' * 9}:|{'-' * 6}:|")
    base = rows["sequential"]["seconds"]
    for r in rows.values():
        print(f"| {r['label']:<32} | {r['seconds']:8.1f} | {base / r['seconds']:6.2f}x | {r['acc']:13.4f} "
              f"| {r['gflops']:8.1f} | {r['gflops'] / peak:8.2f} | {r['load']:5.1f} |")
    seq, tm = rows["sequential"], rows["auto"]
    return {"k": k, "dataset": name, "sequential_s": round(seq["seconds"], 2), "train_many_s": round(tm["seconds"], 2),
            "speedup": round(seq["seconds"] / tm["seconds"], 3), "acc_delta": round(tm["acc"] - seq["acc"], 4),
            "gflops_fraction": round(tm["gflops"] / peak, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=16, help="number of models (default 16)")
    parser.add_argument("--epochs", type=int, default=TrainConfig().epochs, help="epochs per model (default 200)")
    parser.add_argument("--hidden", type=int, default=TrainConfig().hidden, help="hidden width (default 256)")
    parser.add_argument("--routes", choices=("all", "auto"), default="all",
                        help="'all': also time the routes train_many did not choose (default); 'auto': only loop vs auto")
    parser.add_argument("--datasets", default="digits,mnist1d", help="comma-separated; the last one is the JSON line")
    args = parser.parse_args()
    config = TrainConfig(epochs=args.epochs, hidden=args.hidden)
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; torch {torch.__version__}")
    results = [run(name.strip(), args.k, config, args.routes) for name in args.datasets.split(",")]
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for r in results[:-1]:
        print(json.dumps(r))
    print(json.dumps(results[-1]))


if __name__ == "__main__":
    main()
