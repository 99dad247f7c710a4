"""How fast does ``train_many`` train K shadow / reference models, against a plain loop?

Trains the same K models (LiRA-style subsets, each sample IN for half of them) on MNIST-1D
(5,000 pool samples, 1,000 test samples) and on digits (1,297 pool, 500 test), first with a plain
sequential loop (``route="sequential"``: what a user would write), then with ``train_many``'s
automatic route, and (for the table) with every other route too. For each it prints the seconds,
the mean test accuracy of the K models, and the achieved training GFLOP/s (matmul FLOPs of forward +
backward, counted with ``torch.utils.flop_counter``) next to the machine's sgemm GFLOP/s measured in
the same run: a torch matmul of comparable size (n_per_model × hidden @ hidden × hidden, best of
30; the larger of torch's default threads and cores × one thread). The machine's load average is printed too: on a shared
machine, other jobs eat into every number. ``train_many`` runs as a user runs it, with the disk
cache on (a fresh, empty one, so hashing and saving are part of its time); a second call then shows
the cache turning a notebook's second run into a load. The other routes run with the cache off. Each run of the processes route starts its worker
processes afresh (as a notebook's first call does; later calls reuse them and save that second or two).

The last line is one JSON object (the MNIST-1D run)::

    {"k": 16, "dataset": "mnist1d", "sequential_s": ..., "train_many_s": ..., "speedup": ...,
     "acc_delta": ..., "gflops_fraction": ...}

Usage: ``python benchmarks/bench_many_models.py [--k 64] [--epochs 200] [--routes all|auto]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time

import numpy as np
import torch
from joblib.externals.loky import get_reusable_executor
from torch.utils.flop_counter import FlopCounterMode

from mia_edu.data import load_dataset
from mia_edu.models import build_model
from mia_edu.splits import random_subsets
from mia_edu.training import TrainConfig, choose_route, train_many


@contextlib.contextmanager
def _cache_at(path: str):
    before = os.environ.get("MIA_EDU_CACHE")
    os.environ["MIA_EDU_CACHE"] = path
    try:
        yield
    finally:
        if before is None:
            del os.environ["MIA_EDU_CACHE"]
        else:
            os.environ["MIA_EDU_CACHE"] = before


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
    order = ["sequential", "auto"]
    if routes == "all":  # the chosen processes route again with its workers warm, and the routes not chosen
        order += (["warm"] if auto == "processes" else []) + [r for r in ("processes", "batched") if r != auto]
    # warm torch up (allocator, kernels) so that the first route timed does not pay for it
    train_many(config.replace(epochs=2), X, y, subsets[:2], route="sequential", progress=False, use_cache=False)
    rows = {}
    for route in order:
        if route in ("auto", "processes"):  # start the workers afresh, as a notebook's first call does
            get_reusable_executor().shutdown(wait=True)
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="bench_cache_") as cache_dir, _cache_at(cache_dir):
            # train_many as a user runs it: cache on (a fresh, empty one), so hashing and saving count
            is_auto = route == "auto"
            start = time.perf_counter()
            bank = train_many(config, X, y, subsets, n_classes=ds.n_classes,
                              route={"auto": None, "warm": "processes"}.get(route, route),
                              progress=False, use_cache=is_auto)
            seconds = time.perf_counter() - start
            if is_auto:  # the second run of a notebook: every model is a cache hit
                start = time.perf_counter()
                again = train_many(config, X, y, subsets, n_classes=ds.n_classes, progress=False)
                cache_s = time.perf_counter() - start
                assert again.from_cache.all() and np.array_equal(again.logits(Xt), bank.logits(Xt))
        acc = float(np.mean(bank.logits(Xt).argmax(-1) == yt))
        label = {"auto": f"train_many auto ({bank.route})", "warm": "processes, workers already started"}.get(route, route)
        rows[route] = dict(label=label, seconds=seconds, acc=acc, gflops=gflop / seconds, load=load)
    print(f"\n{name}: K={k}, {n_pool} pool samples (~{n_per_model} per model), {len(yt)} test samples, "
          f"{config.arch} hidden {config.hidden}, {config.epochs} epochs, "
          f"batch {'full' if config.batch_size is None else config.batch_size}; {gflop:.0f} GFLOP of training; "
          f"sgemm {n_per_model}x{config.hidden}x{config.hidden}: {peak:.1f} GFLOP/s on {torch.get_num_threads()} threads "
          f"({one_thread:.1f} on one)")
    print(f"| {'route':<36} | {'seconds':>8} | {'vs loop':>7} | {'mean test acc':>13} | {'GFLOP/s':>8} "
          f"| {'of sgemm':>8} | {'load':>5} |")
    print(f"|{'-' * 38}|{'-' * 9}:|{'-' * 8}:|{'-' * 14}:|{'-' * 9}:|{'-' * 9}:|{'-' * 6}:|")
    base = rows["sequential"]["seconds"]
    for r in rows.values():
        print(f"| {r['label']:<36} | {r['seconds']:8.1f} | {base / r['seconds']:6.2f}x | {r['acc']:13.4f} "
              f"| {r['gflops']:8.1f} | {r['gflops'] / peak:8.2f} | {r['load']:5.1f} |")
    print(f"second call (all {k} models loaded from the disk cache): {cache_s:.2f} s, "
          f"{rows['auto']['seconds'] / cache_s:.0f}x faster than training them")
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
