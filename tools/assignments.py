"""Graded assignments with nbgrader: one per notebook, built from the course notebook, its exercise
checks and their worked solutions (``make assignments``, ``make grade A=01_membership_game``).

For every notebook that has exercise checks (``notebooks/teaching/<stem>.toml``), the *source*
version is the course notebook with each answer cell turned into an nbgrader solution cell (the
worked solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION``) and each check cell into an
autograded test cell: a visible test (the answers are set) and a hidden one (the exercise check
itself, between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``), worth the spec's points.
``nbgrader generate_assignment`` then writes the student *release*: solutions replaced by
``raise NotImplementedError()``, hidden tests removed. The course folder is ``build/nbgrader``:

    build/nbgrader/nbgrader_config.py
    build/nbgrader/source/<stem>/<stem>.ipynb       (+ quizzes/)   what the teacher keeps
    build/nbgrader/release/<stem>/<stem>.ipynb      (+ quizzes/)   what students get
    build/nbgrader/submitted/<student>/<stem>/<stem>.ipynb        what the teacher collects
    build/nbgrader/autograded/...  gradebook.db                    what `grade` makes

    python tools/assignments.py build [--only 01 02] [--course build/nbgrader]
    python tools/assignments.py grade 01_membership_game [--course build/nbgrader]   # → scores CSV
    python tools/assignments.py fill 01_membership_game STUDENT                         # a worked-solution submission (a test fixture)
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import teaching  # noqa: E402  (tools/ is not a package)

ROOT = teaching.ROOT
COURSE = ROOT / "build" / "nbgrader"
BIN = Path(sys.executable).parent

CONFIG = '''# nbgrader course folder for mia-edu, written by tools/assignments.py
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "mia-edu"
c.CourseDirectory.db_url = "sqlite:///{root}/gradebook.db"
c.Execute.timeout = 600                 # a notebook trains models: seconds per cell, not the default 30
c.Execute.allow_errors = True
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
'''


def _meta(cell: dict, **nbgrader) -> None:
    cell["metadata"]["nbgrader"] = {"schema_version": 3, "locked": False, "solution": False, "grade": False,
                                    **nbgrader}


def source_notebook(spec: teaching.Spec, bib: dict) -> dict:
    """The nbgrader source version of ``spec``'s notebook (solutions and hidden tests in)."""
    nb = teaching.apply_course(json.loads(spec.notebook.read_text(encoding="utf-8")), spec, bib)
    by_key = {ex["check"]: ex for ex in spec.checked}
    for cell in nb["cells"]:
        info = cell["metadata"].get("mia_edu", {})
        kind, key = info.get(teaching.GENERATED), info.get("check")
        if kind == "answer":
            ex = by_key[key]
            cell["source"] = teaching._lines(f"# Exercise {ex['n']} · {ex['title']}\n### BEGIN SOLUTION\n"
                                             f"{ex['solution'].strip()}\n### END SOLUTION")
            _meta(cell, solution=True, grade_id=f"answer-{key.replace('.', '-')}")
        elif kind == "check":
            ex = by_key[key]
            answers = teaching.exercise_answers(key)
            text = (f"# Autograded test of exercise {ex['n']} ({ex.get('points', 1)} point(s)): do not edit\n"
                    "from mia_edu.exercises import check\n\n"
                    f"assert all(v is not None for v in ({', '.join(answers)},)), "
                    "'set your answers in the cell above'\n"
                    "### BEGIN HIDDEN TESTS\n"
                    f"assert {teaching.check_call(ex, key)}\n"
                    "### END HIDDEN TESTS")
            cell["source"] = teaching._lines(text)
            _meta(cell, grade=True, locked=True, points=ex.get("points", 1), grade_id=f"check-{key.replace('.', '-')}")
        elif kind == "checks-intro":
            cell["source"] = teaching._lines(
                "### Your answers, graded\n\nPut your code in each cell marked `YOUR CODE HERE` (delete the "
                "`raise`); the locked cell under it is graded automatically. The other exercises are open "
                "questions for discussion.")
    return nb


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}  # nbgrader calls `alembic`
    proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def init_course(course: Path) -> None:
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course.resolve())), encoding="utf-8")


def build(course: Path = COURSE, only: list[str] | None = None) -> list[str]:
    """Write the source versions and generate the releases; returns the assignment names."""
    init_course(course)
    bib = teaching.read_bib()
    names = []
    for spec in teaching.load_specs(only):
        if not spec.checked or not spec.notebook.is_file():
            continue
        folder = course / "source" / spec.stem
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{spec.stem}.ipynb").write_text(teaching.dumps(source_notebook(spec, bib)), encoding="utf-8")
        (folder / "quizzes").mkdir(exist_ok=True)
        for quiz in spec.data.get("quiz", []):
            shutil.copy(teaching.QUIZZES / f"{quiz['file']}.json", folder / "quizzes")
        _nbgrader(course, "generate_assignment", spec.stem, "--force")
        names.append(spec.stem)
        print(f"assignment {spec.stem}: {course / 'release' / spec.stem}")
    return names


def fill(course: Path, assignment: str, student: str) -> Path:
    """Submit the release of ``assignment`` as ``student`` with every solution cell filled with the
    worked solution (what a student who solved everything hands in)."""
    source = json.loads((course / "source" / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in source["cells"]
                 if c["metadata"].get("nbgrader", {}).get("solution")}
    released = course / "release" / assignment
    nb = json.loads((released / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            text = "".join(solutions[grade_id])
            text = text.replace("### BEGIN SOLUTION\n", "").replace("\n### END SOLUTION", "")
            cell["source"] = teaching._lines(text)
    return submit(course, assignment, student, nb)


def submit(course: Path, assignment: str, student: str, nb: dict | None = None) -> Path:
    """Put ``nb`` (default: the untouched release) into ``submitted/<student>/<assignment>/``."""
    released = course / "release" / assignment
    dest = course / "submitted" / student / assignment
    shutil.copytree(released, dest, dirs_exist_ok=True)
    if nb is not None:
        (dest / f"{assignment}.ipynb").write_text(teaching.dumps(copy.deepcopy(nb)), encoding="utf-8")
    return dest


def grade(course: Path, assignment: str) -> dict[str, tuple[float, float]]:
    """Autograde every submission of ``assignment``; returns {student: (score, max score)}."""
    _nbgrader(course, "autograde", assignment, "--force")
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course.resolve()}/gradebook.db") as gb:
        for sub in gb.assignment_submissions(assignment):
            scores[sub.student_id] = (float(sub.score), float(sub.max_score))
    return scores


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="nbgrader assignments for mia-edu")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="source versions + student releases")
    b.add_argument("--only", nargs="*", metavar="NN")
    g = sub.add_parser("grade", help="autograde every submitted/<student>/<assignment> and print the scores")
    g.add_argument("assignment")
    f = sub.add_parser("fill", help="submit the worked solutions as STUDENT (a full-marks reference)")
    f.add_argument("assignment")
    f.add_argument("student")
    for p in (b, g, f):
        p.add_argument("--course", type=Path, default=COURSE, help="nbgrader course folder (build/nbgrader)")
    args = parser.parse_args(argv)
    if args.command == "build":
        names = build(args.course, args.only)
        print(f"{len(names)} assignments; hand out {args.course / 'release'}/<name>/, collect into "
              f"{args.course / 'submitted'}/<student>/<name>/, then: make grade A=<name>")
    elif args.command == "fill":
        print(fill(args.course, args.assignment, args.student))
    else:
        scores = grade(args.course, args.assignment)
        print("student,score,max_score")
        for student, (score, top) in sorted(scores.items()):
            print(f"{student},{score:g},{top:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
