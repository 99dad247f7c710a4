"""Checks for notebook 04 (attack classifiers on signals; evaluation; precision at a low prior)."""

from __future__ import annotations

from . import diagnoses, exercise


def _attack_data(S_train, m_train, S_test, m_test):
    import numpy as np

    from .._validation import as_membership
    S_train, S_test = np.asarray(S_train), np.asarray(S_test)
    return (S_train, as_membership(m_train, "m_train", n=len(S_train), length_of="S_train"),
            S_test, as_membership(m_test, "m_test", n=len(S_test), length_of="S_test"))


def _train_test_mistake(given, right, **_):
    if given["auc_train"] < given["auc_test"]:
        return "An attack scored on the samples it learnt from should look *better*, not worse."
    return None


@diagnoses(_train_test_mistake)
@exercise("04.3", "a random-forest attack on its own training half and on held-out samples",
          answers=("auc_train", "auc_test"),
          context=("S_train", "m_train", "S_test", "m_test", "columns", "SIGNAL_NAMES"), atol=2e-3,
          hint="fit ClassifierAttack(RandomForestClassifier(random_state=0), signals=SIGNAL_NAMES, columns=columns) "
               "on the training half, then .score(...) it on the training half and on the test half.")
def _ex3(*, S_train, m_train, S_test, m_test, columns, SIGNAL_NAMES):
    from sklearn.ensemble import RandomForestClassifier

    from ..attacks import ClassifierAttack
    S_train, m_train, S_test, m_test = _attack_data(S_train, m_train, S_test, m_test)
    attack = ClassifierAttack(RandomForestClassifier(random_state=0), signals=list(SIGNAL_NAMES),
                              columns=list(columns)).fit(S_train, m_train)
    return {"auc_train": attack.score(S_train, m_train), "auc_test": attack.score(S_test, m_test)}


PRIORS = (0.01, 0.1, 0.5)


def _precision_mistake(given, right, **_):
    values = [given["precision"].get(p) for p in PRIORS] if isinstance(given["precision"], dict) else []
    if values and all(v is not None for v in values) and not values[0] <= values[1] <= values[2]:
        return "Precision should grow with the share of members among the candidates."
    if values and values[0] is not None and values[0] > 0.5:
        return ("Count the false accusations too: at a 1 % prior, 99 % of the candidates are non-members and "
                "1 % of them are accused.")
    return None


@diagnoses(_precision_mistake)
@exercise("04.4", "precision of the per-class threshold attack at 1 % FPR", answers=("precision",),
          context=("S_train", "m_train", "S_test", "m_test", "columns"), atol=0.01,
          hint="precision = true accusations / all accusations = π·TPR / (π·TPR + (1 − π)·FPR), with the per-class "
               "loss threshold's TPR at FPR = 1 % on the test half (a dict prior π → precision for 1 %, 10 %, 50 %).")
def _ex4(*, S_train, m_train, S_test, m_test, columns):
    from ..attacks import ThresholdAttack
    S_train, m_train, S_test, m_test = _attack_data(S_train, m_train, S_test, m_test)
    attack = ThresholdAttack(signal="loss", per_class=True, columns=list(columns)).fit(S_train, m_train)
    tpr = attack.evaluate(S_test, m_test).tpr_at(0.01)
    return {"precision": {p: p * tpr / (p * tpr + (1 - p) * 0.01) for p in PRIORS}}
