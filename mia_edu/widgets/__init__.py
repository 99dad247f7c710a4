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
- :func:`unlearning_lab` — notebook 07: method × forget size, run on a button with a progress bar →
  the attack's member rates on retain / forget / validation against retraining from scratch.
"""

from ._base import Panel, ResultCache
from .bayes import BayesErrorLab, bayes_error_lab
from .overfitting import ExplorerResult, OverfittingExplorer, Setting, overfitting_explorer
from .signals import SignalExplorer, signal_explorer
from .unlearning import UnlearningLab, unlearning_lab

__all__ = ["Panel", "ResultCache", "OverfittingExplorer", "ExplorerResult", "Setting", "overfitting_explorer",
           "SignalExplorer", "signal_explorer",
           "BayesErrorLab", "bayes_error_lab",
           "UnlearningLab", "unlearning_lab"]
