"""Self-check quizzes in the notebooks: jupyterquiz, offline, in the course's colours.

The questions live in ``notebooks/quizzes/<name>.json`` (jupyterquiz's format: multiple choice
and numeric questions with per-answer feedback); a notebook shows one with ``show_quiz("01a")``.
jupyterquiz embeds its JavaScript and the questions in the cell's output, so a quiz works in
JupyterLab, Voilà and the HTML handouts without a network (the only URL in its code loads
MathJax 3 when a page has a half-loaded MathJax 3, which none of ours has; our questions use no
TeX). Taught where each quiz sits: see ``notebooks/teaching/*.toml``.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["QUIZ_COLORS", "find_quiz", "show_quiz"]

# Okabe-Ito: right = bluish green, wrong = vermillion (distinguishable with every colour-vision
# deficiency, and the feedback text says which); question panels in blue, white text.
QUIZ_COLORS = {
    "--jq-multiple-choice-bg": "#0072B2",
    "--jq-many-choice-bg": "#0072B2",
    "--jq-numeric-bg": "#0072B2",
    "--jq-string-bg": "#0072B2",
    "--jq-correct-color": "#009E73",
    "--jq-incorrect-color": "#D55E00",
    "--jq-text-color": "#ffffff",
    "--jq-link-color": "#F0E442",
}

_PACKAGE_QUIZZES = Path(__file__).resolve().parents[2] / "notebooks" / "quizzes"


def find_quiz(name: str) -> Path:
    """The JSON file of quiz ``name``: ``quizzes/<name>.json`` beside the notebook, else the course's.

    Raises
    ------
    TypeError
        ``name`` is not a string.
    FileNotFoundError
        no such quiz (the message lists where it looked).
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a quiz name such as '01a', got {name!r}")
    candidates = [Path.cwd() / "quizzes" / f"{name}.json", _PACKAGE_QUIZZES / f"{name}.json"]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"quiz {name!r} not found; looked in: {', '.join(str(p) for p in candidates)}")


def show_quiz(name: str, **options) -> None:
    """Display quiz ``name`` (``notebooks/quizzes/<name>.json``) with jupyterquiz.

    ``options`` go to :func:`jupyterquiz.display_quiz` (``shuffle_answers`` defaults to True
    there; colours default to :data:`QUIZ_COLORS`).
    """
    from jupyterquiz import display_quiz

    path = find_quiz(name)
    questions = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(questions, list) or not questions:
        raise ValueError(f"{path} must hold a non-empty list of jupyterquiz questions")
    options.setdefault("colors", QUIZ_COLORS)
    display_quiz(questions, **options)
