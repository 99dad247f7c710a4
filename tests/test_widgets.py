"""Headless tests of the course's panels: drive them as a student does (set values, click buttons)
and check that numbers, readouts and figures follow — never stale, never a swallowed error."""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest

from mia_edu import metrics
from mia_edu._threads import single_thread
from mia_edu.data import load_dataset
from mia_edu.signals import SIGNALS, compute_signals
from mia_edu.splits import make_split
from mia_edu.training import TrainConfig, train
from mia_edu.widgets import OverfittingExplorer, ResultCache, Setting, overfitting_explorer

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC, "image is not a PNG"
    return struct.unpack(">II", data[16:24])


def readout_numbers(panel) -> dict[str, str]:
    """The readout's rows as {label: value text}."""
    rows = re.findall(r"<td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>", panel.readout.value)
    return {k: v for k, v in rows}


@pytest.fixture(scope="module")
def explorer():
    """A mid-sized explorer on MNIST-1D (500 members / 500 non-members): big enough for the
    weight-decay effect to be many standard errors, small enough to train in ~0.1 s."""
    return OverfittingExplorer("mnist1d", train_sizes=(250, 500), holdout_size=500, epochs_range=(10, 150, 10),
                               config=TrainConfig(epochs=100, hidden=128))


def small_explorer(**kwargs) -> OverfittingExplorer:
    opts = dict(train_sizes=(100, 200), holdout_size=200, epochs_range=(10, 20, 10), hidden_options=(16, 32),
                weight_decays=(0.0, 1e-2), label_smoothings=(0.0, 0.1), dropouts=(0.0, 0.2),
                config=TrainConfig(epochs=20, hidden=32))
    opts.update(kwargs)
    return OverfittingExplorer("mnist1d", **opts)


# ---- construction --------------------------------------------------------------------------------
def test_construction_warms_up_and_shows_a_figure(explorer):
    assert explorer.errors == []
    assert explorer.result is not None and explorer.result.setting == explorer.setting()
    w, h = png_size(bytes(explorer.image.value))
    assert 800 <= w <= 1240 and h <= 400, "figure must fit a 1280×800 projector below the controls"
    nums = readout_numbers(explorer)
    r = explorer.result
    assert nums["train accuracy"] == f"{r.train_acc:.3f}"
    assert nums["AUC (loss attack)"] == f"{r.attack['loss']['auc']:.3f}"
    # the default model overfits MNIST-1D: a visible gap and a leaking loss attack
    assert r.gap > 0.2 and r.attack["loss"]["auc"] > 0.6


def test_retraining_sliders_update_only_on_release(explorer):
    for control in explorer.controls.values():
        assert control.continuous_update is False, control.description


# ---- knobs move the numbers the way the lesson says ------------------------------------------------
def test_weight_decay_up_lowers_auc_and_redraws(explorer):
    explorer.weight_decay.value = 0.0
    before = explorer.result
    png_before, readout_before = bytes(explorer.image.value), explorer.readout.value
    roc_before = explorer.artists["roc"].get_ydata().copy()
    explorer.weight_decay.value = 3e-2
    after = explorer.result
    assert explorer.errors == []
    assert after.setting.weight_decay == 3e-2
    se = metrics.auc_null_std(500, 500)  # ≈0.018
    drop = before.attack["loss"]["auc"] - after.attack["loss"]["auc"]
    assert drop > 3 * se, f"weight decay 3e-2 should cut the loss-attack AUC; drop {drop:.3f}"
    assert after.gap < before.gap
    assert bytes(explorer.image.value) != png_before and explorer.readout.value != readout_before
    assert readout_numbers(explorer)["AUC (loss attack)"] == f"{after.attack['loss']['auc']:.3f}"
    # the ROC drawn is the ROC of the new result, not the old one
    fpr, tpr, _ = metrics.roc_curve(after.score("loss"), after.is_member)
    np.testing.assert_allclose(explorer.artists["roc"].get_ydata(), np.maximum(tpr, 1 / 500))
    assert not np.array_equal(explorer.artists["roc"].get_ydata(), roc_before)


def test_more_epochs_more_gap_and_longer_curves(explorer):
    explorer.weight_decay.value = 0.0
    explorer.epochs.value = 10
    short = explorer.result
    assert len(explorer.artists["train"].get_xdata()) == 10
    explorer.epochs.value = 150
    long = explorer.result
    assert len(explorer.artists["train"].get_xdata()) == 150
    assert long.gap > short.gap + 0.1
    assert long.attack["loss"]["auc"] > short.attack["loss"]["auc"]
    explorer.epochs.value = 100


def test_signal_dropdown_rescoring_does_not_retrain(explorer):
    explorer.signal.value = "loss"
    result, misses = explorer.result, explorer.cache.misses
    explorer.signal.value = "confidence"
    assert explorer.result is result and explorer.cache.misses == misses
    nums = readout_numbers(explorer)
    assert nums["AUC (confidence attack)"] == f"{result.attack['confidence']['auc']:.3f}"
    assert explorer.axes[1].get_xlabel() == "confidence"
    explorer.signal.value = "loss"


def test_readout_agrees_with_an_independent_computation(explorer):
    """Train the same model by hand and score the loss attack: the panel's numbers must match."""
    explorer.epochs.value, explorer.hidden.value, explorer.train_size.value = 60, 64, 250
    r = explorer.result
    ds = load_dataset("mnist1d", n_samples=1000, seed=0)
    split = make_split(len(ds), train_size=500, holdout_size=500, seed=0)
    members = split.train[:250]
    model = train(TrainConfig(epochs=60, hidden=64), ds.X[members], ds.y[members],
                  X_eval=ds.X[split.holdout], y_eval=ds.y[split.holdout], n_classes=10)
    idx = np.r_[members, split.holdout]
    loss = compute_signals(model.logits(ds.X[idx]), ds.y[idx])["loss"]
    is_member = np.r_[np.ones(250, bool), np.zeros(500, bool)]
    assert r.attack["loss"]["auc"] == pytest.approx(metrics.roc_auc(-loss, is_member), abs=1e-12)
    assert r.attack["loss"]["tpr_at_1%"] == pytest.approx(metrics.tpr_at_fpr(-loss, is_member, 0.01))
    assert r.train_acc == pytest.approx(model.accuracy(ds.X[members], ds.y[members]))
    explorer.epochs.value, explorer.hidden.value, explorer.train_size.value = 100, 128, 500


def test_revisiting_a_setting_is_served_from_memory(explorer):
    explorer.epochs.value = 100
    first = explorer.result
    explorer.epochs.value = 110
    hits = explorer.cache.hits
    explorer.epochs.value = 100
    assert explorer.result is first and explorer.cache.hits == hits + 1
    assert "from memory" in explorer.status.value


# ---- robustness ---------------------------------------------------------------------------------------
def test_200_random_moves_stay_consistent():
    """Random slider moves and signal changes: no exception, and after every move the result, the
    readout, the figure's data and the image all belong to the setting the sliders show."""
    panel = small_explorer()
    rng = np.random.default_rng(0)
    figure, n_lines = panel.figure, len(panel.axes[0].lines)
    names = [*panel.controls, "signal"]
    for _ in range(200):
        name = names[rng.integers(len(names))]
        control = panel.signal if name == "signal" else panel.controls[name]
        if name == "epochs":
            control.value = int(rng.choice([10, 20]))
        else:
            options = [v for _, v in control.options] if name != "signal" else list(control.options)
            control.value = options[rng.integers(len(options))]
        setting, signal = panel.setting(), panel.signal.value
        assert panel.result.setting == setting
        assert panel.shown_signal == signal
        assert bytes(panel.image.value) == panel._png_cache.get((setting, signal))
        assert readout_numbers(panel)[f"AUC ({signal} attack)"] == f"{panel.result.attack[signal]['auc']:.3f}"
        assert len(panel.artists["train"].get_xdata()) == setting.epochs
    assert panel.errors == []
    assert panel.figure is figure and len(panel.axes[0].lines) == n_lines, "figure must update in place"
    # a fresh panel moved straight to the final setting draws the same numbers and the same image
    fresh = small_explorer(warm_up=False)
    for name, control in panel.controls.items():
        fresh.controls[name].value = control.value
    fresh.signal.value = panel.signal.value
    assert fresh.result.attack == panel.result.attack
    assert bytes(fresh.image.value) == bytes(panel.image.value)


def test_callback_errors_are_shown_not_swallowed(monkeypatch):
    panel = small_explorer()

    def broken(setting):
        raise ValueError("the model exploded")

    monkeypatch.setattr(panel, "compute", broken)
    panel.epochs.value = 10
    assert len(panel.errors) == 1 and isinstance(panel.errors[0], ValueError)
    assert "the model exploded" in panel.status.value and "Error" in panel.status.value
    streams = [o for o in panel.output.outputs if o.get("name") == "stderr"]
    assert streams and "Traceback" in streams[0]["text"] and "the model exploded" in streams[0]["text"]
    monkeypatch.undo()
    panel.epochs.value = 20
    assert panel.result.setting.epochs == 20 and "Error" not in panel.status.value


def test_display_bundle_has_live_widget_and_static_snapshot():
    panel = small_explorer()
    bundle = panel._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.widget.model_id
    assert "data:image/png;base64," in bundle["text/html"] and "Leakage at this setting" in bundle["text/html"]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="signal"):
        small_explorer(signal="nope")
    with pytest.raises(ValueError, match="epochs_range"):
        small_explorer(config=TrainConfig(epochs=500))
    with pytest.raises(TypeError, match="config"):
        small_explorer(config={"epochs": 10})
    with pytest.raises(ValueError, match="unknown dataset"):
        overfitting_explorer("imagenet", warm_up=False)
    with pytest.raises(TypeError, match="train_sizes"):
        small_explorer(train_sizes=(100.5,))


# ---- plumbing ---------------------------------------------------------------------------------------
def test_result_cache_is_lru():
    c = ResultCache(maxsize=2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1
    c.put("c", 3)
    assert "b" not in c and "a" in c and len(c) == 2
    assert c.hits == 1 and c.get("zz") is None and c.misses == 1
    with pytest.raises(ValueError, match="maxsize"):
        ResultCache(0)


def test_torch_threads_is_restored():
    import torch

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), single_thread():
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == before


def test_setting_is_hashable_and_complete():
    s = Setting(epochs=10, hidden=16, weight_decay=0.0, train_size=100, label_smoothing=0.0, dropout=0.0)
    assert {s: 1}[Setting(**vars(s))] == 1
    assert set(SIGNALS) >= {"loss", "confidence"}


# ---- signal explorer (notebook 03) -------------------------------------------------------------------
@pytest.fixture(scope="module")
def target_logits():
    """An overfit MLP's logits on 500 members and 500 non-members of MNIST-1D."""
    ds = load_dataset("mnist1d", n_samples=1000, seed=0)
    split = make_split(len(ds), train_size=500, holdout_size=500, seed=0)
    model = train(TrainConfig(epochs=100, hidden=128), ds.X[split.train], ds.y[split.train], n_classes=10)
    idx, is_member = split.evaluation()
    return model.logits(ds.X[idx]), ds.y[idx], is_member


def test_signal_explorer_numbers_match_metrics(target_logits):
    from mia_edu.widgets import signal_explorer

    logits, y, m = target_logits
    panel = signal_explorer(logits, y, m)
    sig = compute_signals(logits, y)
    v = panel.view
    assert v.attack["loss"]["auc"] == pytest.approx(metrics.roc_auc(-sig["loss"], m), abs=1e-12)
    assert v.attack["entropy"]["auc"] == pytest.approx(metrics.roc_auc(-sig["entropy"], m), abs=1e-12)
    # loss, confidence and scaled logit are monotone in p_y: the same ranking, the same ROC
    assert v.attack["loss"]["auc"] == pytest.approx(v.attack["confidence"]["auc"], abs=1e-12)
    assert v.attack["loss"]["auc"] == pytest.approx(v.attack["scaled_logit"]["auc"], abs=1e-12)
    assert v.attack["loss"]["auc"] > 0.6
    # one class: numbers of that class only, readout and figure follow
    png = bytes(panel.image.value)
    panel.target_class.value = 3
    keep = y == 3
    assert panel.view.attack["loss"]["auc"] == pytest.approx(metrics.roc_auc(-sig["loss"][keep], m[keep]), abs=1e-12)
    assert f"{int(m[keep].sum())} members" in panel.readout.value
    assert bytes(panel.image.value) != png and "true class 3" in panel.axes[0].get_title()
    panel.signal.value = "entropy"
    assert "▶ entropy" in panel.readout.value and panel.artists["entropy"].get_linewidth() == 3.0
    assert panel.errors == []


def test_signal_explorer_bad_input(target_logits):
    from mia_edu.widgets import signal_explorer

    logits, y, m = target_logits
    with pytest.raises(ValueError, match="is_member"):
        signal_explorer(logits, y, np.ones(len(y), bool))
    with pytest.raises(ValueError, match="logits"):
        signal_explorer(logits[:10], y, m)
    with pytest.raises(ValueError, match="signal"):
        signal_explorer(logits, y, m, signal="margin")


# ---- Bayes-error lab (notebook 06) --------------------------------------------------------------------
def test_bayes_lab_exact_answers_and_estimates():
    from mia_edu.information import gaussian_case
    from mia_edu.widgets import bayes_error_lab

    lab = bayes_error_lab(n=1000)
    r = lab.result
    assert r.case.bayes_error == pytest.approx(0.3085, abs=1e-4)  # Φ(−1/2), unit Gaussians 1 apart
    assert "0.309" in lab.readout.value
    lo, hi = r.bounds_exact
    assert lo <= r.case.bayes_error <= hi
    # a large sample: the optimal rule's error and the MI estimate close in on the truth
    lab.n.value = 10000
    r = lab.result
    assert abs(r.empirical_error - r.case.bayes_error) < 4 * np.sqrt(0.25 / 10000) + 0.005
    assert r.mi.low - 0.01 <= gaussian_case(1.0).mi_bits <= r.mi.high + 0.01
    # no signal: μ = 0, σ₁ = 1 gives Bayes error 1/2, zero advantage and zero information
    lab.mu.value = 0.0
    r = lab.result
    assert r.case.bayes_error == pytest.approx(0.5) and r.case.advantage == pytest.approx(0.0, abs=1e-12)
    assert r.bounds_exact == pytest.approx((0.5, 0.5))
    # a new draw: same truth, new sample, new picture
    png, x = bytes(lab.image.value), r.x
    lab.resample.click()
    assert lab.result.seed == 1 and not np.array_equal(lab.result.x, x) and bytes(lab.image.value) != png
    assert lab.result.case.bayes_error == pytest.approx(0.5)
    assert lab.errors == []


def test_bayes_lab_bad_input():
    from mia_edu.widgets import bayes_error_lab

    with pytest.raises(ValueError, match="n must be one of"):
        bayes_error_lab(n=7)
    with pytest.raises(ValueError, match="sigma1"):
        bayes_error_lab(sigma1=-1.0)


# ---- unlearning lab (notebook 07) ---------------------------------------------------------------------
def test_unlearning_lab_runs_on_the_button():
    from mia_edu.widgets import unlearning_lab

    lab = unlearning_lab(sizes={"train_size": 800, "validation_size": 600, "test_size": 300}, forget_sizes=(100, 200),
                         config=TrainConfig(epochs=150, hidden=128), method="none")
    none = lab.result
    assert lab.errors == [] and lab.progress.value == lab.progress.max and not lab.run_button.disabled
    # no unlearning at all: the forget set still looks like members, far more than after retraining
    r, y = none.report, none.yardstick
    assert r.attack_auc > 0.6
    assert r.forget_member_rate > y.forget_member_rate + 0.15
    assert r.verdict == "under-unlearning"
    assert f"{r.forget_member_rate:.1%}" in lab.readout.value
    # the paired gap to retraining with its interval and the margin (issue 10)
    v = r.vs_retrain
    assert f"{v.gap:+.1%} [{v.low:+.1%}, {v.high:+.1%}]" in lab.readout.value and "margin ±5%" in lab.readout.value
    # retraining from scratch *is* the yardstick: same rates, verdict "as retraining"
    png = bytes(lab.image.value)
    lab.method.value = "retrain"
    assert lab.result is none, "changing the dropdown alone must not run anything"
    lab.run_button.click()
    rt = lab.result.report
    assert rt.forget_member_rate == pytest.approx(y.forget_member_rate) and rt.verdict == "as retraining"
    assert bytes(lab.image.value) != png
    heights = [b.get_height() for b in lab.artists["bars_method"]]
    assert heights == pytest.approx([rt.retain_member_rate, rt.forget_member_rate, rt.validation_member_rate])
    # revisiting a setting is served from memory
    lab.method.value = "none"
    lab.run_button.click()
    assert lab.result is none and lab.errors == []


def test_unlearning_lab_bad_method():
    from mia_edu.widgets import unlearning_lab

    with pytest.raises(ValueError, match="method must be one of"):
        unlearning_lab(method="forget_everything", run_at_start=False)


# ---- shadow / LiRA lab (notebook 05) ------------------------------------------------------------------
def test_shadow_lab_runs_on_the_button_and_shows_one_candidate():
    from mia_edu.widgets import shadow_lab

    kw = dict(n_members=200, config=TrainConfig(epochs=80, hidden=128), references=(2, 4), n_reference=2,
              progress=False)
    lab = shadow_lab(**kw)
    r = lab.result
    assert lab.errors == [] and r.n_reference == 2 and r.fits["phi_ref"].shape == (2, 400)
    assert r.auc == pytest.approx(metrics.roc_auc(r.scores, lab.is_member), abs=1e-12)
    assert f"{r.auc:.3f}" in lab.readout.value and lab.progress.value == lab.progress.max
    # the per-example view: rugs hold exactly this candidate's IN and OUT reference values
    lab.sample.value = 7
    in_mask = r.fits["in_mask"][:, 7]
    assert len(lab.artists["rug_in"].get_xdata()) == int(in_mask.sum())
    np.testing.assert_allclose(lab.artists["target"].get_xdata(), [r.phi_target[7]] * 2)
    assert lab.result is r and "candidate #7" in lab.axes[1].get_title()
    lab.most_exposed.click()
    i = lab.sample.value
    assert lab.is_member[i] and r.scores[i] == r.scores[lab.is_member].max()
    # the slider alone does not retrain; the button does
    lab.n_reference.value = 4
    assert lab.result is r
    lab.run_button.click()
    assert lab.result.n_reference == 4 and lab.result.fits["phi_ref"].shape == (4, 400)
    # same settings, fresh panel: the same scores (seeded subsets, cached models)
    again = shadow_lab(**{**kw, "n_reference": 4})
    np.testing.assert_array_equal(again.result.scores, lab.result.scores)
    assert lab.errors == [] and again.errors == []


def test_shadow_lab_bad_input():
    from mia_edu.widgets import shadow_lab

    with pytest.raises(ValueError, match="n_reference must be one of"):
        shadow_lab(n_members=50, references=(2, 4), n_reference=3, run_at_start=False)
