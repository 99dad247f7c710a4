"""Checks for notebook 01 (the membership game, the loss-threshold attack, ROC/AUC)."""

from __future__ import annotations

import numpy as np

from .. import metrics
from .._validation import as_1d_float, as_labels, as_membership
from . import diagnoses, exercise


def _percentile_mistake(given, right, *, loss, is_member):
    loss = as_1d_float(loss, "loss")
    m = as_membership(is_member, n=len(loss), length_of="loss")
    if abs(given["fpr_p5"] - (1 - right["fpr_p5"])) < 0.02:
        return "You flagged the samples with the *highest* losses; members are the ones with a low loss."
    everyone = loss <= np.percentile(loss, 5)
    if abs(given["fpr_p5"] - everyone[~m].mean()) < 1e-3:
        return "Take the percentile of the non-members' losses only, not of all samples."
    if abs(given["fpr_p5"] - 0.05) > 0.02:
        return "The FPR should be close to the 5 % the threshold was chosen for."
    return None


@diagnoses(_percentile_mistake)
@exercise("01.1", "TPR and FPR of the 5th-percentile threshold", answers=("tpr_p5", "fpr_p5"),
          context=("loss", "is_member"), atol=0.005,
          hint="the attacker calls 'member' every sample whose loss is at most the 5th percentile of the "
               "non-members' losses; TPR is the share of members called member, FPR the share of non-members.")
def _ex1(*, loss, is_member):
    loss = as_1d_float(loss, "loss")
    m = as_membership(is_member, n=len(loss), length_of="loss")
    guess = loss <= np.percentile(loss[~m], 5)
    return {"tpr_p5": float(guess[m].mean()), "fpr_p5": float(guess[~m].mean())}


def _coin_mistake(given, right):
    if abs(given["win_always"] - 0.1) < 0.02:
        return "'Always member' wins every round in which the coin chose a member (b = 1)."
    if abs(given["advantage_always"]) > 0.02:
        return "An adversary that ignores the sample has the same TPR and FPR."
    return None


@diagnoses(_coin_mistake)
@exercise("01.2", "the unfair coin: what 'always member' wins", answers=("win_always", "advantage_always"),
          atol=0.02,
          hint="with P(b = 1) = 0.9, count the rounds 'always member' wins; its advantage is its TPR minus its FPR.")
def _ex2():
    return {"win_always": 0.9, "advantage_always": 0.0}


def _counting_mistake(given, right, *, score, is_member):
    if abs(given["auc_by_counting"] - (1 - right["auc_by_counting"])) < 1e-6:
        return "You counted the pairs in which the non-member scores higher."
    if abs(given["auc_by_counting"] - right["auc_by_counting"]) < 0.01:
        return "Close: do ties count one half?"
    return None


@diagnoses(_counting_mistake)
@exercise("01.4", "the AUC by counting pairs", answers=("auc_by_counting",), context=("score", "is_member"),
          atol=1e-6,
          hint="compare every member's score with every non-member's: the fraction of pairs in which the member "
               "scores higher, ties counting one half.")
def _ex4(*, score, is_member):
    return {"auc_by_counting": metrics.roc_auc(score, is_member)}


@exercise("01.5", "the loss-attack AUC class by class", answers=("auc_per_class", "leakiest_class"),
          context=("score", "is_member", "y_eval"), atol=1e-3,
          hint="for each class c keep only the samples with y_eval == c (members and non-members) and compute "
               "the AUC of the score there; the leakiest class has the highest AUC.")
def _ex5(*, score, is_member, y_eval):
    y = as_labels(y_eval, "y_eval", n=len(np.asarray(score)))
    m = as_membership(is_member, n=len(y), length_of="y_eval")
    s = as_1d_float(score, "score")
    per = {int(c): metrics.roc_auc(s[y == c], m[y == c]) for c in np.unique(y)}
    return {"auc_per_class": per, "leakiest_class": max(per, key=per.get)}
