"""Input checks shared by every module: one place that turns bad input into a clear error.

Each helper names the argument it checks, so a student sees *which* input is wrong and what was
expected instead of a deep numpy traceback.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_1d_float(values, name: str, *, allow_nonfinite: bool = False) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array, or raise naming ``name``."""
    if values is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one value per sample), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty; expected at least one value")
    if not allow_nonfinite and not np.all(np.isfinite(arr)):
        n_bad = int(np.sum(~np.isfinite(arr)))
        raise ValueError(f"{name} contains {n_bad} NaN or infinite value(s); expected finite numbers")
    return arr


def as_2d_float(values, name: str, *, dtype=np.float64, promote_1d: bool = False,
                n_features: int | None = None, allow_empty: bool = False) -> np.ndarray:
    """Return ``values`` as a C-contiguous 2-D (samples × columns) array of finite numbers.

    ``promote_1d`` accepts one value per sample as a single column; ``n_features`` checks the width;
    ``allow_empty`` accepts zero rows (e.g. a forward pass over an empty slice).
    """
    if values is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    try:
        arr = np.ascontiguousarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of numbers: {exc}") from None
    if promote_1d and arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or (arr.shape[0] == 0 and not allow_empty) or arr.shape[1] == 0:
        expected = "1-D (one value per sample) or 2-D (samples × columns)" if promote_1d else "2-D (samples × features)"
        raise ValueError(f"{name} must be {expected}, non-empty; got shape {np.shape(values)}")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, expected {n_features}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values ({int(np.sum(~np.isfinite(arr)))} of them); "
                         "expected finite numbers")
    return arr


def as_membership(is_member, name: str = "is_member", *, n: int | None = None,
                  length_of: str = "scores", both_classes: bool = True) -> np.ndarray:
    """Return a boolean membership vector, checking values, length and that both classes occur."""
    if is_member is None:
        raise TypeError(f"{name} must be an array of booleans (True = member), got None")
    arr = np.asarray(is_member)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype != bool:
        if arr.size and not np.all(np.isin(arr, (0, 1))):
            raise ValueError(f"{name} must hold booleans or 0/1 (1 = member); got values "
                             f"{np.unique(arr)[:5].tolist()}")
        arr = arr.astype(bool)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} entries but {length_of} has {n}; "
                         "expected one membership label per sample")
    if both_classes:
        n_members = int(arr.sum())
        if n_members == 0 or n_members == arr.size:
            which = "non-members" if n_members == arr.size else "members"
            raise ValueError(f"{name} contains only one class (no {which}); expected both "
                             "members and non-members")
    return arr


def as_labels(y, name: str = "y", *, n: int | None = None, n_classes: int | None = None,
              length_of: str = "logits") -> np.ndarray:
    """Return integer class labels as int64, checking length and range."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per sample), got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if np.issubdtype(arr.dtype, np.floating) and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels but {length_of} has {n} samples; "
                         "expected one label per sample")
    if n_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(f"{name} has labels outside [0, {n_classes - 1}] (found {arr.min()}..{arr.max()}); "
                         f"expected class indices for {n_classes} classes")
    return arr


SEED_MAX = 2**32 - 1
"""The largest seed accepted everywhere (numpy's legacy seeding, used by MNIST-1D's generator, stops here)."""


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None,
              why: str = "") -> int:
    """Check that ``value`` is an integer (not bool) in ``[minimum, maximum]``; ``why`` explains the maximum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:,}{why}, got {value:,}")
    return int(value)


def check_seed(value, name: str = "seed") -> int:
    """An integer seed in ``[0, 2**32 − 1]``."""
    return check_int(value, name, minimum=0, maximum=SEED_MAX)


def check_device(device) -> str:
    """``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"`` (a ``torch.device`` is accepted), available here."""
    import torch

    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda', got {type(device).__name__} {device!r}")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}") from None
    if dev.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {device!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available on this machine; use device='cpu'")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} but MPS is not available on this machine; use device='cpu'")
    return device


def check_fraction(value, name: str, *, low: float = 0.0, high: float = 1.0,
                   inclusive: bool = False) -> float:
    """Check that ``value`` is a number strictly inside (low, high) (or closed if inclusive)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    ok = low <= value <= high if inclusive else low < value < high
    if not ok or not np.isfinite(value):
        bracket = f"[{low}, {high}]" if inclusive else f"({low}, {high})"
        raise ValueError(f"{name} must lie in {bracket}, got {value}")
    return float(value)


def rng_from(seed) -> np.random.Generator:
    """A numpy Generator from an int seed or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer or numpy.random.Generator, got {seed!r}")
    return np.random.default_rng(check_seed(seed))
