"""A tiny character-level language model (a GRU), trained and cached like every model of the course.

:class:`LMConfig` is the recipe (the :class:`~mia_edu.training.TrainConfig` of text), :func:`train_lm`
trains one model on a list of texts or loads it from the disk cache, and :func:`train_lm_many` trains K
reference models through the same joblib routes as :func:`~mia_edu.training.train_many`
(:func:`mia_edu.training.many.run_jobs`). :meth:`TrainedLM.token_stats` is the forward pass the sequence
signals of :mod:`mia_edu.text.signals` read. Taught in notebook 11.
"""

from __future__ import annotations

import dataclasses
import numbers
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .. import cache
from .._threads import single_thread
from .._validation import check_int
from ..training.many import model_seeds, run_jobs
from ..training.single import _GLOBAL_RNG, save_cached

PAD, BOS, EOS = 0, 1, 2
CHARS = " '-,.:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
"""The characters a text may contain; token ``i + 3`` is ``CHARS[i]`` (0, 1, 2 are padding, start, end)."""
VOCAB_SIZE = len(CHARS) + 3
_INDEX = {c: i + 3 for i, c in enumerate(CHARS)}


def encode(texts: Sequence[str], name: str = "texts") -> np.ndarray:
    """Texts as one int64 array, texts × (longest + 2): ``BOS, chars..., EOS``, then ``PAD``."""
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise TypeError(f"{name} must be a list of strings, got {type(texts).__name__}")
    if len(texts) == 0:
        raise ValueError(f"{name} is empty; expected at least one text")
    width = max(len(t) if isinstance(t, str) else 0 for t in texts) + 2
    out = np.full((len(texts), width), PAD, np.int64)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be a string, got {type(text).__name__}")
        try:
            out[i, 1:len(text) + 1] = [_INDEX[c] for c in text]
        except KeyError as exc:
            raise ValueError(f"{name}[{i}] has the character {exc.args[0]!r}, which is not in "
                             f"mia_edu.text.model.CHARS") from None
        out[i, 0], out[i, len(text) + 1] = BOS, EOS
    return out


@dataclass(frozen=True)
class LMConfig:
    """Everything that decides how the language model is trained (and so, how much it memorises).

    Attributes
    ----------
    epochs : passes over the training texts. More epochs, more memorisation.
    hidden : GRU state size. Larger, more capacity (hidden 64: 25,703 parameters; 128: 73,639; 256: 243,239).
    embed : size of the character embedding.
    layers : stacked GRU layers.
    lr : Adam learning rate.
    batch_size : texts per step.
    weight_decay : L2 penalty (Adam's ``weight_decay``).
    dropout : dropout on the GRU output, in [0, 1).
    seed : initialisation and shuffling seed. Same seed, same weights.
    """

    epochs: int = 25
    hidden: int = 128
    embed: int = 32
    layers: int = 1
    lr: float = 1e-2
    batch_size: int = 128
    weight_decay: float = 0.0
    dropout: float = 0.0
    seed: int = 0

    def __post_init__(self):
        for name in ("epochs", "hidden", "embed", "layers", "batch_size"):
            check_int(getattr(self, name), name, minimum=1)
        check_int(self.seed, "seed", minimum=0)
        for name in ("lr", "weight_decay", "dropout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
                raise TypeError(f"{name} must be a finite number, got {value!r}")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must lie in [0, 1), got {self.dropout}")

    def replace(self, **changes) -> LMConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


class CharGRU(nn.Module):
    """Embedding → GRU → linear head: next-character logits at every position."""

    def __init__(self, config: LMConfig):
        super().__init__()
        self.embed = nn.Embedding(VOCAB_SIZE, config.embed)
        self.gru = nn.GRU(config.embed, config.hidden, config.layers, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, VOCAB_SIZE)

    def forward(self, tokens: torch.Tensor, state: torch.Tensor | None = None):
        out, state = self.gru(self.embed(tokens), state)
        return self.head(self.drop(out)), state


def n_parameters(config: LMConfig) -> int:
    """Number of trainable weights of :class:`CharGRU` under ``config``."""
    return sum(p.numel() for p in CharGRU(config).parameters())


def fit_lm(config: LMConfig, tokens: np.ndarray, checkpoints: Sequence[int] = ()
           ) -> tuple[nn.Module, dict[str, np.ndarray], dict[int, dict[str, np.ndarray]]]:
    """Train a fresh :class:`CharGRU` on encoded texts (from :func:`encode`); no caching.

    One CPU thread (:func:`mia_edu._threads.single_thread`), torch's RNG seeded locally. The history
    holds ``"train_loss"``: mean per-character loss (nats) of each epoch, and ``"seconds"``: the
    training time (wall clock) and ``"cpu_seconds"`` (this process's CPU time: the wall time it would
    take on an idle core), kept in the cache, so a cached model still says how long it took. ``checkpoints``: epochs after
    which a copy of the weights is kept (returned as ``{epoch: weights}``), so one run shows every
    stage of memorisation.
    """
    keep = _check_checkpoints(checkpoints, config.epochs)
    snapshots: dict[int, dict[str, np.ndarray]] = {}
    with _GLOBAL_RNG, single_thread(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        module = CharGRU(config)
        opt = torch.optim.Adam(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        data = torch.from_numpy(tokens)
        gen = torch.Generator().manual_seed(config.seed)
        n, bs = len(data), min(config.batch_size, len(data))
        history = np.zeros(config.epochs)
        started, cpu_started = time.perf_counter(), time.process_time()
        module.train()
        for epoch in range(config.epochs):
            order = torch.randperm(n, generator=gen)
            total, count = 0.0, 0
            for start in range(0, n, bs):
                batch = data[order[start:start + bs]]
                width = int((batch != PAD).sum(1).max())  # trim padding this batch does not need
                x, y = batch[:, :width - 1], batch[:, 1:width]
                logits, _ = module(x)
                loss = nn.functional.cross_entropy(logits.reshape(-1, VOCAB_SIZE), y.reshape(-1), ignore_index=PAD)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                k = int((y != PAD).sum())
                total, count = total + loss.item() * k, count + k
            history[epoch] = total / count
            if epoch + 1 in keep:
                snapshots[epoch + 1] = _arrays(module)
    module.eval()
    return module, {"train_loss": history, "seconds": np.array([time.perf_counter() - started]),
                    "cpu_seconds": np.array([time.process_time() - cpu_started])}, snapshots


def _arrays(module: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


def _module(config: LMConfig, arrays: dict[str, np.ndarray]) -> CharGRU:
    module = CharGRU(config)
    module.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
    return module.eval()


def _check_checkpoints(checkpoints, epochs: int) -> tuple[int, ...]:
    if isinstance(checkpoints, (str, bytes)) or not isinstance(checkpoints, Sequence):
        raise TypeError(f"checkpoints must be a list of epochs, got {checkpoints!r}")
    out = tuple(sorted({check_int(e, "checkpoints", minimum=1) for e in checkpoints}))
    if out and out[-1] > epochs:
        raise ValueError(f"checkpoints must be epochs in [1, epochs={epochs}], got {list(checkpoints)}")
    return out


@dataclass(frozen=True, eq=False)
class TokenStats:
    """What one forward pass says about each character of each text (texts × positions, NaN-padded).

    ``logp[i, t]`` is log p(x_t | x_<t) of the t-th token of text i (its characters, then the end
    token); ``mean[i, t]`` and ``std[i, t]`` are the mean and standard deviation of log p(z | x_<t)
    over the vocabulary z drawn from the model's own next-token distribution (for Min-K%++).
    """

    logp: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.sum(~np.isnan(self.logp), axis=1)


@dataclass(eq=False)
class TrainedLM:
    """A trained :class:`CharGRU` with its config and history."""

    module: nn.Module
    config: LMConfig
    history: dict[str, np.ndarray]
    from_cache: bool = False
    snapshots: dict[int, dict[str, np.ndarray]] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def checkpoints(self) -> tuple[int, ...]:
        """Epochs whose weights were kept (``checkpoints=`` of :func:`train_lm`)."""
        return tuple(sorted(self.snapshots))

    def at_epoch(self, epoch: int) -> TrainedLM:
        """The same training run stopped after ``epoch`` (one of :attr:`checkpoints`, or the last epoch)."""
        if epoch == self.config.epochs:
            return self
        if epoch not in self.snapshots:
            raise ValueError(f"epoch must be one of the checkpoints {self.checkpoints} or {self.config.epochs}, "
                             f"got {epoch!r}")
        return TrainedLM(_module(self.config, self.snapshots[epoch]), self.config.replace(epochs=epoch),
                         {k: v[:epoch] for k, v in self.history.items()}, self.from_cache)

    def token_stats(self, texts: Sequence[str], *, batch_size: int = 512) -> TokenStats:
        """Per-token log-probabilities (and the next-token mean/std of log p) of every text."""
        tokens = encode(texts)
        shape = (len(tokens), tokens.shape[1] - 1)
        logp, mean, std = (np.full(shape, np.nan) for _ in range(3))
        self.module.eval()
        with torch.no_grad(), single_thread():
            for start in range(0, len(tokens), batch_size):
                batch = torch.from_numpy(tokens[start:start + batch_size])
                logits, _ = self.module(batch[:, :-1])
                lp = torch.log_softmax(logits.double(), dim=-1)
                y = batch[:, 1:]
                mask = (y != PAD).numpy()
                p = lp.exp()
                mu = (p * lp).sum(-1)
                sd = ((p * lp ** 2).sum(-1) - mu ** 2).clamp_min(0).sqrt()
                rows = slice(start, start + len(batch))
                for out, value in ((logp, lp.gather(-1, y.unsqueeze(-1)).squeeze(-1)), (mean, mu), (std, sd)):
                    out[rows] = np.where(mask, value.numpy(), np.nan)
        return TokenStats(logp, mean, std)

    def complete(self, prefix: str, max_chars: int = 80) -> str:
        """The model's most likely continuation of ``prefix`` (greedy, one character at a time), up to
        the end token or ``max_chars`` characters: a memorised record comes back word for word."""
        check_int(max_chars, "max_chars", minimum=1)
        tokens = torch.from_numpy(encode([prefix], "prefix")[:, :len(prefix) + 1])
        out = []
        with torch.no_grad(), single_thread():
            logits, state = self.module.eval()(tokens)
            for _ in range(max_chars):
                nxt = int(logits[0, -1].argmax())
                if nxt < 3:  # the end token (or padding / start, never trained as a target)
                    break
                out.append(CHARS[nxt - 3])
                logits, state = self.module(torch.tensor([[nxt]]), state)
        return "".join(out)

    def loss(self, texts: Sequence[str]) -> np.ndarray:
        """Mean per-token loss (nats) of each text: −mean log p."""
        return -np.nanmean(self.token_stats(texts).logp, axis=1)


def lm_key(config: LMConfig, tokens: np.ndarray, checkpoints: tuple[int, ...] = ()) -> str:
    """Disk-cache key of one trained language model: its config (seed included), training tokens and
    kept checkpoints."""
    return cache.make_key("charlm-v2", config, tokens, checkpoints)


def _load(key: str, config: LMConfig) -> TrainedLM | None:
    """The entry :func:`_save` stored (the layout of :func:`mia_edu.training.single.save_cached`), or None."""
    hit = cache.load("models", key)
    if hit is None:
        return None
    weights: dict[str, dict[str, np.ndarray]] = {}  # "" = the final weights, "e5" = after epoch 5, ...
    for name, value in hit.items():
        if name.startswith("w/"):
            group, _, rest = name[2:].rpartition("/") if name.count("/") > 1 else ("", "", name[2:])
            weights.setdefault(group, {})[rest] = value
    try:
        module = _module(config, weights.pop(""))
        history = {k[2:]: v for k, v in hit.items() if k.startswith("h/")}
        snapshots = {int(g[1:]): v for g, v in weights.items()}
        for arrays in snapshots.values():
            _module(config, arrays)  # a broken snapshot is a miss too
    except (RuntimeError, KeyError, ValueError, TypeError):
        return None  # a stale or broken entry: retrained and overwritten
    return TrainedLM(module, config, history, True, snapshots)


def _save(key: str, state, history, snapshots) -> None:
    """Weights, history and snapshots (as ``e<epoch>/<name>``) through the package's model cache."""
    save_cached(key, {**state, **{f"e{e}/{k}": v for e, arrays in snapshots.items() for k, v in arrays.items()}},
                history)


def _fit_job(config: LMConfig, tokens: np.ndarray, checkpoints: tuple[int, ...], parent_pid: int):
    """One task of :func:`mia_edu.training.many.run_jobs`: plain arrays back, cheap to send."""
    if os.getpid() != parent_pid:
        torch.set_num_threads(1)
    module, history, snapshots = fit_lm(config, tokens, checkpoints)
    return _arrays(module), history, snapshots


def _check_config(config) -> LMConfig:
    config = LMConfig() if config is None else config
    if not isinstance(config, LMConfig):
        raise TypeError(f"config must be an LMConfig, got {type(config).__name__}")
    return config


def train_lm(config: LMConfig | None, texts: Sequence[str], *, checkpoints: Sequence[int] = (),
             use_cache: bool = True) -> TrainedLM:
    """Train one character-level language model on ``texts`` (the members), or load it from the cache.

    ``checkpoints``: epochs whose weights are kept too (:meth:`TrainedLM.at_epoch`).

    Examples
    --------
    >>> from mia_edu.text import make_records
    >>> lm = train_lm(LMConfig(epochs=2, hidden=32), make_records(50))
    >>> lm.loss(["Ada Berg, born 1962."]).shape
    (1,)
    """
    return train_lm_many(config, [texts], checkpoints=checkpoints, use_cache=use_cache, progress=False)[0]


def train_lm_many(config: LMConfig | None, text_sets: Sequence[Sequence[str]], *, seeds: Sequence[int] | None = None,
                  checkpoints: Sequence[int] = (), n_jobs: int | None = None, progress: bool = True,
                  use_cache: bool = True) -> list[TrainedLM]:
    """Train one language model per list of texts (reference models), cached, several at once.

    Model k trains on ``text_sets[k]`` with ``config.replace(seed=seeds[k])`` (default: the first
    model keeps ``config.seed``, the others get :func:`mia_edu.training.model_seeds`). Models not in the
    cache are trained through :func:`mia_edu.training.many.run_jobs`, the worker-process route of
    ``train_many`` (one torch thread per process; a ``joblib.parallel_backend`` context sends them to
    that backend).
    """
    config = _check_config(config)
    if isinstance(text_sets, str) or not isinstance(text_sets, Sequence) or len(text_sets) == 0:
        raise TypeError("text_sets must be a non-empty list of lists of texts")
    K = len(text_sets)
    if seeds is None:
        seeds = [config.seed] + [int(s) for s in model_seeds(config.seed, K)[1:]]
    if len(seeds) != K:
        raise ValueError(f"seeds has {len(seeds)} entries but text_sets has {K}; expected one seed per model")
    configs = [config.replace(seed=int(s)) for s in seeds]
    keep = _check_checkpoints(checkpoints, config.epochs)
    tokens = [encode(t, f"text_sets[{k}]") for k, t in enumerate(text_sets)]
    keys = [lm_key(c, t, keep) for c, t in zip(configs, tokens)]
    models: list = [_load(key, c) if use_cache else None for key, c in zip(keys, configs)]
    todo = [k for k in range(K) if models[k] is None]
    route = "processes" if len(todo) > 1 else "sequential"
    jobs = [(configs[k], tokens[k], keep) for k in todo]
    for k, (state, history, snapshots) in zip(todo, run_jobs(_fit_job, jobs, route=route, n_jobs=n_jobs,
                                                             progress=progress, desc="language models")):
        if use_cache:
            _save(keys[k], state, history, snapshots)
        models[k] = TrainedLM(_module(configs[k], state), configs[k], history, False, snapshots)
    return models
