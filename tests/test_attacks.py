"""Signal-level attacks (threshold, classifier) and AttackResult, checked against known answers.

Every number asserted here has a reason: an analytic value (Gaussian signals), the Mann–Whitney
null of a useless attack, or an invariant of the definitions.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from mia_edu import metrics
from mia_edu.attacks import AttackResult, ClassifierAttack, ThresholdAttack, format_table, signal_matrix
from mia_edu.signals import compute_signals

AUC_SHIFT_1 = norm.cdf(1 / np.sqrt(2))  # 0.7602: AUC of N(1,1) members vs N(0,1) non-members
ADV_SHIFT_1 = 2 * norm.cdf(0.5) - 1  # 0.3829: best TPR − FPR, threshold at 0.5
AUC_TWO_SIDED = 2 / np.pi * np.arctan(2)  # 0.7048: best AUC for N(0,1) members vs N(0,2²) non-members


def gaussian(n, mu_member, sd_member, mu_non, sd_non, seed):
    rng = np.random.default_rng(seed)
    S = np.r_[rng.normal(mu_member, sd_member, n), rng.normal(mu_non, sd_non, n)][:, None]
    is_member = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    return S, is_member


def class_shifted(n_per_class, offsets, seed):
    """Signal = class offset + 1 · member + N(0, 1), label in the last column.

    Within each class the AUC is Φ(1/√2) = 0.760; pooled over classes with very different offsets, a
    single threshold loses much of it.
    """
    rng = np.random.default_rng(seed)
    rows, member = [], []
    for c, off in enumerate(offsets):
        for m in (True, False):
            x = off + (1.0 if m else 0.0) + rng.normal(size=n_per_class)
            rows.append(np.c_[x, np.full(n_per_class, c)])
            member.append(np.full(n_per_class, m))
    return np.vstack(rows), np.concatenate(member)


# -- the scikit-learn estimator contract -------------------------------------------------------------

# Membership labels must be booleans or 0/1: with other labels (1/2, strings) the sorted order would
# decide which class is "member", which silently flipped the attack (issue 10). These checks fit on
# such labels, so they are expected to fail with our clear ValueError.
_MEMBER_LABEL_CHECKS = {name: "is_member must be booleans or 0/1 (other labels make 'member' a guess)"
                        for name in ("check_estimators_dtypes", "check_classifier_data_not_an_array",
                                     "check_classifiers_classes", "check_fit2d_1feature")}


def _expected_failed(estimator):
    if isinstance(estimator, ThresholdAttack):
        # The check needs > 83 % accuracy on 2-feature blobs whose classes differ in *both* features;
        # a threshold attack looks at one column only (``signal``) by design.
        return {"check_classifiers_train": "a threshold attack uses one column only, by design", **_MEMBER_LABEL_CHECKS}
    return dict(_MEMBER_LABEL_CHECKS)


# Class-dependent variants (per_class=True, use_label="onehot"/"per_class") need an integer label
# column, which the checks' random float data lacks; their contract is tested in
# test_class_dependent_variants_are_plain_estimators below.
@parametrize_with_checks([ThresholdAttack(), ThresholdAttack(greater_is_member=False), ClassifierAttack(),
                          ClassifierAttack(SVC())], expected_failed_checks=_expected_failed)
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_class_dependent_variants_are_plain_estimators():
    S, m = class_shifted(200, [0.0, 3.0], seed=1)
    for attack in (ThresholdAttack(per_class=True), ClassifierAttack(use_label="onehot"),
                   ClassifierAttack(use_label="per_class")):
        scores = cross_val_predict(clone(attack), S, m, method="decision_function",
                                   cv=StratifiedKFold(2, shuffle=True, random_state=0))
        assert metrics.roc_auc(scores, m) > 0.7  # within-class AUC 0.76; chance would be 0.5
        assert clone(attack).get_params() == attack.get_params()


# -- known answers ---------------------------------------------------------------------------------

def test_threshold_known_answer_gaussian_shift():
    S, m = gaussian(20_000, 1.0, 1.0, 0.0, 1.0, seed=0)
    S_test, m_test = gaussian(20_000, 1.0, 1.0, 0.0, 1.0, seed=1)
    attack = ThresholdAttack().fit(S, m)
    assert attack.greater_is_member_ is True
    assert abs(attack.threshold_ - 0.5) < 0.1  # the Bayes threshold sits half-way between the means
    r = attack.evaluate(S_test, m_test)
    assert abs(r.auc - AUC_SHIFT_1) < 0.01
    assert abs(r.advantage - ADV_SHIFT_1) < 0.015
    assert r.balanced_accuracy == pytest.approx((1 + r.advantage) / 2)
    assert attack.score(S_test, m_test) == pytest.approx(r.auc)


def test_threshold_learns_direction_for_loss_like_signals():
    S, m = gaussian(5_000, 0.0, 1.0, 1.0, 1.0, seed=2)  # members *low*, like a loss
    learned = ThresholdAttack().fit(S, m)
    assert learned.greater_is_member_ is False
    forced = ThresholdAttack(greater_is_member=True).fit(S, m)
    assert learned.score(S, m) == pytest.approx(1 - forced.score(S, m))
    assert abs(learned.score(S, m) - AUC_SHIFT_1) < 0.02


def test_svc_beats_logistic_regression_on_two_sided_signal():
    # Members N(0, 1), non-members N(0, 2²): members sit in the middle, so any *monotone* rule in the
    # raw score (logistic regression) is at chance, while the RBF SVC learns |x| small → member.
    S, m = gaussian(2_000, 0.0, 1.0, 0.0, 2.0, seed=3)
    S_test, m_test = gaussian(2_000, 0.0, 1.0, 0.0, 2.0, seed=4)
    lr = ClassifierAttack().fit(S, m).score(S_test, m_test)
    svc = ClassifierAttack(SVC()).fit(S, m).score(S_test, m_test)
    se = metrics.auc_null_std(2_000, 2_000)
    assert abs(lr - 0.5) < 3 * se
    assert svc > lr + 0.15
    assert AUC_TWO_SIDED - 0.03 < svc < AUC_TWO_SIDED + 3 * se  # cannot beat the Bayes-optimal rule


def test_per_class_threshold_recovers_within_class_auc():
    S, m = class_shifted(2_000, [0.0, 2.0, 4.0], seed=5)
    S_test, m_test = class_shifted(2_000, [0.0, 2.0, 4.0], seed=6)
    glob = ThresholdAttack(signal=0).fit(S, m).score(S_test, m_test)
    per = ThresholdAttack(signal=0, per_class=True).fit(S, m)
    assert set(per.class_thresholds_) == {0, 1, 2}
    for c, off in enumerate([0.0, 2.0, 4.0]):
        assert abs(per.class_thresholds_[c] - (off + 0.5)) < 0.2
    per_auc = per.score(S_test, m_test)
    assert glob < 0.66  # the offsets swamp the membership shift
    assert abs(per_auc - AUC_SHIFT_1) < 0.02
    for use_label in ("onehot", "per_class"):
        auc = ClassifierAttack(use_label=use_label).fit(S, m).score(S_test, m_test)
        assert abs(auc - AUC_SHIFT_1) < 0.02, use_label


def test_label_column_is_not_a_numeric_feature_by_default():
    S, m = class_shifted(300, [0.0, 2.0], seed=16)
    named = ClassifierAttack(columns=["signal", "label"]).fit(S, m)
    assert named.signal_indices_ == [0]
    assert ClassifierAttack().fit(S, m).signal_indices_ == [0, 1]  # no names: every column, as documented


def test_unseen_class_falls_back_to_global_model():
    S, m = class_shifted(300, [0.0, 2.0], seed=7)
    S_new = S.copy()
    S_new[:, 1] = 9  # a class never seen in fit
    thr = ThresholdAttack(per_class=True).fit(S, m)
    np.testing.assert_allclose(thr.decision_function(S_new), S[:, 0] - thr.threshold_)
    onehot = ClassifierAttack(use_label="onehot").fit(S, m)
    assert np.all(np.isfinite(onehot.decision_function(S_new)))
    per = ClassifierAttack(use_label="per_class").fit(S, m)
    np.testing.assert_allclose(per.decision_function(S_new), per.model_.decision_function(S[:, :1]))


# -- the null: nothing to find, nothing found -----------------------------------------------------------

@pytest.mark.parametrize("attack", [
    ThresholdAttack(), ThresholdAttack(per_class=True), ClassifierAttack(), ClassifierAttack(SVC()),
    ClassifierAttack(RandomForestClassifier(n_estimators=50, random_state=0)),
    ClassifierAttack(use_label="onehot"), ClassifierAttack(use_label="per_class"),
], ids=["threshold", "threshold_per_class", "lr", "svc", "forest", "lr_onehot", "lr_per_class"])
def test_null_same_distribution(attack):
    rng = np.random.default_rng(8)
    n = 1_000

    def draw():
        S = np.c_[rng.normal(size=(2 * n, 2)), rng.integers(0, 3, 2 * n)]
        return S, np.r_[np.ones(n, bool), np.zeros(n, bool)]

    S, m = draw()
    S_test, m_test = draw()
    auc = attack.fit(S, m).score(S_test, m_test)
    assert abs(auc - 0.5) < 3 * metrics.auc_null_std(n, n)


# -- bad input ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("attack", [ThresholdAttack(), ClassifierAttack()], ids=["threshold", "classifier"])
def test_bad_input(attack):
    S, m = gaussian(50, 1.0, 1.0, 0.0, 1.0, seed=9)
    for bad in (np.nan, np.inf):
        S_bad = S.copy()
        S_bad[3, 0] = bad
        with pytest.raises(ValueError, match="S contains 1 NaN or inf"):
            clone(attack).fit(S_bad, m)
        with pytest.raises(ValueError, match="S contains 1 NaN or inf"):
            clone(attack).fit(S, m).decision_function(S_bad)
    with pytest.raises(ValueError, match="only one class"):
        clone(attack).fit(S, np.ones(len(S), bool))
    with pytest.raises(ValueError, match="is_member has 99 entries but S has 100 rows"):
        clone(attack).fit(S, m[:-1])
    with pytest.raises(ValueError, match="Only binary"):
        clone(attack).fit(S, np.arange(len(S)) % 3)
    with pytest.raises(ValueError, match="features"):
        clone(attack).fit(S, m).decision_function(np.c_[S, S])


def test_unknown_signal_names():
    S, cols = signal_matrix({"loss": [0.1, 2.0, 0.3, 1.0], "entropy": [0.2, 1.0, 0.1, 0.9]})
    m = [True, False, True, False]
    with pytest.raises(ValueError, match="unknown signal name 'los'.*known columns: loss, entropy"):
        ThresholdAttack("los", columns=cols).fit(S, m)
    with pytest.raises(ValueError, match="unknown signal name 'mentr'"):
        ClassifierAttack(signals=["loss", "mentr"], columns=cols).fit(S, m)
    with pytest.raises(ValueError, match="not told the column names"):
        ThresholdAttack("loss").fit(S, m)
    with pytest.raises(ValueError, match="signal=5 is out of range"):
        ThresholdAttack(5).fit(S, m)
    with pytest.raises(TypeError, match="signal must be a column index"):
        ThresholdAttack(1.5).fit(S, m)
    with pytest.raises(ValueError, match="unknown signal name 'los'"):
        signal_matrix({"loss": [0.1, 0.2]}, ["los"])
    assert ThresholdAttack("entropy", columns=cols).fit(S, m).signal_index_ == 1


def test_bad_parameters_and_label_column():
    S, m = class_shifted(50, [0.0, 1.0], seed=10)
    with pytest.raises(ValueError, match="use_label must be one of"):
        ClassifierAttack(use_label="yes").fit(S, m)
    with pytest.raises(ValueError, match="greater_is_member"):
        ThresholdAttack(greater_is_member="low").fit(S, m)
    with pytest.raises(ValueError, match="integers"):
        ThresholdAttack(per_class=True, label_column=0, signal=1).fit(S + 0.5, m)
    with pytest.raises(ValueError, match="both point to column 1"):
        ThresholdAttack(signal=1, per_class=True).fit(S, m)
    with pytest.raises(ValueError, match="signals includes the label column"):
        ClassifierAttack(signals=[0, 1], use_label="onehot").fit(S, m)
    with pytest.raises(ValueError, match=r"outside \[0, 1\] \(found 1..2\)"):
        ClassifierAttack(use_label="onehot", n_classes=2).fit(np.c_[S[:, 0], S[:, 1] + 1], m)
    with pytest.raises(ValueError, match="n_classes must be at least 2"):
        ClassifierAttack(use_label="onehot", n_classes=1).fit(S, m)


# -- determinism -------------------------------------------------------------------------------------

@pytest.mark.parametrize("attack", [ThresholdAttack(per_class=True), ClassifierAttack(use_label="onehot"),
                                    ClassifierAttack(SVC(), use_label="per_class"),
                                    ClassifierAttack(RandomForestClassifier(n_estimators=20, random_state=0))],
                         ids=["threshold", "lr", "svc", "forest"])
def test_deterministic(attack):
    S, m = class_shifted(200, [0.0, 2.0], seed=11)
    a = clone(attack).fit(S, m).decision_function(S)
    b = clone(attack).fit(S, m).decision_function(S)
    np.testing.assert_array_equal(a, b)


# -- signal_matrix ------------------------------------------------------------------------------------

def test_signal_matrix_columns_and_label():
    logits = np.array([[3.0, 0.0, -1.0], [0.0, 2.0, 0.5], [1.0, 1.0, 1.0], [-2.0, 0.0, 4.0]])
    y = np.array([0, 1, 2, 0])
    sig = compute_signals(logits, y)
    S, cols = signal_matrix(sig)
    assert cols == ["loss", "confidence", "entropy", "modified_entropy", "scaled_logit"]
    np.testing.assert_array_equal(S[:, 0], sig["loss"])
    S, cols = signal_matrix(sig, ["logits", "loss"], labels=y)
    assert cols == ["logit_0", "logit_1", "logit_2", "loss", "label"]
    np.testing.assert_array_equal(S[:, :3], logits)
    np.testing.assert_array_equal(S[:, -1], y)
    with pytest.raises(ValueError, match="'entropy' has 3 samples but 'loss' has 4"):
        signal_matrix({"loss": sig["loss"], "entropy": sig["entropy"][:3]})
    with pytest.raises(ValueError, match="NaN"):
        signal_matrix({"loss": [0.1, np.nan]})
    with pytest.raises(ValueError, match="labels has 3 labels"):
        signal_matrix(sig, labels=y[:3])


# -- AttackResult ------------------------------------------------------------------------------------

def test_attack_result_numbers_and_invariants():
    S, m = gaussian(20_000, 1.0, 1.0, 0.0, 1.0, seed=12)
    classes = np.arange(len(m)) % 2
    r = AttackResult(S[:, 0], m, "shift", classes=classes)
    d = r.to_dict()
    assert list(d) == ["auc", "tpr_at_0.1%", "tpr_at_1%", "tpr_at_10%", "advantage", "balanced_accuracy"]
    assert abs(d["auc"] - AUC_SHIFT_1) < 0.01
    # TPR at FPR f for two unit Gaussians one apart: Φ(Φ⁻¹(f) + 1).
    for f in (0.01, 0.1):
        assert abs(d[f"tpr_at_{f * 100:g}%"] - norm.cdf(norm.ppf(f) + 1)) < 0.015
    assert d["tpr_at_0.1%"] <= d["tpr_at_1%"] <= d["tpr_at_10%"]
    lo, hi = r.ci("auc", n_boot=100)
    assert lo < AUC_SHIFT_1 < hi and hi - lo < 0.02
    assert r.ci("auc", n_boot=100) == (lo, hi)  # same seed, same interval
    line = r.summary()
    assert "\n" not in line and line.startswith("shift: AUC 0.76") and "20000 members" in line
    rows = r.by_class()
    assert [row["class"] for row in rows] == [0, 1]
    assert sum(row["n_members"] + row["n_non_members"] for row in rows) == len(m)
    for row in rows:
        assert abs(row["auc"] - AUC_SHIFT_1) < 0.015
    table = format_table(rows)
    assert table.splitlines()[0].split() == ["class", "n_members", "n_non_members", "auc", "tpr_at_1%", "advantage"]


def test_by_class_finds_the_leaky_class():
    rng = np.random.default_rng(13)
    n = 2_000
    classes = np.repeat([0, 1], 2 * n)
    m = np.tile(np.r_[np.ones(n, bool), np.zeros(n, bool)], 2)
    scores = rng.normal(size=4 * n) + np.where((classes == 1) & m, 1.0, 0.0)  # only class 1 leaks
    rows = AttackResult(scores, m, "slice", classes=classes).by_class()
    se = metrics.auc_null_std(n, n)
    assert abs(rows[0]["auc"] - 0.5) < 3 * se
    assert abs(rows[1]["auc"] - AUC_SHIFT_1) < 0.02
    one_sided = AttackResult(scores, m, classes=np.where(m, 0, 1))
    assert all(np.isnan(row["auc"]) for row in one_sided.by_class())


def test_attack_result_bad_input_and_plot():
    with pytest.raises(ValueError, match="NaN"):
        AttackResult([0.1, np.nan], [True, False], "x")
    with pytest.raises(ValueError, match="is_member has 3 entries but scores has 2"):
        AttackResult([0.1, 0.2], [True, False, True], "x")
    with pytest.raises(ValueError, match="only one class"):
        AttackResult([0.1, 0.2], [True, True], "x")
    with pytest.raises(ValueError, match="needs classes"):
        AttackResult([0.1, 0.2], [True, False], "x").by_class()
    with pytest.raises(ValueError, match="unknown metric"):
        AttackResult([0.1, 0.2], [True, False], "x").ci("accuracy")
    S, m = gaussian(500, 1.0, 1.0, 0.0, 1.0, seed=14)
    fig = AttackResult(S[:, 0], m, "toy").plot_roc()
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(AttackResult(S[:, 0], m, "toy").plot_roc(log="both").axes) == 2


def test_evaluate_takes_classes_from_the_label_column():
    S, m = class_shifted(300, [0.0, 2.0], seed=15)
    r = ThresholdAttack(per_class=True).fit(S, m).evaluate(S, m, name="pc")
    assert r.name == "pc" and [row["class"] for row in r.by_class()] == [0, 1]
    assert ThresholdAttack().fit(S, m).evaluate(S, m).classes is None


# -- the class-dependent threshold on a real target (trains one model: slow) --------------------------

@pytest.mark.slow
def test_per_class_threshold_beats_global_on_mnist1d():
    from sklearn.model_selection import train_test_split

    from mia_edu.data import load_dataset
    from mia_edu.splits import make_split
    from mia_edu.training import TrainConfig, train

    ds = load_dataset("mnist1d")
    split = make_split(len(ds), train_size=2_500, holdout_size=2_500, seed=0)
    target = train(TrainConfig(), ds.X[split.train], ds.y[split.train], n_classes=ds.n_classes)
    idx, m = split.evaluation()
    S, cols = signal_matrix(compute_signals(target.logits(ds.X[idx]), ds.y[idx]), labels=ds.y[idx])
    a, b = train_test_split(np.arange(len(m)), test_size=0.5, stratify=m, random_state=0)
    glob = ThresholdAttack("loss", columns=cols).fit(S[a], m[a]).score(S[b], m[b])
    per = ThresholdAttack("loss", per_class=True, columns=cols).fit(S[a], m[a]).score(S[b], m[b])
    print(f"loss threshold AUC: global {glob:.3f}, per class {per:.3f}, gain {per - glob:+.3f}")
    assert 0.68 < glob < 0.80  # the overfit target leaks (≈0.74)
    assert per - glob > 0.05  # measured ≈ +0.09
