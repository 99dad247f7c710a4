"""Training losses: cross-entropy (with label smoothing) and RelaxLoss, an MIA-specific defence.

RelaxLoss (Chen, Yu & Fritz, "RelaxLoss: Defending Membership Inference Attacks without Losing
Utility", ICLR 2022) keeps the *training* loss near a target level ``α`` instead of driving it to
zero, so members' losses look like non-members'. Per step, with ``L`` the mean cross-entropy of the
batch (the paper's Algorithm 1 and its reference code):

- even epochs: minimise ``|L − α|`` — gradient descent while ``L > α``, gradient *ascent* below it;
- odd epochs: if ``L > α``, ordinary descent on ``L``; otherwise *posterior flattening*: for each
  sample the soft target keeps the model's own (detached) probability ``p_y`` on the true class and
  spreads ``1 − p_y`` evenly over the others, and the loss is
  ``mean((1 − correct) · CE(soft target) − CE(y))``: it flattens the non-true probabilities and
  pushes misclassified samples towards their class, without lowering the loss further.

Larger ``α``, stronger defence (and, past the test loss, lower accuracy). Taught in notebook 08.
"""

from __future__ import annotations

import torch
from torch import nn


def relaxloss(logits: torch.Tensor, y: torch.Tensor, alpha: float, epoch: int, *,
              label_smoothing: float = 0.0) -> torch.Tensor:
    """RelaxLoss (Chen et al. 2022) of one batch at ``epoch`` (0-based) with target loss ``alpha``."""
    ce = nn.functional.cross_entropy(logits, y, reduction="none", label_smoothing=label_smoothing)
    mean = ce.mean()
    if epoch % 2 == 0:
        return (mean - alpha).abs()
    if mean > alpha:
        return mean
    n_classes = logits.shape[1]
    with torch.no_grad():
        p_true = logits.softmax(dim=1).gather(1, y[:, None]).squeeze(1)
        onehot = nn.functional.one_hot(y, n_classes).to(logits.dtype)
        soft = onehot * p_true[:, None] + (1 - onehot) * ((1 - p_true) / (n_classes - 1))[:, None]
        wrong = (logits.argmax(dim=1) != y).to(logits.dtype)
    soft_ce = -(soft * logits.log_softmax(dim=1)).sum(dim=1)
    return (wrong * soft_ce - ce).mean()


def training_loss(config):
    """The loss ``fn(logits, y, epoch)`` that ``config`` trains with (mean over the batch)."""
    smoothing = float(config.label_smoothing)
    if config.relaxloss_alpha is not None:
        alpha = float(config.relaxloss_alpha)
        return lambda out, y, epoch: relaxloss(out, y, alpha, epoch, label_smoothing=smoothing)
    ce = nn.CrossEntropyLoss(label_smoothing=smoothing)
    return lambda out, y, epoch: ce(out, y)
