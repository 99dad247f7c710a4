"""Same seed, same numbers: the disk cache never lets one route's models answer another route's call.

The stacked (batched) route rounds differently from the loop (≈1e-4 in the logits on these models),
so a cache keyed without the route made a bank's numbers depend on which route filled the cache
first (issue 10, item 8). Each test below failed on that code.
"""

from __future__ import annotations

import numpy as np
import pytest

from mia_edu.data import load_dataset
from mia_edu.splits import random_subsets
from mia_edu.training import TrainConfig, train, train_many

CONFIG = TrainConfig(epochs=30, hidden=32)


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits")
    return ds.X[:240], ds.y[:240]


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    return tmp_path


def _logits(digits, subsets, route, use_cache=True, config=CONFIG):
    X, y = digits
    bank = train_many(config, X, y, subsets, n_classes=10, route=route, progress=False, use_cache=use_cache)
    return bank, bank.logits(X)


def test_the_routes_really_round_differently(digits):
    """The premise: without it the tests below could not fail."""
    subsets = random_subsets(240, 4, seed=3)
    _, seq = _logits(digits, subsets, "sequential", use_cache=False)
    _, bat = _logits(digits, subsets, "batched", use_cache=False)
    assert 0 < np.abs(seq - bat).max() < 2e-3


@pytest.mark.parametrize("first, then, hits", [("batched", "sequential", False), ("sequential", "batched", False),
                                               ("batched", None, True), ("sequential", None, False)])
def test_a_cache_filled_by_one_route_never_answers_another(digits, cache, first, then, hits):
    """``None``: the automatic route, the stacked one for these small models."""
    subsets = random_subsets(240, 4, seed=3)
    _logits(digits, subsets, first)  # fills the cache
    bank, got = _logits(digits, subsets, then)
    _, fresh = _logits(digits, subsets, then, use_cache=False)  # the numbers `then` gives on an empty cache
    np.testing.assert_array_equal(got, fresh)
    assert bank.from_cache.tolist() == [hits] * 4
    assert bank.route == ("cache" if hits else then or "batched")


def test_auto_route_gives_the_same_numbers_whatever_filled_the_cache(digits, cache, monkeypatch):
    """A notebook's LiRA references (small models: the automatic route is the stacked one)."""
    subsets = random_subsets(240, 6, seed=5)
    bank, cold = _logits(digits, subsets, None)
    assert bank.route == "batched" and not bank.from_cache.any()
    monkeypatch.setenv("MIA_EDU_CACHE", str(cache / "other"))
    _logits(digits, subsets, "sequential")  # another notebook filled this cache with loop-trained models
    again, warm = _logits(digits, subsets, None)
    np.testing.assert_array_equal(warm, cold)
    again, hit = _logits(digits, subsets, None)
    assert again.route == "cache" and again.from_cache.all()
    np.testing.assert_array_equal(hit, cold)


def test_loop_routes_share_the_cache_with_train(digits, cache):
    X, y = digits
    subsets = random_subsets(240, 3, seed=1)
    bank, logits = _logits(digits, subsets, "sequential")
    again, hit = _logits(digits, subsets, "processes")
    assert again.from_cache.all()
    np.testing.assert_array_equal(hit, logits)
    k = 2
    alone = train(CONFIG.replace(seed=int(bank.seeds[k])), X[subsets[k]], y[subsets[k]], n_classes=10)
    assert alone.from_cache
    np.testing.assert_array_equal(alone.logits(X), logits[k])


def test_a_stacked_model_depends_on_its_chunk_so_a_broken_chunk_is_retrained_whole(digits, cache):
    """Stacked with other models, a model's last bits change (padding, batch of matmuls)."""
    subsets = random_subsets(240, 4, seed=3)
    bank, logits = _logits(digits, subsets, "batched")
    files = sorted((cache / "models").glob("*.npz"))
    assert len(files) == 4
    _, first_two = _logits(digits, subsets[:2], "batched", use_cache=False)
    assert not np.array_equal(first_two, logits[:2])  # why a chunk is keyed as a whole
    _, cached_two = _logits(digits, subsets[:2], "batched")  # a different chunk: no hit, same as fresh
    np.testing.assert_array_equal(cached_two, first_two)
    files[0].write_bytes(b"broken")
    again, repaired = _logits(digits, subsets, "batched")
    assert not again.from_cache.any()  # the chunk of four was retrained together
    np.testing.assert_array_equal(repaired, logits)
