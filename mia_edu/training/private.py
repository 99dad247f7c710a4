"""DP-SGD through Opacus: per-sample clipping, Gaussian noise, Poisson sampling, the accountant's ε.

A :class:`~mia_edu.training.TrainConfig` with ``dp_noise_multiplier`` set trains with DP-SGD
(Abadi et al. 2016, "Deep learning with differential privacy") through Opacus's ``PrivacyEngine``
(Yousefpour et al. 2021), never a hand-written copy: every step draws a **Poisson** batch (each
training sample independently with probability ``q``, the sampling the accountant assumes), clips
each sample's gradient to L2 norm ``dp_max_grad_norm``, sums, adds Gaussian noise of standard
deviation ``dp_noise_multiplier · dp_max_grad_norm`` and divides by the expected batch size; Adam
then steps on that noisy gradient (post-processing, so the guarantee is unchanged).

Batch size: ``batch_size`` is the *expected* batch size. Opacus sets ``q = 1 / ⌈n / batch_size⌉``
(one "epoch" = ``⌈n / batch_size⌉`` steps), so the expected batch is ``n · q ≤ batch_size``.
``batch_size=None`` (full batch, the non-private default) means :data:`DP_DEFAULT_BATCH_SIZE` = 256
for DP configs: ``q = 1`` would forgo privacy amplification by sampling, the reason DP-SGD samples.

ε: Opacus's **RDP accountant** (Mironov 2017; Mironov, Talwar & Zhang 2019, the sampled Gaussian
mechanism), at ``δ = dp_delta`` or, when that is ``None``, ``δ = 1/n`` for ``n`` training samples.
It depends only on (σ, q, steps, δ), so :func:`dp_epsilon` recomputes it from the config and the
training-set size: a model loaded from the disk cache reports the same ε as a fresh one. RDP is a
valid upper bound; Opacus's PRV accountant would give a slightly smaller one. Taught in notebook 08.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

#: Expected batch size of DP-SGD when ``TrainConfig.batch_size`` is ``None``.
DP_DEFAULT_BATCH_SIZE = 256
#: The accountant ε is reported by (Opacus's name).
ACCOUNTANT = "rdp"


def dp_batch_size(config, n_train: int) -> int:
    """The batch size DP-SGD is set up with for ``n_train`` samples (see the module docstring)."""
    bs = DP_DEFAULT_BATCH_SIZE if config.batch_size is None else config.batch_size
    return max(1, min(int(bs), int(n_train)))


def dp_sample_rate(config, n_train: int) -> float:
    """Poisson sampling rate ``q = 1 / ⌈n / batch_size⌉``, Opacus's rule."""
    return 1.0 / math.ceil(n_train / dp_batch_size(config, n_train))


def dp_steps(config, n_train: int) -> int:
    """Number of noisy steps: ``epochs · ⌈n / batch_size⌉``."""
    return int(config.epochs) * math.ceil(n_train / dp_batch_size(config, n_train))


def dp_delta(config, n_train: int) -> float:
    """The δ ε is stated at: ``config.dp_delta`` or, when it is ``None``, ``1 / n_train``."""
    return float(config.dp_delta) if config.dp_delta is not None else 1.0 / int(n_train)


def dp_epsilon(config, n_train: int) -> tuple[float | None, float | None]:
    """(ε, δ) of a model trained with ``config`` on ``n_train`` samples; ``(None, None)`` if not private.

    ε from Opacus's RDP accountant for ``dp_steps`` steps of the sampled Gaussian mechanism with
    noise multiplier ``config.dp_noise_multiplier`` and rate :func:`dp_sample_rate`: the value the
    ``PrivacyEngine`` reports after training, recomputed deterministically.

    >>> from mia_edu.training import TrainConfig
    >>> eps, delta = dp_epsilon(TrainConfig(epochs=30, dp_noise_multiplier=1.0), 2500)
    >>> round(eps, 2), delta
    (11.03, 0.0004)
    """
    if config.dp_noise_multiplier is None:
        return None, None
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    accountant.history = [(float(config.dp_noise_multiplier), dp_sample_rate(config, n_train),
                           dp_steps(config, n_train))]
    delta = dp_delta(config, n_train)
    return float(accountant.get_epsilon(delta=delta)), delta


def fit_private(module: nn.Module, config, X: torch.Tensor, y: torch.Tensor, loss_fn, hist: dict,
                eval_epoch, *, device: str = "cpu") -> nn.Module:
    """DP-SGD training of ``module`` in place (Opacus); fills ``hist``. Called by ``fit_module``.

    ``loss_fn(out, yb, epoch)`` is the training loss (mean over the batch), ``eval_epoch(epoch)``
    records the per-epoch evaluation curves. ``hist["epsilon"]`` gets the ε spent after each epoch,
    as the ``PrivacyEngine``'s accountant reports it (at :func:`dp_delta`). The caller seeds torch
    and holds the one-thread policy; Poisson sampling and the noise draw from their own generators,
    seeded from ``config.seed``.
    """
    from opacus import PrivacyEngine

    n = len(y)
    bs = dp_batch_size(config, n)
    delta = dp_delta(config, n)
    hist["epsilon"] = np.zeros(config.epochs)
    opt = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    loader = DataLoader(TensorDataset(X, y), batch_size=bs,
                        generator=torch.Generator().manual_seed(config.seed))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ss]ecure RNG.*")
        warnings.filterwarnings("ignore", message=".*full backward hook.*")
        engine = PrivacyEngine(accountant=ACCOUNTANT)
        gsm, opt, loader = engine.make_private(
            module=module, optimizer=opt, data_loader=loader, noise_multiplier=float(config.dp_noise_multiplier),
            max_grad_norm=float(config.dp_max_grad_norm), poisson_sampling=True,
            noise_generator=torch.Generator().manual_seed(config.seed + 1))
        for epoch in range(config.epochs):
            gsm.train()
            total_loss, correct, seen = 0.0, 0, 0
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                out = gsm(xb)
                # an empty Poisson batch still takes its (pure-noise) step, as the accountant counts it
                loss = loss_fn(out, yb, epoch) if len(yb) else out.sum() * 0.0
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total_loss += float(loss.item()) * len(yb)
                correct += int((out.argmax(1) == yb).sum())
                seen += len(yb)
            hist["train_loss"][epoch] = total_loss / max(seen, 1)
            hist["train_acc"][epoch] = correct / max(seen, 1)
            hist["epsilon"][epoch] = engine.get_epsilon(delta)
            eval_epoch(epoch)
    gsm._close()  # remove Opacus's hooks and per-sample gradients: a plain module again
    module.eval()
    return module


def check_dp_fields(config) -> None:
    """Validate the DP fields of a ``TrainConfig`` (called from its ``__post_init__``)."""
    import numbers

    def real(name):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise TypeError(f"{name} must be a finite number, got {value!r}")
        return float(value)

    if config.dp_noise_multiplier is not None and real("dp_noise_multiplier") <= 0:
        raise ValueError(f"dp_noise_multiplier must be > 0 (or None for ordinary training), "
                         f"got {config.dp_noise_multiplier}")
    if real("dp_max_grad_norm") <= 0:
        raise ValueError(f"dp_max_grad_norm must be > 0, got {config.dp_max_grad_norm}")
    if config.dp_delta is not None and not 0 < real("dp_delta") < 1:
        raise ValueError(f"dp_delta must lie in (0, 1) (or None for 1/n_train), got {config.dp_delta}")
