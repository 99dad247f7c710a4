"""An attack's scores together with the truth, and every number the literature reports about them.

:class:`AttackResult` knows its ROC curve, AUC, TPR at low FPR (0.1 %, 1 %, 10 %), membership
advantage, best balanced accuracy and bootstrap confidence intervals; prints a one-line
``summary()``, draws itself on log–log axes (``plot_roc()``) and slices itself by class
(``by_class()``), as TF Privacy's results do. All numbers come from :mod:`mia_edu.metrics`.
Taught in notebook 04.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .. import metrics
from .._validation import as_labels

FPRS = (0.001, 0.01, 0.1)
"""The low false-positive rates at which TPR is reported (0.1 %, 1 %, 10 %)."""


def _fpr_key(fpr: float) -> str:
    return f"tpr_at_{fpr * 100:g}%"


_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "auc": metrics.roc_auc,
    "advantage": metrics.advantage,
    "balanced_accuracy": lambda s, m: (1 + metrics.advantage(s, m)) / 2,
    **{_fpr_key(f): (lambda s, m, f=f: float(metrics.tpr_at_fpr(s, m, f))) for f in FPRS},
}


@dataclass(frozen=True, eq=False)
class AttackResult:
    """Membership scores of one attack on samples whose membership is known.

    Parameters
    ----------
    scores : array of float
        One score per sample; higher means "more likely a member".
    is_member : array of bool
        The truth.
    name : str
        The attack's name (legends, tables).
    classes : array of int, optional
        True class of each sample, for :meth:`by_class`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = AttackResult(np.r_[rng.normal(1, 1, 2000), rng.normal(0, 1, 2000)],
    ...                  np.r_[np.ones(2000, bool), np.zeros(2000, bool)], "toy")
    >>> round(r.auc, 2), round(r.advantage, 2)
    (0.76, 0.38)
    """

    scores: np.ndarray
    is_member: np.ndarray
    name: str = "attack"
    classes: np.ndarray | None = None

    def __post_init__(self):
        s, m = metrics.check_scores(self.scores, self.is_member)
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        object.__setattr__(self, "scores", s)
        object.__setattr__(self, "is_member", m)
        if self.classes is not None:
            object.__setattr__(self, "classes", as_labels(self.classes, "classes", n=len(s), length_of="scores"))
        for arr in (self.scores, self.is_member, self.classes):
            if arr is not None:
                arr.setflags(write=False)

    # -- the numbers ----------------------------------------------------------------------------
    @property
    def n_members(self) -> int:
        return int(self.is_member.sum())

    @property
    def n_non_members(self) -> int:
        return int((~self.is_member).sum())

    @cached_property
    def roc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(fpr, tpr, thresholds)`` of the ROC curve (member ⇔ score ≥ threshold)."""
        return metrics.roc_curve(self.scores, self.is_member)

    @cached_property
    def auc(self) -> float:
        """Area under the ROC curve (0.5 = chance)."""
        return metrics.roc_auc(self.scores, self.is_member)

    @cached_property
    def advantage(self) -> float:
        """max over thresholds of TPR − FPR (Yeom et al. 2018): Youden's J of the best threshold."""
        return metrics.advantage(self.scores, self.is_member)

    @property
    def balanced_accuracy(self) -> float:
        """Best balanced accuracy over thresholds, ``(1 + advantage) / 2``."""
        return (1.0 + self.advantage) / 2.0

    def tpr_at(self, fpr: float | Sequence[float] = 0.01):
        """TPR at FPR ≤ ``fpr`` (scalar or list); FPRs below 1/n_non_members read as FPR = 0."""
        return metrics.tpr_at_fpr(self.scores, self.is_member, fpr)

    def to_dict(self) -> dict[str, float]:
        """``{"auc", "tpr_at_0.1%", "tpr_at_1%", "tpr_at_10%", "advantage", "balanced_accuracy"}``."""
        tprs = self.tpr_at(list(FPRS))
        out = {"auc": self.auc}
        out.update({_fpr_key(f): float(t) for f, t in zip(FPRS, tprs)})
        out.update(advantage=self.advantage, balanced_accuracy=self.balanced_accuracy)
        return out

    def ci(self, metric: str | Callable = "auc", *, n_boot: int = 500, confidence: float = 0.95,
           seed: int | np.random.Generator = 0) -> tuple[float, float]:
        """Stratified-bootstrap confidence interval of a metric (a key of :meth:`to_dict` or a callable
        ``f(scores, is_member)``)."""
        if isinstance(metric, str):
            if metric not in _METRICS:
                raise ValueError(f"unknown metric {metric!r}; known: {', '.join(_METRICS)}")
            metric = _METRICS[metric]
        elif not callable(metric):
            raise TypeError(f"metric must be a name or a callable f(scores, is_member), got {metric!r}")
        return metrics.bootstrap_ci(metric, self.scores, self.is_member, n_boot=n_boot,
                                    confidence=confidence, seed=seed)

    def summary(self, *, ci: bool = False, n_boot: int = 200) -> str:
        """One line: name, AUC (with its 95 % CI if ``ci``), TPR at 0.1 / 1 / 10 % FPR, advantage."""
        d = self.to_dict()
        auc = f"AUC {d['auc']:.3f}"
        if ci:
            lo, hi = self.ci("auc", n_boot=n_boot)
            auc += f" [{lo:.3f}, {hi:.3f}]"
        tprs = ", ".join(f"{f * 100:g}%: {d[_fpr_key(f)]:.1%}" for f in FPRS)
        return (f"{self.name}: {auc} | TPR at FPR {tprs} | advantage {d['advantage']:.3f} "
                f"| {self.n_members} members, {self.n_non_members} non-members")

    def __repr__(self) -> str:
        return f"AttackResult({self.summary()})"

    # -- pictures and slices --------------------------------------------------------------------
    def plot_roc(self, log: bool | str = True, *, title: str | None = None):
        """ROC curve as a matplotlib ``Figure`` (``log=True``: log–log axes; ``"both"``: both panels)."""
        from .. import plots

        return plots.roc_figure({self.name: (self.scores, self.is_member)}, log=log, title=title)

    def by_class(self) -> list[dict]:
        """One row per true class: counts, AUC, TPR at 1 % FPR and advantage of the scores *within*
        the class. A class with only members or only non-members gets NaN metrics."""
        if self.classes is None:
            raise ValueError("by_class needs classes: pass classes=labels when making the AttackResult "
                             "(attack.evaluate(S, is_member) does it for class-dependent attacks)")
        rows = []
        for c in np.unique(self.classes):
            k = self.classes == c
            s, m = self.scores[k], self.is_member[k]
            row = {"class": int(c), "n_members": int(m.sum()), "n_non_members": int((~m).sum())}
            if m.all() or not m.any():
                row.update(auc=float("nan"), **{"tpr_at_1%": float("nan")}, advantage=float("nan"))
            else:
                row.update(auc=metrics.roc_auc(s, m), **{"tpr_at_1%": float(metrics.tpr_at_fpr(s, m, 0.01))},
                           advantage=metrics.advantage(s, m))
            rows.append(row)
        return rows


def format_table(rows: Sequence[dict], columns: Sequence[str] | None = None, *, digits: int = 3) -> str:
    """An aligned plain-text table of a list of dicts (``by_class()``, ``to_dict()`` rows, ...).

    Examples
    --------
    >>> print(format_table([{"attack": "loss", "auc": 0.74}, {"attack": "lira", "auc": 0.9}]))
    attack    auc
    loss    0.740
    lira    0.900
    """
    rows = list(rows)
    if not rows:
        return ""
    columns = list(columns) if columns is not None else list(dict.fromkeys(k for r in rows for k in r))

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return "nan" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    cells = [[fmt(r.get(c, "")) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r.get(c), (int, float, np.number)) for r in rows) for c in columns]

    def line(vals):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(vals, widths, numeric)).rstrip()

    return "\n".join([line(columns)] + [line(r) for r in cells])
