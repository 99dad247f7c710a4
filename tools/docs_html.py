"""Render the teacher's documents (``docs/``) to HTML beside the handouts (called by
``tools/build_html.py``; alone: ``python tools/docs_html.py --out build/html``).

``docs/syllabus.md``, ``docs/glossary.md`` and ``docs/instructor/*.md`` become pages under
``<out>/docs/``; ``docs/references.bib`` becomes ``<out>/docs/references.html`` (one entry per paper,
with its DOI or arXiv link). Links to ``../notebooks/NN_*.ipynb`` point to the handouts
``../NN_*.html``, links to ``*.md`` to the rendered pages. Nothing is executed: seconds.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import teaching  # noqa: E402

ROOT = teaching.ROOT
DOCS = ROOT / "docs"
STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; } td, th { border: 1px solid #ccc; padding: .3rem .5rem; vertical-align: top; }
th { background: #f0f0f0; } code { background: #f6f6f6; padding: 0 .2rem; } a { color: #0072B2; }
nav { font-size: 90%; margin-bottom: 1rem; } li { margin: .3rem 0; }
"""


def _markdown(text: str) -> str:
    import mistune

    return mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])(text)


def _links(body: str, depth: int) -> str:
    up = "../" * depth

    def notebook(m: re.Match) -> str:
        sub, stem = m.group(1) or "", m.group(2)
        return f'href="{up}../{sub}{stem}.html"'

    body = re.sub(r'href="(?:\.\./)+notebooks/(solutions/)?([\w\-]+)\.ipynb"', notebook, body)
    body = re.sub(r'href="([\w\-/\.]*?)\.md"', r'href="\1.html"', body)
    return body.replace('href="references.bib"', 'href="references.html"')


def page(title: str, body: str, depth: int) -> str:
    up = "../" * depth
    nav = (f'<nav><a href="{up}../index.html">handouts</a> · <a href="{up}syllabus.html">syllabus</a> · '
           f'<a href="{up}glossary.html">glossary</a> · <a href="{up}references.html">references</a> · '
           f'<a href="{up}instructor/index.html">instructor notes</a></nav>')
    return (f"<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{nav}\n{body}\n</body></html>\n")


def references_page(bib: dict) -> str:
    items = []
    for key, entry in sorted(bib.items(), key=lambda kv: (kv[1]["author"].split(",")[0], kv[1]["year"])):
        cite = _markdown(teaching.citation(key, entry)).strip()
        cite = re.sub(r"^<p>|</p>$", "", cite)
        items.append(f"<li id='{html.escape(key)}'>{cite} <code>{html.escape(key)}</code></li>")
    return ("<h1>References</h1><p>Every paper the course cites, from <code>docs/references.bib</code> "
            "(each with its DOI or arXiv id).</p><ul>" + "\n".join(items) + "</ul>")


def render_docs(out: Path) -> list[Path]:
    """Write the docs' HTML pages under ``out/docs``; returns the pages written."""
    dest = out / "docs"
    written = []
    sources = [(DOCS / "syllabus.md", dest / "syllabus.html", 1), (DOCS / "glossary.md", dest / "glossary.html", 1)]
    notes = sorted((DOCS / "instructor").glob("[0-9][0-9]_*.md"))
    sources += [(p, dest / "instructor" / f"{p.stem}.html", 2) for p in notes]
    for src, target, depth in sources:
        text = src.read_text(encoding="utf-8")
        title = next((line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("#")), src.stem)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page(title, _links(_markdown(text), depth - 1), depth - 1), encoding="utf-8")
        written.append(target)
    listing = "".join(f"<li><a href='{p.stem}.html'>{html.escape(p.stem)}</a></li>" for p in notes)
    index = dest / "instructor" / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(page("Instructor notes", "<h1>Instructor notes</h1><p>Numbers generated from an executed "
                          f"run (tools/instructor_notes.py).</p><ul>{listing}</ul>", 1), encoding="utf-8")
    refs = dest / "references.html"
    refs.write_text(page("References", references_page(teaching.read_bib()), 0), encoding="utf-8")
    return [*written, index, refs]


INDEX_SECTION = """<h2>For teachers</h2>
<ul>
<li><a href='docs/syllabus.html'>Syllabus</a>: learning outcomes, class minutes, three paths (90 minutes, one day, four weeks)</li>
<li><a href='docs/glossary.html'>Glossary</a> of every term, with the notebook that teaches it</li>
<li><a href='docs/references.html'>References</a>, each with its DOI or arXiv id</li>
<li><a href='docs/instructor/index.html'>Instructor notes</a>: numbers students should see, misconceptions, discussion questions</li>
</ul>"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Render docs/ to HTML.")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "html")
    args = parser.parse_args(argv)
    for path in render_docs(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
