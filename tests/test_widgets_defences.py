"""Headless tests of the defences lab (notebook 08): drive it as a student does."""

from __future__ import annotations

import re
import struct

import pytest

from mia_edu.defences import FrontierSetting
from mia_edu.training import TrainConfig

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TINY = FrontierSetting("digits", n_members=200, validation_size=100, base=TrainConfig(epochs=30, hidden=32),
                       n_reference=2, dp_epochs=5)


def _readout(panel) -> dict[str, str]:
    return dict(re.findall(r"<td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td>", panel.readout.value))


def test_lab_runs_on_the_button_and_revisits_from_cache():
    from mia_edu.widgets import defences_lab

    lab = defences_lab(TINY, defence="dp_sgd", strength=4.0)
    assert lab.errors == []
    first = lab.result
    assert first.defence == "dp_sgd" and first.strength == 4.0 and first.epsilon is not None
    assert lab.image.value[:8] == PNG_MAGIC and struct.unpack(">II", lab.image.value[16:24])[0] > 600
    numbers = _readout(lab)
    assert numbers["ε (RDP accountant)"].startswith(f"{first.epsilon:.2f}")
    assert numbers["LiRA TPR at 1% FPR"] == f"{first.lira['tpr_at_1%']:.1%}"
    assert "within the accountant's" in lab.figure.axes[1].get_title()

    # a new defence: nothing heavy until the button
    lab.defence.value = "weight_decay"
    assert lab.result is first and "not computed yet" in lab.status.value
    assert lab.strength.options == ("0.001", "0.003", "0.01")
    lab.strength.value = "0.01"
    lab.run_button.click()
    assert lab.errors == [] and lab.result.defence == "weight_decay" and lab.result.epsilon is None
    assert "no DP guarantee" in lab.figure.axes[1].get_title()
    assert len(lab.points()) == 2

    # back to the DP point: a cache hit, shown at once without the button
    lab.defence.value = "dp_sgd"
    lab.strength.value = "4"
    assert lab.result is first
    assert _readout(lab)["LiRA TPR at 1% FPR"] == f"{first.lira['tpr_at_1%']:.1%}"

    # the undefended model has one strength; its slider is disabled
    lab.defence.value = "none"
    assert lab.strength.disabled and lab.strength.options == ("-",)


def test_lab_routes_errors_to_its_output(monkeypatch):
    from mia_edu.widgets import defences as mod

    lab = mod.DefencesLab(TINY, defence="none", run_at_start=False)

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(mod, "evaluate_defence", boom)
    lab.run_button.click()
    assert len(lab.errors) == 1 and "kaboom" in lab.status.value
    assert any("kaboom" in o.get("text", "") for o in lab.output.outputs)
    assert not lab.run_button.disabled  # the panel keeps working


def test_lab_takes_a_computed_table_and_bad_input():
    from mia_edu.defences import privacy_utility_frontier
    from mia_edu.widgets import DefencesLab

    table = privacy_utility_frontier(TINY.dataset, {"none": [None]}, n_members=200, validation_size=100,
                                     base_config=TINY.base, n_reference=2, dp_epochs=5, progress=False)
    lab = DefencesLab(table=table, defence="none")
    assert lab.result is table.points[0]  # a cache hit: the notebook's frontier is reused
    off_grid = DefencesLab(TINY, defence="dp_sgd", strength=16.0, run_at_start=False)
    assert off_grid.strength.options == ("0.5", "1", "4", "16") and off_grid.strength.value == "16"
    assert off_grid.strengths("early_stopping", extra=3) == [40, 10, 3, 1]  # weak → strong
    with pytest.raises(ValueError, match="defence must be one of"):
        DefencesLab(TINY, defence="nope", run_at_start=False)
    with pytest.raises(TypeError, match="table"):
        DefencesLab(table="x")
