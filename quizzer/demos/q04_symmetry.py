"""Q4 demo: random initialization breaks symmetry.

A 2-16-1 tanh network is trained by full-batch gradient descent twice: once from a
constant initialization, where every hidden unit gets the same gradient and stays a
copy of the others, and once from Glorot-normal weights with zero biases.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, DemoResult, Plot, Series, below, close

Array = npt.NDArray[np.float64]

N_IN = 2
HIDDEN = 16
N_SAMPLES = 200
STEPS = 400
LR = 0.2
CONST = 0.1  # every weight starts at this value in the symmetric run


def _train(x: Array, y: Array, w1: Array, w2: Array) -> tuple[Array, Array, list[float]]:
    """Full-batch gradient descent on ½·MSE, biases starting at 0.

    Returns one row per hidden unit (incoming weights, bias, outgoing weight), the final
    hidden activations (one column per unit) and the loss at every step.
    """
    w1 = w1.copy()
    w2 = w2.copy()
    b1 = np.zeros(HIDDEN)
    b2 = 0.0
    losses: list[float] = []
    n = x.shape[0]
    for _ in range(STEPS):
        h = np.tanh(x @ w1 + b1)
        err = h @ w2 + b2 - y
        losses.append(float(0.5 * np.mean(err**2)))
        g_out = err / n
        g_w2 = h.T @ g_out
        g_h = np.outer(g_out, w2) * (1.0 - h**2)
        w1 -= LR * (x.T @ g_h)
        b1 -= LR * g_h.sum(axis=0)
        w2 -= LR * g_w2
        b2 -= LR * float(g_out.sum())
    units = np.vstack([w1, b1, w2]).T
    return units, np.tanh(x @ w1 + b1), losses


def _rank(h: Array) -> int:
    """Numerical rank of the hidden activations: how many different features the layer has."""
    s = np.linalg.svd(h, compute_uv=False)
    return int(np.sum(s > 1e-8 * s[0]))


def run(rng: np.random.Generator) -> DemoResult:
    x = rng.uniform(-2.0, 2.0, (N_SAMPLES, N_IN))
    y = np.sin(2.0 * x[:, 0]) * np.cos(x[:, 1])

    const_units, const_h, const_losses = _train(
        x, y, np.full((N_IN, HIDDEN), CONST), np.full(HIDDEN, CONST)
    )
    glorot_std1 = float(np.sqrt(2.0 / (N_IN + HIDDEN)))
    glorot_std2 = float(np.sqrt(2.0 / (HIDDEN + 1)))
    _, rand_h, rand_losses = _train(
        x,
        y,
        rng.normal(0.0, glorot_std1, (N_IN, HIDDEN)),
        rng.normal(0.0, glorot_std2, HIDDEN),
    )

    # Initializer facts: He and LeCun normal for fan_in = 784; uniform limit √(3σ²).
    he_std = float(np.sqrt(2.0 / 784))
    lecun_std = float(np.sqrt(1.0 / 784))
    limit = float(np.sqrt(3.0 * he_std**2))
    uniform_var = float(np.var(rng.uniform(-limit, limit, 200_000)))

    claims = [
        below(
            f"constant init, after {STEPS} steps: largest difference between hidden units",
            float(np.abs(const_units - const_units[0]).max()),
            1e-12,
            key=True,
            kind=CHECK,
        ),
        close(
            "constant init: distinct features among the 16 hidden units (rank)",
            _rank(const_h),
            1,
            0,
            kind=CHECK,
        ),
        close(
            "random init, zero biases: distinct features among the 16 hidden units (rank)",
            _rank(rand_h),
            HIDDEN,
            0,
            kind=CHECK,
        ),
        below(
            "final loss, random init ÷ final loss, constant init",
            rand_losses[-1] / const_losses[-1],
            0.8,
            key=True,
            kind=CHECK,
        ),
        close("He-normal std for fan_in 784: √(2/784)", he_std, 0.0505076, 5e-8, kind=VALUE),
        close("LeCun-normal std for fan_in 784: √(1/784)", lecun_std, 0.0357143, 5e-8, kind=VALUE),
        close(
            "variance of U(−r, r) with r = √(3σ²), relative to σ² (He, fan_in 784)",
            uniform_var / he_std**2,
            1.0,
            0.01,
            kind=VALUE,
        ),
    ]
    steps = np.arange(0, STEPS, 5)
    plot = Plot(
        title="Training loss: constant vs random initialization (2-16-1 tanh)",
        xlabel="gradient step",
        ylabel="½·MSE",
        series=[
            Series(steps.astype(float).tolist(), [const_losses[i] for i in steps], "constant"),
            Series(steps.astype(float).tolist(), [rand_losses[i] for i in steps], "random"),
        ],
        log_y=True,
    )
    return DemoResult(
        title="Symmetry breaking",
        sentence=(
            "Weights are initialized randomly because identical weights get identical gradients "
            "and stay identical, so a layer of many units acts like a single one."
        ),
        claims=claims,
        plots=[plot],
    )
