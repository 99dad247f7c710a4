"""Checks for notebook 03 (the signals of one forward pass)."""

from __future__ import annotations

import numpy as np

from .. import metrics, signals
from .._validation import as_labels, as_membership
from . import diagnoses, exercise

SIGNALS = ("loss", "confidence", "entropy", "modified_entropy", "scaled_logit")


def _prepare(logits, y_eval, is_member):
    z = np.asarray(logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"logits must be 2-D (samples × classes), got shape {z.shape}")
    y = as_labels(y_eval, "y_eval", n=len(z))
    m = as_membership(is_member, n=len(z), length_of="logits")
    return z, y, m


def _label_mistake(given, right, *, logits, is_member):
    names = {str(g).strip().lower() for g in given["label_free"]}
    if "confidence" in names:
        return "'confidence' here is p_y, the probability of the *true* class: it needs the label."
    if not names <= set(SIGNALS):
        return f"Name signals from {', '.join(SIGNALS)}."
    return None


@diagnoses(_label_mistake)
@exercise("03.1", "the signals an attacker computes without the label", answers=("label_free", "auc_top2"),
          context=("logits", "is_member"), atol=1e-3,
          hint="a signal needs the label when its formula uses y (the true class); the top-2 gap is the largest "
               "probability minus the second largest, higher = more likely a member.")
def _ex1(*, logits, is_member):
    z = np.asarray(logits, dtype=np.float64)
    m = as_membership(is_member, n=len(z), length_of="logits")
    p = np.exp(signals.log_probs(z))
    top2 = np.sort(p, axis=1)[:, -2:]
    return {"label_free": {"entropy"}, "auc_top2": metrics.roc_auc(top2[:, 1] - top2[:, 0], m)}


@exercise("03.2", "monotone transforms of p_y", answers=("auc_log1m", "auc_square", "not_of_p_y"),
          context=("logits", "y_eval", "is_member"), atol=2e-3,
          hint="a strictly increasing function of p_y ranks the samples as p_y does, so its AUC is the loss's; "
               "a signal that is not a function of p_y alone needs the other probabilities too.")
def _ex2(*, logits, y_eval, is_member):
    z, y, m = _prepare(logits, y_eval, is_member)
    auc = metrics.roc_auc(-signals.loss(z, y), m)
    return {"auc_log1m": auc, "auc_square": auc, "not_of_p_y": {"entropy", "modified_entropy"}}


def _orientation(given, right, **_):
    flipped = all(abs(given[k] - (1 - right[k])) < 2e-3 for k in ("auc_entropy", "auc_modified"))
    return "Orientation: a *low* entropy means member, so score with minus the signal." if flipped else None


@diagnoses(_orientation)
@exercise("03.3", "entropy vs modified entropy against misclassified non-members",
          answers=("auc_entropy", "auc_modified"), context=("logits", "y_eval", "is_member"), atol=1e-3,
          hint="keep all members and only the non-members the model misclassifies, then compute the AUC of minus "
               "each signal on that subset.")
def _ex3(*, logits, y_eval, is_member):
    z, y, m = _prepare(logits, y_eval, is_member)
    keep = m | (~m & (z.argmax(axis=1) != y))
    s = signals.compute_signals(z, y)
    return {"auc_entropy": metrics.roc_auc(-s["entropy"][keep], m[keep]),
            "auc_modified": metrics.roc_auc(-s["modified_entropy"][keep], m[keep])}


SHARPENS = (1.0, 1.5, 2.0, 3.0)


@exercise("03.4", "exact zeros of the float32 log(softmax) loss", answers=("exact_zeros",),
          context=("logits", "y_eval"), atol=0,
          hint="for each SHARPEN multiply the logits, cast to float32, take −log(softmax) the naive way and count "
               "the losses that are exactly 0 (a dict SHARPEN → count, for 1, 1.5, 2 and 3).")
def _ex4(*, logits, y_eval):
    z = np.asarray(logits)                     # as given: the exercise multiplies, then casts to float32
    y = as_labels(y_eval, "y_eval", n=len(z))
    rows = np.arange(len(y))
    out = {}
    for sharpen in SHARPENS:
        sharp = (z * sharpen).astype(np.float32)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            p32 = np.exp(sharp) / np.exp(sharp).sum(axis=1, keepdims=True)
            naive = -np.log(p32[rows, y])
        out[sharpen] = int(np.sum(naive == 0))
    return {"exact_zeros": out}


@exercise("03.5", "the loss AUC and test accuracy of each class", answers=("auc_per_class", "test_acc_per_class"),
          context=("logits", "y_eval", "is_member"), atol=1e-3,
          hint="within class c use the samples with y_eval == c: the AUC of minus the loss over its members and "
               "non-members, and the accuracy over its non-members only (they are the test samples).")
def _ex5(*, logits, y_eval, is_member):
    z, y, m = _prepare(logits, y_eval, is_member)
    loss = signals.loss(z, y)
    classes = [int(c) for c in np.unique(y)]
    return {"auc_per_class": {c: metrics.roc_auc(-loss[y == c], m[y == c]) for c in classes},
            "test_acc_per_class": {c: float(np.mean(z[(y == c) & ~m].argmax(1) == c)) for c in classes}}
