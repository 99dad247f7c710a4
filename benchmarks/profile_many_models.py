"""Where the time of one fit and of one ``train_many`` call goes (the measurements behind the README's
many-model performance section).

1. One fit (``fit_module``, one thread) of each recipe of ``bench_many_models`` under
   ``torch.profiler``: the operators by self CPU time, grouped into matmuls, element-wise work
   (ReLU and its backward, log-softmax, Adam) and the rest, beside the fit's achieved fraction of
   one core's sgemm.
2. One ``train_many`` call on the processes route from cold (K models, default recipe) under
   ``cProfile`` (the caller's thread: its own fits, hashing, cache writes, waiting for the
   workers), and the start-up of one loky worker process (importing torch and the package).

Usage: ``python benchmarks/profile_many_models.py [--k 16] [--epochs 50]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

import torch
from joblib.externals.loky import get_reusable_executor
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_many_models import RECIPES, mnist1d_pool, sgemm_gflops, training_gflop  # noqa: E402

from mia_edu.training import fit_module, train_many  # noqa: E402

GROUPS = {"matmul": ("aten::mm", "aten::addmm", "aten::bmm"),
          "relu fwd+bwd": ("aten::clamp_min", "aten::threshold_backward", "aten::relu"),
          "log-softmax fwd+bwd": ("aten::_log_softmax", "aten::_log_softmax_backward_data", "aten::nll_loss"),
          "Adam (element-wise)": ("aten::mul_", "aten::add_", "aten::addcmul_", "aten::addcdiv_", "aten::sqrt",
                                  "aten::div", "aten::lerp_", "aten::_foreach", "Optimizer."),
          }


def profile_fit(recipe: str, epochs: int) -> None:
    config = RECIPES[recipe].replace(epochs=epochs)
    X, y, _, _, subsets = mnist1d_pool(2)
    Xk, yk = X[subsets[0]], y[subsets[0]]
    fit_module(config.replace(epochs=3), Xk, yk, 10)  # warm-up
    start = time.perf_counter()
    fit_module(config, Xk, yk, 10)
    seconds = time.perf_counter() - start
    gflop = training_gflop(config, subsets[:1], X.shape[1], 10)
    _, one = sgemm_gflops(len(Xk), config.hidden, config.hidden)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fit_module(config, Xk, yk, 10)
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    shares = {g: 0.0 for g in GROUPS}
    for e in events:
        for g, names in GROUPS.items():
            if e.key.startswith(names):
                shares[g] += e.self_cpu_time_total
    shares["the rest (autograd, dispatch, copies)"] = total - sum(shares.values())
    print(f"\n== one fit, {recipe} recipe ({config.depth}x{config.hidden}, {len(Xk)} samples, {epochs} epochs, "
          f"1 thread): {seconds:.2f} s unprofiled, {gflop / seconds:.1f} GFLOP/s = {gflop / seconds / one:.2f} of "
          f"one core's sgemm ({one:.1f}); load {os.getloadavg()[0]:.1f}")
    for g, t in shares.items():
        print(f"   {g:<40} {100 * t / total:5.1f} %")
    print(events.table(sort_by="self_cpu_time_total", row_limit=12))


def profile_train_many(k: int) -> None:
    config = RECIPES["default"]
    X, y, _, _, subsets = mnist1d_pool(k)
    get_reusable_executor().shutdown(wait=True)
    start = time.perf_counter()
    get_reusable_executor(max_workers=1).submit(__import__, "mia_edu.training").result()
    startup = time.perf_counter() - start
    get_reusable_executor().shutdown(wait=True)
    os.environ["MIA_EDU_CACHE"] = "off"
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    bank = train_many(config, X, y, subsets, n_classes=10, route="processes", progress=False)
    profiler.disable()
    seconds = time.perf_counter() - start
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(14)
    print(f"\n== one train_many call, processes route from cold, K={k} default-recipe models: {seconds:.2f} s "
          f"(route {bank.route}); a cold loky worker takes {startup:.2f} s to import torch and mia_edu; "
          f"load {os.getloadavg()[0]:.1f}. The caller's thread under cProfile:")
    print("\n".join(line for line in stream.getvalue().splitlines() if line.strip())[:6000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=50, help="epochs of the profiled fits (default 50)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for recipe in RECIPES:
        profile_fit(recipe, args.epochs)
    profile_train_many(args.k)


if __name__ == "__main__":
    main()
