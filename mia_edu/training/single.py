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
from .._validation import as_2d_float, as_labels, check_device, check_int, check_seed
from ..models import ARCHS, build_model
from .losses import training_loss
from .private import check_dp_fields, dp_epsilon, fit_private

MAX_EPOCHS = 100_000
"""Above this, one training run takes hours on a CPU: refused up front (the course uses ≤ 400)."""
MAX_HIDDEN = 100_000
MAX_DEPTH = 64
MAX_CLASSES = 100_000
MAX_PARAMETERS = 20_000_000
"""Largest model :func:`train` builds (80 MB of float32 weights, about 4× that with Adam's state and
gradients); the course's default MLP has 13,000. Checked before torch allocates anything."""
MAX_WEIGHT_DECAY = 100.0
MAX_LR = 10.0
"""Above these the optimiser only overflows (NaN weights); the course uses weight decay ≤ 0.1, lr ≤ 0.01."""


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
    dp_noise_multiplier : ``None`` = ordinary training; a number σ > 0 = DP-SGD through Opacus
        (Poisson batches, per-sample clipping, Gaussian noise of std σ · ``dp_max_grad_norm``; see
        :mod:`mia_edu.training.private`). ``batch_size`` is then the *expected* batch size, and
        ``None`` means 256 (full batches would forgo amplification by sampling). Notebook 08.
    dp_max_grad_norm : DP-SGD's per-sample clipping norm C.
    dp_delta : the δ that ε is reported at; ``None`` = 1 / (number of training samples).
    relaxloss_alpha : ``None`` = cross-entropy; a number α > 0 = RelaxLoss (Chen et al. 2022), an
        MIA-specific defence that keeps the training loss near α (:mod:`mia_edu.training.losses`).
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
    dp_noise_multiplier: float | None = None
    dp_max_grad_norm: float = 1.0
    dp_delta: float | None = None
    relaxloss_alpha: float | None = None

    def __post_init__(self):
        check_int(self.epochs, "epochs", minimum=1, maximum=MAX_EPOCHS)
        check_int(self.hidden, "hidden", minimum=1, maximum=MAX_HIDDEN)
        check_int(self.depth, "depth", minimum=1, maximum=MAX_DEPTH)
        check_seed(self.seed)
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size", minimum=1)
        for name in ("weight_decay", "lr", "label_smoothing", "dropout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
                raise TypeError(f"{name} must be a finite number, got {value!r}")
        if not 0 <= self.weight_decay <= MAX_WEIGHT_DECAY:
            raise ValueError(f"weight_decay must lie in [0, {MAX_WEIGHT_DECAY:g}], got {self.weight_decay:g}")
        if not 0 < self.lr <= MAX_LR:
            raise ValueError(f"lr must lie in (0, {MAX_LR:g}], got {self.lr:g}")
        for name in ("label_smoothing", "dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must lie in [0, 1), got {getattr(self, name)}")
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}, got {self.arch!r}")
        check_dp_fields(self)
        alpha = self.relaxloss_alpha
        if alpha is not None:
            if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not np.isfinite(alpha):
                raise TypeError(f"relaxloss_alpha must be a finite number or None, got {alpha!r}")
            if alpha <= 0:
                raise ValueError(f"relaxloss_alpha must be > 0 (a target loss level), got {alpha}")

    @property
    def private(self) -> bool:
        """True when this config trains with DP-SGD (``dp_noise_multiplier`` set)."""
        return self.dp_noise_multiplier is not None

    def replace(self, **changes) -> TrainConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


@dataclass(eq=False)
class TrainedModel:
    """A trained torch module with its config and per-epoch history.

    ``history`` maps ``"train_loss"``, ``"train_acc"`` (and ``"test_loss"``, ``"test_acc"`` when an
    evaluation set was given) to arrays with one value per epoch. ``epsilon`` and ``delta``: the
    (ε, δ) of a DP-SGD model (Opacus's RDP accountant, :func:`mia_edu.training.dp_epsilon`), ``None``
    for ordinary training; recomputed from the config, so a cached model reports the same.
    """

    module: nn.Module
    config: TrainConfig
    history: dict[str, np.ndarray]
    n_features: int
    n_classes: int
    device: str = "cpu"
    from_cache: bool = False
    epsilon: float | None = None
    delta: float | None = None

    def logits(self, X, *, batch_size: int = 16384) -> np.ndarray:
        """Logits (samples × classes, float32) from one forward pass in evaluation mode."""
        X = check_features(X, "X", n_features=self.n_features)
        check_int(batch_size, "batch_size", minimum=1)
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
        pred = self.predict(X)
        y = as_labels(y, "y", n=len(pred), n_classes=self.n_classes, length_of="X")
        return float(np.mean(pred == y))


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
        if n_classes > MAX_CLASSES:
            raise ValueError(f"y has labels up to {n_classes - 1:,}; expected class indices below {MAX_CLASSES:,}")
    else:
        n_classes = check_int(n_classes, "n_classes", minimum=2, maximum=MAX_CLASSES)
    y = as_labels(y, "y", n_classes=n_classes)
    return X, y, int(n_classes)


def n_parameters(config: TrainConfig, n_features: int, n_classes: int) -> int:
    """How many weights :func:`~mia_edu.models.build_model` creates for ``config`` (without building it)."""
    h, d = config.hidden, config.depth
    if config.arch == "cnn1d":
        c = max(4, h // 8)
        length = n_features
        for _ in range(2):
            length = (length + 2 - 3) // 2 + 1
        return (5 * c + c) + 2 * (3 * c * c + c) + c * length * n_classes + n_classes
    return n_features * h + h + (d - 1) * (h * h + h) + h * n_classes + n_classes


def check_model_size(config: TrainConfig, n_features: int, n_classes: int) -> None:
    """Refuse, before torch allocates anything, a model above :data:`MAX_PARAMETERS` weights."""
    n = n_parameters(config, n_features, n_classes)
    if n > MAX_PARAMETERS:
        raise ValueError(f"hidden={config.hidden}, depth={config.depth} with {n_features} features and "
                         f"{n_classes} classes makes {n:,} weights; expected at most {MAX_PARAMETERS:,} "
                         "(lower hidden or depth)")


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
        loss_fn = training_loss(config)
        Xt = torch.tensor(X, device=device)
        yt = torch.tensor(y, device=device)
        has_eval = X_eval is not None
        if has_eval:
            Xe, ye = torch.tensor(X_eval, device=device), torch.tensor(y_eval, device=device)
        hist = {k: np.zeros(config.epochs) for k in ("train_loss", "train_acc")}
        if has_eval:
            hist.update({k: np.zeros(config.epochs) for k in ("test_loss", "test_acc")})

        def eval_epoch(epoch):
            if has_eval:
                module.eval()
                with torch.no_grad():
                    out = module(Xe)
                    hist["test_loss"][epoch] = float(nn.functional.cross_entropy(out, ye))
                    hist["test_acc"][epoch] = float((out.argmax(1) == ye).float().mean())

        if config.private:
            fit_private(module, config, Xt, yt, loss_fn, hist, eval_epoch, device=device)
            return module, hist
        opt = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        n = len(yt)
        bs = n if config.batch_size is None else min(config.batch_size, n)
        gen = torch.Generator().manual_seed(config.seed)
        for epoch in range(config.epochs):
            module.train()
            order = torch.randperm(n, generator=gen).to(device) if bs < n else None
            total_loss, correct = 0.0, 0
            for start in range(0, n, bs):
                idx = None if order is None else order[start:start + bs]
                xb, yb = (Xt, yt) if idx is None else (Xt[idx], yt[idx])
                out = module(xb)
                loss = loss_fn(out, yb, epoch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total_loss += loss.item() * len(yb)
                correct += int((out.argmax(1) == yb).sum())
            hist["train_loss"][epoch] = total_loss / n
            hist["train_acc"][epoch] = correct / n
            eval_epoch(epoch)
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
    check_model_size(config, X.shape[1], n_classes)
    device = check_device(device)
    key = device_key(model_key(config, n_classes, X, y, X_eval, y_eval), device)
    if use_cache:
        hit = load_cached(key, config, X.shape[1], n_classes, device)
        if hit is not None:
            return TrainedModel(hit[0], config, hit[1], X.shape[1], n_classes, device, True,
                                *dp_epsilon(config, len(y)))
    module, history = fit_module(config, X, y, n_classes, X_eval=X_eval, y_eval=y_eval, device=device)
    if use_cache:
        save_cached(key, state_to_arrays(module), history)
    return TrainedModel(module, config, history, X.shape[1], n_classes, device, False, *dp_epsilon(config, len(y)))


def model_key(config: TrainConfig, n_classes: int, X: np.ndarray, y: np.ndarray,
              X_eval: np.ndarray | None = None, y_eval: np.ndarray | None = None) -> str:
    """The disk-cache key of one trained model: its config (seed included), data and evaluation set.

    :func:`train` and :func:`mia_edu.training.train_many` use the same key, so a model trained by
    either is a cache hit for both.
    """
    return cache.make_key("model-v2", config, n_classes, X, y,
                          X_eval if X_eval is not None else "no-eval", y_eval if y_eval is not None else "")


def device_key(key: str, device: str) -> str:
    """``key`` for a model trained on ``device``: CPU keys as they are, others tagged (they round differently)."""
    device_type = torch.device(device).type
    return key if device_type == "cpu" else cache.make_key("model-device", device_type, key)


def load_cached(key: str, config: TrainConfig, n_features: int, n_classes: int,
                device: str = "cpu") -> tuple[nn.Module, dict[str, np.ndarray]] | None:
    """The module and history stored under ``key``, or ``None`` on a miss or a stale/broken entry."""
    hit = cache.load("models", key)
    if hit is None:
        return None
    try:
        module = build_model(config.arch, n_features, n_classes, hidden=config.hidden,
                             depth=config.depth, dropout=config.dropout)
        weights = {k[2:]: v for k, v in hit.items() if k.startswith("w/")}
        if not all(np.all(np.isfinite(v)) for v in weights.values()):
            return None  # NaN or inf weights: retrain
        arrays_to_state(module, weights, device)
        history = {k[2:]: v for k, v in hit.items() if k.startswith("h/")}
    except (RuntimeError, KeyError, ValueError, TypeError):
        return None  # a stale or broken entry: the caller retrains and overwrites it
    return module, history


def save_cached(key: str, arrays: dict[str, np.ndarray], history: dict[str, np.ndarray]) -> None:
    """Store a model's weights (from :func:`state_to_arrays`) and history under ``key``."""
    stored = {f"w/{k}": v for k, v in arrays.items()}
    stored.update({f"h/{k}": v for k, v in history.items()})
    cache.save("models", key, stored)
