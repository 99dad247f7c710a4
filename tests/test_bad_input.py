"""Bad input, tried as a careless user would (issue 10): each case is a clear ValueError/TypeError
that names the argument, never a silent result, a hang or a raw traceback from deep inside.

``CASES`` is the list of bad inputs; ``python tests/test_bad_input.py`` counts how many of them give a
clear error on the code it runs against (used to measure before and after the fix).
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mia_edu import cache, information, metrics, signals  # noqa: E402
from mia_edu.__main__ import main  # noqa: E402
from mia_edu.attacks import ClassifierAttack, LiRA, ThresholdAttack, audit  # noqa: E402
from mia_edu.data import load_dataset  # noqa: E402
from mia_edu.splits import make_split, make_unlearning_split, random_subsets  # noqa: E402
from mia_edu.training import TrainConfig, train, train_many  # noqa: E402
from mia_edu.unlearning import unlearning_experiment  # noqa: E402

_SMALL = TrainConfig(epochs=2, hidden=8)


def _ds():
    return load_dataset("digits", n_samples=120)


def _model():
    ds = _ds()
    return train(_SMALL, ds.X, ds.y, n_classes=10)


def _bank():
    ds = _ds()
    return train_many(_SMALL, ds.X, ds.y, random_subsets(len(ds), 2, seed=0), progress=False, route="sequential")


def _scores():
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(1, 1, 50), rng.normal(0, 1, 50)], np.r_[np.ones(50, bool), np.zeros(50, bool)]


def _signals():
    s, m = _scores()
    return s[:, None], m


def _train(**kw):
    ds = _ds()
    return train(_SMALL, ds.X, ds.y, **kw)


def _config(**kw):
    return train(TrainConfig(**{"epochs": 2, "hidden": 8, **kw}), _ds().X, _ds().y)


def _logits_with(value):
    z = np.zeros((4, 3), dtype=object if isinstance(value, str) else np.float64)
    z[1, 1] = value
    return z


# (id, thunk, exception type(s), regex the message must match: it names the argument)
CASES = [
    # -- training --------------------------------------------------------------------------------
    ("logits_batch_size_negative", lambda: _model().logits(_ds().X, batch_size=-1), ValueError, "batch_size"),
    ("logits_batch_size_zero", lambda: _model().logits(_ds().X, batch_size=0), ValueError, "batch_size"),
    ("logits_batch_size_float", lambda: _model().logits(_ds().X, batch_size=2.5), TypeError, "batch_size"),
    ("bank_logits_batch_size_negative", lambda: _bank().logits(_ds().X, batch_size=-1), ValueError, "batch_size"),
    ("n_classes_float", lambda: _train(n_classes=10.7), TypeError, "n_classes"),
    ("n_classes_string", lambda: _train(n_classes="10"), TypeError, "n_classes"),
    ("n_classes_zero", lambda: _train(n_classes=0), ValueError, "n_classes"),
    ("n_classes_bool", lambda: _train(n_classes=True), TypeError, "n_classes"),
    ("n_classes_huge", lambda: _train(n_classes=10**9), ValueError, "n_classes"),
    ("n_classes_too_few_for_y", lambda: _train(n_classes=5), ValueError, r"\by\b.*outside"),
    ("device_tpu", lambda: _train(device="tpu"), ValueError, "device"),
    ("device_int", lambda: _train(device=3), TypeError, "device"),
    ("device_cuda_absent", lambda: _train(device="cuda:7"), ValueError, "device"),
    ("many_device_tpu", lambda: train_many(_SMALL, _ds().X, _ds().y, random_subsets(120, 2), device="tpu",
                                           progress=False), ValueError, "device"),
    ("hidden_huge", lambda: TrainConfig(hidden=10**9), ValueError, "hidden"),
    ("hidden_depth_too_many_weights", lambda: _config(hidden=50_000, depth=3), ValueError, "hidden"),
    ("depth_huge", lambda: TrainConfig(depth=10**6), ValueError, "depth"),
    ("epochs_huge", lambda: TrainConfig(epochs=10**9), ValueError, "epochs"),
    ("weight_decay_1e300", lambda: TrainConfig(weight_decay=1e300), ValueError, "weight_decay"),
    ("weight_decay_negative", lambda: TrainConfig(weight_decay=-1.0), ValueError, "weight_decay"),
    ("lr_1e300", lambda: TrainConfig(lr=1e300), ValueError, "lr"),
    ("lr_string", lambda: TrainConfig(lr="fast"), TypeError, "lr"),
    ("seed_2_32", lambda: TrainConfig(seed=2**32), ValueError, "seed"),
    ("seed_2_64", lambda: TrainConfig(seed=2**64), ValueError, "seed"),
    ("seed_negative", lambda: TrainConfig(seed=-1), ValueError, "seed"),
    ("seed_float", lambda: TrainConfig(seed=1.5), TypeError, "seed"),
    ("batch_size_zero", lambda: TrainConfig(batch_size=0), ValueError, "batch_size"),
    ("dropout_one", lambda: TrainConfig(dropout=1.0), ValueError, "dropout"),
    ("arch_unknown", lambda: TrainConfig(arch="resnet"), ValueError, "arch"),
    ("config_not_a_config", lambda: train("fast", _ds().X, _ds().y), TypeError, "config"),
    ("accuracy_labels_out_of_range", lambda: _model().accuracy(_ds().X, _ds().y + 10), ValueError, r"\by\b"),
    ("accuracy_length", lambda: _model().accuracy(_ds().X, _ds().y[:-1]), ValueError, r"\by\b"),
    ("logits_wrong_width", lambda: _model().logits(_ds().X[:, :5]), ValueError, r"\bX\b"),
    ("logits_nan", lambda: _model().logits(np.full((2, 64), np.nan)), ValueError, r"\bX\b"),
    ("train_X_strings", lambda: train(_SMALL, [["a"] * 3] * 4, [0, 1, 0, 1]), TypeError, r"\bX\b"),
    ("train_y_float_labels", lambda: train(_SMALL, _ds().X, _ds().y + 0.5), TypeError, r"\by\b"),
    ("train_empty", lambda: train(_SMALL, np.zeros((0, 4)), np.zeros(0, int)), ValueError, r"\bX\b"),
    # -- data ------------------------------------------------------------------------------------
    ("mnist1d_too_many_samples", lambda: load_dataset("mnist1d", n_samples=10**9), ValueError, "n_samples"),
    ("digits_too_many_samples", lambda: load_dataset("digits", n_samples=5000), ValueError, "n_samples"),
    ("dataset_seed_2_32", lambda: load_dataset("mnist1d", n_samples=100, seed=2**32), ValueError, "seed"),
    ("dataset_unknown", lambda: load_dataset("cifar10"), ValueError, "dataset name"),
    ("dataset_name_int", lambda: load_dataset(3), TypeError, "name"),
    ("dataset_n_samples_float", lambda: load_dataset("mnist1d", n_samples=100.5), TypeError, "n_samples"),
    # -- metrics and signals --------------------------------------------------------------------------
    ("tpr_at_fpr_string", lambda: metrics.tpr_at_fpr(*_scores(), fpr="abc"), TypeError, "fpr"),
    ("tpr_at_fpr_list_with_string", lambda: metrics.tpr_at_fpr(*_scores(), fpr=[0.1, "x"]), TypeError, "fpr"),
    ("tpr_at_fpr_above_one", lambda: metrics.tpr_at_fpr(*_scores(), fpr=2.0), ValueError, "fpr"),
    ("bootstrap_ci_metric_name", lambda: metrics.bootstrap_ci("auc", *_scores()), TypeError, "metric"),
    ("bootstrap_ci_n_boot_small", lambda: metrics.bootstrap_ci(metrics.roc_auc, *_scores(), n_boot=3),
     ValueError, "n_boot"),
    ("roc_auc_scores_strings", lambda: metrics.roc_auc(["a", "b"], [True, False]), TypeError, "scores"),
    ("roc_auc_length", lambda: metrics.roc_auc(_scores()[0], _scores()[1][:-1]), ValueError, "is_member"),
    ("roc_auc_nan", lambda: metrics.roc_auc(np.r_[np.nan, _scores()[0][1:]], _scores()[1]), ValueError, "scores"),
    ("advantage_one_class", lambda: metrics.advantage([0.1, 0.2], [True, True]), ValueError, "is_member"),
    ("log_probs_nan", lambda: signals.log_probs(_logits_with(np.nan)), ValueError, "logits"),
    ("log_probs_strings", lambda: signals.log_probs(_logits_with("x")), TypeError, "logits"),
    ("log_probs_1d", lambda: signals.log_probs(np.zeros(3)), ValueError, "logits"),
    ("loss_labels_out_of_range", lambda: signals.loss(np.zeros((2, 3)), [0, 5]), ValueError, r"\by\b"),
    ("loss_length", lambda: signals.loss(np.zeros((2, 3)), [0]), ValueError, r"\by\b"),
    # -- information -------------------------------------------------------------------------------
    ("bayes_bounds_mi_above_entropy", lambda: information.bayes_error_bounds(2.0), ValueError, "mi_bits"),
    ("bayes_bounds_mi_above_prior_entropy", lambda: information.bayes_error_bounds(0.9, prior=0.2),
     ValueError, "mi_bits"),
    ("bayes_bounds_negative", lambda: information.bayes_error_bounds(-0.1), ValueError, "mi_bits"),
    ("bayes_bounds_prior", lambda: information.bayes_error_bounds(0.1, prior=1.5), ValueError, "prior"),
    ("gaussian_case_string", lambda: information.gaussian_case("a"), TypeError, "mu"),
    ("mutual_information_nan", lambda: information.mutual_information(np.r_[np.nan, _scores()[0][1:]],
                                                                       _scores()[1]), ValueError, "features"),
    ("epsilon_confidence", lambda: information.per_sample_epsilon_estimate(0.5, 0.1, 100, 100, confidence=1.5),
     ValueError, "confidence"),
    ("epsilon_tpr", lambda: information.per_sample_epsilon_estimate(1.2, 0.1, 100, 100), ValueError, "tpr"),
    ("dp_bound_negative", lambda: information.dp_advantage_bound(-1.0), ValueError, "epsilon"),
    ("best_classifier_prior", lambda: information.best_classifier_error(*_signals(), prior=1.5), ValueError,
     "prior"),
    # -- attacks ---------------------------------------------------------------------------------------
    ("threshold_string_labels", lambda: ThresholdAttack().fit(_signals()[0], np.where(_signals()[1], "in", "out")),
     ValueError, "is_member"),
    ("classifier_string_labels", lambda: ClassifierAttack().fit(_signals()[0],
                                                                np.where(_signals()[1], "member", "non-member")),
     ValueError, "is_member"),
    ("score_mismatched_label_type", lambda: ThresholdAttack().fit(*_signals()).score(
        _signals()[0], np.where(_signals()[1], "yes", "no")), ValueError, "is_member"),
    ("attack_nan", lambda: ThresholdAttack().fit(np.full((4, 1), np.nan), [1, 0, 1, 0]), ValueError, r"\bS\b"),
    ("lira_one_reference", lambda: LiRA(_SMALL, n_reference=1).fit(_ds().X, _ds().y), ValueError, "n_reference"),
    ("lira_online_string", lambda: LiRA(_SMALL, online="yes").fit(_ds().X, _ds().y), TypeError, "online"),
    ("audit_train_size_too_big", lambda: audit("digits", train_size=10**6, progress=False), ValueError,
     r"train_size.*1,797"),
    ("audit_dataset_unknown", lambda: audit("cifar10", progress=False), ValueError, "dataset name"),
    ("audit_references", lambda: audit("digits", n_reference=1, progress=False), ValueError, "n_reference"),
    ("audit_config", lambda: audit("digits", config="fast", progress=False), TypeError, "config"),
    ("audit_seed_max", lambda: audit("digits", seed=2**32 - 1, progress=False), ValueError, "seed"),
    # -- splits and unlearning -----------------------------------------------------------------------------
    ("make_split_too_big", lambda: make_split(100, train_size=80, holdout_size=80), ValueError, "n_samples"),
    ("random_subsets_p_in", lambda: random_subsets(10, 2, p_in=1.5), ValueError, "p_in"),
    ("unlearning_split_no_class", lambda: make_unlearning_split(100, train_size=50, validation_size=20,
                                                                test_size=10, forget="class"), TypeError,
     "forget_class"),
    ("unlearning_unknown_method", lambda: unlearning_experiment("digits", methods="magic", progress=False),
     ValueError, "magic"),
    ("unlearning_class_without_class", lambda: unlearning_experiment("digits", forget="class", progress=False),
     ValueError, "forget_class"),
    ("unlearning_forget_mode", lambda: unlearning_experiment("digits", forget="oldest", progress=False),
     ValueError, "forget"),
    ("unlearning_attack", lambda: unlearning_experiment("digits", attack="gbm", progress=False), ValueError,
     "attack"),
    ("unlearning_margin", lambda: unlearning_experiment("digits", margin=2.0, progress=False), ValueError, "margin"),
    ("unlearning_retrain_seeds", lambda: unlearning_experiment("digits", retrain_seeds=0, progress=False),
     ValueError, "retrain_seeds"),
    ("paired_gap_lengths", lambda: _paired_gap()(np.ones(5, bool), np.ones(4, bool)), ValueError, "called"),
    ("paired_gap_values", lambda: _paired_gap()(np.arange(5), np.ones(5, bool)), ValueError, "called"),
    ("paired_gap_margin", lambda: _paired_gap()(np.ones(5, bool), np.ones(5, bool), margin=0.0), ValueError,
     "margin"),
    ("mnist1d_too_few_samples", lambda: load_dataset("mnist1d", n_samples=5), ValueError, "n_samples"),
    ("mutual_information_method", lambda: information.mutual_information(*_scores(), method="magic"), ValueError,
     "method"),
    ("best_classifier_cv", lambda: information.best_classifier_error(*_signals(), cv=1), ValueError, "cv"),
    ("bayes_lab_n", lambda: _bayes_lab()(n=5, warm_up=False), ValueError, r"\bn\b"),
    ("shadow_attack_n_shadow", lambda: _shadow()(_SMALL, n_shadow=0).fit(_ds().X, _ds().y), ValueError,
     "n_shadow"),
    ("lira_score_before_fit", lambda: LiRA(_SMALL).score_target(_model(), _ds().X, _ds().y), RuntimeError,
     "fit"),
    ("metrics_fpr_nan", lambda: metrics.tpr_at_fpr(*_scores(), fpr=float("nan")), ValueError, "fpr"),
]


def _paired_gap():
    from mia_edu.unlearning import paired_gap

    return paired_gap


def _bayes_lab():
    from mia_edu.widgets.bayes import BayesErrorLab

    return BayesErrorLab


def _shadow():
    from mia_edu.attacks import ShadowModelAttack

    return ShadowModelAttack

# (id, argv, regex on the one-line error)
CLI_CASES = [
    ("cli_audit_weight_decay_1e300", ["audit", "--weight-decay", "1e300"], "weight_decay"),
    ("cli_audit_weight_decay_nan", ["audit", "--weight-decay", "nan"], "--weight-decay"),
    ("cli_audit_epochs_zero", ["audit", "--epochs", "0"], "--epochs"),
    ("cli_audit_epochs_huge", ["audit", "--epochs", "1000000000"], "epochs"),
    ("cli_audit_epochs_text", ["audit", "--epochs", "many"], "--epochs"),
    ("cli_audit_references_one", ["audit", "--references", "1"], "--references"),
    ("cli_audit_references_huge", ["audit", "--references", "100000"], "n_reference"),
    ("cli_audit_seed_negative", ["audit", "--seed", "-1"], "--seed"),
    ("cli_audit_seed_2_64", ["audit", "--seed", str(2**64)], "seed"),
    ("cli_audit_dataset", ["audit", "--dataset", "cifar"], "--dataset"),
    ("cli_unlearn_class_without_class", ["unlearn", "--forget", "class"], "forget-class|forget_class"),
    ("cli_unlearn_class_with_random", ["unlearn", "--forget-class", "3"], "forget-class|forget_class"),
    ("cli_unlearn_class_out_of_range", ["unlearn", "--forget", "class", "--forget-class", "42"], "forget_class"),
    ("cli_unlearn_methods", ["unlearn", "--methods", "magic"], "magic"),
    ("cli_unlearn_forget_size_huge", ["unlearn", "--forget-size", "100000"], "forget_size"),
    ("cli_unlearn_seed_2_64", ["unlearn", "--seed", str(2**64)], "seed"),
    ("cli_unlearn_attack", ["unlearn", "--attack", "gbm"], "--attack"),
]


@pytest.mark.parametrize("thunk, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_a_clear_error(thunk, exc, match):
    start = time.perf_counter()
    with pytest.raises(exc, match=match):
        thunk()
    assert time.perf_counter() - start < 30  # refused up front, not after minutes of work


@pytest.mark.parametrize("argv, match", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_misuse_is_one_line_before_any_training(argv, match, capsys, monkeypatch):
    import mia_edu.training.single as single

    def no_training(*args, **kwargs):
        raise AssertionError("the command trained a model before rejecting its arguments")

    monkeypatch.setattr(single, "fit_module", no_training)
    with pytest.raises(SystemExit) as exit_info:
        main(argv + ["--no-progress"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    assert re.search(match, err.splitlines()[-1]), err


# -- cache entries: a broken entry is recomputed, never returned -------------------------------------------

def _entry_path(kind: str):
    paths = sorted((cache.cache_dir() / kind).glob("*.npz"), key=lambda p: p.stat().st_mtime)
    return paths[-1]


def _rewrite(path, change):
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(path, **arrays)


@pytest.mark.parametrize("change", [
    lambda a: a.__setitem__("X", a["X"][:10]),                       # other shapes
    lambda a: a["X"].__setitem__((0, 0), np.nan) or a.__setitem__("X", a["X"]),  # NaN
    lambda a: a.__setitem__("y", a["y"] + 10),                       # wrong labels
    lambda a: a.__setitem__("Z", a.pop("X")),                        # other keys
], ids=["shape", "nan", "labels", "keys"])
def test_a_changed_dataset_entry_is_regenerated(change):
    fresh = load_dataset("mnist1d", n_samples=130, seed=7)
    _rewrite(_entry_path("data"), change)
    again = load_dataset("mnist1d", n_samples=130, seed=7)
    np.testing.assert_array_equal(again.X, fresh.X)
    np.testing.assert_array_equal(again.y, fresh.y)


@pytest.mark.parametrize("seed, change", [
    (11, lambda a: [a.__setitem__(k, np.full_like(v, np.nan)) for k, v in list(a.items()) if k.startswith("w/")]),
    (12, lambda a: [a.__setitem__(k, np.zeros_like(v)) for k, v in list(a.items()) if k.startswith("w/")]),
], ids=["nan_weights", "zero_weights"])
def test_a_changed_model_entry_is_retrained(seed, change):
    ds = _ds()
    config = TrainConfig(epochs=3, hidden=8, seed=seed)
    fresh = train(config, ds.X, ds.y, n_classes=10)
    assert not fresh.from_cache
    _rewrite(_entry_path("models"), change)
    again = train(config, ds.X, ds.y, n_classes=10)
    assert not again.from_cache  # the changed entry was not a hit: retrained
    np.testing.assert_array_equal(again.logits(ds.X), fresh.logits(ds.X))
    assert train(config, ds.X, ds.y, n_classes=10).from_cache  # and the retrained one is stored again


def _count() -> None:
    """Count the cases that give a clear error (the right exception type, naming the argument)."""
    import contextlib
    import io
    import signal

    class Hang(Exception):
        pass

    def alarm(*_):
        raise Hang

    signal.signal(signal.SIGALRM, alarm)
    clear, unclear = 0, []
    for name, thunk, exc, match in CASES:
        signal.alarm(30)
        try:
            thunk()
            unclear.append(f"{name}: silent (no error)")
        except Hang:
            unclear.append(f"{name}: still running after 30 s")
        except exc as e:
            if re.search(match, str(e)):
                clear += 1
            else:
                unclear.append(f"{name}: {type(e).__name__} without the argument: {str(e)[:100]}")
        except Exception as e:  # noqa: BLE001
            unclear.append(f"{name}: raw {type(e).__name__}: {str(e)[:100]}")
        signal.alarm(0)
    for name, argv, match in CLI_CASES:
        err = io.StringIO()
        signal.alarm(30)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                main(argv + ["--no-progress"])
                unclear.append(f"{name}: ran to the end")
                continue
            except Hang:
                unclear.append(f"{name}: still running after 30 s")
                continue
            except SystemExit:
                pass
            except Exception as e:  # noqa: BLE001
                unclear.append(f"{name}: traceback {type(e).__name__}: {str(e)[:100]}")
                continue
        signal.alarm(0)
        lines = err.getvalue().strip().splitlines()
        if lines and re.search(match, lines[-1]):
            clear += 1
        else:
            unclear.append(f"{name}: {lines[-1][:100] if lines else 'no message'}")
    total = len(CASES) + len(CLI_CASES)
    print(f"{clear} of {total} bad inputs give a clear error")
    for line in unclear:
        print("  " + line)


if __name__ == "__main__":
    _count()


def test_make_app_listens_locally_and_requires_a_token():
    import subprocess

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(["make", "-n", "-s", "app", "NB=02", "VENV=.venv"], cwd=root, capture_output=True,
                         text=True, check=True).stdout
    line = next(line for line in out.splitlines() if "voila" in line and "--port" in line)
    assert "--Voila.ip=127.0.0.1" in line and '--Voila.token="$token"' in line and "secrets.token_urlsafe" in out
