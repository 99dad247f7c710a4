"""Exercise checks (mia_edu.exercises): every check passes the worked solution and refuses wrong
answers with a hint that does not give the answer away.

The worked solutions are the ``solution`` snippets of ``notebooks/teaching/*.toml`` — the same code
nbgrader's source versions carry and the solutions notebooks run with ``.require()`` on the real
models (tests/test_notebooks.py executes those). Here they run on small synthetic data built
below, so every check is exercised in seconds, on data where a wrong answer is known to be wrong.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mia_edu import information, metrics, signals
from mia_edu.exercises import Verdict, check, exercises

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import teaching  # noqa: E402

SPECS = {ex["check"]: ex for spec in teaching.load_specs() for ex in spec.checked}
ON_BRANCH = {ex["check"] for spec in teaching.load_specs() if spec.notebook.is_file() for ex in spec.checked}
SIGNAL_NAMES = ["loss", "confidence", "entropy", "modified_entropy", "scaled_logit"]


class _FakeTarget:
    def __init__(self, logits):
        self._logits = logits

    def logits(self, X):
        return self._logits[np.asarray(X, dtype=int).ravel()]


def _token_logp(rng, is_member, length: int = 40):
    """texts × positions log-probabilities, NaN after each text's end; members a little likelier."""
    logp = rng.normal(-2.0, 1.0, (len(is_member), length)) + 0.4 * is_member[:, None]
    for i, end in enumerate(rng.integers(10, length, len(is_member))):
        logp[i, end:] = np.nan
    return logp


@pytest.fixture(scope="module")
def namespace():
    """What the course notebooks hold when their exercise cells run — on small synthetic data."""
    from mia_edu.attacks import ClassifierAttack, ThresholdAttack, signal_matrix
    from mia_edu.data import load_dataset
    from mia_edu.experiments import overfitting_sweep
    from mia_edu.splits import make_split
    from mia_edu.training import TrainConfig, train

    rng = np.random.default_rng(0)
    n, k = 600, 10
    y_eval = rng.integers(0, k, n)
    is_member = np.r_[np.ones(n // 2, bool), np.zeros(n // 2, bool)]
    logits = rng.normal(0, 2, (n, k))
    logits[np.arange(n), y_eval] += np.where(is_member, 6.0, 2.0) + rng.normal(0, 2, n) * (y_eval % 3)
    loss = signals.loss(logits, y_eval)
    S, columns = signal_matrix(signals.compute_signals(logits, y_eval), SIGNAL_NAMES, labels=y_eval)
    half = rng.permutation(n)
    tr, te = half[: n // 2], half[n // 2:]
    digits = load_dataset("digits", seed=0)
    split = make_split(len(digits), train_size=200, holdout_size=200, seed=0)
    ns = dict(
        np=np, metrics=metrics, signals=signals, information=information, train=train,
        overfitting_sweep=overfitting_sweep, load_dataset=load_dataset, ClassifierAttack=ClassifierAttack,
        ThresholdAttack=ThresholdAttack, SEED=0,
        loss=loss, score=-loss, is_member=is_member, y_eval=y_eval, logits=logits,
        X_eval=np.arange(n)[:, None], target=_FakeTarget(logits),
        online_result=SimpleNamespace(scores=-loss + rng.normal(0, 0.5, n)),
        S_train=S[tr], m_train=is_member[tr], S_test=S[te], m_test=is_member[te], columns=columns,
        SIGNAL_NAMES=SIGNAL_NAMES,
        ds=SimpleNamespace(X=digits.X, y=digits.y, n_classes=digits.n_classes),   # 02's early stopping trains on it
        split=split, BASE=TrainConfig(epochs=15, hidden=16), N_MEMBERS=1_000, N_NON_MEMBERS=1_000,
        z={"finetune": rng.normal(1, 2, 200)}, F=np.arange(200), EXPOSED_Z=3.0,
        DP_EPOCHS=15, DELTA=1e-5,                                          # notebooks 08 and 09's knobs
        stats=SimpleNamespace(logp=_token_logp(rng, is_member)),          # notebook 11's per-token log-probs
    )
    return ns


def _solve(key: str, ns: dict) -> dict:
    """Run the worked solution of ``key`` in a copy of ``ns``; return the check's keyword arguments."""
    if key not in ON_BRANCH:
        pytest.skip(f"check {key}: its notebook (and the module it teaches) is not on this branch yet")
    ex = SPECS[key]
    local = dict(ns)
    exec(compile(ex["solution"], f"<solution {key}>", "exec"), local)
    answers = {a: local[a] for a in teaching.exercise_answers(key)}
    context = {name: eval(expr, local) for name, expr in ex.get("context", {}).items()}
    return {**answers, **context}


KEYS = [ex.key for ex in exercises()]


def test_every_check_is_used_by_a_notebook():
    """A check that no notebook's teaching spec calls is dead code; a spec naming no check is a typo."""
    assert set(KEYS) == set(SPECS), (sorted(set(KEYS) - set(SPECS)), sorted(set(SPECS) - set(KEYS)))
    assert len(KEYS) >= 18 and len(ON_BRANCH) >= 18


@pytest.mark.parametrize("key", KEYS)
def test_worked_solution_passes(key, namespace):
    verdict = check(key, **_solve(key, namespace))
    assert isinstance(verdict, Verdict)
    assert verdict.correct and verdict.answered, str(verdict)
    assert verdict.require() is verdict
    assert str(verdict).startswith("✓")


def _perturbed(value):
    """A wrong answer of the same shape as ``value``."""
    if isinstance(value, (bool, np.bool_)):
        return not value
    if isinstance(value, str):
        return "x" if value.strip() != "x" else "|x|"
    if isinstance(value, (set, frozenset)):
        return set(value) ^ {"loss"}
    if isinstance(value, dict):
        out = dict(value)
        first = next(iter(out))
        out[first] = _perturbed(out[first])
        return out
    if isinstance(value, (int, np.integer)):
        return int(value) + 7
    if np.ndim(value) >= 1:
        return np.asarray(value, dtype=float) + 0.1
    return float(value) * 1.5 + 0.1


def _numbers(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, (float, np.floating)) and not float(value).is_integer():
        yield float(value)


@pytest.mark.parametrize("key", KEYS)
def test_wrong_answers_are_refused_with_a_hint_that_keeps_the_answer(key, namespace):
    kwargs = _solve(key, namespace)
    ex = next(e for e in exercises() if e.key == key)
    right = ex.reference(**{c: kwargs[c] for c in ex.context})
    for name in ex.answers:
        wrong = copy.deepcopy(kwargs)
        wrong[name] = _perturbed(kwargs[name])
        verdict = check(key, **wrong)
        assert not verdict and verdict.answered, f"{key}: a wrong {name} passed: {verdict}"
        message = str(verdict)
        assert "Hint:" in message and name in message
        for value in _numbers(right[name]):
            for digits in (3, 4):
                assert f"{value:.{digits}f}" not in message, f"{key}: the hint reveals {name} = {value}"


@pytest.mark.parametrize("key", KEYS)
def test_unanswered_says_so(key, namespace):
    kwargs = _solve(key, namespace)
    ex = next(e for e in exercises() if e.key == key)
    blank = {**kwargs, **{a: None for a in ex.answers}}
    verdict = check(key, **blank)
    assert not verdict and not verdict.answered
    assert "not answered yet" in str(verdict)


def test_known_mistakes_get_a_specific_hint(namespace):
    kwargs = _solve("01.1", namespace)
    flipped = {**kwargs, "fpr_p5": 1 - kwargs["fpr_p5"], "tpr_p5": 1 - kwargs["tpr_p5"]}
    assert "highest" in str(check("01.1", **flipped))
    kwargs = _solve("06.5", namespace)
    assert "δ = 0" in str(check("06.5", **{**kwargs, "bound_delta": float(np.tanh(0.5))}))
    kwargs = _solve("03.3", namespace)
    flipped = {**kwargs, "auc_entropy": 1 - kwargs["auc_entropy"], "auc_modified": 1 - kwargs["auc_modified"]}
    assert "Orientation" in str(check("03.3", **flipped))


def test_bad_calls_raise_clear_errors():
    with pytest.raises(ValueError, match="key must name an exercise"):
        check("99.9")
    with pytest.raises(TypeError, match="missing: is_member"):
        check("01.1", tpr_p5=0.1, fpr_p5=0.05, loss=np.ones(4))
    with pytest.raises(TypeError, match="unexpected: extra"):
        check("01.2", win_always=0.9, advantage_always=0.0, extra=1)


def test_a_check_recomputes_from_the_notebooks_data():
    """The right answer follows the data it is given (a check is no table of constants)."""
    rng = np.random.default_rng(1)
    m = np.r_[np.ones(300, bool), np.zeros(300, bool)]
    for shift in (0.0, 1.0):
        score = rng.normal(0, 1, 600) + shift * m
        auc = metrics.roc_auc(score, m)
        assert check("01.4", auc_by_counting=auc, score=score, is_member=m)
        assert not check("01.4", auc_by_counting=auc + 0.01, score=score, is_member=m)
    # in the null case (same distribution) the right answer is chance within its spread
    score = rng.normal(0, 1, 600)
    assert abs(metrics.roc_auc(score, m) - 0.5) < 3 * metrics.auc_null_std(300, 300)
