"""Instructor notes whose numbers come from an executed run, never typed by hand.

Each notebook's spec (``notebooks/teaching/<stem>.toml``) lists, under ``[numbers.<name>]``, the
numbers students should see: a Python expression evaluated in the notebook's namespace after a
top-to-bottom run, a format, a tolerance and what it is. A *probe* cell appended to the executed
copy (never to the committed notebook) prints them as one JSON line. The values are stored in
``docs/instructor/numbers/<stem>.json``; ``docs/instructor/<stem>.md`` is rendered from the
hand-written ``docs/instructor/src/<stem>.md`` (misconceptions, discussion questions, where students
get stuck) with ``{{name}}`` replaced by the stored value and ``{{numbers}}`` by a table of all.

CI does not execute anything extra: ``tests/test_notebooks.py`` appends the probe to the run it
makes anyway and fails when a fresh number left its tolerance (the notes are stale: regenerate);
``tests/test_teaching.py`` checks that every note is rendered from its stored numbers.

    python tools/instructor_notes.py               # render the notes from the stored numbers
    python tools/instructor_notes.py --run         # execute the notebooks, store the numbers, render
    python tools/instructor_notes.py --check       # exit 1 if a note is not rendered from its numbers
    MIA_EDU_WRITE_NOTES=1 pytest tests/test_notebooks.py -k executes   # store from the test's run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import teaching  # noqa: E402

ROOT = teaching.ROOT
NOTES = ROOT / "docs" / "instructor"
MARKER = "MIA_EDU_NUMBERS "


def numbers_spec(spec: teaching.Spec) -> dict[str, dict]:
    return spec.data.get("numbers", {})


def spec_for(path: Path) -> teaching.Spec | None:
    """The teaching spec of a course notebook path (None for solutions or unknown notebooks)."""
    toml = teaching.SPECS / f"{path.stem}.toml"
    if "solutions" in path.parts or not toml.is_file():
        return None
    return next(s for s in teaching.load_specs() if s.stem == path.stem)


def probe_source(spec: teaching.Spec) -> str:
    exprs = {name: item["expr"] for name, item in numbers_spec(spec).items()}
    return ("import json as _mia_json\n_mia_values = {}\n"
            f"for _mia_name, _mia_expr in {exprs!r}.items():\n"
            "    try:\n        _mia_values[_mia_name] = float(eval(_mia_expr))\n"
            "    except Exception as _mia_error:  # reported, and the check fails naming it\n"
            "        _mia_values[_mia_name] = f'{type(_mia_error).__name__}: {_mia_error}'\n"
            f"print({MARKER!r} + _mia_json.dumps(_mia_values))")


def instructor_probe(path: Path):
    """A probe cell (nbformat node) for the notebook at ``path``, or None when it has no numbers."""
    spec = spec_for(Path(path))
    if spec is None or not numbers_spec(spec):
        return None
    import nbformat

    return nbformat.v4.new_code_cell(probe_source(spec))


def read_probe(nb) -> dict:
    for cell in reversed(nb["cells"]):
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            for line in text.splitlines():
                if line.startswith(MARKER):
                    return json.loads(line[len(MARKER):])
    raise RuntimeError("the probe cell printed no numbers")


def stored_path(spec: teaching.Spec) -> Path:
    return NOTES / "numbers" / f"{spec.stem}.json"


def stored(spec: teaching.Spec) -> dict:
    path = stored_path(spec)
    return json.loads(path.read_text(encoding="utf-8"))["numbers"] if path.is_file() else {}


def store(spec: teaching.Spec, values: dict, how: str) -> None:
    bad = {k: v for k, v in values.items() if not isinstance(v, float)}
    if bad:
        raise RuntimeError(f"{spec.stem}: these numbers could not be computed: {bad}")
    path = stored_path(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"notebook": f"notebooks/{spec.stem}.ipynb", "how": how,
               "numbers": {k: values[k] for k in numbers_spec(spec)}}
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def check_instructor_numbers(path: Path, nb) -> None:
    """After a run of ``path`` with the probe: the fresh numbers are within tolerance of the stored
    ones (or, with ``MIA_EDU_WRITE_NOTES=1``, store them and re-render the note)."""
    spec = spec_for(Path(path))
    fresh = read_probe(nb)
    if os.environ.get("MIA_EDU_WRITE_NOTES") == "1":
        store(spec, fresh, "tests/test_notebooks.py with MIA_EDU_WRITE_NOTES=1")
        if (NOTES / "src" / f"{spec.stem}.md").is_file():
            write_note(spec)
        return
    old = stored(spec)
    problems = []
    for name, item in numbers_spec(spec).items():
        value = fresh.get(name)
        if not isinstance(value, float):
            problems.append(f"{name}: `{item['expr']}` failed: {value}")
        elif name not in old:
            problems.append(f"{name}: not stored yet")
        elif not math.isclose(value, old[name], abs_tol=float(item.get("tol", 0.02)), rel_tol=1e-9):
            problems.append(f"{name} = {value:{item.get('fmt', '.3f')}} now, the note says "
                            f"{old[name]:{item.get('fmt', '.3f')}} (tolerance {item.get('tol', 0.02)})")
    if problems:
        raise AssertionError(f"docs/instructor/{spec.stem}.md is stale: " + "; ".join(problems)
                             + f". Regenerate: python tools/instructor_notes.py --run --only {spec.number}")


def render(spec: teaching.Spec) -> str:
    src = NOTES / "src" / f"{spec.stem}.md"
    if not src.is_file():
        raise FileNotFoundError(f"{src.relative_to(ROOT)} is missing: write the note's prose there")
    text = src.read_text(encoding="utf-8")
    values = stored(spec)
    items = numbers_spec(spec)

    def fmt(name: str) -> str:
        if name not in values:
            raise KeyError(f"{src.relative_to(ROOT)} uses {{{{{name}}}}}, which the spec's [numbers] or the "
                           f"stored numbers lack")
        return format(values[name], items.get(name, {}).get("fmt", ".3f"))

    table = ["| what students should see | value | tolerance |", "| --- | --- | --- |"]
    table += [f"| {item['what']} | {fmt(name)} | ±{item.get('tol', 0.02)} |" for name, item in items.items()]
    text = text.replace("{{numbers}}", "\n".join(table))
    text = re.sub(r"\{\{(\w+)\}\}", lambda m: fmt(m.group(1)), text)
    header = (f"<!-- generated by tools/instructor_notes.py from docs/instructor/src/{spec.stem}.md and "
              f"docs/instructor/numbers/{spec.stem}.json: edit those, not this file -->\n")
    return header + text


def write_note(spec: teaching.Spec) -> Path:
    path = NOTES / f"{spec.stem}.md"
    path.write_text(render(spec), encoding="utf-8")
    return path


def run(spec: teaching.Spec, timeout: int = 600) -> dict:
    """Execute the committed notebook (with the probe) in a fresh kernel; return the numbers."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(spec.notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(probe_source(spec)))
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(spec.notebook.parent)}}).execute()
    return read_probe(nb)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Render (and regenerate) the instructor notes.")
    parser.add_argument("--run", action="store_true", help="execute the notebooks and store fresh numbers first")
    parser.add_argument("--check", action="store_true", help="exit 1 if a note is not rendered from its numbers")
    parser.add_argument("--only", nargs="*", metavar="NN")
    args = parser.parse_args(argv)
    status = 0
    for spec in teaching.load_specs(args.only):
        if not spec.notebook.is_file() or not numbers_spec(spec):
            continue
        if args.run:
            start = time.perf_counter()
            store(spec, run(spec), "python tools/instructor_notes.py --run")
            print(f"ran {spec.stem} ({time.perf_counter() - start:.0f} s)")
        path = NOTES / f"{spec.stem}.md"
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != render(spec):
                print(f"STALE {path.relative_to(ROOT)}: run python tools/instructor_notes.py", file=sys.stderr)
                status = 1
        else:
            print(f"wrote {write_note(spec).relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
