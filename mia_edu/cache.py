"""A small on-disk cache of numpy arrays, so a notebook run twice never redoes slow work.

Everything is stored as plain ``.npz`` arrays (loaded with ``allow_pickle=False``): no pickles, no
code execution on load. Keys are SHA-256 hashes of everything that determines the result.

``MIA_EDU_CACHE`` sets the directory (default: ``$XDG_CACHE_HOME/mia_edu`` or
``~/.cache/mia_edu``); ``MIA_EDU_CACHE=off`` disables caching. A corrupt or truncated file is
treated as a miss (and removed), never as an error. Every entry carries a SHA-256 checksum of its
arrays (``__sha256__``): an entry whose arrays were changed after saving, or that has no checksum,
is a miss too, so the caller recomputes and overwrites it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import numbers
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_OFF = {"off", "0", "false", "no", "none", ""}


def cache_dir() -> Path | None:
    """The cache directory, or ``None`` when ``MIA_EDU_CACHE=off``."""
    env = os.environ.get("MIA_EDU_CACHE")
    if env is not None:
        if env.strip().lower() in _OFF:
            return None
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mia_edu"


def _canonical(value) -> str:
    """A text form of ``value`` that is equal for equal values: ``0``, ``0.0``, ``np.float32(0)``
    and ``np.int64(0)`` give one text (so ``TrainConfig(weight_decay=0)`` and ``weight_decay=0.0``
    share a key), booleans stay apart from numbers, containers are walked, dict keys are sorted."""
    if isinstance(value, (bool, np.bool_)):
        return f"b:{bool(value)}"
    if isinstance(value, numbers.Integral):
        return f"n:{int(value)}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if value.is_integer():
            return f"n:{int(value)}"
        return f"f:{value!r}"
    if isinstance(value, str):
        return f"s:{value!r}"
    if value is None:
        return "None"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _canonical({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    if isinstance(value, dict):
        items = sorted((_canonical(k), _canonical(v)) for k, v in value.items())
        return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


def make_key(*parts) -> str:
    """Hash arrays, dataclasses, strings and numbers into a hex key (order matters).

    Equal values give equal keys: numbers are compared by value (``0 == 0.0``), not by type.
    """
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            arr = np.ascontiguousarray(part)
            h.update(f"nd{arr.dtype.str}{arr.shape}".encode())
            h.update(arr.tobytes())
        else:
            h.update(_canonical(part).encode())
        h.update(b"|")
    return h.hexdigest()[:32]


_CHECKSUM = "__sha256__"


def _checksum(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """SHA-256 of the arrays' names, dtypes, shapes and bytes, as 32 uint8."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        arr = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())
    return np.frombuffer(h.digest(), dtype=np.uint8)


def _path(kind: str, key: str) -> Path | None:
    root = cache_dir()
    return None if root is None else root / kind / f"{key}.npz"


def load(kind: str, key: str) -> dict[str, np.ndarray] | None:
    """Return the arrays stored under ``kind/key``, or ``None`` on a miss or a broken file."""
    path = _path(kind, key)
    if path is None or not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
        stored = arrays.pop(_CHECKSUM)  # KeyError (no checksum): a miss
        if not np.array_equal(stored, _checksum(arrays)):
            raise ValueError("checksum mismatch")
        return arrays
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError):
        try:
            path.unlink()
        except OSError:
            pass
        return None


def save(kind: str, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Store ``arrays`` under ``kind/key`` atomically (write to a temp file, then rename)."""
    path = _path(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays, **{_CHECKSUM: _checksum(arrays)})
        os.replace(tmp, path)
    except OSError:  # a read-only or full disk must not break a lesson
        pass
