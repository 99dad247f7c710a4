"""From signals to the attack's input: the 2-D signal matrix ``S`` and its column names.

Every signal-level attack in :mod:`mia_edu.attacks` is a scikit-learn estimator on a plain 2-D
array ``S`` (rows = samples, columns = signals). :func:`signal_matrix` builds it from the dict that
:func:`mia_edu.signals.compute_signals` returns, and gives back the column names so that an attack
can refer to a column by name (``ThresholdAttack(signal="loss", columns=names)``).

**The label convention.** Class-dependent attacks (``ThresholdAttack(per_class=True)``,
``ClassifierAttack(use_label="onehot" | "per_class")``) need each sample's true class. It travels
*inside* ``S`` as one more column, by default the **last** one, named ``"label"`` — which is what
``signal_matrix(..., labels=y)`` appends. Keeping it in ``S`` (rather than as an extra ``fit``
argument) keeps the attacks ordinary estimators: ``clone``, ``cross_val_predict`` and pipelines work
unchanged. The attacks' ``label_column`` parameter says where the label is if not last.

Reused by the shadow-model, LiRA, audit and unlearning code. Taught in notebooks 03 and 04.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence

import numpy as np

from .._validation import as_labels
from ..signals import SIGNALS

LABEL = "label"


def signal_matrix(signals: Mapping[str, np.ndarray], names: Sequence[str] | None = None, *,
                  labels=None) -> tuple[np.ndarray, list[str]]:
    """Stack chosen signals into ``S`` (samples × columns, float64) and name its columns.

    Parameters
    ----------
    signals : mapping of name → array
        Usually ``compute_signals(logits, y)``: one value per sample for each scalar signal, and
        ``"logits"`` as samples × classes.
    names : sequence of str, optional
        Which signals, in order. Default: every scalar signal of :data:`mia_edu.signals.SIGNALS`
        present in ``signals``. ``"logits"`` expands to one column per class (``logit_0``, ...).
    labels : array of int, optional
        True class of each sample; appended as the last column, named ``"label"`` (the convention
        of the class-dependent attacks).

    Returns
    -------
    S : ndarray, float64, shape (n_samples, n_columns)
    columns : list of str, one name per column of ``S``

    Raises
    ------
    ValueError
        An unknown signal name (the message lists the known ones), signals of different lengths,
        or NaN / infinite values.

    Examples
    --------
    >>> from mia_edu.signals import compute_signals
    >>> logits = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, -1.0]])
    >>> S, cols = signal_matrix(compute_signals(logits, [0, 1, 1]), ["loss", "entropy"], labels=[0, 1, 1])
    >>> S.shape, cols
    ((3, 3), ['loss', 'entropy', 'label'])
    """
    if not isinstance(signals, Mapping):
        raise TypeError(f"signals must be a dict of name → array (e.g. compute_signals(logits, y)), "
                        f"got {type(signals).__name__}")
    if names is None:
        names = [n for n in SIGNALS if n in signals]
        if not names:
            raise ValueError(f"signals holds none of the known signals {SIGNALS}; pass names=[...] explicitly")
    elif isinstance(names, str):
        names = [names]
    names = list(names)
    if not names:
        raise ValueError("names is empty; expected at least one signal name")
    blocks, columns, n = [], [], None
    for name in names:
        if name not in signals:
            raise ValueError(f"unknown signal name {name!r}; known names here: {', '.join(map(str, signals))}")
        arr = np.asarray(signals[name], dtype=np.float64)
        if name == "logits" and arr.ndim == 2:
            cols = [f"logit_{c}" for c in range(arr.shape[1])]
        elif arr.ndim == 1:
            arr, cols = arr[:, None], [name]
        else:
            raise ValueError(f"signal {name!r} must be 1-D (one value per sample), got shape {arr.shape}; "
                             "signals of several models are not supported here (take one model's slice)")
        if n is None:
            n = arr.shape[0]
        elif arr.shape[0] != n:
            raise ValueError(f"signal {name!r} has {arr.shape[0]} samples but {names[0]!r} has {n}; "
                             "expected one value per sample for every signal")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"signal {name!r} contains NaN or infinite values")
        blocks.append(arr)
        columns.extend(cols)
    if labels is not None:
        lab = as_labels(labels, "labels", n=n, length_of="the signals")
        blocks.append(lab[:, None].astype(np.float64))
        columns.append(LABEL)
    return np.hstack(blocks), columns


def resolve_column(spec, *, n_columns: int, columns: Sequence[str] | None, param: str) -> int:
    """Turn a column given by index (negative allowed) or by name into a non-negative index.

    ``columns`` are the names of the columns of ``S`` (from :func:`signal_matrix`); a name needs
    them. Errors name the parameter ``param`` and list the known names.
    """
    if isinstance(spec, str):
        if columns is None:
            raise ValueError(f"{param}={spec!r} is a name, but the attack was not told the column names; "
                             "pass columns=names (the second output of signal_matrix) or an integer index")
        columns = list(columns)
        if len(columns) != n_columns:
            raise ValueError(f"columns has {len(columns)} names but S has {n_columns} columns")
        if spec not in columns:
            raise ValueError(f"unknown signal name {spec!r} for {param}; known columns: {', '.join(columns)}")
        return columns.index(spec)
    if isinstance(spec, bool) or not isinstance(spec, numbers.Integral):
        raise TypeError(f"{param} must be a column index (int) or a column name (str), got {spec!r}")
    if not -n_columns <= spec < n_columns:
        raise ValueError(f"{param}={spec} is out of range for S with {n_columns} column(s)")
    return int(spec) % n_columns


def label_values(S: np.ndarray, j: int) -> np.ndarray:
    """The integer class labels held in column ``j`` of ``S`` (the label convention above)."""
    col = S[:, j]
    if not np.all(col == np.round(col)):
        raise ValueError(f"column {j} of S should hold the true class labels (integers) for a class-dependent "
                         "attack, but holds non-integer values; append them with signal_matrix(..., labels=y) "
                         "or set label_column")
    return col.astype(np.int64)
