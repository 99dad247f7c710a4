"""Issue 10: results that were wrong or misleading, each pinned by a test that failed before the fix."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import SVC

from mia_edu import metrics
from mia_edu.attacks import ClassifierAttack, ThresholdAttack


def _tpr_minus_fpr(predicted, is_member) -> float:
    predicted = np.asarray(predicted).astype(bool)
    return float(predicted[is_member].mean() - predicted[~is_member].mean())


def _saturated(seed: int = 0):
    """Confidence-like signal: 70 % of members (and no non-member) sit exactly at 1.0."""
    rng = np.random.default_rng(seed)
    n = 500
    members = np.where(rng.random(n) < 0.7, 1.0, rng.uniform(0.2, 0.99, n))
    non_members = rng.uniform(0.2, 0.99, n)
    return np.r_[members, non_members][:, None], np.r_[np.ones(n, bool), np.zeros(n, bool)]


def _correct(seed: int = 1):
    """'member iff correct': a 0/1 signal, every score tied with half the data."""
    rng = np.random.default_rng(seed)
    n = 400
    return (np.r_[rng.random(n) < 0.95, rng.random(n) < 0.6].astype(float)[:, None],
            np.r_[np.ones(n, bool), np.zeros(n, bool)])


@pytest.mark.parametrize("data", [_saturated, _correct], ids=["saturated", "member_iff_correct"])
@pytest.mark.parametrize("attack", [ThresholdAttack(), ThresholdAttack(greater_is_member=True),
                                    ThresholdAttack(per_class=True)],
                         ids=["threshold", "threshold_oriented", "threshold_per_class"])
def test_predict_reaches_the_advantage_of_the_fitted_threshold(attack, data):
    S, m = data()
    if attack.per_class:
        S = np.c_[S, np.arange(len(S)) % 2]
    fitted = attack.fit(S, m)
    result = fitted.evaluate(S, m)
    # the threshold was fitted on (S, m), so its advantage is the best over thresholds
    assert _tpr_minus_fpr(fitted.predict(S), m) == pytest.approx(result.advantage, abs=1e-12)
    assert result.advantage > 0.3  # a real, tied signal (0.70 and 0.35 here), not a trivial 0


@pytest.mark.parametrize("attack", [ThresholdAttack(), ClassifierAttack(), ClassifierAttack(SVC()),
                                    ThresholdAttack(per_class=True), ClassifierAttack(use_label="per_class")],
                         ids=["threshold", "lr", "svc", "threshold_per_class", "lr_per_class"])
@pytest.mark.parametrize("data", [_saturated, _correct], ids=["saturated", "member_iff_correct"])
def test_predict_agrees_with_the_decision_at_zero(attack, data):
    """For every attack: predict is 'member iff decision_function >= 0', ties at 0 included."""
    S, m = data()
    S = np.c_[S, np.arange(len(S)) % 2]
    fitted = attack.fit(S, m)
    d = fitted.decision_function(S)
    assert _tpr_minus_fpr(fitted.predict(S), m) == pytest.approx(_tpr_minus_fpr(d >= 0, m), abs=1e-12)
    # and that operating point is one of the ROC's: the rates at threshold 0 of evaluate's scores
    tpr = np.mean(fitted.evaluate(S, m).scores[m] >= 0)
    fpr = np.mean(fitted.evaluate(S, m).scores[~m] >= 0)
    assert _tpr_minus_fpr(fitted.predict(S), m) == pytest.approx(tpr - fpr, abs=1e-12)


def test_string_labels_are_refused_not_flipped():
    S, m = _saturated()
    labels = np.where(m, "member", "non-member")  # 'member' sorts first: it would become the negative class
    for attack in (ThresholdAttack(), ClassifierAttack()):
        with pytest.raises(ValueError, match="is_member must hold booleans or 0/1"):
            attack.fit(S, labels)
        fitted = attack.fit(S, m)
        with pytest.raises(ValueError, match="is_member must hold booleans or 0/1"):
            fitted.score(S, labels)
        with pytest.raises(ValueError, match="is_member must hold booleans or 0/1"):
            fitted.evaluate(S, labels)
        assert fitted.score(S, m.astype(int)) == pytest.approx(metrics.roc_auc(fitted.decision_function(S), m))


# -- item 5: one prior for every Bayes-error number ------------------------------------------------------

def test_best_classifier_error_is_weighted_by_the_same_prior_as_the_truth_and_the_bounds():
    from mia_edu import information

    case = information.gaussian_case(1.0, prior=0.2)
    assert case.bayes_error == pytest.approx(0.186, abs=5e-4)
    x, m = case.sample(20_000, seed=0)
    found = information.best_classifier_error(x, m, prior=0.2, seed=0)
    # the estimate is of the same quantity as the truth (the balanced error would be 0.32)
    assert abs(found.error - case.bayes_error) < 0.01
    assert found.error >= case.bayes_error - 3 * (found.high - found.low) / 4
    lo, hi = information.bayes_error_bounds(case.mi_bits, prior=0.2)
    assert lo <= case.bayes_error <= hi and lo <= found.error <= hi + 0.01
    with pytest.raises(ValueError, match="prior = 1/2"):
        _ = found.youden_j
    # at the default prior 1/2 it is the balanced error, as before
    balanced = information.best_classifier_error(x, m, seed=0)
    assert balanced.error == pytest.approx(information.gaussian_case(1.0).bayes_error, abs=0.01)


# -- item 3: the unlearning verdict is paired, with an equivalence margin and a third answer ---------------

def _report(called, method="m"):
    from mia_edu.unlearning import UnlearningReport

    called = np.asarray(called, bool)
    rate = float(called.mean())
    return UnlearningReport(method=method, forget_member_rate=rate, forget_member_ci=(rate, rate),
                            retain_member_rate=0.9, retain_member_ci=(0.85, 0.95), validation_member_rate=0.1,
                            validation_member_ci=(0.05, 0.15), attack_auc=0.9, retain_acc=1.0, forget_acc=1.0,
                            test_acc=0.7, starting_kit_accuracy=0.6, distinguishable=True,
                            forget_scores=np.where(called, 1.0, -1.0), forget_called=called, n_forget=called.size)


def test_paired_verdict_sees_a_gap_the_unpaired_test_missed():
    retrained = np.r_[np.ones(200, bool), np.zeros(300, bool)]
    method = retrained.copy()
    method[200:230] = True  # the same calls plus 30 more: +6 points, all in one direction
    r = _report(method).with_yardstick(_report(retrained, "retrain"))
    # the old unpaired z-test: 0.06 / 0.031 = 1.93 < 1.96, "as retraining"
    assert r.vs_retrain.n_up == 30 and r.vs_retrain.n_down == 0
    assert r.vs_retrain.gap == pytest.approx(0.06)
    assert r.vs_retrain.mcnemar_p < 1e-8 and r.vs_retrain.high > 0.05  # not within the margin
    assert r.verdict == "under-unlearning"


def test_not_rejected_is_not_equivalent_cant_tell():
    rng = np.random.default_rng(3)
    retrained = rng.random(40) < 0.4
    method = rng.random(40) < 0.4  # unrelated calls on only 40 samples: no evidence either way
    r = _report(method).with_yardstick(_report(retrained, "retrain"))
    assert r.vs_retrain.low < -0.05 or r.vs_retrain.high > 0.05
    assert r.vs_retrain.mcnemar_p > 0.05
    assert r.verdict == "can't tell"  # the old z-test said "as retraining"


def test_identical_calls_are_as_retraining_and_margin_matters():
    retrained = np.r_[np.ones(200, bool), np.zeros(300, bool)]
    assert _report(retrained).with_yardstick(_report(retrained)).verdict == "as retraining"
    method = retrained.copy()
    method[200:215] = True  # +3 points, significant, but within a ±5-point margin
    assert _report(method).with_yardstick(_report(retrained)).verdict == "as retraining"
    assert _report(method).with_yardstick(_report(retrained), margin=0.01).verdict == "under-unlearning"
    method = retrained.copy()
    method[:30] = False
    assert _report(method).with_yardstick(_report(retrained)).verdict == "over-unlearning"


def test_paired_bootstrap_interval_covers_the_true_gap():
    from mia_edu.unlearning import paired_gap

    rng = np.random.default_rng(0)
    n, hits, reps = 300, 0, 300
    for rep in range(reps):  # P(a only) = 0.15, P(b only) = 0.10: true gap +0.05
        u = rng.random(n)
        a, b = (u < 0.15) | (u >= 0.75), ((u >= 0.15) & (u < 0.25)) | (u >= 0.75)
        g = paired_gap(a, b, seed=rep)
        hits += g.low <= 0.05 <= g.high
    assert abs(hits / reps - 0.90) < 3 * np.sqrt(0.9 * 0.1 / reps)


def test_verdict_interval_is_in_the_table_the_json_and_the_summary():
    from mia_edu.unlearning import UnlearningComparison

    retrained = np.r_[np.ones(200, bool), np.zeros(300, bool)]
    method = retrained.copy()
    method[200:230] = True
    ref = _report(retrained, "retrain")
    reports = {"retrain": ref.with_yardstick(ref), "m": _report(method).with_yardstick(ref)}
    table = UnlearningComparison(reports, {"retrain": 1.0, "m": 0.1}, {"retrain": False, "m": False},
                                 retrain_seed_rates=(0.4, 0.42))
    text = table.format()
    assert "+6.0 [+" in text and "within ±5 points" in text and "40.0–42.0 %" in text
    row = table.to_json()["m"]
    assert row["verdict"] == "under-unlearning" and row["vs_retrain_ci"][0] > 0
    assert row["vs_retrain_test"]["n_up"] == 30 and table.to_json()["retrain"]["retrain_seed_rates"] == [0.4, 0.42]
    assert "[+" in reports["m"].summary() and "margin ±5%" in reports["m"].summary()


# -- item 4: the Bayes-error lab applies the fixed Bayes rule, and labels the tuned one optimistic ---------

def test_bayes_lab_fixed_rule_is_unbiased_and_the_tuned_threshold_optimistic():
    from mia_edu import information
    from mia_edu.widgets.bayes import BayesErrorLab, rule_errors

    case = information.gaussian_case(1.0)
    draws = [rule_errors(case, *case.sample(100, seed)) for seed in range(400)]
    fixed = np.array([d["fixed_error"] for d in draws])
    tuned = np.array([d["tuned_error"] for d in draws])
    # the fixed rule's error on a fresh sample is unbiased for the Bayes error 0.3085 ...
    assert abs(fixed.mean() - case.bayes_error) < 3 * fixed.std() / np.sqrt(len(fixed))
    # ... the threshold tuned on the same sample is optimistic (the old row: 0.278 on average)
    assert tuned.mean() < case.bayes_error - 0.02
    assert np.all(tuned <= fixed + 1e-12)
    fixed_adv = np.array([d["fixed_advantage"] for d in draws])
    assert abs(fixed_adv.mean() - (1 - 2 * case.bayes_error)) < 3 * fixed_adv.std() / np.sqrt(len(fixed_adv))
    lab = BayesErrorLab(warm_up=False, n=100, sizes=(100, 1000))
    r = lab.compute(1.0, 1.0, 100, 0)
    html = lab.readout_html(r)
    assert "fixed in advance" in html and "optimistic" in html
    assert f"{r.fixed_rule_error:.3f}" in html and r.empirical_error <= r.fixed_rule_error


# -- item 6: offline LiRA in the lab uses a disjoint pool: N OUT values per candidate --------------------

def test_shadow_lab_offline_references_are_out_for_every_candidate():
    from mia_edu.training import TrainConfig
    from mia_edu.widgets import shadow_lab

    lab = shadow_lab(n_members=100, config=TrainConfig(epochs=20, hidden=32), references=(4,), n_reference=4,
                     progress=False, run_at_start=False)
    lab.online.value = False
    run = lab.run()
    assert np.all(run.fits["n_out"] == 4)  # every reference model is OUT for every candidate (was ≈ 2)
    assert not run.fits["in_mask"].any()
    pool = {(bytes(x.tobytes()), int(c)) for x, c in zip(lab.X_pool, lab.y_pool)}
    assert not any((bytes(x.tobytes()), int(c)) in pool for x, c in zip(lab.X, lab.y))  # disjoint
    assert "OUT reference values per candidate" in lab.readout.value
    lab.online.value = True
    online = lab.run()
    assert online.fits["n_out"].max() < 4  # online: each candidate is IN for some of the models


# -- item 7: LiRA's variance default follows the measurement (global below 64 reference models) -----------

def test_lira_default_variance_is_global_below_64_references():
    from mia_edu.attacks import LiRA
    from mia_edu.attacks.lira import lira_scores
    from mia_edu.data import load_dataset
    from mia_edu.training import TrainConfig, train

    ds = load_dataset("digits", n_samples=200)
    small = TrainConfig(epochs=5, hidden=16)
    target = train(small, ds.X[:100], ds.y[:100], n_classes=10)
    lira = LiRA(small, n_reference=4, progress=False).fit(ds.X, ds.y, n_classes=10)
    assert lira.fixed_variance is None and lira.fixed_variance_ is True
    phi_ref, in_mask = lira.reference_signals(ds.X, ds.y)
    from mia_edu.signals import scaled_logit

    phi = scaled_logit(target.logits(ds.X), ds.y)
    np.testing.assert_allclose(lira.score_target(target, ds.X, ds.y),
                               lira_scores(phi, phi_ref, in_mask, fixed_variance=True))
    assert LiRA(small, n_reference=4, fixed_variance=False, progress=False).fit(
        ds.X, ds.y, n_classes=10).fixed_variance_ is False
    with pytest.raises(TypeError, match="fixed_variance"):
        LiRA(small, n_reference=4, fixed_variance="yes").fit(ds.X, ds.y)
