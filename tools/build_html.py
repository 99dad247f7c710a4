"""Execute every notebook and render HTML handouts into ``build/html/`` (``make html``).

Each notebook is run top to bottom in a fresh kernel (nbclient), with the widgets' state stored in
the notebook, then rendered with JupyterLab's HTML template plus a static snapshot under every
panel (``tools/html_template/mia_edu``): online, the embedded widget state draws the panels as
they were at the end of the run; offline (the widget manager comes from a CDN), the snapshot
still shows their figure and numbers. ``index.html`` lists the lessons in course order, then the
solutions. The committed notebooks are read, never written.

    python tools/build_html.py [--out build/html] [--only 01 02 ...] [--no-solutions] [--timeout 600]

Exit status 1 if any notebook fails to execute (its handout is still written, up to the failing
cell, and the index marks it).
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from docs_html import INDEX_SECTION, render_docs  # noqa: E402  (the teacher's docs/, rendered beside the handouts)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "html_template"
NUMBERED = re.compile(r"^(\d+)_.*\.ipynb$")


@dataclass
class Handout:
    source: Path
    html_name: str
    title: str
    seconds: float = 0.0
    error: str = ""


def course_order(folder: Path) -> list[Path]:
    """``NN_slug.ipynb`` files of ``folder``, by their number (then name)."""
    found = [p for p in folder.glob("*.ipynb") if NUMBERED.match(p.name)]
    return sorted(found, key=lambda p: (int(NUMBERED.match(p.name).group(1)), p.name))


def title_of(nb) -> str:
    """The first heading of the first markdown cell (else the file name)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.lstrip().startswith("#"):
                    return line.lstrip("# ").strip()
            break
    return ""


def execute(path: Path, timeout: int):
    """Run ``path`` in a fresh python3 kernel (cwd = its folder); returns (notebook, seconds, error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    error = ""
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return nb, time.perf_counter() - start, error


def render(nb, dest: Path, *, index_href: str) -> None:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="mia_edu", extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(nb, resources={"mia_edu_index": index_href,
                                                         "metadata": {"name": dest.stem}})
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(body, encoding="utf-8")


def write_index(out: Path, lessons: list[Handout], solutions: list[Handout]) -> Path:
    def rows(items: list[Handout], prefix: str) -> str:
        lines = []
        for h in items:
            status = (f"<span class='err'>failed: {html.escape(h.error)}</span>" if h.error
                      else f"<span class='ok'>ran in {h.seconds:.0f} s</span>")
            lines.append(f"<li><a href='{prefix}{html.escape(h.html_name)}'>{html.escape(h.title or h.source.stem)}</a>"
                         f" <code>{html.escape(h.source.name)}</code> {status}</li>")
        return "\n".join(lines)

    built = time.strftime("%Y-%m-%d %H:%M")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mia-edu: membership inference, hands-on</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
li {{ margin: .4rem 0; }} code {{ color: #666; font-size: 85%; }} .ok {{ color: #009E73; font-size: 85%; }}
.err {{ color: #D55E00; font-weight: bold; }} h1 {{ margin-bottom: .2rem; }} .note {{ color: #555; }}
</style></head>
<body>
<h1>mia-edu: membership inference, hands-on</h1>
<p class="note">Handouts rendered from the course notebooks, executed top to bottom on {built}.
Interactive panels show their state at the end of the run (move the sliders by running the
notebook itself: <code>make lab</code>, or <code>make app NB=02</code> for the lecture view).</p>
<h2>Lessons, in course order</h2>
<ol>
{rows(lessons, "")}
</ol>
{"<h2>Solutions</h2><ul>" + rows(solutions, "solutions/") + "</ul>" if solutions else ""}
{INDEX_SECTION}
</body></html>
"""
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Execute the notebooks and render HTML handouts.")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "html", help="output folder (build/html)")
    parser.add_argument("--only", nargs="*", default=None, metavar="NN",
                        help="only the notebooks whose name starts with these prefixes, e.g. --only 01 02")
    parser.add_argument("--no-solutions", action="store_true", help="skip notebooks/solutions/")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (600)")
    args = parser.parse_args(argv)

    def wanted(p: Path) -> bool:
        return args.only is None or any(p.name.startswith(prefix) for prefix in args.only)

    jobs = [(p, "") for p in course_order(NOTEBOOKS) if wanted(p)]
    if not args.no_solutions:
        jobs += [(p, "solutions/") for p in course_order(NOTEBOOKS / "solutions") if wanted(p)]
    if not jobs:
        print("no notebooks matched", file=sys.stderr)
        return 1
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    lessons, solutions = [], []
    for path, sub in jobs:
        print(f"== {path.relative_to(ROOT)}", flush=True)
        nb, seconds, error = execute(path, args.timeout)
        handout = Handout(path, path.with_suffix(".html").name, title_of(nb), seconds, error)
        render(nb, out / sub / handout.html_name, index_href="../index.html" if sub else "index.html")
        (solutions if sub else lessons).append(handout)
        print(f"   {'FAILED: ' + error if error else 'ok'} ({seconds:.1f} s) -> {(out / sub / handout.html_name).relative_to(ROOT) if out.is_relative_to(ROOT) else out / sub / handout.html_name}", flush=True)
    index = write_index(out, lessons, solutions)
    docs = render_docs(out)
    failed = [h for h in lessons + solutions if h.error]
    print(f"wrote {index} ({len(lessons)} lessons, {len(solutions)} solutions, {len(failed)} failed; "
          f"{len(docs)} pages of docs/)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
