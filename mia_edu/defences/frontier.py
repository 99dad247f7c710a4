"""The privacy–utility frontier: each defence × strength → accuracy and the strongest attack's success.

For every (defence, strength) :func:`evaluate_defence` trains the target with the defended recipe
on the members (cached), then attacks it with

- **online LiRA** (Carlini et al. 2022), the strongest attack of the course, whose reference models
  are trained with the *same* defended recipe (the attacker knows how the target was trained) on
  random halves of the candidates (members and non-members); with fewer than 64 reference models
  one pooled variance is used (``fixed_variance``), as the paper recommends;
- the **global loss threshold** (Yeom et al. 2018), for contrast: a weak attack that flatters
  defences which only equalise the *average* loss.

and records train/test accuracy, AUC, TPR at 0.1 % and 1 % FPR, the advantage (max TPR − FPR) and,
for DP-SGD, the accountant's (ε, δ). :func:`privacy_utility_frontier` does it for a grid of
defences and returns a :class:`FrontierTable`. Taught in notebook 08.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .. import metrics, signals
from .._validation import check_int
from ..attacks import LiRA
from ..attacks.result import format_table
from ..data import Dataset, load_dataset
from ..splits import MembershipSplit, make_split
from ..training import TrainConfig, train
from .recipes import DP_EPOCHS, check_defence, defended_config, parse_defences, stopping_epoch

#: The numbers of one point, in table order (the JSON keys of ``python -m mia_edu defend``).
COLUMNS = ("strength", "epsilon", "train_acc", "test_acc", "auc", "tpr_at_0.1%", "tpr_at_1%", "advantage", "seconds")


@dataclass(frozen=True, eq=False)
class FrontierSetting:
    """The experiment every point shares: the data, the split, the undefended recipe, the attacker.

    Parameters
    ----------
    dataset : a bundled data set name (or a :class:`~mia_edu.data.Dataset`).
    n_members : members; as many non-members are drawn, and the candidates are both.
    validation_size : the defender's validation set (early stopping), disjoint from both.
    base : the undefended recipe (default ``TrainConfig()``: 200 full-batch epochs, width 256).
    n_reference : LiRA's reference models per point (each trained with that point's recipe).
    dp_epochs : epochs of the DP-SGD recipe (:data:`mia_edu.defences.recipes.DP_EPOCHS`).
    seed : seed of the split and of LiRA's subsets (the models' seeds come from ``base.seed``).
    """

    dataset: str | Dataset = "mnist1d"
    n_members: int = 1250
    validation_size: int = 500
    base: TrainConfig = field(default_factory=TrainConfig)
    n_reference: int = 8
    dp_epochs: int = DP_EPOCHS
    seed: int = 0

    def __post_init__(self):
        check_int(self.n_members, "n_members", minimum=10)
        check_int(self.validation_size, "validation_size", minimum=1)
        check_int(self.n_reference, "n_reference", minimum=2)
        check_int(self.dp_epochs, "dp_epochs", minimum=1)
        check_int(self.seed, "seed", minimum=0)
        if not isinstance(self.base, TrainConfig):
            raise TypeError(f"base must be a TrainConfig, got {type(self.base).__name__}")
        if not isinstance(self.dataset, (str, Dataset)):
            raise TypeError(f"dataset must be a data set name or a Dataset, got {type(self.dataset).__name__}")


class _Data:
    """The arrays of one setting, made once: candidates (members then non-members) and validation."""

    def __init__(self, setting: FrontierSetting):
        ds = load_dataset(setting.dataset) if isinstance(setting.dataset, str) else setting.dataset
        n = setting.n_members
        need = 2 * n + setting.validation_size
        if need > len(ds):
            raise ValueError(f"n_members = {n} needs {need} samples (members, as many non-members and "
                             f"validation_size = {setting.validation_size}), but the data set has {len(ds)}")
        self.dataset = ds
        self.split: MembershipSplit = make_split(len(ds), train_size=n, holdout_size=n,
                                                 validation_size=setting.validation_size, seed=setting.seed)
        idx, self.is_member = self.split.evaluation()
        self.X, self.y = ds.X[idx], ds.y[idx]
        self.X_train, self.y_train = ds.X[self.split.train], ds.y[self.split.train]
        self.X_test, self.y_test = ds.X[self.split.holdout], ds.y[self.split.holdout]
        self.X_val, self.y_val = ds.X[self.split.validation], ds.y[self.split.validation]
        self.n_classes = ds.n_classes


@dataclass(frozen=True, eq=False)
class FrontierPoint:
    """One defence at one strength: the recipe, the model's accuracy and both attacks' numbers.

    ``lira`` and ``loss`` hold ``auc``, ``advantage``, ``tpr_at_0.1%`` and ``tpr_at_1%``;
    ``lira_scores`` / ``loss_scores`` are the scores of the candidates, ``is_member`` the truth.
    """

    defence: str
    strength: object
    config: TrainConfig
    epsilon: float | None
    delta: float | None
    train_acc: float
    test_acc: float
    lira: dict
    loss: dict
    seconds: float
    lira_scores: np.ndarray
    loss_scores: np.ndarray
    is_member: np.ndarray

    def row(self, attack: str = "lira") -> dict:
        """The point as one flat dict (:data:`COLUMNS`), with ``attack``'s numbers."""
        numbers = self.lira if attack == "lira" else self.loss
        return {"strength": self.strength, "epsilon": self.epsilon, "train_acc": self.train_acc,
                "test_acc": self.test_acc, **{k: numbers[k] for k in ("auc", "tpr_at_0.1%", "tpr_at_1%",
                                                                        "advantage")},
                "seconds": self.seconds}

    @property
    def label(self) -> str:
        if self.defence == "none":
            return "undefended"
        text = f"{self.defence} {self.strength:g}"
        return text + (f" (ε={self.epsilon:.2g})" if self.epsilon is not None else "")


def _attack_numbers(scores, is_member) -> dict:
    return metrics.summarize(scores, is_member, fprs=(0.001, 0.01))


def evaluate_defence(setting: FrontierSetting, defence: str, strength=None, *, progress: bool = False,
                     _data: _Data | None = None) -> FrontierPoint:
    """Train the target with ``defence`` at ``strength`` and attack it with online LiRA and the loss.

    Everything is cached on disk (the target, the reference models, early stopping's validation
    run), so a second call costs a forward pass and LiRA's Gaussian fits.

    Examples
    --------
    >>> s = FrontierSetting("digits", n_members=200, validation_size=100,
    ...                     base=TrainConfig(epochs=30, hidden=32), n_reference=2)
    >>> p = evaluate_defence(s, "weight_decay", 1e-2)
    >>> sorted(p.lira)
    ['advantage', 'auc', 'tpr_at_0.1%', 'tpr_at_1%']
    """
    if not isinstance(setting, FrontierSetting):
        raise TypeError(f"setting must be a FrontierSetting, got {type(setting).__name__}")
    check_defence(defence)
    if defence == "none":
        strength = None
    start = time.perf_counter()
    data = _data or _Data(setting)
    stop = None
    if defence == "early_stopping":
        stop = stopping_epoch(setting.base, data.X_train, data.y_train, data.X_val, data.y_val,
                              check_int(strength, "strength (patience)", minimum=1), n_classes=data.n_classes)
    config = defended_config(setting.base, defence, strength, stop_epoch=stop, dp_epochs=setting.dp_epochs)
    target = train(config, data.X_train, data.y_train, n_classes=data.n_classes)
    logits = target.logits(data.X)
    loss_scores = -signals.loss(logits, data.y)
    lira = LiRA(config, n_reference=setting.n_reference, online=True, fixed_variance=setting.n_reference < 64,
                seed=setting.seed, progress=progress).fit(data.X, data.y, n_classes=data.n_classes)
    lira_scores = lira.score_target(target, data.X, data.y)
    m = data.is_member
    pred = logits.argmax(1)
    return FrontierPoint(defence, strength, config, target.epsilon, target.delta,
                         float(np.mean(pred[m] == data.y[m])), float(np.mean(pred[~m] == data.y[~m])),
                         _attack_numbers(lira_scores, m), _attack_numbers(loss_scores, m),
                         time.perf_counter() - start, lira_scores, loss_scores, m)


def pareto_mask(test_acc, tpr) -> np.ndarray:
    """Which points are Pareto-optimal: no other point has test accuracy ≥ and TPR ≤, one strictly.

    >>> pareto_mask([0.5, 0.4, 0.45], [0.2, 0.01, 0.3]).tolist()
    [True, True, False]
    """
    acc, risk = np.asarray(test_acc, float), np.asarray(tpr, float)
    if acc.shape != risk.shape or acc.ndim != 1:
        raise ValueError("test_acc and tpr must be 1-D arrays of the same length")
    keep = np.ones(len(acc), bool)
    for i in range(len(acc)):
        better = (acc >= acc[i]) & (risk <= risk[i]) & ((acc > acc[i]) | (risk < risk[i]))
        keep[i] = not better.any()
    return keep


@dataclass(frozen=True, eq=False)
class FrontierTable:
    """Every point of a frontier run, in order, with the setting they share."""

    setting: FrontierSetting
    points: list[FrontierPoint]
    seconds: float

    def by_defence(self) -> dict[str, list[FrontierPoint]]:
        out: dict[str, list[FrontierPoint]] = {}
        for p in self.points:
            out.setdefault(p.defence, []).append(p)
        return out

    def pareto(self, attack: str = "lira") -> list[FrontierPoint]:
        """The Pareto-optimal points (highest test accuracy for the lowest TPR at 1 % FPR)."""
        numbers = [p.lira if attack == "lira" else p.loss for p in self.points]
        mask = pareto_mask([p.test_acc for p in self.points], [n["tpr_at_1%"] for n in numbers])
        return [p for p, keep in zip(self.points, mask) if keep]

    def rows(self, attack: str = "lira") -> list[dict]:
        """One flat dict per point: ``defence`` then :data:`COLUMNS` (and the loss attack's TPR)."""
        return [{"defence": p.defence, **p.row(attack), "loss_tpr_at_1%": p.loss["tpr_at_1%"]}
                for p in self.points]

    def to_json(self, digits: int = 4) -> dict[str, list[dict]]:
        """``{defence: [{strength, epsilon, train_acc, test_acc, auc, tpr_at_0.1%, tpr_at_1%, advantage,
        seconds}, ...]}`` with LiRA's numbers (the ``defend --json`` object); floats rounded."""
        def rnd(v):
            return round(float(v), digits) if isinstance(v, (float, np.floating)) else v
        return {name: [{k: rnd(v) for k, v in p.row().items()} for p in pts]
                for name, pts in self.by_defence().items()}

    def format(self) -> str:
        """An aligned text table: LiRA's numbers, the loss attack's TPR at 1 % FPR beside, ε for DP."""
        pareto = set(map(id, self.pareto()))
        rows = []
        for p, r in zip(self.points, self.rows()):
            r = dict(r)
            r["strength"] = "-" if p.strength is None else f"{p.strength:g}"
            r["epsilon"] = "-" if p.epsilon is None else f"{p.epsilon:.2f}"
            r["pareto"] = "*" if id(p) in pareto else ""
            rows.append(r)
        return format_table(rows, ["defence", "strength", "epsilon", "train_acc", "test_acc", "auc", "tpr_at_0.1%",
                                   "tpr_at_1%", "advantage", "loss_tpr_at_1%", "seconds", "pareto"])


def privacy_utility_frontier(dataset: str | Dataset = "mnist1d", defences=None, *, n_members: int = 1250,
                             n_reference: int = 8, base_config: TrainConfig | None = None,
                             validation_size: int = 500, dp_epochs: int = DP_EPOCHS, seed: int = 0,
                             progress: bool = True) -> FrontierTable:
    """Every defence at every strength against online LiRA (same-recipe references) and the loss attack.

    Parameters
    ----------
    dataset : data set name or :class:`~mia_edu.data.Dataset`.
    defences : ``None`` (all of :data:`mia_edu.defences.DEFENCES` at their default strengths), a
        list of names, a comma-separated string, or ``{name: strengths}``.
    n_members, n_reference, base_config, validation_size, dp_epochs, seed : see :class:`FrontierSetting`.
    progress : a progress bar over points (and ``train_many``'s inside).

    Returns
    -------
    FrontierTable
        ``.format()`` prints it, ``.to_json()`` is ``python -m mia_edu defend --json``'s object,
        :func:`mia_edu.defences.frontier_figure` draws it.
    """
    from tqdm.auto import tqdm

    grid = parse_defences(defences)
    setting = FrontierSetting(dataset, n_members, validation_size, base_config or TrainConfig(), n_reference,
                              dp_epochs, seed)
    start = time.perf_counter()
    data = _Data(setting)
    jobs = [(name, s) for name, strengths in grid.items() for s in strengths]
    points = [evaluate_defence(setting, name, s, progress=False, _data=data)
              for name, s in tqdm(jobs, desc="defences", unit="point", disable=not progress)]
    return FrontierTable(setting, points, time.perf_counter() - start)


