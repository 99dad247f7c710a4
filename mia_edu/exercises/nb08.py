"""Checks for notebook 08 (defences: how much DP-SGD noise for ε ≤ 1)."""

from __future__ import annotations

from . import diagnoses, exercise

SIGMAS = (0.5, 1, 2, 4, 8, 16)


def _smallest_sigma(config, n_train: int) -> float:
    from ..training import dp_epsilon  # notebook 08's accountant (Opacus RDP), imported on use

    for sigma in SIGMAS:
        eps, _ = dp_epsilon(config.replace(dp_noise_multiplier=float(sigma)), int(n_train))
        if eps <= 1:
            return float(sigma)
    return -1.0


def _noise_mistake(given, right, **_):
    if given["sigma_cli"] > given["sigma_notebook"]:
        return "The larger training set is sampled at a lower rate per step: it needs *less* noise, not more."
    return None


@diagnoses(_noise_mistake)
@exercise("08.1", "the smallest noise multiplier σ for ε ≤ 1", answers=("sigma_notebook", "sigma_cli"),
          context=("config", "n_train"), atol=1e-9,
          hint="for σ in 0.5, 1, 2, 4, 8, 16 compute dp_epsilon(config.replace(dp_noise_multiplier=σ), n) and stop at "
               "the first ε ≤ 1; the command line's recipe is TrainConfig(epochs=30) on 1,250 members.")
def _ex1(*, config, n_train):
    from ..training import TrainConfig
    return {"sigma_notebook": _smallest_sigma(config, n_train), "sigma_cli": _smallest_sigma(TrainConfig(epochs=30), 1250)}
