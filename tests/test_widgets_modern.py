"""The notebook-10 panel (model family × reference models), driven headless from Python."""

import numpy as np
import pytest

from mia_edu import metrics
from mia_edu.training import TrainConfig


def test_modern_lab_runs_families_and_caches_settings():
    from mia_edu.widgets import modern_lab

    lab = modern_lab(n_members=150, config=TrainConfig(epochs=40, hidden=64), references=(1, 2), n_reference=1,
                     progress=False)
    r = lab.result
    assert lab.errors == [] and (r.family, r.n_reference) == ("mlp", 1)
    assert set(r.scores) == {"loss threshold", "LiRA offline", "RMIA offline", "label-only", "blind baseline"}
    assert all(len(s) == 300 for s in r.scores.values())
    auc = metrics.roc_auc(r.scores["RMIA offline"], lab.is_member)
    assert f"{auc:.3f}" in lab.readout.value and lab.image.value
    # every curve is drawn from its own scores
    f, t, _ = metrics.roc_curve(r.scores["label-only"], lab.is_member)
    assert len(lab.artists["label-only"].get_xdata()) > 0 and len(f) == len(t)
    # another family: a new run; going back is a cache hit (the same object)
    lab.family.value = "knn"
    knn = lab.run()
    assert lab.errors == [] and knn.family == "knn" and knn is not r
    assert "knn" in lab.ax.get_title()
    lab.family.value = "mlp"
    assert lab.run() is r
    # the blind baseline does not depend on the model: the same scores for every family
    np.testing.assert_array_equal(knn.scores["blind baseline"], r.scores["blind baseline"])
    assert abs(metrics.roc_auc(r.scores["blind baseline"], lab.is_member) - 0.5) < 4 * metrics.auc_null_std(150, 150)
    assert "snapshot" in lab.snapshot_html()


def test_modern_lab_bad_input_and_errors_are_shown():
    from mia_edu.widgets import modern_lab
    from mia_edu.widgets.modern import family_recipe

    with pytest.raises(ValueError, match="n_reference must be one of"):
        modern_lab(n_members=50, references=(1, 2), n_reference=3, run_at_start=False)
    with pytest.raises(ValueError, match="family must be one of"):
        family_recipe("svm")
    lab = modern_lab(n_members=50, references=(1, 2), n_reference=1, run_at_start=False)
    lab.config = "not a config"  # a broken recipe: the error goes to the status line, not away
    lab.run_button.click()
    assert lab.errors and "Error" in lab.status.value
