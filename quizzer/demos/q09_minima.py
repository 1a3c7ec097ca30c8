"""Q9 demo: where Swish, GELU and Mish have their minimum.

Locates each minimum on a grid of step 1e-4, then refines it by bisection on the exact
derivative. Swish's minimum is at z ≈ −1.2785 (where Swish(z) = z + 1); z ≈ −0.75 is
GELU's minimum, not Swish's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

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

Array = npt.NDArray[np.float64]

_erf = np.vectorize(math.erf, otypes=[np.float64])

# Reference minima (z*, f(z*)) from the constants table.
SWISH_MIN = (-1.278464542761, -0.278464542761)
GELU_MIN = (-0.751791524694, -0.169971207480)
MISH_MIN = (-1.192431214515, -0.308843413017)
GELU_BETA = 1.702  # z·σ(βz) with this β approximates GELU


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _softplus(z: float) -> float:
    return math.log1p(math.exp(z))


def swish(z: Array) -> Array:
    out: Array = z / (1.0 + np.exp(-z))
    return out


def gelu(z: Array) -> Array:
    out: Array = 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)))
    return out


def mish(z: Array) -> Array:
    out: Array = z * np.tanh(np.logaddexp(0.0, z))
    return out


def _d_swish(z: float) -> float:
    s = _sigmoid(z)
    return s * (1.0 + z * (1.0 - s))


def _d_gelu(z: float) -> float:
    cdf = 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return cdf + z * pdf


def _d_mish(z: float) -> float:
    t = math.tanh(_softplus(z))
    return t + z * (1.0 - t * t) * _sigmoid(z)


def _bisect(f: Callable[[float], float], lo: float, hi: float) -> float:
    """Root of f in [lo, hi] (f(lo) < 0 < f(hi)), to machine precision."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if f(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _grid_min(f: Callable[[Array], Array], grid: Array) -> tuple[float, float]:
    values = f(grid)
    i = int(np.argmin(values))
    return float(grid[i]), float(values[i])


def run(rng: np.random.Generator) -> DemoResult:
    del rng  # exact computation: nothing random here
    grid = np.round(np.arange(-30_000, 1) * 1e-4, 4)  # [−3, 0], step 1e-4
    found = {
        "Swish": (swish, _d_swish, SWISH_MIN),
        "GELU": (gelu, _d_gelu, GELU_MIN),
        "Mish": (mish, _d_mish, MISH_MIN),
    }
    claims: list[Claim] = []
    minima: dict[str, tuple[float, float]] = {}
    for name, (f, df, (z_ref, f_ref)) in found.items():
        z_grid, f_grid = _grid_min(f, grid)
        z_star = _bisect(df, -2.0, -0.5)
        f_star = float(f(np.array([z_star]))[0])
        minima[name] = (z_star, f_star)
        claims += [
            close(f"{name}: z of the minimum on the 1e-4 grid", z_grid, z_ref, 1e-4, kind=CHECK),
            close(f"{name}: minimum value on the 1e-4 grid", f_grid, f_ref, 1e-9, kind=VALUE),
            close(
                f"{name}: z of the minimum, refined",
                z_star,
                z_ref,
                1e-10,
                key=name != "Mish",
                kind=VALUE,
            ),
            close(
                f"{name}: minimum value, refined",
                f_star,
                f_ref,
                1e-12,
                key=name == "Swish",
                kind=VALUE,
            ),
        ]

    z_sw, f_sw = minima["Swish"]
    at = np.array([-0.75, 0.0, 20.0, -20.0])
    sw_minus075, sw0, sw20, sw_neg20 = (float(v) for v in swish(at))
    steps = np.diff(swish(grid))
    claims += [
        close("Swish at its minimum equals z* + 1", f_sw, z_sw + 1.0, 1e-12, kind=VALUE),
        above(
            "Swish(−0.75) − Swish's minimum: −0.75 is not Swish's minimum",
            sw_minus075 - f_sw,
            0.03,
            key=True,
            kind=CHECK,
        ),
        close("Swish(0)", sw0, 0.0, 0.0, kind=VALUE),
        close("Swish'(0): the slope at 0", _d_swish(0.0), 0.5, 1e-15, kind=VALUE),
        close("Swish(20) − 20: ≈ z for large z", sw20 - 20.0, 0.0, 1e-6, kind=VALUE),
        below("Swish(−20): tends to 0 from below", sw_neg20, 0.0, kind=VALUE),
        above("Swish(−20) is within 1e-6 of 0", sw_neg20, -1e-6, kind=VALUE),
        holds(
            "Swish is non-monotonic: on [−3, 0] it first falls, then rises",
            bool(np.any(steps < 0) and np.any(steps > 0)),
            kind=CHECK,
        ),
        # Swish with β = 1.702 approximates GELU (z·σ(1.702z) ≈ z·Φ(z)); its minimum sits
        # at z*/1.702, which is probably where the reference answer's −0.75 comes from.
        close(
            "Swish with β = 1.702 (≈ GELU): z of its minimum, z* ÷ 1.702",
            z_sw / GELU_BETA,
            GELU_MIN[0],
            0.005,
            kind=VALUE,
        ),
    ]

    z = np.linspace(-4.0, 2.0, 121)
    zs = z.tolist()
    series = [
        Series(zs, swish(z).tolist(), "Swish"),
        Series(zs, gelu(z).tolist(), "GELU"),
        Series(zs, mish(z).tolist(), "Mish"),
    ]
    series += [
        Series([zm], [fm], f"{name} min ({zm:.3f}, {fm:.3f})", marks=name)
        for name, (zm, fm) in minima.items()
    ]
    plot = Plot(
        title="Swish, GELU and Mish with their minima",
        xlabel="z",
        ylabel="f(z)",
        series=series,
        panels=True,  # on one axis Mish and GELU hide Swish's dip
    )
    return DemoResult(
        title="Where the smooth activations dip below 0",
        sentence=(
            "Swish(z) = z·σ(z) is smooth and non-monotonic with its minimum ≈ −0.2785 at "
            "z ≈ −1.2785; the minimum near z = −0.75 belongs to GELU."
        ),
        claims=claims,
        plots=[plot],
    )
