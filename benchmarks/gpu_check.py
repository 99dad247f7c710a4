"""The GPU route on a machine with a CUDA device: run the ``cuda`` tests, then time K models three ways.

1. ``pytest -m cuda tests/`` (train, train_many batched and sequential, the attacks and notebook 02's
   core on ``device="cuda"``); their exit status is reported and a failure fails this script.
2. K (default 64) default-recipe MNIST-1D models (the ``bench_many_models`` data: 5,000 pool
   samples, ~2,500 per model, 1,000 test samples), timed batched on the GPU (``route="batched"``:
   all models as one stacked program), sequential on the GPU (one model after the other) and on
   the CPU (``route="sequential"``, one thread, the package's reference; and train_many's automatic
   CPU route), each with the mean test accuracy, cache off.

Prints one JSON line last::

    {"device": "...", "torch": "...", "k": 64, "tests_rc": 0, "batched_gpu_s": ..., "sequential_gpu_s": ...,
     "sequential_cpu_s": ..., "auto_cpu_s": ..., "batched_vs_sequential_gpu": ..., "batched_vs_sequential_cpu": ...,
     "acc": {"batched_gpu": ..., "sequential_gpu": ..., "sequential_cpu": ..., "auto_cpu": ...}}

Without CUDA it stops at once with exit status 1 and says why. Usage:
``python benchmarks/gpu_check.py [--k 64] [--skip-tests] [--skip-cpu]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_many_models import mnist1d_pool  # noqa: E402  (the same data as the CPU benchmark)

from mia_edu.training import TrainConfig, train_many  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def require_cuda() -> str:
    if not torch.cuda.is_available():
        build = f"torch {torch.__version__}" + (" (a CPU-only build)" if torch.version.cuda is None else "")
        sys.exit(f"gpu_check: no CUDA device: torch.cuda.is_available() is False with {build}. Run it on a "
                 "machine with an NVIDIA GPU and a CUDA build of torch (within torch>=2.2,<2.14; see pytorch.org).")
    return torch.cuda.get_device_name(0)


def run_cuda_tests() -> int:
    cmd = [sys.executable, "-m", "pytest", "-m", "cuda", "-q", "-p", "no:cacheprovider", "tests/"]
    print("== " + " ".join(cmd), flush=True)
    return subprocess.call(cmd, cwd=ROOT)


def time_route(config, X, y, subsets, Xt, yt, *, device: str, route: str | None) -> tuple[float, float, str]:
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    bank = train_many(config, X, y, subsets, n_classes=10, device=device, route=route, progress=False,
                      use_cache=False)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    acc = float((bank.logits(Xt).argmax(-1) == yt).mean())
    print(f"{device:>4} {bank.route:<10} K={len(subsets)}: {seconds:8.2f} s, mean test acc {acc:.4f}", flush=True)
    return seconds, acc, bank.route


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=int, default=64, help="number of models (default 64)")
    parser.add_argument("--skip-tests", action="store_true", help="only the timings")
    parser.add_argument("--skip-cpu", action="store_true", help="no CPU timings (they take longest)")
    args = parser.parse_args()
    name = require_cuda()
    print(f"gpu_check on {name}; torch {torch.__version__} (CUDA {torch.version.cuda}); {os.cpu_count()} CPU cores")
    tests_rc = None if args.skip_tests else run_cuda_tests()
    config = TrainConfig()
    X, y, Xt, yt, subsets = mnist1d_pool(args.k)
    os.environ["MIA_EDU_CACHE"] = "off"
    # warm up: the CUDA context, cuBLAS handles and kernels are created once, not inside a timing
    train_many(config.replace(epochs=2), X, y, subsets[:2], device="cuda", route="batched", progress=False)
    train_many(config.replace(epochs=2), X, y, subsets[:1], device="cuda", route="sequential", progress=False)
    out = {"device": name, "torch": torch.__version__, "k": args.k, "tests_rc": tests_rc}
    acc = {}
    out["batched_gpu_s"], acc["batched_gpu"], _ = time_route(config, X, y, subsets, Xt, yt, device="cuda",
                                                             route="batched")
    out["sequential_gpu_s"], acc["sequential_gpu"], _ = time_route(config, X, y, subsets, Xt, yt, device="cuda",
                                                                   route="sequential")
    out["batched_vs_sequential_gpu"] = round(out["sequential_gpu_s"] / out["batched_gpu_s"], 2)
    if not args.skip_cpu:
        out["sequential_cpu_s"], acc["sequential_cpu"], _ = time_route(config, X, y, subsets, Xt, yt, device="cpu",
                                                                       route="sequential")
        out["auto_cpu_s"], acc["auto_cpu"], out["auto_cpu_route"] = time_route(config, X, y, subsets, Xt, yt,
                                                                               device="cpu", route=None)
        out["batched_vs_sequential_cpu"] = round(out["sequential_cpu_s"] / out["batched_gpu_s"], 2)
        out["batched_vs_auto_cpu"] = round(out["auto_cpu_s"] / out["batched_gpu_s"], 2)
        # the same recipe, the same initial weights: a GPU that learns something else is a bug
        assert abs(acc["batched_gpu"] - acc["sequential_cpu"]) <= 0.01, acc
    out["acc"] = {k: round(v, 4) for k, v in acc.items()}
    for key, value in out.items():
        if isinstance(value, float):
            out[key] = round(value, 3)
    print(json.dumps(out))
    if tests_rc:
        sys.exit(f"gpu_check: the cuda tests failed (pytest exit status {tests_rc}); the timings above still stand")


if __name__ == "__main__":
    main()
