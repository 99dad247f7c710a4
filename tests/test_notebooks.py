"""Every committed notebook (course and solutions) is clean and runs top to bottom."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from instructor_notes import check_instructor_numbers  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
IDS = [str(p.relative_to(ROOT / "notebooks")) for p in NOTEBOOKS]


def test_there_are_notebooks():
    assert any(p.name.startswith("01_") for p in NOTEBOOKS), "notebooks/01_*.ipynb is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if "solutions" not in p.parts], ids=lambda p: p.name)
def test_course_structure(path):
    """Learning objectives first, a knobs cell, a summary and exercises (solutions apart)."""
    nb = json.loads(path.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown").lower()
    first = "".join(nb["cells"][0]["source"]).lower()
    assert "learning objectives" in first or "you will learn" in first, f"{path.name}: first cell must state the learning objectives"
    assert "knobs" in text, f"{path.name}: needs a cell of explained knobs"
    assert "summary" in text, f"{path.name}: needs a summary"
    assert "exercise" in text, f"{path.name}: needs exercises"
    solutions = list((ROOT / "notebooks" / "solutions").glob(path.stem + "*"))
    assert solutions, f"{path.name}: its solutions notebook in notebooks/solutions/ is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_executes(path, executed_notebook):
    pytest.importorskip("nbformat")
    # raises CellExecutionError with the cell and traceback on any error; the execution is shared
    # with tests/test_prose_numbers.py (conftest.executed_notebook), so each notebook runs once
    nb, seconds = executed_notebook(path)
    print(f"{path.name}: {seconds:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    probed = executed_notebook.probe(path)   # the numbers docs/instructor/<stem>.md quotes, from this run
    if probed is not None:
        check_instructor_numbers(path, probed)
