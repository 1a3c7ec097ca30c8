"""Q7 demo: the mechanisms behind the activation functions, not a ranking.

Computes each activation's derivative at z = −1 (only ReLU is flat there) and, by
quadrature against the N(0,1) density, its mean output: the further the mean is from 0,
the more the next layer sees a shifted input. SELU's mean is 0 by design.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import Claim, DemoResult, Plot, Series, above, close, holds

Array = npt.NDArray[np.float64]

SELU_LAMBDA = 1.0507009873554805
SELU_ALPHA = 1.6732632423543772
LEAKY_ALPHA = 0.2

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(z: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-z))
    return out


def _softplus(z: Array) -> Array:
    out: Array = np.logaddexp(0.0, z)
    return out


def _phi(z: Array) -> Array:
    """Standard normal density."""
    out: Array = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return out


def _cdf(z: Array) -> Array:
    """Standard normal CDF, exact through math.erf."""
    out: Array = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
    return out


def relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def leaky(z: Array) -> Array:
    return np.where(z > 0, z, LEAKY_ALPHA * z)


def elu(z: Array) -> Array:
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def selu(z: Array) -> Array:
    out: Array = SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))
    return out


def gelu(z: Array) -> Array:
    out: Array = z * _cdf(z)
    return out


def swish(z: Array) -> Array:
    out: Array = z * _sigmoid(z)
    return out


def mish(z: Array) -> Array:
    out: Array = z * np.tanh(_softplus(z))
    return out


# Analytic derivatives f'(z), used at z = −1.
DERIVATIVES: dict[str, Callable[[Array], Array]] = {
    "ReLU": lambda z: (z > 0).astype(np.float64),
    "leaky ReLU (α = 0.2)": lambda z: np.where(z > 0, 1.0, LEAKY_ALPHA),
    "ELU": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
    "SELU": lambda z: SELU_LAMBDA * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0))),
    "GELU": lambda z: _cdf(z) + z * _phi(z),
    "Swish": lambda z: _sigmoid(z) * (1.0 + z * (1.0 - _sigmoid(z))),
    "Mish": lambda z: np.tanh(_softplus(z)) + z * (1.0 - np.tanh(_softplus(z)) ** 2) * _sigmoid(z),
}


def _gaussian_mean(f: Callable[[Array], Array]) -> float:
    """E[f(z)] for z ~ N(0, 1) by the trapezoid rule on [−12, 12] with step 1e-4."""
    z = np.linspace(-12.0, 12.0, 240_001)
    y = f(z) * _phi(z)
    h = float(z[1] - z[0])
    return float(h * (y.sum() - 0.5 * (y[0] + y[-1])))


def run(rng: np.random.Generator) -> DemoResult:
    del rng  # exact computation: nothing random here
    minus_one = np.array([-1.0])
    slopes = {name: float(d(minus_one)[0]) for name, d in DERIVATIVES.items()}
    means = {
        "ReLU": _gaussian_mean(relu),
        "leaky": _gaussian_mean(leaky),
        "ELU": _gaussian_mean(elu),
        "SELU": _gaussian_mean(selu),
    }

    claims: list[Claim] = [close("ReLU'(−1): no gradient at all", slopes["ReLU"], 0.0, 0.0)]
    claims += [
        above(f"|{name}'(−1)|", abs(slope), 0.05)
        for name, slope in slopes.items()
        if name != "ReLU"
    ]
    claims += [
        close("E[ReLU(z)], z ~ N(0,1): 1/√(2π)", means["ReLU"], 0.398942, 5e-7),
        close(
            "E[ReLU(z)] equals 1/√(2π) to 1e-9", means["ReLU"], 1.0 / math.sqrt(2 * math.pi), 1e-9
        ),
        close("E[leaky ReLU 0.2 (z)]: 0.8/√(2π)", means["leaky"], 0.319154, 5e-7),
        close("E[ELU(z)]", means["ELU"], 0.160521, 5e-7),
        close("E[SELU(z)]: zero by design", means["SELU"], 0.0, 1e-6),
        holds(
            "E[ReLU] > E[leaky ReLU] > E[ELU] > |E[SELU]|",
            means["ReLU"] > means["leaky"] > means["ELU"] > abs(means["SELU"]),
        ),
    ]

    z = np.linspace(-4.0, 2.0, 121)
    zs = z.tolist()
    piecewise = Plot(
        title="ReLU and its variants",
        xlabel="z",
        ylabel="f(z)",
        series=[
            Series(zs, relu(z).tolist(), "ReLU"),
            Series(zs, leaky(z).tolist(), "leaky ReLU 0.2"),
            Series(zs, elu(z).tolist(), "ELU"),
            Series(zs, selu(z).tolist(), "SELU"),
        ],
    )
    smooth = Plot(
        title="Smooth, non-monotonic activations",
        xlabel="z",
        ylabel="f(z)",
        series=[
            Series(zs, gelu(z).tolist(), "GELU"),
            Series(zs, swish(z).tolist(), "Swish"),
            Series(zs, mish(z).tolist(), "Mish"),
        ],
    )
    return DemoResult(
        title="Why other activations can beat ReLU",
        sentence=(
            "There is no fixed ranking: leaky variants and ELU keep a gradient where ReLU has "
            "none, ELU and SELU push the mean output toward 0, and GELU, Swish and Mish "
            "usually do best, depending on the task."
        ),
        claims=claims,
        plots=[piecewise, smooth],
    )
