"""``python -m mia_edu lm``: train the default language model and run every attack of notebook 11.

Only parses arguments and prints what :func:`mia_edu.text.experiment.lm_experiment` returns.
"""

from __future__ import annotations

import argparse
import json
import time

from .._cli import int_at_least

_positive_int = int_at_least(1)


def add_parser(subparsers) -> None:
    """Add the ``lm`` subcommand to ``subparsers`` (see :mod:`mia_edu.__main__`)."""
    p = subparsers.add_parser(
        "lm", help="membership inference on a tiny character-level language model (notebook 11)",
        description="Generate the patient-record corpus with canaries, train a character-level GRU on the members "
                    "(cached) and reference models on the attacker's records, and run the loss, zlib, Min-K%%, "
                    "Min-K%%++, reference and blind attacks on a random split, the blind and loss attacks on a "
                    "shifted split (later visit dates), and the canaries' exposure by insertion count.")
    p.add_argument("--epochs", type=_positive_int, default=None, help="training epochs (default: LMConfig's, 25)")
    p.add_argument("--hidden", type=_positive_int, default=None, help="GRU state size (default: LMConfig's, 128)")
    p.add_argument("--references", type=_positive_int, default=2, help="reference models (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="corpus and training seed (default: %(default)s)")
    p.add_argument("--json", action="store_true", help="also print the metrics as one JSON object on the last line")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from .experiment import lm_experiment
    from .model import LMConfig

    changes = {k: getattr(args, k) for k in ("epochs", "hidden") if getattr(args, k) is not None}
    started = time.perf_counter()
    report = lm_experiment(LMConfig(seed=args.seed, **changes), n_references=args.references, seed=args.seed,
                           progress=args.progress)
    print(report.table())
    d = report.to_dict()
    cached = ", loaded from the cache" if report.target.from_cache else ""
    print(f"target trained in {d['train_seconds']:.1f} s ({d['train_cpu_seconds']:.1f} s CPU{cached}); "
          f"total {time.perf_counter() - started:.1f} s")
    if args.json:
        print(json.dumps(_rounded(d)))
    return 0


def _rounded(value, digits: int = 4):
    """Floats in nested dicts and lists rounded for printing (NaN as null)."""
    if isinstance(value, dict):
        return {k: _rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v, digits) for v in value]
    if isinstance(value, float):
        return None if value != value else round(value, digits)
    return value
