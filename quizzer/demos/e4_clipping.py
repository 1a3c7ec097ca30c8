"""Demo for E4 (how gradient clipping works): clipvalue versus clipnorm.

Clips g = [0.9, 100] with threshold 1 both ways and measures how far each result
turns away from g. clipvalue changes the direction; clipnorm only shortens g.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from quizzer.demos.result import Claim, DemoResult, close, holds

Vec = npt.NDArray[np.float64]


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


def run(rng: np.random.Generator) -> DemoResult:
    del rng  # fully deterministic: no randomness needed
    g = np.array([0.9, 100.0])
    t = 1.0
    by_value = clip_value(g, t)
    by_norm = clip_norm(g, t)
    small = np.array([0.3, 0.4])

    claims: list[Claim] = [
        close(
            "clipvalue turns g = [0.9, 100] into [0.9, 1.0]: first component",
            float(by_value[0]),
            0.9,
            1e-12,
        ),
        close("clipvalue result, second component", float(by_value[1]), 1.0, 1e-12),
        close(
            "clipvalue turns the gradient by 41.47 degrees", _angle_deg(g, by_value), 41.47, 0.005
        ),
        close(
            "clipnorm gives [0.0089996, 0.9999595]: first component",
            float(by_norm[0]),
            0.0089996,
            5e-8,
        ),
        close("clipnorm result, second component", float(by_norm[1]), 0.9999595, 5e-8),
        close(
            "clipnorm result has norm exactly the threshold 1",
            float(np.linalg.norm(by_norm)),
            1.0,
            1e-12,
        ),
        close(
            "clipnorm keeps the direction: cosine between g and the clipped g is 1",
            _cos(g, by_norm),
            1.0,
            1e-12,
        ),
        holds(
            "clipnorm leaves a gradient with norm 0.5 (below the threshold) unchanged",
            bool(np.array_equal(clip_norm(small, t), small)),
        ),
    ]
    return DemoResult(
        title="Gradient clipping: clipvalue vs clipnorm",
        sentence=(
            "Clipping g = [0.9, 100] at 1 shows how clipping works: clipvalue cuts each "
            "component and turns the gradient by about 41°, while clipnorm rescales the "
            "whole vector and keeps its direction."
        ),
        claims=claims,
    )
