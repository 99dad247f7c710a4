"""The teaching layer is complete and applied: quizzes, checks, difficulty marks, panel prompts,
RISE slide metadata, Further reading, syllabus, glossary, references and instructor notes.

Fast (nothing is executed). ``tools/teaching.py check`` is the merge gate: after merging branches
that changed notebooks, ``python tools/teaching.py apply`` re-applies everything.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import docs_html  # noqa: E402
import instructor_notes  # noqa: E402
import teaching  # noqa: E402

COURSE = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
STEMS = [p.stem for p in COURSE]
BIB = teaching.read_bib()


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _md(nb: dict) -> str:
    return "\n".join(teaching.source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_every_notebook_is_applied():
    """Every course notebook has a spec, and apply would change nothing (course and solutions)."""
    assert teaching.main(["check"]) == 0, "run: python tools/teaching.py apply"


def test_apply_is_idempotent_and_strip_undoes_it():
    for spec in teaching.load_specs():
        if not spec.notebook.is_file():
            continue
        nb = _nb(spec.notebook)
        again = teaching.apply_course(nb, spec, BIB)
        assert teaching.dumps(again) == teaching.dumps(nb)
        stripped = teaching.strip(nb)
        assert not any(teaching.is_generated(c) for c in stripped["cells"])
        assert teaching.LEGEND not in _md(stripped) and "rise" not in stripped["metadata"]
        assert not re.search(r"^\d+\. \*\*[^*]+\*\* ★", _md(stripped), re.M), "a generated mark survived strip"


def test_a_missing_anchor_fails_loudly():
    spec = next(s for s in teaching.load_specs() if s.notebook.is_file() and s.data.get("quiz"))
    broken = teaching.Spec(spec.path, {**spec.data, "quiz": [{"file": spec.data["quiz"][0]["file"],
                                                             "after": {"id": "no-such-cell"}}]})
    with pytest.raises(teaching.AnchorError, match="no-such-cell"):
        teaching.apply_course(_nb(spec.notebook), broken, BIB)


@pytest.mark.parametrize("stem", STEMS)
def test_quizzes_four_to_six_questions_with_feedback(stem):
    spec = next(s for s in teaching.load_specs() if s.stem == stem)
    questions = [q for item in spec.data.get("quiz", [])
                 for q in json.loads((teaching.QUIZZES / f"{item['file']}.json").read_text(encoding="utf-8"))]
    assert 4 <= len(questions) <= 6, f"{stem}: {len(questions)} quiz questions, expected 4-6"
    kinds = {q["type"] for q in questions}
    assert kinds <= {"multiple_choice", "many_choice", "numeric"}
    assert "multiple_choice" in kinds and "numeric" in kinds, f"{stem}: mix multiple choice and numeric"
    for q in questions:
        assert q["question"].strip() and "$" not in q["question"], "no TeX in quizzes (MathJax would need a CDN)"
        if q["type"] == "numeric":
            right = [a for a in q["answers"] if a.get("correct")]
            assert right and all("range" in a or "value" in a for a in right)
            assert any(a.get("type") == "default" for a in q["answers"]), "a numeric question needs default feedback"
            for a in right:   # the right range contains a value the feedback states
                if "range" in a:
                    assert a["range"][0] < a["range"][1]
        else:
            assert sum(a["correct"] for a in q["answers"]) >= 1
            assert len(q["answers"]) >= 3
            assert all(a.get("feedback") for a in q["answers"]), "every choice explains itself"
    nb = _nb(spec.notebook)
    shown = [c for c in nb["cells"] if c["metadata"].get("mia_edu", {}).get("generated") == "quiz"]
    assert len(shown) == len(spec.data["quiz"])


@pytest.mark.parametrize("stem", STEMS)
def test_difficulty_marks_on_every_exercise(stem):
    nb = _nb(ROOT / "notebooks" / f"{stem}.ipynb")
    text = next(teaching.source(c) for c in nb["cells"] if "## Exercises" in teaching.source(c))
    items = [line for line in text.partition("## Exercises")[2].splitlines() if re.match(r"\d+\. (★{1,3} )?\*\*", line)]
    assert items, f"{stem}: no numbered exercises"
    unmarked = [line[:40] for line in items if not re.search(r"\*\* ★{1,3}( |$)|^\d+\. ★{1,3} \*\*", line)]
    assert not unmarked, f"{stem}: exercises without a difficulty mark: {unmarked}"
    assert teaching.LEGEND in text or "Difficulty" in text


@pytest.mark.parametrize("stem", STEMS)
def test_a_prediction_prompt_before_every_panel(stem):
    cells = _nb(ROOT / "notebooks" / f"{stem}.ipynb")["cells"]
    panels = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and not teaching.is_generated(c)
              and re.search(r"from mia_edu\.widgets import \w+", teaching.source(c))]
    for i in panels:
        before = teaching.source(cells[i - 1])
        assert "Predict, then move the slider" in before, f"{stem}: cell {i} is a panel without a prompt"


@pytest.mark.parametrize("stem", STEMS)
def test_rise_slides_and_further_reading(stem):
    nb = _nb(ROOT / "notebooks" / f"{stem}.ipynb")
    assert nb["metadata"]["rise"]["theme"] == "white"
    types = [c["metadata"].get("slideshow", {}).get("slide_type", "-") for c in nb["cells"]]
    assert types[0] == "slide" and types.count("slide") >= 5
    authored = [c for c in nb["cells"] if not teaching.is_generated(c) or
                c["metadata"]["mia_edu"]["generated"] == "reading"]
    last = teaching.source(authored[-1])   # the answer/check cells may follow an authors' closing cell
    assert "## Further reading" in last, f"{stem}: the notebook must close with its Further reading"
    cited = re.findall(r"\]\(https://(?:arxiv\.org/abs|doi\.org)/[^)]+\)", last) + re.findall(r"\b(?:19|20)\d\d\b", last)
    assert cited, f"{stem}: Further reading cites nothing"


def test_bibliography_has_a_doi_or_arxiv_id_for_every_entry():
    assert len(BIB) >= 30
    for key, entry in BIB.items():
        assert entry.get("doi") or entry.get("eprint"), f"{key}: no DOI or arXiv id"
        if entry.get("eprint"):
            assert re.fullmatch(r"\d{4}\.\d{4,5}|[a-z\-]+/\d{7}", entry["eprint"]), f"{key}: bad arXiv id"
        if entry.get("doi"):
            assert entry["doi"].startswith("10."), f"{key}: bad DOI"
    for spec in teaching.load_specs():
        assert set(spec.data.get("reading", [])) <= set(BIB), spec.stem


CITATION = re.compile(r"\b([A-Z][a-zà-ÿ]+(?:[-–][A-Z][a-z]+)?)(?: et al\.| (?:&|and) [A-Z][a-z]+)?,? \(?((?:19|20)\d\d)\b")
NOT_AUTHORS = {"NeurIPS", "ICML", "ICLR", "The", "In", "See", "From", "Since", "Until", "Fall", "Spring"}


def test_every_paper_the_course_cites_is_in_the_bibliography():
    """'Surname et al. (YEAR)' or 'A & B YEAR' anywhere in the notebooks names a bib entry."""
    known = {(teaching.plain(name.split(",")[0]).split()[-1], entry["year"])   # any author: "A, B & C 2020"
             for entry in BIB.values() for name in entry["author"].split(" and ") if name != "others"}
    missing = set()
    for path in COURSE + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb")):
        text = _md(_nb(path)) + "\n".join(teaching.source(c) for c in _nb(path)["cells"] if c["cell_type"] == "code")
        for surname, year in CITATION.findall(text):
            if surname not in NOT_AUTHORS and (surname.split("-")[0], year) not in known and (surname, year) not in known:
                if re.search(rf"{surname}( et al\.| (&|and) [A-Z])", text):
                    missing.add(f"{surname} {year} ({path.name})")
    assert not missing, f"cited but not in docs/references.bib: {sorted(missing)}"


def test_syllabus_and_glossary_cover_every_notebook():
    syllabus = (ROOT / "docs" / "syllabus.md").read_text(encoding="utf-8")
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    for spec in teaching.load_specs():
        if not spec.notebook.is_file():
            continue
        row = next((line for line in syllabus.splitlines() if f"../notebooks/{spec.stem}.ipynb" in line), None)
        assert row, f"syllabus.md has no row for {spec.stem}"
        assert f"| {spec.data['minutes']} |" in row, f"syllabus minutes for {spec.stem} differ from its spec"
        assert f"../notebooks/{spec.stem}.ipynb" in glossary, f"the glossary points to no term of {spec.stem}"
    announced = {f"../notebooks/{s.stem}.ipynb" for s in teaching.load_specs()}   # specs of notebooks to land
    for path in re.findall(r"\]\((\.\./notebooks/[\w/]+\.ipynb)\)", syllabus + glossary):
        assert (ROOT / "docs" / path).resolve().is_file() or path in announced, f"docs link to a missing notebook: {path}"
    for term in ("member", "advantage", "TPR at FPR", "shadow model", "reference model", "LiRA", "Bayes error",
                 "ε and δ", "forget / retain / validation"):
        assert f"| {term}" in glossary, f"glossary lacks {term!r}"
    for path in ("90-minute workshop", "one-day tutorial", "four-week module"):
        assert path in syllabus


@pytest.mark.parametrize("stem", STEMS)
def test_instructor_note_is_rendered_from_a_run(stem):
    spec = next(s for s in teaching.load_specs() if s.stem == stem)
    assert instructor_notes.numbers_spec(spec), f"{stem}: the spec lists no [numbers]"
    note = ROOT / "docs" / "instructor" / f"{stem}.md"
    assert note.read_text(encoding="utf-8") == instructor_notes.render(spec), \
        "run: python tools/instructor_notes.py"
    text = note.read_text(encoding="utf-8")
    for heading in ("## What students should see", "## Misconceptions", "## Discussion questions",
                    "## Where students get stuck"):
        assert heading in text, f"{stem}: the note lacks {heading!r}"
    assert set(instructor_notes.stored(spec)) == set(instructor_notes.numbers_spec(spec))


def test_stale_numbers_are_caught():
    """The CI check fails when a fresh run leaves the tolerance, naming the regeneration command."""
    spec = next(s for s in teaching.load_specs() if s.stem.startswith("01"))
    fresh = {k: v + 1.0 for k, v in instructor_notes.stored(spec).items()}
    nb = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stdout",
                                                       "text": instructor_notes.MARKER + json.dumps(fresh)}]}]}
    with pytest.raises(AssertionError, match="instructor_notes.py --run --only 01"):
        instructor_notes.check_instructor_numbers(spec.notebook, nb)
    same = {"cells": [{"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stdout",
                                                         "text": instructor_notes.MARKER
                                                         + json.dumps(instructor_notes.stored(spec))}]}]}
    instructor_notes.check_instructor_numbers(spec.notebook, same)


def test_docs_render_to_html(tmp_path):
    pages = docs_html.render_docs(tmp_path)
    names = {p.name for p in pages}
    assert {"syllabus.html", "glossary.html", "references.html", "index.html"} <= names
    syllabus = (tmp_path / "docs" / "syllabus.html").read_text(encoding="utf-8")
    assert "<table>" in syllabus and 'href="../01_membership_game.html"' in syllabus
    refs = (tmp_path / "docs" / "references.html").read_text(encoding="utf-8")
    assert refs.count("<li id=") == len(BIB) and "arxiv.org/abs/2112.03570" in refs
    assert len(list((tmp_path / "docs" / "instructor").glob("[0-9][0-9]_*.html"))) >= len(STEMS)
