"""Defences as training recipes: one name and one strength → the :class:`TrainConfig` to train with.

Every defence the course teaches changes *how the target is trained*, and the attacker who knows
the recipe trains its reference models the same way (Carlini et al. 2022's threat model), so a
defence here is a function ``(base config, strength) → config``. Early stopping also needs the
defender's validation set (:attr:`mia_edu.splits.MembershipSplit.validation`): it picks the number
of epochs, and the recipe is then "train that many epochs" (:func:`early_stopping_epochs`).
Taught in notebook 08.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._validation import check_int
from ..training import TrainConfig, train


@dataclass(frozen=True)
class Defence:
    """One defence: its name, what its strength means, and strengths from weak to strong.

    Attributes
    ----------
    name : key in :data:`DEFENCES` (and in ``python -m mia_edu defend``'s JSON).
    knob : what the strength is, in words (for tables and axes).
    strengths : the default strengths, weakest first.
    paper : where it comes from.
    """

    name: str
    knob: str
    strengths: tuple
    paper: str


#: The defences the frontier knows, weakest strength first. DP-SGD's strength is the noise
#: multiplier σ; its recipe also switches to Poisson mini-batches (expected size 256) and
#: ``dp_epochs`` epochs (see :func:`defended_config`).
DEFENCES: dict[str, Defence] = {d.name: d for d in (
    Defence("none", "-", (None,), "the undefended target"),
    Defence("weight_decay", "L2 penalty λ", (1e-3, 3e-3, 1e-2), "Shokri et al. 2017 (regularisation)"),
    Defence("dropout", "dropout p", (0.25, 0.5, 0.75), "Salem et al. 2019"),
    Defence("label_smoothing", "smoothing ε_ls", (0.1, 0.3, 0.6), "Szegedy et al. 2016; Kaya & Dumitras 2021"),
    Defence("early_stopping", "patience (epochs)", (40, 10, 1), "Song & Mittal 2021 (early stopping)"),
    Defence("relaxloss", "target loss α", (0.5, 1.0, 1.5), "Chen, Yu & Fritz, ICLR 2022 (RelaxLoss)"),
    Defence("dp_sgd", "noise multiplier σ", (0.5, 1.0, 4.0), "Abadi et al. 2016 (DP-SGD), via Opacus"),
)}

#: Epochs of a DP-SGD recipe (Poisson batches of expected size 256, so ~10 noisy steps per epoch on
#: 2,500 samples): DP-SGD converges in fewer passes, and every step costs privacy.
DP_EPOCHS = 30


def check_defence(name: str) -> Defence:
    """The :class:`Defence` called ``name``; a ``ValueError`` naming the choices otherwise."""
    if not isinstance(name, str) or name not in DEFENCES:
        raise ValueError(f"defence must be one of {', '.join(DEFENCES)}; got {name!r}")
    return DEFENCES[name]


def early_stopping_epochs(val_loss, patience: int) -> int:
    """Where early stopping stops: the first epoch after which the validation loss has not reached a
    new minimum for ``patience`` epochs (1-based; all epochs if that never happens).

    The model kept is the one at the stopping epoch (no restoring of the best weights), so a larger
    patience trains longer past the minimum: a weaker defence.

    >>> early_stopping_epochs([3.0, 2.0, 1.5, 1.6, 1.7, 1.8, 1.4], patience=2)
    5
    >>> early_stopping_epochs([3.0, 2.0, 1.5, 1.6, 1.7, 1.8, 1.4], patience=10)
    7
    """
    loss = np.asarray(val_loss, dtype=np.float64)
    if loss.ndim != 1 or loss.size == 0 or not np.all(np.isfinite(loss)):
        raise ValueError("val_loss must be a non-empty 1-D array of finite per-epoch validation losses")
    check_int(patience, "patience", minimum=1)
    best, since = np.inf, 0
    for epoch, value in enumerate(loss, start=1):
        if value < best:
            best, since = value, 0
        else:
            since += 1
            if since >= patience:
                return epoch
    return int(loss.size)


def stopping_epoch(config: TrainConfig, X, y, X_val, y_val, patience: int, *, n_classes: int | None = None,
                   device: str = "cpu") -> int:
    """Train ``config`` once with the validation set as its evaluation set (cached) and return the
    epoch :func:`early_stopping_epochs` stops at.

    Full-batch training with a fixed seed is the same trajectory whatever the number of epochs, so
    the early-stopped model is exactly ``train(config.replace(epochs=stop), X, y)``.
    """
    model = train(config, X, y, X_eval=X_val, y_eval=y_val, n_classes=n_classes, device=device)
    return early_stopping_epochs(model.history["test_loss"], patience)


def defended_config(base: TrainConfig, defence: str, strength, *, stop_epoch: int | None = None,
                    dp_epochs: int = DP_EPOCHS) -> TrainConfig:
    """The recipe of ``defence`` at ``strength``, starting from ``base``.

    ``early_stopping`` needs ``stop_epoch`` (from :func:`stopping_epoch`); ``dp_sgd`` trains
    ``dp_epochs`` epochs of Poisson batches (expected size 256 unless ``base.batch_size`` says
    otherwise) at noise multiplier ``strength`` and clipping norm ``base.dp_max_grad_norm``.

    >>> defended_config(TrainConfig(), "weight_decay", 1e-2).weight_decay
    0.01
    """
    if not isinstance(base, TrainConfig):
        raise TypeError(f"base must be a TrainConfig, got {type(base).__name__}")
    check_defence(defence)
    if defence == "none":
        return base
    if strength is None:
        raise ValueError(f"defence {defence!r} needs a strength ({DEFENCES[defence].knob})")
    if defence == "weight_decay":
        return base.replace(weight_decay=float(strength))
    if defence == "dropout":
        return base.replace(dropout=float(strength))
    if defence == "label_smoothing":
        return base.replace(label_smoothing=float(strength))
    if defence == "relaxloss":
        return base.replace(relaxloss_alpha=float(strength))
    if defence == "dp_sgd":
        return base.replace(dp_noise_multiplier=float(strength), epochs=check_int(dp_epochs, "dp_epochs", minimum=1))
    if stop_epoch is None:
        raise ValueError("early_stopping needs stop_epoch: the epoch stopping_epoch() found on the validation set")
    return base.replace(epochs=check_int(stop_epoch, "stop_epoch", minimum=1))


def parse_defences(spec: str | Sequence[str] | dict | None) -> dict[str, tuple]:
    """``{defence: strengths}`` from ``None`` (every defence, default strengths), a list of names,
    a comma-separated string, or a dict ``{name: strengths}``."""
    if spec is None or spec == "all":
        return {name: d.strengths for name, d in DEFENCES.items()}
    if isinstance(spec, dict):
        out = {}
        for name, strengths in spec.items():
            check_defence(name)
            strengths = tuple(strengths) if isinstance(strengths, (list, tuple)) else (strengths,)
            if not strengths:
                raise ValueError(f"defence {name!r} has no strengths")
            out[name] = strengths
        return out
    names = [s.strip() for s in spec.split(",")] if isinstance(spec, str) else list(spec)
    if not names or any(not n for n in names):
        raise ValueError(f"defences must name at least one of {', '.join(DEFENCES)}; got {spec!r}")
    return {check_defence(n).name: DEFENCES[n].strengths for n in names}
