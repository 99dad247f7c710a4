"""Did the model forget? The membership-inference evaluation of unlearning, and its yardstick.

The protocol (notebook 07 writes it out step by step):

1. Compute the signals (loss, entropy, ...) of the unlearned model on the **retain** set (still
   members) and the **validation** set (never members).
2. Fit an attack to tell them apart: retain = member, validation = non-member. Half of each set
   (``reference_fraction``) is held out and never used for fitting.
3. Apply the attack to the **forget** set: the *forget-as-member rate* is the fraction it calls
   member. Unlearning hopes to push it down.
4. Read that rate against its two reference points, measured the same way on the held-out parts:
   the *retain rate* (what a member looks like: the attack's true-positive rate) and the
   *validation rate* (what a non-member looks like: its false-positive rate). If those two are
   not clearly apart, the attack sees nothing and a low forget rate proves nothing — the report
   says so.
5. Compare with **retraining from scratch** without the forget set: the honest target is not
   "0 % members" but the rate the retrained model gets. A method whose forget set looks *more*
   like members than after retraining has under-unlearned; one whose forget set looks *less* like
   members (e.g. its loss was pushed far above any unseen sample's) has over-unlearned, and that
   is itself detectable (the "Streisand effect"). Both models are judged on the *same* forget
   samples, so the comparison is **paired** (:func:`paired_gap`): an exact McNemar test on the
   samples the two models call differently, a paired-bootstrap interval on the gap, and an
   explicit equivalence margin (TOST): "as retraining" only when the whole interval lies within
   ±margin, "can't tell" when it is neither inside the margin nor clearly away from 0.

A second view is the NeurIPS-2023 Machine Unlearning Challenge starting kit's: a logistic
regression on the loss, cross-validated, telling forget from *test* samples; its accuracy is ≈ 0.5
when the forget set is indistinguishable from unseen data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedShuffleSplit, cross_val_score
from sklearn.svm import SVC

from .. import metrics
from .._threads import single_thread
from .._validation import check_fraction, check_int, rng_from
from ..attacks import ClassifierAttack, signal_matrix
from ..attacks._base import SignalAttack
from ..signals import compute_signals
from ..splits import UnlearningSplit
from ..training import TrainedModel
from .methods import check_unlearning_inputs
from .verdict import DEFAULT_MARGIN, PairedGap, paired_dict, paired_gap

DEFAULT_SIGNALS = ("loss", "confidence", "entropy", "modified_entropy", "scaled_logit")
"""The signals the default attack reads (every scalar signal of :mod:`mia_edu.signals`)."""

RATES = ("forget_member_rate", "retain_member_rate", "validation_member_rate")
FIGURES = RATES + ("attack_auc", "retain_acc", "forget_acc", "test_acc", "starting_kit_accuracy")
"""The figures of an :class:`UnlearningReport` that are compared with retraining's."""


def member_rate(predicted, *, confidence: float = 0.95) -> tuple[float, tuple[float, float]]:
    """Fraction of samples predicted member, with its Wilson score confidence interval.

    The interval covers the sampling of these samples only (the attack is taken as fixed).

    Examples
    --------
    >>> rate, (lo, hi) = member_rate([True] * 30 + [False] * 70)
    >>> rate, round(lo, 3), round(hi, 3)
    (0.3, 0.219, 0.396)
    """
    p = np.asarray(predicted)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"predicted must be a non-empty 1-D array of booleans, got shape {p.shape}")
    if p.dtype != bool:
        if not np.all(np.isin(p, (0, 1))):
            raise ValueError("predicted must hold booleans or 0/1 (1 = member)")
        p = p.astype(bool)
    check_fraction(confidence, "confidence")
    k, n = int(p.sum()), int(p.size)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return k / n, (float(ci.low), float(ci.high))


def make_attack(attack=None):
    """The attack model to fit on signals: ``None``/``"lr"`` (logistic regression, as the seed note
    does), ``"svc"`` (an RBF SVC), a signal-level attack from :mod:`mia_edu.attacks`, or any
    scikit-learn classifier (wrapped in a standardising :class:`ClassifierAttack`). Always a fresh,
    unfitted clone."""
    if attack is None or (isinstance(attack, str) and attack.lower() == "lr"):
        return ClassifierAttack(LogisticRegression(max_iter=1000))
    if isinstance(attack, str):
        if attack.lower() == "svc":
            return ClassifierAttack(SVC())
        raise ValueError(f"attack must be None, 'lr', 'svc' or a scikit-learn classifier, got {attack!r}")
    if isinstance(attack, SignalAttack):
        return clone(attack)
    if is_classifier(attack) or (hasattr(attack, "fit") and hasattr(attack, "predict")):
        return ClassifierAttack(clone(attack))
    raise TypeError(f"attack must be None, 'lr', 'svc' or a scikit-learn classifier, got {type(attack).__name__}")


def attack_name(attack) -> str:
    """A short name for an attack argument (for tables)."""
    if attack is None or isinstance(attack, str):
        return "lr" if attack is None else attack.lower()
    inner = getattr(attack, "estimator", None) or attack
    return type(inner).__name__


def starting_kit_accuracy(forget_loss, test_loss, *, n_splits: int = 10, seed: int = 0) -> float:
    """The NeurIPS-2023 Machine Unlearning Challenge starting kit's MIA: forget vs test on the loss.

    The larger of the two sets is subsampled to the size of the smaller, then a logistic
    regression on the loss alone is cross-validated (``StratifiedShuffleSplit``, ``n_splits``
    folds) to tell forget (label 1) from test (label 0). Returns the mean held-out accuracy:
    ≈ 0.5 means the forget set is indistinguishable from unseen data (the ideal after
    unlearning), above 0.5 that it still looks seen.
    """
    f = np.asarray(forget_loss, dtype=np.float64).ravel()
    t = np.asarray(test_loss, dtype=np.float64).ravel()
    if min(f.size, t.size) < 2:
        raise ValueError("forget_loss and test_loss need at least 2 values each")
    check_int(n_splits, "n_splits", minimum=2)
    rng = rng_from(seed)
    n = min(f.size, t.size)
    f, t = rng.choice(f, n, replace=False), rng.choice(t, n, replace=False)
    S = np.r_[f, t][:, None]
    label = np.r_[np.ones(n, int), np.zeros(n, int)]
    cv = StratifiedShuffleSplit(n_splits=n_splits, random_state=int(rng.integers(2**31 - 1)))
    return float(np.mean(cross_val_score(LogisticRegression(), S, label, cv=cv, scoring="accuracy")))


@dataclass(frozen=True, eq=False)
class UnlearningReport:
    """What the MIA says about one (unlearned) model; rates are fractions in [0, 1].

    Attributes
    ----------
    method : name of the unlearning method (or ``None``).
    forget_member_rate, forget_member_ci : fraction of the forget set the attack calls member,
        with its Wilson 95 % interval.
    retain_member_rate, retain_member_ci : the same on held-out retain samples (members): the
        attack's true-positive rate, the value "not forgotten at all" would give.
    validation_member_rate, validation_member_ci : the same on held-out validation samples
        (non-members): the attack's false-positive rate, the value of a sample never seen.
    attack_auc : AUC of the attack's scores, held-out retain vs held-out validation: how much the
        attack can see on this model at all.
    retain_acc, forget_acc, test_acc : accuracy on the retain, forget and test sets.
    starting_kit_accuracy : the NeurIPS-2023 starting kit's forget-vs-test accuracy (≈ 0.5 ideal).
    distinguishable : whether the two reference rates are clearly apart (their intervals do not
        overlap). When ``False``, the evaluation cannot see membership and proves nothing.
    warnings : human-readable caveats (e.g. the above).
    forget_scores : the attack's membership score of each forget sample (in ``split.forget``
        order; ≥ 0 means called member) — an aggregate rate can hide samples that stay exposed.
    forget_called : whether the attack calls each forget sample a member (same order).
    retrain_gap : each of :data:`FIGURES` minus the retrained model's (when a yardstick was given).
    vs_retrain : the :class:`PairedGap` of the forget calls against the retrained model's, on the
        same forget samples (interval, McNemar p-value, margin), when a yardstick was given.
    verdict : ``"as retraining"`` (within ±margin), ``"under-unlearning"``, ``"over-unlearning"`` or
        ``"can't tell"`` — ``vs_retrain.verdict`` (see :func:`paired_gap`) — or ``None``.
    attack : the attack's name; n_forget, n_retain_ref, n_validation_ref, n_fit : sample counts.
    """

    method: str | None
    forget_member_rate: float
    forget_member_ci: tuple[float, float]
    retain_member_rate: float
    retain_member_ci: tuple[float, float]
    validation_member_rate: float
    validation_member_ci: tuple[float, float]
    attack_auc: float
    retain_acc: float
    forget_acc: float
    test_acc: float
    starting_kit_accuracy: float
    distinguishable: bool
    forget_scores: np.ndarray = field(repr=False)
    forget_called: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, bool))
    attack: str = "lr"
    n_forget: int = 0
    n_retain_ref: int = 0
    n_validation_ref: int = 0
    n_fit: int = 0
    warnings: tuple[str, ...] = ()
    retrain_gap: dict[str, float] | None = None
    vs_retrain: PairedGap | None = None
    verdict: str | None = None

    def with_yardstick(self, retrained: UnlearningReport, *, margin: float = DEFAULT_MARGIN,
                       confidence: float = 0.90) -> UnlearningReport:
        """This report with the gaps to ``retrained`` (the report of the retrained model) filled in.

        The verdict is the paired comparison of the forget calls (:func:`paired_gap`): both reports
        must judge the same forget samples (same split).
        """
        if not isinstance(retrained, UnlearningReport):
            raise TypeError(f"retrained must be an UnlearningReport, got {type(retrained).__name__}")
        if self.forget_called.shape != retrained.forget_called.shape or self.forget_called.size == 0:
            raise ValueError(f"retrained judges {retrained.forget_called.size} forget samples, this report "
                             f"{self.forget_called.size}; expected the same forget set (same split)")
        gap = {name: getattr(self, name) - getattr(retrained, name) for name in FIGURES}
        paired = paired_gap(self.forget_called, retrained.forget_called, margin=margin, confidence=confidence)
        return dataclasses.replace(self, retrain_gap=gap, vs_retrain=paired, verdict=paired.verdict)

    def as_dict(self) -> dict:
        """Plain numbers for JSON: every figure, the intervals, flags and gaps (no arrays)."""
        out = {"method": self.method, "attack": self.attack}
        for name in FIGURES:
            out[name] = float(getattr(self, name))
        for name in RATES:
            out[name.replace("_rate", "_ci")] = [float(v) for v in getattr(self, name.replace("_rate", "_ci"))]
        out.update(distinguishable=bool(self.distinguishable), warnings=list(self.warnings), verdict=self.verdict,
                   n_forget=self.n_forget, n_retain_ref=self.n_retain_ref, n_validation_ref=self.n_validation_ref)
        if self.retrain_gap is not None:
            out["retrain_gap"] = {k: float(v) for k, v in self.retrain_gap.items()}
        if self.vs_retrain is not None:
            out["vs_retrain"] = paired_dict(self.vs_retrain)
        return out

    def summary(self) -> str:
        """One line: the forget rate between its two reference points, accuracies and the verdict."""
        f_lo, f_hi = self.forget_member_ci
        line = (f"{self.method or 'model'}: forget called member {self.forget_member_rate:.1%} "
                f"[{f_lo:.1%}, {f_hi:.1%}] (retain {self.retain_member_rate:.1%}, validation "
                f"{self.validation_member_rate:.1%}); acc retain {self.retain_acc:.3f} forget {self.forget_acc:.3f} "
                f"test {self.test_acc:.3f}; starting kit {self.starting_kit_accuracy:.3f}")
        if self.vs_retrain is not None:
            v = self.vs_retrain
            line += (f"; vs retrain {v.gap:+.1%} [{v.low:+.1%}, {v.high:+.1%}] (margin ±{v.margin:.0%}): "
                     f"{self.verdict}")
        if not self.distinguishable:
            line += " [attack sees nothing: inconclusive]"
        return line


def _reference_indices(split: UnlearningSplit, reference_fraction: float, rng: np.random.Generator):
    """Fit and held-out reference parts of validation and retain, balanced in size."""
    val = rng.permutation(split.validation)
    ret = rng.permutation(split.retain)
    n_ref = int(round(len(val) * reference_fraction))
    n_ref = min(n_ref, len(val) - 1, len(ret) // 2)
    if n_ref < 1:
        raise ValueError(f"validation ({len(split.validation)}) and retain ({len(split.retain)}) are too small to "
                         "hold out reference samples; expected at least 2 samples in each")
    n_fit = min(len(val) - n_ref, len(ret) - n_ref)
    return ret[:n_fit], val[:n_fit], ret[n_fit:n_fit + n_ref], val[n_fit:n_fit + n_ref]


def evaluate_unlearning(model: TrainedModel, X, y, split: UnlearningSplit, *, attack=None,
                        signals: Sequence[str] = DEFAULT_SIGNALS, seed: int = 0, reference_fraction: float = 0.5,
                        retrained: TrainedModel | UnlearningReport | None = None, method: str | None = None,
                        confidence: float = 0.95) -> UnlearningReport:
    """Evaluate an (unlearned) model with a membership inference attack (the protocol above).

    Parameters
    ----------
    model : TrainedModel
        The model to evaluate (after unlearning, or the original as a control).
    X, y : the whole data set ``split`` indexes.
    split : UnlearningSplit
    attack : None, "lr", "svc", or a scikit-learn classifier / signal-level attack
        The attack model, fitted on retain (member) vs validation (non-member) signals of ``model``.
        Default: logistic regression on standardised signals.
    signals : names of the signals the attack reads (see :data:`mia_edu.signals.SIGNALS`).
    seed : which retain and validation samples are held out as reference points (the same seed
        gives the same samples for every model, so methods are compared on the same footing), and
        the starting kit's folds.
    reference_fraction : fraction of the validation set held out for the reference rates (the same
        number of retain samples is held out too).
    retrained : the model retrained from scratch (or its report): fills in
        :attr:`UnlearningReport.retrain_gap` and :attr:`UnlearningReport.verdict`.
    method : a name to carry in the report.
    confidence : level of the rates' intervals.

    Returns
    -------
    UnlearningReport

    Notes
    -----
    The attack is fitted with BLAS/OpenMP limited to one thread: on these small problems extra
    threads only contend (measured on a busy 2-core machine: 3.2 s per evaluation with two threads,
    0.5 s with one).
    """
    with single_thread():
        return _evaluate(model, X, y, split, attack=attack, signals=signals, seed=seed,
                         reference_fraction=reference_fraction, retrained=retrained, method=method,
                         confidence=confidence)


def _evaluate(model, X, y, split, *, attack, signals, seed, reference_fraction, retrained, method,
              confidence) -> UnlearningReport:
    """The body of :func:`evaluate_unlearning` (steps 1–5 of the module docstring)."""
    X, y = check_unlearning_inputs(model, X, y, split)
    check_int(seed, "seed", minimum=0)
    reference_fraction = check_fraction(reference_fraction, "reference_fraction")
    if isinstance(signals, str):
        signals = (signals,)
    signals = list(signals)
    if retrained is not None and not isinstance(retrained, (TrainedModel, UnlearningReport)):
        raise TypeError(f"retrained must be a TrainedModel or an UnlearningReport, got {type(retrained).__name__}")
    rng = rng_from(seed)
    ret_fit, val_fit, ret_ref, val_ref = _reference_indices(split, reference_fraction, rng)

    logits = model.logits(X)  # one forward pass over everything (the data sets here are small)
    S_all, columns = signal_matrix(compute_signals(logits, y), signals)

    # Steps 1–2: fit on retain (member) vs validation (non-member).
    fitted = make_attack(attack).fit(np.r_[S_all[ret_fit], S_all[val_fit]],
                                     np.r_[np.ones(len(ret_fit), bool), np.zeros(len(val_fit), bool)])

    # Step 3–4: the forget set, and the two held-out reference sets, through the same attack.
    def called_member(idx):
        return np.asarray(fitted.predict(S_all[idx])).astype(bool)

    forget_called = called_member(split.forget)
    forget_called.setflags(write=False)
    forget_rate, forget_ci = member_rate(forget_called, confidence=confidence)
    retain_rate, retain_ci = member_rate(called_member(ret_ref), confidence=confidence)
    val_rate, val_ci = member_rate(called_member(val_ref), confidence=confidence)
    ref_scores = fitted.decision_function(np.r_[S_all[ret_ref], S_all[val_ref]])
    auc = metrics.roc_auc(ref_scores, np.r_[np.ones(len(ret_ref), bool), np.zeros(len(val_ref), bool)])

    pred = logits.argmax(axis=1)
    acc = {name: float(np.mean(pred[idx] == y[idx])) for name, idx in
           (("retain", split.retain), ("forget", split.forget), ("test", split.test))}
    loss = compute_signals(logits, y)["loss"]
    kit = starting_kit_accuracy(loss[split.forget], loss[split.test], seed=int(rng.integers(2**31 - 1)))

    distinguishable = retain_ci[0] > val_ci[1]
    warnings = []
    if not distinguishable:
        warnings.append(f"the attack cannot tell retain from validation on this model (rates {retain_rate:.1%} vs "
                        f"{val_rate:.1%}, AUC {auc:.3f}): the forget-as-member rate proves nothing either way")
    report = UnlearningReport(
        method=method, forget_member_rate=forget_rate, forget_member_ci=forget_ci,
        retain_member_rate=retain_rate, retain_member_ci=retain_ci,
        validation_member_rate=val_rate, validation_member_ci=val_ci, attack_auc=auc,
        retain_acc=acc["retain"], forget_acc=acc["forget"], test_acc=acc["test"], starting_kit_accuracy=kit,
        distinguishable=bool(distinguishable), forget_scores=np.asarray(fitted.decision_function(S_all[split.forget])),
        forget_called=forget_called,
        attack=attack_name(attack), n_forget=len(split.forget), n_retain_ref=len(ret_ref),
        n_validation_ref=len(val_ref), n_fit=len(ret_fit), warnings=tuple(warnings))
    report.forget_scores.setflags(write=False)
    if retrained is not None:
        if isinstance(retrained, TrainedModel):
            retrained = evaluate_unlearning(retrained, X, y, split, attack=attack, signals=signals, seed=seed,
                                            reference_fraction=reference_fraction, method="retrain",
                                            confidence=confidence)
        report = report.with_yardstick(retrained)
    return report
