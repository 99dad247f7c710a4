"""Checks for notebook 02 (overfitting and membership: early stopping, noise of one point, digits)."""

from __future__ import annotations

import numpy as np

from .. import metrics
from .._validation import as_1d_float
from . import diagnoses, exercise


def _epoch_mistake(given, right, *, history):
    if given["best_epoch"] == right["best_epoch"] - 1:
        return "Off by one: history entry 0 is the test loss after the first epoch."
    return None


@diagnoses(_epoch_mistake)
@exercise("02.3", "the epoch with the lowest test loss", answers=("best_epoch",), context=("history",), atol=0,
          hint="history['test_loss'] holds one value per epoch; find where it is smallest and count epochs from 1.")
def _ex3(*, history):
    if not isinstance(history, dict) or "test_loss" not in history:
        raise TypeError("history must be a model's history dict with a 'test_loss' entry "
                        "(train with X_eval= and y_eval=)")
    test_loss = as_1d_float(history["test_loss"], "history['test_loss']")
    return {"best_epoch": int(np.argmin(test_loss)) + 1}


@exercise("02.4", "the null standard deviation of one AUC", answers=("null_std",),
          context=("n_members", "n_non_members"), atol=5e-4,
          hint="metrics.auc_null_std gives the spread of the AUC of an attack that knows nothing, for the numbers "
               "of members and non-members the AUC is computed on.")
def _ex4(*, n_members, n_non_members):
    return {"null_std": metrics.auc_null_std(int(n_members), int(n_non_members))}


def _records_z(records):
    if not records or not all(isinstance(r, dict) for r in records):
        raise TypeError("records must be the list of dicts overfitting_sweep returns")
    sizes = np.array([r["value"] for r in records])
    z = np.array([(r["auc"] - 0.5) / metrics.auc_null_std(r["n_members"], r["n_non_members"]) for r in records])
    order = np.argsort(sizes)
    return sizes[order], z[order]


@exercise("02.5", "from which digits training-set size on the loss attack sees nothing", answers=("first_quiet_size",),
          context=("records",), atol=0,
          hint="for each size compute z = (AUC − 0.5) / auc_null_std(members, non-members); the answer is the "
               "smallest size from which z stays at or below 3 for every larger size too.")
def _ex5(*, records):
    sizes, z = _records_z(records)
    quiet = z <= 3
    first = None
    for i in range(len(sizes) - 1, -1, -1):   # walk down from the largest size while it stays quiet
        if not quiet[i]:
            break
        first = int(sizes[i])
    return {"first_quiet_size": first if first is not None else -1}
