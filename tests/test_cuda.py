"""The GPU route on ``device="cuda"``: train, train_many (stacked), the attacks, and notebook 02's core.

Marker ``cuda``; skipped without a CUDA device. ``benchmarks/gpu_check.py`` runs them on a machine
with one and times the routes. A GPU rounds differently from a CPU, so these tests compare what a
student reads (accuracy, AUC) with the CPU's, within the spread the CPU's own seeds show, and assert
bit-level agreement only where the same program runs twice on the same device.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mia_edu.attacks import LiRA, ShadowModelAttack
from mia_edu.data import load_dataset
from mia_edu.experiments import run_point
from mia_edu.metrics import roc_auc
from mia_edu.splits import make_split, random_subsets
from mia_edu.training import TrainConfig, train, train_many

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

SMALL = TrainConfig(epochs=60, hidden=64)


@pytest.fixture(scope="module")
def digits():
    ds = load_dataset("digits")
    return ds.X[:600], ds.y[:600], ds.X[1200:], ds.y[1200:]


def _on_cuda(module) -> bool:
    return all(p.is_cuda for p in module.parameters())


def test_train_on_cuda_matches_the_cpu_in_accuracy(digits, tmp_path, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    X, y, Xe, ye = digits
    gpu = train(SMALL, X, y, n_classes=10, device="cuda")
    cpu = train(SMALL, X, y, n_classes=10, device="cpu")
    assert _on_cuda(gpu.module) and not cpu.from_cache  # a GPU model never answers a CPU call from the cache
    assert abs(gpu.accuracy(Xe, ye) - cpu.accuracy(Xe, ye)) <= 0.01
    np.testing.assert_allclose(gpu.logits(Xe), cpu.logits(Xe), atol=5e-3)  # same init, same data, other rounding
    again = train(SMALL, X, y, n_classes=10, device="cuda")
    assert again.from_cache and _on_cuda(again.module)
    np.testing.assert_array_equal(again.logits(Xe), gpu.logits(Xe))


@pytest.mark.parametrize("route", ["batched", "sequential"])
def test_train_many_on_cuda(digits, route):
    X, y, Xe, ye = digits
    subsets = random_subsets(len(X), 8, seed=0)
    gpu = train_many(SMALL, X, y, subsets, n_classes=10, device="cuda", route=route, progress=False,
                     use_cache=False)
    cpu = train_many(SMALL, X, y, subsets, n_classes=10, route="sequential", progress=False, use_cache=False)
    assert gpu.route == route and all(_on_cuda(m) for m in gpu.modules)
    acc_gpu = (gpu.logits(Xe).argmax(-1) == ye).mean(1)
    acc_cpu = (cpu.logits(Xe).argmax(-1) == ye).mean(1)
    assert abs(acc_gpu.mean() - acc_cpu.mean()) <= 0.01
    again = train_many(SMALL, X, y, subsets, n_classes=10, device="cuda", route=route, progress=False,
                       use_cache=False)
    np.testing.assert_array_equal(again.logits(Xe), gpu.logits(Xe))  # same seed, same numbers, on the GPU too


def test_automatic_route_on_cuda_is_the_stacked_one(digits):
    X, y, _, _ = digits
    bank = train_many(SMALL, X, y, random_subsets(len(X), 4, seed=1), n_classes=10, device="cuda",
                      progress=False, use_cache=False)
    assert bank.route == "batched"


def test_attacks_on_cuda(tmp_path, monkeypatch):
    """LiRA and Shokri's shadow models with their models on the GPU, against a GPU target."""
    monkeypatch.setenv("MIA_EDU_CACHE", str(tmp_path))
    ds = load_dataset("mnist1d", n_samples=3000)
    split = make_split(len(ds), train_size=500, holdout_size=500, shadow_size=2000, seed=0)
    config = TrainConfig(epochs=100, hidden=128)
    target = train(config, ds.X[split.train], ds.y[split.train], n_classes=10, device="cuda")
    X = np.concatenate([ds.X[split.train], ds.X[split.holdout]])
    y = np.concatenate([ds.y[split.train], ds.y[split.holdout]])
    is_member = np.r_[np.ones(500, bool), np.zeros(500, bool)]
    pool = np.concatenate([split.train, split.holdout])
    lira = LiRA(config, n_reference=8, device="cuda", progress=False).fit(ds.X[pool], ds.y[pool])
    assert all(_on_cuda(m) for m in lira.bank_.modules)
    lira_auc = roc_auc(lira.score_target(target, X, y), is_member)
    shadow = ShadowModelAttack(config, n_shadow=4, device="cuda", progress=False).fit(
        ds.X[split.shadow], ds.y[split.shadow], n_classes=10)
    shadow_auc = roc_auc(shadow.score_target(target, X, y), is_member)
    assert lira_auc > 0.6 and shadow_auc > 0.55  # an overfit target leaks on the GPU as on the CPU


def test_notebook_02_core_on_cuda():
    """Notebook 02: the default target on MNIST-1D overfits, and its loss leaks membership."""
    ds = load_dataset("mnist1d", n_samples=5000)
    split = make_split(len(ds), train_size=2500, holdout_size=2500, seed=0)
    gpu = run_point(ds, split, TrainConfig(), device="cuda")
    cpu = run_point(ds, split, TrainConfig(), device="cpu")
    assert gpu["train_acc"] > 0.99 and gpu["gap"] > 0.3
    for key in ("test_acc", "auc"):
        assert abs(gpu[key] - cpu[key]) <= 0.02, (key, gpu[key], cpu[key])
