"""Demo for E3 (where transfer learning works best): why conv features transfer.

A dense unit learns a pattern at one position only, and it responds 0 to the same
pattern somewhere else. Used as a convolution kernel, the same weights respond wherever
the pattern appears, which is why the lower layers of deep CNNs are so reusable.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, Claim, DemoResult, Plot, Series, close

Vec = npt.NDArray[np.float64]

LENGTH = 32
WIDTH = 5
TRAIN_AT = 4
TEST_AT = 20


def _place(pattern: Vec, at: int) -> Vec:
    signal = np.zeros(LENGTH)
    signal[at : at + pattern.size] = pattern
    return signal


def _conv(signal: Vec, kernel: Vec) -> Vec:
    """Valid 1-D cross-correlation, what deep-learning libraries call convolution."""
    n = signal.size - kernel.size + 1
    out: Vec = np.array([signal[i : i + kernel.size] @ kernel for i in range(n)])
    return out


def run(rng: np.random.Generator) -> DemoResult:
    pattern = rng.uniform(0.5, 1.5, WIDTH) * rng.choice([-1.0, 1.0], WIDTH)
    other = rng.uniform(0.5, 1.5, WIDTH) * rng.choice([-1.0, 1.0], WIDTH)
    # Training set: the pattern at position 4 (target 1), another pattern there (target 0).
    x = np.stack([_place(pattern, TRAIN_AT), _place(other, TRAIN_AT)])
    y = np.array([1.0, 0.0])
    # Least squares, minimum-norm solution: what gradient descent from w = 0 converges to.
    w = np.linalg.lstsq(x, y, rcond=None)[0]

    seen, moved = _place(pattern, TRAIN_AT), _place(pattern, TEST_AT)
    kernel = w[TRAIN_AT : TRAIN_AT + WIDTH]  # the dense unit's weights, used as a kernel
    conv_seen, conv_moved = _conv(seen, kernel), _conv(moved, kernel)
    shift = TEST_AT - TRAIN_AT

    claims: list[Claim] = [
        close(
            "Dense unit's response to the pattern where it was trained",
            float(w @ seen),
            1.0,
            1e-9,
            kind=VALUE,
        ),
        close(
            "Dense unit's response to the same pattern 16 positions later",
            float(w @ moved),
            0.0,
            0.0,
            key=True,
            kind=CHECK,
        ),
        close(
            "Conv kernel's response to the pattern at the trained position",
            float(conv_seen[TRAIN_AT]),
            1.0,
            1e-9,
            kind=VALUE,
        ),
        close(
            "Conv kernel's response to the same pattern 16 positions later",
            float(conv_moved[TEST_AT]),
            1.0,
            1e-9,
            key=True,
            kind=CHECK,
        ),
        close(
            "Shifting the input by 16 shifts the conv output by 16 (largest difference)",
            float(np.max(np.abs(conv_moved[shift:] - conv_seen[:-shift]))),
            0.0,
            1e-12,
            kind=VALUE,
        ),
    ]
    positions = [float(i) for i in range(LENGTH - WIDTH + 1)]
    plot = Plot(
        title="Conv response along the signal",
        xlabel="position",
        ylabel="response",
        series=[
            Series(positions, conv_seen.tolist(), "pattern at 4 (trained)"),
            Series(positions, conv_moved.tolist(), "pattern at 20"),
        ],
    )
    return DemoResult(
        title="Dense vs convolutional features under translation",
        sentence=(
            "Transfer works best with deep CNNs, presumably because their lower layers learn "
            "general feature detectors: a conv kernel detects its pattern anywhere in the "
            "input, while a dense unit only knows the position it was trained on and "
            "responds 0 elsewhere."
        ),
        claims=claims,
        plots=[plot],
    )
