"""One thread policy for the whole package: small models and small fits run single-threaded.

Why: the course's models are small (an MLP on a few thousand samples), where extra threads only
add synchronisation. Measured on the 2-core development machine, one default MNIST-1D target
(`TrainConfig()`, 2,500 members) trained in 0.6–0.7 s on one torch thread and 4.8–5.4 s on two
while one other process was busy; the widgets, unlearning and information modules saw the same
(0.13 s vs 1–4 s per panel step; 0.5 s vs 3.2 s per unlearning evaluation; 1.2 s vs 20 s for
gradient boosting). A fixed thread count also fixes the order of floating-point reductions, so
the same seed gives the same weights on a 2-core laptop and a 16-core workstation — what a teacher
with thirty laptops needs. Parallelism comes from running several models at once instead
(``train_many``'s worker processes).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with one torch intra-op thread and one BLAS/OpenMP thread, then restore.

    Torch is only touched if it is already imported, so numpy/scikit-learn-only code stays light.
    """
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(1)
        with threadpool_limits(limits=1):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(before)
