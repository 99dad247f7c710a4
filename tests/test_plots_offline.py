"""Figures are returned (never shown) with labelled axes; and the tests themselves are offline."""

import socket

import numpy as np
import pytest
from matplotlib.figure import Figure

from mia_edu import plots


def test_figures_are_figures_with_labels():
    rng = np.random.default_rng(0)
    s = np.r_[rng.normal(1, 1, 500), rng.normal(0, 1, 500)]
    m = np.r_[np.ones(500, bool), np.zeros(500, bool)]
    fig = plots.roc_figure({"toy": (s, m)})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    lin, log = fig.axes
    assert log.get_xscale() == "log" and lin.get_xscale() == "linear"
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert log.get_xlim()[0] == pytest.approx(1 / 500)
    fig = plots.signal_histogram(-s, m, name="loss")
    assert "AUC" in fig.axes[0].get_title()
    hist = {"train_loss": np.linspace(2, 0.1, 10), "train_acc": np.linspace(0.2, 1, 10),
            "test_loss": np.linspace(2, 1, 10), "test_acc": np.linspace(0.2, 0.5, 10)}
    fig = plots.training_curves(hist)
    assert "gap" in fig._suptitle.get_text()


def test_network_is_blocked_in_tests():
    with pytest.raises(RuntimeError, match="offline"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.5)
