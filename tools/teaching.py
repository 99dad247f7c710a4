"""Put the teaching layer into the notebooks, reproducibly: quizzes, exercise checks, difficulty
marks, "predict, then move the slider" prompts, a Further reading cell and RISE slide metadata.

Everything comes from data: ``notebooks/teaching/<stem>.toml`` (where each piece goes, anchored on
a cell id, a heading or a line of code), ``notebooks/quizzes/*.json`` (the questions),
``mia_edu/exercises`` (the checks) and ``docs/references.bib`` (the reading). The tool is
idempotent: it first removes every cell it made before (they carry ``metadata.mia_edu.generated``)
and every difficulty mark, then inserts them again, so running it twice changes nothing, and
after a merge it re-applies on top of whatever the notebooks' authors changed. An anchor that is
missing fails loudly, naming the notebook and the anchor.

    python tools/teaching.py apply        # write the notebooks (course and solutions)
    python tools/teaching.py check        # exit 1 if any notebook differs from what apply writes
    python tools/teaching.py list         # what each notebook gets

Anchors (``after``/``before``): ``{ id = "ff0cd447" }`` (a cell id), ``{ heading = "## 7. The" }``
(a markdown cell whose first line starts so), ``{ contains = "score = -loss" }`` (the first cell
whose source contains the text). ``solutions_after`` puts the worked solution's check at the end of
the section whose heading matches, in the solutions notebook.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SPECS = NOTEBOOKS / "teaching"
QUIZZES = NOTEBOOKS / "quizzes"
BIB = ROOT / "docs" / "references.bib"
STARS = {1: "★", 2: "★★", 3: "★★★"}
LEGEND = ("Difficulty: ★ a few lines, the idea just taught · ★★ a short experiment · "
          "★★★ an open question that needs a design of your own.")
MARK = re.compile(r" (★{1,3})(?= |$)")
GENERATED = "generated"


class AnchorError(RuntimeError):
    """A spec names a cell that the notebook does not have."""


# ---------------------------------------------------------------- specs -------------------------

@dataclass
class Spec:
    path: Path
    data: dict

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def number(self) -> str:
        return self.stem.split("_")[0]

    @property
    def notebook(self) -> Path:
        return NOTEBOOKS / f"{self.stem}.ipynb"

    @property
    def solutions(self) -> Path:
        return NOTEBOOKS / "solutions" / f"{self.stem}_solutions.ipynb"

    @property
    def exercises(self) -> list[dict]:
        return self.data.get("exercise", [])

    @property
    def checked(self) -> list[dict]:
        return [ex for ex in self.exercises if ex.get("check")]


def load_specs(only: list[str] | None = None) -> list[Spec]:
    specs = [Spec(p, tomllib.loads(p.read_text(encoding="utf-8"))) for p in sorted(SPECS.glob("*.toml"))]
    if only:
        specs = [s for s in specs if any(s.stem.startswith(o) for o in only)]
    return specs


def exercise_answers(key: str) -> tuple[str, ...]:
    """The answer names of check ``key`` (from mia_edu.exercises: one source of truth)."""
    sys.path.insert(0, str(ROOT))
    from mia_edu.exercises import exercises

    for ex in exercises():
        if ex.key == key:
            return ex.answers
    raise AnchorError(f"check {key!r} is not registered in mia_edu.exercises")


def exercise_context(key: str) -> tuple[str, ...]:
    from mia_edu.exercises import exercises

    return next(ex.context for ex in exercises() if ex.key == key)


# ---------------------------------------------------------------- cells -------------------------

def _lines(text: str) -> list[str]:
    text = text.strip("\n")
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def make_cell(kind: str, cell_type: str, text: str, cell_id: str, slide: str | None = None, **extra_meta) -> dict:
    meta = {"mia_edu": {GENERATED: kind, **extra_meta}}
    if slide:
        meta["slideshow"] = {"slide_type": slide}
    cell = {"cell_type": cell_type, "id": cell_id, "metadata": meta, "source": _lines(text)}
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def is_generated(cell: dict) -> bool:
    return GENERATED in cell.get("metadata", {}).get("mia_edu", {})


def find(cells: list[dict], anchor: dict, where: str) -> int:
    """Index of the cell ``anchor`` names; AnchorError naming ``where`` when there is none."""
    for i, cell in enumerate(cells):
        if is_generated(cell):
            continue
        text = source(cell)
        if "id" in anchor and cell.get("id") == anchor["id"]:
            return i
        if "heading" in anchor and cell["cell_type"] == "markdown" and text.lstrip().startswith(anchor["heading"]):
            return i
        if "contains" in anchor and anchor["contains"] in text:
            return i
        if "regex" in anchor and cell["cell_type"] == "markdown" and re.search(anchor["regex"], text, re.M):
            return i
    raise AnchorError(f"{where}: no cell matches the anchor {anchor} — the notebook changed; "
                      f"update notebooks/teaching/*.toml")


def section_end(cells: list[dict], start: int, anchor: dict) -> int:
    """Index after the last cell of the section that the heading ``anchor`` found in cell ``start``
    opens: up to the next markdown cell with a heading of the same or a higher level."""
    text = source(cells[start])
    m = re.search(anchor["regex"], text, re.M) if "regex" in anchor else re.match(r"\s*#+", text)
    line = text[text.rfind("\n", 0, m.start()) + 1:] if m else text
    level = len(line) - len(line.lstrip("#")) or 6
    for j in range(start + 1, len(cells)):
        if cells[j]["cell_type"] == "markdown" and not is_generated(cells[j]) and \
                re.search(rf"^#{{1,{level}}} ", source(cells[j]), re.M):
            return j
    return len(cells)


# ---------------------------------------------------------------- bibliography ------------------

def read_bib(path: Path = BIB) -> dict[str, dict]:
    """A minimal BibTeX reader: ``{key: {field: value}}`` (values with the outer braces removed)."""
    text = path.read_text(encoding="utf-8")
    entries = {}
    for m in re.finditer(r"@(\w+)\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", text, re.S):
        fields = {"type": m.group(1).lower()}
        for f in re.finditer(r"(\w+)\s*=\s*\{((?:[^{}]|\{[^{}]*\})*)\}", m.group(3)):
            fields[f.group(1).lower()] = re.sub(r"\s+", " ", f.group(2)).strip()
        entries[m.group(2)] = fields
    return entries


def plain(tex: str) -> str:
    """BibTeX text → plain text (accents and braces the bib uses)."""
    for a, b in {r"{\`e}": "è", r"{\"o}": "ö", r"{\'e}": "é", r"{\'U}": "Ú", r"\&": "&", r"\%": "%"}.items():
        tex = tex.replace(a, b)
    return tex.replace("{", "").replace("}", "")


def authors_short(field: str) -> str:
    names = [n.split(",")[0].strip() for n in field.split(" and ")]
    names = [plain(n) for n in names if n != "others"]
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} & {names[1]}"
    return f"{names[0]} et al."


def link(entry: dict) -> str:
    """A link whose text names the archive, the identifier in its address (prose checks skip addresses)."""
    if entry.get("eprint"):
        return f"[arXiv](https://arxiv.org/abs/{entry['eprint']})"
    return f"[DOI](https://doi.org/{entry['doi']})"


def citation(key: str, entry: dict) -> str:
    venue = entry.get("booktitle") or entry.get("journal") or entry.get("publisher") or entry.get("note", "")
    return (f"{authors_short(entry['author'])} ({entry['year']}). *{plain(entry['title'])}*. "
            f"{plain(venue)}. {link(entry)}")


# ---------------------------------------------------------------- what apply inserts ------------

def check_call(ex: dict, key: str, context: dict | None = None) -> str:
    answers = exercise_answers(key)
    context = context if context is not None else ex.get("context", {})
    missing = [c for c in exercise_context(key) if c not in context]
    if missing:
        raise AnchorError(f"exercise {key}: the spec's context lacks {missing}")
    args = [f"{a}={a}" for a in answers] + [f"{k}={v}" for k, v in context.items()]
    return f'check("{key}", {", ".join(args)})'


def answer_cell_text(ex: dict, key: str) -> str:
    answers = exercise_answers(key)
    head = (f"# Exercise {ex['n']} {STARS[ex['difficulty']]} · {ex['title']}: "
            "replace None with your answer, then run the check below")
    hint = ex.get("answer_hint")
    inputs = ex.get("inputs", [])   # context the student builds (a model's history, a sweep's records)
    return "\n".join([head] + ([f"# {hint}"] if hint else []) + [f"{a} = None" for a in inputs + list(answers)])


def check_cell_text(ex: dict, key: str) -> str:
    return "from mia_edu.exercises import check\n\n" + check_call(ex, key) + "   # ✓, or a hint (never the answer)"


def course_cells(spec: Spec) -> list[tuple[str, dict, dict]]:
    """(where, anchor, cell) for every cell apply inserts into the course notebook."""
    n = spec.number
    out = []
    for q in spec.data.get("quiz", []):
        name = q["file"]
        if not (QUIZZES / f"{name}.json").is_file():
            raise AnchorError(f"{spec.stem}: quiz file notebooks/quizzes/{name}.json is missing")
        text = (f"from mia_edu.widgets.quiz import show_quiz\n\n"
                f'show_quiz("{name}")   # jupyterquiz: pick an answer or type a number and press Enter')
        out.append(("after", q["after"], make_cell("quiz", "code", text, f"mia-quiz-{name}", "subslide")))
    for k, p in enumerate(spec.data.get("panel", []), start=1):
        text = f"**Predict, then move the slider.** {p['prompt'].strip()}"
        out.append(("before", p["before"], make_cell("panel-prompt", "markdown", text, f"mia-predict-{n}-{k}",
                                                     "subslide")))
    checked = spec.checked
    if checked:
        intro = ("### Your answers, checked\n\n"
                 "For the exercises with a number, an array or a set as answer: put your answer in the cell, "
                 "run the check under it. It says ✓, or gives a hint that does not give the answer away. "
                 "The other exercises are open questions: compare with the worked solutions.")
        cells = [make_cell("checks-intro", "markdown", intro, f"mia-checks-{n}", "subslide")]
        for ex in checked:
            key = ex["check"]
            tag = key.replace(".", "-")
            cells.append(make_cell("answer", "code", answer_cell_text(ex, key), f"mia-answer-{tag}", check=key))
            cells.append(make_cell("check", "code", check_cell_text(ex, key), f"mia-check-{tag}", check=key))
        anchor = spec.data.get("checks_after", {"contains": "## Exercises"})
        out.append(("after-section", anchor, cells))
    return out


def reading_cell(spec: Spec, bib: dict) -> dict:
    keys = spec.data.get("reading", [])
    missing = [k for k in keys if k not in bib]
    if missing:
        raise AnchorError(f"{spec.stem}: reading names {missing}, which docs/references.bib lacks")
    lines = ["## Further reading", "",
             "The papers this notebook cites (all in `docs/references.bib`, with their DOI or arXiv id):", ""]
    lines += [f"- {citation(k, bib[k])}" for k in keys]
    return make_cell("reading", "markdown", "\n".join(lines), f"mia-reading-{spec.number}", "slide")


def has_own_reading(cells: list[dict]) -> bool:
    return any(c["cell_type"] == "markdown" and not is_generated(c) and "# Further reading" in source(c)
               for c in cells)


# ---------------------------------------------------------------- apply -------------------------

def strip(nb: dict) -> dict:
    """The notebook as its authors wrote it: generated cells, difficulty marks and slide types removed."""
    nb = copy.deepcopy(nb)
    nb["cells"] = [c for c in nb["cells"] if not is_generated(c)]
    for c in nb["cells"]:
        c.get("metadata", {}).pop("slideshow", None)
        if c["cell_type"] == "markdown" and "## Exercises" in source(c):
            text = "\n".join(line for line in source(c).split("\n") if line != LEGEND.replace("\n", " "))
            text = re.sub(r"\n\n\n+", "\n\n", text)
            text = "\n".join(MARK.sub("", line) if re.match(r"\d+\. \*\*", line) else line for line in text.split("\n"))
            c["source"] = _lines(text) if text else []
    nb.get("metadata", {}).pop("rise", None)
    return nb


def mark_difficulty(cells: list[dict], spec: Spec) -> None:
    if not spec.exercises:
        return
    i = find(cells, {"contains": "## Exercises"}, f"{spec.stem}: the exercises")
    text = source(cells[i])
    head, _, rest = text.partition("## Exercises")
    lines = rest.split("\n")
    for ex in spec.exercises:
        title = re.escape(ex["title"])
        own = re.compile(rf"^{ex['n']}\. (★{{1,3}}) \*\*{title}[.?!]?\*\*")   # the authors marked it already
        pattern = re.compile(rf"^{ex['n']}\. \*\*{title}[.?!]?\*\*")
        if any(own.match(line) for line in lines):
            mark = next(own.match(line).group(1) for line in lines if own.match(line))
            if mark != STARS[ex["difficulty"]]:
                raise AnchorError(f"{spec.stem}: exercise {ex['n']} is marked {mark} in the notebook but "
                                  f"difficulty {ex['difficulty']} in its spec")
            continue
        hit = [k for k, line in enumerate(lines) if pattern.match(line)]
        if not hit:
            raise AnchorError(f"{spec.stem}: exercise {ex['n']} '**{ex['title']}**' is not in the exercises list")
        k = hit[0]
        m = pattern.match(lines[k])
        lines[k] = lines[k][:m.end()] + " " + STARS[ex["difficulty"]] + lines[k][m.end():]
    if "Difficulty" not in rest:   # the legend goes right after the heading line
        lines.insert(1, "")
        lines.insert(2, LEGEND)
    cells[i]["source"] = _lines(head + "## Exercises" + "\n".join(lines))


def slide_types(cells: list[dict]) -> None:
    """RISE: a slide per notebook title and ``##`` section, a sub-slide per ``###``; the other cells
    carry no slide type, which RISE reads as "-" (continue the slide), so few cells change."""
    for k, c in enumerate(cells):
        if is_generated(c):
            continue
        first = source(c).lstrip()
        if k == 0 or (c["cell_type"] == "markdown" and re.match(r"#{1,2} ", first)):
            kind = "slide"
        elif c["cell_type"] == "markdown" and first.startswith("### "):
            kind = "subslide"
        else:
            continue  # no metadata = "-" for RISE: the cell continues the current slide
        c.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}


def insert(cells: list[dict], where: str, anchor: dict, new, label: str) -> None:
    new = new if isinstance(new, list) else [new]
    i = find(cells, anchor, label)
    if where == "after":
        j = i + 1
    elif where == "before":
        j = i
    else:  # after-section
        j = section_end(cells, i, anchor) if ("heading" in anchor or "regex" in anchor) else i + 1
    cells[j:j] = new


RISE = {"scroll": True, "transition": "none", "enable_chalkboard": False, "theme": "white",  # white: no web fonts (offline)
        "header": "<span style='font-size: 60%'>mia-edu · membership inference, hands-on</span>"}


def apply_course(nb: dict, spec: Spec, bib: dict) -> dict:
    nb = strip(nb)
    cells = nb["cells"]
    mark_difficulty(cells, spec)
    for where, anchor, cell in course_cells(spec):
        insert(cells, where, anchor, cell, f"notebooks/{spec.stem}.ipynb")
    if spec.data.get("reading") and not has_own_reading(cells):
        cells.append(reading_cell(spec, bib))
    slide_types(cells)
    nb.setdefault("metadata", {})["rise"] = RISE
    return nb


def apply_solutions(nb: dict, spec: Spec) -> dict:
    nb = strip(nb)
    cells = nb["cells"]
    for ex in spec.checked:
        key = ex["check"]
        anchor = ex.get("solutions_after", {"regex": rf"^#+ (Exercise {ex['n']}\b|{ex['n']}\. )"})
        code = ex.get("solutions_code", ex["solution"]).strip("\n")
        call = check_call(ex, key, ex.get("solutions_context"))
        text = ("# The course notebook's check of this exercise, on the worked solution\n"
                f"from mia_edu.exercises import check\n\n{code}\n{call}.require()")
        insert(cells, "after-section", anchor, make_cell("solution-check", "code", text,
                                                         f"mia-solution-check-{key.replace('.', '-')}", check=key),
               f"notebooks/solutions/{spec.stem}_solutions.ipynb")
    slide_types(cells)
    return nb


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AnchorError(f"{path.relative_to(ROOT)} is not valid JSON ({exc}): an unresolved merge conflict? "
                          "Take one side (git checkout --theirs), then apply again") from None


def planned(spec: Spec, bib: dict) -> dict[Path, str]:
    """{path: the text apply writes} for the spec's notebook and its solutions."""
    out = {}
    if not spec.notebook.is_file():
        raise AnchorError(f"notebooks/teaching/{spec.path.name} names notebooks/{spec.stem}.ipynb, which is missing")
    out[spec.notebook] = dumps(apply_course(_read(spec.notebook), spec, bib))
    if spec.solutions.is_file():
        out[spec.solutions] = dumps(apply_solutions(_read(spec.solutions), spec))
    elif spec.checked:
        raise AnchorError(f"{spec.stem}: has exercise checks but no solutions notebook {spec.solutions}")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["apply", "check", "list"])
    parser.add_argument("--only", nargs="*", metavar="NN", help="only these notebooks (prefixes)")
    args = parser.parse_args(argv)
    bib = read_bib()
    specs = load_specs(args.only)
    course = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    unspecified = [s for s in course if not (SPECS / f"{s}.toml").is_file()]
    status = 0
    if unspecified and not args.only:
        print(f"notebooks without a teaching spec (notebooks/teaching/<stem>.toml): {', '.join(unspecified)}",
              file=sys.stderr)
        status = 1
    done = 0
    for spec in specs:
        if not spec.notebook.is_file():
            print(f"skip {spec.stem}: the notebook is not on this branch yet")
            continue
        done += 1
        try:
            plan = planned(spec, bib)
        except AnchorError as exc:
            print(f"ERROR {exc}", file=sys.stderr)
            status = 1
            continue
        for path, text in plan.items():
            rel = path.relative_to(ROOT)
            same = path.read_text(encoding="utf-8") == text
            if args.command == "apply":
                if not same:
                    path.write_text(text, encoding="utf-8")
                print(f"{'unchanged' if same else 'applied  '} {rel}")
            elif args.command == "check":
                if not same:
                    print(f"NOT APPLIED {rel}: run `python tools/teaching.py apply`", file=sys.stderr)
                    status = 1
            else:
                nb = json.loads(text)
                kinds = [c["metadata"]["mia_edu"][GENERATED] for c in nb["cells"] if is_generated(c)]
                print(f"{rel}: " + ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds)))
    if args.command == "check" and status == 0:
        print(f"all {done} notebooks here (and their solutions) are applied")
    return status


if __name__ == "__main__":
    sys.exit(main())
