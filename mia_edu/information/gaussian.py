"""Two Gaussians, the course's ground truth: every quantity of the theoretical best, exactly."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import integrate, optimize, stats

from .._validation import check_fraction, check_int, rng_from
from ._common import LN2, _check_real


@dataclass(frozen=True)
class GaussianCase:
    """Members ~ N(mu, sigma1²), non-members ~ N(0, sigma0²), P(member) = prior: everything exact.

    The Bayes-optimal attack thresholds the log-likelihood ratio ``q(x) = log f1(x) − log f0(x)``,
    a quadratic in x. With equal variances it is a threshold on x; with unequal variances the
    member region is an interval or the outside of one (two-sided), handled exactly here.

    Attributes (computed)
    ---------------------
    bayes_error : the lowest possible error, ``prior · FNR + (1 − prior) · FPR`` of the optimal rule.
    auc : AUC of the optimal (likelihood-ratio) attack.
    advantage : best TPR − FPR of any attack = total variation distance (does not depend on prior).
    mi_bits : I(X; membership) in bits (numerical quadrature).
    """

    mu: float
    sigma0: float = 1.0
    sigma1: float = 1.0
    prior: float = 0.5
    bayes_error: float = field(init=False)
    auc: float = field(init=False)
    advantage: float = field(init=False)
    mi_bits: float = field(init=False)

    def __post_init__(self):
        _check_real(self.mu, "mu")
        _check_real(self.sigma0, "sigma0", positive=True)
        _check_real(self.sigma1, "sigma1", positive=True)
        check_fraction(self.prior, "prior")
        p = self.prior
        fpr, tpr = self._region_rates(math.log((1 - p) / p))
        values = {"bayes_error": p * (1 - tpr) + (1 - p) * fpr,
                  "advantage": float(np.subtract(*self._region_rates(0.0)[::-1])),
                  "auc": self._auc(), "mi_bits": self._mi_bits()}
        for name, value in values.items():
            object.__setattr__(self, name, float(value))

    # q(x) = a x² + b x + c
    @property
    def _coefficients(self) -> tuple[float, float, float]:
        s0, s1, mu = self.sigma0, self.sigma1, self.mu
        a = 0.5 / s0**2 - 0.5 / s1**2
        if abs(a) < 1e-9 / max(s0, s1) ** 2:  # numerically equal variances: the quadratic term is noise
            a = 0.0
        return a, mu / s1**2, math.log(s0 / s1) - mu**2 / (2 * s1**2)

    def log_likelihood_ratio(self, x) -> np.ndarray:
        """``log f1(x) − log f0(x)``: the score of the Bayes-optimal attack (higher = member)."""
        x = np.asarray(x, dtype=np.float64)
        return stats.norm.logpdf(x, self.mu, self.sigma1) - stats.norm.logpdf(x, 0.0, self.sigma0)

    def _rates_outside(self, v, r):  # P(|X − v| > r) for non-members, members
        def p(m, s):
            return stats.norm.cdf((v - r - m) / s) + stats.norm.sf((v + r - m) / s)
        return p(0.0, self.sigma0), p(self.mu, self.sigma1)

    def _rates_inside(self, v, r):  # P(|X − v| < r)
        def p(m, s):
            return stats.norm.cdf((v + r - m) / s) - stats.norm.cdf((v - r - m) / s)
        return p(0.0, self.sigma0), p(self.mu, self.sigma1)

    def _region_rates(self, t: float) -> tuple[float, float]:
        """(FPR, TPR) of the rule "member iff q(x) > t"."""
        a, b, c = self._coefficients
        if a == 0:
            if b == 0:
                return (1.0, 1.0) if c > t else (0.0, 0.0)
            x0 = (t - c) / b
            if b > 0:
                return stats.norm.sf(x0 / self.sigma0), stats.norm.sf((x0 - self.mu) / self.sigma1)
            return stats.norm.cdf(x0 / self.sigma0), stats.norm.cdf((x0 - self.mu) / self.sigma1)
        v, qv = -b / (2 * a), c - b * b / (4 * a)
        if a > 0:
            return (1.0, 1.0) if t < qv else self._rates_outside(v, math.sqrt((t - qv) / a))
        return (0.0, 0.0) if t >= qv else self._rates_inside(v, math.sqrt((qv - t) / -a))

    def _tpr_at(self, alpha: float) -> float:
        a, b, _ = self._coefficients
        if alpha <= 0 or alpha >= 1:
            return float(alpha >= 1)
        if a == 0:
            if b == 0:
                return alpha  # no information: the best is to guess at random
            x0 = self.sigma0 * (stats.norm.isf(alpha) if b > 0 else stats.norm.ppf(alpha))
            return float(stats.norm.sf((x0 - self.mu) / self.sigma1) if b > 0
                         else stats.norm.cdf((x0 - self.mu) / self.sigma1))
        v = -b / (2 * a)
        rates = self._rates_outside if a > 0 else self._rates_inside
        r_hi = abs(v) + self.sigma0 * (stats.norm.isf(min(alpha, 1 - alpha) / 2) + 1)
        r = optimize.brentq(lambda r: rates(v, r)[0] - alpha, 0.0, r_hi, xtol=1e-300, rtol=1e-15)
        return float(rates(v, r)[1])

    def optimal_roc(self, fpr) -> np.ndarray | float:
        """TPR of the Bayes-optimal attack at the given false-positive rate(s) in [0, 1]."""
        f = np.asarray(fpr, dtype=np.float64)
        if not np.all(np.isfinite(f)) or np.any((f < 0) | (f > 1)):
            raise ValueError(f"fpr must lie in [0, 1], got {fpr}")
        out = np.array([self._tpr_at(float(a)) for a in f.ravel()]).reshape(f.shape)
        return float(out) if out.ndim == 0 else out

    def _limits(self) -> tuple[float, float, list[float]]:
        a, b, _ = self._coefficients
        width = 40 * max(self.sigma0, self.sigma1)
        lo, hi = min(0.0, self.mu) - width, max(0.0, self.mu) + width
        vertex = {-b / (2 * a)} if a != 0 and lo < -b / (2 * a) < hi else set()
        return lo, hi, sorted({0.0, self.mu} | vertex)

    def _auc(self) -> float:
        a, b, _ = self._coefficients
        if a == 0:
            spread = math.hypot(self.sigma0, self.sigma1)
            return 0.5 if b == 0 else float(stats.norm.cdf(abs(self.mu) / spread))
        v = -b / (2 * a)
        rates = self._rates_outside if a > 0 else self._rates_inside
        # AUC = P(q(X1) > q(X0)) = E over non-members x of the TPR at threshold q(x).
        lo, hi, points = self._limits()
        val, _ = integrate.quad(lambda x: stats.norm.pdf(x, 0, self.sigma0) * rates(v, abs(x - v))[1],
                                lo, hi, points=points, limit=200, epsabs=1e-13, epsrel=1e-12)
        return float(val)

    def _mi_bits(self) -> float:
        p = self.prior

        def integrand(x):
            l1 = stats.norm.logpdf(x, self.mu, self.sigma1)
            l0 = stats.norm.logpdf(x, 0.0, self.sigma0)
            lm = np.logaddexp(math.log(p) + l1, math.log(1 - p) + l0)
            return p * math.exp(l1) * (l1 - lm) + (1 - p) * math.exp(l0) * (l0 - lm)

        lo, hi, points = self._limits()
        val, _ = integrate.quad(integrand, lo, hi, points=points, limit=200, epsabs=1e-13, epsrel=1e-12)
        return max(0.0, val / LN2)

    def sample(self, n: int, seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` samples (``round(n · prior)`` members, shuffled): ``(features, is_member)``."""
        n = check_int(n, "n", minimum=2)
        rng = rng_from(seed)
        n1 = min(n - 1, max(1, round(n * self.prior)))
        is_member = np.zeros(n, dtype=bool)
        is_member[:n1] = True
        rng.shuffle(is_member)
        x = np.where(is_member, rng.normal(self.mu, self.sigma1, n), rng.normal(0.0, self.sigma0, n))
        return x, is_member


def gaussian_case(mu: float, sigma0: float = 1.0, sigma1: float = 1.0, prior: float = 0.5) -> GaussianCase:
    """The course's ground truth: members ~ N(mu, sigma1²) vs non-members ~ N(0, sigma0²).

    Examples
    --------
    >>> g = gaussian_case(1.0)
    >>> round(g.bayes_error, 4), round(g.auc, 4), round(g.advantage, 4), round(g.mi_bits, 4)
    (0.3085, 0.7602, 0.3829, 0.1607)
    >>> round(g.optimal_roc(0.001), 4)
    0.0183
    """
    return GaussianCase(mu, sigma0, sigma1, prior)
