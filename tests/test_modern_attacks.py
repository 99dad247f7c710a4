"""RMIA, the label-only attack, the blind baseline, recipes beyond TrainConfig, explicit subsets (notebook 10)."""

import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

from mia_edu import metrics, signals
from mia_edu.attacks import RMIA, BlindAttack, LabelOnlyAttack, LiRA, ShadowModelAttack, rmia_scores
from mia_edu.attacks.by_reference import compare_by_reference_count, reference_count_rows
from mia_edu.attacks.rmia import marginal_prob, true_class_prob, tune_offline_a
from mia_edu.data import load_dataset
from mia_edu.splits import make_shifted_split, make_split, random_subsets
from mia_edu.training import CallableRecipe, SklearnRecipe, TrainConfig, model_logits, train, train_many
from mia_edu.training.recipes import named_recipe

TINY = TrainConfig(epochs=30, hidden=32)


# -- RMIA on numbers worked out by hand ---------------------------------------------------------------

# 2 reference models; queries x1, x2; population z1, z2, z3 (probabilities of the true label)
P_REF_X = np.array([[0.2, 0.6], [0.4, 0.8]])   # Pr(x) online = mean = [0.3, 0.7]
P_T_X = np.array([0.6, 0.7])                   # ratio_x = [2.0, 1.0]
P_REF_Z = np.array([[0.5, 0.1, 0.4], [0.5, 0.3, 0.8]])  # Pr(z) = [0.5, 0.2, 0.6]
P_T_Z = np.array([0.5, 0.3, 0.9])              # ratio_z = [1.0, 1.5, 1.5]


def test_rmia_online_matches_the_hand_computed_example():
    # γ = 1: x1's LR against z = 2/1, 2/1.5, 2/1.5, all ≥ 1 → 1; x2's = 1, 2/3, 2/3 → only z1 → 1/3
    s = rmia_scores(P_T_X, P_REF_X, P_T_Z, P_REF_Z, online=True, gamma=1.0)
    np.testing.assert_allclose(s, [1.0, 1 / 3])
    # γ = 1.5: x1 dominates only z1 (LR 2); x2 none
    np.testing.assert_allclose(rmia_scores(P_T_X, P_REF_X, P_T_Z, P_REF_Z, gamma=1.5), [1 / 3, 0.0])


def test_rmia_offline_a_correction_matches_the_hand_computed_example():
    # a = 0.5: Pr(x) = ½((1 + a) Pr_OUT + 1 − a) = 0.75 Pr_OUT + 0.25
    np.testing.assert_allclose(marginal_prob(P_REF_X, online=False, offline_a=0.5), [0.475, 0.775])
    # ratio_x = [0.6/0.475, 0.7/0.775] = [1.263, 0.903]; ratio_z = [0.5/0.625, 0.3/0.4, 0.9/0.7] = [0.8, 0.75, 1.286]
    s = rmia_scores(P_T_X, P_REF_X, P_T_Z, P_REF_Z, online=False, offline_a=0.5)
    np.testing.assert_allclose(s, [2 / 3, 2 / 3])
    # a = 1: Pr(x) = Pr_OUT(x), no correction; x1 IN for model 0 → only model 1's 0.4 counts
    in_x = np.array([[True, False], [False, False]])
    np.testing.assert_allclose(marginal_prob(P_REF_X, in_x, online=False, offline_a=1.0), [0.4, 0.7])
    with pytest.raises(ValueError, match="no OUT reference model"):
        marginal_prob(P_REF_X, np.ones((2, 2), bool), online=False)


def test_rmia_sorted_count_equals_the_pairwise_definition():
    rng = np.random.default_rng(0)
    p_ref_x, p_ref_z = rng.uniform(0.05, 1, (3, 200)), rng.uniform(0.05, 1, (3, 300))
    p_t_x, p_t_z = rng.uniform(0.05, 1, 200), rng.uniform(0.05, 1, 300)
    for gamma in (0.5, 1.0, 2.0):
        ratio_x, ratio_z = p_t_x / p_ref_x.mean(0), p_t_z / p_ref_z.mean(0)
        pairwise = ((ratio_x[:, None] / ratio_z[None, :]) >= gamma).mean(axis=1)
        np.testing.assert_allclose(rmia_scores(p_t_x, p_ref_x, p_t_z, p_ref_z, gamma=gamma), pairwise)


def test_true_class_prob_and_bad_inputs():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]))
    np.testing.assert_allclose(true_class_prob(logits, np.array([0, 2])), [0.7, 0.8])
    with pytest.raises(ValueError, match="gamma"):
        rmia_scores(P_T_X, P_REF_X, P_T_Z, P_REF_Z, gamma=0)
    with pytest.raises(ValueError, match="p_ref_x has 3 samples"):
        rmia_scores(P_T_X, np.ones((2, 3)) / 2, P_T_Z, P_REF_Z)
    with pytest.raises(ValueError, match="probabilities"):
        rmia_scores(P_T_X * 2, P_REF_X, P_T_Z, P_REF_Z)
    with pytest.raises(ValueError, match="offline_a"):
        RMIA(TINY, offline_a=1.5).fit(np.zeros((4, 3)), np.array([0, 1, 0, 1]))


def test_tune_offline_a_picks_the_best_auc():
    # model 0's members have a *high* probability relative to the others' OUT mean: some a wins
    rng = np.random.default_rng(1)
    in_mask = random_subsets(400, 4, seed=0)
    p = np.clip(rng.uniform(0.2, 0.6, (4, 400)) + 0.3 * in_mask, 0, 1)
    a, aucs = tune_offline_a(p, in_mask)
    assert a in aucs and aucs[a] == max(aucs.values()) and aucs[a] > 0.6
    with pytest.raises(ValueError, match="at least 3"):
        tune_offline_a(p[:2], in_mask[:2])


# -- null tests on a real model: members and non-members from the same distribution -------------------

@pytest.fixture(scope="module")
def world():
    """A tiny target on 500 MNIST-1D samples; 400 *unseen* queries split into fake halves; a 600-sample pool."""
    ds = load_dataset("mnist1d", n_samples=1500, seed=0)
    target = train(TINY, ds.X[:500], ds.y[:500], n_classes=10)
    fake_member = np.arange(400) % 2 == 0
    return ds, target, ds.X[500:900], ds.y[500:900], ds.X[900:], ds.y[900:], fake_member


def _within_null(scores, is_member):
    auc = metrics.roc_auc(scores, is_member)
    sd = metrics.auc_null_std(int(is_member.sum()), int((~is_member).sum()))
    assert abs(auc - 0.5) < 3 * sd, f"AUC {auc:.3f} is not within 3·{sd:.3f} of 0.5 on non-members only"


@pytest.mark.parametrize("online", [True, False])
def test_rmia_null_on_unseen_data(world, online):
    ds, target, Xq, yq, Xp, yp, fake = world
    rmia = RMIA(TINY, n_reference=4, online=online, progress=False)
    (rmia.fit(Xq, yq, X_population=Xp, y_population=yp) if online else rmia.fit(Xp, yp))
    scores = rmia.score_target(target, Xq, yq)
    assert np.all((scores >= 0) & (scores <= 1))
    _within_null(scores, fake)
    if not online:
        assert rmia.offline_a_ in np.round(np.arange(0, 1.01, 0.1), 2)


def test_label_only_null_on_unseen_data(world):
    ds, target, Xq, yq, Xp, yp, fake = world
    for perturbation in ("noise", "shift", "both"):
        attack = LabelOnlyAttack(perturbation, n_queries=6, seed=0).fit(Xp)
        _within_null(attack.score_target(target, Xq, yq), fake)


LEAKY = TrainConfig(epochs=150, hidden=64)


def test_rmia_and_label_only_find_real_members(world):
    """An overfit target (300 members): RMIA with 2 offline references and the label-only attack both
    beat chance clearly, and come near the loss attack (measured: loss 0.68, RMIA 0.73, label-only 0.69)."""
    ds, _, Xq, yq, Xp, yp, fake = world
    target = train(LEAKY, ds.X[:300], ds.y[:300], n_classes=10)
    X, y = ds.X[:600], ds.y[:600]  # 300 members, 300 unseen
    is_member = np.arange(600) < 300
    loss_auc = metrics.roc_auc(-signals.loss(target.logits(X), y), is_member)
    rmia = RMIA(LEAKY.replace(seed=1), n_reference=2, online=False, progress=False).fit(Xp, yp)
    rmia_auc = metrics.roc_auc(rmia.score_target(target, X, y), is_member)
    label_only = LabelOnlyAttack(seed=0).fit(Xp)
    label_auc = metrics.roc_auc(label_only.score_target(target, X, y), is_member)
    assert rmia_auc > 0.6 and label_auc > 0.6 and rmia_auc > loss_auc - 0.02, (loss_auc, rmia_auc, label_auc)
    correct = label_only.correct(target, X, y)
    assert correct.shape == (600, 33) and np.array_equal(correct[:, 0], target.predict(X) == y)


def test_label_only_queries_are_deterministic_and_checked(world):
    ds, target, Xq, yq, Xp, yp, fake = world
    a = LabelOnlyAttack("shift", n_queries=4, max_shift=2).fit(Xp)
    q = a.perturbed(Xq[:5])
    assert q.shape == (4, 5, 40) and np.array_equal(q, a.perturbed(Xq[:5]))
    assert {tuple(np.roll(Xq[0], s)) for s in (-2, -1, 1, 2)} == {tuple(row) for row in q[:, 0]}
    with pytest.raises(ValueError, match="n_queries=5 exceeds"):
        LabelOnlyAttack("shift", n_queries=5, max_shift=2).fit(Xp)
    with pytest.raises(ValueError, match="perturbation"):
        LabelOnlyAttack("rotate").fit(Xp)
    with pytest.raises(ValueError, match="noise_scale"):
        LabelOnlyAttack(noise_scale=-1).fit(Xp)
    with pytest.raises(RuntimeError, match="not fitted"):
        LabelOnlyAttack().score_target(target, Xq, yq)


# -- the blind baseline -------------------------------------------------------------------------------

# is_member must be booleans or 0/1 (issue 10: other labels made "member" a matter of sort order);
# the checks that fit on 1/2 or string labels fail with that clear ValueError, as for every SignalAttack.
_MEMBER_LABEL_CHECKS = {name: "is_member must be booleans or 0/1 (other labels make 'member' a guess)"
                        for name in ("check_estimators_dtypes", "check_classifier_data_not_an_array",
                                     "check_classifiers_classes", "check_fit2d_1feature")}


@parametrize_with_checks([BlindAttack(), BlindAttack(LogisticRegression())],
                         expected_failed_checks=lambda estimator: dict(_MEMBER_LABEL_CHECKS))
def test_blind_sklearn_contract(estimator, check):
    check(estimator)


def _blind_auc(ds, split, seed=0):
    idx, is_member = split.evaluation()
    F = np.c_[ds.X[idx], ds.y[idx]]
    cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    return metrics.roc_auc(cross_val_predict(BlindAttack(), F, is_member, cv=cv, method="decision_function"),
                           is_member), is_member


def test_blind_baseline_is_at_chance_on_a_proper_split_and_high_on_a_shifted_one():
    ds = load_dataset("mnist1d", n_samples=2000, seed=0)
    auc, m = _blind_auc(ds, make_split(len(ds), train_size=600, holdout_size=600, seed=0))
    assert abs(auc - 0.5) < 3 * metrics.auc_null_std(600, 600), auc
    shifted = make_shifted_split(ds.X.mean(axis=1), train_size=600, holdout_size=600, strength=1.0, seed=0)
    auc_shifted, _ = _blind_auc(ds, shifted)
    assert auc_shifted > 0.75, auc_shifted


def test_shifted_split_is_disjoint_and_strength_zero_is_unbiased():
    c = np.random.default_rng(0).normal(size=3000)
    s = make_shifted_split(c, train_size=500, holdout_size=500, shadow_size=1000, strength=2.0, seed=0)
    assert len(np.intersect1d(s.train, s.holdout)) == 0 and len(np.intersect1d(s.train, s.shadow)) == 0
    assert c[s.train].mean() < -0.5 < 0.5 < c[s.holdout].mean()
    s0 = make_shifted_split(c, train_size=500, holdout_size=500, strength=0.0, seed=0)
    assert abs(c[s0.train].mean() - c[s0.holdout].mean()) < 4 * np.sqrt(2 / 500)
    with pytest.raises(ValueError, match="strength"):
        make_shifted_split(c, train_size=5, holdout_size=5, strength=-1)
    with pytest.raises(ValueError, match="exceeds"):
        make_shifted_split(c, train_size=2000, holdout_size=2000)


# -- recipes beyond TrainConfig -----------------------------------------------------------------------

def test_model_logits_from_predict_proba_and_decision_function():
    X = np.random.default_rng(0).normal(size=(60, 3)).astype(np.float32)
    y = np.where(X[:, 1] > 1, 2, (X[:, 0] > 0).astype(int))   # classes 0, 1, 2 (2 is rare); never class 3
    rf = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    assert rf.classes_.tolist() == [0, 1, 2]
    logits = model_logits(rf, X, n_classes=4, eps=1e-6)
    np.testing.assert_allclose(np.exp(logits[:, :3]), np.maximum(rf.predict_proba(X), 1e-6), rtol=1e-6)
    assert np.all(logits[:, 3] == np.log(1e-6))          # a class the model never saw
    svm = LinearSVC().fit(X, (y > 0).astype(int))          # binary: one decision column → [-d/2, d/2]
    d = svm.decision_function(X)
    np.testing.assert_allclose(model_logits(svm, X), np.c_[-d / 2, d / 2])
    with pytest.raises(TypeError, match="logits"):
        model_logits("no model", X)


def test_sklearn_recipe_bank_is_cached_per_model_and_query(tmp_path, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    ds = load_dataset("digits", n_samples=300)
    subsets = random_subsets(len(ds), 3, seed=0)
    calls = []

    def fit(X, y, seed):
        calls.append(seed)
        return LogisticRegression(max_iter=200).fit(X, y)

    recipe = CallableRecipe(fit, name="lr-test")
    bank = train_many(recipe, ds.X, ds.y, subsets, progress=False, n_jobs=1)
    first = bank.logits(ds.X[:50])
    assert first.shape == (3, 50, 10) and len(calls) == 3 and len(set(calls)) == 3
    again = train_many(recipe, ds.X, ds.y, subsets, progress=False, n_jobs=1).logits(ds.X[:50])
    np.testing.assert_allclose(again, first, rtol=1e-6)
    assert len(calls) == 3  # loaded from the cache: nothing refitted
    # an unnamed callable is never cached (a lambda's identity is not unique)
    unnamed = train_many(CallableRecipe(fit), ds.X, ds.y, subsets, progress=False, n_jobs=1)
    unnamed.logits(ds.X[:50])
    assert len(calls) == 6
    # a scikit-learn estimator works as the recipe directly; seeds reach random_state
    rf_bank = train_many(RandomForestClassifier(n_estimators=5), ds.X, ds.y, subsets, progress=False, n_jobs=1)
    rf_bank.logits(ds.X[:10])
    states = [m.random_state for m in rf_bank.models]
    assert states == [int(s) for s in rf_bank.seeds] and len(set(states)) == 3


def test_sklearn_recipe_key_ignores_number_types_and_seed():
    a = SklearnRecipe(KNeighborsClassifier(n_neighbors=5)).key()
    assert a == SklearnRecipe(KNeighborsClassifier(n_neighbors=5.0)).key()
    assert a != SklearnRecipe(KNeighborsClassifier(n_neighbors=3)).key()
    assert SklearnRecipe(RandomForestClassifier(), seed=1).key() == SklearnRecipe(RandomForestClassifier(), seed=2).key()
    with pytest.raises(TypeError, match="estimator"):
        SklearnRecipe("forest")
    with pytest.raises(ValueError, match="model must be one of"):
        named_recipe("transformer")


def test_model_level_attacks_take_a_sklearn_recipe_and_explicit_subsets(world):
    ds, target, Xq, yq, Xp, yp, fake = world
    X, y = ds.X[:800], ds.y[:800]
    is_member = np.arange(800) < 500
    knn = KNeighborsClassifier(n_neighbors=5)
    knn_target = train(knn, ds.X[:500], ds.y[:500], n_classes=10)
    assert knn_target.accuracy(ds.X[:500], ds.y[:500]) > knn_target.accuracy(ds.X[500:900], ds.y[500:900])
    subsets = random_subsets(len(Xp), 4, seed=7)
    lira = LiRA(knn, n_reference=4, online=False, fixed_variance=True, progress=False).fit(Xp, yp, subsets=subsets)
    assert np.array_equal(lira.subsets_, subsets)
    assert metrics.roc_auc(lira.score_target(knn_target, X, y), is_member) > 0.6
    shadow = ShadowModelAttack(knn, n_shadow=4, progress=False).fit(Xp, yp, subsets=subsets)
    assert np.array_equal(shadow.subsets_, subsets)
    rmia = RMIA(knn, n_reference=4, online=False, progress=False).fit(Xp, yp, subsets=subsets)
    assert np.array_equal(rmia.subsets_, subsets)
    assert metrics.roc_auc(rmia.score_target(knn_target, X, y), is_member) > 0.6
    with pytest.raises(ValueError, match="n_reference=3"):
        RMIA(knn, n_reference=3, progress=False).fit(Xp, yp, subsets=subsets)
    with pytest.raises(ValueError, match="n_shadow"):
        ShadowModelAttack(knn, n_shadow=2, progress=False).fit(Xp, yp, subsets=subsets)
    with pytest.raises(TypeError, match="boolean"):
        LiRA(knn, n_reference=4, progress=False).fit(Xp, yp, subsets=subsets.astype(int))


def test_compare_by_reference_count_runs_every_variant(world):
    ds, target, Xq, yq, Xp, yp, fake = world
    X, y = ds.X[:800], ds.y[:800]
    is_member = np.arange(800) < 500
    res = compare_by_reference_count(target, X, y, is_member, Xp, yp, config=TINY.replace(seed=1), counts=(1, 2),
                                     n_classes=10, progress=False)
    assert ("lira_online", 1) not in res and ("rmia_online", 1) in res and ("lira_online", 2) in res
    rows = reference_count_rows(res)
    assert [r["k"] for r in rows] == sorted(r["k"] for r in rows)
    assert all(0 <= r["auc"] <= 1 for r in rows)


def test_cli_audit_model_choice_and_its_errors(capsys):
    from mia_edu.__main__ import build_parser, main

    parser = build_parser()
    assert parser.parse_args(["audit"]).model == "mlp"
    assert parser.parse_args(["audit", "--model", "random_forest"]).model == "random_forest"
    with pytest.raises(SystemExit):
        parser.parse_args(["audit", "--model", "svm"])
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--model", "knn", "--epochs", "5", "--no-progress"])
    assert exc.value.code == 2 and "--epochs and --weight-decay apply to --model mlp or cnn1d" in capsys.readouterr().err


def test_audit_blind_baseline_null_on_the_proper_split_and_high_on_a_shifted_one():
    from mia_edu.attacks import audit

    cfg = TrainConfig(epochs=5, hidden=32)
    proper = audit("digits", cfg, n_reference=2, progress=False)
    n1, n0 = proper.settings["n_members"], proper.settings["n_non_members"]
    assert abs(proper.results["blind"].auc - 0.5) < 3 * metrics.auc_null_std(n1, n0)
    shifted = audit("digits", cfg, n_reference=2, progress=False, shift=2.0)
    assert shifted.results["blind"].auc > 0.75 and shifted.settings["shift"] == 2.0
    assert shifted.to_dict()["references"]["rmia_offline"] == 2
    with pytest.raises(ValueError, match="shift"):
        audit("digits", cfg, n_reference=2, progress=False, shift=-1.0)


def test_recipe_bank_gives_the_same_models_on_every_route():
    import joblib

    ds = load_dataset("digits", n_samples=300)
    subsets = random_subsets(len(ds), 3, seed=0)
    rf = RandomForestClassifier(n_estimators=5)
    kw = dict(progress=False, use_cache=False)
    here = train_many(rf, ds.X, ds.y, subsets, n_jobs=1, **kw).logits(ds.X[:40])
    workers = train_many(rf, ds.X, ds.y, subsets, n_jobs=2, **kw).logits(ds.X[:40])      # loky processes
    with joblib.parallel_backend("threading", n_jobs=2):                                  # the user's backend
        threads = train_many(rf, ds.X, ds.y, subsets, **kw).logits(ds.X[:40])
    np.testing.assert_array_equal(here, workers)
    np.testing.assert_array_equal(here, threads)
