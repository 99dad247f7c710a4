"""Latency of the overfitting explorer (notebook 02): seconds per slider step, uncached and cached.

Moves the explorer's sliders through 30 settings it has never seen (fresh disk cache, so every step
trains a model, scores every signal and renders the figure), then revisits them (served from the
in-memory cache). Prints p50/p90 per step; the last line is JSON:
``{"p50_step_s": …, "p90_step_s": …, "cached_p50_s": …, "p50_step_cpu_s": …, "load_average": …}``.
Targets on 2 CPU cores: p50 ≤ 0.25 s, cached ≤ 0.05 s. Wall-clock steps stretch when other processes
share the cores (the load average is printed); the CPU seconds per step are the steadier figure.

    python benchmarks/bench_widgets.py [--steps 30] [--seed 0]

Measured with the explorer's defaults (1,000 members / 1,000 non-members of MNIST-1D, MLP,
epochs 10–200, hidden 32–256). A step is what a student waits for between releasing a slider and
seeing the new figure (minus the browser's transfer of a ~50 kB PNG).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time

import numpy as np


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="uncached settings to visit (default 30)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random walk over settings")
    args = parser.parse_args(argv)

    # A fresh disk cache: every setting below must really train. (Set before importing mia_edu.)
    os.environ["MIA_EDU_CACHE"] = tempfile.mkdtemp(prefix="mia_edu_bench_widgets_")
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from mia_edu.widgets import overfitting_explorer

    start = time.perf_counter()
    ex = overfitting_explorer()
    construct_s = time.perf_counter() - start
    rng = np.random.default_rng(args.seed)

    def options(control):
        if hasattr(control, "options"):
            return [v for _, v in control.options]
        return list(range(control.min, control.max + 1, control.step))

    visited = {ex.setting()}
    steps, cpu, moves = [], [], []
    while len(steps) < args.steps:
        # a student's move: one slider at a time, to a setting not seen before
        name = list(ex.controls)[rng.integers(len(ex.controls))]
        control = ex.controls[name]
        value = options(control)[rng.integers(len(options(control)))]
        if value == control.value:
            continue
        probe = ex.setting().__class__(**{**vars(ex.setting()), name: value})
        if probe in visited:
            continue
        visited.add(probe)
        moves.append((name, control.value))  # how to undo this move
        t, c = time.perf_counter(), time.process_time()
        control.value = value
        steps.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        if ex.errors:
            raise SystemExit(f"the explorer raised: {ex.errors[-1]!r}")
    cached = []
    for name, value in reversed(moves):
        # undo the moves one by one: every setting on the way back was visited, so it is in memory
        t = time.perf_counter()
        ex.controls[name].value = value
        cached.append(time.perf_counter() - t)
        assert "from memory" in ex.status.value, ex.status.value
    steps, cached, cpu = np.array(steps), np.array(cached), np.array(cpu)
    print(f"python {platform.python_version()}, torch {torch.__version__}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"construction (dataset + warm-up): {construct_s:.2f} s")
    print(f"{len(steps)} uncached steps: p50 {np.median(steps):.3f} s, p90 {np.quantile(steps, 0.9):.3f} s, "
          f"max {steps.max():.3f} s")
    print(f"  CPU time per uncached step (less sensitive to other processes): p50 {np.median(cpu):.3f} s, "
          f"p90 {np.quantile(cpu, 0.9):.3f} s")
    print(f"{len(cached)} cached steps:   p50 {np.median(cached):.4f} s, max {cached.max():.4f} s")
    out = {"p50_step_s": round(float(np.median(steps)), 4), "p90_step_s": round(float(np.quantile(steps, 0.9)), 4),
           "cached_p50_s": round(float(np.median(cached)), 4), "p50_step_cpu_s": round(float(np.median(cpu)), 4),
           "load_average": round(os.getloadavg()[0], 1)}
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
