"""Q7 demo: the mechanisms behind the activation functions, not a ranking.

Measures each activation's slope at z = −1 (only ReLU is flat there) and at z = −6
(where every smooth one fades toward 0 too: none keeps a gradient for all inputs) and, by
quadrature against the N(0,1) density, its mean output: the further the mean is from 0,
the more the next layer sees a shifted input. SELU's mean is 0 by design.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import (
    CHECK,
    VALUE,
    Claim,
    DemoResult,
    Plot,
    Series,
    above,
    below,
    close,
    holds,
)

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


ACTIVATIONS: dict[str, Callable[[Array], Array]] = {
    "ReLU": relu,
    "leaky ReLU (α = 0.2)": leaky,
    "ELU": elu,
    "SELU": selu,
    "GELU": gelu,
    "Swish": swish,
    "Mish": mish,
}


def _slope(f: Callable[[Array], Array], z: float) -> float:
    """f'(z) measured by a central difference of f itself, not from a derivative formula."""
    h = 1e-6
    return float((f(np.array([z + h])) - f(np.array([z - h])))[0] / (2 * h))


def _gaussian_mean(f: Callable[[Array], Array]) -> float:
    """E[f(z)] for z ~ N(0, 1) by the trapezoid rule on [−12, 12] with step 1e-4."""
    z = np.linspace(-12.0, 12.0, 240_001)
    y = f(z) * _phi(z)
    h = float(z[1] - z[0])
    return float(h * (y.sum() - 0.5 * (y[0] + y[-1])))


def run(rng: np.random.Generator) -> DemoResult:
    del rng  # exact computation: nothing random here
    slopes = {name: _slope(f, -1.0) for name, f in ACTIVATIONS.items()}
    far = {name: _slope(f, -6.0) for name, f in ACTIVATIONS.items()}
    means = {
        "ReLU": _gaussian_mean(relu),
        "leaky": _gaussian_mean(leaky),
        "ELU": _gaussian_mean(elu),
        "SELU": _gaussian_mean(selu),
    }
    smooth = ("ELU", "SELU", "GELU", "Swish", "Mish")
    claims: list[Claim] = [
        close("ReLU'(−1): no gradient at all", slopes["ReLU"], 0.0, 1e-9, key=True, kind=CHECK)
    ]
    claims += [
        above(
            f"|{name}'(−1)|: a gradient for a moderately negative input",
            abs(slope),
            0.05,
            key=name == "GELU",
            kind=CHECK,
        )
        for name, slope in slopes.items()
        if name != "ReLU"
    ]
    claims += [
        below(
            f"|{name}'(−6)|: the gradient fades for very negative inputs",
            abs(far[name]),
            0.02,
            kind=CHECK,
        )
        for name in smooth
    ]
    claims += [
        close(
            "leaky ReLU'(−6): the slope α = 0.2 stays",
            far["leaky ReLU (α = 0.2)"],
            0.2,
            1e-6,
            kind=CHECK,
        ),
        close("E[ReLU(z)], z ~ N(0,1): 1/√(2π)", means["ReLU"], 0.398942, 5e-7, kind=VALUE),
        close(
            "E[ReLU(z)] equals 1/√(2π) to 1e-9",
            means["ReLU"],
            1.0 / math.sqrt(2 * math.pi),
            1e-9,
            kind=VALUE,
        ),
        close("E[leaky ReLU 0.2 (z)]: 0.8/√(2π)", means["leaky"], 0.319154, 5e-7, kind=VALUE),
        close("E[ELU(z)]", means["ELU"], 0.160521, 5e-7, kind=VALUE),
        close("E[SELU(z)]: zero by design", means["SELU"], 0.0, 1e-6, key=True, kind=CHECK),
        holds(
            "E[ReLU] > E[leaky ReLU] > E[ELU] > |E[SELU]|",
            means["ReLU"] > means["leaky"] > means["ELU"] > abs(means["SELU"]),
            kind=CHECK,
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
    smooth_plot = Plot(
        title="Smooth, non-monotonic activations",
        xlabel="z",
        ylabel="f(z)",
        series=[
            Series(zs, gelu(z).tolist(), "GELU"),
            Series(zs, swish(z).tolist(), "Swish"),
            Series(zs, mish(z).tolist(), "Mish"),
        ],
        panels=True,
    )
    return DemoResult(
        title="Why other activations can beat ReLU",
        sentence=(
            "There is no fixed ranking: leaky variants and ELU keep a gradient where ReLU has "
            "none, ELU and SELU push the mean output toward 0, and GELU, Swish and Mish "
            "usually do best, depending on the task."
        ),
        claims=claims,
        plots=[piecewise, smooth_plot],
    )
