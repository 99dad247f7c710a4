"""Notebooks 06 and 07 (and their solutions) teach only what is true (issue 10): the per-sample ε is an
estimate, not a proof; no reference to the course note students never see; each cites what it
teaches and marks its exercises' difficulty (the runtime and solutions link of the first cell are
checked for every lesson in tests/test_prose_numbers.py). Static checks on the committed JSON (no execution)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STEMS = ("06_theoretical_best", "07_unlearning_evaluation")


def _markdown(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def _all(stem: str) -> list[Path]:
    return [ROOT / "notebooks" / f"{stem}.ipynb", ROOT / "notebooks" / "solutions" / f"{stem}_solutions.ipynb"]


@pytest.mark.parametrize("stem", STEMS)
def test_further_reading_and_marked_exercises(stem):
    cells = _markdown(ROOT / "notebooks" / f"{stem}.ipynb")
    reading = [c for c in cells if c.lstrip().startswith("## Further reading")]
    assert reading and len(re.findall(r"\(\d{4}\)", reading[0])) >= 4  # papers with their years
    exercises = next(c for c in cells if "## Exercises" in c)
    items = re.findall(r"(?m)^\d+\. (★+) \*\*", exercises)
    assert len(items) == len(re.findall(r"(?m)^\d+\. ", exercises.split("## Exercises", 1)[1])) and items


@pytest.mark.parametrize("path", [p for s in STEMS for p in _all(s)], ids=lambda p: p.name)
def test_no_false_or_unseen_claims(path):
    text = "\n".join(_markdown(path)).lower()
    assert not re.search(r"\bcourse note\b", text), f"{path.name} refers to the course note students never see"
    for phrase in ("cannot be ε-dp", "valid 95 % lower bound", "still a valid", "proves ε",
                   "ε the loss attack proves", "a measured attack proves"):
        assert phrase not in text, f"{path.name} says {phrase!r}"
    if not list((ROOT / "notebooks").glob("08_*.ipynb")):
        assert "notebook 08" not in text, f"{path.name} points to a notebook 08 that does not exist"
