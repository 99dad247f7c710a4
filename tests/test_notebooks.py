"""Every committed notebook (course and solutions) is clean and runs top to bottom."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from instructor_notes import check_instructor_numbers, instructor_probe  # noqa: E402

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
def test_notebook_executes(path):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    probe = instructor_probe(path)  # prints the numbers docs/instructor/<stem>.md quotes (not in the file)
    if probe is not None:
        nb.cells.append(probe)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError with the cell and traceback on any error
    seconds = time.perf_counter() - start
    print(f"{path.name}: {seconds:.1f} s")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    if probe is not None:
        check_instructor_numbers(path, nb)  # the instructor note's numbers are this run's, within tolerance
