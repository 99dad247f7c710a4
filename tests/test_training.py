"""Training: determinism, caching, the overfitting effect, and how attacks relate to accuracy."""

import numpy as np
import pytest
import torch

from mia_edu import cache, metrics, signals
from mia_edu.data import load_dataset
from mia_edu.splits import make_split
from mia_edu.training import TrainConfig, train


@pytest.fixture(scope="module")
def mnist():
    ds = load_dataset("mnist1d")
    split = make_split(len(ds), train_size=2500, holdout_size=2500, seed=0)
    return ds, split


def _loss_auc(model, ds, split):
    idx, is_member = split.evaluation()
    loss = signals.loss(model.logits(ds.X[idx]), ds.y[idx])
    return metrics.roc_auc(-loss, is_member)


def test_overfitting_leaks_and_weight_decay_reduces_it(mnist):
    ds, split = mnist
    overfit = train(TrainConfig(), ds.X[split.train], ds.y[split.train], n_classes=10)
    assert overfit.accuracy(ds.X[split.train], ds.y[split.train]) > 0.98
    auc = _loss_auc(overfit, ds, split)
    assert auc >= 0.65
    decayed = train(TrainConfig(weight_decay=1e-2), ds.X[split.train], ds.y[split.train], n_classes=10)
    assert _loss_auc(decayed, ds, split) <= auc - 0.08


def test_null_two_halves_of_non_members(mnist):
    ds, split = mnist
    model = train(TrainConfig(), ds.X[split.train], ds.y[split.train], n_classes=10)
    loss = signals.loss(model.logits(ds.X[split.holdout]), ds.y[split.holdout])
    fake_member = np.zeros(len(loss), bool)
    fake_member[: len(loss) // 2] = True  # both halves are non-members
    n1, n0 = fake_member.sum(), (~fake_member).sum()
    assert abs(metrics.roc_auc(-loss, fake_member) - 0.5) < 3 * metrics.auc_null_std(int(n1), int(n0))


def test_correctness_attack_advantage_equals_generalisation_gap(mnist):
    ds, split = mnist
    model = train(TrainConfig(epochs=60), ds.X[split.train], ds.y[split.train], n_classes=10)
    idx, is_member = split.evaluation()
    correct = (model.predict(ds.X[idx]) == ds.y[idx]).astype(float)  # "member iff correctly classified"
    train_acc = model.accuracy(ds.X[split.train], ds.y[split.train])
    test_acc = model.accuracy(ds.X[split.holdout], ds.y[split.holdout])
    assert metrics.advantage(correct, is_member) == pytest.approx(train_acc - test_acc, abs=1e-12)
    assert train_acc - test_acc > 0.1


def test_same_seed_same_weights_and_signals(monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    ds = load_dataset("digits", n_samples=300)
    cfg = TrainConfig(epochs=15, hidden=32, seed=7)
    a = train(cfg, ds.X, ds.y, n_classes=10)
    b = train(cfg, ds.X, ds.y, n_classes=10)
    c = train(cfg.replace(seed=8), ds.X, ds.y, n_classes=10)
    for pa, pb in zip(a.module.parameters(), b.module.parameters()):
        assert torch.equal(pa, pb)
    assert not torch.equal(next(a.module.parameters()), next(c.module.parameters()))
    sa = signals.compute_signals(a.logits(ds.X), ds.y)
    sb = signals.compute_signals(b.logits(ds.X), ds.y)
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])


def test_training_leaves_global_torch_rng_alone(monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    ds = load_dataset("digits", n_samples=100)
    torch.manual_seed(0)
    expected = torch.rand(1)
    torch.manual_seed(0)
    train(TrainConfig(epochs=2, hidden=8, dropout=0.2), ds.X, ds.y, n_classes=10)
    assert torch.equal(torch.rand(1), expected)


def test_minibatch_dropout_cnn_and_history():
    ds = load_dataset("mnist1d", n_samples=600)
    cfg = TrainConfig(epochs=5, hidden=64, batch_size=128, dropout=0.2, label_smoothing=0.1, arch="cnn1d")
    m = train(cfg, ds.X[:400], ds.y[:400], X_eval=ds.X[400:], y_eval=ds.y[400:], n_classes=10)
    assert set(m.history) == {"train_loss", "train_acc", "test_loss", "test_acc"}
    assert all(len(v) == 5 for v in m.history.values())
    assert m.history["train_loss"][-1] < m.history["train_loss"][0]
    assert m.logits(ds.X[:7]).shape == (7, 10)


def test_cache_hit_and_corrupt_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    ds = load_dataset("digits", n_samples=200)
    cfg = TrainConfig(epochs=10, hidden=16)
    first = train(cfg, ds.X, ds.y, n_classes=10)
    second = train(cfg, ds.X, ds.y, n_classes=10)
    assert not first.from_cache and second.from_cache
    np.testing.assert_array_equal(first.logits(ds.X), second.logits(ds.X))
    for path in (tmp_path / "models").glob("*.npz"):
        path.write_bytes(path.read_bytes()[:50])  # truncate
    third = train(cfg, ds.X, ds.y, n_classes=10)
    assert not third.from_cache
    np.testing.assert_array_equal(first.logits(ds.X), third.logits(ds.X))
    assert cache.make_key(cfg, ds.X) != cache.make_key(cfg.replace(epochs=11), ds.X)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"epochs": 0}, ValueError, "epochs must be at least 1"),
    ({"epochs": 2.5}, TypeError, "epochs must be an integer"),
    ({"weight_decay": -1.0}, ValueError, r"weight_decay must lie in \[0, 100\]"),
    ({"dropout": 1.0}, ValueError, "dropout"),
    ({"arch": "resnet"}, ValueError, "arch must be one of"),
    ({"lr": float("nan")}, TypeError, "lr must be a finite number"),
])
def test_config_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        TrainConfig(**kwargs)


def test_train_bad_input():
    X = np.zeros((10, 3), np.float32)
    with pytest.raises(ValueError, match="y has 9 labels but X has 10"):
        train(TrainConfig(epochs=1), X, np.zeros(9, int))
    with pytest.raises(ValueError, match="y has labels outside"):
        train(TrainConfig(epochs=1), X, np.arange(10), n_classes=3)
    with pytest.raises(ValueError, match="X contains NaN"):
        train(TrainConfig(epochs=1), np.full((10, 3), np.nan), np.zeros(10, int))
    with pytest.raises(TypeError, match="config must be a TrainConfig"):
        train({"epochs": 1}, X, np.zeros(10, int))
    m = train(TrainConfig(epochs=1, hidden=4), X, np.arange(10) % 2, use_cache=False)
    with pytest.raises(ValueError, match="X has 5 features, expected 3"):
        m.logits(np.zeros((2, 5)))
