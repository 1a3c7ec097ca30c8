"""Demo for Q16 (regularization techniques): early stopping, plus a max-norm check.

Gradient descent on a linear model with 3 useful and 53 weak, irrelevant features (60
samples): training MSE keeps falling while validation MSE bottoms out early and rises
as the noise is fitted. A last check applies max-norm to a weight matrix.
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

Mat = npt.NDArray[np.float64]
Vec = npt.NDArray[np.float64]

N_TRAIN = 60
N_VALID = 500
N_USEFUL = 3
N_FEATURES = 56
WEAK_SCALE = 0.3
NOISE = 1.0
EPOCHS = 1000
LR_FRACTION = 0.3  # of the largest stable learning rate
PLOT_POINTS = 200
MAX_NORM = 1.0


def _data(rng: np.random.Generator, beta: Vec, n: int) -> tuple[Mat, Vec]:
    scale = np.full(N_FEATURES, WEAK_SCALE)
    scale[:N_USEFUL] = 1.0
    x = rng.standard_normal((n, N_FEATURES)) * scale
    return x, x @ beta + NOISE * rng.standard_normal(n)


def max_norm(w: Mat, r: float) -> Mat:
    """Keras' MaxNorm on a dense kernel: rescale each column (one unit's weights) to norm ≤ r."""
    norms = np.linalg.norm(w, axis=0)
    out: Mat = w * np.minimum(1.0, r / np.maximum(norms, 1e-300))
    return out


def run(rng: np.random.Generator) -> DemoResult:
    beta = np.zeros(N_FEATURES)
    beta[:N_USEFUL] = rng.choice([-1.0, 1.0], N_USEFUL) * rng.uniform(1.0, 2.0, N_USEFUL)
    x_train, y_train = _data(rng, beta, N_TRAIN)
    x_valid, y_valid = _data(rng, beta, N_VALID)

    lr = LR_FRACTION * N_TRAIN / float(np.linalg.norm(x_train, 2) ** 2)
    w = np.zeros(N_FEATURES)
    train_mse, valid_mse = [], []
    for _ in range(EPOCHS):
        w -= lr * x_train.T @ (x_train @ w - y_train) / N_TRAIN
        train_mse.append(float(np.mean((x_train @ w - y_train) ** 2)))
        valid_mse.append(float(np.mean((x_valid @ w - y_valid) ** 2)))
    train = np.array(train_mse)
    valid = np.array(valid_mse)
    best = int(np.argmin(valid))

    weights = rng.normal(0.0, 0.15, (20, 10))
    weights[:, ::2] *= 3.0  # half of the units start above the limit
    clipped = max_norm(weights, MAX_NORM)
    before = np.linalg.norm(weights, axis=0)
    under = before <= MAX_NORM

    claims: list[Claim] = [
        holds(
            "Validation MSE is lowest strictly inside the run, not at the first or last epoch",
            0 < best < EPOCHS - 1,
            key=True,
            kind=CHECK,
        ),
        above(
            "Final validation MSE / best validation MSE",
            float(valid[-1] / valid[best]),
            1.5,
            key=True,
            kind=CHECK,
        ),
        holds("Training MSE falls at every epoch", bool(np.all(np.diff(train) <= 0.0)), kind=VALUE),
        below(
            "Final training MSE / training MSE at the best validation epoch",
            float(train[-1] / train[best]),
            0.8,
            kind=CHECK,
        ),
        below(
            "Max-norm: largest column norm after clipping, minus r = 1",
            float(np.max(np.linalg.norm(clipped, axis=0)) - MAX_NORM),
            1e-12,
            kind=VALUE,
        ),
        above(
            "Columns whose norm was above r before max-norm", float(np.sum(~under)), 0.0, kind=VALUE
        ),
        holds(
            "Max-norm leaves columns already within r unchanged",
            bool(np.array_equal(clipped[:, under], weights[:, under])),
            kind=VALUE,
        ),
        close(
            "Max-norm keeps each column's direction (smallest cosine with the original)",
            float(
                np.min(
                    np.sum(clipped * weights, axis=0) / (np.linalg.norm(clipped, axis=0) * before)
                )
            ),
            1.0,
            1e-12,
            kind=VALUE,
        ),
    ]
    # Log-spaced epochs on a log axis: the best epoch comes early, and on a linear axis of
    # 1000 epochs it would sit against the left edge.
    idx = np.unique(np.round(np.logspace(0.0, np.log10(EPOCHS), PLOT_POINTS)).astype(int)) - 1
    epochs = (idx + 1).astype(float).tolist()
    plot = Plot(
        title="Early stopping: MSE by epoch",
        xlabel="epoch",
        ylabel="MSE",
        series=[
            Series(epochs, train[idx].tolist(), "training"),
            Series(epochs, valid[idx].tolist(), "validation"),
            Series(
                [float(best + 1)],
                [float(valid[best])],
                f"best epoch {best + 1}",
                marks="validation",
            ),
        ],
        log_x=True,
        vlines=((float(best + 1), f"best epoch {best + 1}"),),
    )
    return DemoResult(
        title="Early stopping",
        sentence=(
            f"Early stopping is one of the regularization techniques: here the validation error "
            f"is lowest at epoch {best + 1} and then rises while the training error keeps "
            f"falling, so training should stop at the best validation epoch."
        ),
        claims=claims,
        plots=[plot],
    )
