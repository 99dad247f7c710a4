"""Checks for notebook 05 (shadow models and LiRA: which members LiRA finds)."""

from __future__ import annotations

import numpy as np

from .._validation import as_1d_float, as_membership
from . import exercise


@exercise("05.4", "the members online LiRA flags at 1 % FPR", answers=("n_flagged", "loss_flagged", "loss_members"),
          context=("scores", "is_member", "loss"), atol=2e-3,
          hint="the threshold is the 99th percentile (np.quantile(..., 0.99)) of the non-members' LiRA scores; a "
               "member is flagged when its score is above it. Then average the target loss over the flagged "
               "members and over all members.")
def _ex4(*, scores, is_member, loss):
    s = as_1d_float(scores, "scores")
    m = as_membership(is_member, n=len(s))
    loss = as_1d_float(loss, "loss")
    found = m & (s > np.quantile(s[~m], 0.99))
    return {"n_flagged": int(found.sum()), "loss_flagged": float(loss[found].mean()) if found.any() else 0.0,
            "loss_members": float(loss[m].mean())}
