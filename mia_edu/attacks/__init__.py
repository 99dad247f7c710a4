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
- :func:`audit` — every attack against one target, as ``python -m mia_edu audit`` prints it.
"""

from ._signals import LABEL, signal_matrix
from .audit import AuditReport, audit
from .classifier import ClassifierAttack
from .lira import LiRA
from .result import FPRS, AttackResult, format_table
from .shadow import ShadowModelAttack
from .threshold import ThresholdAttack

__all__ = ["FPRS", "LABEL", "AttackResult", "ClassifierAttack", "ThresholdAttack", "format_table",
           "signal_matrix", "ShadowModelAttack", "LiRA", "AuditReport", "audit"]
