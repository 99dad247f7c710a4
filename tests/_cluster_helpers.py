"""Importable by cluster workers (tests/ is put on their PYTHONPATH): a model that fails in a worker.

A worker unpickles the task's arguments by reference, so a class defined in a test module would not
resolve there; this small module is on the workers' path instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mia_edu.training import TrainConfig


@dataclass(frozen=True)
class FailsInWorker(TrainConfig):
    """A TrainConfig whose model with seed ``fail_seed`` raises when it is trained outside ``home_pid``.

    In the caller (``home_pid``) it behaves as a plain TrainConfig, so train_many's checks, cache keys
    and route choice all run; in a worker process the fit of that one model raises.
    """

    fail_seed: int = -1
    home_pid: int = 0

    def __getattribute__(self, name):
        if (name == "epochs" and os.getpid() != object.__getattribute__(self, "home_pid")
                and object.__getattribute__(self, "seed") == object.__getattribute__(self, "fail_seed")):
            raise RuntimeError("this model fails on purpose (a broken fit on a cluster worker)")
        return object.__getattribute__(self, name)
