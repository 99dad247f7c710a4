"""The command line: ``python -m mia_edu <command> [options]``.

It only parses arguments, calls the package and prints what comes back; all the work lives in the
modules. Commands:

- ``audit``: train a target (cached) and run every attack against it
  (:func:`mia_edu.attacks.audit`). ``--json`` adds one JSON object as the last line.
- ``dp-audit``: ε lower bounds from canaries, many-run and one-run, against the accountant's ε
  (:mod:`mia_edu.dp_audit`). ``--json`` adds one JSON object as the last line.
- ``unlearn``: compare unlearning methods with a membership inference attack
  (:func:`mia_edu.unlearning.unlearning_experiment`). ``--json`` adds one JSON object as the last line.
- ``defend``: the privacy–utility frontier of the defences (:mod:`mia_edu.defences.cli`).

Adding a command: write ``_add_<name>(subparsers)``, which adds a parser and sets
``run=<function(args) -> exit code>`` with ``set_defaults``, and append it to :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from ._cli import int_at_least as _int_at_least
from ._cli import non_negative_float as _non_negative_float
from .defences.cli import add_parser as _add_defend
from .dp_audit import add_parser as _add_dp_audit
from .text.cli import add_parser as _add_lm


def _rounded(value, digits: int = 4):
    """Floats in nested dicts rounded for printing."""
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    return round(value, digits) if isinstance(value, float) else value


def _add_audit(subparsers) -> None:
    from .data import DATASETS

    p = subparsers.add_parser(
        "audit", help="train a target model (cached) and run every attack against it",
        description="Train a target model (cached on disk) and run the course's attacks against it: loss / "
                    "confidence / entropy / modified-entropy thresholds, a per-class loss threshold, logistic "
                    "regression and SVC on all signals plus the label, Shokri shadow models, LiRA online and "
                    "offline, RMIA online and offline, a label-only attack, and the blind baseline (inputs only). "
                    "Prints an aligned table (AUC, TPR at 0.1 % and 1 % FPR, advantage).")
    p.add_argument("--dataset", choices=DATASETS, default="mnist1d", help="data set (default: %(default)s)")
    from .training.recipes import MODELS

    p.add_argument("--model", choices=MODELS, default="mlp",
                   help="the target's recipe, and the attacker's: the course's MLP or 1-D CNN, or a scikit-learn "
                        "random forest, logistic regression or 5-nearest-neighbour classifier (default: %(default)s)")
    p.add_argument("--epochs", type=_int_at_least(1), default=None,
                   help="training epochs of the target and the attacker's models (default: TrainConfig's, 200)")
    p.add_argument("--weight-decay", type=_non_negative_float, default=None,
                   help="L2 penalty of the target and the attacker's models (default: 0)")
    p.add_argument("--references", type=_int_at_least(2), default=16,
                   help="LiRA reference models, online and offline (at least 2; default: %(default)s); "
                        "the shadow attack uses as many shadow models")
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="split and training seed (default: %(default)s)")
    p.add_argument("--shift", type=_non_negative_float, default=0.0,
                   help="draw members and non-members differently on purpose (strength of the selection on each "
                        "sample's mean; 0 = a proper random split, the default): the blind baseline then scores "
                        "above chance")
    p.add_argument("--json", action="store_true", help="also print the metrics as one JSON object on the last line")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bars")
    p.set_defaults(run=_run_audit)


def _run_audit(args: argparse.Namespace) -> int:
    from .attacks.audit import audit
    from .training import TrainConfig
    from .training.recipes import named_recipe

    changes = {}
    if args.epochs is not None:
        changes["epochs"] = args.epochs
    if args.weight_decay is not None:
        changes["weight_decay"] = args.weight_decay
    config = named_recipe(args.model)
    if changes and not isinstance(config, TrainConfig):
        raise ValueError(f"--epochs and --weight-decay apply to --model mlp or cnn1d, not {args.model}")
    report = audit(args.dataset, config.replace(**changes) if changes else config, n_reference=args.references,
                   seed=args.seed, progress=args.progress, shift=args.shift)
    print(report.table())
    if args.json:  # 4 decimals: finer than 1 / 2,500 non-members, the resolution of a TPR at low FPR
        print(json.dumps(_rounded(report.to_dict())))
    return 0


def _add_unlearn(subparsers) -> None:
    from .data import DATASETS

    p = subparsers.add_parser(
        "unlearn", help="compare unlearning methods with a membership inference attack",
        description="Train a model (cached), make it forget part of its training set with each unlearning method, "
                    "and evaluate each with an attack fitted on retain (members) vs validation (non-members), "
                    "applied to the forget set. Prints the forget-as-member rate next to its two reference points "
                    "(held-out retain and validation) and to retraining from scratch, with accuracies and seconds.")
    p.add_argument("--dataset", choices=DATASETS, default="mnist1d", help="data set (default: %(default)s)")
    p.add_argument("--forget-size", type=_int_at_least(1), default=None,
                   help="samples to forget (default: 500 of 2,500 for mnist1d, 150 of 900 for digits; "
                        "with --forget class: every training sample of the class)")
    p.add_argument("--forget", choices=("random", "class"), default="random",
                   help="a random forget set or a class-wise one (default: %(default)s)")
    p.add_argument("--forget-class", type=_int_at_least(0), default=None,
                   help="the class to forget with --forget class")
    p.add_argument("--methods", default="all",
                   help="'all' or a comma-separated list of: none, retrain, finetune, gradient_ascent, "
                        "random_labels, scrub (default: %(default)s)")
    p.add_argument("--margin", type=float, default=0.05,
                   help="equivalence margin of the verdict: 'as retraining' when the 90 %% interval of the gap to "
                        "retraining lies within +-margin (default: %(default)s, i.e. 5 points)")
    p.add_argument("--retrain-seeds", type=_int_at_least(1), default=1,
                   help="retrain from scratch with this many seeds, to show the yardstick's own spread "
                        "(default: %(default)s)")
    p.add_argument("--attack", choices=("lr", "svc"), default="lr",
                   help="attack model on the signals: logistic regression or an RBF SVC (default: %(default)s)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="split, training and method seed "
                                                                    "(default: %(default)s)")
    p.add_argument("--json", action="store_true", help="also print the table as one JSON object on the last line")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.set_defaults(run=_run_unlearn)


def _run_unlearn(args: argparse.Namespace) -> int:
    from .unlearning import unlearning_experiment

    if args.forget == "class" and args.forget_class is None:
        raise ValueError("--forget class needs --forget-class C")
    if args.forget == "random" and args.forget_class is not None:
        raise ValueError("--forget-class is only used with --forget class")
    table = unlearning_experiment(args.dataset, forget_size=args.forget_size, forget=args.forget,
                                  forget_class=args.forget_class, methods=args.methods, attack=args.attack,
                                  seed=args.seed, progress=args.progress, margin=args.margin,
                                  retrain_seeds=args.retrain_seeds)
    c = table.context
    sizes = ", ".join(f"{k} {v}" for k, v in c["sizes"].items())
    print(f"{c['dataset']} ({sizes}); original model: train acc {c['train_acc']:.3f}, test acc {c['test_acc']:.3f}; "
          f"attack: {args.attack} on signals, fitted on retain vs validation")
    print(table.format())
    print(f"total {c['seconds']:.1f} s")
    if args.json:
        print(json.dumps(table.to_json()))
    return 0


COMMANDS: list[Callable] = [_add_audit, _add_unlearn, _add_defend, _add_dp_audit, _add_lm]
"""Each entry adds one subcommand to the parser (see the module docstring)."""


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m mia_edu`` parser with one subcommand per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(prog="python -m mia_edu",
                                     description="mia-edu: membership inference attacks, from the command line.")
    subparsers = parser.add_subparsers(dest="command", metavar="command", required=True)
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the command and return its exit code.

    Bad input the package rejects (``ValueError``/``TypeError``) is reported in one line, exit code 2.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (ValueError, TypeError) as exc:
        parser.exit(2, f"{parser.prog} {args.command}: error: {exc}\n")


if __name__ == "__main__":
    sys.exit(main())
