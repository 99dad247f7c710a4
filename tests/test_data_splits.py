"""Data sets and splits: offline, deterministic, validated."""

import numpy as np
import pytest

from mia_edu.data import DATASETS, load_dataset
from mia_edu.splits import MembershipSplit, make_split


def test_mnist1d_shapes_and_types():
    ds = load_dataset("mnist1d", n_samples=500, seed=1)
    assert ds.X.shape == (500, 40) and ds.X.dtype == np.float32
    assert ds.y.shape == (500,) and ds.y.dtype == np.int64
    assert ds.n_classes == 10 and set(np.unique(ds.y)) <= set(range(10))
    assert "MNIST-1D" in ds.description


def test_mnist1d_same_seed_same_arrays_and_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    a = load_dataset("mnist1d", n_samples=300, seed=3)
    assert list((tmp_path / "data").glob("*.npz")), "generation should be cached on disk"
    b = load_dataset("mnist1d", n_samples=300, seed=3)  # from the cache
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    c = load_dataset("mnist1d", n_samples=300, seed=3)  # generated again
    d = load_dataset("mnist1d", n_samples=300, seed=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.X, c.X)
    np.testing.assert_array_equal(a.y, c.y)
    assert not np.array_equal(a.X, d.X)


def test_mnist1d_generation_leaves_global_rng_alone(monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    load_dataset("mnist1d", n_samples=100, seed=0)
    assert np.random.rand() == expected


def test_digits():
    ds = load_dataset("digits")
    assert ds.X.shape == (1797, 64) and 0 <= ds.X.min() and ds.X.max() <= 1
    small = load_dataset("digits", n_samples=100, seed=2)
    np.testing.assert_array_equal(small.X, load_dataset("digits", n_samples=100, seed=2).X)


def test_unknown_dataset_lists_known_names():
    with pytest.raises(ValueError, match="unknown dataset.*mnist1d.*digits"):
        load_dataset("cifar100")
    with pytest.raises(TypeError, match="name"):
        load_dataset(3)
    assert DATASETS == ("mnist1d", "digits")


def test_make_split_disjoint_and_deterministic():
    s = make_split(1000, train_size=300, holdout_size=300, shadow_size=200, seed=5)
    assert (len(s.train), len(s.holdout), len(s.shadow)) == (300, 300, 200)
    all_idx = np.concatenate([s.train, s.holdout, s.shadow])
    assert np.unique(all_idx).size == 800 and all_idx.max() < 1000
    s2 = make_split(1000, train_size=300, holdout_size=300, shadow_size=200, seed=5)
    np.testing.assert_array_equal(s.train, s2.train)
    np.testing.assert_array_equal(s.shadow, s2.shadow)
    idx, is_member = s.evaluation()
    assert is_member.sum() == 300 and np.array_equal(idx[is_member], s.train)


def test_split_rejects_overlap_and_out_of_range():
    with pytest.raises(ValueError, match="train and holdout overlap"):
        MembershipSplit(train=np.array([1, 2, 3]), holdout=np.array([3, 4]), shadow=np.array([], int), n_samples=10)
    with pytest.raises(ValueError, match="holdout has indices outside"):
        MembershipSplit(train=np.array([1]), holdout=np.array([10]), shadow=np.array([], int), n_samples=10)
    with pytest.raises(ValueError, match="repeated"):
        MembershipSplit(train=np.array([1, 1]), holdout=np.array([2]), shadow=np.array([], int), n_samples=10)
    with pytest.raises(ValueError, match="exceeds n_samples"):
        make_split(10, train_size=6, holdout_size=6)
    with pytest.raises(TypeError, match="train_size"):
        make_split(10, train_size=2.5, holdout_size=2)
