"""Experiments that connect how a model is trained to how much it leaks.

One *point* is: train a target on the members (cached on disk by :func:`mia_edu.training.train`),
then measure its train and test accuracy, the gap between them (overfitting), and the success of
the loss-threshold attack (AUC and advantage, members vs non-members). An *overfitting sweep*
varies one knob and returns one point per value. Taught in notebook 02 (the loss attack itself is
written out in notebook 01).

Each point is a plain ``dict`` so a list of them drops straight into a table
(``pandas.DataFrame(records)``) or, through :func:`as_columns`, into the figure helpers
:func:`mia_edu.plots.sweep_figure` and :func:`mia_edu.plots.gap_vs_auc_figure`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np

from . import metrics, signals
from ._validation import check_int, rng_from
from .data import Dataset, load_dataset
from .splits import MembershipSplit, make_split
from .training import TrainConfig, TrainedModel, train

#: Knobs :func:`overfitting_sweep` can turn: any numeric :class:`TrainConfig` field, or the
#: number of members ``"train_size"``.
KNOBS = ("epochs", "hidden", "depth", "weight_decay", "lr", "batch_size", "label_smoothing",
         "dropout", "seed", "train_size")


def _as_dataset(dataset) -> Dataset:
    if isinstance(dataset, str):
        return load_dataset(dataset)
    if not isinstance(dataset, Dataset):
        raise TypeError("dataset must be a mia_edu.data.Dataset or a dataset name such as 'mnist1d', "
                        f"got {type(dataset).__name__}")
    return dataset


def leakage(model: TrainedModel, X_members, y_members, X_non_members, y_non_members) -> dict[str, float]:
    """How much a trained model overfits, and how much its loss tells about membership.

    Parameters
    ----------
    model : TrainedModel
        The target model (see :func:`mia_edu.training.train`).
    X_members, y_members : arrays
        Samples the model was trained on, and their labels.
    X_non_members, y_non_members : arrays
        Samples from the same distribution that it never saw.

    Returns
    -------
    dict
        ``train_acc``, ``test_acc``, ``gap`` (= train_acc − test_acc), ``auc`` and ``advantage``
        (max TPR − FPR) of the loss-threshold attack (score = −loss; higher = member), and
        ``n_members``, ``n_non_members``. The "member iff correctly classified" attack of Yeom et
        al. (2018) has advantage exactly ``gap``.

    Examples
    --------
    >>> from mia_edu.data import load_dataset
    >>> ds = load_dataset("digits")
    >>> m = train(TrainConfig(epochs=50), ds.X[:100], ds.y[:100], n_classes=10)
    >>> out = leakage(m, ds.X[:100], ds.y[:100], ds.X[100:400], ds.y[100:400])
    >>> out["auc"] > 0.5
    True
    """
    if not isinstance(model, TrainedModel):
        raise TypeError(f"model must be a TrainedModel (from mia_edu.training.train), got {type(model).__name__}")
    logits_in = model.logits(X_members)
    logits_out = model.logits(X_non_members)
    loss_in = signals.loss(logits_in, y_members)
    loss_out = signals.loss(logits_out, y_non_members)
    scores = -np.concatenate([loss_in, loss_out])  # convention: higher score = more likely a member
    is_member = np.r_[np.ones(len(loss_in), bool), np.zeros(len(loss_out), bool)]
    train_acc = float(np.mean(logits_in.argmax(1) == np.asarray(y_members)))
    test_acc = float(np.mean(logits_out.argmax(1) == np.asarray(y_non_members)))
    return {
        "train_acc": train_acc,
        "test_acc": test_acc,
        "gap": train_acc - test_acc,
        "auc": metrics.roc_auc(scores, is_member),
        "advantage": metrics.advantage(scores, is_member),
        "n_members": len(loss_in),
        "n_non_members": len(loss_out),
    }


def run_point(dataset: Dataset | str, split: MembershipSplit, config: TrainConfig | None = None, *,
              device: str = "cpu") -> dict:
    """Train a target on ``split.train`` (cached) and measure :func:`leakage` against ``split.holdout``.

    Returns the :func:`leakage` dict plus ``config`` (the :class:`TrainConfig`), ``seconds``
    (wall time of this call) and ``from_cache`` (whether the model came from the disk cache).
    """
    ds = _as_dataset(dataset)
    if not isinstance(split, MembershipSplit):
        raise TypeError(f"split must be a MembershipSplit (from mia_edu.splits.make_split), got {type(split).__name__}")
    if split.n_samples != len(ds):
        raise ValueError(f"split indexes {split.n_samples} samples but dataset has {len(ds)}")
    config = TrainConfig() if config is None else config
    start = time.perf_counter()
    model = train(config, ds.X[split.train], ds.y[split.train], n_classes=ds.n_classes, device=device)
    out = leakage(model, ds.X[split.train], ds.y[split.train], ds.X[split.holdout], ds.y[split.holdout])
    out.update(config=config, seconds=time.perf_counter() - start, from_cache=model.from_cache)
    return out


def overfitting_sweep(dataset: Dataset | str, knob: str, values: Sequence, *,
                      base_config: TrainConfig | None = None, train_size: int = 1000,
                      holdout_size: int = 1000, seed: int = 0, device: str = "cpu",
                      progress: bool = False) -> list[dict]:
    """Turn one knob, keep everything else fixed, and measure overfitting and leakage at each value.

    Parameters
    ----------
    dataset : Dataset or str
        The data (or its name for :func:`mia_edu.data.load_dataset`).
    knob : str
        One of :data:`KNOBS`: a numeric :class:`TrainConfig` field (``"epochs"``, ``"hidden"``,
        ``"weight_decay"``, ...) or ``"train_size"`` (the number of members).
    values : sequence
        The values of the knob, one point each, in the order given.
    base_config : TrainConfig, optional
        The configuration the knob is changed from (default ``TrainConfig()``).
    train_size, holdout_size : int
        Members and non-members drawn by :func:`mia_edu.splits.make_split`. For
        ``knob="train_size"`` the members of each point are the first ``value`` of one shuffled pool
        of ``max(values)`` members (so smaller sets are subsets of larger ones) and the non-members
        are the same ``holdout_size`` samples for every point.
    seed : int
        Seed of the split (the model's seed is ``base_config.seed``).
    device : str
        Passed to :func:`mia_edu.training.train`.
    progress : bool
        Show a ``tqdm`` progress bar.

    Returns
    -------
    list of dict
        One :func:`run_point` dict per value, plus ``knob`` and ``value``. Models are cached on disk,
        so a repeated sweep (or a widget revisiting a value) does not retrain.

    Examples
    --------
    >>> recs = overfitting_sweep("digits", "train_size", [50, 600], holdout_size=500,
    ...                          base_config=TrainConfig(epochs=100))
    >>> recs[0]["auc"] > recs[1]["auc"]   # a tiny training set leaks more
    True
    """
    ds = _as_dataset(dataset)
    if not isinstance(knob, str) or knob not in KNOBS:
        raise ValueError(f"knob must be one of {', '.join(KNOBS)}; got {knob!r}")
    values = list(values) if not isinstance(values, (str, bytes)) else None
    if not values:
        raise ValueError("values must be a non-empty sequence of knob values")
    base_config = TrainConfig() if base_config is None else base_config
    if not isinstance(base_config, TrainConfig):
        raise TypeError(f"base_config must be a TrainConfig, got {type(base_config).__name__}")
    check_int(train_size, "train_size", minimum=1)
    check_int(holdout_size, "holdout_size", minimum=1)
    check_int(seed, "seed", minimum=0)

    if knob == "train_size":
        sizes = [check_int(v, "values (train sizes)", minimum=1) for v in values]
        pool = make_split(len(ds), train_size=max(sizes), holdout_size=holdout_size, seed=seed)
        order = pool.train[rng_from(seed).permutation(len(pool.train))]
        splits = [MembershipSplit(train=np.sort(order[:v]), holdout=pool.holdout,
                                  shadow=np.zeros(0, np.int64), n_samples=len(ds)) for v in sizes]
        configs = [base_config] * len(sizes)
    else:
        split = make_split(len(ds), train_size=train_size, holdout_size=holdout_size, seed=seed)
        splits = [split] * len(values)
        configs = [dataclasses.replace(base_config, **{knob: v}) for v in values]

    from tqdm.auto import tqdm

    records = []
    for value, split, config in tqdm(list(zip(values, splits, configs)), desc=f"sweep {knob}",
                                     disable=not progress, leave=False):
        rec = {"knob": knob, "value": value}
        rec.update(run_point(ds, split, config, device=device))
        records.append(rec)
    return records


def as_columns(records: Sequence[dict]) -> dict[str, np.ndarray]:
    """Turn a list of point dicts into ``{key: array}`` (numeric keys only), for plotting.

    Examples
    --------
    >>> as_columns([{"value": 1, "auc": 0.6}, {"value": 2, "auc": 0.7}])["auc"]
    array([0.6, 0.7])
    """
    records = list(records)
    if not records:
        raise ValueError("records is empty; expected at least one point")
    out = {}
    for key in records[0]:
        column = [r.get(key) for r in records]
        if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in column):
            out[key] = np.asarray(column, dtype=np.float64)
    return out
