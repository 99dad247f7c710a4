"""How fast does ``train_many`` train K shadow / reference models, against what a user would write?

The baseline is a plain torch training loop over the K models (``torch.manual_seed``, the MLP,
``torch.optim.Adam``, full-batch epochs) with torch's default thread count: what a user writes.
Beside it: ``train_many``'s one-thread sequential route (the package's reference), its automatic
route as a user runs it (disk cache on, a fresh empty one, so hashing and saving count; worker
processes started afresh, as a notebook's first call does), the same route with its workers
already running (a notebook's later calls), and a second call that loads every model from the
cache. Two recipes on MNIST-1D (5,000 pool samples, each IN for half the models, so ~2,500 per
model; 1,000 test samples): the course default ``TrainConfig()`` (40→256→10, 200 full-batch
epochs) and the 2-layer recipe (40→256→256→10, 300 full-batch epochs).

Then the scale-out line: ``--cluster-k`` (default 64) default-recipe models on a real
``dask.distributed.LocalCluster`` (one worker process per core, one thread each, started and warm
before the timing; its start-up is printed apart) through ``joblib.parallel_backend("dask")``,
against the default-threads loop over the same models in the same run: ``cluster_speedup``.

For each line: seconds, mean test accuracy, achieved training GFLOP/s (matmul FLOPs of forward +
backward, counted with ``torch.utils.flop_counter``) and its fraction of the machine's sgemm
GFLOP/s measured in the same run (a matmul of comparable size, best of 30; the larger of torch's
default threads and cores × one thread), and the load average: on a shared machine, other jobs
eat into every number.

The last lines are one JSON object per recipe (the default recipe last)::

    {"k": 16, "dataset": "mnist1d", "recipe": "default", "loop_default_threads_s": ..., "sequential_s": ...,
     "train_many_s": ..., "speedup": ..., "acc_delta": ..., "gflops_fraction": ..., "cluster_speedup": ...}

``speedup`` = ``loop_default_threads_s / train_many_s``; ``acc_delta`` = train_many's mean test
accuracy − the loop's; ``cluster_speedup`` (null with ``--cluster-k 0`` or without Dask).

Usage: ``python benchmarks/bench_many_models.py [--k 16] [--recipes default,2-layer] [--cluster-k 64]
[--routes auto|all]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
import time

import joblib
import numpy as np
import torch
from joblib.externals.loky import get_reusable_executor
from torch.utils.flop_counter import FlopCounterMode

from mia_edu.data import load_dataset
from mia_edu.models import build_model
from mia_edu.splits import random_subsets
from mia_edu.training import TrainConfig, model_seeds, train_many

RECIPES = {"default": TrainConfig(), "2-layer": TrainConfig(depth=2, epochs=300)}


@contextlib.contextmanager
def cache_at(path: str):
    before = os.environ.get("MIA_EDU_CACHE")
    os.environ["MIA_EDU_CACHE"] = path
    try:
        yield
    finally:
        if before is None:
            del os.environ["MIA_EDU_CACHE"]
        else:
            os.environ["MIA_EDU_CACHE"] = before


def mnist1d_pool(k: int):
    """The benchmark's data: 5,000 pool samples (each IN for half of the ``k`` models), 1,000 test."""
    ds = load_dataset("mnist1d", n_samples=6000)
    n_pool = 5000
    return ds.X[:n_pool], ds.y[:n_pool], ds.X[n_pool:], ds.y[n_pool:], random_subsets(n_pool, k, seed=0)


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


def plain_loop(config: TrainConfig, X, y, subsets, n_classes: int) -> list[torch.nn.Module]:
    """What a user writes: one model after the other, torch's default threads, plain Adam, full batch."""
    models = []
    for seed, rows in zip(model_seeds(config.seed, len(subsets)), subsets):
        torch.manual_seed(int(seed))
        model = build_model(config.arch, X.shape[1], n_classes, hidden=config.hidden, depth=config.depth)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        Xk, yk = torch.from_numpy(X[rows]), torch.from_numpy(y[rows])
        for _ in range(config.epochs):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(Xk), yk)
            loss.backward()
            opt.step()
        models.append(model.eval())
    return models


def accuracy(models, X, y) -> float:
    with torch.no_grad():
        xt = torch.tensor(X)
        return float(np.mean([(m(xt).argmax(1).numpy() == y).mean() for m in models]))


def timed(fn):
    load = os.getloadavg()[0]
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start, load


def run_recipe(recipe: str, k: int, routes: str) -> dict:
    config = RECIPES[recipe]
    X, y, Xt, yt, subsets = mnist1d_pool(k)
    n_classes = 10
    gflop = training_gflop(config, subsets, X.shape[1], n_classes)
    n_per_model = int(subsets.sum(1).mean())
    peak, one_thread = sgemm_gflops(n_per_model, config.hidden, config.hidden)
    # warm torch up (allocator, kernels) so that the first line timed does not pay for it
    train_many(config.replace(epochs=2), X, y, subsets[:2], route="sequential", progress=False, use_cache=False)
    rows = {}

    def add(name, label, models, seconds, load):
        rows[name] = dict(label=label, seconds=seconds, acc=accuracy(models, Xt, yt), gflops=gflop / seconds,
                          load=load)

    models, s, load = timed(lambda: plain_loop(config, X, y, subsets, n_classes))
    add("loop", f"plain torch loop, {torch.get_num_threads()} threads (default)", models, s, load)
    bank, s, load = timed(lambda: train_many(config, X, y, subsets, n_classes=n_classes, route="sequential",
                                             progress=False, use_cache=False))
    add("sequential", "train_many sequential (1 thread)", bank.modules, s, load)
    get_reusable_executor().shutdown(wait=True)  # the workers start afresh, as in a notebook's first call
    with tempfile.TemporaryDirectory(prefix="bench_cache_") as cache_dir, cache_at(cache_dir):
        bank, s, load = timed(lambda: train_many(config, X, y, subsets, n_classes=n_classes, progress=False))
        add("auto", f"train_many auto ({bank.route}, cold)", bank.modules, s, load)
        again, cache_s, _ = timed(lambda: train_many(config, X, y, subsets, n_classes=n_classes, progress=False))
        assert again.from_cache.all() and np.array_equal(again.logits(Xt), bank.logits(Xt))
    if bank.route == "processes":  # its workers are running now: a notebook's later calls
        warm, s, load = timed(lambda: train_many(config, X, y, subsets, n_classes=n_classes, route="processes",
                                                 progress=False, use_cache=False))
        add("warm", "train_many processes, workers running", warm.modules, s, load)
    if routes == "all":
        for route in ("processes", "batched"):
            if route != bank.route:
                other, s, load = timed(lambda r=route: train_many(config, X, y, subsets, n_classes=n_classes,
                                                                  route=r, progress=False, use_cache=False))
                add(route, f"train_many {route}", other.modules, s, load)

    print(f"\n{recipe} recipe on mnist1d: K={k}, {len(X)} pool samples (~{n_per_model} per model), {len(yt)} test "
          f"samples, {config.arch} {config.depth}x{config.hidden}, {config.epochs} full-batch epochs; "
          f"{gflop:.0f} GFLOP of training; sgemm {n_per_model}x{config.hidden}x{config.hidden}: {peak:.1f} GFLOP/s "
          f"on {torch.get_num_threads()} threads ({one_thread:.1f} on one)")
    print(f"| {'line':<42} | {'seconds':>8} | {'vs loop':>7} | {'mean test acc':>13} | {'GFLOP/s':>8} "
          f"| {'of sgemm':>8} | {'load':>5} |")
    print(f"|{'-' * 44}|{'-' * 9}:|{'-' * 8}:|{'-' * 14}:|{'-' * 9}:|{'-' * 9}:|{'-' * 6}:|")
    base = rows["loop"]["seconds"]
    for r in rows.values():
        print(f"| {r['label']:<42} | {r['seconds']:8.1f} | {base / r['seconds']:6.2f}x | {r['acc']:13.4f} "
              f"| {r['gflops']:8.1f} | {r['gflops'] / peak:8.2f} | {r['load']:5.1f} |")
    print(f"second call (all {k} models loaded from the disk cache): {cache_s:.2f} s")
    loop, seq, tm = rows["loop"], rows["sequential"], rows["auto"]
    return {"k": k, "dataset": "mnist1d", "recipe": recipe, "loop_default_threads_s": round(loop["seconds"], 2),
            "sequential_s": round(seq["seconds"], 2), "train_many_s": round(tm["seconds"], 2),
            "speedup": round(loop["seconds"] / tm["seconds"], 3), "acc_delta": round(tm["acc"] - loop["acc"], 4),
            "gflops_fraction": round(tm["gflops"] / peak, 3), "cluster_speedup": None}


def run_cluster(k: int) -> float | None:
    """K default-recipe models on a Dask LocalCluster vs the default-threads loop; returns the ratio."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        print("\ncluster line skipped: dask.distributed is not installed (pip install -e '.[cluster]')")
        return None
    config = RECIPES["default"]
    X, y, Xt, yt, subsets = mnist1d_pool(k)
    n_workers = os.cpu_count() or 1
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=":0")
    client = Client(cluster)
    client.run(lambda: __import__("mia_edu.training") is not None)  # workers started ahead, torch imported: kept warm
    startup = time.perf_counter() - start
    try:
        with tempfile.TemporaryDirectory(prefix="bench_cache_") as cache_dir, cache_at(cache_dir):
            with joblib.parallel_backend("dask"):
                bank, cluster_s, cluster_load = timed(lambda: train_many(config, X, y, subsets, n_classes=10,
                                                                          progress=False))
    finally:
        client.close()
        cluster.close()
    models, loop_s, loop_load = timed(lambda: plain_loop(config, X, y, subsets, 10))
    acc_cluster, acc_loop = accuracy(bank.modules, Xt, yt), accuracy(models, Xt, yt)
    ratio = loop_s / cluster_s
    print(f"\nscale-out: K={k} default-recipe models on a dask LocalCluster ({n_workers} workers x 1 thread; "
          f"start-up {startup:.1f} s, not counted): {cluster_s:.1f} s (load {cluster_load:.1f}), mean test acc "
          f"{acc_cluster:.4f}; plain loop ({torch.get_num_threads()} threads): {loop_s:.1f} s (load {loop_load:.1f}), "
          f"acc {acc_loop:.4f}; cluster_speedup {ratio:.2f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=16, help="number of models per recipe (default 16)")
    parser.add_argument("--recipes", default="2-layer,default",
                        help=f"comma-separated, from {sorted(RECIPES)}; the last one is the last JSON line ('': none)")
    parser.add_argument("--cluster-k", type=int, default=64,
                        help="models on the dask LocalCluster (default 64; 0 skips the line)")
    parser.add_argument("--routes", choices=("all", "auto"), default="auto",
                        help="'all': also time the routes train_many did not choose; 'auto' (default): not")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads by default")
    results = [run_recipe(name.strip(), args.k, args.routes) for name in args.recipes.split(",") if name.strip()]
    ratio = run_cluster(args.cluster_k) if args.cluster_k > 0 else None
    for r in results:
        r["cluster_speedup"] = None if ratio is None else round(ratio, 3)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
