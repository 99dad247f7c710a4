"""Train target models: one :class:`TrainConfig`, one :func:`train` call, cached on disk.

The defaults overfit MNIST-1D visibly (train accuracy → 1.0) in under a second on one CPU
core, which is what the course needs: a model that leaks. Weight decay is an L2 penalty in the
loss (``torch.optim.Adam(weight_decay=…)``), the knob that visibly reduces the leak. Taught in
notebooks 01–02.
"""

from __future__ import annotations

import dataclasses
import numbers
import threading
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .. import cache
from .._threads import single_thread
from .._validation import as_2d_float, as_labels, check_int
from ..models import ARCHS, build_model


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides how a model is trained (and so, how much it overfits).

    Attributes
    ----------
    epochs : passes over the training set. More epochs, more memorisation.
    hidden : width of each hidden layer (channels × 8 for ``arch="cnn1d"``). Wider, more capacity.
    depth : number of hidden layers of the MLP.
    weight_decay : L2 penalty coefficient added to the loss (Adam's ``weight_decay``).
    lr : Adam learning rate.
    batch_size : mini-batch size; ``None`` = the whole training set at once (fast on a CPU).
    label_smoothing : cross-entropy label smoothing in [0, 1).
    dropout : dropout probability after each hidden layer, in [0, 1).
    seed : initialisation and shuffling seed. Same seed, same weights.
    arch : ``"mlp"`` or ``"cnn1d"``.
    """

    epochs: int = 200
    hidden: int = 256
    depth: int = 1
    weight_decay: float = 0.0
    lr: float = 3e-3
    batch_size: int | None = None
    label_smoothing: float = 0.0
    dropout: float = 0.0
    seed: int = 0
    arch: str = "mlp"

    def __post_init__(self):
        check_int(self.epochs, "epochs", minimum=1)
        check_int(self.hidden, "hidden", minimum=1)
        check_int(self.depth, "depth", minimum=1)
        check_int(self.seed, "seed", minimum=0)
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size", minimum=1)
        for name in ("weight_decay", "lr", "label_smoothing", "dropout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
                raise TypeError(f"{name} must be a finite number, got {value!r}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        for name in ("label_smoothing", "dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in [0, 1), got {getattr(self, name)}")
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}")

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


@dataclass(eq=False)
class TrainedModel:
    """A trained torch module with its config and per-epoch history.

    ``history`` maps ``"train_loss"``, ``"train_acc"`` (and ``"test_loss"``, ``"test_acc"`` when an
    evaluation set was given) to arrays with one value per epoch.
    """

    module: nn.Module
    config: TrainConfig
    history: dict[str, np.ndarray]
    n_features: int
    n_classes: int
    device: str = "cpu"
    from_cache: bool = False

    def logits(self, X, *, batch_size: int = 16384) -> np.ndarray:
        """Logits (samples × classes, float32) from one forward pass in evaluation mode."""
        X = check_features(X, "X", n_features=self.n_features)
        self.module.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                xb = torch.tensor(X[start:start + batch_size], device=self.device)
                out.append(self.module(xb).float().cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.n_classes), np.float32)

    def predict(self, X) -> np.ndarray:
        """Predicted class per sample."""
        return self.logits(X).argmax(axis=1)

    def accuracy(self, X, y) -> float:
        """Fraction of samples classified correctly."""
        y = as_labels(y, "y", n=len(X), length_of="X")
        return float(np.mean(self.predict(X) == y))


def check_features(X, name: str = "X", *, n_features: int | None = None) -> np.ndarray:
    """Return ``X`` as a C-contiguous float32 2-D array of finite values."""
    return as_2d_float(X, name, dtype=np.float32, n_features=n_features, allow_empty=True)


def _check_data(X, y, n_classes=None):
    X = check_features(X, "X")
    y = as_labels(y, "y", n=len(X), length_of="X")
    if len(y) == 0:
        raise ValueError("X is empty; expected at least one training sample")
    if n_classes is None:
        n_classes = int(y.max()) + 1
    y = as_labels(y, "y", n_classes=n_classes)
    return X, y, int(n_classes)


def _check_eval(X_eval, y_eval, n_features: int, n_classes: int):
    if (X_eval is None) != (y_eval is None):
        raise ValueError("X_eval and y_eval must be given together")
    if X_eval is not None:
        X_eval = check_features(X_eval, "X_eval", n_features=n_features)
        y_eval = as_labels(y_eval, "y_eval", n=len(X_eval), n_classes=n_classes, length_of="X_eval")
    return X_eval, y_eval


# torch's global RNG (initial weights, dropout masks) and its thread count are shared by every
# thread of a process: fits running in threads (joblib's "threading" backend in train_many) take
# turns, or they would seed each other's models.
_GLOBAL_RNG = threading.RLock()


def fit_module(config: TrainConfig, X: np.ndarray, y: np.ndarray, n_classes: int, *,
               X_eval: np.ndarray | None = None, y_eval: np.ndarray | None = None,
               device: str = "cpu") -> tuple[nn.Module, dict[str, np.ndarray]]:
    """Train a fresh module on checked arrays; returns it with its history. No caching.

    Runs on one CPU thread (:func:`mia_edu._threads.single_thread`): faster for these small models
    and the same weights on every machine.
    """
    # seed locally (never touch the caller's RNG state) and train single-threaded
    with _GLOBAL_RNG, single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        module = build_model(config.arch, X.shape[1], n_classes, hidden=config.hidden,
                             depth=config.depth, dropout=config.dropout).to(device)
        opt = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
        Xt = torch.tensor(X, device=device)
        yt = torch.tensor(y, device=device)
        has_eval = X_eval is not None
        if has_eval:
            Xe, ye = torch.tensor(X_eval, device=device), torch.tensor(y_eval, device=device)
        n = len(yt)
        bs = n if config.batch_size is None else min(config.batch_size, n)
        gen = torch.Generator().manual_seed(config.seed)
        hist = {k: np.zeros(config.epochs) for k in ("train_loss", "train_acc")}
        if has_eval:
            hist.update({k: np.zeros(config.epochs) for k in ("test_loss", "test_acc")})
        for epoch in range(config.epochs):
            module.train()
            order = torch.randperm(n, generator=gen).to(device) if bs < n else None
            total_loss, correct = 0.0, 0
            for start in range(0, n, bs):
                idx = None if order is None else order[start:start + bs]
                xb, yb = (Xt, yt) if idx is None else (Xt[idx], yt[idx])
                out = module(xb)
                loss = loss_fn(out, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total_loss += loss.item() * len(yb)
                correct += int((out.argmax(1) == yb).sum())
            hist["train_loss"][epoch] = total_loss / n
            hist["train_acc"][epoch] = correct / n
            if has_eval:
                module.eval()
                with torch.no_grad():
                    out = module(Xe)
                    hist["test_loss"][epoch] = float(nn.functional.cross_entropy(out, ye))
                    hist["test_acc"][epoch] = float((out.argmax(1) == ye).float().mean())
    module.eval()
    return module, hist


def state_to_arrays(module: nn.Module) -> dict[str, np.ndarray]:
    """A module's weights as plain numpy arrays (for the on-disk cache)."""
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def arrays_to_state(module: nn.Module, arrays: dict[str, np.ndarray], device: str = "cpu") -> nn.Module:
    """Load weights from :func:`state_to_arrays` output into ``module``."""
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
    return module.to(device).eval()


def train(config: TrainConfig | None, X, y, *, X_eval=None, y_eval=None, n_classes: int | None = None,
          device: str = "cpu", use_cache: bool = True) -> TrainedModel:
    """Train one model on ``(X, y)``, or load it from the disk cache if trained before.

    Parameters
    ----------
    config : TrainConfig or recipe, optional
        How to train; ``None`` means ``TrainConfig()``. A scikit-learn classifier or a function
        ``(X, y, seed) -> model`` gives a :class:`~mia_edu.training.recipes.RecipeModel`
        (:func:`~mia_edu.training.recipes.fit_recipe`; the evaluation set is not used).
    X, y : arrays
        Training features (samples × features) and integer labels: the *members*.
    X_eval, y_eval : arrays, optional
        An evaluation set (e.g. the non-members) for the per-epoch test curves in ``history``.
    n_classes : int, optional
        Number of classes (default: ``max(y) + 1``).
    device : str
        ``"cpu"`` or ``"cuda"``.
    use_cache : bool
        Look up and store the trained weights in the disk cache (see :mod:`mia_edu.cache`). The key
        covers the config, the data and the evaluation set, so any change retrains.

    Examples
    --------
    >>> from mia_edu.data import load_dataset
    >>> ds = load_dataset("digits")
    >>> m = train(TrainConfig(epochs=20), ds.X[:200], ds.y[:200], n_classes=10)
    >>> m.logits(ds.X[:5]).shape
    (5, 10)
    """
    from . import recipes  # a scikit-learn / callable recipe takes its own route

    config = recipes.as_recipe(config)
    if recipes.is_recipe(config):
        return recipes.fit_recipe(config, X, y, n_classes=n_classes, use_cache=use_cache)
    X, y, n_classes = _check_data(X, y, n_classes)
    X_eval, y_eval = _check_eval(X_eval, y_eval, X.shape[1], n_classes)
    key = model_key(config, n_classes, X, y, X_eval, y_eval)
    if use_cache:
        hit = load_cached(key, config, X.shape[1], n_classes, device)
        if hit is not None:
            return TrainedModel(hit[0], config, hit[1], X.shape[1], n_classes, device, from_cache=True)
    module, history = fit_module(config, X, y, n_classes, X_eval=X_eval, y_eval=y_eval, device=device)
    if use_cache:
        save_cached(key, state_to_arrays(module), history)
    return TrainedModel(module, config, history, X.shape[1], n_classes, device)


def model_key(config: TrainConfig, n_classes: int, X: np.ndarray, y: np.ndarray,
              X_eval: np.ndarray | None = None, y_eval: np.ndarray | None = None) -> str:
    """The disk-cache key of one trained model: its config (seed included), data and evaluation set.

    :func:`train` and :func:`mia_edu.training.train_many` use the same key, so a model trained by
    either is a cache hit for both.
    """
    return cache.make_key("model-v2", config, n_classes, X, y,
                          X_eval if X_eval is not None else "no-eval", y_eval if y_eval is not None else "")


def load_cached(key: str, config: TrainConfig, n_features: int, n_classes: int,
                device: str = "cpu") -> tuple[nn.Module, dict[str, np.ndarray]] | None:
    """The module and history stored under ``key``, or ``None`` on a miss or a stale/broken entry."""
    hit = cache.load("models", key)
    if hit is None:
        return None
    try:
        module = build_model(config.arch, n_features, n_classes, hidden=config.hidden,
                             depth=config.depth, dropout=config.dropout)
        arrays_to_state(module, {k[2:]: v for k, v in hit.items() if k.startswith("w/")}, device)
        history = {k[2:]: v for k, v in hit.items() if k.startswith("h/")}
    except (RuntimeError, KeyError, ValueError, TypeError):
        return None  # a stale or broken entry: the caller retrains and overwrites it
    return module, history


def save_cached(key: str, arrays: dict[str, np.ndarray], history: dict[str, np.ndarray]) -> None:
    """Store a model's weights (from :func:`state_to_arrays`) and history under ``key``."""
    stored = {f"w/{k}": v for k, v in arrays.items()}
    stored.update({f"h/{k}": v for k, v in history.items()})
    cache.save("models", key, stored)
