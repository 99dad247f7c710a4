"""``python -m mia_edu defend``: the privacy–utility frontier from the command line.

Only parses arguments, calls :func:`mia_edu.defences.privacy_utility_frontier` and prints its
table; with ``--json`` the last line is one JSON object keyed by defence name.
"""

from __future__ import annotations

import argparse
import json

from .._cli import int_at_least as _int_at_least


def add_parser(subparsers) -> None:
    """Add the ``defend`` subcommand."""
    from ..data import DATASETS
    from .recipes import DEFENCES

    listing = "; ".join(f"{d.name} ({d.knob}: {', '.join('-' if s is None else f'{s:g}' for s in d.strengths)})"
                        for d in DEFENCES.values())
    p = subparsers.add_parser(
        "defend", help="train with each defence and attack it: the privacy-utility frontier",
        description="Train the target with each defence at each strength (cached on disk) and attack it with "
                    "online LiRA, whose reference models are trained with the same defence, and with the loss "
                    "threshold for contrast. Prints train/test accuracy, LiRA's AUC, TPR at 0.1 %% and 1 %% FPR "
                    "and advantage, the loss attack's TPR at 1 %% FPR, epsilon for DP-SGD (Opacus, RDP "
                    f"accountant, delta = 1/n), and marks the Pareto frontier. Defences: {listing}.")
    p.add_argument("--dataset", choices=DATASETS, default="mnist1d", help="data set (default: %(default)s)")
    p.add_argument("--defences", default="all",
                   help="'all' or a comma-separated list of: " + ", ".join(DEFENCES) + " (default: %(default)s)")
    p.add_argument("--references", type=_int_at_least(2), default=8,
                   help="LiRA reference models per point (default: %(default)s)")
    p.add_argument("--members", type=_int_at_least(10), default=1250,
                   help="members (as many non-members; default: %(default)s)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="split and LiRA seed (default: %(default)s)")
    p.add_argument("--json", action="store_true",
                   help="also print one JSON object keyed by defence name on the last line")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the frontier and print it (and its JSON with ``--json``)."""
    from .frontier import privacy_utility_frontier

    if args.dataset == "digits" and args.members == 1250:
        args.members = 600  # digits has 1,797 samples: 600 members, 600 non-members, 500 validation
    table = privacy_utility_frontier(args.dataset, args.defences, n_members=args.members,
                                     n_reference=args.references, seed=args.seed, progress=args.progress)
    s = table.setting
    print(f"{args.dataset}: {s.n_members} members, {s.n_members} non-members, {s.validation_size} validation; "
          f"target recipe {s.base.epochs} epochs, width {s.base.hidden}; DP-SGD {s.dp_epochs} epochs of Poisson "
          f"batches (expected 256), clip {s.base.dp_max_grad_norm:g}; LiRA online, {s.n_reference} references "
          "with the same defence")
    print(table.format())
    print(f"total {table.seconds:.1f} s  (* = on the Pareto frontier of test accuracy vs LiRA TPR at 1 % FPR)")
    if args.json:
        print(json.dumps(table.to_json()))
    return 0
