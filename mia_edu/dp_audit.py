"""``python -m mia_edu dp-audit``: the default privacy audit (:func:`mia_edu.auditing.experiment.dp_audit`).

Prints the table of ε lower bounds next to the accountant's ε; with ``--json`` the last line is one
JSON object ``{"audits": [{model, method, epsilon_lower, epsilon_theory, delta, confidence, trials,
seconds, runs, counts}, ...]}``. Registered in :mod:`mia_edu.__main__` through :func:`add_parser`.
"""

from __future__ import annotations

import argparse
import json

from ._cli import int_at_least

_FULL = {"n_train": 1000, "n_runs": 256, "n_canaries": 700}
# mia_edu.auditing.CANARY_KINDS, spelled out so that building the parser does not import torch
# (tests/test_auditing.py checks that the two agree)
CANARY_CHOICES = ("mislabelled", "out_of_distribution")


_positive_int = int_at_least(2)  # at least 2: runs and canaries come in IN/OUT halves


def _noise_list(text: str) -> list[float]:
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values or any(not v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"expected noise multipliers > 0, got {text!r}")
    return values


def add_parser(subparsers) -> None:
    """Add the ``dp-audit`` subcommand (``run=`` :func:`run`)."""
    p = subparsers.add_parser(
        "dp-audit", help="audit DP-SGD and a non-private target: ε lower bounds vs the accountant's ε",
        description="Plant canaries, train (cached) and turn an attack's correct guesses into ε lower bounds that hold "
                    "with the stated confidence: the many-run audit (runs with and without one canary, one trial "
                    "per run) and the one-run audit (Steinke, Nasr & Jagielski 2023: m canaries in one run), for a "
                    "non-private target and DP-SGD models. Default sizes run in about a minute on 2 cores; --full "
                    f"uses {_FULL['n_runs']} + {_FULL['n_runs']} runs, {_FULL['n_canaries']} canaries and "
                    f"{_FULL['n_train']} training samples.")
    p.add_argument("--dataset", choices=("digits", "mnist1d"), default="digits", help="data set (default: %(default)s)")
    p.add_argument("--runs", type=_positive_int, default=None,
                   help="many-run: models with the canary, and as many without (default: 32; --full: 256)")
    p.add_argument("--canaries", type=_positive_int, default=None,
                   help="one-run: canaries, each included with probability 1/2 (default: 500; --full: 700)")
    p.add_argument("--train-size", type=_positive_int, default=None,
                   help="the fixed training set (default: 250; --full: 1000)")
    p.add_argument("--canary", choices=CANARY_CHOICES, default="mislabelled", help="canary kind (default: %(default)s)")
    p.add_argument("--noise", type=_noise_list, default=[4.0],
                   help="DP-SGD noise multipliers σ, comma-separated, one audited model each (default: 4)")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence of the bounds (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="setup and training seed (default: %(default)s)")
    p.add_argument("--full", action="store_true", help="the full-size audit (many more runs: tens of minutes)")
    p.add_argument("--json", action="store_true", help="also print the audits as one JSON object on the last line")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bars")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the audit ``args`` describe; print the table (and the JSON line)."""
    from .auditing.experiment import dp_audit, format_audits

    sizes = dict(_FULL) if args.full else {"n_train": 250, "n_runs": 32, "n_canaries": 500}
    for key, value in (("n_runs", args.runs), ("n_canaries", args.canaries), ("n_train", args.train_size)):
        if value is not None:
            sizes[key] = value
    results = dp_audit(args.dataset, canary=args.canary, noise_multipliers=args.noise, confidence=args.confidence,
                       seed=args.seed, progress=args.progress, **sizes)
    print(format_audits(results))
    if args.json:
        print(json.dumps({"audits": [r.to_dict() for r in results]}))
    return 0
