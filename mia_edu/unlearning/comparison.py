"""Every unlearning method on one model, one table: :func:`compare_methods` (notebook 07).

Runs the registered methods (:mod:`.methods`), evaluates each with the same attack protocol and the
same held-out reference samples (:func:`~mia_edu.unlearning.evaluate_unlearning`), and measures each
against retraining from scratch, the yardstick.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from .._validation import check_int
from ..splits import UnlearningSplit
from ..training import TrainedModel, train
from .evaluation import DEFAULT_SIGNALS, UnlearningReport, evaluate_unlearning
from .methods import check_unlearning_inputs, resolve_methods, unlearn
from .verdict import DEFAULT_MARGIN, paired_dict


@dataclass(frozen=True, eq=False)
class UnlearningComparison:
    """The table of :func:`compare_methods`: one :class:`UnlearningReport` per method.

    Attributes
    ----------
    reports : {method: report}, in the order run.
    seconds : {method: wall-clock seconds of the unlearning itself (not the evaluation)}.
    cached : {method: whether the model came from the disk cache (``retrain`` only)}.
    models : {method: the unlearned TrainedModel}.
    context : where the numbers come from (data set, sizes, the original model's accuracies), when known.
    retrain_seed_rates : forget-as-member rates of retraining from scratch with ``retrain_seeds``
        different seeds (the first is the yardstick): the yardstick's own spread.
    """

    reports: dict[str, UnlearningReport]
    seconds: dict[str, float]
    cached: dict[str, bool]
    models: dict[str, TrainedModel] = field(repr=False, default_factory=dict)
    context: dict = field(default_factory=dict)
    retrain_seed_rates: tuple[float, ...] = ()

    def rows(self) -> list[dict]:
        """One dict per method (the JSON figures, in percent-free fractions)."""
        return [{"method": name, **self.to_json()[name]} for name in self.reports]

    def to_json(self) -> dict[str, dict]:
        """``{method: {"forget_member_rate", "retain_member_rate", "validation_member_rate", "test_acc",
        "forget_acc", "seconds", ...}}`` — what ``python -m mia_edu unlearn --json`` prints."""
        out = {}
        for name, r in self.reports.items():
            row = {key: round(float(getattr(r, key)), 4) for key in
                   ("forget_member_rate", "retain_member_rate", "validation_member_rate", "test_acc", "forget_acc")}
            row["seconds"] = round(self.seconds[name], 3)
            row.update(retain_acc=round(r.retain_acc, 4), starting_kit_accuracy=round(r.starting_kit_accuracy, 4),
                       forget_member_ci=[round(v, 4) for v in r.forget_member_ci],
                       vs_retrain=None if r.retrain_gap is None else round(r.retrain_gap["forget_member_rate"], 4),
                       vs_retrain_ci=None if r.vs_retrain is None else paired_dict(r.vs_retrain)["ci"],
                       vs_retrain_test=None if r.vs_retrain is None else paired_dict(r.vs_retrain),
                       verdict=r.verdict, distinguishable=r.distinguishable, cached=self.cached[name])
            if name == "retrain" and self.retrain_seed_rates:
                row["retrain_seed_rates"] = [round(v, 4) for v in self.retrain_seed_rates]
            out[name] = row
        return out

    def format(self) -> str:
        """An aligned text table (rates in %)."""
        head = ["method", "forget→member %", "retain %", "validation %", "vs retrain [90 % CI]", "verdict",
                "test acc", "forget acc", "retain acc", "kit acc", "seconds"]
        body = []
        for name, r in self.reports.items():
            lo, hi = r.forget_member_ci
            body.append([name, f"{100 * r.forget_member_rate:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]",
                         f"{100 * r.retain_member_rate:.1f}", f"{100 * r.validation_member_rate:.1f}",
                         _gap_cell(r),
                         r.verdict or "", f"{r.test_acc:.3f}", f"{r.forget_acc:.3f}", f"{r.retain_acc:.3f}",
                         f"{r.starting_kit_accuracy:.3f}",
                         f"{self.seconds[name]:.2f}" + (" (cached)" if self.cached[name] else "")])
        widths = [max(len(str(row[i])) for row in [head] + body) for i in range(len(head))]
        lines = ["  ".join(str(c).ljust(w) if i in (0, 5) else str(c).rjust(w) for i, (c, w) in
                           enumerate(zip(row, widths))) for row in [head] + body]
        lines.insert(1, "  ".join("-" * w for w in widths))
        notes = sorted({w for r in self.reports.values() for w in r.warnings})
        margins = {r.vs_retrain.margin for r in self.reports.values() if r.vs_retrain is not None}
        legend = []
        if margins:
            legend.append(f"verdict: paired over the same forget samples (McNemar at 5 %, paired-bootstrap 90 % "
                          f"interval); 'as retraining' = interval within ±{100 * max(margins):.0f} points (TOST)")
        if len(self.retrain_seed_rates) > 1:
            rates = 100 * np.asarray(self.retrain_seed_rates)
            legend.append(f"retraining over {len(rates)} seeds: forget→member {rates.min():.1f}–{rates.max():.1f} % "
                          "(the yardstick's own spread)")
        return "\n".join(lines + legend + [f"warning: {w}" for w in notes])

    def __str__(self) -> str:
        return self.format()


def _gap_cell(r: UnlearningReport) -> str:
    if r.vs_retrain is None:
        return ""
    v = r.vs_retrain
    return f"{100 * v.gap:+.1f} [{100 * v.low:+.1f}, {100 * v.high:+.1f}]"


def compare_methods(model: TrainedModel, X, y, split: UnlearningSplit, *, methods="all",
                    knobs: Mapping[str, Mapping] | None = None, attack=None,
                    signals: Sequence[str] = DEFAULT_SIGNALS, seed: int = 0, yardstick: bool = True,
                    progress: bool = True, reference_fraction: float = 0.5, margin: float = DEFAULT_MARGIN,
                    retrain_seeds: int = 1) -> UnlearningComparison:
    """Run unlearning methods on one model and evaluate each with the same attack protocol.

    Parameters
    ----------
    model : the original TrainedModel (trained on ``split.train``).
    X, y, split : the whole data set and the unlearning split.
    methods : ``"all"`` (every registered method), a comma-separated string or a list of names.
    knobs : ``{method: {knob: value}}`` passed to the methods (e.g. ``{"finetune": {"epochs": 5}}``).
    attack, signals, seed, reference_fraction : as in :func:`evaluate_unlearning`.
    yardstick : also retrain from scratch (cached) even when ``"retrain"`` is not among ``methods``,
        and fill in every report's distance from retraining.
    progress : show a tqdm progress bar.
    margin : the equivalence margin of the verdict (see :func:`~mia_edu.unlearning.paired_gap`).
    retrain_seeds : retrain from scratch with this many training seeds (``model.config.seed`` and the
        next ones); the first is the yardstick, the spread of all is reported
        (:attr:`UnlearningComparison.retrain_seed_rates`), so a gap can be read against it
        (Hayes et al. 2024).

    Returns
    -------
    UnlearningComparison — ``print(table)`` gives the aligned table, ``table.to_json()`` the numbers.
    """
    X, y = check_unlearning_inputs(model, X, y, split)
    names = resolve_methods(methods)
    retrain_seeds = check_int(retrain_seeds, "retrain_seeds", minimum=1, maximum=32)
    knobs = dict(knobs or {})
    for name, kw in knobs.items():
        if name not in names:
            raise ValueError(f"knobs given for {name!r}, which is not among the methods run ({', '.join(names)})")
        if not isinstance(kw, Mapping):
            raise TypeError(f"knobs[{name!r}] must be a dict of keyword arguments, got {type(kw).__name__}")
    run = list(names)
    if yardstick and "retrain" not in run:
        run.insert(0, "retrain")
    elif "retrain" in run:  # the yardstick first, so that every other report can be compared with it
        run.insert(0, run.pop(run.index("retrain")))
    reports, seconds, cached, models = {}, {}, {}, {}
    bar = tqdm(run, desc="unlearning", disable=not progress, leave=False)
    for name in bar:
        bar.set_postfix_str(name)
        start = time.perf_counter()
        unlearned = unlearn(name, model, X, y, split, seed=seed, **knobs.get(name, {}))
        seconds[name] = time.perf_counter() - start
        cached[name] = bool(getattr(unlearned, "from_cache", False)) and name == "retrain"
        reports[name] = evaluate_unlearning(unlearned, X, y, split, attack=attack, signals=signals, seed=seed,
                                            reference_fraction=reference_fraction, method=name)
        models[name] = unlearned
    bar.close()
    seed_rates: tuple[float, ...] = ()
    if "retrain" in reports and yardstick:
        ref = reports["retrain"]
        reports = {name: r.with_yardstick(ref, margin=margin) for name, r in reports.items()}
        seed_rates = (ref.forget_member_rate,)
        for k in range(1, retrain_seeds):
            other = train(model.config.replace(seed=model.config.seed + k), X[split.retain], y[split.retain],
                          n_classes=model.n_classes, device=model.device)
            seed_rates += (evaluate_unlearning(other, X, y, split, attack=attack, signals=signals, seed=seed,
                                               reference_fraction=reference_fraction).forget_member_rate,)
    keep = names  # the caller's order (registry order for "all")
    return UnlearningComparison(reports={n: reports[n] for n in keep}, seconds={n: seconds[n] for n in keep},
                                cached={n: cached[n] for n in keep}, models={n: models[n] for n in keep},
                                retrain_seed_rates=seed_rates if retrain_seeds > 1 else ())
