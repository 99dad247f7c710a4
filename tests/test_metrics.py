"""Metrics: invariants against scipy, null cases, and clear errors."""

import numpy as np
import pytest
from scipy import stats

from mia_edu import metrics

RNG = np.random.default_rng(0)
MEMBERS, NON_MEMBERS = RNG.normal(1.0, 1.0, 3000), RNG.normal(0.0, 1.0, 2000)
SCORES = np.r_[MEMBERS, NON_MEMBERS]
IS_MEMBER = np.r_[np.ones(3000, bool), np.zeros(2000, bool)]


def test_auc_is_mann_whitney():
    u = stats.mannwhitneyu(MEMBERS, NON_MEMBERS).statistic
    assert metrics.roc_auc(SCORES, IS_MEMBER) == pytest.approx(u / (3000 * 2000), abs=1e-12)
    # and within 3 standard errors of the analytic Phi(1/sqrt 2) for unit Gaussians one apart
    assert metrics.roc_auc(SCORES, IS_MEMBER) == pytest.approx(stats.norm.cdf(1 / np.sqrt(2)), abs=0.025)


def test_advantage_is_ks_statistic():
    ks = stats.ks_2samp(MEMBERS, NON_MEMBERS).statistic
    assert metrics.advantage(SCORES, IS_MEMBER) == pytest.approx(ks, abs=1e-12)
    thr = metrics.best_threshold(SCORES, IS_MEMBER)
    pred = SCORES >= thr
    assert metrics.youden_j(IS_MEMBER, pred) == pytest.approx(ks, abs=1e-12)
    assert metrics.balanced_accuracy(IS_MEMBER, pred) == pytest.approx((1 + ks) / 2, abs=1e-12)


def test_tpr_at_fpr_reads_roc_conservatively():
    f, t, _ = metrics.roc_curve(SCORES, IS_MEMBER)
    for target in (0.001, 0.01, 0.1):
        got = metrics.tpr_at_fpr(SCORES, IS_MEMBER, target)
        assert got == t[f <= target].max()
        # the threshold achieving it really has FPR <= target
    vals = metrics.tpr_at_fpr(SCORES, IS_MEMBER, [0.001, 0.01, 0.1])
    assert np.all(np.diff(vals) >= 0) and vals.shape == (3,)
    perfect = np.r_[np.ones(10) + 5, np.zeros(10)]
    lab = np.r_[np.ones(10, bool), np.zeros(10, bool)]
    assert metrics.tpr_at_fpr(perfect, lab, 0.0) == 1.0
    assert metrics.advantage(perfect, lab) == 1.0


def test_null_auc_within_three_standard_errors():
    rng = np.random.default_rng(1)
    for _ in range(5):
        s = rng.normal(size=2000)
        m = rng.permutation(np.r_[np.ones(1000, bool), np.zeros(1000, bool)])
        assert abs(metrics.roc_auc(s, m) - 0.5) < 3 * metrics.auc_null_std(1000, 1000)
    # and the std formula matches the spread of null AUCs
    aucs = [metrics.roc_auc(rng.normal(size=400), np.r_[np.ones(200, bool), np.zeros(200, bool)]) for _ in range(400)]
    assert np.std(aucs) == pytest.approx(metrics.auc_null_std(200, 200), rel=0.15)


def test_bootstrap_ci_has_the_right_width_and_is_deterministic():
    lo, hi = metrics.bootstrap_ci(metrics.roc_auc, SCORES, IS_MEMBER, n_boot=400, seed=3)
    auc = metrics.roc_auc(SCORES, IS_MEMBER)
    assert lo < auc < hi
    # width of a 95 % interval = 2 * 1.96 * standard error (Hanley & McNeil 1982 for the AUC)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    n1, n0 = 3000, 2000
    se = np.sqrt((auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0))
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.2)
    assert (lo, hi) == metrics.bootstrap_ci(metrics.roc_auc, SCORES, IS_MEMBER, n_boot=400, seed=3)


def test_summary_keys():
    s = metrics.summarize(SCORES, IS_MEMBER)
    assert set(s) == {"auc", "advantage", "tpr_at_0.1%", "tpr_at_1%"}


@pytest.mark.parametrize("scores, is_member, error, match", [
    ([0.1, np.nan, 0.3], [1, 0, 1], ValueError, "scores contains 1 NaN or infinite"),
    ([0.1, np.inf, 0.3], [1, 0, 1], ValueError, "scores contains 1 NaN or infinite"),
    ([0.1, 0.2, 0.3], [1, 0], ValueError, "is_member has 2 entries but scores has 3"),
    ([0.1, 0.2, 0.3], [1, 1, 1], ValueError, "only one class"),
    ([0.1, 0.2], [0, 2], ValueError, "booleans or 0/1"),
    ([[0.1, 0.2]], [0, 1], ValueError, "scores must be 1-D"),
    (None, [0, 1], TypeError, "scores"),
])
def test_bad_input(scores, is_member, error, match):
    with pytest.raises(error, match=match):
        metrics.roc_auc(scores, is_member)
    with pytest.raises(error, match=match):
        metrics.advantage(scores, is_member)


def test_bad_fpr_and_predictions():
    with pytest.raises(ValueError, match="fpr"):
        metrics.tpr_at_fpr(SCORES, IS_MEMBER, 1.5)
    with pytest.raises(ValueError, match="predicted has 2 entries"):
        metrics.balanced_accuracy([0, 1, 1], [0, 1])
