"""Train K models at once, each on its own subset: shadow models and LiRA's reference models.

:func:`train_many` returns a :class:`ModelBank`. Each model is cached on disk under the same key
:func:`mia_edu.training.train` would use for it, so a notebook run twice loads instead of training,
and only the models not yet cached are trained. Taught in notebook 05.
"""

from __future__ import annotations

import numbers
import os
import threading
from dataclasses import dataclass, field

import joblib
import numpy as np
import torch
from joblib.externals.loky import get_reusable_executor
from joblib.parallel import get_active_backend
from torch import nn
from tqdm.auto import tqdm

from .. import cache
from .._validation import check_device, check_int
from ..models import build_model
from . import batched, recipes
from .private import dp_epsilon
from .single import (
    TrainConfig,
    TrainedModel,
    _check_data,
    _check_eval,
    arrays_to_state,
    check_features,
    check_model_size,
    device_key,
    fit_module,
    load_cached,
    model_key,
    save_cached,
    state_to_arrays,
)

ROUTES = ("sequential", "processes", "batched")

# The automatic choice (``route=None``) follows measurements on a 2-core AMD EPYC VM (torch 2.13 CPU);
# the numbers are in train_many's docstring and the README's Performance section.
_PROCESS_MIN_GFLOP = 100.0  # below this much training work (≈2 s on one core), starting a worker does not pay
_BATCHED_CPU_MAX_BYTES = 2 << 20  # stacked hidden activations up to this size: the stacked route beat the loop
_BATCHED_MEMORY = 1 << 30  # bytes of activations the stacked route may use at once (models are chunked)


@dataclass(eq=False)
class ModelBank:
    """K trained models of one architecture, model k trained on the samples ``subsets[k]`` marks.

    Attributes
    ----------
    modules : the K torch modules (evaluation mode).
    subsets : bool array, K × N: ``subsets[k, i]`` is True when model k trained on pool sample i
        (sample i is IN for model k).
    config : the shared :class:`TrainConfig`; model k used ``config.replace(seed=seeds[k])``.
    seeds : the K per-model seeds, derived from ``config.seed``.
    histories : per-model training curves, as in :attr:`TrainedModel.history`.
    route : how the models that were not cached were trained.
    from_cache : bool array, K: which models were loaded from the disk cache.
    """

    modules: list[nn.Module]
    subsets: np.ndarray
    config: TrainConfig
    seeds: np.ndarray
    histories: list[dict[str, np.ndarray]]
    n_features: int
    n_classes: int
    device: str = "cpu"
    route: str = "sequential"
    from_cache: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.modules)

    def __getitem__(self, k: int) -> TrainedModel:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"a ModelBank is indexed by an integer model number, got {k!r}")
        if not -len(self) <= k < len(self):
            raise IndexError(f"model {k} out of range for a bank of {len(self)} models")
        k = int(k) % len(self)
        config = self.config.replace(seed=int(self.seeds[k]))
        return TrainedModel(self.modules[k], config, self.histories[k], self.n_features, self.n_classes, self.device,
                            bool(self.from_cache[k]), *dp_epsilon(config, int(self.subsets[k].sum())))

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def __repr__(self) -> str:
        return (f"ModelBank(n_models={len(self)}, n_samples={self.subsets.shape[1]}, arch={self.config.arch!r}, "
                f"hidden={self.config.hidden}, route={self.route!r}, cached={int(self.from_cache.sum())})")

    def logits(self, X, *, batch_size: int = 8192) -> np.ndarray:
        """Logits of every model on ``X``: float32, models × samples × classes.

        Feed them to :mod:`mia_edu.signals` (every signal takes the models × samples × classes shape).
        """
        X = check_features(X, "X", n_features=self.n_features)
        check_int(batch_size, "batch_size", minimum=1)
        out = np.empty((len(self), len(X), self.n_classes), np.float32)
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                xb = torch.tensor(X[start:start + batch_size], device=self.device)
                for k, module in enumerate(self.modules):
                    module.eval()
                    out[k, start:start + len(xb)] = module(xb).float().cpu().numpy()
        return out


def model_seeds(seed: int, n_models: int) -> np.ndarray:
    """Independent per-model seeds from one bank seed (``numpy.random.SeedSequence``), the same on every route."""
    children = np.random.SeedSequence(int(seed)).spawn(n_models)
    return np.array([int(c.generate_state(1)[0] & 0x7FFFFFFF) for c in children], dtype=np.int64)


def _check_subsets(subsets, n_samples: int) -> np.ndarray:
    if subsets is None:
        raise TypeError("subsets must be a boolean array (models × samples), got None")
    arr = np.asarray(subsets)
    if arr.dtype != bool:
        raise TypeError(f"subsets must be a boolean array (models × samples; True = the model trains on the "
                        f"sample), got dtype {arr.dtype}; use mia_edu.splits.random_subsets or .astype(bool)")
    if arr.ndim != 2:
        raise ValueError(f"subsets must be 2-D (models × samples), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError("subsets has 0 rows; expected at least one model (K >= 1)")
    if arr.shape[1] != n_samples:
        raise ValueError(f"subsets has {arr.shape[1]} columns but X has {n_samples} samples; expected one "
                         "column per sample of X")
    empty = np.flatnonzero(~arr.any(axis=1))
    if empty.size:
        raise ValueError(f"subsets rows {empty[:5].tolist()} are all False: model(s) with no training sample; "
                         "every model needs at least one sample")
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


def _check_n_jobs(n_jobs):
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, numbers.Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None or a non-zero integer (-1 = all cores), got {n_jobs!r}")
    return int(n_jobs)


def _in_joblib_context() -> bool:
    """True inside ``with joblib.parallel_backend(...)`` / ``parallel_config(...)`` that picks a backend or n_jobs."""
    backend, n_jobs = get_active_backend()
    return n_jobs is not None or type(backend).__name__ != "LokyBackend"


def training_gflop(config: TrainConfig, n_samples_total: int, n_features: int, n_classes: int) -> float:
    """Approximate training work: 6 FLOP per weight per sample per epoch (forward 2, backward 4)."""
    h, d = config.hidden, config.depth
    n_weights = n_features * h + (d - 1) * h * h + h * n_classes
    return 6.0 * config.epochs * n_samples_total * n_weights / 1e9


def choose_route(config: TrainConfig, subsets: np.ndarray, n_features: int, n_classes: int, *,
                 device: str = "cpu", n_jobs: int | None = None) -> str:
    """The route ``train_many(route=None)`` takes; see :func:`train_many` for the rule and its measurements."""
    n_models = subsets.shape[0]
    if not str(device).startswith("cpu") and batched.supports(config):
        return "batched"
    if _in_joblib_context():
        return "processes"
    if n_models == 1:
        return "sequential"
    n_max = int(subsets.sum(axis=1).max())
    stacked_bytes = 4 * n_models * n_max * config.hidden * config.depth
    if batched.supports(config) and config.arch == "mlp" and stacked_bytes <= _BATCHED_CPU_MAX_BYTES:
        return "batched"
    workers = min(joblib.effective_n_jobs(n_jobs if n_jobs is not None else -1), n_models)
    work = training_gflop(config, int(subsets.sum()), n_features, n_classes)
    if workers >= 2 and work >= _PROCESS_MIN_GFLOP:
        return "processes"
    return "sequential"


def _fit_one(config, X, y, n_classes, X_eval, y_eval, device, parent_pid):
    """One worker task: train one model, return plain arrays (cheap to send back, no pickled modules)."""
    if os.getpid() != parent_pid:
        torch.set_num_threads(1)  # one thread per worker process: the processes share the cores
    try:
        module, history = fit_module(config, X, y, n_classes, X_eval=X_eval, y_eval=y_eval, device=device)
    except Exception as exc:  # say which model, wherever it ran (a cluster worker's traceback is far away)
        if hasattr(exc, "add_note"):  # Python >= 3.11
            exc.add_note(f"train_many: while training the model with seed {config.seed} on {len(X)} samples "
                         f"(process {os.getpid()})")
        raise
    return state_to_arrays(module), history


def _run_sequential(jobs, bar, fit=_fit_one):
    for job in jobs:
        result = fit(*job, os.getpid())
        bar.update(1)
        yield result


def _fit_indexed(i, *job):
    return i, _fit_one(*job)


def _run_joblib(jobs, bar, n_jobs, fit=_fit_one):
    """Every model is a joblib task; the active backend (loky, threading, dask, ray, ...) runs them."""
    tasks = (joblib.delayed(fit)(*job, os.getpid()) for job in jobs)
    try:
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator")  # results as they come: a live bar
    except ValueError:  # backends without generators (multiprocessing, ray): all results at the end
        results = joblib.Parallel(n_jobs=n_jobs)(tasks)
        bar.update(len(results))
        yield from results
        return
    for result in parallel(tasks):
        bar.update(1)
        yield result


def _run_processes(jobs, bar, n_jobs, fit=_fit_one):
    """``n_jobs`` fits at once: the caller's process and ``n_jobs - 1`` loky worker processes.

    Inside a ``joblib.parallel_backend`` context every model goes to that backend instead. Otherwise
    the caller trains models too, from the same queue, so it is busy while the workers start (≈2 s
    each: importing torch) instead of waiting for them.
    """
    if _in_joblib_context():
        yield from _run_joblib(jobs, bar, n_jobs, fit)
        return
    n_workers = min(joblib.effective_n_jobs(n_jobs if n_jobs is not None else -1), len(jobs)) - 1
    if n_workers < 1:
        yield from _run_sequential(jobs, bar, fit)
        return
    parent = os.getpid()
    results: list = [None] * len(jobs)
    queue = list(range(len(jobs) - 1, -1, -1))  # pop() hands out model 0, 1, 2, ...
    lock = threading.Lock()
    errors: list[BaseException] = []

    def take():
        with lock:
            return queue.pop() if queue else None

    # joblib.Parallel runs a single job in the calling thread, so the workers come from loky (the
    # process pool behind joblib's default backend) directly; one thread per worker keeps it fed.
    executor = get_reusable_executor(max_workers=n_workers)

    def feed_worker():
        try:
            while (i := take()) is not None:
                results[i] = executor.submit(fit, *jobs[i], parent).result()
                bar.update(1)
        except BaseException as exc:  # re-raised in the caller's thread below
            errors.append(exc)
            with lock:
                queue.clear()

    threads = [threading.Thread(target=feed_worker, name=f"train_many-worker-{w}", daemon=True)
               for w in range(n_workers)]
    for thread in threads:
        thread.start()
    try:
        while (i := take()) is not None:
            results[i] = fit(*jobs[i], parent)
            bar.update(1)
    finally:
        with lock:
            queue.clear()  # on an error here, hand out no more work
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    yield from results


def run_jobs(fit, jobs, *, route: str = "processes", n_jobs: int | None = None, progress: bool = True,
             desc: str = "models") -> list:
    """``[fit(*job, parent_pid) for job in jobs]`` by :func:`train_many`'s ``"sequential"`` or ``"processes"`` route.

    The extension point for models that are not a :class:`TrainConfig` MLP (the language models of
    :mod:`mia_edu.text`): ``fit`` is a module-level function (picklable) that trains one model and
    returns plain arrays; ``parent_pid`` tells it whether it runs in a worker. Same joblib/loky routing,
    same ``joblib.parallel_backend`` behaviour and progress bar as ``train_many``; results in job order.
    """
    if route not in ("sequential", "processes"):
        raise ValueError(f"route must be 'sequential' or 'processes', got {route!r}")
    n_jobs = _check_n_jobs(n_jobs)
    jobs = list(jobs)
    with tqdm(total=len(jobs), desc=f"{desc} ({route})", unit="model", disable=not progress or not jobs) as bar:
        runner = _run_sequential(jobs, bar, fit) if route == "sequential" else _run_processes(jobs, bar, n_jobs, fit)
        return list(runner)


def _stacked_chunks(config: TrainConfig, n_features: int, n_classes: int, rows) -> list[list[int]]:
    """Models 0..K-1 in consecutive chunks that fit the stacked route's memory budget."""
    n_max = max(len(r) for r in rows)
    per_model = batched.bytes_per_model(config, n_features, n_classes, n_max)
    chunk = max(1, min(len(rows), _BATCHED_MEMORY // max(per_model, 1)))
    return [list(range(start, min(start + chunk, len(rows)))) for start in range(0, len(rows), chunk)]


def _cache_keys(configs, n_classes, X, y, rows, X_eval, y_eval, groups, route, device) -> list[str]:
    """Each model's disk-cache key: what it was trained on, and how (the route's arithmetic, the device).

    The loop routes (``"sequential"``, ``"processes"``, any joblib backend) run the same one-thread
    :func:`fit_module`, bit for bit, so they share :func:`model_key` with :func:`mia_edu.training.train`.
    The stacked route rounds differently (batched matmuls over padded subsets: up to ≈1e-3 in the
    logits after training), and its last bits depend on the chunk a model was stacked with, so its key
    names the route and the chunk. A cache filled by one route therefore never answers another: the
    same call gives the same numbers whichever route filled the cache first.
    """
    base = [model_key(configs[k], n_classes, X[rows[k]], y[rows[k]], X_eval, y_eval) for k in range(len(rows))]
    if route != "batched":
        return [device_key(b, device) for b in base]
    device_type = torch.device(device).type
    keys = list(base)
    for group in groups:
        members = [base[k] for k in group]
        for position, k in enumerate(group):
            keys[k] = cache.make_key("model-stacked-v1", device_type, members, position)
    return keys


def _run_batched(config, X, y, chunks, chunk_seeds, n_classes, X_eval, y_eval, device, bar):
    for rows, seeds in zip(chunks, chunk_seeds):
        results = batched.fit_stacked(config, X, y, rows, seeds, n_classes, X_eval=X_eval, y_eval=y_eval,
                                      device=device)
        bar.update(len(results))
        yield from results


def train_many(config: TrainConfig | None, X, y, subsets, *, X_eval=None, y_eval=None,
               n_classes: int | None = None, device: str = "cpu", n_jobs: int | None = None,
               route: str | None = None, progress: bool = True, use_cache: bool = True) -> ModelBank:
    """Train K models, model k on the samples ``subsets[k]`` marks, by the fastest route; cached on disk.

    Parameters
    ----------
    config : TrainConfig or recipe, optional
        How every model is trained (``None``: ``TrainConfig()``). Model k uses
        ``config.replace(seed=bank.seeds[k])``, seeds derived from ``config.seed``: same seed, same bank.
        A scikit-learn classifier or a function ``(X, y, seed) -> model`` (see
        :mod:`mia_edu.training.recipes`) gives a :class:`~mia_edu.training.recipes.RecipeBank`
        with the same ``logits`` (its models fitted lazily through joblib; ``route`` and
        ``device`` do not apply).
    X, y : arrays
        The pool: features (N × features) and integer labels.
    subsets : bool array, K × N
        Row k marks the samples model k trains on (e.g. :func:`mia_edu.splits.random_subsets`). A row
        with no True is refused.
    X_eval, y_eval : arrays, optional
        An evaluation set for every model's per-epoch test curves.
    n_classes : int, optional
        Number of classes (default ``max(y) + 1``), the same for every model.
    device : str
        ``"cpu"`` or ``"cuda"``.
    n_jobs : int, optional
        How many models the ``"processes"`` route trains at once, the caller's process included
        (default: one per core; ``-1`` too). Inside ``joblib.parallel_backend``/``parallel_config``
        it is the backend's ``n_jobs`` (default: the context's).
    route : {"sequential", "processes", "batched"}, optional
        ``"sequential"``: a plain loop over :func:`fit_module` (the reference; one torch thread).
        ``"processes"``: ``n_jobs`` models at once, one torch thread each: the caller trains
        models from the same queue as ``n_jobs - 1`` loky worker processes (joblib's default
        pool), so it is not idle while they start; inside a ``joblib.parallel_backend`` context
        every model is a joblib task of that backend instead (with ``"threading"`` the fits take
        turns: torch's RNG and thread count are per process).
        ``"batched"``: all models as one program with stacked weights (``torch.func`` + ``vmap``,
        see :mod:`mia_edu.training.batched`). The loop routes give the same models bit for bit;
        the batched route gives them up to floating-point rounding (same initial weights, same data
        order), so it caches under keys of its own: the same call gives the same numbers whichever
        route filled the cache first. ``None`` chooses by this rule (for the whole bank, cached
        models included), which follows measurements:

        1. a GPU (``device`` not CPU) → ``"batched"`` (one kernel per layer for all models);
        2. inside ``with joblib.parallel_backend(...)`` → ``"processes"`` (your backend runs the tasks);
        3. one model → ``"sequential"``;
        4. an MLP whose stacked hidden activations (K × samples per model × hidden × depth floats)
           fit in 2 MiB → ``"batched"``: small models are dominated by per-operation overhead,
           which one stacked program pays once. Measured (2 cores, one thread each, K = 16,
           50 epochs, 650 samples per model): batched 0.25 s vs loop 0.39 s at hidden 16, 0.31 vs
           0.43 at 32, 0.51 vs 0.49 at 64 (2.7 MiB); at hidden 256 on MNIST-1D (2,500 samples per
           model, 41 MiB) 29 s vs 13 s: out of cache the stacked program is memory-bound;
        5. at least 2 cores and at least 100 GFLOP of training work (6 FLOP per weight per sample
           per epoch, ≈2 s on one core; 16 default MNIST-1D models of 2,500 samples are 614; a
           worker takes ≈2 s to start: importing torch) → ``"processes"``; else ``"sequential"``.
           Measured on 2 cores, 16 default MNIST-1D models (load ≈1): loop 10.2 s, processes 6.7 s
           from cold (1.51×; 7.8 vs 12.9 s, 1.66×, in another run), 6.2 s with the worker already
           started (1.65×), same accuracy; 16 digits models (236 GFLOP): loop 3.5 s, processes 3.1 s.
    progress : bool
        Show a ``tqdm`` progress bar over models (in notebooks and terminals).
    use_cache : bool
        Load each model from the disk cache and store newly trained ones (on the loop routes the
        same keys as :func:`mia_edu.training.train`; see :mod:`mia_edu.cache`). Only missing models
        are trained (on the batched route: the stacked chunks with a missing model).

    Returns
    -------
    ModelBank

    Examples
    --------
    >>> from mia_edu.data import load_dataset
    >>> from mia_edu.splits import random_subsets
    >>> ds = load_dataset("digits", n_samples=300)
    >>> subsets = random_subsets(len(ds), 4, seed=0)
    >>> bank = train_many(TrainConfig(epochs=20, hidden=32), ds.X, ds.y, subsets, progress=False)
    >>> bank.logits(ds.X).shape
    (4, 300, 10)

    Scale out: the ``"processes"`` route dispatches through joblib, so on a cluster
    ``with joblib.parallel_backend("dask"): train_many(...)`` (or ``"ray"``) runs the same code there.
    """
    config = recipes.as_recipe(config)  # a TrainConfig, or a scikit-learn / callable recipe (recipes.py)
    X, y, n_classes = _check_data(X, y, n_classes)
    if recipes.is_recipe(config):
        subsets = _check_subsets(subsets, len(X))
        return recipes.train_many_recipe(config, X, y, subsets, model_seeds(config.seed, len(subsets)),
                                         n_classes=n_classes, n_jobs=_check_n_jobs(n_jobs), progress=progress,
                                         use_cache=use_cache)
    X_eval, y_eval = _check_eval(X_eval, y_eval, X.shape[1], n_classes)
    subsets = _check_subsets(subsets, len(X))
    if route is not None and route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES} or None (automatic), got {route!r}")
    if route == "batched" and not batched.supports(config):
        raise ValueError("route='batched' does not support this config (DP-SGD needs Opacus's per-sample "
                         "clipping and Poisson sampling; RelaxLoss its own loss); use route=None, 'sequential' "
                         "or 'processes'")
    check_model_size(config, X.shape[1], n_classes)
    device = check_device(device)
    n_jobs = _check_n_jobs(n_jobs)
    K = subsets.shape[0]
    seeds = model_seeds(config.seed, K)
    rows = [np.flatnonzero(s) for s in subsets]
    configs = [config.replace(seed=int(s)) for s in seeds]

    planned = route if route is not None else choose_route(config, subsets, X.shape[1], n_classes,
                                                           device=device, n_jobs=n_jobs)
    # the groups of models trained together: one model each on the loop routes, a chunk of stacked
    # models on the batched route (a stacked model's last bits depend on its chunk: see _cache_keys)
    groups = _stacked_chunks(config, X.shape[1], n_classes, rows) if planned == "batched" else [[k] for k in range(K)]
    arrays: list = [None] * K
    histories: list = [None] * K
    from_cache = np.zeros(K, bool)
    keys: list = [None] * K
    if use_cache:
        keys = _cache_keys(configs, n_classes, X, y, rows, X_eval, y_eval, groups, planned, device)
        for k in range(K):
            hit = load_cached(keys[k], configs[k], X.shape[1], n_classes, device)
            if hit is not None:
                arrays[k], histories[k] = hit
                from_cache[k] = True
    todo_groups = [g for g in groups if not from_cache[g].all()]
    for g in todo_groups:  # a stacked chunk with a miss is retrained whole, so its bits are the same
        from_cache[g] = False
    todo = [k for g in todo_groups for k in g]
    chosen = "cache" if route is None and not todo else planned

    with tqdm(total=K, initial=K - len(todo), desc=f"train_many ({chosen})", unit="model",
              disable=not progress or not todo) as bar:
        if not todo:
            results = iter(())
        elif chosen == "batched":
            results = _run_batched(config, X, y, [[rows[k] for k in g] for g in todo_groups],
                                   [seeds[g] for g in todo_groups], n_classes, X_eval, y_eval, device, bar)
        else:
            jobs = [(configs[k], X[rows[k]], y[rows[k]], n_classes, X_eval, y_eval, device) for k in todo]
            results = _run_sequential(jobs, bar) if chosen == "sequential" else _run_processes(jobs, bar, n_jobs)
        for i, (state, history) in enumerate(results):  # exhausts the generator (joblib's too)
            k = todo[i]
            if use_cache:
                save_cached(keys[k], state, history)
            arrays[k], histories[k] = state, history

    modules = []
    for k in range(K):
        if from_cache[k]:
            modules.append(arrays[k])  # load_cached already built the module
            continue
        module = build_model(config.arch, X.shape[1], n_classes, hidden=config.hidden, depth=config.depth,
                             dropout=config.dropout)
        modules.append(arrays_to_state(module, arrays[k], device))
    return ModelBank(modules, subsets, config, seeds, histories, X.shape[1], n_classes, device, chosen, from_cache)
