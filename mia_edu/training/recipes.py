"""Training recipes beyond :class:`TrainConfig`: a scikit-learn classifier, or your own function.

The model-level attacks (shadow models, LiRA, RMIA) and :func:`mia_edu.training.train_many` take a
*recipe*: how the attacker (re)trains a model on a subset. Besides the course's torch
:class:`TrainConfig` a recipe can be

- :class:`SklearnRecipe` — a scikit-learn classifier, cloned (``sklearn.base.clone``) and fitted
  once per model, its ``random_state`` set from the model's seed;
- :class:`CallableRecipe` — a function ``fit(X, y, seed) -> model``, where the model has a
  ``logits(X)`` method, is a torch module, or has ``predict_proba`` / ``decision_function``.

A bare estimator or a bare function is wrapped by :func:`as_recipe`. Taught in notebook 10.

**Logits from a scikit-learn model (the caveat).** Attacks read logits. From ``predict_proba`` we
use ``log(max(p, eps))`` (``eps = 1e-6`` by default): its softmax gives back the probabilities,
so loss, confidence and entropy are the model's own, except that a probability of exactly 0 or 1
(a random forest on its training points, a k-NN whose neighbours agree) is clipped, and many
samples tie at the clip. The scaled logit ``log p − log(1 − p)`` of such a sample is set by ``eps``,
not by the model: read TPR at very low FPR with that in mind. From ``decision_function`` (no
``predict_proba``: e.g. ``LinearSVC``) the decision values are used as logits (``[−d/2, d/2]``
for two classes): they rank like the model's confidence but are not calibrated probabilities.
Classes a subset never saw get logit ``log(eps)``.

**Caching.** A fitted scikit-learn model is not stored (the cache holds plain arrays, never
pickles). What is stored is each model's *logits on each query set*, keyed by the recipe, the
model's training data and seed, and the queries: a notebook run twice loads the logits and fits
nothing. A :class:`RecipeBank` fits its models lazily, on the first query that misses, through
joblib (so ``joblib.parallel_backend("dask")`` scales it out like the torch models).
A :class:`CallableRecipe` is cached only when you give it a ``name`` that identifies it (a bare
function's identity is its module and name, which a lambda or a closure does not make unique:
those are not cached).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field

import joblib
import numpy as np
from joblib.externals.loky import get_reusable_executor
from tqdm.auto import tqdm

from .. import cache
from .._threads import single_thread
from .._validation import as_labels, check_int
from .single import TrainConfig, _check_data, check_features

DEFAULT_EPS = 1e-6


def is_model(obj) -> bool:
    """True for what :func:`model_logits` can query: ``logits(X)``, a torch module, a scikit-learn classifier."""
    import torch

    return ((hasattr(obj, "logits") and callable(obj.logits)) or isinstance(obj, torch.nn.Module)
            or hasattr(obj, "predict_proba") or hasattr(obj, "decision_function"))


def model_logits(model, X: np.ndarray, n_classes: int | None = None, *, classes=None,
                 eps: float = DEFAULT_EPS) -> np.ndarray:
    """Logits (samples × classes, float64) of any model: ``logits(X)``, a torch module, or a
    scikit-learn classifier (``predict_proba`` → ``log(max(p, eps))``, else ``decision_function``).

    ``classes`` (default ``model.classes_``) says which class each column of a scikit-learn model
    is; with ``n_classes`` the columns are placed into ``n_classes`` columns (missing classes get
    ``log(eps)``). See the module docstring for the caveat.
    """
    import torch

    if hasattr(model, "logits") and callable(model.logits):
        out = np.asarray(model.logits(X), dtype=np.float64)
    elif isinstance(model, torch.nn.Module):
        was_training = model.training
        model.eval()
        try:
            device = next(model.parameters()).device
        except StopIteration:
            device = torch.device("cpu")
        with torch.no_grad():
            out = model(torch.tensor(np.asarray(X, np.float32), device=device)).double().cpu().numpy()
        model.train(was_training)
    elif hasattr(model, "predict_proba") or hasattr(model, "decision_function"):
        cols = np.asarray(getattr(model, "classes_", []) if classes is None else classes)
        if hasattr(model, "predict_proba"):
            raw = np.log(np.maximum(np.asarray(model.predict_proba(X), dtype=np.float64), eps))
        else:
            d = np.asarray(model.decision_function(X), dtype=np.float64)
            raw = np.stack([-d / 2, d / 2], axis=1) if d.ndim == 1 else d
        if n_classes is None or (raw.shape[1] == n_classes and np.array_equal(cols, np.arange(n_classes))):
            out = raw
        else:
            if len(cols) != raw.shape[1]:
                raise ValueError(f"the model has {raw.shape[1]} output columns but {len(cols)} classes_")
            out = np.full((len(raw), n_classes), np.log(eps))
            out[:, cols.astype(np.int64)] = raw
    else:
        raise TypeError("model must have a logits(X) method, be a torch.nn.Module, or be a fitted scikit-learn "
                        f"classifier with predict_proba or decision_function; got {type(model).__name__}")
    if out.ndim != 2 or out.shape[0] != len(X):
        raise ValueError(f"the model's logits must be samples × classes with {len(X)} rows, got shape {out.shape}")
    return out


@dataclass(frozen=True, eq=False)
class SklearnRecipe:
    """A scikit-learn classifier as a training recipe: cloned and fitted once per model.

    Parameters
    ----------
    estimator : scikit-learn classifier (unfitted; it is cloned, never fitted itself).
    seed : int
        The recipe's seed; model k of a bank gets its own seed derived from it, which sets the
        clone's ``random_state`` (when the estimator has one).
    eps : float
        Probabilities are clipped at ``eps`` before the log (see the module docstring).
    name : str, optional
        Shown in tables (default: the estimator's class name).
    """

    estimator: object
    seed: int = 0
    eps: float = DEFAULT_EPS
    name: str | None = None

    def __post_init__(self):
        if not hasattr(self.estimator, "fit") or not (hasattr(self.estimator, "predict_proba")
                                                       or hasattr(self.estimator, "decision_function")):
            raise TypeError("estimator must be a scikit-learn classifier with fit and predict_proba or "
                            f"decision_function, got {self.estimator!r}")
        check_int(self.seed, "seed", minimum=0)
        if not isinstance(self.eps, numbers.Real) or not 0 < self.eps < 0.5:
            raise ValueError(f"eps must be a number in (0, 0.5), got {self.eps!r}")

    @property
    def label(self) -> str:
        return self.name or type(self.estimator).__name__

    def replace(self, **changes) -> SklearnRecipe:
        """A copy with some fields changed (as :meth:`TrainConfig.replace`)."""
        return SklearnRecipe(**({"estimator": self.estimator, "seed": self.seed, "eps": self.eps,
                                 "name": self.name} | changes))

    def key(self) -> str | None:
        """What identifies the recipe in a cache key: the class and its parameters (seed excluded)."""
        params = self.estimator.get_params(deep=True)
        params = {k: (v if isinstance(v, (numbers.Number, str, type(None), tuple, list)) else repr(v))
                  for k, v in params.items() if k != "random_state"}
        return cache.make_key("sklearn", type(self.estimator).__module__, type(self.estimator).__qualname__,
                              params, self.eps)

    def fit(self, X: np.ndarray, y: np.ndarray, seed: int):
        from sklearn.base import clone

        model = clone(self.estimator)
        if "random_state" in model.get_params(deep=False):
            model.set_params(random_state=int(seed))
        with single_thread():
            return model.fit(X, y)

    def logits(self, model, X: np.ndarray, n_classes: int) -> np.ndarray:
        return model_logits(model, X, n_classes, eps=self.eps)


@dataclass(frozen=True, eq=False)
class CallableRecipe:
    """Your own training function as a recipe: ``fit(X, y, seed) -> model``.

    The model has a ``logits(X)`` method, is a torch module, or is a fitted scikit-learn
    classifier. ``name`` identifies the function in the cache; without one, nothing is cached.
    """

    fit_fn: object
    seed: int = 0
    name: str | None = None
    eps: float = DEFAULT_EPS

    def __post_init__(self):
        if not callable(self.fit_fn):
            raise TypeError(f"fit_fn must be a function (X, y, seed) -> model, got {self.fit_fn!r}")
        check_int(self.seed, "seed", minimum=0)

    @property
    def label(self) -> str:
        return self.name or getattr(self.fit_fn, "__name__", "callable")

    def replace(self, **changes) -> CallableRecipe:
        return CallableRecipe(**({"fit_fn": self.fit_fn, "seed": self.seed, "name": self.name,
                                  "eps": self.eps} | changes))

    def key(self) -> str | None:
        return None if self.name is None else cache.make_key("callable", self.name, self.eps)

    def fit(self, X: np.ndarray, y: np.ndarray, seed: int):
        with single_thread():
            return self.fit_fn(X, y, int(seed))

    def logits(self, model, X: np.ndarray, n_classes: int) -> np.ndarray:
        return model_logits(model, X, n_classes, eps=self.eps)


Recipe = TrainConfig | SklearnRecipe | CallableRecipe


def is_recipe(obj) -> bool:
    """True for a :class:`SklearnRecipe` or :class:`CallableRecipe` (not for a ``TrainConfig``)."""
    return isinstance(obj, (SklearnRecipe, CallableRecipe))


def as_recipe(obj, name: str = "config") -> Recipe:
    """``None`` → ``TrainConfig()``; a ``TrainConfig`` or recipe as is; a scikit-learn classifier →
    :class:`SklearnRecipe`; a function → :class:`CallableRecipe` (not cached: give it a name)."""
    if obj is None:
        return TrainConfig()
    if isinstance(obj, TrainConfig) or is_recipe(obj):
        return obj
    if hasattr(obj, "fit") and (hasattr(obj, "predict_proba") or hasattr(obj, "decision_function")):
        return SklearnRecipe(obj)
    if callable(obj) and not isinstance(obj, type):
        return CallableRecipe(obj)
    raise TypeError(f"{name} must be a TrainConfig, a scikit-learn classifier, a function (X, y, seed) -> model, "
                    f"or a SklearnRecipe / CallableRecipe; got {type(obj).__name__}")


class RecipeModel:
    """One model trained by a recipe: ``logits(X)``, ``predict``, ``accuracy`` (as :class:`TrainedModel`).

    The model is fitted on first use unless the cache already holds its logits on the query;
    ``model`` is the fitted object (fitted when read).
    """

    def __init__(self, recipe: Recipe, X: np.ndarray, y: np.ndarray, n_classes: int, *, key: str | None = None,
                 model=None):
        self.recipe, self.n_features, self.n_classes, self.key = recipe, X.shape[1], n_classes, key
        self.seed = int(recipe.seed)
        self._data = (X, y)
        self._model = model

    @property
    def model(self):
        if self._model is None:
            self._model = self.recipe.fit(*self._data, self.seed)
        return self._model

    def logits(self, X) -> np.ndarray:
        """Logits (samples × classes, float64); cached per query set when the recipe has a key."""
        X = check_features(X, "X", n_features=self.n_features)
        return _cached_logits(self.recipe, self.key, X, self.n_classes, lambda: self.model)

    def predict(self, X) -> np.ndarray:
        """Predicted class per sample."""
        return self.logits(X).argmax(axis=1)

    def accuracy(self, X, y) -> float:
        """Fraction of samples classified correctly."""
        y = as_labels(y, "y", n=len(X), length_of="X")
        return float(np.mean(self.predict(X) == y))

    def __repr__(self) -> str:
        return f"RecipeModel({self.recipe.label}, seed={self.seed}, fitted={self._model is not None})"


def _model_key(recipe: Recipe, seed: int, n_classes: int, X: np.ndarray, y: np.ndarray) -> str | None:
    rk = recipe.key()
    return None if rk is None else cache.make_key("recipe-model-v1", rk, int(seed), n_classes, X, y)


def _query_key(model_key: str | None, X: np.ndarray) -> str | None:
    return None if model_key is None else cache.make_key("recipe-logits-v1", model_key, X)


def _load_logits(qkey: str | None, shape: tuple[int, int]) -> np.ndarray | None:
    hit = None if qkey is None else cache.load("recipe_logits", qkey)
    if hit is None or "logits" not in hit or hit["logits"].shape != shape:
        return None
    return hit["logits"].astype(np.float64)


def _cached_logits(recipe, key, X, n_classes, get_model) -> np.ndarray:
    qkey = _query_key(key, X)
    out = _load_logits(qkey, (len(X), n_classes))
    if out is None:
        out = recipe.logits(get_model(), X, n_classes)
        if qkey is not None:
            cache.save("recipe_logits", qkey, {"logits": out.astype(np.float32)})
    return out


def fit_recipe(recipe: Recipe, X, y, *, n_classes: int | None = None, use_cache: bool = True) -> RecipeModel:
    """One model trained with a scikit-learn or callable recipe (a target, say), at ``recipe.seed``.

    Fitting is lazy: the model is fitted on the first query the cache does not hold.
    """
    recipe = as_recipe(recipe, "recipe")
    if not is_recipe(recipe):
        raise TypeError("fit_recipe takes a SklearnRecipe or CallableRecipe; train a TrainConfig with train()")
    X, y, n_classes = _check_data(X, y, n_classes)
    key = _model_key(recipe, recipe.seed, n_classes, X, y) if use_cache else None
    return RecipeModel(recipe, X, y, n_classes, key=key)


def _fit_task(recipe, X, y, seed):
    return recipe.fit(X, y, seed)


@dataclass(eq=False)
class RecipeBank:
    """K models of one recipe, model k trained on the samples ``subsets[k]`` marks (as :class:`ModelBank`).

    Models are fitted lazily through joblib on the first :meth:`logits` call the cache cannot answer.
    """

    recipe: Recipe
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    subsets: np.ndarray = field(repr=False)
    seeds: np.ndarray = field(repr=False)
    n_features: int = 0
    n_classes: int = 0
    n_jobs: int | None = None
    progress: bool = True
    use_cache: bool = True
    models: list = field(default_factory=list, repr=False)
    route: str = "recipe"

    def __post_init__(self):
        self.models = [None] * len(self.seeds)
        self.keys = [(_model_key(self.recipe, int(s), self.n_classes, self.X[row], self.y[row])
                      if self.use_cache else None) for s, row in zip(self.seeds, self.subsets)]

    def __len__(self) -> int:
        return len(self.seeds)

    @property
    def config(self):
        return self.recipe

    def fit_all(self, which=None) -> None:
        """Fit the models ``which`` (default: all) not fitted yet, one task per model.

        Inside ``with joblib.parallel_backend(...)`` every model is a task of that backend (Dask,
        Ray, ...); otherwise up to ``n_jobs`` models fit at once in loky worker processes (the pool
        ``train_many``'s processes route uses), or in this process when there is one model or one core.
        """
        from .many import _in_joblib_context  # many imports this module: import at call time

        todo = [k for k in (range(len(self)) if which is None else which) if self.models[k] is None]
        if not todo:
            return
        args = [(self.recipe, self.X[self.subsets[k]], self.y[self.subsets[k]], int(self.seeds[k])) for k in todo]
        workers = min(joblib.effective_n_jobs(-1 if self.n_jobs is None else self.n_jobs), len(todo))
        with tqdm(total=len(todo), desc=f"train_many ({self.recipe.label})", unit="model",
                  disable=not self.progress) as bar:
            if _in_joblib_context():
                results = joblib.Parallel(n_jobs=self.n_jobs)(joblib.delayed(_fit_task)(*a) for a in args)
                bar.update(len(results))
            elif workers <= 1:
                results = []
                for a in args:
                    results.append(_fit_task(*a))
                    bar.update(1)
            else:
                # loky's pool directly (as train_many's processes route does): joblib.Parallel would
                # wrap the same shared pool in its memmapping executor, and the two do not mix
                executor = get_reusable_executor(max_workers=workers)
                futures = [executor.submit(_fit_task, *a) for a in args]
                results = []
                for future in futures:
                    results.append(future.result())
                    bar.update(1)
        for k, model in zip(todo, results):
            self.models[k] = model

    def __getitem__(self, k: int) -> RecipeModel:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"a RecipeBank is indexed by an integer model number, got {k!r}")
        k = int(k) % len(self)
        rows = self.subsets[k]
        return RecipeModel(self.recipe.replace(seed=int(self.seeds[k])), self.X[rows], self.y[rows],
                           self.n_classes, key=self.keys[k], model=self.models[k])

    def logits(self, X) -> np.ndarray:
        """Logits of every model on ``X``: models × samples × classes (cached per model and query set)."""
        X = check_features(X, "X", n_features=self.n_features)
        out = np.empty((len(self), len(X), self.n_classes), np.float64)
        missing = []
        for k in range(len(self)):
            qkey = _query_key(self.keys[k], X)
            hit = _load_logits(qkey, out.shape[1:])
            if hit is None:
                missing.append((k, qkey))
            else:
                out[k] = hit
        self.fit_all([k for k, _ in missing])
        for k, qkey in missing:
            out[k] = self.recipe.logits(self.models[k], X, self.n_classes)
            if qkey is not None:
                cache.save("recipe_logits", qkey, {"logits": out[k].astype(np.float32)})
        return out

    def __repr__(self) -> str:
        return (f"RecipeBank(n_models={len(self)}, n_samples={self.subsets.shape[1]}, recipe={self.recipe.label!r}, "
                f"fitted={sum(m is not None for m in self.models)})")


def train_many_recipe(recipe: Recipe, X: np.ndarray, y: np.ndarray, subsets: np.ndarray, seeds: np.ndarray, *,
                      n_classes: int, n_jobs: int | None = None, progress: bool = True,
                      use_cache: bool = True) -> RecipeBank:
    """The :func:`mia_edu.training.train_many` route for scikit-learn and callable recipes (checked inputs)."""
    return RecipeBank(recipe, X, y, subsets, seeds, X.shape[1], n_classes, n_jobs, progress, use_cache)


MODELS = ("mlp", "cnn1d", "random_forest", "logistic", "knn")
"""The named recipes of :func:`named_recipe` (``python -m mia_edu audit --model``)."""


def named_recipe(name: str, *, seed: int = 0, **params) -> Recipe:
    """A recipe by name: ``"mlp"`` (``TrainConfig()``), ``"cnn1d"`` (``TrainConfig(arch="cnn1d")``),
    ``"random_forest"`` (100 trees, scikit-learn's defaults: grown until leaves are pure),
    ``"logistic"`` (multinomial logistic regression, ``C=1``) or ``"knn"`` (5 nearest neighbours).
    ``params`` change the config's fields or the estimator's parameters (e.g. ``n_estimators=50``).
    Notebook 10 compares them: the forest and k-NN leak more than their train–test gap suggests."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    if name == "mlp":
        return TrainConfig(seed=seed).replace(**params)
    if name == "cnn1d":
        return TrainConfig(arch="cnn1d", seed=seed).replace(**params)
    estimators = {"random_forest": lambda: RandomForestClassifier(n_estimators=100),
                  "logistic": lambda: LogisticRegression(max_iter=1000),
                  "knn": lambda: KNeighborsClassifier(n_neighbors=5)}
    if name not in estimators:
        raise ValueError(f"model must be one of {MODELS}, got {name!r}")
    return SklearnRecipe(estimators[name]().set_params(**params), seed=seed, name=name)
