"""The default unlearning experiment, end to end: what ``python -m mia_edu unlearn`` runs.

Load a bundled data set, draw an :class:`~mia_edu.splits.UnlearningSplit`, train the original
model (cached), and compare every unlearning method with :func:`compare_methods`. The sizes are
chosen so that the whole run takes well under a minute on two CPU cores (the original model and
the retrained one are cached on disk, so a rerun takes seconds).
"""

from __future__ import annotations

import time

from .._validation import check_fraction, check_int
from ..data import load_dataset
from ..splits import make_unlearning_split
from ..training import TrainConfig, train
from .comparison import UnlearningComparison, compare_methods
from .evaluation import DEFAULT_SIGNALS, make_attack
from .methods import resolve_methods
from .verdict import DEFAULT_MARGIN

DEFAULT_SIZES = {
    # MNIST-1D: 10,000 generated samples; an overfit MLP leaks clearly at these sizes.
    "mnist1d": {"train_size": 2500, "forget_size": 500, "validation_size": 1500, "test_size": 1000},
    # digits has 1,797 samples in all.
    "digits": {"train_size": 900, "forget_size": 150, "validation_size": 500, "test_size": 397},
}
"""Split sizes per data set: the original training set (retain + forget), validation and test."""


def unlearning_experiment(dataset: str = "mnist1d", *, forget_size: int | None = None, forget: str = "random",
                          forget_class=None, methods="all", config: TrainConfig | None = None, attack=None,
                          signals=DEFAULT_SIGNALS, seed: int = 0, progress: bool = True,
                          knobs=None, margin: float = DEFAULT_MARGIN, retrain_seeds: int = 1) -> UnlearningComparison:
    """Train an original model on a bundled data set and compare unlearning methods on it.

    Parameters
    ----------
    dataset : ``"mnist1d"`` or ``"digits"``.
    forget_size : samples to forget (default: :data:`DEFAULT_SIZES`; with ``forget="class"``,
        ``None`` forgets every training sample of ``forget_class``).
    forget, forget_class : a random or a class-wise forget set (see
        :func:`~mia_edu.splits.make_unlearning_split`).
    methods, attack, signals, knobs, progress, margin, retrain_seeds : as in :func:`compare_methods`.
    config : how the original model is trained (default: ``TrainConfig()``, which overfits).
    seed : the split's seed, the training seed (``config.seed``, when no config is given) and the
        methods' seed.

    Returns
    -------
    UnlearningComparison, with ``context`` describing the set-up and the total time.
    """
    start = time.perf_counter()
    # everything that can be checked without training is checked first (a bad method name used to
    # surface only after the original model had trained)
    resolve_methods(methods)
    make_attack(attack)
    check_fraction(margin, "margin")
    check_int(retrain_seeds, "retrain_seeds", minimum=1, maximum=32)
    if forget not in ("random", "class"):
        raise ValueError(f"forget must be 'random' or 'class', got {forget!r}")
    if forget == "class" and forget_class is None:
        raise ValueError("forget='class' needs forget_class (the class to forget)")
    if forget == "random" and forget_class is not None:
        raise ValueError("forget_class is only used with forget='class'")
    if config is not None and not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    ds = load_dataset(dataset)
    if ds.name not in DEFAULT_SIZES:
        raise ValueError(f"no default sizes for dataset {dataset!r}; known: {', '.join(DEFAULT_SIZES)}")
    sizes = dict(DEFAULT_SIZES[ds.name])
    if forget == "class" and forget_size is None:
        sizes["forget_size"] = None
    elif forget_size is not None:
        sizes["forget_size"] = forget_size
    class_args = {"forget_class": forget_class, "y": ds.y} if forget == "class" else {}
    split = make_unlearning_split(len(ds), forget=forget, seed=seed, **sizes, **class_args)
    config = TrainConfig(seed=seed) if config is None else config
    model = train(config, ds.X[split.train], ds.y[split.train], n_classes=ds.n_classes)
    table = compare_methods(model, ds.X, ds.y, split, methods=methods, attack=attack, signals=signals, seed=seed,
                            knobs=knobs, progress=progress, margin=margin, retrain_seeds=retrain_seeds)
    table.context.update(
        dataset=ds.name, sizes=split.sizes(), forget=forget, forget_class=forget_class, seed=seed,
        train_acc=model.accuracy(ds.X[split.train], ds.y[split.train]),
        test_acc=model.accuracy(ds.X[split.test], ds.y[split.test]), seconds=time.perf_counter() - start)
    return table
