"""Q8 demo: when SELU self-normalizes, and what breaks it.

Derives λ and α from the self-normalization fixed point, then pushes standardized
inputs through 100 dense layers of width 100: SELU with LeCun-normal weights keeps
mean 0 and std 1, while ELU, He initialization or regular dropout do not; alpha dropout
keeps the statistics.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import (
    CHECK,
    VALUE,
    DemoResult,
    Plot,
    Series,
    above,
    below,
    between,
    close,
)

Array = npt.NDArray[np.float64]

SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
DEPTH = 100
WIDTH = 100
BATCH = 128
DROP = 0.1
TAIL = 10


def _fixed_point_constants() -> tuple[float, float]:
    """α and λ from the closed forms in Klambauer et al. (2017): the (mean 0, var 1) fixed point."""
    e = math.e
    c1 = math.erfc(1.0 / math.sqrt(2.0))
    c2 = math.erfc(math.sqrt(2.0))
    alpha = -math.sqrt(2.0 / math.pi) / (c1 * math.sqrt(e) - 1.0)
    lam = (
        (1.0 - c1 * math.sqrt(e))
        * math.sqrt(2.0 * math.pi)
        * (
            2.0 * c2 * e**2
            + math.pi * c1**2 * e
            - 2.0 * (2.0 + math.pi) * c1 * math.sqrt(e)
            + math.pi
            + 2.0
        )
        ** -0.5
    )
    return lam, alpha


def _selu(z: Array) -> Array:
    out: Array = SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))
    return out


def _elu(z: Array) -> Array:
    out: Array = np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))
    return out


def _regular_dropout(rng: np.random.Generator, a: Array) -> Array:
    """Keras Dropout in training mode: zero with probability p, scale survivors by 1/(1−p)."""
    keep = rng.random(a.shape) >= DROP
    out: Array = np.where(keep, a / (1.0 - DROP), 0.0)
    return out


def _alpha_dropout(rng: np.random.Generator, a: Array) -> Array:
    """Alpha dropout: dropped units go to SELU's saturation value −λα, then an affine fix."""
    q = 1.0 - DROP
    sat = -SELU_LAMBDA * SELU_ALPHA
    scale = (q + sat**2 * q * (1.0 - q)) ** -0.5
    shift = -scale * (1.0 - q) * sat
    keep = rng.random(a.shape) >= DROP
    out: Array = scale * np.where(keep, a, sat) + shift
    return out


def _stack(
    x: Array,
    weights: list[Array],
    act: Callable[[Array], Array],
    gain: float = 1.0,
    drop: Callable[[Array], Array] | None = None,
) -> tuple[list[float], list[float]]:
    """Per-layer mean and std of the activations through the whole stack."""
    means: list[float] = []
    stds: list[float] = []
    a = x
    for w in weights:
        a = act(a @ (gain * w) if gain != 1.0 else a @ w)
        if drop is not None:
            a = drop(a)
        means.append(float(a.mean()))
        stds.append(float(a.std()))
    return means, stds


def run(rng: np.random.Generator) -> DemoResult:
    lam, alpha = _fixed_point_constants()
    x = rng.standard_normal((BATCH, WIDTH))  # standardized inputs
    lecun = [rng.normal(0.0, math.sqrt(1.0 / WIDTH), (WIDTH, WIDTH)) for _ in range(DEPTH)]

    selu_mean, selu_std = _stack(x, lecun, _selu)
    _, elu_std = _stack(x, lecun, _elu)
    _, he_std = _stack(x, lecun, _selu, gain=math.sqrt(2.0))  # He: variance 2/fan_in
    _, reg_std = _stack(x, lecun, _selu, drop=lambda a: _regular_dropout(rng, a))
    alpha_mean, alpha_std = _stack(x, lecun, _selu, drop=lambda a: _alpha_dropout(rng, a))

    # The statistics at the top of the stack, averaged over its last TAIL layers: one
    # layer's value alone wanders with that layer's random weights.
    def top(values: list[float]) -> float:
        return float(np.mean(values[-TAIL:]))

    claims = [
        close(
            "SELU λ, derived from the fixed-point equations",
            lam,
            1.0507009873554805,
            1e-12,
            kind=VALUE,
        ),
        close(
            "SELU α, derived from the fixed-point equations (not just 1.67)",
            alpha,
            1.6732632423543772,
            1e-12,
            kind=VALUE,
        ),
        close(
            "SELU's lower limit −λα", -SELU_LAMBDA * SELU_ALPHA, -1.7580993408, 5e-11, kind=VALUE
        ),
        below("SELU + LeCun normal, layers 91–100: |mean|", abs(top(selu_mean)), 0.1, kind=CHECK),
        between(
            "SELU + LeCun normal, layers 91–100: std",
            top(selu_std),
            0.85,
            1.15,
            key=True,
            kind=CHECK,
        ),
        below("ELU + LeCun normal, layers 91–100: std (it fades)", top(elu_std), 0.1, kind=CHECK),
        above(
            "SELU + He normal, layer 100: std (it explodes)", he_std[-1], 5.0, key=True, kind=CHECK
        ),
        above(
            "SELU + regular dropout 0.1, layers 91–100: std",
            top(reg_std),
            1.15,
            key=True,
            kind=CHECK,
        ),
        between(
            "SELU + alpha dropout 0.1, layers 91–100: std",
            top(alpha_std),
            0.9,
            1.1,
            key=True,
            kind=CHECK,
        ),
        below(
            "SELU + alpha dropout 0.1, layers 91–100: |mean|", abs(top(alpha_mean)), 0.1, kind=CHECK
        ),
    ]
    layers = [float(k) for k in range(1, DEPTH + 1)]
    init_plot = Plot(
        title="Std through 100 layers: activation and initialization",
        xlabel="layer",
        ylabel="std",
        series=[
            Series(layers, selu_std, "SELU, LeCun"),
            Series(layers, elu_std, "ELU, LeCun"),
            Series(layers, he_std, "SELU, He"),
        ],
        log_y=True,
    )
    dropout_plot = Plot(
        title="Std through 100 layers: SELU + LeCun with dropout 0.1",
        xlabel="layer",
        ylabel="std",
        series=[
            Series(layers, reg_std, "regular dropout"),
            Series(layers, alpha_std, "alpha dropout"),
        ],
    )
    return DemoResult(
        title="SELU self-normalization and its conditions",
        sentence=(
            "SELU (λ ≈ 1.0507, α ≈ 1.6733) self-normalizes only with standardized inputs, "
            "LeCun-normal weights and a plain dense stack; regular dropout breaks it but alpha "
            "dropout does not."
        ),
        claims=claims,
        plots=[init_plot, dropout_plot],
    )
