"""Checks for notebook 07 (unlearning evaluation: per-sample exposure by class)."""

from __future__ import annotations

import numpy as np

from .._validation import as_1d_float, as_labels
from . import exercise


@exercise("07.4", "forget samples still exposed after fine-tuning, class by class", answers=("exposed_per_class",),
          context=("z", "labels", "threshold"), atol=0,
          hint="a forget sample is exposed when its exposure z is above the threshold (EXPOSED_Z); count them "
               "within each class of the forget set (a dict class → count, every class of the forget set).")
def _ex4(*, z, labels, threshold):
    z = as_1d_float(z, "z")
    y = as_labels(labels, "labels", n=len(z), length_of="z")
    return {"exposed_per_class": {int(c): int(np.sum(z[y == c] > float(threshold))) for c in np.unique(y)}}
