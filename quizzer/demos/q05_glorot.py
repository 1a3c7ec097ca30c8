"""Q5 demo: what Keras' default glorot_uniform initializer buys.

Computes the glorot_uniform limit r = √(6/(fan_in+fan_out)), checks that U(−r, r) has
variance 2/(fan_in+fan_out), and pushes a batch forward and a gradient backward through
10 linear layers of width 256 with Glorot and with N(0,1) weights.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, DemoResult, Plot, Series, above, between, close

Array = npt.NDArray[np.float64]

DEPTH = 10
WIDTH = 256
BATCH = 256


def _limit(fan_in: int, fan_out: int) -> float:
    return float(np.sqrt(6.0 / (fan_in + fan_out)))


def _variances(rng: np.random.Generator, weights: list[Array]) -> tuple[list[float], list[float]]:
    """Variance of the activations after each layer, and of the gradient before each layer.

    Both lists start with the input's value (layer 0), so list[k] / list[0] is the ratio
    after k layers.
    """
    a = rng.standard_normal((BATCH, WIDTH))
    forward = [float(np.var(a))]
    for w in weights:
        a = a @ w
        forward.append(float(np.var(a)))
    g = rng.standard_normal((BATCH, WIDTH))  # ∂L/∂output
    backward = [float(np.var(g))]
    for w in reversed(weights):
        g = g @ w.T
        backward.append(float(np.var(g)))
    return forward, backward


def run(rng: np.random.Generator) -> DemoResult:
    r = _limit(784, 300)
    sample = rng.uniform(-r, r, (784, 300))
    glorot_var = 2.0 / (784 + 300)

    r_layer = _limit(WIDTH, WIDTH)
    glorot = [rng.uniform(-r_layer, r_layer, (WIDTH, WIDTH)) for _ in range(DEPTH)]
    normal = [rng.standard_normal((WIDTH, WIDTH)) for _ in range(DEPTH)]
    g_fwd, g_bwd = _variances(rng, glorot)
    n_fwd, n_bwd = _variances(rng, normal)

    claims = [
        close(
            "glorot_uniform limit r(784, 300) = √(6/1084)",
            r,
            0.07439795,
            1e-8,
            key=True,
            kind=VALUE,
        ),
        close("r² / 3 equals 2 / (fan_in + fan_out)", r * r / 3.0, glorot_var, 1e-15, kind=VALUE),
        close(
            "variance of a sampled 784×300 glorot_uniform kernel ÷ 2/(784+300)",
            float(np.var(sample)) / glorot_var,
            1.0,
            0.01,
            kind=VALUE,
        ),
        between(
            f"Glorot, {DEPTH} linear layers of width {WIDTH}: forward variance ratio",
            g_fwd[-1] / g_fwd[0],
            0.7,
            1.4,
            key=True,
            kind=CHECK,
        ),
        between(
            f"Glorot, {DEPTH} linear layers of width {WIDTH}: backward variance ratio",
            g_bwd[-1] / g_bwd[0],
            0.7,
            1.4,
            kind=CHECK,
        ),
        above(
            "N(0,1) weights: forward variance ratio (explodes)",
            n_fwd[-1] / n_fwd[0],
            1e20,
            key=True,
            kind=CHECK,
        ),
        above(
            "N(0,1) weights: backward variance ratio (explodes)",
            n_bwd[-1] / n_bwd[0],
            1e20,
            kind=CHECK,
        ),
    ]
    layers = [float(k) for k in range(DEPTH + 1)]
    plot = Plot(
        title=f"Activation variance through {DEPTH} linear layers (width {WIDTH})",
        xlabel="layer",
        ylabel="variance",
        series=[
            Series(layers, g_fwd, "glorot_uniform"),
            Series(layers, n_fwd, "N(0,1)"),
        ],
        log_y=True,
    )
    return DemoResult(
        title="Keras default: glorot_uniform",
        sentence=(
            "Keras initializes dense kernels with glorot_uniform, U(−r, r) with "
            "r = √(6/(fan_in+fan_out)), which keeps the variance of signals and gradients "
            "steady from layer to layer; biases start at zero."
        ),
        claims=claims,
        plots=[plot],
    )
