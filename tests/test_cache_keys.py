"""Cache keys: equal configs share a key, different ones never do (mia_edu.cache.make_key)."""

import numpy as np

from mia_edu import cache
from mia_edu.training import TrainConfig
from mia_edu.training.single import model_key


def test_equal_configs_hash_equal_whatever_the_number_type():
    X, y = np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1])
    a = model_key(TrainConfig(weight_decay=0), 2, X, y)
    b = model_key(TrainConfig(weight_decay=0.0), 2, X, y)
    c = model_key(TrainConfig(weight_decay=np.float32(0.0), lr=np.float64(3e-3)), 2, X, y)
    assert a == b == c
    assert cache.make_key(1) == cache.make_key(1.0) == cache.make_key(np.int64(1))
    assert cache.make_key({"a": 1, "b": [2, 3.0]}) == cache.make_key({"b": [2.0, 3], "a": 1.0})


def test_different_values_hash_apart():
    X, y = np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1])
    assert model_key(TrainConfig(weight_decay=0), 2, X, y) != model_key(TrainConfig(weight_decay=1e-4), 2, X, y)
    assert cache.make_key(True) != cache.make_key(1)  # a flag is not a count
    assert cache.make_key("1") != cache.make_key(1)
    assert cache.make_key(0.1) != cache.make_key(0.1000001)
    assert cache.make_key([1, 2]) != cache.make_key([2, 1])
    assert cache.make_key(np.zeros(3, np.float32)) != cache.make_key(np.zeros(3, np.float64))
