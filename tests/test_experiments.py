"""Overfitting sweeps: the numbers in each point are right, the effect shows, bad input is named."""

from __future__ import annotations

import numpy as np
import pytest

from mia_edu import metrics, signals
from mia_edu.data import load_dataset
from mia_edu.experiments import KNOBS, as_columns, leakage, overfitting_sweep, run_point
from mia_edu.splits import make_split
from mia_edu.training import TrainConfig, train

FAST = TrainConfig(epochs=60, hidden=64)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_leakage_matches_hand_computation(digits):
    split = make_split(len(digits), train_size=150, holdout_size=300, seed=1)
    model = train(FAST, digits.X[split.train], digits.y[split.train], n_classes=10)
    out = leakage(model, digits.X[split.train], digits.y[split.train], digits.X[split.holdout], digits.y[split.holdout])

    idx, is_member = split.evaluation()
    logits = model.logits(digits.X[idx])
    scores = -signals.loss(logits, digits.y[idx])
    correct = logits.argmax(1) == digits.y[idx]
    assert out["auc"] == pytest.approx(metrics.roc_auc(scores, is_member), abs=1e-12)
    assert out["advantage"] == pytest.approx(metrics.advantage(scores, is_member), abs=1e-12)
    assert out["train_acc"] == pytest.approx(correct[is_member].mean(), abs=1e-12)
    assert out["test_acc"] == pytest.approx(correct[~is_member].mean(), abs=1e-12)
    assert out["gap"] == pytest.approx(out["train_acc"] - out["test_acc"], abs=1e-12)
    # Yeom et al.: "member iff correctly classified" has advantage = train acc − test acc.
    assert metrics.youden_j(is_member, correct) == pytest.approx(out["gap"], abs=1e-12)
    assert (out["n_members"], out["n_non_members"]) == (150, 300)
    assert out["auc"] > 0.5 + 3 * metrics.auc_null_std(150, 300)


def test_sweep_changes_only_the_knob(digits):
    recs = overfitting_sweep(digits, "weight_decay", [0.0, 1e-3], base_config=FAST,
                             train_size=100, holdout_size=200, seed=3)
    assert [r["knob"] for r in recs] == ["weight_decay", "weight_decay"]
    assert [r["value"] for r in recs] == [0.0, 1e-3]
    assert recs[0]["config"] == FAST
    assert recs[1]["config"] == FAST.replace(weight_decay=1e-3)
    for r in recs:
        assert (r["n_members"], r["n_non_members"]) == (100, 200)
        assert 0 <= r["advantage"] <= 1
    # the point is exactly what run_point gives on the same split
    same = run_point(digits, make_split(len(digits), train_size=100, holdout_size=200, seed=3), FAST)
    assert same["auc"] == recs[0]["auc"] and same["gap"] == recs[0]["gap"]
    assert same["from_cache"]  # trained once by the sweep, then reused from the disk cache


def test_train_size_sweep_shares_non_members_and_nests_members(digits):
    recs = overfitting_sweep(digits, "train_size", [30, 90], base_config=FAST, holdout_size=400, seed=0)
    assert [r["n_members"] for r in recs] == [30, 90]
    assert all(r["n_non_members"] == 400 for r in recs)


def test_tiny_training_set_leaks_more(digits):
    """The lesson of notebook 02 on digits: 50 members leak clearly, 900 barely."""
    recs = overfitting_sweep(digits, "train_size", [50, 900], base_config=TrainConfig(epochs=100),
                             holdout_size=897, seed=0)
    small, large = recs
    assert small["auc"] > 0.70
    assert large["auc"] < 0.60
    assert small["auc"] - large["auc"] > 0.15
    assert small["gap"] > large["gap"]


def test_more_epochs_leak_more_on_mnist1d():
    ds = load_dataset("mnist1d", n_samples=1000)
    recs = overfitting_sweep(ds, "epochs", [10, 200], base_config=TrainConfig(hidden=128),
                             train_size=400, holdout_size=400)
    early, late = recs
    assert late["train_acc"] > 0.95
    assert late["gap"] > early["gap"] + 0.2
    assert late["auc"] > early["auc"] + 0.1


def test_deterministic_without_cache(digits, monkeypatch):
    monkeypatch.setenv("MIA_EDU_CACHE", "off")
    a = overfitting_sweep(digits, "hidden", [16], base_config=FAST, train_size=80, holdout_size=80, seed=5)
    b = overfitting_sweep(digits, "hidden", [16], base_config=FAST, train_size=80, holdout_size=80, seed=5)
    assert not a[0]["from_cache"] and not b[0]["from_cache"]
    for key in ("train_acc", "test_acc", "auc", "advantage"):
        assert a[0][key] == b[0][key]


def test_as_columns():
    cols = as_columns([{"knob": "epochs", "value": 10, "auc": 0.6, "flag": True},
                       {"knob": "epochs", "value": 20, "auc": 0.7, "flag": False}])
    assert set(cols) == {"value", "auc"}
    np.testing.assert_array_equal(cols["value"], [10.0, 20.0])
    with pytest.raises(ValueError, match="records"):
        as_columns([])


def test_knobs_are_config_fields_or_train_size():
    fields = set(TrainConfig.__dataclass_fields__)
    assert all(k in fields or k == "train_size" for k in KNOBS)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"knob": "width"}, ValueError, "knob"),
    ({"values": []}, ValueError, "values"),
    ({"values": [-1e-3]}, ValueError, "weight_decay"),
    ({"knob": "epochs", "values": [2.5]}, TypeError, "epochs"),
    ({"knob": "train_size", "values": [5000]}, ValueError, "exceeds n_samples"),
    ({"base_config": {"epochs": 3}}, TypeError, "base_config"),
    ({"dataset": np.zeros((10, 3))}, TypeError, "dataset"),
    ({"dataset": "cifar"}, ValueError, "unknown dataset"),
])
def test_bad_input_is_named(digits, kwargs, error, match):
    args = {"dataset": digits, "knob": "weight_decay", "values": [0.0], "train_size": 20, "holdout_size": 20}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        overfitting_sweep(args.pop("dataset"), args.pop("knob"), args.pop("values"), **args)


def test_run_point_rejects_mismatched_split(digits):
    with pytest.raises(ValueError, match="split"):
        run_point(digits, make_split(100, train_size=10, holdout_size=10), FAST)
    with pytest.raises(TypeError, match="model"):
        leakage("not a model", digits.X, digits.y, digits.X, digits.y)


def test_sweep_figure_from_records_shares_x_and_starts_at_zero():
    """A weight-decay sweep starts at 0: both panels share one symlog axis that shows 0 and the largest value."""
    from mia_edu import plots

    records = [{"value": v, "gap": g, "auc": a} for v, g, a in
               [(0.0, 0.55, 0.85), (1e-3, 0.54, 0.84), (1e-2, 0.43, 0.74), (3e-2, 0.19, 0.62)]]
    c = as_columns(records)
    fig = plots.sweep_figure(c["value"], c["gap"], c["auc"], xlabel="weight decay", log_x=True)
    ax_gap, ax_auc = fig.axes
    assert ax_gap.get_xscale() == ax_auc.get_xscale() == "symlog"
    assert ax_gap.get_xlim() == ax_auc.get_xlim()
    lo, hi = ax_gap.get_xlim()
    assert -1e-3 < lo < 0 and 3e-2 < hi < 0.1
    np.testing.assert_allclose(ax_auc.lines[0].get_ydata(), [0.85, 0.84, 0.74, 0.62])


def test_gap_vs_auc_figure_colours_by_group():
    from mia_edu import plots

    fig = plots.gap_vs_auc_figure([0.1, 0.2, 0.3], [0.55, 0.6, 0.7], groups=["epochs", "epochs", "hidden"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["epochs", "hidden"]
    assert [len(c.get_offsets()) for c in ax.collections] == [2, 1]
