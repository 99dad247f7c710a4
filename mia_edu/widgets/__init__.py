"""Interactive panels for the notebooks (ipywidgets), thin over the rest of the package.

Each panel is an object whose controls and last result are attributes (so tests and students can
drive it from Python) and which displays as one widget. See :mod:`mia_edu.widgets._base` for the
rules they share: errors shown, figures updated in place, results cached by setting.

- :func:`overfitting_explorer` — notebook 02: epochs, width, weight decay, training-set size,
  label smoothing, dropout → train/test curves, member vs non-member histogram, log–log ROC.
- :func:`signal_explorer` — notebook 03: one target's signals, all samples or one true class →
  histograms, the ROC of every signal, a table of AUC / TPR at 1 % FPR.
- :func:`bayes_error_lab` — notebook 06: the Gaussian membership game (μ, σ₁, n) → exact Bayes
  error, AUC, advantage and MI against their estimates from a sample.
- :func:`shadow_lab` — notebook 05: LiRA with 2–16 reference models, online or offline, run on a
  button → its log–log ROC against the loss threshold, and one candidate's IN/OUT Gaussians.
- :func:`modern_lab` — notebook 10: model family (MLP, random forest, k-NN, logistic regression) ×
  offline reference models → loss threshold, LiRA, RMIA, label-only and blind baseline on log–log ROC.
- :func:`unlearning_lab` — notebook 07: method × forget size, run on a button with a progress bar →
  the attack's member rates on retain / forget / validation against retraining from scratch.
- :func:`defences_lab` — notebook 08: defence × strength, run on a button → the point on the
  privacy–utility frontier (LiRA's TPR at 1 % FPR vs test accuracy) and the ROC under the DP ceiling.
- :func:`audit_lab` — notebook 09: many-run or one-run audit × trials × canary kind × DP noise, run on
  a button → the ε lower bound against the accountant's ε and a perfect attack's ceiling.
- :func:`language_lab` — notebook 11: epochs (checkpoints of one cached run) and insertions → the
  sequence attacks' log–log ROC, exposure by insertions, one canary's candidate PINs.
"""

import importlib

# Each panel lives in its own module and is imported on first use, so that notebook 02's
# ``from mia_edu.widgets import overfitting_explorer`` does not pay for the unlearning or
# information modules' imports.
_WHERE = {
    "Panel": "_base", "ResultCache": "_base",
    "OverfittingExplorer": "overfitting", "ExplorerResult": "overfitting", "Setting": "overfitting",
    "overfitting_explorer": "overfitting",
    "SignalExplorer": "signals", "signal_explorer": "signals",
    "BayesErrorLab": "bayes", "bayes_error_lab": "bayes",
    "UnlearningLab": "unlearning", "unlearning_lab": "unlearning",
    "ShadowLab": "shadow", "shadow_lab": "shadow",
    "DefencesLab": "defences", "defences_lab": "defences",
    "AuditLab": "audit", "audit_lab": "audit",
    "ModernLab": "modern", "modern_lab": "modern",
    "LanguageLab": "language", "language_lab": "language",
}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
