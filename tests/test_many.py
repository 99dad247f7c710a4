"""The many-model engine: train_many / ModelBank on every route, its disk cache, and random_subsets."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
import torch

from mia_edu import signals
from mia_edu.data import load_dataset
from mia_edu.splits import random_subsets
from mia_edu.training import ModelBank, TrainConfig, TrainedModel, choose_route, model_seeds, train, train_many

SMALL = TrainConfig(epochs=30, hidden=32)


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits")
    return ds.X[:240], ds.y[:240], ds.X[1200:], ds.y[1200:]


@pytest.fixture(scope="module")
def subsets():
    return random_subsets(240, 4, seed=3)


def _bank(digits, subsets, **kw):
    X, y, _, _ = digits
    kw.setdefault("config", SMALL)
    config = kw.pop("config")
    return train_many(config, X, y, subsets, n_classes=10, progress=False, use_cache=kw.pop("use_cache", False), **kw)


# ---------------------------------------------------------------- random_subsets

def test_random_subsets_exact_balance_per_sample_and_halves_per_model():
    s = random_subsets(2000, 16, seed=0)
    assert s.shape == (16, 2000) and s.dtype == bool
    assert np.all(s.sum(axis=0) == 8)  # each sample IN for exactly K * p_in models
    # each model trains on ~N/2 samples: binomial-like, sd <= sqrt(N)/2 ≈ 22; 4 sd over 16 rows
    assert np.all(np.abs(s.sum(axis=1) - 1000) < 4 * np.sqrt(2000) / 2)
    # two models overlap on ~1/4 of the samples (P(both IN) = 8/16 * 7/15 = 0.2333)
    overlap = (s[0] & s[1]).mean()
    assert abs(overlap - 8 / 16 * 7 / 15) < 3 * np.sqrt(0.2333 * 0.7667 / 2000)


def test_random_subsets_two_models_are_complements_and_seed_is_deterministic():
    s = random_subsets(50, 2, seed=1)
    assert np.array_equal(s[0], ~s[1])
    assert np.array_equal(random_subsets(300, 6, seed=7), random_subsets(300, 6, seed=7))
    assert not np.array_equal(random_subsets(300, 6, seed=7), random_subsets(300, 6, seed=8))


def test_random_subsets_fractional_count_has_the_right_mean():
    s = random_subsets(4000, 5, p_in=0.5, seed=2)  # 2.5 models per sample: 2 or 3
    per_sample = s.sum(axis=0)
    assert set(np.unique(per_sample)) == {2, 3}
    assert abs(per_sample.mean() - 2.5) < 3 * 0.5 / np.sqrt(4000)
    assert np.all(random_subsets(100, 10, p_in=0.3, seed=0).sum(axis=0) == 3)


@pytest.mark.parametrize("kwargs, error", [
    (dict(n_samples=10, n_models=0), ValueError),
    (dict(n_samples=0, n_models=3), ValueError),
    (dict(n_samples=10, n_models=3, p_in=1.0), ValueError),
    (dict(n_samples=10, n_models=3, p_in=0), ValueError),
    (dict(n_samples=10, n_models=True), TypeError),
    (dict(n_samples=10.0, n_models=3), TypeError),
])
def test_random_subsets_bad_input(kwargs, error):
    with pytest.raises(error):
        random_subsets(**kwargs)


# ---------------------------------------------------------------- each model on its own subset

def test_each_model_trains_on_exactly_its_subset(digits, subsets):
    X, y, _, _ = digits
    config = TrainConfig(epochs=100, hidden=64)
    bank = _bank(digits, subsets, config=config, route="sequential")
    loss = signals.loss(bank.logits(X), y)  # K × N
    for k in range(len(bank)):
        in_loss, out_loss = loss[k, subsets[k]].mean(), loss[k, ~subsets[k]].mean()
        assert in_loss < 0.2 and out_loss > 2 * in_loss, (k, in_loss, out_loss)
    # and it is the very model train() gives on that subset with that model's seed
    k = 2
    alone = train(config.replace(seed=int(bank.seeds[k])), X[subsets[k]], y[subsets[k]], n_classes=10,
                  use_cache=False)
    np.testing.assert_array_equal(alone.logits(X), bank.logits(X)[k])


def test_all_false_row_is_refused(digits, subsets):
    bad = subsets.copy()
    bad[1] = False
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        _bank(digits, bad)


@pytest.mark.parametrize("route", ["sequential", "batched", "processes"])
def test_same_seed_same_bank(digits, subsets, route):
    X = digits[0]
    kw = dict(config=TrainConfig(epochs=10, hidden=16), route=route)
    with joblib.parallel_backend("loky", n_jobs=2):
        first, again = _bank(digits, subsets, **kw), _bank(digits, subsets, **kw)
        other = _bank(digits, subsets, config=TrainConfig(epochs=10, hidden=16, seed=1), route=route)
    assert first.route == route
    np.testing.assert_array_equal(first.logits(X), again.logits(X))
    assert np.abs(first.logits(X) - other.logits(X)).max() > 0.01


def test_batched_route_matches_the_loop(digits, subsets):
    """Same initial weights and the same Adam: full batch, mini-batch, weight decay, label smoothing."""
    X, y, Xe, ye = digits
    for config in (SMALL, TrainConfig(epochs=4, hidden=32, batch_size=64, weight_decay=1e-3, label_smoothing=0.1)):
        seq = _bank(digits, subsets, config=config, route="sequential", X_eval=Xe, y_eval=ye)
        bat = _bank(digits, subsets, config=config, route="batched", X_eval=Xe, y_eval=ye)
        np.testing.assert_allclose(bat.logits(X), seq.logits(X), atol=2e-3)
        for h_seq, h_bat in zip(seq.histories, bat.histories):
            assert set(h_bat) == {"train_loss", "train_acc", "test_loss", "test_acc"}
            for name in h_seq:
                np.testing.assert_allclose(h_bat[name], h_seq[name], atol=1e-4)


def test_batched_route_with_unequal_subsets_and_minibatches(digits):
    X, y, _, _ = digits
    subsets = np.zeros((3, 240), bool)
    subsets[0, :200] = True
    subsets[1, 50:90] = True  # 40 samples: one mini-batch per epoch where model 0 has four
    subsets[2, ::3] = True
    config = TrainConfig(epochs=6, hidden=16, batch_size=50)
    seq = _bank(digits, subsets, config=config, route="sequential")
    bat = _bank(digits, subsets, config=config, route="batched")
    np.testing.assert_allclose(bat.logits(X), seq.logits(X), atol=1e-3)


def test_routes_agree_in_quality(digits, subsets):
    X, y, Xe, ye = digits
    config = TrainConfig(epochs=60, hidden=64)
    acc = {}
    with joblib.parallel_backend("threading", n_jobs=2):
        for route in ("sequential", "batched", "processes"):
            bank = _bank(digits, subsets, config=config, route=route)
            acc[route] = float(np.mean(bank.logits(Xe).argmax(-1) == ye))
    assert acc["sequential"] > 0.8  # the models learnt something
    assert abs(acc["batched"] - acc["sequential"]) <= 0.005
    assert abs(acc["processes"] - acc["sequential"]) <= 0.005


# ---------------------------------------------------------------- joblib backends

@pytest.mark.parametrize("backend", ["threading", "loky"])
def test_processes_route_dispatches_through_joblib(digits, subsets, backend):
    X = digits[0]
    config = TrainConfig(epochs=10, hidden=16)
    reference = _bank(digits, subsets, config=config, route="sequential")
    threads = torch.get_num_threads()
    with joblib.parallel_backend(backend, n_jobs=2):
        assert choose_route(config, subsets, 64, 10) == "processes"  # the backend context decides
        bank = _bank(digits, subsets, config=config)
    assert bank.route == "processes"
    assert torch.get_num_threads() == threads  # a thread worker must not change the caller's torch threads
    np.testing.assert_allclose(bank.logits(X), reference.logits(X), atol=1e-4)


def test_processes_route_without_a_backend_context_shares_the_work_with_loky_workers(digits, subsets):
    """The caller trains too while a loky worker starts; the bank is the loop's, bit for bit."""
    X = digits[0]
    config = TrainConfig(epochs=10, hidden=16)
    reference = _bank(digits, subsets, config=config, route="sequential")
    bank = _bank(digits, subsets, config=config, route="processes", n_jobs=2)
    assert bank.route == "processes"
    np.testing.assert_array_equal(bank.logits(X), reference.logits(X))
    one = _bank(digits, subsets, config=config, route="processes", n_jobs=1)  # no worker: the caller alone
    np.testing.assert_array_equal(one.logits(X), reference.logits(X))


class _NoGeneratorBackend(joblib._parallel_backends.ThreadingBackend):
    """Like Ray's and multiprocessing's joblib backends: no ``return_as="generator"``."""

    supports_return_generator = False


def test_processes_route_works_with_a_backend_without_generators(digits, subsets):
    X = digits[0]
    config = TrainConfig(epochs=5, hidden=8)
    joblib.register_parallel_backend("no-generator", _NoGeneratorBackend)
    with joblib.parallel_backend("no-generator", n_jobs=2):
        with pytest.raises(ValueError):
            joblib.Parallel(return_as="generator")  # the situation the fallback is for
        bank = _bank(digits, subsets, config=config)
    reference = _bank(digits, subsets, config=config, route="sequential")
    assert bank.route == "processes"
    np.testing.assert_allclose(bank.logits(X), reference.logits(X), atol=1e-4)


# ---------------------------------------------------------------- the disk cache

def test_cache_hit_returns_identical_logits_and_is_shared_with_train(digits, subsets, tmp_path, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    X, y, _, _ = digits
    first = _bank(digits, subsets, use_cache=True, route="sequential")
    assert not first.from_cache.any() and len(list((tmp_path / "models").glob("*.npz"))) == len(subsets)
    second = _bank(digits, subsets, use_cache=True, route="processes", n_jobs=2)
    assert second.from_cache.all() and second.route == "processes"
    np.testing.assert_array_equal(second.logits(X), first.logits(X))
    assert [h["train_loss"].tolist() for h in second.histories] == [h["train_loss"].tolist() for h in first.histories]
    _bank(digits, subsets, use_cache=True)  # the automatic route (stacked, here) caches under its own keys
    assert _bank(digits, subsets, use_cache=True).route == "cache"
    k = 1
    alone = train(SMALL.replace(seed=int(first.seeds[k])), X[subsets[k]], y[subsets[k]], n_classes=10)
    assert alone.from_cache
    np.testing.assert_array_equal(alone.logits(X), first.logits(X)[k])
    # only the missing models are trained: a bank with one new row reuses the other three
    grown = np.vstack([subsets, random_subsets(240, 1, seed=99)])
    bank = _bank(digits, grown, use_cache=True, route="sequential")
    assert bank.from_cache.tolist() == [True, True, True, True, False]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_cache_file_is_retrained_without_error(digits, subsets, tmp_path, monkeypatch, damage):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    X = digits[0]
    first = _bank(digits, subsets, use_cache=True)
    files = sorted((tmp_path / "models").glob("*.npz"))
    assert len(files) == len(subsets)
    for path in files[:2]:
        data = path.read_bytes()
        path.write_bytes({"garbage": b"not a zip file at all" * 10, "truncated": data[: len(data) // 2],
                          "empty": b""}[damage])
    again = _bank(digits, subsets, use_cache=True)
    # the automatic route here is the stacked one: its chunk of four is retrained whole, to the same bits
    assert again.route == "batched" and not again.from_cache.any()
    np.testing.assert_array_equal(again.logits(X), first.logits(X))
    assert _bank(digits, subsets, use_cache=True).from_cache.all()  # and stored again


def test_cache_off_trains_every_time(digits, subsets, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    _bank(digits, subsets, use_cache=True)
    assert not _bank(digits, subsets, use_cache=True).from_cache.any()


# ---------------------------------------------------------------- the bank, progress, routes

def test_model_bank_api(digits, subsets):
    X, y, _, _ = digits
    bank = _bank(digits, subsets)
    assert isinstance(bank, ModelBank) and len(bank) == 4
    logits = bank.logits(X[:7])
    assert logits.shape == (4, 7, 10) and logits.dtype == np.float32
    model = bank[-1]
    assert isinstance(model, TrainedModel) and model.config.seed == bank.seeds[3]
    np.testing.assert_array_equal(model.logits(X[:7]), logits[3])
    assert [m.config.seed for m in bank] == bank.seeds.tolist()
    assert len(set(bank.seeds.tolist())) == 4 and np.array_equal(bank.seeds, model_seeds(SMALL.seed, 4))
    assert np.array_equal(bank.subsets, subsets) and not bank.subsets.flags.writeable
    assert len(bank.histories[0]["train_loss"]) == SMALL.epochs
    with pytest.raises(IndexError):
        bank[4]
    with pytest.raises(TypeError):
        bank[1.0]
    with pytest.raises(ValueError, match="features"):
        bank.logits(X[:, :5])


def test_progress_bar_on_and_off(digits, subsets, capsys):
    X, y, _, _ = digits
    config = TrainConfig(epochs=2, hidden=8)
    train_many(config, X, y, subsets, progress=False, use_cache=False, route="sequential")
    assert capsys.readouterr().err == ""
    train_many(config, X, y, subsets, progress=True, use_cache=False, route="sequential")
    assert "4/4" in capsys.readouterr().err


def test_automatic_route_follows_the_rule(digits, subsets):
    big = random_subsets(5000, 16, seed=0)  # 16 MNIST-1D-sized models: 614 GFLOP, 41 MB of activations
    default = TrainConfig()
    assert choose_route(default, big, 40, 10, device="cuda") == "batched"
    assert choose_route(default, big[:1], 40, 10) == "sequential"
    assert choose_route(TrainConfig(hidden=32, epochs=50), subsets, 64, 10) == "batched"  # small: overhead-bound
    assert choose_route(default, big, 40, 10) == ("processes" if joblib.cpu_count() >= 2 else "sequential")
    assert choose_route(default, big, 40, 10, n_jobs=1) == "sequential"
    assert choose_route(TrainConfig(epochs=20), big, 40, 10) == "sequential"  # too little work to start workers
    with joblib.parallel_backend("threading", n_jobs=2):
        assert choose_route(TrainConfig(hidden=8), subsets, 64, 10) == "processes"


@pytest.mark.parametrize("make, error, match", [
    (lambda s: s.astype(int), TypeError, "boolean"),
    (lambda s: s[0], ValueError, "2-D"),
    (lambda s: s[:0], ValueError, "0 rows"),
    (lambda s: s[:, :-1], ValueError, "columns"),
    (lambda s: None, TypeError, "subsets"),
])
def test_bad_subsets(digits, subsets, make, error, match):
    with pytest.raises(error, match=match):
        _bank(digits, make(subsets))


def test_bad_arguments(digits, subsets):
    X, y, _, _ = digits
    with pytest.raises(ValueError, match="route"):
        _bank(digits, subsets, route="gpu-magic")
    with pytest.raises(ValueError, match="n_jobs"):
        _bank(digits, subsets, n_jobs=0)
    with pytest.raises(TypeError, match="config"):
        train_many({"epochs": 3}, X, y, subsets)
    with pytest.raises(ValueError, match="y has"):
        train_many(SMALL, X, y[:-1], subsets)
    with pytest.raises(ValueError, match="X_eval"):
        train_many(SMALL, X, y, subsets, X_eval=X)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("route", ["batched", "sequential"])
def test_cuda_route(digits, subsets, route):
    X, y, Xe, ye = digits
    config = TrainConfig(epochs=60, hidden=64)
    gpu = train_many(config, X, y, subsets, n_classes=10, device="cuda", route=route, progress=False, use_cache=False)
    cpu = _bank(digits, subsets, config=config, route="sequential")
    assert gpu.route == route and next(gpu.modules[0].parameters()).is_cuda
    acc_gpu = np.mean(gpu.logits(Xe).argmax(-1) == ye)
    acc_cpu = np.mean(cpu.logits(Xe).argmax(-1) == ye)
    assert abs(acc_gpu - acc_cpu) <= 0.01
