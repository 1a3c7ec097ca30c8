"""Demo for Q19 (disadvantages of dropout): dropout slows convergence and can underfit.

Trains one 8-64-1 ReLU network with Adam and hidden-layer dropout at rates 0, 0.5, 0.9,
tracking the training MSE with dropout off: rate 0.5 needs several times the steps to
reach the target, and rate 0.9 underfits.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, Claim, DemoResult, Plot, Series, above, between

Mat = npt.NDArray[np.float64]
Vec = npt.NDArray[np.float64]

N = 128
D_IN = 8
HIDDEN = 64
STEPS = 500
PLOT_EVERY = 2
LR = 0.01
TARGET = 0.08
RATES = (0.0, 0.5, 0.9)


def _task(rng: np.random.Generator) -> tuple[Mat, Vec]:
    """A fixed teacher: four ReLU units on the inputs; targets standardized to variance 1."""
    x = rng.standard_normal((N, D_IN))
    u = np.eye(D_IN)[:, :4] + 0.5 * np.eye(D_IN)[:, 1:5]
    y = np.maximum(x @ u, 0.0) @ np.array([1.0, -1.0, 1.0, -1.0])
    return x, (y - y.mean()) / y.std()


def _unpack(theta: Vec) -> tuple[Mat, Vec, Vec, Vec]:
    k = D_IN * HIDDEN
    w1 = theta[:k].reshape(D_IN, HIDDEN)
    b1 = theta[k : k + HIDDEN]
    w2 = theta[k + HIDDEN : k + 2 * HIDDEN]
    b2 = theta[k + 2 * HIDDEN :]
    return w1, b1, w2, b2


def _mse(theta: Vec, x: Mat, y: Vec) -> float:
    """Training MSE with dropout off (the network as it would be used for prediction)."""
    w1, b1, w2, b2 = _unpack(theta)
    return float(np.mean((np.maximum(x @ w1 + b1, 0.0) @ w2 + b2[0] - y) ** 2))


def _train(theta0: Vec, x: Mat, y: Vec, rate: float, rng: np.random.Generator) -> list[float]:
    """Full-batch Adam; inverted dropout on the hidden layer, a fresh mask per sample and step."""
    theta = theta0.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    grad = np.zeros_like(theta)
    gw1, gb1, gw2, gb2 = _unpack(grad)  # views into grad
    curve = []
    for t in range(1, STEPS + 1):
        w1, b1, w2, b2 = _unpack(theta)
        z = x @ w1 + b1
        mask = (rng.random(z.shape) >= rate) / (1.0 - rate) if rate > 0 else np.ones_like(z)
        a = np.maximum(z, 0.0) * mask
        err = (a @ w2 + b2[0] - y) / N  # gradient of MSE/2
        back = np.outer(err, w2) * mask * (z > 0)
        gw1[...] = x.T @ back
        gb1[...] = back.sum(axis=0)
        gw2[...] = a.T @ err
        gb2[...] = err.sum()
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        theta -= LR * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        curve.append(_mse(theta, x, y))
    return curve


def _steps_to(curve: list[float], target: float) -> int:
    """First step whose MSE is at or below the target (STEPS + 1 if never)."""
    return next((i + 1 for i, c in enumerate(curve) if c <= target), STEPS + 1)


def run(rng: np.random.Generator) -> DemoResult:
    x, y = _task(rng)
    theta0 = np.concatenate(
        [
            rng.standard_normal(D_IN * HIDDEN) * np.sqrt(2.0 / D_IN),
            np.zeros(HIDDEN),
            rng.standard_normal(HIDDEN) * np.sqrt(1.0 / HIDDEN),
            np.zeros(1),
        ]
    )
    curves = {rate: _train(theta0, x, y, rate, rng) for rate in RATES}
    steps = {rate: _steps_to(curves[rate], TARGET) for rate in RATES}

    claims: list[Claim] = [
        between(
            f"Steps for rate 0 to reach training MSE {TARGET}",
            float(steps[0.0]),
            1,
            STEPS,
            kind=CHECK,
        ),
        between(
            f"Steps for rate 0.5 to reach training MSE {TARGET}",
            float(steps[0.5]),
            1,
            STEPS,
            kind=CHECK,
        ),
        above(
            "Rate 0.5 needs this many times the steps of rate 0",
            steps[0.5] / steps[0.0],
            2.0,
            key=True,
            kind=CHECK,
        ),
        above(
            f"Rate 0.9: final training MSE / rate 0's after {STEPS} steps (underfitting)",
            curves[0.9][-1] / curves[0.0][-1],
            3.0,
            key=True,
            kind=CHECK,
        ),
    ]
    xs = [float(i) for i in range(PLOT_EVERY, STEPS + 1, PLOT_EVERY)]
    plot = Plot(
        title="Training MSE (dropout off) by step",
        xlabel="training step (Adam, full batch)",
        ylabel="training MSE",
        series=[
            Series(xs, curves[rate][PLOT_EVERY - 1 :: PLOT_EVERY], f"dropout rate {rate:g}")
            for rate in RATES
        ],
        log_y=True,
    )
    return DemoResult(
        title="Dropout slows convergence",
        sentence=(
            f"Dropout's main cost is slower convergence: with rate 0.5 the network needs "
            f"{steps[0.5] / steps[0.0]:.1f}× the steps to reach the same training error, and "
            f"with rate 0.9 it underfits."
        ),
        claims=claims,
        plots=[plot],
    )
