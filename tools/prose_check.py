"""Check the numbers a notebook's prose quotes against the values its code computes.

The convention (also in ``CONTRIBUTING.md`` and ``tests/test_prose_numbers.py``)
-------------------------------------------------------------------------------
Prefer printing a result from code over typing it into a markdown cell. Where prose must quote a
figure, tie it to the output that computes it with an HTML comment *right after the number*
(invisible when the notebook is rendered)::

    it reaches an AUC of about 0.74<!-- claim: cell=1ef70f00 after='AUC' -->

``cell``     id of the code cell whose output holds the value (omit: search every output, in order).
``after``    literal text in that output; the value is the first number after it, or
``pattern``  a regular expression whose first group is the value (use single quotes).
``nth``      take the n-th match (1-based, default 1).
``tol``      override the tolerance (default: half a unit in the last digit the prose writes:
             "0.74" → ±0.005, "about 0.7" → ±0.05, "12" → ±0.5, "30 %" → ±0.5 points).
``cmp``      one of ``<``, ``<=``, ``>``, ``>=``: the computed value must be (e.g.) below the quoted
             one instead of equal to it ("below 0.55" → ``cmp='<'``).
``scale``    multiply the computed value before comparing. A quoted percentage ("30 %") compared
             with an output written as a fraction ("0.302", no ``%``) is scaled by 100 automatically.

Numbers in prose that are *not* results (a setting, a definition) are declared once per cell::

    <!-- allow: 0.9 5%; the exercise's settings -->

Every decimal number, every percentage, and every integer introduced by "≈", "~", "about",
"around", "roughly", "nearly", "almost" or "approximately" in a markdown cell must carry a claim
marker, be declared in the cell's ``allow`` marker, or match one of the few built-in non-results:
an FPR operating point ("TPR at 0.1 % and 1 % FPR", "a false-positive rate of 1 %") and a time
("about 15 seconds", "≈1 s": runtimes are machine-dependent and checked by the notebook test's
timing, not here). Text in code spans, fenced code, links' addresses and HTML comments is skipped;
LaTeX math is scanned like prose.

    python tools/prose_check.py notebooks/03_*.ipynb          # static scan: untagged numbers
    python tools/prose_check.py --execute notebooks/03_*.ipynb  # also run it and check each claim
    python tools/prose_check.py --execute --keep /tmp/run notebooks/0*.ipynb   # keep the executed copies,
    python tools/prose_check.py --executed /tmp/run notebooks/0*.ipynb         # then re-check edits at once
"""

from __future__ import annotations

import json
import math
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

# A number as prose writes it: optional sign, thousands separators, decimals, optional percent.
_NUM = r"[-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
NUMBER = re.compile(rf"(?<![\w.\-−])(?P<num>{_NUM})(?P<pct>\s?%)?(?![\w])")
# A number in code output: also scientific notation.
OUTPUT_NUMBER = re.compile(r"[-−]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?P<pct>\s?%)?")

MARKER = re.compile(r"<!--\s*(?P<kind>claim|allow)\s*:(?P<body>.*?)-->", re.S)
QUALIFIER = re.compile(r"(?:≈|~|∼|\babout|\baround|\broughly|\bnearly|\balmost|\bapproximately)\s*$", re.I)
_PCT_LIST = r"(?:\s*(?:and|or|/|,|to|–|-)\s*[\d.]+\s?%)*"
FPR_AFTER = re.compile(rf"^\s*{_PCT_LIST}\s*(?:FPR|false[- ]positive rate)", re.I)
FPR_BEFORE = re.compile(
    r"(?:FPR|false[- ]positive rate|TPR at|at an? FPR of)[*_]*\s*\(?\s*(?:of|=|at|below|≤|<|is)?\s*"
    r"(?:[\d.]+\s?%\s*(?:and|or|/|,)\s*)*$", re.I)
TIME_AFTER = re.compile(r"^\s*(?:s|sec|secs|seconds?|min|minutes?|ms)\b", re.I)
# What is not prose: fenced code, inline code, link targets, HTML comments (markers included).
_SKIP = [re.compile(r"```.*?```", re.S), re.compile(r"`[^`\n]*`"), re.compile(r"\]\([^)]*\)"),
         re.compile(r"<!--.*?-->", re.S), re.compile(r"https?://\S+")]


@dataclass(frozen=True)
class Claim:
    """A number quoted in a markdown cell and where the notebook's output computes it."""

    cell: str            # the markdown cell that quotes it
    text: str            # the number as written ("0.74", "30 %")
    value: float         # its value (a percentage stays in percent: "30 %" → 30.0)
    percent: bool
    tol: float
    context: str         # the prose around it, for messages
    source: str | None   # code cell id holding the value (None: any)
    after: str | None
    pattern: str | None
    nth: int
    cmp: str
    scale: float | None


@dataclass
class Scan:
    """What one notebook's markdown quotes: claims to check, and problems found statically."""

    path: Path
    claims: list[Claim] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _value(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


def _default_tol(num: str) -> float:
    decimals = len(num.split(".")[1]) if "." in num else 0
    return 0.5 * 10.0 ** -decimals


def _masked(text: str) -> str:
    """The text with everything that is not prose blanked out (same length, positions kept)."""
    for rx in _SKIP:
        text = rx.sub(lambda m: " " * len(m.group()), text)
    return text


def _context(text: str, start: int, end: int, width: int = 40) -> str:
    return " ".join(text[max(0, start - width):end + width].split())


def _is_non_result(masked: str, m: re.Match) -> bool:
    before, after = masked[:m.start()], masked[m.end():]
    if m.group("pct") or after.lstrip().startswith("%"):
        if FPR_AFTER.match(after) or FPR_BEFORE.search(before):
            return True
    return bool(TIME_AFTER.match(after))


def _norm(token: str) -> str:
    return token.replace(" ", "").replace("−", "-")


def scan_notebook(path: str | Path, nb: dict | None = None) -> Scan:
    """Read every markdown cell: the claims it makes, and each number that is neither tagged nor allowed."""
    path = Path(path)
    nb = json.loads(path.read_text()) if nb is None else nb
    scan = Scan(path)
    code_ids = {c.get("id") for c in nb["cells"] if c["cell_type"] == "code"}
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cid = cell.get("id", f"#{index}")
        where = f"{path.name} cell {cid}"
        masked = _masked(text)
        allowed: set[str] = set()
        tagged: set[int] = set()  # start offsets of numbers that carry a claim marker
        for mk in MARKER.finditer(text):
            body = mk.group("body").strip()
            if mk.group("kind") == "allow":
                allowed.update(_norm(t) for t in re.findall(rf"{_NUM}\s?%?", body.split(";")[0]))
                continue
            head = text[:mk.start()]
            num = re.search(rf"(?<![\w.])({_NUM})(\s?%)?[\s*_]*$", head)
            if not num:
                scan.problems.append(f"{where}: a claim marker must follow a number: "
                                     f"...{_context(text, mk.start(), mk.start(), 30)}")
                continue
            tagged.add(num.start(1))  # a bad marker is reported below, not also as an untagged number
            try:
                attrs = dict(kv.split("=", 1) for kv in shlex.split(body))
            except ValueError as err:
                scan.problems.append(f"{where}: cannot read claim marker {mk.group()!r}: {err}")
                continue
            unknown = set(attrs) - {"cell", "after", "pattern", "nth", "tol", "cmp", "scale"}
            if unknown or not (("after" in attrs) ^ ("pattern" in attrs)):
                scan.problems.append(f"{where}: claim marker {mk.group()!r} needs exactly one of after=/pattern= "
                                     f"(unknown keys: {sorted(unknown)})")
                continue
            if "cell" in attrs and attrs["cell"] not in code_ids:
                scan.problems.append(f"{where}: claim marker names cell={attrs['cell']}, not a code cell of this notebook")
                continue
            if attrs.get("cmp", "=") not in ("=", "<", "<=", ">", ">="):
                scan.problems.append(f"{where}: cmp must be one of = < <= > >=, got {attrs['cmp']!r}")
                continue
            written = num.group(1)
            scan.claims.append(Claim(
                cell=cid, text=written + (num.group(2) or ""), value=_value(written), percent=bool(num.group(2)),
                tol=float(attrs["tol"]) if "tol" in attrs else _default_tol(written),
                context=_context(masked, num.start(), num.end()), source=attrs.get("cell"),
                after=attrs.get("after"), pattern=attrs.get("pattern"), nth=int(attrs.get("nth", 1)),
                cmp=attrs.get("cmp", "="), scale=float(attrs["scale"]) if "scale" in attrs else None))
        for m in NUMBER.finditer(masked):
            num, pct = m.group("num"), m.group("pct")
            needs_check = "." in num or pct or QUALIFIER.search(masked[:m.start()])
            if not needs_check or m.start() in tagged or _is_non_result(masked, m):
                continue
            if _norm(num + (pct or "")) in allowed or (not pct and _norm(num) in allowed):
                continue
            scan.problems.append(
                f"{where}: '{num}{pct or ''}' in \"...{_context(masked, m.start(), m.end())}...\" is neither "
                f"tied to a computed value (<!-- claim: cell=ID after='TEXT' -->) nor declared a non-result "
                f"(<!-- allow: {_norm(num + (pct or ''))} -->)")
    return scan


def cell_outputs(nb: dict) -> dict[str, str]:
    """The text each code cell printed or returned (stream and text/plain), by cell id."""
    out: dict[str, str] = {}
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        parts = []
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream":
                parts.append(o["text"] if isinstance(o["text"], str) else "".join(o["text"]))
            elif "data" in o and "text/plain" in o["data"]:
                t = o["data"]["text/plain"]
                parts.append(t if isinstance(t, str) else "".join(t))
        out[cell.get("id", f"#{index}")] = "\n".join(parts)
    return out


def computed_value(claim: Claim, outputs: dict[str, str]) -> tuple[float | None, str]:
    """The value a claim refers to, read from the executed notebook's outputs, and a note on where."""
    cells = [claim.source] if claim.source else list(outputs)
    found: list[tuple[str, str]] = []  # (number text, cell id)
    for cid in cells:
        text = outputs.get(cid, "")
        if claim.pattern:
            for m in re.finditer(claim.pattern, text):
                found.append((m.group(1), cid))
        else:
            start = 0
            while (i := text.find(claim.after, start)) >= 0:
                m = OUTPUT_NUMBER.search(text, i + len(claim.after))
                if m:
                    found.append((m.group(), cid))
                start = i + len(claim.after)
    what = f"pattern {claim.pattern!r}" if claim.pattern else f"the first number after {claim.after!r}"
    where = f"cell {claim.source}" if claim.source else "any output"
    if len(found) < claim.nth:
        return None, f"{what} matched {len(found)} time(s) in {where}'s output (needed match {claim.nth})"
    raw, cid = found[claim.nth - 1]
    value = _value(raw.rstrip("% ").strip())
    if claim.scale is not None:
        value *= claim.scale
    elif claim.percent and "%" not in raw:
        value *= 100.0
    return value, f"{raw.strip()!r} in cell {cid}"


def check_claims(scan: Scan, nb: dict) -> list[str]:
    """Each claim that drifted from the executed notebook's value, as a message (empty: all hold)."""
    outputs = cell_outputs(nb)
    failures = []
    for c in scan.claims:
        value, note = computed_value(c, outputs)
        if value is None:
            failures.append(f"{scan.path.name} cell {c.cell}: '{c.text}' (\"...{c.context}...\"): {note}")
            continue
        ok = {"=": abs(value - c.value) <= c.tol + 1e-12 * max(1.0, abs(c.value)),
              "<": value < c.value, "<=": value <= c.value, ">": value > c.value, ">=": value >= c.value}[c.cmp]
        if not ok or not math.isfinite(value):
            want = f"within ±{c.tol:g} of {c.value:g}" if c.cmp == "=" else f"{c.cmp} {c.value:g}"
            failures.append(f"{scan.path.name} cell {c.cell}: prose says '{c.text}' (\"...{c.context}...\") "
                            f"but the notebook computes {value:g} ({note}); expected {want}")
    return failures


def execute(path: Path, timeout: int = 600) -> dict:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return json.loads(nbformat.writes(nb))


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check the numbers a notebook's prose quotes (see the module docstring).")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--execute", action="store_true", help="run each notebook and check every claim")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="with --execute: write the executed copies to DIR")
    parser.add_argument("--executed", type=Path, metavar="DIR",
                        help="check claims against executed copies already in DIR (same file names), no run")
    args = parser.parse_args(argv)
    bad = 0
    for p in args.notebooks:
        scan = scan_notebook(p)
        problems = list(scan.problems)
        if args.executed:
            problems += check_claims(scan, json.loads((args.executed / p.name).read_text()))
        elif args.execute:
            nb = execute(p)
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                (args.keep / p.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
            problems += check_claims(scan, nb)
        print(f"{p.name}: {len(scan.claims)} claim(s), {len(problems)} problem(s)")
        for line in problems:
            print("  " + line)
        bad += bool(problems)
    return int(bad > 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
