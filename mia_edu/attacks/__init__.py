"""Membership inference attacks with one scikit-learn style API.

Signal-level attacks are estimators on a 2-D signal matrix ``S`` (rows = samples, columns =
signals, built by :func:`signal_matrix`) with the truth ``is_member``: ``fit(S, is_member)``,
``decision_function(S)`` (higher = more likely a member), ``predict``, ``score`` (ROC AUC) and
``evaluate(S, is_member) -> AttackResult``.

- :class:`ThresholdAttack` — one signal and a threshold, global or per class (notebooks 01, 04);
- :class:`ClassifierAttack` — any scikit-learn classifier on signals (notebook 04);
- :class:`AttackResult` — ROC, AUC, TPR at low FPR, advantage, CIs, plots, slices by class.
"""

from ._signals import LABEL, signal_matrix
from .classifier import ClassifierAttack
from .result import FPRS, AttackResult, format_table
from .threshold import ThresholdAttack

# Part B of issue 4 adds here: ShadowModelAttack (shadow.py), LiRA (lira.py), audit (audit.py).

__all__ = ["FPRS", "LABEL", "AttackResult", "ClassifierAttack", "ThresholdAttack", "format_table",
           "signal_matrix"]
