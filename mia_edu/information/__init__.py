"""The theoretical best: how much can *any* attacker learn about membership? Taught in notebook 06.

An attack is one attacker's result. The question here is the ceiling: given what a forward pass
reveals (features ``X``: a loss, a vector of signals, ...), how well could the *best possible*
classifier predict membership ``Y ~ Bern(p)``? Its error is the **Bayes error rate**. It cannot be
computed from data exactly, but it can be approached from three sides:

- **mutual information** ``I(X; Y)`` in bits (0 = the features say nothing about membership, 1 bit
  = they decide it, for ``p = 1/2``), which *brackets* the Bayes error (:func:`bayes_error_bounds`);
- **balanced accuracy** of the best classifier we can find (:func:`best_classifier_error`), an
  estimate of the Bayes error *from above* (no classifier beats the Bayes classifier);
- **Youden's J** (informedness) = TPR − FPR = 2 · balanced accuracy − 1, the balanced accuracy
  rescaled so that 0 is chance and 1 is perfect; its maximum over thresholds is the membership
  *advantage*. With equal priors, the best achievable J is ``1 − 2 · Bayes error``.

Lower is more private, for all three. :func:`gaussian_case` gives a world where every one of these
numbers is known exactly, to check the estimators against; :func:`dp_advantage_bound` connects them
to differential privacy, and :func:`per_sample_epsilon_estimate` reads an ε off one model's attack
results (a per-sample estimate, not a DP audit: see :mod:`.dp`).

Submodules: ``mutual_info`` (the MI estimators), ``bayes`` (bounds and the best-classifier
estimate), ``gaussian`` (the exact two-Gaussian case), ``dp`` (the DP link); everything public is
re-exported here, so ``from mia_edu.information import ...`` is all a user needs.
"""

from ..metrics import advantage, balanced_accuracy, youden_j
from ._common import Estimate, binary_entropy
from .bayes import ClassifierErrors, bayes_error_bounds, best_classifier_error, default_estimators
from .dp import (
    EpsilonBound,
    dp_advantage_bound,
    per_sample_epsilon_estimate,
    per_sample_epsilon_estimate_from_scores,
)
from .gaussian import GaussianCase, gaussian_case
from .mutual_info import mutual_information

__all__ = [
    "Estimate", "ClassifierErrors", "EpsilonBound", "GaussianCase",
    "mutual_information", "bayes_error_bounds", "best_classifier_error", "default_estimators",
    "gaussian_case", "binary_entropy", "dp_advantage_bound", "per_sample_epsilon_estimate",
    "per_sample_epsilon_estimate_from_scores", "advantage", "balanced_accuracy", "youden_j",
]
