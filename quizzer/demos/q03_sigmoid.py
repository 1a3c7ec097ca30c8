"""Q3 demo: why the sigmoid saturates.

Evaluates σ and σ' = σ(1−σ) on a fine grid (maximum 0.25 at z = 0, tiny tails), then
counts how many pre-activations of a 100-input layer land in the flat tails with
N(0,1) weights versus Glorot weights.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, DemoResult, Plot, Series, above, below, close

Array = npt.NDArray[np.float64]

FAN_IN = 100
FAN_OUT = 100
BATCH = 2000
SATURATED = 0.0067  # σ'(z) below this means |z| > 5 (σ'(5) ≈ 0.0066481)


def _sigmoid(z: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-z))
    return out


def _dsigmoid(z: Array) -> Array:
    s = _sigmoid(z)
    out: Array = s * (1.0 - s)
    return out


def _at(z: float) -> float:
    return float(_dsigmoid(np.array([z]))[0])


def run(rng: np.random.Generator) -> DemoResult:
    grid = np.linspace(-10.0, 10.0, 2_000_001)  # step 1e-5, includes z = 0
    d_grid = _dsigmoid(grid)
    i_max = int(np.argmax(d_grid))

    x = rng.standard_normal((BATCH, FAN_IN))  # standardized inputs
    z_normal = x @ rng.standard_normal((FAN_IN, FAN_OUT))
    glorot_std = float(np.sqrt(2.0 / (FAN_IN + FAN_OUT)))
    z_glorot = x @ rng.normal(0.0, glorot_std, (FAN_IN, FAN_OUT))
    sat_normal = float(np.mean(_dsigmoid(z_normal) < SATURATED))
    sat_glorot = float(np.mean(_dsigmoid(z_glorot) < SATURATED))

    claims = [
        close(
            "max σ'(z) on a grid of step 1e-5 over [−10, 10]",
            float(d_grid[i_max]),
            0.25,
            1e-12,
            key=True,
            kind=CHECK,
        ),
        below("|z| where σ' is largest", abs(float(grid[i_max])), 1e-9, kind=CHECK),
        close("σ'(0)", _at(0.0), 0.25, 1e-15, kind=VALUE),
        close("σ'(5)", _at(5.0), 0.0066480567, 5e-11, key=True, kind=VALUE),
        close("σ'(−5) equals σ'(5)", _at(-5.0), 0.0066480567, 5e-11, kind=VALUE),
        close("σ'(10) ≈ 4.5e-5", _at(10.0), 4.5e-5, 5e-7, kind=VALUE),
        below("0.25¹⁰: ten layers of the best-case factor", 0.25**10, 1e-6, kind=VALUE),
        close(
            "mean sigmoid output for Glorot pre-activations (not 0)",
            float(np.mean(_sigmoid(z_glorot))),
            0.5,
            0.01,
            kind=CHECK,
        ),
        above(
            "N(0,1) weights: share of pre-activations saturated (σ' < 0.0067)",
            sat_normal,
            0.55,
            key=True,
            kind=CHECK,
        ),
        below("Glorot weights: share of pre-activations saturated", sat_glorot, 0.001, kind=CHECK),
    ]
    z_plot = np.linspace(-10.0, 10.0, 201)
    plot = Plot(
        title="The sigmoid and its derivative",
        xlabel="z",
        ylabel="value",
        series=[
            Series(z_plot.tolist(), _sigmoid(z_plot).tolist(), "σ(z)"),
            Series(z_plot.tolist(), _dsigmoid(z_plot).tolist(), "σ'(z) ≤ 0.25"),
        ],
    )
    return DemoResult(
        title="Sigmoid saturation",
        sentence=(
            "The sigmoid's derivative is at most 0.25 and nearly 0 for |z| > 5, so with large "
            "weights most units saturate and back-propagation multiplies tiny factors."
        ),
        claims=claims,
        plots=[plot],
    )
