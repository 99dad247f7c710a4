"""Signals against hand-computed values, and their numerical stability."""

import numpy as np
import pytest

from mia_edu import signals


def _by_hand(z, y):
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    py = p[y]
    others = [i for i in range(len(z)) if i != y]
    return {
        "loss": -np.log(py),
        "confidence": py,
        "entropy": -np.sum(p * np.log(p)),
        "modified_entropy": -(1 - py) * np.log(py) - sum(p[i] * np.log(1 - p[i]) for i in others),
        "scaled_logit": np.log(py) - np.log(sum(p[i] for i in others)),
    }


LOGITS = np.array([[2.0, 0.0, -1.0], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5], [0.3, -0.2, 1.7]])
LABELS = np.array([0, 1, 0, 2])


@pytest.mark.parametrize("name", signals.SIGNALS)
def test_signals_match_hand_computation(name):
    got = getattr(signals, name)(LOGITS, LABELS)
    want = [_by_hand(z, y)[name] for z, y in zip(LOGITS, LABELS)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert got.dtype == np.float64 and got.shape == (4,)


def test_known_values():
    # uniform over 3 classes: loss = entropy = log 3, confidence 1/3, scaled logit log(1/2)
    z, y = np.zeros((1, 3)), np.array([1])
    assert signals.loss(z, y)[0] == pytest.approx(np.log(3))
    assert signals.entropy(z)[0] == pytest.approx(np.log(3))
    assert signals.confidence(z, y)[0] == pytest.approx(1 / 3)
    assert signals.scaled_logit(z, y)[0] == pytest.approx(np.log(0.5))


def test_models_axis():
    stacked = np.stack([LOGITS, 2 * LOGITS, LOGITS - 1])
    out = signals.compute_signals(stacked, LABELS)
    for name in signals.SIGNALS:
        assert out[name].shape == (3, 4)
        np.testing.assert_allclose(out[name][1], getattr(signals, name)(2 * LOGITS, LABELS))
        np.testing.assert_allclose(out[name][2], getattr(signals, name)(LOGITS, LABELS), atol=1e-12)
    assert out["logits"].shape == (3, 4, 3)


def test_stable_when_confident():
    # p_y -> 1: float32 log(softmax) gives loss exactly 0 and logit(p) = inf; ours stays finite and exact
    z = np.array([[30.0, 0.0, 0.0], [60.0, 0.0, 0.0]], dtype=np.float32)
    y = np.array([0, 0])
    naive = -np.log(np.exp(z) / np.exp(z).sum(1, keepdims=True))[:, 0]
    assert np.all(naive == 0)
    loss = signals.loss(z, y)
    np.testing.assert_allclose(loss, 2 * np.exp([-30.0, -60.0]), rtol=1e-6)
    phi = signals.scaled_logit(z, y)
    np.testing.assert_allclose(phi, [30 - np.log(2), 60 - np.log(2)], rtol=1e-12)
    assert np.all(np.isfinite(signals.modified_entropy(z, y)))


def test_bad_input():
    with pytest.raises(ValueError, match="y has 3 labels but logits has 4"):
        signals.loss(LOGITS, LABELS[:3])
    with pytest.raises(ValueError, match="y has labels outside"):
        signals.loss(LOGITS, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="NaN"):
        signals.loss(np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(TypeError, match="integer"):
        signals.loss(LOGITS, np.array([0.5, 1, 0, 2]))
    with pytest.raises(ValueError, match="samples × classes"):
        signals.loss(np.zeros(3), np.array([0]))
