"""nbgrader round trip on notebook 01 (``make assignments`` / ``make grade``): the student release
has no solutions and no hidden tests; the worked solutions score full marks, the untouched
release scores zero on the autograded parts. About two notebook runs (autograde executes each
submission), so it is marked slow."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import assignments  # noqa: E402

pytestmark = pytest.mark.slow
NAME = "01_membership_game"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    pytest.importorskip("nbgrader")
    folder = tmp_path_factory.mktemp("nbgrader")
    assert assignments.build(folder, only=["01"]) == [NAME]
    return folder


def test_release_has_no_solutions_and_no_hidden_tests(course):
    release = (course / "release" / NAME / f"{NAME}.ipynb").read_text(encoding="utf-8")
    source = (course / "source" / NAME / f"{NAME}.ipynb").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" in source and "BEGIN HIDDEN TESTS" in source
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", 'check(\\"01.1\\"', "np.percentile(loss[~is_member], 5)"):
        assert secret not in release, f"the student release leaks {secret!r}"
    assert release.count("raise NotImplementedError()") == 4
    nb = json.loads(release)
    graded = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(graded) == 4 and sum(c["metadata"]["nbgrader"]["points"] for c in graded) == 7
    assert (course / "release" / NAME / "quizzes" / "01a.json").is_file()


def test_worked_solutions_score_full_marks_and_the_untouched_release_zero(course):
    assignments.fill(course, NAME, "worked")
    assignments.submit(course, NAME, "untouched")
    scores = assignments.grade(course, NAME)
    assert scores["worked"] == (7.0, 7.0), scores
    assert scores["untouched"] == (0.0, 7.0), scores
