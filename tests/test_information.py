"""The theoretical best (mia_edu.information) against closed-form answers, and the DP link."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from sklearn.feature_selection import mutual_info_classif

from mia_edu import information as info
from mia_edu import metrics
from mia_edu.information.dp import _clopper_pearson
from mia_edu.information.mutual_info import _knn_mi_nats

# Unit Gaussians mu apart, equal priors: (Bayes error, AUC, advantage, MI bits) from the issue.
KNOWN = {
    0.5: (0.4013, 0.6382, 0.1974, 0.0437),
    1.0: (0.3085, 0.7602, 0.3829, 0.1607),
    2.0: (0.1587, 0.9214, 0.6827, 0.4859),
}


# ------------------------------------------------------------------------- the exact Gaussian case
@pytest.mark.parametrize("mu", sorted(KNOWN))
def test_gaussian_case_reproduces_closed_form_values(mu):
    g = info.gaussian_case(mu)
    bayes, auc, adv, mi = KNOWN[mu]
    assert g.bayes_error == pytest.approx(bayes, abs=1e-4)
    assert g.auc == pytest.approx(auc, abs=1e-4)
    assert g.advantage == pytest.approx(adv, abs=1e-4)
    assert g.mi_bits == pytest.approx(mi, abs=1e-4)
    # and the identities behind them, to machine precision
    assert g.bayes_error == pytest.approx(stats.norm.cdf(-mu / 2), abs=1e-12)
    assert g.auc == pytest.approx(stats.norm.cdf(mu / np.sqrt(2)), abs=1e-12)
    assert g.advantage == pytest.approx(1 - 2 * g.bayes_error, abs=1e-12)


def test_gaussian_optimal_tpr_at_low_fpr():
    g = info.gaussian_case(1.0)
    assert g.optimal_roc(0.001) == pytest.approx(0.0183, abs=1e-4)
    assert np.allclose(g.optimal_roc([0.0, 1.0]), [0.0, 1.0])


def test_unequal_variances_are_two_sided_and_exact():
    """Members N(1, 2²) vs N(0, 1): the optimal region is two-sided; check against a huge sample."""
    g = info.gaussian_case(1.0, sigma0=1.0, sigma1=2.0)
    x, m = g.sample(400_000, seed=1)
    q = g.log_likelihood_ratio(x)
    se = 0.5 / np.sqrt(len(x)) * 2  # generous binomial standard error of a rate
    assert np.mean((q > 0) != m) == pytest.approx(g.bayes_error, abs=4 * se)
    assert metrics.roc_auc(q, m) == pytest.approx(g.auc, abs=0.002)
    fpr_target = 0.1
    tpr_mc = np.mean(q[m] > np.quantile(q[~m], 1 - fpr_target))
    assert g.optimal_roc(fpr_target) == pytest.approx(tpr_mc, abs=0.005)
    # a threshold on x alone (one-sided) is strictly worse than the optimal two-sided rule
    assert metrics.advantage(x, m) < g.advantage - 0.01


# ----------------------------------------------------------------- estimators on n = 20,000 samples
@pytest.mark.parametrize("mu", sorted(KNOWN))
def test_knn_mutual_information_within_002_bit_and_bounds_bracket_truth(mu):
    g = info.gaussian_case(mu)
    x, m = g.sample(20_000, seed=7)
    est = info.mutual_information(x, m, n_boot=0, seed=0)
    assert abs(est.value - g.mi_bits) < 0.02
    lower, upper = info.bayes_error_bounds(est.value)
    assert lower <= g.bayes_error <= upper


@pytest.mark.parametrize("mu", [0.5, 2.0])
def test_binned_mutual_information_close_and_interval_covers(mu):
    g = info.gaussian_case(mu)
    x, m = g.sample(20_000, seed=3)
    est = info.mutual_information(x, m, method="binned", n_boot=40, seed=0)
    assert abs(est.value - g.mi_bits) < 0.02
    assert est.low <= g.mi_bits <= est.high


def test_joint_knn_estimator_is_scikit_learns_in_one_column_and_sees_columns_jointly():
    x, m = info.gaussian_case(1.0).sample(3000, seed=0)
    ours = _knn_mi_nats(x[:, None], m, 3, np.random.default_rng(0))
    assert ours == pytest.approx(mutual_info_classif(x[:, None], m, random_state=0)[0], abs=1e-9)
    # two noisy copies of one signal carry more information jointly than either alone
    g = info.gaussian_case(1.0)
    x, m = g.sample(8000, seed=2)
    rng = np.random.default_rng(2)
    cols = np.c_[x + rng.normal(0, 1, len(x)), x + rng.normal(0, 1, len(x))]
    single = info.mutual_information(cols[:, 0], m, n_boot=0).value
    joint = info.mutual_information(cols, m, n_boot=0).value
    assert joint > single + 0.02
    assert joint < g.mi_bits + 0.02  # and no more than the clean signal has (data processing)


def test_mutual_information_is_deterministic_and_near_zero_without_signal():
    rng = np.random.default_rng(0)
    x, m = rng.normal(size=4000), np.arange(4000) % 2 == 0
    a = info.mutual_information(x, m, n_boot=20, seed=5)
    assert a == info.mutual_information(x, m, n_boot=20, seed=5)
    assert a.value < 0.03 and a.low == 0.0  # kNN: truncated at 0, so biased up by ~0.005 here
    assert info.mutual_information(x, m, method="binned", n_boot=0).value < 0.003


@pytest.mark.slow
@pytest.mark.parametrize("mu", sorted(KNOWN))
def test_best_classifier_error_within_001_of_bayes_error(mu):
    g = info.gaussian_case(mu)
    x, m = g.sample(20_000, seed=11)
    res = info.best_classifier_error(x, m, seed=0)
    assert abs(res.error - g.bayes_error) < 0.01
    assert res.low <= res.error <= res.high
    assert set(res.table) == {"k-NN", "gradient boosting", "RBF SVC"}
    assert res.youden_j == pytest.approx(2 * res.balanced_accuracy - 1)


def test_bounds_bracket_the_exact_bayes_error_and_limits():
    for mu in (0.1, 0.5, 1.0, 2.0, 3.0):
        g = info.gaussian_case(mu)
        lower, upper = info.bayes_error_bounds(g.mi_bits)
        assert lower <= g.bayes_error <= upper
    assert info.bayes_error_bounds(0.0) == pytest.approx((0.5, 0.5))
    assert info.bayes_error_bounds(1.0) == pytest.approx((0.0, 0.0))
    # Fano inverts the binary entropy: h(lower) = H(Y|X)
    lower, _ = info.bayes_error_bounds(0.3)
    assert info.binary_entropy(lower) == pytest.approx(0.7, abs=1e-12)


# ---------------------------------------------------------------------------------- the DP link
def test_dp_advantage_bound_values():
    assert info.dp_advantage_bound(1.0) == pytest.approx(0.4621, abs=1e-4)
    assert info.dp_advantage_bound(1.0) == pytest.approx(np.tanh(0.5), abs=1e-15)
    assert info.dp_advantage_bound(0.0) == 0.0
    assert info.dp_advantage_bound(0.0, delta=0.1) == pytest.approx(0.1)


def _randomised_response(eps: float, n: int, rng):
    """Each membership bit is reported truthfully with probability e^ε/(1+e^ε): exactly ε-DP."""
    m = np.r_[np.ones(n, bool), np.zeros(n, bool)]
    truthful = rng.random(2 * n) < np.exp(eps) / (1 + np.exp(eps))
    return np.where(truthful, m, ~m).astype(float), m


def test_randomised_response_has_advantage_tanh():
    eps = 1.5
    s, m = _randomised_response(eps, 50_000, np.random.default_rng(0))
    assert metrics.advantage(s, m) == pytest.approx(info.dp_advantage_bound(eps), abs=0.01)


@pytest.mark.parametrize("eps", [0.5, 1.0, 3.0])
def test_per_sample_epsilon_estimate_never_exceeds_true_epsilon(eps):
    n = 1000
    exceed, exceed_scores, naive_exceed, bounds = 0, 0, 0, []
    for seed in range(400):
        s, m = _randomised_response(eps, n, np.random.default_rng(seed))
        tpr, fpr = s[m].mean(), s[~m].mean()
        bound = info.per_sample_epsilon_estimate(tpr, fpr, n, n)
        bounds.append(bound)
        exceed += bound > eps
        exceed_scores += info.per_sample_epsilon_estimate_from_scores(s, m).epsilon > eps
        naive_exceed += np.log(tpr / fpr) > eps
        if seed < 20:  # at 99.9 % confidence: never, on any of these seeds
            assert info.per_sample_epsilon_estimate(tpr, fpr, n, n, confidence=0.999) <= eps
    assert exceed / 400 <= 0.05 and exceed_scores / 400 <= 0.05  # the promised 95 %
    assert naive_exceed / 400 > 0.3  # while the raw point estimate overshoots often
    assert min(bounds) > 0  # and a real leak is always detected at n = 1000


def test_per_sample_epsilon_estimate_from_scores_on_laplace_mechanism():
    """score = membership + Laplace(1/ε) is ε-DP per sample (independent trials, as the intervals assume):
    maximising over thresholds stays below the true ε."""
    for eps in (1.0, 3.0):
        values = []
        for seed in range(10):
            rng = np.random.default_rng(seed)
            m = np.r_[np.ones(2000, bool), np.zeros(2000, bool)]
            values.append(info.per_sample_epsilon_estimate_from_scores(m + rng.laplace(0, 1 / eps, 4000), m).epsilon)
        assert max(values) <= eps
        assert min(values) > 0.5 * eps  # strong attack: a substantial ε is proven


def test_clopper_pearson_is_scipys_exact_interval():
    for k, n in [(0, 10), (3, 10), (10, 10), (1, 20000), (700, 1000)]:
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        low, high = _clopper_pearson(k, n, 0.95)
        assert low == pytest.approx(ci.low, abs=1e-12) and high == pytest.approx(ci.high, abs=1e-12)


def test_delta_and_a_useless_attack_prove_nothing():
    assert info.per_sample_epsilon_estimate(0.5, 0.5, 1000, 1000) == 0.0
    assert info.per_sample_epsilon_estimate(0.3, 0.01, 1000, 1000, delta=0.3) == 0.0
    assert info.per_sample_epsilon_estimate(0.3, 0.01, 1000, 1000, delta=0.1) < info.per_sample_epsilon_estimate(0.3, 0.01, 1000, 1000)


def test_reexports_are_the_metrics_functions():
    assert info.youden_j is metrics.youden_j and info.balanced_accuracy is metrics.balanced_accuracy


# ----------------------------------------------------------------------------------- bad input
def test_bad_input_raises_clear_errors():
    x, m = info.gaussian_case(1.0).sample(200, seed=0)
    with pytest.raises(ValueError, match="is_member.*one class"):
        info.mutual_information(x, np.ones(200, bool))
    with pytest.raises(ValueError, match="is_member.*one class"):
        info.best_classifier_error(x, np.zeros(200, bool))
    bad = x.copy()
    bad[3] = np.nan
    with pytest.raises(ValueError, match="features.*NaN"):
        info.mutual_information(bad, m)
    with pytest.raises(ValueError, match="features.*NaN"):
        info.best_classifier_error(bad, m)
    with pytest.raises(ValueError, match="is_member has 199 entries"):
        info.mutual_information(x, m[:-1])
    with pytest.raises(ValueError, match="method"):
        info.mutual_information(x, m, method="magic")
    for prior in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(ValueError, match="prior"):
            info.gaussian_case(1.0, prior=prior)
        with pytest.raises(ValueError, match="prior"):
            info.bayes_error_bounds(0.1, prior=prior)
    with pytest.raises(ValueError, match="sigma1"):
        info.gaussian_case(1.0, sigma1=0.0)
    with pytest.raises(ValueError, match="mi_bits"):
        info.bayes_error_bounds(-0.1)
    with pytest.raises(ValueError, match="epsilon"):
        info.dp_advantage_bound(-1.0)
    with pytest.raises(ValueError, match="delta"):
        info.dp_advantage_bound(1.0, delta=1.5)
    with pytest.raises(ValueError, match="tpr"):
        info.per_sample_epsilon_estimate(1.2, 0.1, 100, 100)
    with pytest.raises(ValueError, match="n_members"):
        info.per_sample_epsilon_estimate(0.5, 0.1, 0, 100)
    with pytest.raises(ValueError, match="fpr"):
        info.gaussian_case(1.0).optimal_roc(1.5)
