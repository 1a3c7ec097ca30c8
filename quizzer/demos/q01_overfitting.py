"""Q1 demo: overfitting when data is scarce.

A random-feature model with 200 parameters is fitted by near-unregularized least
squares to 15 noisy samples and to 3000. With 15 samples it memorizes the training
set (train MSE near 0) but generalizes far worse than the same model fitted to 3000.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, DemoResult, Plot, Series, above, below, holds

Array = npt.NDArray[np.float64]

N_FEATURES = 200
N_SMALL = 15
N_LARGE = 3000
NOISE_STD = 0.1
RIDGE = 1e-8  # tiny, only to keep the linear solve well posed
SIZES = (15, 30, 60, 120, 400, 1000, 3000)
REPEATS = 10  # draws of each training set smaller than the number of features


def _target(x: Array) -> Array:
    return np.sin(3.0 * x)


def _fit(features: Array, y: Array) -> Array:
    """Ridge least squares with a tiny penalty, in whichever form has the smaller system."""
    n, p = features.shape
    if n < p:
        dual = np.linalg.solve(features @ features.T + RIDGE * np.eye(n), y)
        return features.T @ dual.astype(np.float64, copy=False)
    w = np.linalg.solve(features.T @ features + RIDGE * np.eye(p), features.T @ y)
    return w.astype(np.float64, copy=False)


def run(rng: np.random.Generator) -> DemoResult:
    freq = rng.normal(0.0, 10.0, size=N_FEATURES)
    phase = rng.uniform(-np.pi, np.pi, size=N_FEATURES)

    def features(x: Array) -> Array:
        return np.cos(np.outer(x, freq) + phase)

    def sample(n: int) -> tuple[Array, Array]:
        x = rng.uniform(-1.0, 1.0, size=n)
        return x, _target(x) + rng.normal(0.0, NOISE_STD, size=n)

    x_test, y_test = sample(1000)
    f_test = features(x_test)
    train_mse: dict[int, float] = {}
    test_mse: dict[int, float] = {}
    for n in SIZES:
        # Small training sets are drawn REPEATS times: one lucky draw proves nothing.
        train_runs: list[float] = []
        test_runs: list[float] = []
        for _ in range(REPEATS if n < N_FEATURES else 1):
            x, y = sample(n)
            f = features(x)
            w = _fit(f, y)
            train_runs.append(float(np.mean((f @ w - y) ** 2)))
            test_runs.append(float(np.mean((f_test @ w - y_test) ** 2)))
        train_mse[n] = float(np.mean(train_runs))
        test_mse[n] = float(np.mean(test_runs))

    small_train, small_test = train_mse[N_SMALL], test_mse[N_SMALL]
    large_test = test_mse[N_LARGE]
    claims = [
        holds(
            f"the model has more parameters ({N_FEATURES}) than the {N_SMALL} training samples",
            N_FEATURES > N_SMALL,
            kind=VALUE,
        ),
        below(
            f"mean train MSE with {N_SMALL} samples ({REPEATS} draws): it memorizes them",
            small_train,
            0.005,
            key=True,
            kind=CHECK,
        ),
        above(
            f"mean test MSE with {N_SMALL} samples ({REPEATS} draws) ÷ test MSE with {N_LARGE}",
            small_test / large_test,
            100.0,
            key=True,
            kind=CHECK,
        ),
        below(
            f"test MSE with {N_LARGE} samples (noise variance is {NOISE_STD**2:g})",
            large_test,
            2.0 * NOISE_STD**2,
            kind=CHECK,
        ),
    ]
    sizes = [float(n) for n in SIZES]
    plot = Plot(
        title="Same 200-feature model, more data: test error falls",
        xlabel="training samples",
        ylabel="MSE",
        series=[
            Series(sizes, [test_mse[n] for n in SIZES], "test MSE"),
            Series(sizes, [max(train_mse[n], 1e-12) for n in SIZES], "train MSE"),
        ],
        log_x=True,
        log_y=True,
        vlines=((float(N_FEATURES), f"{N_FEATURES} parameters"),),
    )
    return DemoResult(
        title="Overfitting with too little data",
        sentence=(
            "Too little labeled data is one of the typical problems: with 15 samples a "
            "200-parameter model fits the training set almost perfectly and fails on new data."
        ),
        claims=claims,
        plots=[plot],
    )
