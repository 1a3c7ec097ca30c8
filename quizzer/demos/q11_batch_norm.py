"""Demo for Q11 (how batch normalization works): the training-mode BN formulas, checked.

Normalizes a mini-batch of raw features in mixed units with Keras' ε = 0.001 and checks
the per-feature mean and std, the effect of γ and β, and the exact identity
BN_ε(aX + b) = BN_{ε/a²}(X): BN undoes a shift and a positive rescaling only up to ε.
"""

from __future__ import annotations

import math

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
    between,
    close,
)

Mat = npt.NDArray[np.float64]
Vec = npt.NDArray[np.float64]

EPS = 0.001  # Keras' default epsilon
BATCH = 64


def batch_norm(x: Mat, gamma: Vec, beta: Vec, eps: float = EPS) -> Mat:
    """Training-mode BN: per feature, μ and σ² (with 1/m) over the batch, then γ·x̂ + β."""
    mu = x.mean(axis=0)
    var = x.var(axis=0)  # 1/m, as in the paper and in Keras
    x_hat = (x - mu) / np.sqrt(var + eps)
    out: Mat = gamma * x_hat + beta
    return out


def _gap(x: Mat, a: float, b: float, eps_for_x: float) -> float:
    """Largest |BN_ε(aX + b) − BN_{eps_for_x}(X)| over the batch, with γ = 1 and β = 0."""
    d = x.shape[1]
    ones, zeros = np.ones(d), np.zeros(d)
    lhs = batch_norm(a * x + b, ones, zeros)
    return float(np.max(np.abs(lhs - np.sign(a) * batch_norm(x, ones, zeros, eps_for_x))))


def run(rng: np.random.Generator) -> DemoResult:
    # Raw features in mixed units: some tiny (std 0.02, where ε matters), some huge.
    scales = np.array([0.02, 0.1, 1.0, 10.0, 100.0, 1000.0])
    offsets = np.array([5.0, -3.0, 0.5, 40.0, -700.0, 20000.0])
    d = scales.size
    x = offsets + scales * rng.standard_normal((BATCH, d))
    ones, zeros = np.ones(d), np.zeros(d)
    out = batch_norm(x, ones, zeros)
    sigma2 = x.var(axis=0)
    predicted_std = np.sqrt(sigma2 / (sigma2 + EPS))
    scaled = batch_norm(x, 2.0 * ones, 3.0 * ones)
    # BN cancels a per-feature shift and positive rescaling only up to ε: rescaling by a
    # changes how much ε matters, exactly BN_ε(aX + b) = BN_{ε/a²}(X) (sign flip if a < 0).
    a, b = float(rng.uniform(2.0, 10.0)), float(rng.normal(0.0, 10.0))
    exact_gap = _gap(x, a, b, EPS / a**2)
    flipped_gap = _gap(x, -a, b, EPS / a**2)
    unit = rng.standard_normal((BATCH, d))  # unit-scale data, as after a previous layer
    unit_gap = _gap(unit, 7.0, -4.0, EPS)  # the naive "BN(7X − 4) = BN(X)"
    # The same naive gap as the features' scale shrinks toward √ε ≈ 0.03.
    stds = [float(v) for v in 10.0 ** np.linspace(-2.0, 2.0, 17)]
    gaps = [_gap(s * unit, 7.0, -4.0, EPS) for s in stds]
    claims: list[Claim] = [
        close(
            "After BN every feature has mean 0 (largest |mean|)",
            float(np.max(np.abs(out.mean(axis=0)))),
            0.0,
            1e-10,
            kind=VALUE,
        ),
        close(
            "After BN each feature's std is σ/√(σ² + ε) (largest deviation)",
            float(np.max(np.abs(out.std(axis=0) - predicted_std))),
            0.0,
            1e-12,
            kind=VALUE,
        ),
        below(
            "Because of ε = 0.001, the feature with σ ≈ 0.02 comes out with a std well below 1",
            float(out[:, 0].std()),
            0.8,
            key=True,
            kind=CHECK,
        ),
        close(
            "With γ = 2 and β = 3 every feature has mean 3 (largest deviation)",
            float(np.max(np.abs(scaled.mean(axis=0) - 3.0))),
            0.0,
            1e-10,
            kind=VALUE,
        ),
        close(
            "With γ = 2 the std doubles (largest deviation of the ratio from 2)",
            float(np.max(np.abs(scaled.std(axis=0) / out.std(axis=0) - 2.0))),
            0.0,
            1e-12,
            kind=VALUE,
        ),
        close(
            f"BN with ε of aX + b equals BN with ε/a² of X (a = {a:.2f}, b = {b:.2f}; "
            "largest difference)",
            exact_gap,
            0.0,
            1e-9,
            key=True,
            kind=CHECK,
        ),
        close(
            "For a negative a the same holds with the sign flipped (largest difference)",
            flipped_gap,
            0.0,
            1e-9,
            kind=CHECK,
        ),
        between(
            "Unit-scale data, ε = 0.001: BN(7X − 4) differs from BN(X) by (largest difference)",
            unit_gap,
            2e-4,
            1e-2,
            key=True,
            kind=VALUE,
        ),
        above(
            "Features with std 0.02: BN(7X − 4) differs from BN(X) by (largest difference)",
            gaps[0],
            0.3,
            kind=CHECK,
        ),
    ]
    plot = Plot(
        title="How far BN(7X − 4) is from BN(X) with ε = 0.001",
        xlabel="std of the feature",
        ylabel="largest difference",
        series=[Series(stds, gaps, "|BN(7X − 4) − BN(X)|")],
        log_x=True,
        log_y=True,
        vlines=((math.sqrt(EPS), "std = √ε ≈ 0.03"),),
    )
    return DemoResult(
        title="Batch normalization, step by step",
        sentence=(
            "Batch norm standardizes each feature over the mini-batch with μ, σ² and ε, then "
            "applies the learned scale γ and shift β; it cancels a per-feature shift and "
            "positive rescaling of its input only up to ε, which matters for features whose "
            "std is near √ε ≈ 0.03."
        ),
        claims=claims,
        plots=[plot],
    )
