"""DP-SGD through Opacus in TrainConfig: ε from the accountant, cache, determinism, train_many, LiRA."""

import math

import numpy as np
import pytest
from opacus.accountants import RDPAccountant

from mia_edu.attacks import LiRA
from mia_edu.data import load_dataset
from mia_edu.splits import random_subsets
from mia_edu.training import DP_DEFAULT_BATCH_SIZE, TrainConfig, choose_route, dp_epsilon, train, train_many
from mia_edu.training.private import dp_batch_size, dp_sample_rate, dp_steps


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits")
    return ds.X[:300], ds.y[:300], ds.X[300:900], ds.y[300:900]


DP = TrainConfig(epochs=4, hidden=32, batch_size=64, dp_noise_multiplier=1.0, seed=3)


def test_epsilon_is_the_engines_and_survives_the_cache(digits):
    X, y, _, _ = digits
    model = train(DP, X, y, n_classes=10)
    assert not model.from_cache
    assert model.delta == pytest.approx(1 / len(y))  # dp_delta=None: δ = 1/n
    eps_curve = model.history["epsilon"]  # what Opacus's PrivacyEngine reported after each epoch
    assert np.all(np.diff(eps_curve) > 0)
    assert model.epsilon == pytest.approx(eps_curve[-1], rel=1e-9)
    again = train(DP, X, y, n_classes=10)
    assert again.from_cache and again.epsilon == model.epsilon and again.delta == model.delta
    np.testing.assert_array_equal(again.logits(X[:20]), model.logits(X[:20]))
    # independently: the RDP accountant for 4 epochs of ceil(300/64)=5 Poisson steps at q=1/5
    acc = RDPAccountant()
    acc.history = [(1.0, 1 / 5, 20)]
    assert model.epsilon == pytest.approx(acc.get_epsilon(delta=1 / 300), rel=1e-12)
    stated = train(DP.replace(dp_delta=1e-5), X, y, n_classes=10)
    assert stated.delta == 1e-5 and stated.epsilon > model.epsilon  # smaller δ, larger ε


def test_not_private_has_no_epsilon(digits):
    X, y, _, _ = digits
    model = train(TrainConfig(epochs=3, hidden=16), X, y, n_classes=10)
    assert model.epsilon is None and model.delta is None and "epsilon" not in model.history
    assert dp_epsilon(TrainConfig(), 100) == (None, None)


def test_batch_size_is_the_expected_poisson_batch():
    cfg = TrainConfig(epochs=30, dp_noise_multiplier=1.0)
    assert cfg.batch_size is None and dp_batch_size(cfg, 2500) == DP_DEFAULT_BATCH_SIZE == 256
    assert dp_sample_rate(cfg, 2500) == pytest.approx(0.1)  # q = 1/ceil(2500/256) = 1/10
    assert dp_steps(cfg, 2500) == 300
    assert 2500 * dp_sample_rate(cfg, 2500) <= 256
    small = cfg.replace(batch_size=1000)
    assert dp_batch_size(small, 300) == 300 and dp_sample_rate(small, 300) == 1.0
    # more noise or fewer steps: less ε
    assert dp_epsilon(cfg.replace(dp_noise_multiplier=2.0), 2500)[0] < dp_epsilon(cfg, 2500)[0]
    assert dp_epsilon(cfg.replace(epochs=10), 2500)[0] < dp_epsilon(cfg, 2500)[0]


def test_same_seed_same_private_model(digits, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    X, y, _, _ = digits
    a, b = train(DP, X, y, n_classes=10), train(DP, X, y, n_classes=10)
    np.testing.assert_array_equal(a.logits(X), b.logits(X))
    c = train(DP.replace(seed=4), X, y, n_classes=10)
    assert not np.array_equal(a.logits(X), c.logits(X))


def test_noise_is_really_added(digits, monkeypatch):
    """Small noise learns digits; enormous noise (σ = 1000) learns nothing: the noise is applied."""
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    X, y, Xt, yt = digits
    cfg = TrainConfig(epochs=15, hidden=64, batch_size=64, dp_noise_multiplier=0.3, seed=0)
    assert train(cfg, X, y, n_classes=10).accuracy(Xt, yt) > 0.75
    noisy = train(cfg.replace(dp_noise_multiplier=1000.0), X, y, n_classes=10)
    assert noisy.accuracy(Xt, yt) < 0.3  # chance is 0.1
    assert noisy.epsilon < 0.01


def test_train_many_never_batches_dp_and_reports_epsilon(digits):
    X, y, _, _ = digits
    subsets = random_subsets(len(X), 3, seed=0)
    assert choose_route(DP, subsets, X.shape[1], 10) != "batched"
    assert choose_route(DP.replace(dp_noise_multiplier=None), subsets, X.shape[1], 10) == "batched"
    with pytest.raises(ValueError, match="batched"):
        train_many(DP, X, y, subsets, route="batched", progress=False)
    bank = train_many(DP, X, y, subsets, route="sequential", progress=False)
    for k, model in enumerate(bank):
        n_k = int(subsets[k].sum())
        assert model.epsilon == pytest.approx(dp_epsilon(DP, n_k)[0]) and model.delta == 1 / n_k
        # the same model as train() with the bank's seed: one cache key, one recipe
        single = train(DP.replace(seed=int(bank.seeds[k])), X[subsets[k]], y[subsets[k]], n_classes=10)
        assert single.from_cache
        np.testing.assert_array_equal(single.logits(X[:10]), model.logits(X[:10]))


def test_lira_reference_models_train_with_dp(digits):
    X, y, _, _ = digits
    target = train(DP, X[:150], y[:150], n_classes=10)
    lira = LiRA(DP, n_reference=2, progress=False).fit(X, y, n_classes=10)
    scores = lira.score_target(target, X, y)
    assert scores.shape == (300,) and np.all(np.isfinite(scores))


@pytest.mark.parametrize("changes, error", [
    ({"dp_noise_multiplier": 0.0}, ValueError), ({"dp_noise_multiplier": -1.0}, ValueError),
    ({"dp_noise_multiplier": "1"}, TypeError), ({"dp_noise_multiplier": math.nan}, TypeError),
    ({"dp_max_grad_norm": 0.0}, ValueError), ({"dp_delta": 1.0}, ValueError), ({"dp_delta": 0.0}, ValueError),
])
def test_bad_dp_fields_are_refused(changes, error):
    with pytest.raises(error, match=next(iter(changes))):
        TrainConfig(**changes)
