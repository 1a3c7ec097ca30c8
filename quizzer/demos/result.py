"""What a demo returns: a title, a sentence, claims (checks and values) and optional plots.

Rule 1: this module imports no numpy, so the CLI and the export can hold results
without paying for it. Demos convert numpy scalars and arrays to floats and lists.
Rule 2: every claim declares its kind. A *check* would come out differently if the card
were wrong; a *value* is a number computed and shown (arithmetic on constants, an
identity true by construction), which can only catch a bug in the demo itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["check", "value"]
CHECK: Kind = "check"
VALUE: Kind = "value"


def _fmt(x: float) -> str:
    if x == 0 or math.isnan(x) or math.isinf(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.6g}"
    return f"{x:.3e}"


@dataclass(frozen=True)
class Claim:
    """One statement: what was measured, what was expected, and whether it holds.

    `kind` says whether it is evidence (a check) or a computed value; `key` marks the
    2–4 numbers the short form of a demo shows under its sentence.
    """

    statement: str
    value: float
    expected: str
    ok: bool
    kind: Kind
    key: bool = False

    @property
    def value_text(self) -> str:
        return _fmt(self.value)


def close(
    statement: str, value: float, target: float, tol: float, *, kind: Kind, key: bool = False
) -> Claim:
    """The measured value equals `target` within an absolute tolerance."""
    value = float(value)
    return Claim(
        statement, value, f"{_fmt(target)} ± {tol:g}", abs(value - target) <= tol, kind, key
    )


def between(
    statement: str, value: float, lo: float, hi: float, *, kind: Kind, key: bool = False
) -> Claim:
    """The measured value lies in the closed interval [lo, hi]."""
    value = float(value)
    return Claim(statement, value, f"in [{_fmt(lo)}, {_fmt(hi)}]", lo <= value <= hi, kind, key)


def below(statement: str, value: float, bound: float, *, kind: Kind, key: bool = False) -> Claim:
    """The measured value is strictly below `bound`."""
    value = float(value)
    return Claim(statement, value, f"< {_fmt(bound)}", value < bound, kind, key)


def above(statement: str, value: float, bound: float, *, kind: Kind, key: bool = False) -> Claim:
    """The measured value is strictly above `bound`."""
    value = float(value)
    return Claim(statement, value, f"> {_fmt(bound)}", value > bound, kind, key)


def holds(statement: str, ok: bool, *, kind: Kind, key: bool = False) -> Claim:
    """A yes/no fact; the value is 1.0 when it holds and 0.0 when it does not."""
    return Claim(statement, 1.0 if ok else 0.0, "true", bool(ok), kind, key)


@dataclass(frozen=True)
class Series:
    """One line of a plot, or markers only when `points` is true.

    `marks` names the label of the line this series marks a point on (a minimum, say):
    renderers draw it in that line's colour and in that line's panel.
    """

    x: Sequence[float]
    y: Sequence[float]
    label: str
    points: bool = False
    marks: str | None = None


@dataclass(frozen=True)
class Plot:
    """A line plot with labelled axes.

    `log_y` and `log_x` draw that axis on a log10 scale. `panels` draws each line (with the
    series that mark it) in its own small panel, for curves that would hide each other.
    `vlines` are vertical reference lines (x, label), such as the best epoch.
    """

    title: str
    xlabel: str
    ylabel: str
    series: Sequence[Series]
    log_y: bool = False
    log_x: bool = False
    panels: bool = False
    vlines: Sequence[tuple[float, str]] = ()


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

    @property
    def checks(self) -> list[Claim]:
        return [c for c in self.claims if c.kind == CHECK]

    @property
    def values(self) -> list[Claim]:
        return [c for c in self.claims if c.kind != CHECK]

    @property
    def key_claims(self) -> list[Claim]:
        """The numbers the short form shows; the first claims when none is marked."""
        marked = [c for c in self.claims if c.key]
        return marked or list(self.claims[:3])
