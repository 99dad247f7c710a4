"""Auditing: the bounds against mechanisms whose ε is exact (soundness, tightness), the one-run paper's
own algorithm (known answer), canaries, and audits of real models (power; DP-SGD soundness)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from mia_edu.auditing import (
    AuditResult,
    draw_inclusion,
    insert_canaries,
    make_canaries,
    many_run_audit,
    many_run_epsilon,
    one_run_audit,
    one_run_epsilon,
    one_run_p_value,
)
from mia_edu.data import load_dataset

# -- mechanisms with an exact ε ---------------------------------------------------------------------


def randomized_response(included: np.ndarray, epsilon: float, rng) -> np.ndarray:
    """Report each bit truthfully with probability e^ε / (1 + e^ε): exactly ε-DP, per bit, independently."""
    truthful = rng.random(len(included)) < 1 / (1 + math.exp(-epsilon))
    return np.where(truthful, included, ~included).astype(float)


def laplace_runs(n_runs: int, epsilon: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """The Laplace mechanism on a count of sensitivity 1 (scale 1/ε: exactly ε-DP), IN and OUT runs."""
    return 1 + rng.laplace(0, 1 / epsilon, n_runs), rng.laplace(0, 1 / epsilon, n_runs)


# -- many-run -------------------------------------------------------------------------------------------


def test_many_run_epsilon_perfect_attack_is_the_clopper_pearson_ceiling():
    # 50 of 50 IN runs caught, 0 of 50 OUT: TPR ≥ 0.025^(1/50), FPR ≤ 1 − 0.025^(1/50) (two-sided 95 %)
    low = 0.025 ** (1 / 50)
    assert many_run_epsilon(50, 50, 0, 50) == pytest.approx(math.log(low / (1 - low)), rel=1e-9)
    lo = stats.binomtest(30, 50).proportion_ci(0.95, method="exact").low
    hi = stats.binomtest(5, 50).proportion_ci(0.95, method="exact").high
    assert many_run_epsilon(30, 50, 5, 50) == pytest.approx(math.log(lo / hi), rel=1e-9)
    assert many_run_epsilon(25, 50, 25, 50) == 0.0  # a coin flip proves nothing


@pytest.mark.parametrize("epsilon", [0.5, 2.0])
def test_many_run_sound_on_randomized_response_across_seeds(epsilon):
    # RR is exactly ε-DP and a threshold on its bit is the optimal test: the bound is tight in the limit,
    # so this is the hardest case for soundness. At 95 % it may exceed ε in at most ~5 % of seeds.
    violations, bounds = 0, []
    for seed in range(100):
        rng = np.random.default_rng(seed)
        s_in = randomized_response(np.ones(2000, bool), epsilon, rng)
        s_out = randomized_response(np.zeros(2000, bool), epsilon, rng)
        b = many_run_audit(s_in, s_out, confidence=0.95, seed=seed).epsilon_lower
        violations += b > epsilon
        bounds.append(b)
    assert violations <= stats.binom.ppf(0.999, 100, 0.05)
    assert 0.5 * epsilon < np.median(bounds) < epsilon  # …and it has power


def test_many_run_bound_grows_with_runs_and_stays_below_epsilon_laplace():
    epsilon = 1.0
    medians = []
    for n in (25, 250, 2500):
        bounds = [many_run_audit(*laplace_runs(n, epsilon, np.random.default_rng(s)), seed=s).epsilon_lower
                  for s in range(20)]
        medians.append(np.median(bounds))
        assert sum(b > epsilon for b in bounds) <= stats.binom.ppf(0.999, 20, 0.05)  # sound at 95 %
    assert medians[0] < medians[1] < medians[2]
    assert medians[2] > 0.6 * epsilon  # the threshold test on Laplace noise gets close to ε with many runs


def test_many_run_curve_and_result_fields():
    rng = np.random.default_rng(0)
    r = many_run_audit(rng.normal(10, 1, 100), rng.normal(0, 1, 100), delta=1e-3)
    assert isinstance(r, AuditResult) and r.method == "many-run"
    assert r.trials == 100 and r.runs == 200 and r.counts["n_selection"] == 100
    assert r.counts["true_positives"] == 50 and r.counts["false_positives"] == 0
    trials, eps = r.curve
    assert trials[-1] == r.trials and eps[-1] == pytest.approx(r.epsilon_lower)
    assert np.all(np.diff(eps) >= 0)  # a perfect attack: more runs, a larger bound
    d = r.to_dict()
    assert set(d) >= {"model", "method", "epsilon_lower", "epsilon_theory", "delta", "confidence", "trials",
                      "seconds"}
    assert d["epsilon_theory"] is None and r.gap is None
    assert "ε ≥" in r.summary()


def test_many_run_threshold_chosen_without_the_evaluation_runs():
    # selection and evaluation runs are disjoint halves drawn by the seed: changing evaluation scores
    # never moves the threshold (it is fixed before the counted runs are looked at).
    rng = np.random.default_rng(1)
    s_in, s_out = rng.normal(1, 1, 40), rng.normal(0, 1, 40)
    r = many_run_audit(s_in, s_out, seed=3)
    perm_in = np.random.default_rng(3).permutation(40)
    s_in2 = s_in.copy()
    s_in2[perm_in[20:]] += 100.0  # move every evaluation IN score far up
    r2 = many_run_audit(s_in2, s_out, seed=3)
    assert r2.counts["threshold"] == r.counts["threshold"]
    assert r2.counts["true_positives"] == 20


def test_many_run_rejects_bad_input():
    with pytest.raises(ValueError, match="scores_in"):
        many_run_audit([1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="scores_out"):
        many_run_audit([1.0, 2.0], [0.0, np.nan])
    with pytest.raises(ValueError, match="confidence"):
        many_run_audit([1.0, 2.0], [0.0, 1.0], confidence=1.5)
    with pytest.raises(ValueError, match="true_positives"):
        many_run_epsilon(6, 5, 0, 5)


# -- one-run: the paper's own algorithm (known answer) ---------------------------------------------


def paper_p_value(m, r, v, eps, delta):
    """Steinke, Nasr & Jagielski (NeurIPS 2023), the p-value routine of their appendix, step by step:
    beta = P[Binomial(r, q) >= v]; alpha = max_i P[v > Binomial(r, q) >= v - i] / i;
    p = beta + alpha * delta * 2m (capped at 1)."""
    q = 1 / (1 + math.exp(-eps))
    beta = stats.binom.sf(v - 1, r, q)
    alpha, total = 0.0, 0.0
    for i in range(1, v + 1):
        total += stats.binom.pmf(v - i, r, q)
        alpha = max(alpha, total / i)
    return min(beta + alpha * delta * 2 * m, 1.0)


def paper_eps(m, r, v, delta, p):
    """…and their ε search: doubling, then 30 bisection steps keeping p-value(ε_min) < p."""
    lo, hi = 0.0, 1.0
    while paper_p_value(m, r, v, hi, delta) < p:
        lo, hi = hi, 2 * hi
    for _ in range(30):
        mid = (lo + hi) / 2
        if paper_p_value(m, r, v, mid, delta) < p:
            lo = mid
        else:
            hi = mid
    return lo


@pytest.mark.parametrize("m, r, v, delta", [(1000, 100, 100, 0.0), (1000, 200, 180, 0.0), (1000, 600, 600, 1e-5),
                                            (1000, 600, 520, 1e-5), (2000, 400, 360, 1e-5), (100, 50, 40, 1e-3)])
def test_one_run_matches_the_papers_algorithm(m, r, v, delta):
    for eps in (0.5, 1.0, 2.0, 4.0):
        assert one_run_p_value(m, r, v, eps, delta) == pytest.approx(paper_p_value(m, r, v, eps, delta), rel=1e-9)
    assert one_run_epsilon(m, r, v, delta=delta, confidence=0.95) == pytest.approx(
        paper_eps(m, r, v, delta, 0.05), abs=2e-6)


def test_one_run_known_answers():
    # δ = 0 and all r guesses right: p-value = q^r, so ε = log(q / (1 − q)) with q = 0.05^(1/r) — the
    # ceiling a one-run audit with r guesses can reach at 95 % (3.49 for r = 100)
    for r in (10, 100, 1000):
        q = 0.05 ** (1 / r)
        assert one_run_epsilon(10 * r, r, r) == pytest.approx(math.log(q / (1 - q)), abs=2e-6)
    assert round(one_run_epsilon(1000, 100, 100), 3) == 3.493
    # δ > 0 only ever lowers the bound, and 2mδ ≥ 0.05 makes every p-value ≥ 0.05 once the binomial part is
    assert one_run_epsilon(1000, 600, 600, delta=1e-5) < one_run_epsilon(1000, 600, 600)
    assert one_run_p_value(10, 5, 0, 1.0) == 1.0


@pytest.mark.parametrize("epsilon", [1.0, 3.0])
def test_one_run_sound_on_randomized_response_across_seeds(epsilon):
    # Each canary's bit through ε-RR, independently: the one-run bound's worst case (v is exactly binomial).
    violations, bounds = 0, []
    for seed in range(100):
        rng = np.random.default_rng(10_000 + seed)  # not the inclusion's seed: the response must be independent
        included = draw_inclusion(1000, seed=seed)
        r = one_run_audit(randomized_response(included, epsilon, rng), included, k_plus=100, k_minus=100)
        violations += r.epsilon_lower > epsilon
        bounds.append(r.epsilon_lower)
    assert violations <= stats.binom.ppf(0.999, 100, 0.05)
    assert np.median(bounds) > 0.6 * min(epsilon, 4.19)  # power: 200 guesses can prove at most 4.19


def test_one_run_bound_grows_with_canaries():
    epsilon, medians = 2.0, []
    for m in (100, 1000, 10_000):
        bs = []
        for seed in range(10):
            inc = draw_inclusion(m, seed=seed)
            bs.append(one_run_audit(randomized_response(inc, epsilon, np.random.default_rng(10_000 + seed)), inc,
                                    k_plus=m // 4, k_minus=m // 4).epsilon_lower)
        medians.append(np.median(bs))
        assert sum(b > epsilon for b in bs) <= stats.binom.ppf(0.999, 10, 0.05)  # sound at 95 %
    assert medians[0] < medians[1] < medians[2]


def test_one_run_counts_and_curve():
    included = draw_inclusion(1000, seed=0)
    r = one_run_audit(included.astype(float), included, k_plus=100, k_minus=100)
    assert (r.counts["guesses"], r.counts["correct"], r.trials, r.runs) == (200, 200, 1000, 1)
    assert r.epsilon_lower == pytest.approx(one_run_epsilon(1000, 200, 200))
    assert r.curve[0][-1] == 1000 and r.curve[1][-1] == pytest.approx(r.epsilon_lower)
    flipped = one_run_audit(-included.astype(float), included, k_plus=100, k_minus=100)
    assert flipped.counts["correct"] == 0 and flipped.epsilon_lower == 0.0


def test_one_run_curve_with_half_the_canaries_guessed():
    included = draw_inclusion(1000, seed=1)
    r = one_run_audit(included.astype(float), included, k_plus=500, k_minus=500)  # every canary guessed
    trials, curve = r.curve  # each prefix guesses on half of its canaries at each end, never more than it has
    assert r.counts["guesses"] == 1000 and trials[-1] == 1000 and np.all(np.isfinite(curve))
    assert curve[-1] == pytest.approx(r.epsilon_lower)


def test_one_run_rejects_bad_input():
    with pytest.raises(ValueError, match="included"):
        one_run_audit([0.1, 0.2], [True])
    with pytest.raises(ValueError, match="k_plus"):
        one_run_audit([0.1, 0.2, 0.3], [True, False, True], k_plus=3, k_minus=1)
    with pytest.raises(ValueError, match="v"):
        one_run_epsilon(10, 5, 6)
    with pytest.raises(TypeError, match="m"):
        one_run_epsilon(10.0, 5, 5)


# -- canaries -----------------------------------------------------------------------------------------


def test_canaries_mislabelled_and_ood():
    ds = load_dataset("digits")
    c = make_canaries(ds.X, ds.y, 50, seed=0)
    assert len(c) == 50 and np.all(c.y != c.true_y) and np.all(c.true_y == ds.y[c.source])
    np.testing.assert_array_equal(c.X, ds.X[c.source])
    assert len(np.unique(c.source)) == 50
    c2 = make_canaries(ds.X, ds.y, 50, seed=0)
    np.testing.assert_array_equal(c.y, c2.y)  # deterministic
    ood = make_canaries(ds.X, ds.y, 20, kind="out_of_distribution", seed=1)
    assert ood.X.shape == (20, 64) and ood.X.min() >= 0 and ood.X.max() <= 1
    assert np.all(ood.source == -1) and set(np.unique(ood.y)) <= set(range(10))
    assert len(c[:5]) == 5 and len(c[np.arange(50) % 2 == 0]) == 25


def test_insert_and_draw_inclusion():
    ds = load_dataset("digits")
    c = make_canaries(ds.X[100:], ds.y[100:], 10, seed=0)
    inc = draw_inclusion(10, seed=2)
    X, y = insert_canaries(ds.X[:100], ds.y[:100], c, inc)
    assert len(X) == 100 + inc.sum()
    np.testing.assert_array_equal(y[100:], c.y[inc])
    frac = draw_inclusion(100_000, seed=0).mean()
    assert abs(frac - 0.5) < 0.01
    with pytest.raises(ValueError, match="kind"):
        make_canaries(ds.X, ds.y, 5, kind="gradient")
    with pytest.raises(ValueError, match="include"):
        insert_canaries(ds.X[:100], ds.y[:100], c, np.ones(3, bool))
    with pytest.raises(ValueError, match="n_canaries"):
        make_canaries(ds.X[:10], ds.y[:10], 11)


def test_dp_audit_parser_needs_no_torch():
    import subprocess
    import sys

    from mia_edu.auditing import CANARY_KINDS
    from mia_edu.dp_audit import CANARY_CHOICES

    assert CANARY_CHOICES == CANARY_KINDS
    code = ("import argparse, sys; from mia_edu.dp_audit import add_parser; "
            "p = argparse.ArgumentParser(); add_parser(p.add_subparsers()); "
            "a = p.parse_args(['dp-audit', '--noise', '1,4', '--runs', '8']); "
            "print(a.noise, a.runs, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[1.0,", "4.0]", "8", "False"]


def test_dp_audit_command_rejects_bad_input(capsys):
    from mia_edu.__main__ import main

    with pytest.raises(SystemExit) as exc:
        main(["dp-audit", "--confidence", "1.5", "--no-progress"])
    assert exc.value.code == 2 and "confidence" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["dp-audit", "--noise", "-1"])
    assert exc.value.code == 2 and "noise" in capsys.readouterr().err


def test_training_helpers_reject_mismatched_data():
    from mia_edu.auditing import train_canary_runs, train_one_run

    ds = load_dataset("digits")
    c = make_canaries(ds.X[100:], ds.y[100:], 3, seed=0)
    with pytest.raises(ValueError, match="features"):
        train_canary_runs(None, ds.X[:50, :10], ds.y[:50], c[0], 2)
    with pytest.raises(ValueError, match="one canary"):
        train_canary_runs(None, ds.X[:50], ds.y[:50], c, 2)
    with pytest.raises(ValueError, match="y"):
        train_canary_runs(None, ds.X[:50], ds.y[:40], c[0], 2)
    with pytest.raises(TypeError, match="canaries"):
        train_one_run(None, ds.X[:50], ds.y[:50], ds.X[:3])
