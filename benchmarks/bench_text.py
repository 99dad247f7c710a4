"""Notebook 11's costs: training the default language model, and exact exposure against the naive way.

1. ``fit_lm`` on the default corpus with ``LMConfig()`` (wall and CPU seconds; the issue's budget:
   ≤ 20 s on 2 cores for visible memorisation).
2. Ranking every candidate secret of a canary: :func:`mia_edu.text.candidate_log_perplexities` walks
   the tree of digit prefixes (1 + 10 + … + 10^(d−1) GRU steps, shared prefix computed once); the
   naive way scores each candidate text with a full forward pass (``token_stats`` on all 10^d
   texts). Both on 4-digit secrets (10^4 candidates) so the naive way finishes; same numbers checked.

Wall-clock times stretch when other processes share the cores (the load average is printed); CPU
seconds are the steadier figure. The last line is JSON.

    python benchmarks/bench_text.py
"""

from __future__ import annotations

import json
import os
import tempfile
import time

import numpy as np


def main() -> dict:
    os.environ.setdefault("MIA_EDU_CACHE", tempfile.mkdtemp(prefix="bench_text_"))
    from mia_edu.text import LMConfig, TrainedLM, candidate_log_perplexities, make_lm_corpus
    from mia_edu.text.model import encode, fit_lm

    corpus = make_lm_corpus()
    tokens = encode(corpus.training_texts)
    t0, c0 = time.perf_counter(), time.process_time()
    module, history, _ = fit_lm(LMConfig(), tokens)
    train_wall, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    lm = TrainedLM(module, LMConfig(), history)

    prefix, digits = corpus.canaries[2].prefix, 4
    t0, c0 = time.perf_counter(), time.process_time()
    tree = candidate_log_perplexities(lm, prefix, digits)
    tree_wall, tree_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    stats = lm.token_stats([prefix + f"{i:0{digits}d}" for i in range(10 ** digits)])
    n = len(prefix)
    naive = -np.sum(stats.logp[:, n:n + digits], axis=1) / np.log(2)
    naive_wall, naive_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert np.allclose(tree, naive, rtol=1e-5), "tree and naive scores differ"
    out = {"train_wall_s": round(train_wall, 2), "train_cpu_s": round(train_cpu, 2),
           "final_train_loss": round(float(history["train_loss"][-1]), 4),
           "exposure_tree_wall_s": round(tree_wall, 3), "exposure_naive_wall_s": round(naive_wall, 3),
           "exposure_tree_cpu_s": round(tree_cpu, 3), "exposure_naive_cpu_s": round(naive_cpu, 3),
           "exposure_speedup_cpu": round(naive_cpu / tree_cpu, 1), "candidates": 10 ** digits,
           "load_average": round(os.getloadavg()[0], 2), "cpus": os.cpu_count()}
    print(f"train LMConfig(): {train_wall:.1f} s wall, {train_cpu:.1f} s CPU; exposure of 10^{digits} candidates: "
          f"tree {tree_cpu:.3f} s CPU vs naive {naive_cpu:.3f} s CPU ({naive_cpu / tree_cpu:.0f}×)")
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main()
