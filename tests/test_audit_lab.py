"""The audit lab (notebook 09), driven headless as a student drives it: set controls, click the button."""

from __future__ import annotations

import pytest

from mia_edu.auditing.experiment import perfect_attack_ceiling


def test_audit_lab_one_run_then_many_run_then_cache():
    from mia_edu.widgets import audit_lab

    lab = audit_lab(method="one-run", trials=250)
    first = lab.result
    assert lab.errors == [] and lab.progress.value == lab.progress.max and not lab.run_button.disabled
    assert first.method == "one-run" and first.trials == 250 and first.epsilon_theory is None
    assert first.epsilon_lower > 1.0  # the non-private target memorises its mislabelled canaries
    assert f"{first.epsilon_lower:.2f}" in lab.readout.value and "not private" in lab.readout.value
    png = bytes(lab.image.value)
    assert png[:4] == b"\x89PNG"
    # switching the audit changes the trials' choices and label; nothing runs until the button
    lab.method.value = "many-run"
    assert list(lab.trials.options) == [8, 16, 32, 64] and lab.trials.description.startswith("runs")
    assert lab.result is first
    lab.trials.value = 8
    lab.run_button.click()
    many = lab.result
    assert lab.errors == [] and many.method == "many-run" and many.runs == 16
    assert many.epsilon_lower == pytest.approx(perfect_attack_ceiling([many.trials], delta=many.delta)[0])
    assert bytes(lab.image.value) != png
    # revisiting a setting is served from memory, figure included
    lab.method.value = "one-run"
    lab.trials.value = 250
    lab.run_button.click()
    assert lab.result is first and bytes(lab.image.value) == png and lab.errors == []


@pytest.mark.slow
def test_audit_lab_dp_noise_stays_below_the_accountant():
    from mia_edu.widgets import audit_lab

    lab = audit_lab(method="one-run", trials=100, noise=4.0)
    r = lab.result
    assert lab.errors == [] and r.epsilon_theory is not None
    assert r.epsilon_lower <= r.epsilon_theory
    assert "accountant" in lab.readout.value and f"{r.epsilon_theory:.2f}" in lab.readout.value


def test_audit_lab_bad_settings():
    from mia_edu.widgets import audit_lab

    with pytest.raises(ValueError, match="method"):
        audit_lab(method="zero-run", run_at_start=False)
    with pytest.raises(ValueError, match="noise"):
        audit_lab(noise=3.3, run_at_start=False)
    with pytest.raises(ValueError, match="canary"):
        audit_lab(canary="golden", run_at_start=False)
