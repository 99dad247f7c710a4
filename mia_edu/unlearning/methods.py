"""Unlearning methods: make a trained model forget ``split.forget`` while keeping ``split.retain``.

Every method is one function ``(trained_model, X, y, split, *, seed=0, **knobs) -> TrainedModel``,
registered by name in :data:`METHODS` (call one with :func:`unlearn`). ``X`` and ``y`` are the
whole data set; ``split`` (an :class:`~mia_edu.splits.UnlearningSplit`) says which rows are retain
and forget. A method never modifies the model it is given (it works on a deep copy) and is
deterministic given ``seed`` (the torch RNG is forked and seeded locally, as
:func:`~mia_edu.training.fit_module` does).

- ``"none"`` — the original model, unchanged: the *control* (nothing forgotten).
- ``"retrain"`` — train from scratch on the retain set with the original config: the *gold
  standard* (exact unlearning), and the yardstick the others are compared with. Uses
  :func:`~mia_edu.training.train`, so it is cached on disk.
- ``"finetune"`` — a few epochs of ordinary training on the retain set only ("catastrophic
  forgetting" of the forget set).
- ``"gradient_ascent"`` — NegGrad: a few steps that *increase* the loss on the forget set
  (``retain_weight > 0`` gives NegGrad+, which also descends on the retain set).
- ``"random_labels"`` — fine-tune on the forget set with random wrong labels together with the
  retain set with its true labels (Graves et al. 2021's "amnesiac" relabelling).
- ``"scrub"`` — SCRUB (Kurmanji et al. 2023): a student initialised from the model moves *away*
  from the original (teacher) on the forget set and *stays close* to it on the retain set.

The fine-tuning methods take well under a second on the course's sizes, so they are not cached;
only ``"retrain"`` (a full training run) is. Taught in notebook 07.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._threads import single_thread
from .._validation import as_labels, check_int
from ..splits import UnlearningSplit
from ..training import TrainedModel, check_features, train

Method = Callable[..., TrainedModel]

METHODS: dict[str, Method] = {}
"""The registered unlearning methods, by name (in registration order)."""


def register_method(name: str, *, replace: bool = False) -> Callable[[Method], Method]:
    """Decorator: register ``fn(trained_model, X, y, split, *, seed=0, **knobs)`` under ``name``.

    Examples
    --------
    >>> @register_method("my_method")          # doctest: +SKIP
    ... def my_method(model, X, y, split, *, seed=0):
    ...     ...
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")

    def decorate(fn: Method) -> Method:
        if name in METHODS and not replace:
            raise ValueError(f"an unlearning method named {name!r} is already registered; pass replace=True")
        METHODS[name] = fn
        return fn

    return decorate


def get_method(name: str) -> Method:
    """The method registered under ``name``; ``ValueError`` listing the known names otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"method must be a method name (str), got {name!r}")
    if name not in METHODS:
        raise ValueError(f"unknown unlearning method {name!r}; known methods: {', '.join(METHODS)}")
    return METHODS[name]


def resolve_methods(methods) -> list[str]:
    """``"all"`` (or ``None``) → every registered name; a comma-separated string or a list → checked names."""
    if methods is None or methods == "all":
        return list(METHODS)
    if isinstance(methods, str):
        methods = [m.strip() for m in methods.split(",") if m.strip()]
    names = list(methods)
    if not names:
        raise ValueError("methods is empty; expected 'all' or at least one method name")
    for name in names:
        get_method(name)
    if len(set(names)) != len(names):
        raise ValueError(f"methods lists a name twice: {names}")
    return names


def unlearn(method: str, trained_model: TrainedModel, X, y, split: UnlearningSplit, *, seed: int = 0,
            **knobs) -> TrainedModel:
    """Run the unlearning method registered as ``method`` (see :data:`METHODS`).

    Examples
    --------
    >>> forgotten = unlearn("finetune", model, ds.X, ds.y, split, epochs=5)   # doctest: +SKIP
    """
    return get_method(method)(trained_model, X, y, split, seed=seed, **knobs)


# -- shared plumbing ---------------------------------------------------------------------------

def check_unlearning_inputs(trained_model, X, y, split) -> tuple[np.ndarray, np.ndarray]:
    """Validate the arguments every method and the evaluation take; return ``X``, ``y`` checked."""
    if not isinstance(trained_model, TrainedModel):
        raise TypeError(f"trained_model must be a mia_edu.training.TrainedModel, got {type(trained_model).__name__}")
    if not isinstance(split, UnlearningSplit):
        raise TypeError(f"split must be a mia_edu.splits.UnlearningSplit (make_unlearning_split), "
                        f"got {type(split).__name__}")
    X = check_features(X, "X", n_features=trained_model.n_features)
    if len(X) != split.n_samples:
        raise ValueError(f"X has {len(X)} samples but split indexes a data set of {split.n_samples}; "
                         "pass the whole data set the split was made for")
    y = as_labels(y, "y", n=len(X), n_classes=trained_model.n_classes, length_of="X")
    return X, y


def _check_float(value, name: str, *, minimum: float = 0.0, strict: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum}, got {value}")
    return float(value)


def _check_seed(seed) -> int:
    return check_int(seed, "seed", minimum=0)


def copy_model(trained_model: TrainedModel, history: dict[str, np.ndarray] | None = None) -> TrainedModel:
    """A deep copy of ``trained_model`` (its module copied, never shared)."""
    return TrainedModel(copy.deepcopy(trained_model.module), trained_model.config, dict(history or {}),
                        trained_model.n_features, trained_model.n_classes, trained_model.device)


@contextmanager
def _seeded(seed: int) -> Iterator[torch.Generator]:
    """Fork torch's global RNG, seed it, and hand out a generator for shuffling.

    Also runs on one CPU thread (restored afterwards): the fine-tuning steps here are tiny
    mini-batches, where extra threads only add overhead — measured on a busy 2-core machine, 20
    epochs of ``finetune`` took 0.3 s on one thread and 15–20 s on two — and a fixed thread count
    keeps the floating-point reductions, hence the weights, identical from run to run.
    """
    with single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield torch.Generator().manual_seed(seed)


def _batches(n: int, batch_size: int | None, gen: torch.Generator) -> list[torch.Tensor]:
    """Shuffled index batches covering ``range(n)`` once (one batch when ``batch_size`` is None)."""
    order = torch.randperm(n, generator=gen)
    bs = n if batch_size is None else min(batch_size, n)
    return [order[i:i + bs] for i in range(0, n, bs)]


def _tensors(model: TrainedModel, X: np.ndarray, y: np.ndarray, idx: np.ndarray):
    return (torch.tensor(X[idx], device=model.device), torch.tensor(y[idx], device=model.device))


def _descend(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One optimiser step on ``loss``."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def _cross_entropy_epoch(module: nn.Module, opt: torch.optim.Optimizer, X: torch.Tensor, y: torch.Tensor,
                         batch_size: int | None, gen: torch.Generator) -> float:
    """One shuffled pass of mini-batch descent on the cross-entropy; returns the epoch's mean loss."""
    total = 0.0
    for idx in _batches(len(y), batch_size, gen):
        loss = F.cross_entropy(module(X[idx]), y[idx])
        _descend(opt, loss)
        total += loss.item() * len(idx) / len(y)
    return total


def _optimizer(module: nn.Module, lr: float) -> torch.optim.Optimizer:
    return torch.optim.Adam(module.parameters(), lr=lr)


def _common_knobs(trained_model: TrainedModel, epochs, lr, batch_size) -> tuple[int, float, int | None]:
    check_int(epochs, "epochs", minimum=1)
    lr = trained_model.config.lr if lr is None else _check_float(lr, "lr")
    if batch_size is not None:
        check_int(batch_size, "batch_size", minimum=1)
    return int(epochs), lr, batch_size


# -- the methods -------------------------------------------------------------------------------

@register_method("none")
def no_unlearning(trained_model: TrainedModel, X, y, split: UnlearningSplit, *, seed: int = 0) -> TrainedModel:
    """The control: a copy of the original model, nothing forgotten.

    Its forget set should look exactly like its retain set to any attack (both are members).
    """
    check_unlearning_inputs(trained_model, X, y, split)
    _check_seed(seed)
    return copy_model(trained_model, trained_model.history)


@register_method("retrain")
def retrain(trained_model: TrainedModel, X, y, split: UnlearningSplit, *, seed: int = 0,
            use_cache: bool = True) -> TrainedModel:
    """The gold standard: a fresh model trained on the retain set alone, with the original config.

    The forget set is *never* passed to training: the result is exactly a model that never saw
    it, which is what every approximate method tries to imitate at a fraction of the cost. The
    original config (including its seed) is reused, so the only difference from the original
    model is the missing forget set; ``seed`` is accepted for a uniform signature and ignored.
    Trained with :func:`~mia_edu.training.train` and cached on disk.
    """
    X, y = check_unlearning_inputs(trained_model, X, y, split)
    _check_seed(seed)
    return train(trained_model.config, X[split.retain], y[split.retain], n_classes=trained_model.n_classes,
                 device=trained_model.device, use_cache=use_cache)


@register_method("finetune")
def finetune(trained_model: TrainedModel, X, y, split: UnlearningSplit, *, seed: int = 0, epochs: int = 10,
             lr: float | None = None, batch_size: int | None = 128) -> TrainedModel:
    """Fine-tune on the retain set only, hoping the forget set fades ("catastrophic forgetting").

    Parameters
    ----------
    epochs : passes over the retain set.
    lr : Adam learning rate (default: the original config's).
    batch_size : mini-batch size (``None``: the whole retain set).
    """
    X, y = check_unlearning_inputs(trained_model, X, y, split)
    epochs, lr, batch_size = _common_knobs(trained_model, epochs, lr, batch_size)
    model = copy_model(trained_model)
    Xr, yr = _tensors(model, X, y, split.retain)
    losses = np.zeros(epochs)
    with _seeded(_check_seed(seed)) as gen:
        opt = _optimizer(model.module, lr)
        model.module.train()
        for epoch in range(epochs):
            losses[epoch] = _cross_entropy_epoch(model.module, opt, Xr, yr, batch_size, gen)
    model.module.eval()
    model.history["retain_loss"] = losses
    return model


@register_method("gradient_ascent")
def gradient_ascent(trained_model: TrainedModel, X, y, split: UnlearningSplit, *, seed: int = 0,
                    epochs: int = 3, lr: float | None = 1e-3, batch_size: int | None = 128,
                    retain_weight: float = 0.0, max_forget_loss: float | None = None) -> TrainedModel:
    """NegGrad: gradient *ascent* on the forget set's cross-entropy.

    Pure NegGrad (``retain_weight=0``) pushes the forget samples' loss up with nothing to hold the
    rest of the model in place, so it easily overshoots — the forget set ends up looking *less*
    like a member than after retraining (over-unlearning) and accuracy drops. NegGrad+
    (``retain_weight > 0``, as in Kurmanji et al. 2023) minimises
    ``retain_weight · CE(retain) − CE(forget)`` on paired batches instead.

    Parameters
    ----------
    epochs : passes over the forget set.
    lr : Adam learning rate.
    batch_size : forget mini-batch size (retain batches are drawn with the same size).
    retain_weight : weight of the retain cross-entropy (0: pure NegGrad).
    max_forget_loss : stop ascending once the forget set's mean loss exceeds this (``None``: never
        stop early). The cross-entropy has no maximum, so unbounded ascent diverges.
    """
    X, y = check_unlearning_inputs(trained_model, X, y, split)
    epochs, lr, batch_size = _common_knobs(trained_model, epochs, lr, batch_size)
    retain_weight = _check_float(retain_weight, "retain_weight", strict=False)
    if max_forget_loss is not None:
        max_forget_loss = _check_float(max_forget_loss, "max_forget_loss")
    model = copy_model(trained_model)
    Xf, yf = _tensors(model, X, y, split.forget)
    Xr, yr = _tensors(model, X, y, split.retain)
    losses = np.zeros(epochs)
    with _seeded(_check_seed(seed)) as gen:
        opt = _optimizer(model.module, lr)
        model.module.train()
        for epoch in range(epochs):
            for idx in _batches(len(yf), batch_size, gen):
                forget_loss = F.cross_entropy(model.module(Xf[idx]), yf[idx])
                loss = -forget_loss
                if retain_weight > 0:
                    ridx = torch.randint(len(yr), (len(idx),), generator=gen)
                    loss = loss + retain_weight * F.cross_entropy(model.module(Xr[ridx]), yr[ridx])
                _descend(opt, loss)
                losses[epoch] += forget_loss.item() * len(idx) / len(yf)
            if max_forget_loss is not None and losses[epoch] > max_forget_loss:
                losses = losses[:epoch + 1]
                break
    model.module.eval()
    model.history["forget_loss"] = losses
    return model


@register_method("random_labels")
def random_labels(trained_model: TrainedModel, X, y, split: UnlearningSplit, *, seed: int = 0,
                  epochs: int = 30, lr: float | None = None, batch_size: int | None = 128) -> TrainedModel:
    """Fine-tune on the forget set with random *wrong* labels, mixed with the retain set.

    Each epoch relabels every forget sample with a class drawn uniformly among the others, then
    trains on forget (relabelled) ∪ retain (true labels) in shuffled mini-batches. The retain set
    keeps the model useful; the wrong labels erase what it memorised about the forget samples
    (Graves et al. 2021, "Amnesiac machine learning").
    """
    X, y = check_unlearning_inputs(trained_model, X, y, split)
    epochs, lr, batch_size = _common_knobs(trained_model, epochs, lr, batch_size)
    model = copy_model(trained_model)
    idx_all = np.concatenate([split.forget, split.retain])
    Xa, ya_true = _tensors(model, X, y, idx_all)
    n_forget, k = len(split.forget), model.n_classes
    losses = np.zeros(epochs)
    with _seeded(_check_seed(seed)) as gen:
        opt = _optimizer(model.module, lr)
        model.module.train()
        for epoch in range(epochs):
            ya = ya_true.clone()
            shift = torch.randint(1, k, (n_forget,), generator=gen).to(ya.device)
            ya[:n_forget] = (ya_true[:n_forget] + shift) % k  # a random class other than the true one
            losses[epoch] = _cross_entropy_epoch(model.module, opt, Xa, ya, batch_size, gen)
    model.module.eval()
    model.history["train_loss"] = losses
    return model


def _kl_teacher_student(student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float):
    """KL(teacher ‖ student) of temperature-softened distributions, × T² (Hinton et al.'s scaling)."""
    log_p_s = F.log_softmax(student_logits / temperature, dim=1)
    log_p_t = F.log_softmax(teacher_logits / temperature, dim=1)
    return F.kl_div(log_p_s, log_p_t, reduction="batchmean", log_target=True) * temperature ** 2


@register_method("scrub")
def scrub(trained_model: TrainedModel, X, y, split: UnlearningSplit, *, seed: int = 0, epochs: int = 15,
          max_steps: int = 12, lr: float | None = 3e-3, batch_size: int | None = 32, alpha: float = 0.5,
          gamma: float = 1.0, temperature: float = 1.0) -> TrainedModel:
    """SCRUB: teacher–student unlearning (Kurmanji, Triantafillou, Hayes & Triantafillou 2023).

    "Towards Unbounded Machine Unlearning", NeurIPS 2023 (arXiv:2302.09880). The *teacher* is the
    original model (frozen); the *student* starts as a copy of it. Each epoch alternates

    - a **max-step** (only during the first ``max_steps`` epochs): one pass over the forget set
      that *increases* ``KL(teacher ‖ student)`` — the student stops agreeing with the teacher
      where the teacher memorised;
    - a **min-step**: one pass over the retain set that minimises
      ``alpha · KL(teacher ‖ student) + gamma · CE(student, y)`` — the student keeps the teacher's
      knowledge (and accuracy) everywhere else.

    Stopping the max-steps early and finishing with min-steps is the paper's recipe for keeping
    the retain performance. (The paper's "rewinding" variant for the privacy setting is not
    implemented.)

    Parameters
    ----------
    epochs : total epochs (each: an optional max-step, then a min-step).
    max_steps : how many of the first epochs include a max-step (≤ ``epochs``).
    lr : Adam learning rate.
    batch_size : mini-batch size for both passes.
    alpha, gamma : weights of the distillation and the cross-entropy terms of the min-step.
    temperature : distillation temperature (the paper uses ``kd_T = 4``).

    The defaults were chosen on MNIST-1D's MLP (the course's default target): with the paper's
    temperature 4 and a learning rate of 5e-4 the student barely moves away from the teacher here,
    because the max-step's KL has zero gradient where student and teacher agree.

    **Differences from the reference implementation** (github.com/meghdadk/SCRUB, the paper's
    code), so that results here are not read as the paper's method exactly:

    - optimiser: Adam at ``lr = 3e-3`` and no weight decay, where the reference uses SGD with
      momentum 0.9, weight decay 5e-4 and a learning rate of 5e-4;
    - weights: ``alpha = 0.5`` (distillation) and ``gamma = 1`` (cross-entropy), where the
      reference's defaults are ``alpha = 0.001`` and ``gamma = 0.99`` (its min-step is almost pure
      cross-entropy) and a third term ``beta = 0``; temperature 1 instead of ``kd_T = 4``;
    - max-steps: in the first ``max_steps = 12`` of 15 epochs, where the reference runs a few
      (``msteps``, typically 2–5) at the start; ours are many more, which is what moves this small
      MLP at all;
    - no learning-rate decay (the reference multiplies it by 0.1 at fixed epochs,
      ``lr_decay_epochs``), no weight averaging (its ``sstart``/SWA option), no gradient clipping,
      and no "rewinding" (SCRUB+R, the paper's variant for the privacy setting).
    """
    X, y = check_unlearning_inputs(trained_model, X, y, split)
    epochs, lr, batch_size = _common_knobs(trained_model, epochs, lr, batch_size)
    check_int(max_steps, "max_steps", minimum=0)
    if max_steps > epochs:
        raise ValueError(f"max_steps must be at most epochs = {epochs}, got {max_steps}")
    alpha = _check_float(alpha, "alpha", strict=False)
    gamma = _check_float(gamma, "gamma", strict=False)
    temperature = _check_float(temperature, "temperature")
    teacher = trained_model.module
    student = copy_model(trained_model)
    Xf, yf = _tensors(student, X, y, split.forget)
    Xr, yr = _tensors(student, X, y, split.retain)
    teacher.eval()
    with torch.no_grad():
        tf, tr = teacher(Xf), teacher(Xr)  # the frozen teacher's logits, computed once
    kl_forget, kl_retain = np.zeros(epochs), np.zeros(epochs)
    with _seeded(_check_seed(seed)) as gen:
        opt = _optimizer(student.module, lr)
        student.module.train()
        for epoch in range(epochs):
            if epoch < max_steps:
                for idx in _batches(len(yf), batch_size, gen):
                    kl = _kl_teacher_student(student.module(Xf[idx]), tf[idx], temperature)
                    _descend(opt, -kl)
                    kl_forget[epoch] += kl.item() * len(idx) / len(yf)
            for idx in _batches(len(yr), batch_size, gen):
                out = student.module(Xr[idx])
                kl = _kl_teacher_student(out, tr[idx], temperature)
                _descend(opt, alpha * kl + gamma * F.cross_entropy(out, yr[idx]))
                kl_retain[epoch] += kl.item() * len(idx) / len(yr)
    student.module.eval()
    student.history.update(forget_kl=kl_forget, retain_kl=kl_retain)
    return student
