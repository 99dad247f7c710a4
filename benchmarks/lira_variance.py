"""Which LiRA variance should be the default? Measured on the audit target (issue 10, item 7).

The audit's set-up exactly (:func:`mia_edu.attacks.audit`: MNIST-1D, 10,000 samples, 2,500 members,
2,500 non-members, a 5,000-sample attacker pool, ``TrainConfig()``, 16 reference models, attacker
seed + 1), scored both ways from the same reference models: per-example variances
(``fixed_variance=False``) and one global variance (``True``). Prints AUC and TPR at 0.1 % and 1 % FPR,
online and offline, for each seed.

    MIA_EDU_CACHE=/tmp/cache .venv/bin/python benchmarks/lira_variance.py --seeds 0 1
"""

from __future__ import annotations

import argparse

from mia_edu import metrics
from mia_edu.attacks import LiRA
from mia_edu.attacks.lira import lira_scores
from mia_edu.attacks.shadow import query_logits
from mia_edu.data import load_dataset
from mia_edu.signals import scaled_logit
from mia_edu.splits import make_split
from mia_edu.training import TrainConfig, train


def measure(seed: int, n_reference: int = 16) -> list[dict]:
    ds = load_dataset("mnist1d", n_samples=10_000)
    n = len(ds)
    split = make_split(n, train_size=n // 4, holdout_size=n // 4, shadow_size=n - n // 2, seed=seed)
    idx, is_member = split.evaluation()
    X, y = ds.X[idx], ds.y[idx]
    target = train(TrainConfig(seed=seed), ds.X[split.train], ds.y[split.train], n_classes=10)
    phi_target = scaled_logit(query_logits(target, X), y)
    rows = []
    for online in (True, False):
        X_ref, y_ref = (X, y) if online else (ds.X[split.shadow], ds.y[split.shadow])
        lira = LiRA(TrainConfig(seed=seed + 1), n_reference=n_reference, online=online, seed=seed, progress=False)
        lira.fit(X_ref, y_ref, n_classes=10)
        phi_ref, in_mask = lira.reference_signals(X, y)
        for fixed in (False, True):
            s = lira_scores(phi_target, phi_ref, in_mask, online=online, fixed_variance=fixed)
            out = metrics.summarize(s, is_member)
            rows.append({"seed": seed, "online": online, "fixed_variance": fixed, **out})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--references", type=int, default=16)
    args = parser.parse_args()
    print("seed  mode     variance      AUC     TPR@0.1%  TPR@1%")
    for seed in args.seeds:
        for r in measure(seed, args.references):
            print(f"{r['seed']:>4}  {'online' if r['online'] else 'offline':<7}  "
                  f"{'global' if r['fixed_variance'] else 'per-example':<12}  {r['auc']:.4f}  "
                  f"{r['tpr_at_0.1%']:.4f}    {r['tpr_at_1%']:.4f}", flush=True)


if __name__ == "__main__":
    main()
