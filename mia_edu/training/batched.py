"""The stacked-weights route of :func:`mia_edu.training.train_many`: K models trained as one program.

The K models share one architecture, so their weights are stacked along a new first axis
(``torch.func.stack_module_state``) and one forward pass runs all of them at once
(``torch.func.functional_call`` under ``torch.vmap``: a batched matmul for an MLP). Each model still
trains only on its own subset: the subsets are gathered into a ``K × n_max`` index (padded), and
the loss is a *weighted* sum whose weights are ``1 / n_k`` on model k's samples and 0 on padding,
so model k's gradient is the gradient of the mean loss over its own samples, exactly as when it is
trained alone. Adam is written out on the stacked tensors (it is element-wise, so this is K
independent Adams) with a step count per model, which lets models with fewer mini-batches sit out
the steps they have no batch for.

Every model starts from the same initial weights and, with mini-batches, the same shuffling as
:func:`mia_edu.training.fit_module` would give it with the same seed, so for full-batch training
without dropout the result matches the sequential route up to floating-point rounding. Dropout
masks are drawn differently (one random stream for all models).
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state

from .._threads import single_thread
from ..models import build_model
from .single import _GLOBAL_RNG, TrainConfig

_BETAS = (0.9, 0.999)  # torch.optim.Adam's defaults, as used by fit_module
_EPS = 1e-8


def supports(config: TrainConfig) -> bool:
    """Whether this route can train ``config``: not DP-SGD (per-sample clipping, Poisson batches), not RelaxLoss."""
    return not config.private and config.relaxloss_alpha is None


def init_modules(config: TrainConfig, seeds, n_features: int, n_classes: int) -> list[nn.Module]:
    """Freshly initialised modules, model k seeded with ``seeds[k]`` exactly as ``fit_module`` does."""
    modules = []
    with torch.random.fork_rng(devices=[]):
        for seed in seeds:
            torch.manual_seed(int(seed))
            modules.append(build_model(config.arch, n_features, n_classes, hidden=config.hidden,
                                       depth=config.depth, dropout=config.dropout))
    return modules


def _adam_step(params, grads, state, active, t, config: TrainConfig) -> None:
    """One Adam update of the stacked parameters; models with ``active[k] = False`` are untouched."""
    b1, b2 = _BETAS
    all_active = active is None
    for name, p in params.items():
        g = grads[name]
        if config.weight_decay:
            g = g.add(p, alpha=config.weight_decay)  # L2 in the gradient, like Adam(weight_decay=…)
        m, v = state[name]
        shape = (-1,) + (1,) * (p.dim() - 1)
        if all_active:
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
        else:
            a = active.view(shape)
            m.copy_(torch.where(a, m * b1 + g * (1 - b1), m))
            v.copy_(torch.where(a, v * b2 + g * g * (1 - b2), v))
        tk = t.view(shape)
        bias1 = 1 - b1 ** tk
        bias2 = 1 - b2 ** tk
        step = (config.lr / bias1) * m / ((v / bias2).sqrt() + _EPS)
        if not all_active:
            step = step * active.view(shape)
        p.sub_(step)


def fit_stacked(config: TrainConfig, X: np.ndarray, y: np.ndarray, rows: list[np.ndarray], seeds,
                n_classes: int, *, X_eval: np.ndarray | None = None, y_eval: np.ndarray | None = None,
                device: str = "cpu") -> list[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]:
    """Train ``len(rows)`` models at once; model k on ``X[rows[k]]``. No caching, no checks.

    Returns one ``(state arrays, history)`` pair per model, like ``fit_module`` would. On a CPU it
    runs on one thread, like ``fit_module`` (:func:`mia_edu._threads.single_thread`).
    """
    # dropout masks come from torch's global RNG: seed it locally, as fit_module does
    with _GLOBAL_RNG, single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seeds[0]))
        return _fit_stacked(config, X, y, rows, seeds, n_classes, X_eval=X_eval, y_eval=y_eval, device=device)


def _fit_stacked(config, X, y, rows, seeds, n_classes, *, X_eval, y_eval, device):
    K = len(rows)
    sizes = np.array([len(r) for r in rows])
    n_max = int(sizes.max())
    modules = init_modules(config, seeds, X.shape[1], n_classes)
    params, buffers = stack_module_state(modules)
    params = {k: v.detach().to(device).requires_grad_() for k, v in params.items()}
    buffers = {k: v.to(device) for k, v in buffers.items()}
    base = copy.deepcopy(modules[0]).to("meta")
    del modules

    def one(p, b, x):
        return functional_call(base, (p, b), (x,))

    per_model = torch.vmap(one, in_dims=(0, 0, 0), randomness="different")
    shared_x = torch.vmap(one, in_dims=(0, 0, None), randomness="different")

    Xt = torch.tensor(X, device=device)
    yt = torch.tensor(y, device=device)
    pad = np.zeros((K, n_max), np.int64)
    valid = np.zeros((K, n_max), bool)
    for k, r in enumerate(rows):
        pad[k, :len(r)] = r
        valid[k, :len(r)] = True
    index = torch.as_tensor(pad, device=device)
    n_k = torch.as_tensor(sizes, device=device, dtype=torch.float32)
    bs = n_max if config.batch_size is None else min(config.batch_size, n_max)
    full_batch = bs >= n_max
    if full_batch:
        Xb, yb = Xt[index], yt[index]
        wb = torch.as_tensor(valid, device=device).float() / n_k[:, None]
    else:
        gens = [torch.Generator().manual_seed(int(s)) for s in seeds]
    has_eval = X_eval is not None
    if has_eval:
        Xe, ye = torch.tensor(X_eval, device=device), torch.tensor(y_eval, device=device)
    state = {k: (torch.zeros_like(p), torch.zeros_like(p)) for k, p in params.items()}
    t = torch.zeros(K, device=device)
    keys = ("train_loss", "train_acc", "test_loss", "test_acc") if has_eval else ("train_loss", "train_acc")
    hist = {k: torch.zeros(config.epochs, K, device=device) for k in keys}
    ls = config.label_smoothing

    for epoch in range(config.epochs):
        base.train()
        if full_batch:
            batches = [(Xb, yb, wb, None)]
        else:
            # model k's own shuffle, drawn exactly as fit_module draws it; -1 pads the shorter models
            order = np.full((K, n_max), -1, np.int64)
            for k in range(K):
                order[k, :sizes[k]] = torch.randperm(int(sizes[k]), generator=gens[k]).numpy()
            order = torch.as_tensor(order, device=device)
            batches = []
            for start in range(0, n_max, bs):
                pos = order[:, start:start + bs]
                ok = pos >= 0
                count = ok.sum(1)
                idx = torch.gather(index, 1, pos.clamp(min=0))
                w = ok.float() / count.clamp(min=1)[:, None]
                active = count > 0
                batches.append((Xt[idx], yt[idx], w, None if bool(active.all()) else active))
        for xb, ybt, w, active in batches:
            out = per_model(params, buffers, xb)
            ce = nn.functional.cross_entropy(out.reshape(-1, n_classes), ybt.reshape(-1), reduction="none",
                                             label_smoothing=ls).view(w.shape)
            loss = (ce * w).sum()
            grads = torch.autograd.grad(loss, list(params.values()))
            with torch.no_grad():
                t += 1 if active is None else active.float()
                _adam_step(params, dict(zip(params, grads)), state, active, t, config)
                # summed over the epoch's batches: the mean loss over model k's samples, as fit_module logs it
                hist["train_loss"][epoch] += (ce.detach() * (w > 0)).sum(1) / n_k
                hist["train_acc"][epoch] += ((out.argmax(-1) == ybt) & (w > 0)).sum(1) / n_k
        if has_eval:
            base.eval()
            with torch.no_grad():
                out = shared_x(params, buffers, Xe)
                ce = nn.functional.cross_entropy(out.reshape(-1, n_classes), ye.repeat(K), reduction="none")
                hist["test_loss"][epoch] = ce.view(K, -1).mean(1)
                hist["test_acc"][epoch] = (out.argmax(-1) == ye).float().mean(1)

    arrays = {k: v.detach().cpu().numpy() for k, v in {**params, **buffers}.items()}
    hist_np = {k: v.cpu().numpy().astype(np.float64) for k, v in hist.items()}
    return [({name: a[k] for name, a in arrays.items()}, {name: h[:, k].copy() for name, h in hist_np.items()})
            for k in range(K)]


def bytes_per_model(config: TrainConfig, n_features: int, n_classes: int, n_max: int) -> int:
    """Rough memory one model needs in :func:`fit_stacked` (activations and their gradients)."""
    h = config.hidden
    width = h * (5 if config.arch == "cnn1d" else config.depth)
    n_params = n_features * h + (config.depth - 1) * h * h + h * n_classes
    return 4 * n_max * (n_features + 4 * width + 4 * n_classes) + 16 * n_params
