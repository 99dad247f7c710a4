"""A whole membership-inference audit of one target model, as ``python -m mia_edu audit`` runs it.

One call trains a target (cached), then runs every attack of the course against it on the same
members and non-members and returns their metrics:

============================  ==========================================================================
``loss`` … ``modified_entropy``  a global threshold on one signal (the direction is the signal's own:
                               low loss, high confidence, low entropy, low modified entropy → member)
``loss_per_class``             one loss threshold per class (Song & Mittal 2021)
``classifier_lr`` / ``_svc``   logistic regression / RBF SVC on all signals plus the one-hot label
``shadow``                     Shokri et al. (2017): attack model trained on shadow models' signals
``lira_online``                Carlini et al. (2022), reference models trained on halves of the
                               target's candidate members and non-members (IN and OUT per sample)
``lira_offline``               the same with OUT-only reference models trained on the attacker's pool
``rmia`` / ``rmia_offline``    Zarifzadeh et al. (2024), on online / offline LiRA's reference models (the
                               same models: a cache hit), population z = the attacker's pool, γ = 1
``label_only``                 Choquette-Choo et al. (2021): fraction of noisy queries labelled right
``blind``                      the blind baseline: a classifier on the candidates' inputs alone (features
                               and label, never the model), cross-fitted; at chance on a proper split
============================  ==========================================================================

``AuditReport.to_dict()`` also says how many models each attack trained (``"references"``).

Threat models, in one place. The auditor knows which candidates are members. Attacks that *learn*
from the target's signals (per-class thresholds, LR, SVC) are scored by 2-fold cross-fitting: each
candidate is scored by an attack fitted on the other half, never on itself. A global threshold's
ranking does not depend on its threshold, so it is scored on all candidates directly. The shadow
attack and offline LiRA use only the attacker's own pool (``split.shadow``, disjoint from the
candidates) and share one bank of models trained on its random halves (same config, subsets and
seed, so the second is a cache hit). Online LiRA's attacker may train on the candidates themselves,
without knowing which were members: its reference pool is members + non-members. Every attacker
model uses the target's recipe (config) with a different seed: the attacker knows how, not with
which random numbers, the target was trained.

The target's recipe is any recipe (:mod:`mia_edu.training.recipes`): the course's MLP or CNN, or a
scikit-learn classifier (``--model random_forest|logistic|knn``); the attacker's models use the same.

Taught in notebooks 04–05 and 10; the command line is :mod:`mia_edu.__main__`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import SVC
from tqdm.auto import tqdm

from .._validation import SEED_MAX, check_int
from ..data import load_dataset
from ..signals import SIGNALS, compute_signals
from ..splits import make_shifted_split, make_split
from ..training import TrainConfig, train
from ..training.recipes import named_recipe
from ._reference import check_recipe
from ._signals import signal_matrix
from .blind import BlindAttack
from .classifier import ClassifierAttack
from .label_only import LabelOnlyAttack
from .lira import LiRA
from .result import AttackResult, format_table
from .rmia import RMIA
from .shadow import ShadowModelAttack
from .threshold import ThresholdAttack

ATTACKS = ("loss", "loss_per_class", "confidence", "entropy", "modified_entropy", "classifier_lr",
           "classifier_svc", "shadow", "lira_online", "lira_offline", "rmia", "rmia_offline", "label_only", "blind")
"""The attacks of an audit, in the order they run and are reported (also the JSON keys)."""

METRIC_KEYS = ("auc", "tpr_at_0.1%", "tpr_at_1%", "advantage")
"""The metrics of each attack in :meth:`AuditReport.to_dict` and the printed table."""

# low loss / entropy / modified entropy → member; high confidence → member
_MEMBER_SIGN = {"loss": -1.0, "confidence": 1.0, "entropy": -1.0, "modified_entropy": -1.0}


@dataclass(frozen=True, eq=False)
class AuditReport:
    """What :func:`audit` found: one :class:`AttackResult` per attack, and the target's accuracy.

    Attributes
    ----------
    results : dict name → AttackResult, in :data:`ATTACKS` order (scores kept for plots).
    target : ``{"train_acc", "test_acc"}`` of the target model.
    seconds : wall-clock time of the whole audit.
    settings : the sizes, seeds and config used.
    """

    results: dict[str, AttackResult]
    target: dict[str, float]
    seconds: float
    settings: dict = field(default_factory=dict)

    def rows(self) -> list[dict]:
        """One dict per attack: ``{"attack", "auc", "tpr_at_0.1%", "tpr_at_1%", "advantage"}``."""
        rows = []
        for name, result in self.results.items():
            d = result.to_dict()
            rows.append({"attack": name} | {k: float(d[k]) for k in METRIC_KEYS})
        return rows

    def to_dict(self) -> dict:
        """``{attack: {"auc", "tpr_at_0.1%", "tpr_at_1%", "advantage"}, ..., "references": {attack: models
        trained}, "target": {...}}`` (the JSON object of ``python -m mia_edu audit --json``)."""
        out = {row.pop("attack"): row for row in self.rows()}
        out["references"] = dict(self.settings.get("references", {}))
        out["target"] = {k: float(v) for k, v in self.target.items()}
        return out

    def table(self) -> str:
        """An aligned plain-text table, one line per attack, with the target's accuracy below."""
        head = format_table(self.rows(), ["attack", *METRIC_KEYS])
        s = self.settings
        return (f"{head}\n\ntarget ({s.get('model', 'mlp')}): train acc {self.target['train_acc']:.3f}, test acc {self.target['test_acc']:.3f}"
                f" | {s.get('n_members', '?')} members, {s.get('n_non_members', '?')} non-members, "
                f"{s.get('n_shadow', '?')} shadow and {s.get('n_reference', '?')} reference models"
                f" | {self.seconds:.1f} s")

    def __str__(self) -> str:
        return self.table()


def _recipe_name(config) -> str:
    return config.arch if isinstance(config, TrainConfig) else config.label


def _cross_fitted(attack, S: np.ndarray, is_member: np.ndarray, seed: int) -> np.ndarray:
    """Scores of a signal-level attack from 2-fold cross-fitting (each sample scored out of fold)."""
    cv = StratifiedKFold(n_splits=2, shuffle=True, random_state=seed)
    return cross_val_predict(attack, S, is_member, cv=cv, method="decision_function")


def audit(dataset: str = "mnist1d", config=None, *, model: str | None = None, n_samples: int | None = None,
          train_size: int | None = None, holdout_size: int | None = None, shadow_size: int | None = None,
          n_reference: int = 16, n_shadow: int | None = None, seed: int = 0, device: str = "cpu",
          n_jobs: int | None = None, progress: bool = True, shift: float = 0.0) -> AuditReport:
    """Train a target and run every attack of the course against it.

    Parameters
    ----------
    dataset : {"mnist1d", "digits"}
        The data set (:func:`mia_edu.data.load_dataset`).
    config : TrainConfig or recipe, optional
        The target's training recipe (default ``TrainConfig()``: overfits MNIST-1D visibly), or a
        scikit-learn classifier / :class:`~mia_edu.training.SklearnRecipe` /
        :class:`~mia_edu.training.CallableRecipe`. Its ``seed`` is replaced by ``seed``; the
        attacker's models use the same recipe, seed + 1.
    model : {"mlp", "cnn1d", "random_forest", "logistic", "knn"}, optional
        A named recipe (:func:`mia_edu.training.recipes.named_recipe`) instead of ``config``.
    n_samples : int, optional
        Samples drawn from the data set (default 10,000 for MNIST-1D, all 1,797 for digits).
    train_size, holdout_size, shadow_size : int, optional
        Members, non-members and the attacker's pool (default: a quarter, a quarter, a half of
        ``n_samples``; 2,500 / 2,500 / 5,000 on MNIST-1D).
    n_reference : int
        LiRA reference models (online and offline each).
    n_shadow : int, optional
        Shadow models (default ``n_reference``, so that they are also offline LiRA's references).
    seed : int
        Split and training seed. Same seed, same numbers.
    device, n_jobs : passed to the training functions.
    progress : bool
        Show progress bars (over the stages, and over the models being trained) on stderr.
    shift : float >= 0
        0 (default): a proper random split. Above 0, a deliberately *shifted* split
        (:func:`mia_edu.splits.make_shifted_split` on each sample's mean feature, this strength):
        members and the attacker's pool favour low means, non-members high ones. The blind
        baseline then scores well above chance, and every attack's number mixes membership with
        the shift (notebook 10).

    Returns
    -------
    AuditReport

    Examples
    --------
    >>> report = audit("mnist1d")            # doctest: +SKIP
    >>> print(report.table())                # doctest: +SKIP
    """
    start = time.perf_counter()
    check_int(seed, "seed", minimum=0, maximum=SEED_MAX - 1, why=" (the attacker's models use seed + 1)")
    check_int(n_reference, "n_reference", minimum=2, maximum=1024)
    n_shadow = n_reference if n_shadow is None else check_int(n_shadow, "n_shadow", minimum=1)
    if model is not None:
        if config is not None:
            raise ValueError("give either config or model, not both")
        config = named_recipe(model)
    config = check_recipe(config)
    target_config = config.replace(seed=seed)
    attacker_config = config.replace(seed=seed + 1)

    name = dataset.strip().lower().replace("-", "").replace("_", "") if isinstance(dataset, str) else dataset
    if n_samples is None and name == "mnist1d":
        n_samples = 10_000
    ds = load_dataset(dataset, n_samples=n_samples)
    n = len(ds)
    train_size = n // 4 if train_size is None else check_int(train_size, "train_size", minimum=1)
    holdout_size = n // 4 if holdout_size is None else check_int(holdout_size, "holdout_size", minimum=1)
    if shadow_size is not None:
        shadow_size = check_int(shadow_size, "shadow_size", minimum=2)
    if train_size + holdout_size + (2 if shadow_size is None else shadow_size) > n:
        shown = "the rest" if shadow_size is None else f"{shadow_size:,}"
        raise ValueError(f"train_size={train_size:,} + holdout_size={holdout_size:,} + shadow_size={shown} "
                         f"(at least 2) is more than the {n:,} samples of {ds.name}; lower them or raise n_samples")
    shadow_size = n - train_size - holdout_size if shadow_size is None else shadow_size
    if isinstance(shift, bool) or not isinstance(shift, int | float) or not np.isfinite(shift) or shift < 0:
        raise ValueError(f"shift must be a finite number >= 0, got {shift!r}")
    if shift > 0:
        split = make_shifted_split(ds.X.mean(axis=1), train_size=train_size, holdout_size=holdout_size,
                                   shadow_size=shadow_size, strength=float(shift), seed=seed)
    else:
        split = make_split(n, train_size=train_size, holdout_size=holdout_size, shadow_size=shadow_size, seed=seed)
    if len(split.shadow) < 2:
        raise ValueError(f"shadow_size must be at least 2 (the attacker's pool), got {len(split.shadow)}")
    idx, is_member = split.evaluation()
    X, y = ds.X[idx], ds.y[idx]
    X_pool, y_pool = ds.X[split.shadow], ds.y[split.shadow]
    common = {"device": device, "n_jobs": n_jobs, "progress": progress}

    stages = tqdm(total=9, desc="audit", disable=not progress, leave=False)
    results: dict[str, AttackResult] = {}

    def record(key: str, scores) -> None:
        results[key] = AttackResult(np.asarray(scores, dtype=np.float64), is_member, key, classes=y)

    stages.set_postfix_str("training the target")
    target = train(target_config, ds.X[split.train], ds.y[split.train], n_classes=ds.n_classes, device=device)
    target_info = {"train_acc": target.accuracy(ds.X[split.train], ds.y[split.train]),
                   "test_acc": target.accuracy(ds.X[split.holdout], ds.y[split.holdout])}
    stages.update()

    stages.set_postfix_str("threshold attacks")
    S, columns = signal_matrix(compute_signals(target.logits(X), y), list(SIGNALS), labels=y)
    scored: dict[str, np.ndarray] = {}
    for signal, sign in _MEMBER_SIGN.items():
        scored[signal] = sign * S[:, columns.index(signal)]  # a global threshold ranks by the signal itself
    scored["loss_per_class"] = _cross_fitted(
        ThresholdAttack(signal="loss", greater_is_member=False, per_class=True, columns=columns), S, is_member, seed)
    stages.update()

    stages.set_postfix_str("classifier attacks (LR, SVC)")
    signal_cols = [c for c in columns if c != "label"]
    for key, estimator in (("classifier_lr", None), ("classifier_svc", SVC())):
        attack = ClassifierAttack(estimator, signals=signal_cols, use_label="onehot", n_classes=ds.n_classes,
                                  columns=columns)
        scored[key] = _cross_fitted(attack, S, is_member, seed)
    stages.update()

    stages.set_postfix_str(f"shadow attack ({n_shadow} shadow models)")
    shadow = ShadowModelAttack(attacker_config, n_shadow=n_shadow, seed=seed, **common)
    scored["shadow"] = shadow.fit(X_pool, y_pool, n_classes=ds.n_classes).score_target(target, X, y)
    stages.update()

    stages.set_postfix_str(f"LiRA online ({n_reference} reference models)")
    online = LiRA(attacker_config, n_reference=n_reference, online=True, seed=seed, **common)
    scored["lira_online"] = online.fit(X, y, n_classes=ds.n_classes).score_target(target, X, y)
    stages.update()

    stages.set_postfix_str(f"LiRA offline ({n_reference} reference models)")
    offline = LiRA(attacker_config, n_reference=n_reference, online=False, seed=seed, **common)
    scored["lira_offline"] = offline.fit(X_pool, y_pool, n_classes=ds.n_classes).score_target(target, X, y)
    stages.update()

    stages.set_postfix_str(f"RMIA online and offline ({n_reference} reference models each)")
    rmia = RMIA(attacker_config, n_reference=n_reference, online=True, seed=seed, **common)
    rmia.fit(X, y, n_classes=ds.n_classes, X_population=X_pool, y_population=y_pool)
    scored["rmia"] = rmia.score_target(target, X, y)
    rmia_off = RMIA(attacker_config, n_reference=n_reference, online=False, seed=seed, **common)
    scored["rmia_offline"] = rmia_off.fit(X_pool, y_pool, n_classes=ds.n_classes).score_target(target, X, y)
    stages.update()

    stages.set_postfix_str("label-only attack")
    label_only = LabelOnlyAttack(seed=seed).fit(X_pool)
    scored["label_only"] = label_only.score_target(target, X, y)
    stages.update()

    stages.set_postfix_str("blind baseline (inputs only)")
    scored["blind"] = _cross_fitted(BlindAttack(), np.c_[X, y], is_member, seed)
    stages.update()
    stages.close()

    for key in ATTACKS:
        record(key, scored[key])
    settings = {"dataset": ds.name, "n_members": len(split.train), "n_non_members": len(split.holdout),
                "n_shadow_pool": len(split.shadow), "n_shadow": n_shadow, "n_reference": n_reference,
                "seed": seed, "config": target_config, "model": model or _recipe_name(target_config),
                "offline_a": rmia_off.offline_a_, "shift": float(shift), "label_only_queries": label_only.n_queries,
                "references": {"shadow": n_shadow, "lira_online": n_reference, "lira_offline": n_reference,
                               "rmia": n_reference, "rmia_offline": n_reference, "label_only": 0, "blind": 0}}
    return AuditReport(results, target_info, time.perf_counter() - start, settings)
