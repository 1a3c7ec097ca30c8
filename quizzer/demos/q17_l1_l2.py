"""Demo for Q17 (ℓ1 and ℓ2 regularization): the penalties and what they do to weights.

Computes both penalties for w = [1, −2, 3] with λ = 0.01, then fits a regression with
5 useful and 45 irrelevant features: proximal ℓ1 (ISTA) sets most irrelevant weights
to exactly 0, while ℓ2 only shrinks the weights.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import (
    CHECK,
    VALUE,
    Claim,
    DemoResult,
    Plot,
    Series,
    below,
    between,
    close,
)

Vec = npt.NDArray[np.float64]
Mat = npt.NDArray[np.float64]

N_SAMPLES = 200
N_USEFUL = 5
N_IRRELEVANT = 45
NOISE = 0.5
L1_STRENGTH = 0.1
L2_STRENGTH = 1.0
STEPS = 400


def l2_penalty(w: Vec, lam: float) -> float:
    return float(lam * np.sum(w**2))


def l1_penalty(w: Vec, lam: float) -> float:
    return float(lam * np.sum(np.abs(w)))


def _ista(x: Mat, y: Vec, lam: float, steps: int) -> Vec:
    """Proximal gradient descent on MSE/2 + lam·‖w‖₁: a gradient step, then soft-thresholding."""
    n = x.shape[0]
    lr = n / float(np.linalg.norm(x, 2) ** 2)
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        w = w - lr * (x.T @ (x @ w - y) / n)
        w = np.sign(w) * np.maximum(np.abs(w) - lr * lam, 0.0)
    return w


def _gd_l2(x: Mat, y: Vec, lam: float, steps: int) -> Vec:
    """Gradient descent on MSE/2 + (lam/2)·‖w‖²: every step decays the weights."""
    n = x.shape[0]
    lr = 1.0 / (float(np.linalg.norm(x, 2) ** 2) / n + lam)
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        w = w - lr * (x.T @ (x @ w - y) / n + lam * w)
    return w


def run(rng: np.random.Generator) -> DemoResult:
    w_example = np.array([1.0, -2.0, 3.0])
    d = N_USEFUL + N_IRRELEVANT
    x = rng.standard_normal((N_SAMPLES, d))
    true_w = np.zeros(d)
    true_w[:N_USEFUL] = rng.choice([-1.0, 1.0], N_USEFUL) * rng.uniform(1.0, 2.0, N_USEFUL)
    y = x @ true_w + NOISE * rng.standard_normal(N_SAMPLES)

    w_plain = np.linalg.lstsq(x, y, rcond=None)[0]
    w_l1 = _ista(x, y, L1_STRENGTH, STEPS)
    w_l2 = _gd_l2(x, y, L2_STRENGTH, STEPS)
    irrelevant = slice(N_USEFUL, d)

    claims: list[Claim] = [
        close(
            "ℓ2 penalty of w = [1, −2, 3] with λ = 0.01: 0.01·(1 + 4 + 9)",
            l2_penalty(w_example, 0.01),
            0.14,
            1e-12,
            key=True,
            kind=VALUE,
        ),
        close(
            "ℓ1 penalty of w = [1, −2, 3] with λ = 0.01: 0.01·(1 + 2 + 3)",
            l1_penalty(w_example, 0.01),
            0.06,
            1e-12,
            key=True,
            kind=VALUE,
        ),
        between(
            "Proximal ℓ1 sets at least 40 of the 45 irrelevant weights to exactly 0",
            float(np.sum(w_l1[irrelevant] == 0.0)),
            40,
            45,
            key=True,
            kind=CHECK,
        ),
        close(
            "ℓ1 keeps all 5 useful weights (number that are non-zero)",
            float(np.sum(w_l1[:N_USEFUL] != 0.0)),
            5,
            0,
            kind=CHECK,
        ),
        close(
            "ℓ2 sets none of the 50 weights to exactly 0 (number of zeros)",
            float(np.sum(w_l2 == 0.0)),
            0.0,
            0.0,
            kind=CHECK,
        ),
        below(
            "ℓ2 shrinks the weights: norm with ℓ2 divided by norm without a penalty",
            float(np.linalg.norm(w_l2) / np.linalg.norm(w_plain)),
            0.7,
            kind=CHECK,
        ),
    ]
    features = [float(i) for i in range(1, d + 1)]
    plot = Plot(
        title="Fitted |weight| per feature (features 1–5 are the useful ones)",
        xlabel="feature",
        ylabel="|w|",
        series=[
            Series(features, np.abs(w_l1).tolist(), "ℓ1 (proximal)", points=True),
            Series(features, np.abs(w_l2).tolist(), "ℓ2", points=True),
        ],
    )
    return DemoResult(
        title="ℓ1 vs ℓ2 penalties",
        sentence=(
            "ℓ2 adds λ·Σw² and only shrinks weights, while ℓ1 adds λ·Σ|w| and sets many "
            "weights to exactly 0, which here removes most of the 45 irrelevant features."
        ),
        claims=claims,
        plots=[plot],
    )
