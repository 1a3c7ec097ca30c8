"""Demo for E4 (how gradient clipping works): clipvalue versus clipnorm.

Clips g = [0.9, 100] with threshold 1 both ways and measures how far each result
turns away from g: clipvalue changes the direction, clipnorm only shortens one vector.
But Keras' clipnorm clips each variable's gradient on its own, so on a model with several
variables it can turn the full gradient too; only global_clipnorm keeps its direction.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import CHECK, VALUE, Claim, DemoResult, above, below, close, holds

Vec = npt.NDArray[np.float64]

DRAWS = 400


def clip_value(g: Vec, t: float) -> Vec:
    """Keras' clipvalue: clip every component to [-t, t]."""
    return np.clip(g, -t, t)


def clip_norm(g: Vec, t: float) -> Vec:
    """Keras' clipnorm: rescale g to norm t when its norm exceeds t."""
    norm = float(np.linalg.norm(g))
    return g * (t / norm) if norm > t else g.copy()


def _angle_deg(a: Vec, b: Vec) -> float:
    cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    return math.degrees(math.acos(min(1.0, max(-1.0, cos))))


def _cos(a: Vec, b: Vec) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _per_variable(grads: list[Vec], t: float) -> list[Vec]:
    """Keras' clipnorm: each variable's gradient is clipped to norm t on its own."""
    return [clip_norm(g, t) for g in grads]


def _global(grads: list[Vec], t: float) -> list[Vec]:
    """Keras' global_clipnorm: all gradients rescaled together when their joint norm > t."""
    norm = math.sqrt(sum(float(g @ g) for g in grads))
    return [g * (t / norm) for g in grads] if norm > t else [g.copy() for g in grads]


def _turns(rng: np.random.Generator, t: float) -> tuple[float, float, float]:
    """Over DRAWS random gradients of a 2-variable model (a 4×1 kernel and a 3-element bias,
    with scales from 0.1 to 100): the share that clipvalue and per-variable clipnorm turn
    by more than 1°, and the largest angle that global_clipnorm turns one by."""
    by_value = by_variable = 0
    worst_global = 0.0
    for _ in range(DRAWS):
        grads = [
            rng.standard_normal(4) * 10 ** rng.uniform(-1, 2),
            rng.standard_normal(3) * 10 ** rng.uniform(-1, 2),
        ]
        full = np.concatenate(grads)
        by_value += _angle_deg(full, clip_value(full, t)) > 1.0
        by_variable += _angle_deg(full, np.concatenate(_per_variable(grads, t))) > 1.0
        worst_global = max(worst_global, _angle_deg(full, np.concatenate(_global(grads, t))))
    return by_value / DRAWS, by_variable / DRAWS, worst_global


def run(rng: np.random.Generator) -> DemoResult:
    g = np.array([0.9, 100.0])
    t = 1.0
    by_value = clip_value(g, t)
    by_norm = clip_norm(g, t)
    small = np.array([0.3, 0.4])
    share_value, share_variable, worst_global = _turns(rng, t)

    claims: list[Claim] = [
        close(
            "clipvalue turns g = [0.9, 100] into [0.9, 1.0]: first component",
            float(by_value[0]),
            0.9,
            1e-12,
            kind=VALUE,
        ),
        close("clipvalue result, second component", float(by_value[1]), 1.0, 1e-12, kind=VALUE),
        close(
            "clipvalue turns the gradient by 41.47 degrees",
            _angle_deg(g, by_value),
            41.47,
            0.005,
            key=True,
            kind=VALUE,
        ),
        close(
            "clipnorm gives [0.0089996, 0.9999595]: first component",
            float(by_norm[0]),
            0.0089996,
            5e-8,
            kind=VALUE,
        ),
        close("clipnorm result, second component", float(by_norm[1]), 0.9999595, 5e-8, kind=VALUE),
        close(
            "clipnorm result has norm exactly the threshold 1",
            float(np.linalg.norm(by_norm)),
            1.0,
            1e-12,
            kind=VALUE,
        ),
        close(
            "clipnorm keeps the direction: cosine between g and the clipped g is 1",
            _cos(g, by_norm),
            1.0,
            1e-12,
            kind=VALUE,
        ),
        holds(
            "clipnorm leaves a gradient with norm 0.5 (below the threshold) unchanged",
            bool(np.array_equal(clip_norm(small, t), small)),
            kind=VALUE,
        ),
        above(
            f"Random 2-variable gradients: share that clipvalue turns by more than 1° "
            f"({DRAWS} draws)",
            share_value,
            0.5,
            kind=CHECK,
        ),
        above(
            "Share that clipnorm turns by more than 1°: it clips each variable on its own",
            share_variable,
            0.3,
            key=True,
            kind=CHECK,
        ),
        below(
            "global_clipnorm: largest angle it turns any of them by (degrees)",
            worst_global,
            1e-4,  # acos near 1 resolves angles to about 1e-6 degrees
            key=True,
            kind=VALUE,
        ),
    ]
    return DemoResult(
        title="Gradient clipping: clipvalue vs clipnorm",
        sentence=(
            "Clipping g = [0.9, 100] at 1 shows how clipping works: clipvalue cuts each "
            "component and turns the gradient by about 41°, while clipnorm rescales each "
            "variable's gradient and global_clipnorm the whole gradient, which alone keeps "
            "its direction exactly."
        ),
        claims=claims,
    )
