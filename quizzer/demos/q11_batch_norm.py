"""Demo for Q11 (how batch normalization works): the training-mode BN formulas, checked.

Normalizes a mini-batch of raw features in mixed units with Keras' ε = 0.001 and checks
the per-feature mean and std, the effect of γ and β, and that BN undoes an affine
rescaling of its input.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import Claim, DemoResult, below, close

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

    # BN removes any per-feature shift and scale. ε does not scale with the input, so
    # the identity is exact only up to ε; it is within 1e-8 once σ² ≫ ε (std ≥ 1000).
    big = 20000.0 + 1000.0 * rng.standard_normal((BATCH, d))
    invariance_gap = np.max(
        np.abs(batch_norm(7 * big - 4, ones, zeros) - batch_norm(big, ones, zeros))
    )
    # Exactly: rescaling by 7 only changes how much ε matters, BN_ε(7X − 4) = BN_{ε/49}(X).
    exact_gap = np.max(
        np.abs(batch_norm(7 * x - 4, ones, zeros) - batch_norm(x, ones, zeros, EPS / 49))
    )

    claims: list[Claim] = [
        close(
            "After BN every feature has mean 0 (largest |mean|)",
            float(np.max(np.abs(out.mean(axis=0)))),
            0.0,
            1e-10,
        ),
        close(
            "After BN each feature's std is σ/√(σ² + ε) (largest deviation)",
            float(np.max(np.abs(out.std(axis=0) - predicted_std))),
            0.0,
            1e-12,
        ),
        below(
            "Because of ε = 0.001, the feature with σ ≈ 0.02 comes out with a std well below 1",
            float(out[:, 0].std()),
            0.8,
        ),
        close(
            "With γ = 2 and β = 3 every feature has mean 3 (largest deviation)",
            float(np.max(np.abs(scaled.mean(axis=0) - 3.0))),
            0.0,
            1e-10,
        ),
        close(
            "With γ = 2 the std doubles (largest deviation of the ratio from 2)",
            float(np.max(np.abs(scaled.std(axis=0) / out.std(axis=0) - 2.0))),
            0.0,
            1e-12,
        ),
        close(
            "BN(7X − 4) equals BN(X) for features with std ≈ 1000 (largest difference)",
            float(invariance_gap),
            0.0,
            1e-8,
        ),
        close(
            "In general BN_ε(7X − 4) = BN_{ε/49}(X) (largest difference)",
            float(exact_gap),
            0.0,
            1e-12,
        ),
    ]
    return DemoResult(
        title="Batch normalization, step by step",
        sentence=(
            "Batch norm standardizes each feature over the mini-batch with μ, σ² and ε, then "
            "applies the learned scale γ and shift β, so the output's mean and std are set "
            "by β and γ no matter how the input was shifted or scaled."
        ),
        claims=claims,
    )
