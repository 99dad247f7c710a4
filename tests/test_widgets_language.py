"""Headless tests of the notebook-11 panel: drive it as a student does and check that the numbers,
readout and figure follow the controls."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mia_edu import metrics
from mia_edu.text import LMConfig, exposure_table, make_lm_corpus

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def lab():
    from mia_edu.widgets import language_lab

    corpus = make_lm_corpus(60, 200, n_shifted=10, insertions=(0, 8), seed=3)
    return language_lab(LMConfig(epochs=20, hidden=48, batch_size=32), corpus=corpus, checkpoints=(2, 10))


def test_panel_starts_at_the_last_epoch_with_a_figure_and_numbers(lab):
    assert lab.errors == []
    assert list(lab.epochs.options) == [2, 10, 20] and lab.epochs.value == 20
    assert bytes(lab.image.value)[:8] == PNG_MAGIC
    r = lab.result
    auc = metrics.roc_auc(r.scores["loss"], r.is_member)
    assert f"{auc:.3f}" in lab.readout.value
    # the panel's exposures are the package's
    table = {row["insertions"]: row["exposure"] for row in exposure_table(lab.model, lab.corpus.canaries)}
    np.testing.assert_allclose(r.exposures, [table[c.insertions] for c in lab.corpus.canaries])


def test_epoch_slider_reads_checkpoints_and_memorisation_grows(lab):
    lab.epochs.value = 2
    early = lab.result
    assert lab.errors == [] and early.epoch == 2
    assert "after 2 of 20 epochs" in lab.readout.value
    lab.epochs.value = 20
    late = lab.result
    auc = {r.epoch: metrics.roc_auc(r.scores["loss"], r.is_member) for r in (early, late)}
    assert auc[20] > auc[2] + 0.05
    ex = dict(zip([c.insertions for c in lab.corpus.canaries], late.exposures))
    assert ex[8] > ex[0]
    assert lab.cache.get(2) is early  # revisiting a setting does not recompute


def test_insertions_slider_picks_the_canary_and_redraws(lab):
    before = bytes(lab.image.value)
    lab.insertions.value = 0
    assert lab.errors == []
    assert bytes(lab.image.value) != before
    title = lab.axes[2].get_title()
    rank = int(re.search(r"ranked ([\d,]+)", title).group(1).replace(",", ""))
    k = [c.insertions for c in lab.corpus.canaries].index(0)
    assert np.log2(10 ** 5) - np.log2(rank) == pytest.approx(lab.result.exposures[k])
