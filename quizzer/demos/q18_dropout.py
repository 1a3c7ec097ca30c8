"""Demo for Q18 (dropout): what Keras-style inverted dropout does to a layer's outputs.

Applies dropout with rate 0.2 to a million ones: about 20% become 0, the survivors are
scaled by 1/(1 − 0.2) = 1.25 so the mean stays 1, and at inference nothing changes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import Claim, DemoResult, close, holds

Vec = npt.NDArray[np.float64]

RATE = 0.2
N = 1_000_000


def dropout(x: Vec, rate: float, rng: np.random.Generator, training: bool) -> Vec:
    """Inverted dropout as in Keras: drop with probability `rate`, scale survivors by 1/(1−rate)."""
    if not training or rate == 0.0:
        return x
    keep = rng.random(x.shape) >= rate
    out: Vec = np.where(keep, x / (1.0 - rate), 0.0)
    return out


def run(rng: np.random.Generator) -> DemoResult:
    ones = np.ones(N)
    out = dropout(ones, RATE, rng, training=True)
    dropped = out == 0.0
    survivors = out[~dropped]
    # The original paper's form: drop without scaling while training, then multiply the
    # weights (here: the outputs) by the keep probability 1 − rate after training.
    unscaled_mean = float(np.mean(rng.random(N) >= RATE))

    claims: list[Claim] = [
        close("Fraction of outputs set to 0 at rate 0.2", float(dropped.mean()), 0.2, 0.002),
        close(
            "Every surviving 1 becomes exactly 1/(1 − 0.2) = 1.25 (smallest survivor)",
            float(survivors.min()),
            1.25,
            0.0,
        ),
        close(
            "Every surviving 1 becomes exactly 1/(1 − 0.2) = 1.25 (largest survivor)",
            float(survivors.max()),
            1.25,
            0.0,
        ),
        close("Mean output stays 1, as without dropout", float(out.mean()), 1.0, 0.005),
        holds(
            "At inference dropout is the identity: nothing is dropped or scaled",
            bool(np.array_equal(dropout(ones, RATE, rng, training=False), ones)),
        ),
        close(
            "Original form: without training-time scaling the mean is 1 − p = 0.8, so the "
            "weights are multiplied by 0.8 after training",
            unscaled_mean,
            0.8,
            0.002,
        ),
    ]
    return DemoResult(
        title="Dropout with rate 0.2 on a million ones",
        sentence=(
            "Dropout drops each neuron with probability p at every training step and Keras "
            "scales the survivors by 1/(1 − p), here 1.25, so the expected output is "
            "unchanged and nothing is dropped after training."
        ),
        claims=claims,
    )
