"""Defences against membership inference and the privacy–utility frontier (notebook 08).

- :mod:`~mia_edu.defences.recipes` — each defence as a training recipe: regularisers already in
  :class:`~mia_edu.training.TrainConfig` (weight decay, dropout, label smoothing), early stopping
  on the defender's validation split, RelaxLoss (Chen et al. 2022) and DP-SGD through Opacus
  (:mod:`mia_edu.training.private`; the losses live in :mod:`mia_edu.training.losses`).
- :mod:`~mia_edu.defences.frontier` — defence × strength → train/test accuracy, online LiRA with
  same-recipe reference models and the loss attack (AUC, TPR at 0.1 % / 1 % FPR, advantage), ε.
- :mod:`~mia_edu.defences.figures` — the frontier figure and the ROC under the DP ceiling.
- :mod:`~mia_edu.defences.cli` — ``python -m mia_edu defend``.
"""

from ..training.losses import relaxloss
from ..training.private import dp_epsilon
from .figures import dp_ceiling, dp_roc_figure, draw_dp_roc, draw_frontier, frontier_figure, proven_epsilon, roc_title
from .frontier import (
    COLUMNS,
    FrontierPoint,
    FrontierSetting,
    FrontierTable,
    evaluate_defence,
    pareto_mask,
    privacy_utility_frontier,
)
from .recipes import (
    DEFENCES,
    DP_EPOCHS,
    Defence,
    defended_config,
    early_stopping_epochs,
    parse_defences,
    stopping_epoch,
)

__all__ = ["DEFENCES", "DP_EPOCHS", "Defence", "defended_config", "early_stopping_epochs", "parse_defences",
           "stopping_epoch", "COLUMNS", "FrontierPoint", "FrontierSetting", "FrontierTable", "evaluate_defence",
           "pareto_mask", "privacy_utility_frontier", "dp_ceiling", "dp_roc_figure", "frontier_figure",
           "draw_frontier", "draw_dp_roc", "roc_title", "proven_epsilon",
           "relaxloss", "dp_epsilon"]
