"""Machine unlearning and its evaluation by membership inference (notebook 07).

- :mod:`.methods` — unlearning methods registered by name (``"none"``, ``"retrain"``,
  ``"finetune"``, ``"gradient_ascent"``, ``"random_labels"``, ``"scrub"``), each
  ``(trained_model, X, y, split, *, seed=0, **knobs) -> TrainedModel``; :func:`unlearn` runs one.
- :mod:`.evaluation` — :func:`evaluate_unlearning` (fit an attack on retain vs validation, apply it
  to the forget set, read the rate against its two reference points and against retraining);
- :mod:`.verdict` — :func:`paired_gap`, the verdict against retraining: paired over the same forget
  samples (McNemar, paired bootstrap), with an equivalence margin and a third answer, "can't tell";
- :mod:`.comparison` — :func:`compare_methods` (every method, one table);
- :mod:`.figures` — :func:`comparison_figure` (over- and under-unlearning made visible);
- :mod:`.experiment` — :func:`unlearning_experiment`, what ``python -m mia_edu unlearn`` runs.

The split is :func:`mia_edu.splits.make_unlearning_split`.

Example (trains two models on a first run, cached afterwards)::

    from mia_edu.data import load_dataset
    from mia_edu.splits import make_unlearning_split
    from mia_edu.training import TrainConfig, train

    ds = load_dataset("mnist1d")
    split = make_unlearning_split(len(ds), train_size=2500, forget_size=500, validation_size=1500,
                                  test_size=1000, seed=0)
    model = train(TrainConfig(), ds.X[split.train], ds.y[split.train], n_classes=10)
    print(compare_methods(model, ds.X, ds.y, split))
"""

from .comparison import UnlearningComparison, compare_methods
from .evaluation import (
    DEFAULT_SIGNALS,
    FIGURES,
    UnlearningReport,
    evaluate_unlearning,
    make_attack,
    member_rate,
    starting_kit_accuracy,
)
from .experiment import DEFAULT_SIZES, unlearning_experiment
from .figures import comparison_figure
from .methods import (
    METHODS,
    check_unlearning_inputs,
    copy_model,
    finetune,
    get_method,
    gradient_ascent,
    no_unlearning,
    random_labels,
    register_method,
    resolve_methods,
    retrain,
    scrub,
    unlearn,
)
from .verdict import DEFAULT_MARGIN, VERDICTS, PairedGap, paired_gap

__all__ = [
    "DEFAULT_SIGNALS", "DEFAULT_SIZES", "FIGURES", "METHODS", "UnlearningComparison", "UnlearningReport",
    "check_unlearning_inputs", "compare_methods", "comparison_figure", "copy_model", "evaluate_unlearning",
    "finetune", "get_method", "gradient_ascent", "make_attack", "member_rate", "no_unlearning", "random_labels",
    "register_method", "resolve_methods", "retrain", "scrub", "starting_kit_accuracy", "unlearn",
    "unlearning_experiment", "DEFAULT_MARGIN", "VERDICTS", "PairedGap", "paired_gap",
]
