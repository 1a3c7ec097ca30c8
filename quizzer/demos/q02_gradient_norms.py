"""Q2 demo: vanishing gradients in a deep sigmoid network.

A 20-layer dense stack (width 100, weight variance 1/fan_in) is run forward and
backward by hand. With sigmoid the gradient of the first layer's weights is about
1e-12 of the last layer's; ReLU with He initialization keeps the layers balanced.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import (
    CHECK,
    Claim,
    DemoResult,
    Plot,
    Series,
    above,
    below,
    between,
    holds,
)

Array = npt.NDArray[np.float64]
Activation = Callable[[Array], tuple[Array, Array]]  # z -> (f(z), f'(z))

DEPTH = 20
WIDTH = 100
BATCH = 256


def _sigmoid(z: Array) -> tuple[Array, Array]:
    s = 1.0 / (1.0 + np.exp(-z))
    return s, s * (1.0 - s)


def _relu(z: Array) -> tuple[Array, Array]:
    return np.maximum(z, 0.0), (z > 0).astype(np.float64)


def _grad_norms(rng: np.random.Generator, act: Activation, weight_std: float) -> list[float]:
    """‖∂L/∂W_l‖ for l = 1..DEPTH, back-propagating a random error signal.

    The loss is L = mean_i ⟨g_i, a_i⟩ with g_i ~ N(0, I) and a_i the network's output,
    so ∂L/∂a is zero-mean noise and no layer is favoured by the choice of target.
    """
    x = rng.standard_normal((BATCH, WIDTH))
    g = rng.standard_normal((BATCH, WIDTH))
    weights = [rng.normal(0.0, weight_std, (WIDTH, WIDTH)) for _ in range(DEPTH)]
    inputs: list[Array] = []
    derivs: list[Array] = []
    a = x
    for w in weights:
        inputs.append(a)
        a, d = act(a @ w)
        derivs.append(d)
    delta = g / BATCH  # ∂L/∂a at the output
    norms = [0.0] * DEPTH
    for layer in reversed(range(DEPTH)):
        delta = delta * derivs[layer]  # ∂L/∂z
        norms[layer] = float(np.linalg.norm(inputs[layer].T @ delta))
        delta = delta @ weights[layer].T
    return norms


def run(rng: np.random.Generator) -> DemoResult:
    lecun_std = float(np.sqrt(1.0 / WIDTH))
    he_std = float(np.sqrt(2.0 / WIDTH))
    sig = _grad_norms(rng, _sigmoid, lecun_std)
    relu = _grad_norms(rng, _relu, he_std)
    sig_big = _grad_norms(rng, _sigmoid, 1.0)

    sig_ratio = sig[0] / sig[-1]
    relu_ratio = relu[0] / relu[-1]
    big_ratio = sig_big[0] / sig_big[-1]
    claims: list[Claim] = [
        below(
            "sigmoid, variance 1/fan_in: ‖∂L/∂W1‖ ÷ ‖∂L/∂W20‖",
            sig_ratio,
            1e-8,
            key=True,
            kind=CHECK,
        ),
        holds(
            "sigmoid: the gradient norm shrinks at every layer toward the input",
            all(lower < upper for lower, upper in itertools.pairwise(sig)),
            kind=CHECK,
        ),
        between(
            "ReLU with He initialization: ‖∂L/∂W1‖ ÷ ‖∂L/∂W20‖",
            relu_ratio,
            0.2,
            5.0,
            key=True,
            kind=CHECK,
        ),
        above(
            "sigmoid with N(0,1) weights: the ratio is NOT tiny (large weights hide the effect)",
            big_ratio,
            1e-2,
            key=True,
            kind=CHECK,
        ),
    ]
    layers = [float(i) for i in range(1, DEPTH + 1)]
    plot = Plot(
        title="Gradient norm per layer (20 layers, width 100)",
        xlabel="layer (1 = input side)",
        ylabel="‖∂L/∂W‖",
        series=[
            Series(layers, sig, "sigmoid, var 1/fan_in"),
            Series(layers, relu, "ReLU, He init"),
        ],
        log_y=True,
    )
    return DemoResult(
        title="Vanishing gradients, layer by layer",
        sentence=(
            "Vanishing gradients leave the lower layers almost unchanged, so training never "
            "converges to a good solution; divergence is the exploding case."
        ),
        claims=claims,
        plots=[plot],
    )
