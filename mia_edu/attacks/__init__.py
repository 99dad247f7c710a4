"""Membership inference attacks with one scikit-learn style API.

Signal-level attacks are estimators on a 2-D signal matrix ``S`` (rows = samples, columns =
signals, built by :func:`signal_matrix`) with the truth ``is_member``: ``fit(S, is_member)``,
``decision_function(S)`` (higher = more likely a member), ``predict``, ``score`` (ROC AUC) and
``evaluate(S, is_member) -> AttackResult``.

- :class:`ThresholdAttack` — one signal and a threshold, global or per class (notebooks 01, 04);
- :class:`ClassifierAttack` — any scikit-learn classifier on signals (notebook 04);
- :class:`AttackResult` — ROC, AUC, TPR at low FPR, advantage, CIs, plots, slices by class.

Model-level attacks train their own models (with :func:`mia_edu.training.train_many`) and score a
target model: ``fit(X_pool, y_pool)``, ``score_target(target, X, y)`` (notebook 05):

- :class:`ShadowModelAttack` — Shokri et al. (2017): an attack model trained on shadow models;
- :class:`LiRA` — Carlini et al. (2022): per-example IN/OUT Gaussians from reference models;
- :class:`RMIA` — Zarifzadeh, Liu & Shokri (2024): a pairwise likelihood ratio against population
  samples, strong with few reference models (notebook 10);
- :class:`LabelOnlyAttack` — Choquette-Choo et al. (2021): robustness of the predicted label
  under perturbations, for a target that reveals only labels (notebook 10);
- :class:`BlindAttack` — the blind baseline (Das et al. 2024): a classifier on the inputs alone,
  which detects a distribution shift between members and non-members (notebook 10);
- :func:`audit` — every attack against one target, as ``python -m mia_edu audit`` prints it.

Model-level attacks take any training recipe: a ``TrainConfig``, a scikit-learn classifier or a
function ``(X, y, seed) -> model`` (:mod:`mia_edu.training.recipes`), and explicit IN/OUT
``subsets`` in ``fit``.
"""

from ._signals import LABEL, signal_matrix
from .audit import AuditReport, audit
from .blind import BlindAttack
from .classifier import ClassifierAttack
from .label_only import LabelOnlyAttack
from .lira import LiRA
from .result import FPRS, AttackResult, format_table
from .rmia import RMIA, rmia_scores
from .shadow import ShadowModelAttack
from .threshold import ThresholdAttack

__all__ = ["FPRS", "LABEL", "AttackResult", "ClassifierAttack", "ThresholdAttack", "format_table",
           "signal_matrix", "ShadowModelAttack", "LiRA", "AuditReport", "audit", "RMIA", "rmia_scores",
           "LabelOnlyAttack", "BlindAttack"]
