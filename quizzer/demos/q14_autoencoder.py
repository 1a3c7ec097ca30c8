"""Demo for Q14 (unsupervised pretraining): an autoencoder learns features without labels.

A linear autoencoder trained on 2000 unlabeled 100-D points finds their one informative
direction; a classifier on its 1-D code then does well from 10 labels, much better than
the same classifier on the raw inputs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, Claim, DemoResult, Plot, Series, above, between

Mat = npt.NDArray[np.float64]
Vec = npt.NDArray[np.float64]

DIM = 100
N_UNLABELED = 2000
N_LABELS = 10
N_TEST = 2000
SPLITS = 5
SEPARATION = 2.0  # class means at ±2 along the hidden direction; noise std 1 per axis
AE_STEPS = 200
AE_LR = 0.05
CLF_STEPS = 200


def _sample(
    rng: np.random.Generator, n: int, direction: Vec, balanced: bool = False
) -> tuple[Mat, npt.NDArray[np.int64]]:
    labels = np.arange(n) % 2 if balanced else rng.integers(0, 2, n)
    t = (2 * labels - 1) * SEPARATION + 0.5 * rng.standard_normal(n)
    x: Mat = np.outer(t, direction) + rng.standard_normal((n, DIM))
    return x, labels


def _train_autoencoder(x: Mat, rng: np.random.Generator) -> tuple[Vec, list[float]]:
    """Linear autoencoder x → code x·e (1 unit) → code·d, by gradient descent on the mean
    squared reconstruction error. The loss and gradients only involve C = XᵀX/n, so they
    are computed from it (the same numbers as through the 2000 × 100 residual)."""
    n = len(x)
    c = x.T @ x / n
    trace = float(np.trace(c))
    e = rng.standard_normal(DIM) * 0.1
    d = rng.standard_normal(DIM) * 0.1
    losses = []
    for _ in range(AE_STEPS):
        ce, cd = c @ e, c @ d
        ece, dd = float(e @ ce), float(d @ d)
        losses.append(ece * dd - 2.0 * float(e @ cd) + trace)  # ‖code·dᵀ − X‖² / n
        grad_d = 2.0 * (ece * d - ce)
        grad_e = 2.0 * (dd * ce - cd)
        d -= AE_LR * grad_d
        e -= AE_LR * grad_e
    return e, losses


def _logistic(features: Mat, labels: npt.NDArray[np.int64]) -> tuple[Vec, float]:
    """Logistic regression with a little ℓ2, by gradient descent: the same for both inputs."""
    w = np.zeros(features.shape[1])
    b = 0.0
    lr = 1.0 / (0.25 * float(np.linalg.norm(features, 2) ** 2) / len(features) + 0.01)
    for _ in range(CLF_STEPS):
        p = 1.0 / (1.0 + np.exp(-(features @ w + b)))
        g = p - labels
        w -= lr * (features.T @ g / len(features) + 0.01 * w)
        b -= lr * float(g.mean())
    return w, b


def _accuracy(w: Vec, b: float, features: Mat, labels: npt.NDArray[np.int64]) -> float:
    return float(np.mean(((features @ w + b) > 0) == labels))


def run(rng: np.random.Generator) -> DemoResult:
    direction = rng.standard_normal(DIM)
    direction /= np.linalg.norm(direction)
    unlabeled, _ = _sample(rng, N_UNLABELED, direction)  # the labels are thrown away
    mean = unlabeled.mean(axis=0)
    encoder, losses = _train_autoencoder(unlabeled - mean, rng)
    cos = float(encoder @ direction / np.linalg.norm(encoder))

    def encode(x: Mat) -> Mat:
        out: Mat = ((x - mean) @ encoder)[:, None]
        return out

    x_test, y_test = _sample(rng, N_TEST, direction)
    pretrained, raw = [], []
    for _ in range(SPLITS):
        x, y = _sample(rng, N_LABELS, direction, balanced=True)  # 5 labels of each class
        w, b = _logistic(encode(x), y)
        pretrained.append(_accuracy(w, b, encode(x_test), y_test))
        w, b = _logistic(x - mean, y)
        raw.append(_accuracy(w, b, x_test - mean, y_test))

    gaps = np.array(pretrained) - np.array(raw)
    claims: list[Claim] = [
        above(
            "The encoder aligns with the true latent direction (|cos|)", abs(cos), 0.98, kind=CHECK
        ),
        above(
            "Mean test accuracy from 10 labels, on the autoencoder's code",
            float(np.mean(pretrained)),
            0.9,
            key=True,
            kind=CHECK,
        ),
        above(
            "Mean accuracy gain of pretraining over raw inputs",
            float(np.mean(gaps)),
            0.05,
            key=True,
            kind=CHECK,
        ),
        # Per split the 10 labels are few enough that one draw in a few hundred lets raw
        # inputs tie or edge ahead; the mean over splits is the robust measure.
        between(
            "Splits (of 5) on which pretraining beats raw inputs",
            float(np.sum(gaps > 0)),
            4,
            5,
            key=True,
            kind=CHECK,
        ),
    ]
    steps = [float(i) for i in range(1, AE_STEPS + 1)]
    plot = Plot(
        title="Linear autoencoder: reconstruction loss on unlabeled data",
        xlabel="gradient step",
        ylabel="squared reconstruction error per point",
        series=[Series(steps, losses, "training loss")],
    )
    return DemoResult(
        title="Unsupervised pretraining with an autoencoder",
        sentence=(
            f"When labels are scarce, an autoencoder trained on unlabeled data learns useful "
            f"features: with 10 labels a classifier on its code reaches "
            f"{np.mean(pretrained):.2f} accuracy, against {np.mean(raw):.2f} on the raw inputs."
        ),
        claims=claims,
        plots=[plot],
    )
