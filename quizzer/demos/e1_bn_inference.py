"""Demo for E1 (batch normalization at prediction time): moving averages, not batch stats.

Shows that training-mode BN on a batch of one always outputs β and otherwise depends on
the rest of the batch, that inference-mode BN treats every instance independently, how
Keras' moving mean (momentum 0.99) approaches the true mean, and that BN can be fused
into a dense layer that it directly follows, not across a ReLU.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, Claim, DemoResult, Plot, Series, above, close, holds

Mat = npt.NDArray[np.float64]
Vec = npt.NDArray[np.float64]

EPS = 0.001  # Keras' default epsilon
MOMENTUM = 0.99  # Keras' default momentum
STEPS = 300
BATCH = 256
TRUE_MEAN = 10.0


def bn_train(x: Mat, gamma: Vec, beta: Vec) -> Mat:
    """Training mode: statistics of the current batch."""
    out: Mat = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + EPS) + beta
    return out


def bn_infer(x: Mat, gamma: Vec, beta: Vec, moving_mean: Vec, moving_var: Vec) -> Mat:
    """Inference mode: the moving averages, so each row is processed on its own."""
    out: Mat = gamma * (x - moving_mean) / np.sqrt(moving_var + EPS) + beta
    return out


def run(rng: np.random.Generator) -> DemoResult:
    d = 4
    gamma = rng.uniform(0.5, 2.0, d)
    beta = rng.uniform(-1.0, 1.0, d)

    # 1. A batch of one in training mode: x − μ = 0, so the output is exactly β.
    single = rng.normal(5.0, 3.0, (1, d))
    single_out = bn_train(single, gamma, beta)

    # 2. Keras' moving averages: v ← 0.99·v + 0.01·(batch statistic), from 0 and 1.
    moving_mean, moving_var = np.zeros(d), np.ones(d)
    fraction = []
    for _ in range(STEPS):
        batch = rng.normal(TRUE_MEAN, 1.0, (BATCH, d))
        moving_mean = MOMENTUM * moving_mean + (1 - MOMENTUM) * batch.mean(axis=0)
        moving_var = MOMENTUM * moving_var + (1 - MOMENTUM) * batch.var(axis=0)
        fraction.append(float(moving_mean.mean() / TRUE_MEAN))
    at_100 = fraction[99]

    # 3. Inference mode: an instance gives the same output alone or inside a batch.
    batch = rng.normal(TRUE_MEAN, 1.0, (32, d))
    in_batch = bn_infer(batch, gamma, beta, moving_mean, moving_var)
    alone = np.vstack(
        [bn_infer(row[None, :], gamma, beta, moving_mean, moving_var) for row in batch]
    )
    train_mode_alone = np.vstack([bn_train(row[None, :], gamma, beta) for row in batch])
    # Training mode on real batches: the same instance comes out differently depending on
    # which other instances share its batch, which is why inference needs fixed statistics.
    others = rng.normal(TRUE_MEAN, 1.0, (31, d))
    in_other_batch = bn_train(np.vstack([batch[:1], others]), gamma, beta)[0]
    batch_effect = float(np.max(np.abs(bn_train(batch, gamma, beta)[0] - in_other_batch)))

    # 4. Fusing BN into the previous dense layer: W' = W·s, b' = (b − μ)·s + β with
    #    s = γ/√(v + ε) gives the same outputs with one layer fewer.
    w = rng.standard_normal((3, d))
    b = rng.standard_normal(d)
    inputs = rng.standard_normal((32, 3))
    scale = gamma / np.sqrt(moving_var + EPS)
    fused = inputs @ (w * scale) + ((b - moving_mean) * scale + beta)
    unfused = bn_infer(inputs @ w + b, gamma, beta, moving_mean, moving_var)
    # With a ReLU between the dense layer and BN there is nothing to fold into: the same
    # fused layer (followed by the ReLU) gives different outputs.
    after_relu = bn_infer(np.maximum(inputs @ w + b, 0.0), gamma, beta, moving_mean, moving_var)
    relu_gap = float(np.max(np.abs(np.maximum(fused, 0.0) - after_relu)))

    claims: list[Claim] = [
        holds(
            "A batch of one in training mode outputs exactly β",
            bool(np.array_equal(single_out[0], beta)),
            key=True,
            kind=VALUE,
        ),
        holds(
            "In inference mode each instance gets the same output alone as inside a batch",
            bool(np.array_equal(alone, in_batch)),
            kind=VALUE,
        ),
        holds(
            "In training mode, processing instances alone gives β for all of them instead",
            bool(np.all(train_mode_alone == beta)),
            kind=VALUE,
        ),
        close(
            "Formula: after 100 steps the moving mean reaches 1 − 0.99¹⁰⁰ of the true mean",
            1 - MOMENTUM**100,
            0.634,
            5e-4,
            kind=VALUE,
        ),
        close(
            "Measured: moving mean after 100 steps / true mean", at_100, 0.634, 0.002, kind=VALUE
        ),
        close(
            "Fusing BN into the previous dense layer changes no output (largest difference)",
            float(np.max(np.abs(fused - unfused))),
            0.0,
            1e-12,
            key=True,
            kind=VALUE,
        ),
        above(
            "Training mode: one instance's output in two different batches of 32 "
            "(largest difference)",
            batch_effect,
            0.01,
            key=True,
            kind=CHECK,
        ),
        above(
            "With a ReLU between the dense layer and BN, the fused layer's outputs differ "
            "(largest difference)",
            relu_gap,
            0.1,
            kind=CHECK,
        ),
    ]
    ks = [float(k) for k in range(1, STEPS + 1)]
    plot = Plot(
        title="Keras moving mean (momentum 0.99), as a fraction of the true mean",
        xlabel="training step k",
        ylabel="moving mean / true mean",
        series=[
            Series(ks, fraction, "measured"),
            Series(ks, [1 - MOMENTUM**k for k in range(1, STEPS + 1)], "1 − 0.99ᵏ"),
        ],
    )
    return DemoResult(
        title="Batch norm at prediction time",
        sentence=(
            "At prediction time BN uses the moving averages that Keras updates as "
            "v ← 0.99·v + 0.01·batch statistic, so each instance's output no longer depends "
            "on the rest of the batch, and BN can be folded into a dense or convolutional "
            "layer that it directly follows."
        ),
        claims=claims,
        plots=[plot],
    )
