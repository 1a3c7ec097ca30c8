"""Q10 demo: ReLU and Swish as default activations on a small nonlinear task.

Trains a 2-32-32-1 network by hand (Adam, full batch) on the two-moons problem with
ReLU and with Swish hidden layers, and a logistic regression as a linear baseline;
accuracy is measured on a fresh test set.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, DemoResult, Plot, Series, above, below

Array = npt.NDArray[np.float64]
Activation = Callable[[Array], tuple[Array, Array]]  # z -> (f(z), f'(z))

N_TRAIN = 400
N_TEST = 5000  # enough that test-set noise (±0.002) does not decide a check
NOISE = 0.15
HIDDEN = 32
STEPS = 200
LR = 0.02


def _moons(rng: np.random.Generator, n: int) -> tuple[Array, Array]:
    """Two interleaving half circles with Gaussian noise; labels 0 and 1."""
    t = rng.uniform(0.0, np.pi, n)
    y = (rng.random(n) < 0.5).astype(np.float64)
    x = np.where(
        y[:, None] == 0,
        np.column_stack([np.cos(t), np.sin(t)]),
        np.column_stack([1.0 - np.cos(t), 0.5 - np.sin(t)]),
    )
    return x + rng.normal(0.0, NOISE, (n, 2)), y


def _relu(z: Array) -> tuple[Array, Array]:
    return np.maximum(z, 0.0), (z > 0).astype(np.float64)


def _swish(z: Array) -> tuple[Array, Array]:
    s = 1.0 / (1.0 + np.exp(-z))
    return z * s, s * (1.0 + z * (1.0 - s))


def _identity(z: Array) -> tuple[Array, Array]:
    return z, np.ones_like(z)


def _train(
    rng: np.random.Generator,
    x: Array,
    y: Array,
    sizes: list[int],
    act: Activation,
    lr: float = LR,
) -> tuple[Callable[[Array], Array], list[float]]:
    """Adam on the logistic loss; returns a predictor of P(y=1) and the loss per step."""
    weights = [rng.normal(0.0, np.sqrt(2.0 / m), (m, k)) for m, k in itertools.pairwise(sizes)]
    biases = [np.zeros(k) for k in sizes[1:]]
    params = weights + biases
    m1 = [np.zeros_like(p) for p in params]
    m2 = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8

    def forward(inp: Array) -> tuple[Array, list[Array], list[Array]]:
        acts = [inp]
        derivs: list[Array] = []
        a = inp
        for w, b in zip(weights[:-1], biases[:-1], strict=True):
            a, d = act(a @ w + b)
            acts.append(a)
            derivs.append(d)
        logit = (a @ weights[-1] + biases[-1])[:, 0]
        return logit, acts, derivs

    losses: list[float] = []
    n = x.shape[0]
    for step in range(1, STEPS + 1):
        logit, acts, derivs = forward(x)
        p = 1.0 / (1.0 + np.exp(-logit))
        losses.append(float(np.mean(np.logaddexp(0.0, logit) - y * logit)))
        delta = ((p - y) / n)[:, None]
        grads_w: list[Array] = [np.empty(0)] * len(weights)
        grads_b: list[Array] = [np.empty(0)] * len(biases)
        for layer in reversed(range(len(weights))):
            grads_w[layer] = acts[layer].T @ delta
            grads_b[layer] = delta.sum(axis=0)
            if layer > 0:
                delta = (delta @ weights[layer].T) * derivs[layer - 1]
        for i, (p_, g) in enumerate(zip(params, grads_w + grads_b, strict=True)):
            m1[i] = beta1 * m1[i] + (1.0 - beta1) * g
            m2[i] = beta2 * m2[i] + (1.0 - beta2) * g * g
            m_hat = m1[i] / (1.0 - beta1**step)
            v_hat = m2[i] / (1.0 - beta2**step)
            p_ -= lr * m_hat / (np.sqrt(v_hat) + eps)

    def predict(inp: Array) -> Array:
        logit, _, _ = forward(inp)
        out: Array = 1.0 / (1.0 + np.exp(-logit))
        return out

    return predict, losses


def _accuracy(predict: Callable[[Array], Array], x: Array, y: Array) -> float:
    return float(np.mean((predict(x) > 0.5) == (y == 1.0)))


def run(rng: np.random.Generator) -> DemoResult:
    x, y = _moons(rng, N_TRAIN)
    x_test, y_test = _moons(rng, N_TEST)
    deep = [2, HIDDEN, HIDDEN, 1]
    relu_pred, relu_loss = _train(rng, x, y, deep, _relu)
    swish_pred, swish_loss = _train(rng, x, y, deep, _swish)
    lin_pred, lin_loss = _train(rng, x, y, [2, 1], _identity, lr=0.1)

    relu_acc = _accuracy(relu_pred, x_test, y_test)
    swish_acc = _accuracy(swish_pred, x_test, y_test)
    lin_acc = _accuracy(lin_pred, x_test, y_test)
    claims = [
        above(
            f"ReLU 2-32-32-1, {STEPS} Adam steps: test accuracy",
            relu_acc,
            0.96,
            key=True,
            kind=CHECK,
        ),
        above(
            f"Swish 2-32-32-1, {STEPS} Adam steps: test accuracy",
            swish_acc,
            0.96,
            key=True,
            kind=CHECK,
        ),
        below(
            "linear model (logistic regression): test accuracy", lin_acc, 0.9, key=True, kind=CHECK
        ),
    ]
    steps = [float(s) for s in range(1, STEPS + 1, 3)]
    plot = Plot(
        title="Two moons: training loss (log loss)",
        xlabel="Adam step",
        ylabel="log loss",
        series=[
            Series(steps, relu_loss[::3], "ReLU"),
            Series(steps, swish_loss[::3], "Swish"),
            Series(steps, lin_loss[::3], "linear"),
        ],
        log_y=True,
    )
    return DemoResult(
        title="Default activations on two moons",
        sentence=(
            "ReLU is a fine default for simple tasks and Swish a good one for harder tasks; on "
            "two moons both solve the problem that a linear model cannot."
        ),
        claims=claims,
        plots=[plot],
    )
