"""Auditing privacy soundly: canaries, many-run and one-run ε lower bounds. Taught in notebook 09.

An attack on *one* model measures that model; differential privacy is a promise about the *training
algorithm* — over its randomness, for every neighbouring pair of data sets. An audit tests the
promise: it plants canaries (:mod:`~mia_edu.auditing.canaries`), trains, attacks the canaries, and
turns the attack's correct guesses into "with probability ≥ 95 %, this algorithm is not (ε, δ)-DP for
any ε below this number" — a lower bound to hold against the accountant's upper bound.

- :mod:`~mia_edu.auditing.many_run` (Jagielski, Ullman & Oprea 2020; Nasr et al. 2021): K runs with
  a canary, K without, one trial per run, Clopper–Pearson counts → ε;
- :mod:`~mia_edu.auditing.one_run` (Steinke, Nasr & Jagielski 2023): m canaries each included with
  probability 1/2 in one run, correct guesses → ε;
- :mod:`~mia_edu.auditing.bounds`: the arithmetic of both; :mod:`~mia_edu.auditing.result`:
  :class:`AuditResult`; :mod:`~mia_edu.auditing.figures`: the bound against the trials;
  :mod:`~mia_edu.auditing.experiment`: the default audit of ``python -m mia_edu dp-audit``.

Contrast: :func:`mia_edu.information.per_sample_epsilon_estimate` (notebook 06) computes the same kind of number
from per-sample outcomes of one model — an estimate about that model and its samples, not a bound on
the algorithm, because samples of one model are neither independent trials nor worst-case neighbours.
"""

from .bounds import many_run_epsilon, one_run_epsilon, one_run_p_value
from .canaries import CANARY_KINDS, Canaries, draw_inclusion, insert_canaries, make_canaries
from .many_run import accountant_epsilon, canary_scores, many_run_audit, run_many_run_audit, train_canary_runs
from .one_run import one_run_audit, run_one_run_audit, train_one_run
from .result import METHODS, AuditResult

__all__ = [
    "AuditResult", "Canaries", "CANARY_KINDS", "METHODS", "make_canaries", "draw_inclusion", "insert_canaries",
    "many_run_epsilon", "one_run_epsilon", "one_run_p_value", "many_run_audit", "one_run_audit",
    "train_canary_runs", "train_one_run", "run_many_run_audit", "run_one_run_audit", "canary_scores",
    "accountant_epsilon",
]
