"""Q6 demo: dead ReLU units get no gradient.

A 10-16-1 regression network has 4 hidden units whose bias is −20, so their weighted
sum is negative for every training instance. With ReLU, their gradient is exactly 0 at
each of 300 gradient-descent steps; with leaky ReLU (α = 0.01) they keep learning.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, DemoResult, Plot, Series, above, close, holds

Array = npt.NDArray[np.float64]

N_IN = 10
HIDDEN = 16
DEAD = 4  # units 0..DEAD-1 start with bias DEAD_BIAS
DEAD_BIAS = -20.0
N_SAMPLES = 256
STEPS = 300
LR = 0.05


def _train(
    x: Array, y: Array, w1: Array, b1: Array, w2: Array, alpha: float
) -> tuple[Array, Array, float]:
    """Gradient descent with a (leaky) ReLU hidden layer.

    Returns the final W1, the largest |∂L/∂W1| of each dead unit over all steps, and how
    many of the dead units' pre-activations were ever > 0.
    """
    w1 = w1.copy()
    b1 = b1.copy()
    w2 = w2.copy()
    n = x.shape[0]
    max_grad = np.zeros(DEAD)
    ever_positive = 0.0
    for _ in range(STEPS):
        z = x @ w1 + b1
        ever_positive += float(np.sum(z[:, :DEAD] > 0))
        h = np.where(z > 0, z, alpha * z)
        err = h @ w2 - y
        g_out = err / n
        g_z = np.outer(g_out, w2) * np.where(z > 0, 1.0, alpha)
        g_w1 = x.T @ g_z
        max_grad = np.maximum(max_grad, np.abs(g_w1[:, :DEAD]).max(axis=0))
        w1 -= LR * g_w1
        b1 -= LR * g_z.sum(axis=0)
        w2 -= LR * (h.T @ g_out)
    return w1, max_grad, ever_positive


def run(rng: np.random.Generator) -> DemoResult:
    x = rng.standard_normal((N_SAMPLES, N_IN))
    y = np.tanh(x @ rng.standard_normal(N_IN) / np.sqrt(N_IN))
    w1 = rng.normal(0.0, np.sqrt(2.0 / N_IN), (N_IN, HIDDEN))
    b1 = np.zeros(HIDDEN)
    b1[:DEAD] = DEAD_BIAS
    w2 = rng.normal(0.0, np.sqrt(1.0 / HIDDEN), HIDDEN)

    relu_w1, relu_grad, relu_pos = _train(x, y, w1, b1, w2, alpha=0.0)
    leaky_w1, leaky_grad, _ = _train(x, y, w1, b1, w2, alpha=0.01)

    claims = [
        close(
            f"ReLU: dead units' pre-activations that were ever > 0 in {STEPS} steps",
            relu_pos,
            0.0,
            0.0,
            kind=VALUE,
        ),
        close(
            f"ReLU: largest |∂L/∂w| of the {DEAD} dead units over {STEPS} steps",
            float(relu_grad.max()),
            0.0,
            0.0,
            key=True,
            kind=CHECK,
        ),
        holds(
            "ReLU: the dead units' weights are bit-identical to their initial values",
            bool(np.array_equal(relu_w1[:, :DEAD], w1[:, :DEAD])),
            kind=VALUE,
        ),
        above(
            "leaky ReLU (α = 0.01): smallest peak |∂L/∂w| among the same units",
            float(leaky_grad.min()),
            1e-5,
            key=True,
            kind=CHECK,
        ),
        above(
            "leaky ReLU: how far the same units' weights moved (largest change)",
            float(np.abs(leaky_w1[:, :DEAD] - w1[:, :DEAD]).max()),
            1e-4,
            key=True,
            kind=CHECK,
        ),
    ]
    z = np.linspace(-3.0, 3.0, 121)
    plot = Plot(
        title="ReLU is flat below 0; leaky ReLU keeps a small slope",
        xlabel="z",
        ylabel="f(z)",
        series=[
            Series(z.tolist(), np.maximum(z, 0.0).tolist(), "ReLU"),
            Series(
                z.tolist(), np.where(z > 0, z, 0.1 * z).tolist(), "leaky ReLU (slope 0.1 shown)"
            ),
        ],
    )
    return DemoResult(
        title="Dying ReLUs",
        sentence=(
            "A ReLU unit whose weighted sum plus bias is negative for every instance outputs 0 "
            "and its own weights get a gradient of exactly 0, so they never change; it can "
            "only come back if the layers below change so that its inputs turn positive."
        ),
        claims=claims,
        plots=[plot],
    )
