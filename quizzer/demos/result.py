"""What a demo returns: a title, a sentence, checked claims and optional plots.

Rule: this module imports no numpy, so the CLI and the export can hold results
without paying for it. Demos convert numpy scalars and arrays to floats and lists
before building a result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


def _fmt(x: float) -> str:
    if x == 0 or math.isnan(x) or math.isinf(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.6g}"
    return f"{x:.3e}"


@dataclass(frozen=True)
class Claim:
    """One checked statement: what was measured, what was expected, and whether it holds."""

    statement: str
    value: float
    expected: str
    ok: bool

    @property
    def value_text(self) -> str:
        return _fmt(self.value)


def close(statement: str, value: float, target: float, tol: float) -> Claim:
    """The measured value equals `target` within an absolute tolerance."""
    value = float(value)
    return Claim(statement, value, f"{_fmt(target)} ± {tol:g}", abs(value - target) <= tol)


def between(statement: str, value: float, lo: float, hi: float) -> Claim:
    """The measured value lies in the closed interval [lo, hi]."""
    value = float(value)
    return Claim(statement, value, f"in [{_fmt(lo)}, {_fmt(hi)}]", lo <= value <= hi)


def below(statement: str, value: float, bound: float) -> Claim:
    """The measured value is strictly below `bound`."""
    value = float(value)
    return Claim(statement, value, f"< {_fmt(bound)}", value < bound)


def above(statement: str, value: float, bound: float) -> Claim:
    """The measured value is strictly above `bound`."""
    value = float(value)
    return Claim(statement, value, f"> {_fmt(bound)}", value > bound)


def holds(statement: str, ok: bool) -> Claim:
    """A yes/no fact; the value is 1.0 when it holds and 0.0 when it does not."""
    return Claim(statement, 1.0 if ok else 0.0, "true", bool(ok))


@dataclass(frozen=True)
class Series:
    """One line of a plot."""

    x: Sequence[float]
    y: Sequence[float]
    label: str


@dataclass(frozen=True)
class Plot:
    """A line plot with labelled axes; `log_y` draws the y axis on a log10 scale."""

    title: str
    xlabel: str
    ylabel: str
    series: Sequence[Series]
    log_y: bool = False


@dataclass(frozen=True)
class DemoResult:
    """Everything a demo shows: rendered by the terminal UI, the JSON output and the export."""

    title: str
    sentence: str
    claims: Sequence[Claim]
    plots: Sequence[Plot] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.claims)
