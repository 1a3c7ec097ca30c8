"""Demo for Q18 (dropout): what Keras-style inverted dropout does to a layer's outputs.

Applies dropout with rate 0.2 to a million ones: about 20% become 0, the survivors are
scaled by 1/(1 − 0.2) = 1.25 so the mean stays 1, and at inference nothing changes. The
scaling makes a layer's expected linear output right, but not its output after a ReLU:
scaling the weights after training is an approximation, not an exact equivalent.
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
    above,
    below,
    close,
    holds,
)

Vec = npt.NDArray[np.float64]

RATE = 0.2
N = 1_000_000
N_IN = 20  # a dense layer with dropout on its 20 inputs
N_UNITS = 50
N_MASKS = 10_000


def dropout(x: Vec, rate: float, rng: np.random.Generator, training: bool) -> Vec:
    """Inverted dropout as in Keras: drop with probability `rate`, scale survivors by 1/(1−rate)."""
    if not training or rate == 0.0:
        return x
    keep = rng.random(x.shape) >= rate
    out: Vec = np.where(keep, x / (1.0 - rate), 0.0)
    return out


def _scaling_gaps(rng: np.random.Generator) -> tuple[float, float]:
    """How far the inference network (no dropout) is from the average over dropout masks,
    for a dense layer's linear output and after a ReLU, as a fraction of the outputs' rms.

    Scaling (during training, or the weights after it) makes the expected *linear* output
    right; a nonlinearity after it sees a noisier input, so its average output differs.
    """
    x = rng.standard_normal(N_IN)
    w = rng.normal(0.0, np.sqrt(1.0 / N_IN), (N_IN, N_UNITS))
    masks = rng.random((N_MASKS, N_IN)) >= RATE
    z_masked = (masks * x / (1.0 - RATE)) @ w  # one row per mask
    z = x @ w
    rms = float(np.sqrt(np.mean(z**2)))
    linear_gap = float(np.max(np.abs(z_masked.mean(axis=0) - z))) / rms
    relu_gap = float(np.max(np.abs(np.maximum(z_masked, 0.0).mean(axis=0) - np.maximum(z, 0.0))))
    return linear_gap, relu_gap / rms


def run(rng: np.random.Generator) -> DemoResult:
    ones = np.ones(N)
    out = dropout(ones, RATE, rng, training=True)
    dropped = out == 0.0
    survivors = out[~dropped]
    # The original paper's form: drop without scaling while training, then multiply the
    # weights (here: the outputs) by the keep probability 1 − rate after training.
    unscaled_mean = float(np.mean(rng.random(N) >= RATE))
    linear_gap, relu_gap = _scaling_gaps(rng)
    rates = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    sample = np.ones(20_000)
    inverted = [float(dropout(sample, r, rng, training=True).mean()) for r in rates]
    unscaled = [float(np.mean(rng.random(sample.size) >= r)) for r in rates]

    claims: list[Claim] = [
        close(
            "Fraction of outputs set to 0 at rate 0.2",
            float(dropped.mean()),
            0.2,
            0.002,
            key=True,
            kind=VALUE,
        ),
        close(
            "Every surviving 1 becomes exactly 1/(1 − 0.2) = 1.25 (smallest survivor)",
            float(survivors.min()),
            1.25,
            0.0,
            key=True,
            kind=VALUE,
        ),
        close(
            "Every surviving 1 becomes exactly 1/(1 − 0.2) = 1.25 (largest survivor)",
            float(survivors.max()),
            1.25,
            0.0,
            kind=VALUE,
        ),
        close("Mean output stays 1, as without dropout", float(out.mean()), 1.0, 0.005, kind=VALUE),
        holds(
            "At inference dropout is the identity: nothing is dropped or scaled",
            bool(np.array_equal(dropout(ones, RATE, rng, training=False), ones)),
            kind=VALUE,
        ),
        close(
            "Original form: without training-time scaling the mean is 1 − p = 0.8, so the "
            "weights are multiplied by 0.8 after training",
            unscaled_mean,
            0.8,
            0.002,
            kind=VALUE,
        ),
        below(
            f"A dense layer's linear output, averaged over {N_MASKS} masks, matches the network "
            "without dropout (largest gap ÷ rms output)",
            linear_gap,
            0.05,
            kind=CHECK,
        ),
        above(
            "After a ReLU it does not: the average over masks differs from the scaled network "
            "(largest gap ÷ rms output), so scaling is an approximation",
            relu_gap,
            0.08,
            key=True,
            kind=CHECK,
        ),
    ]
    return DemoResult(
        title="Dropout with rate 0.2 on a million ones",
        sentence=(
            "Dropout drops each neuron with probability p at every training step and Keras "
            "scales the survivors by 1/(1 − p), here 1.25, so a layer's expected linear output "
            "is unchanged and nothing is dropped after training; after a nonlinearity the "
            "scaled network only approximates the average over dropout masks."
        ),
        claims=claims,
        plots=[
            Plot(
                title="Mean output of dropout on ones, by rate",
                xlabel="dropout rate p",
                ylabel="mean output",
                series=[
                    Series(rates, inverted, "scaled by 1/(1 − p) (Keras)"),
                    Series(rates, unscaled, "not scaled: 1 − p"),
                ],
            )
        ],
    )
