"""Exercise checks: a student's answer → "right", or a hint that does not give the answer away.

Every notebook ends with exercises; those with a numeric, array or set answer have a *check*::

    from mia_edu.exercises import check
    check("01.1", tpr_p5=tpr_p5, fpr_p5=fpr_p5, loss=loss, is_member=is_member)

The first arguments are the student's answers, the others the notebook's own data the check needs
to recompute the right answer (so it works for any seed or knob setting). A check never raises on a
wrong or missing answer: it returns a :class:`Verdict` (truthy when right) that the notebook shows
as ✓ or as a hint. ``Verdict.require()`` raises instead (the worked solutions and the nbgrader
tests use it). Bad *context* (a missing array, the wrong type) raises ``TypeError`` as usual.

One module per notebook (``nb01`` … ``nbNN``) registers its checks with :func:`exercise`; every
module in this package is imported on first use, so a new notebook adds a file and nothing else.
The checks are run against the worked solutions and against wrong answers by
``tests/test_exercises.py``.
"""

from __future__ import annotations

import html
import importlib
import numbers
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["Exercise", "Verdict", "check", "exercise", "exercises", "answers_match"]


@dataclass(frozen=True)
class Verdict:
    """What :func:`check` says about one answer: right or not, and a message (a hint when wrong)."""

    exercise: str
    correct: bool
    answered: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        mark = "✓" if self.correct else ("…" if not self.answered else "✗")
        return f"{mark} Exercise {self.exercise}: {self.message}"

    __repr__ = __str__

    def _repr_html_(self) -> str:  # Okabe-Ito: bluish green for right, vermillion for wrong
        colour = "#009E73" if self.correct else ("#555555" if not self.answered else "#D55E00")
        return (f"<div style='border-left: 4px solid {colour}; padding: 2px 8px'>"
                f"{html.escape(str(self))}</div>")

    def require(self) -> Verdict:
        """Return ``self`` when right, else raise ``AssertionError`` with the message."""
        if not self.correct:
            raise AssertionError(str(self))
        return self


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise: its answers, the context it needs and how to judge an answer."""

    key: str
    title: str
    answers: tuple[str, ...]
    context: tuple[str, ...]
    reference: Callable[..., dict]
    hint: str
    atol: float = 1e-3

    @property
    def diagnose(self) -> Callable[..., str | None] | None:
        """The known-mistakes diagnosis attached with :func:`diagnoses`, if any."""
        return getattr(self.reference, "diagnose", None)

    @property
    def notebook(self) -> str:
        return self.key.split(".")[0]


_REGISTRY: dict[str, Exercise] = {}
_LOADED = False


def exercise(key: str, title: str, *, answers, context=(), hint: str, atol: float = 1e-3):
    """Register ``reference(**context) -> {answer name: right value}`` as the check of ``key``.

    ``key`` is ``"NN.k"`` (notebook NN, exercise k). ``hint`` is shown with every wrong answer and
    must not contain the answer. :func:`diagnoses` (above or below this decorator) attaches a
    diagnosis of known mistakes, ``(given, right, **context) -> str | None``.
    """
    def register(reference):
        if key in _REGISTRY:
            raise ValueError(f"exercise {key!r} is registered twice")
        ex = Exercise(key, title, tuple(answers), tuple(context), reference, hint, atol)
        _REGISTRY[key] = ex
        reference.exercise = ex
        return reference
    return register


def diagnoses(diagnose):
    """Decorator: attach a diagnosis of known mistakes to a reference function."""
    def attach(reference):
        reference.diagnose = diagnose
        return reference
    return attach


def _load() -> None:
    global _LOADED
    if not _LOADED:
        for info in pkgutil.iter_modules(__path__):
            if info.name.startswith("nb"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True


def exercises(notebook: str | None = None) -> list[Exercise]:
    """Every registered check (of one notebook ``"NN"`` when given), in order."""
    _load()
    found = [ex for ex in _REGISTRY.values() if notebook is None or ex.notebook == notebook]
    return sorted(found, key=lambda ex: (ex.notebook, int(ex.key.split(".")[1])))


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, Mapping):
        return len(value) == 0 or any(v is None for v in value.values())
    return False


def _close(given, right, atol: float) -> bool:
    """Whether ``given`` matches ``right``: numbers within ``atol`` (or 1e-6 relative), arrays
    element-wise, mappings key by key (keys compared as numbers where they are numbers), sets and
    strings exactly (strings case- and space-insensitive)."""
    if isinstance(right, bool) or isinstance(right, np.bool_):
        return isinstance(given, (bool, np.bool_)) and bool(given) == bool(right)
    if isinstance(right, str):
        return isinstance(given, str) and given.strip().lower() == right.strip().lower()
    if isinstance(right, (set, frozenset)):
        try:
            return {str(g).strip().lower() for g in given} == {str(r).strip().lower() for r in right}
        except TypeError:
            return False
    if isinstance(right, Mapping):
        if not isinstance(given, Mapping):
            if np.ndim(given) == 1 and len(given) == len(right) and all(
                    isinstance(k, numbers.Integral) for k in right) and sorted(right) == list(range(len(right))):
                given = dict(enumerate(np.asarray(given).tolist()))  # a per-class list for a per-class dict
            else:
                return False
        norm = lambda d: {(float(k) if isinstance(k, numbers.Number) else str(k)): v for k, v in d.items()}
        g, r = norm(given), norm(right)
        return set(g) == set(r) and all(_close(g[k], r[k], atol) for k in r)
    if isinstance(right, numbers.Number) or np.ndim(right) >= 1:
        try:
            g = np.asarray(given, dtype=np.float64)
            r = np.asarray(right, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if g.shape != r.shape or not np.all(np.isfinite(g)):
            return False
        return bool(np.all(np.abs(g - r) <= atol + 1e-6 * np.abs(r)))
    return given == right


def answers_match(ex: Exercise, given: Mapping, right: Mapping) -> list[str]:
    """The answer names whose given value does not match the right one."""
    return [name for name in ex.answers if not _close(given[name], right[name], ex.atol)]


def check(key: str, **kwargs) -> Verdict:
    """Check the answers of exercise ``key`` (e.g. ``"01.1"``); see the module docstring.

    Raises
    ------
    ValueError
        ``key`` names no exercise.
    TypeError
        an answer or a context argument is missing, or an unknown argument is given.
    """
    _load()
    if key not in _REGISTRY:
        known = ", ".join(ex.key for ex in exercises())
        raise ValueError(f"key must name an exercise with a check ({known}); got {key!r}")
    ex = _REGISTRY[key]
    expected = ex.answers + ex.context
    unknown = sorted(set(kwargs) - set(expected))
    absent = [name for name in expected if name not in kwargs]
    if unknown or absent:
        raise TypeError(f"check({key!r}, ...) takes the answers {', '.join(ex.answers)}"
                        + (f" and the notebook's {', '.join(ex.context)}" if ex.context else "")
                        + (f"; missing: {', '.join(absent)}" if absent else "")
                        + (f"; unexpected: {', '.join(unknown)}" if unknown else ""))
    given = {name: kwargs[name] for name in ex.answers}
    # a context value that is None is an input the exercise asks the student to build (a model's
    # history, a sweep's records): not answered yet either
    unanswered = [name for name, value in given.items() if _missing(value)]
    unanswered += [name for name in ex.context if kwargs[name] is None]
    if unanswered:
        return Verdict(key, False, False, f"not answered yet: set {', '.join(unanswered)} in the cell above, "
                                          "then run this cell again.")
    right = ex.reference(**{name: kwargs[name] for name in ex.context})
    wrong = answers_match(ex, given, right)
    if not wrong:
        return Verdict(key, True, True, f"right ({ex.title}).")
    specific = ex.diagnose(given, right, **{name: kwargs[name] for name in ex.context}) if ex.diagnose else None
    message = f"not yet: {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} off."
    if specific:
        message += f" {specific}"
    return Verdict(key, False, True, f"{message} Hint: {ex.hint}")
