"""Defences and the privacy–utility frontier: the lessons notebook 08 teaches, asserted on a small setting."""

import json

import numpy as np
import pytest
import torch

from mia_edu import metrics, signals
from mia_edu.defences import (
    DEFENCES,
    FrontierSetting,
    defended_config,
    dp_ceiling,
    dp_roc_figure,
    early_stopping_epochs,
    evaluate_defence,
    frontier_figure,
    pareto_mask,
    parse_defences,
    privacy_utility_frontier,
    proven_epsilon,
    relaxloss,
)
from mia_edu.defences.frontier import COLUMNS, _Data
from mia_edu.information import dp_advantage_bound
from mia_edu.splits import make_split
from mia_edu.training import TrainConfig, train

SMALL = dict(n_members=300, n_reference=4, validation_size=100, dp_epochs=15,
             base_config=TrainConfig(epochs=60, hidden=64, batch_size=64))
GRID = {"none": [None], "weight_decay": [1e-2], "relaxloss": [1.0], "dp_sgd": [1.0, 16.0]}


@pytest.fixture(scope="module")
def table():
    return privacy_utility_frontier("mnist1d", GRID, progress=False, **SMALL)


def _point(table, defence, strength=None):
    return next(p for p in table.points if p.defence == defence and (strength is None or p.strength == strength))


def test_strong_noise_dp_brings_lira_to_chance_and_costs_accuracy(table):
    undefended, strong = _point(table, "none"), _point(table, "dp_sgd", 16.0)
    n1 = int(strong.is_member.sum())
    chance_spread = 0.01 + 3 * np.sqrt(0.01 * 0.99 / n1)  # TPR of a useless attack at 1 % FPR, + 3 sd
    assert strong.lira["tpr_at_1%"] <= chance_spread
    assert undefended.lira["tpr_at_1%"] > 5 * chance_spread  # the undefended model does leak
    assert strong.test_acc < undefended.test_acc - 0.05
    assert strong.epsilon < 0.5


def test_the_loss_attack_flatters_defences(table):
    """Against every non-DP defence the weak attack finds far less than LiRA with same-recipe references."""
    for p in table.points:
        if p.defence in ("weight_decay", "relaxloss", "none"):
            assert p.loss["tpr_at_1%"] < p.lira["tpr_at_1%"] - 0.05, p.label
            assert p.loss["auc"] < p.lira["auc"], p.label


def test_every_dp_model_stays_under_its_advantage_bound(table):
    """A broken DP-SGD (no noise, no clipping) would break this: its model's advantage is measured too."""
    for p in table.points:
        if p.epsilon is None:
            continue
        bound = dp_advantage_bound(p.epsilon, p.delta)
        for scores in (p.lira_scores, p.loss_scores):
            low, _ = metrics.bootstrap_ci(metrics.advantage, scores, p.is_member, n_boot=200, seed=0)
            assert low <= bound, (p.label, low, bound)
        assert proven_epsilon(p) <= p.epsilon  # the ε the attack proves (95 %) never exceeds the accountant's
    strong = _point(table, "dp_sgd", 16.0)
    bound = dp_advantage_bound(strong.epsilon, strong.delta)
    assert bound < 0.15
    # the same recipe without DP-SGD leaks far more than the bound allows: the check has teeth
    data = _Data(table.setting)
    plain = train(strong.config.replace(dp_noise_multiplier=None), data.X_train, data.y_train, n_classes=10)
    scores = -signals.loss(plain.logits(data.X), data.y)
    low, _ = metrics.bootstrap_ci(metrics.advantage, scores, data.is_member, n_boot=200, seed=0)
    assert low > bound


def test_table_json_and_pareto(table):
    out = table.to_json()
    assert list(out) == list(GRID)
    for name, rows in out.items():
        assert len(rows) == len(GRID[name])
        for row in rows:
            assert tuple(row) == COLUMNS
            assert (row["epsilon"] is None) == (name != "dp_sgd")
    json.dumps(out)  # plain JSON
    front = table.pareto()
    assert _point(table, "dp_sgd", 16.0) in front  # the least exposed model is always on the frontier
    assert "pareto" in table.format()


def test_figures_render(table, tmp_path):
    fig = frontier_figure(table)
    fig.savefig(tmp_path / "frontier.png", dpi=60)
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_ylabel() == "test accuracy"
    roc = dp_roc_figure(_point(table, "dp_sgd", 16.0))
    roc.savefig(tmp_path / "roc.png", dpi=60)
    assert "DP ceiling" in " ".join(t.get_text() for t in roc.axes[0].get_legend().get_texts())
    assert "within the accountant's" in roc.axes[0].get_title()


def test_dp_ceiling_is_the_kairouz_region():
    f = np.geomspace(1e-4, 1, 50)
    c = dp_ceiling(f, 1.0, 0.0)
    assert np.all(c <= np.exp(1.0) * f + 1e-12) and np.all(c <= 1)
    assert np.all(1 - f <= np.exp(1.0) * (1 - c) + 1e-9)  # the mirrored constraint holds too
    fine = np.linspace(0, 1, 100_001)
    assert np.max(dp_ceiling(fine, 1.0, 0.01) - fine) == pytest.approx(dp_advantage_bound(1.0, 0.01), abs=1e-4)


def test_relaxloss_follows_the_paper():
    torch.manual_seed(0)
    logits = torch.randn(32, 5, requires_grad=True)
    y = torch.randint(0, 5, (32,))
    ce = torch.nn.functional.cross_entropy(logits, y)
    assert relaxloss(logits, y, 0.5, 0).item() == pytest.approx(abs(ce.item() - 0.5))  # even epoch: |L − α|
    assert relaxloss(logits, y, 0.5, 1).item() == pytest.approx(ce.item())  # odd epoch, L > α: descent
    flat = relaxloss(logits, y, 10.0, 1)  # odd epoch, L < α: posterior flattening
    p = logits.softmax(1).detach()
    p_y = p[torch.arange(32), y]
    soft = torch.full_like(p, 0.0) + ((1 - p_y) / 4)[:, None]
    soft[torch.arange(32), y] = p_y
    wrong = (logits.argmax(1) != y).float()
    ce_each = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    expected = (wrong * -(soft * logits.log_softmax(1)).sum(1) - ce_each).mean()
    assert flat.item() == pytest.approx(expected.item(), rel=1e-6)


def test_relaxloss_keeps_the_member_loss_near_alpha():
    from mia_edu.data import load_dataset

    ds = load_dataset("mnist1d")
    X, y = ds.X[:400], ds.y[:400]
    cfg = TrainConfig(epochs=200, hidden=128)
    plain = train(cfg, X, y, n_classes=10)
    relaxed = train(cfg.replace(relaxloss_alpha=1.0), X, y, n_classes=10)
    assert signals.loss(plain.logits(X), y).mean() < 0.3
    assert abs(signals.loss(relaxed.logits(X), y).mean() - 1.0) < 0.25


def test_early_stopping_uses_only_the_validation_split():
    s = make_split(1000, train_size=300, holdout_size=300, validation_size=100, seed=1)
    assert len(s.validation) == 100
    assert not set(s.validation) & (set(s.train) | set(s.holdout))
    idx, _ = s.evaluation()
    assert not set(s.validation) & set(idx)  # never scored as a non-member
    old = make_split(1000, train_size=300, holdout_size=300, seed=1)
    np.testing.assert_array_equal(old.train, s.train)  # backward compatible draws
    np.testing.assert_array_equal(old.holdout, s.holdout)
    assert len(old.validation) == 0
    assert early_stopping_epochs([1.0, 0.5, 0.6, 0.7, 0.4], 2) == 4
    assert early_stopping_epochs([1.0, 0.9, 0.8], 5) == 3


def test_early_stopped_model_is_the_prefix_of_the_long_run():
    """Full-batch training with one seed: the model stopped at epoch e is train(epochs=e)."""
    setting = FrontierSetting("mnist1d", n_members=200, validation_size=100, base=TrainConfig(epochs=150, hidden=64),
                              n_reference=2)
    point = evaluate_defence(setting, "early_stopping", 3)
    data = _Data(setting)
    long = train(setting.base, data.X_train, data.y_train, X_eval=data.X_val, y_eval=data.y_val, n_classes=10)
    stop = early_stopping_epochs(long.history["test_loss"], 3)
    assert point.config.epochs == stop < 150
    short = train(setting.base.replace(epochs=stop), data.X_train, data.y_train, X_eval=data.X_val,
                  y_eval=data.y_val, n_classes=10, use_cache=False)
    np.testing.assert_allclose(short.history["test_loss"], long.history["test_loss"][:stop], rtol=1e-5)


def test_pareto_and_recipes():
    assert pareto_mask([0.5, 0.5, 0.4], [0.1, 0.2, 0.05]).tolist() == [True, False, True]
    assert defended_config(TrainConfig(), "dp_sgd", 2.0).dp_noise_multiplier == 2.0
    assert defended_config(TrainConfig(), "none", None) == TrainConfig()
    assert len(parse_defences(None)) == len(DEFENCES) >= 7
    assert all(len(d.strengths) >= 3 for n, d in DEFENCES.items() if n != "none")
    assert parse_defences("none, dp_sgd") == {"none": (None,), "dp_sgd": DEFENCES["dp_sgd"].strengths}


@pytest.mark.parametrize("call, error, match", [
    (lambda: parse_defences("nope"), ValueError, "defence must be one of"),
    (lambda: parse_defences(""), ValueError, "defence"),
    (lambda: defended_config(TrainConfig(), "weight_decay", None), ValueError, "strength"),
    (lambda: defended_config(TrainConfig(), "early_stopping", 5), ValueError, "stop_epoch"),
    (lambda: defended_config("x", "none", None), TypeError, "base"),
    (lambda: TrainConfig(relaxloss_alpha=0.0), ValueError, "relaxloss_alpha"),
    (lambda: TrainConfig(relaxloss_alpha="1"), TypeError, "relaxloss_alpha"),
    (lambda: FrontierSetting(n_reference=1), ValueError, "n_reference"),
    (lambda: evaluate_defence(FrontierSetting("digits", n_members=1000), "none"), ValueError, "n_members"),
    (lambda: early_stopping_epochs([], 1), ValueError, "val_loss"),
])
def test_bad_input_is_refused(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_defend_command_prints_json_keyed_by_defence(capsys):
    from mia_edu.__main__ import main

    assert main(["defend", "--dataset", "digits", "--defences", "none,weight_decay", "--references", "2",
                 "--members", "100", "--json", "--no-progress"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    data = json.loads(out[-1])
    assert list(data) == ["none", "weight_decay"] and len(data["weight_decay"]) == 3
    assert all(tuple(row) == COLUMNS for rows in data.values() for row in rows)
    assert any(line.startswith("defence") for line in out)  # the table came first
    with pytest.raises(SystemExit) as stop:
        main(["defend", "--defences", "nope"])
    assert stop.value.code == 2
    assert "defence must be one of" in capsys.readouterr().err
