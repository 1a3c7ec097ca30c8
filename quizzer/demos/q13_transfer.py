"""Demo for Q13 (transfer learning): reusing pretrained lower layers on a small task.

Tasks A (2000 labels) and B (30 per split) share four hidden "detectors" of the input.
A net pretrained on A has its hidden layer frozen under a new head for B, and is compared
with the same net trained from scratch on B over 5 splits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, Claim, DemoResult, Plot, Series, above, below, holds

Mat = npt.NDArray[np.float64]
Vec = npt.NDArray[np.float64]
Params = list[Mat]

D_IN = 10
DETECTORS = 4
HIDDEN = 24
N_A = 2000
N_B = 30
N_TEST = 2000
SPLITS = 5
STEPS_A = 400
BATCH_A = 100
STEPS_B = 100
LR = 0.02
HEAD_L2 = 0.1  # weight decay on the output layer, the same recipe for reuse and scratch


def _grads(x: Mat, targets: Mat, params: Params, head_l2: float = 0.0) -> Params:
    """Gradients of softmax cross-entropy (+ head_l2·‖W2‖²/2) for a one-hidden-layer ReLU net."""
    w1, b1, w2, b2 = params
    z = x @ w1 + b1
    a = np.maximum(z, 0.0)
    s = a @ w2 + b2
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d = (p - targets) / len(x)
    da = (d @ w2.T) * (z > 0)
    return [x.T @ da, da.sum(axis=0), a.T @ d + head_l2 * w2, d.sum(axis=0)]


def _adam(
    params: Params, trainable: list[bool], grads: Callable[[Params], Params], steps: int
) -> None:
    """Adam on the trainable arrays, in place; frozen arrays are never written to."""
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t in range(1, steps + 1):
        g = grads(params)
        for i, p in enumerate(params):
            if not trainable[i]:
                continue
            m[i] = 0.9 * m[i] + 0.1 * g[i]
            v[i] = 0.999 * v[i] + 0.001 * g[i] ** 2
            p -= LR * (m[i] / (1 - 0.9**t)) / (np.sqrt(v[i] / (1 - 0.999**t)) + 1e-8)


def _predict(x: Mat, params: Params) -> npt.NDArray[np.int64]:
    w1, b1, w2, b2 = params
    out: npt.NDArray[np.int64] = np.argmax(np.maximum(x @ w1 + b1, 0.0) @ w2 + b2, axis=1)
    return out


def _init(rng: np.random.Generator, outputs: int) -> Params:
    return [
        rng.standard_normal((D_IN, HIDDEN)) * np.sqrt(2.0 / D_IN),
        np.zeros(HIDDEN),
        rng.standard_normal((HIDDEN, outputs)) * np.sqrt(1.0 / HIDDEN),
        np.zeros(outputs),
    ]


def run(rng: np.random.Generator) -> DemoResult:
    # Shared low-level structure: four detectors |u_i · x|.
    u = rng.standard_normal((D_IN, DETECTORS)) / np.sqrt(D_IN)
    v_b = rng.standard_normal(DETECTORS)

    def detectors(x: Mat) -> Mat:
        out: Mat = np.abs(x @ u)
        return out

    # Task A: which detector fires most (4 classes). Task B: a weighted vote, thresholded.
    threshold = float(np.median(detectors(rng.standard_normal((5000, D_IN))) @ v_b))

    def label_b(x: Mat) -> npt.NDArray[np.int64]:
        out: npt.NDArray[np.int64] = (detectors(x) @ v_b > threshold).astype(np.int64)
        return out

    x_a = rng.standard_normal((N_A, D_IN))
    y_a = np.argmax(detectors(x_a), axis=1)
    pretrained = _init(rng, DETECTORS)
    one_hot_a = np.eye(DETECTORS)[y_a]

    def grads_a(p: Params) -> Params:
        batch = rng.integers(0, N_A, BATCH_A)  # mini-batch Adam
        return _grads(x_a[batch], one_hot_a[batch], p)

    _adam(pretrained, [True] * 4, grads_a, STEPS_A)
    acc_a = float(np.mean(_predict(x_a, pretrained) == y_a))

    x_test = rng.standard_normal((N_TEST, D_IN))
    y_test = label_b(x_test)
    reuse, scratch = [], []
    frozen_intact = True
    for _ in range(SPLITS):
        x_b = rng.standard_normal((N_B, D_IN))
        one_hot_b = np.eye(2)[label_b(x_b)]

        def grads_b(p: Params, x_b: Mat = x_b, t: Mat = one_hot_b) -> Params:
            return _grads(x_b, t, p, HEAD_L2)

        reused = [pretrained[0].copy(), pretrained[1].copy(), *_init(rng, 2)[2:]]
        frozen_before = [reused[0].copy(), reused[1].copy()]
        _adam(reused, [False, False, True, True], grads_b, STEPS_B)
        frozen_intact &= bool(
            np.array_equal(reused[0], frozen_before[0])
            and np.array_equal(reused[1], frozen_before[1])
        )
        fresh = _init(rng, 2)
        _adam(fresh, [True] * 4, grads_b, STEPS_B)
        reuse.append(float(np.mean(_predict(x_test, reused) == y_test)))
        scratch.append(float(np.mean(_predict(x_test, fresh) == y_test)))

    gaps = np.array(reuse) - np.array(scratch)
    splits = [float(i) for i in range(1, SPLITS + 1)]
    claims: list[Claim] = [
        above("Pretrained network's accuracy on task A", acc_a, 0.9, kind=VALUE),
        holds(
            "The frozen hidden layer stays bit-identical while task B is trained",
            frozen_intact,
            kind=VALUE,
        ),
        above(
            "Mean test accuracy on B, reusing the frozen pretrained layer",
            float(np.mean(reuse)),
            0.65,
            key=True,
            kind=CHECK,
        ),
        below(
            "Mean test accuracy on B, the same network trained from scratch",
            float(np.mean(scratch)),
            0.7,
            key=True,
            kind=CHECK,
        ),
        above(
            "Mean accuracy gain of reuse over training from scratch",
            float(np.mean(gaps)),
            0.05,
            key=True,
            kind=CHECK,
        ),
        above(
            "Smallest gain of reuse over scratch across the 5 splits (it wins on every split)",
            float(np.min(gaps)),
            0.0,
            key=True,
            kind=CHECK,
        ),
    ]
    return DemoResult(
        title="Transfer learning: reuse frozen layers",
        sentence=(
            f"Reusing the lower layers of a network trained on a related task and training only "
            f"a new output layer gives {np.mean(reuse):.2f} accuracy from 30 labels, against "
            f"{np.mean(scratch):.2f} for the same network trained from scratch."
        ),
        claims=claims,
        plots=[
            Plot(
                title="Test accuracy on task B from 30 labels, split by split",
                xlabel="split",
                ylabel="test accuracy",
                series=[
                    Series(splits, reuse, "reused frozen layer + new head", points=True),
                    Series(splits, scratch, "same net from scratch", points=True),
                ],
            )
        ],
    )
