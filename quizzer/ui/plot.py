"""Terminal line plots for demo results.

Rule: plotext lives only here (and numpy is never imported): the rest of quizzer hands
over a `Plot` of plain floats and gets back text. A log y axis is drawn as log10(y) on
a linear axis, labelled "log10(...)": plotext's own log scale and custom ticks
misplace the axes in some cases, and its default log tick labels are unreadable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotext as plt

from quizzer.demos.result import Plot

MIN_WIDTH = 30
MIN_HEIGHT = 8

# One marker per series, so that series stay distinguishable without colors: lines
# cycle through LINE_MARKERS, single points through POINT_MARKERS. Each pair is
# (plotext marker, glyph shown in the legend under the plot).
LINE_MARKERS: tuple[tuple[str, str], ...] = (
    ("hd", "▚"),
    ("•", "•"),
    ("+", "+"),
    ("braille", "⠶"),
    ("-", "-"),
    ("=", "="),
)
POINT_MARKERS: tuple[tuple[str, str], ...] = (
    ("x", "x"),
    ("*", "*"),
    ("o", "o"),
    ("@", "@"),
    ("#", "#"),
)


def _clip(text: str, n: int) -> str:
    """`text` cut to at most `n` characters, marking the cut with an ellipsis."""
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


def _points(
    xs: Sequence[float], ys: Sequence[float], log_y: bool
) -> tuple[list[float], list[float]]:
    """The drawable points: finite, and with y > 0 (as log10 y) on a log axis."""
    px: list[float] = []
    py: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        x, y = float(x), float(y)
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        if log_y:
            if y <= 0:
                continue
            y = math.log10(y)
        px.append(x)
        py.append(y)
    return px, py


def _legend(entries: list[str], width: int) -> list[str]:
    """Legend entries packed into lines no wider than `width`."""
    lines: list[str] = []
    line = ""
    for entry in entries:
        entry = _clip(entry, width)
        candidate = f"{line}   {entry}" if line else entry
        if len(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = entry
    if line:
        lines.append(line)
    return lines


def render_plot(plot: Plot, width: int = 80, height: int = 20, color: bool = False) -> str:
    """Render `plot` as text, at most `width` columns wide and `height` rows high.

    Each series gets its own marker, listed in a legend under the plot (so no data hides
    behind a legend box). Points that cannot be drawn (NaN, infinities, and y ≤ 0 on a
    log axis) are skipped; a series with a single point is drawn as one marker. Colors
    (ANSI codes) only when `color` is true.
    """
    width = max(int(width), MIN_WIDTH)
    height = max(int(height), MIN_HEIGHT)
    drawable: list[tuple[list[float], list[float], str]] = []
    entries: list[str] = []
    n_lines = n_points = 0
    for series in plot.series:
        xs, ys = _points(series.x, series.y, plot.log_y)
        if not xs:
            continue
        if len(xs) == 1:
            marker, glyph = POINT_MARKERS[n_points % len(POINT_MARKERS)]
            n_points += 1
        else:
            marker, glyph = LINE_MARKERS[n_lines % len(LINE_MARKERS)]
            n_lines += 1
        drawable.append((xs, ys, marker))
        entries.append(f"{glyph} {series.label}")
    if not drawable:
        return "\n".join(_clip(line, width) for line in (plot.title, "(nothing to plot)"))
    legend = _legend(entries, width)
    ylabel = f"log10({plot.ylabel})" if plot.log_y else plot.ylabel

    fig = plt.figure
    fig.clear()
    fig.plot_size(width, max(height - len(legend), MIN_HEIGHT))
    fig.title(_clip(plot.title, width - 2))
    fig.label(_clip(plot.xlabel, width // 2), axis="x")
    fig.label(_clip(ylabel, width // 4), axis="y")
    fig.legend(False)
    for xs, ys, marker in drawable:
        signal = fig.signal(xs, ys, marker=marker)
        if len(xs) > 1:
            signal.lines()
        fig.draw(signal)
    text: str = fig.build().string(colorless=not color)
    fig.clear()
    return "\n".join([text.rstrip("\n"), *legend])


def _y_ticks(top: float) -> list[float]:
    """Up to five round ticks from 0 to at least `top`: whole numbers for counts."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if top >= 1:
        step = max(1.0, math.ceil(step))
    n = math.ceil(top / step)
    return [round(i * step, 6) for i in range(n + 1)]


def render_bars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    width: int = 80,
    height: int = 14,
    tick_every: int = 7,
) -> str:
    """A bar chart as text: one bar per value, every `tick_every`-th bar labelled.

    Drawn without colors, so it reads the same on dark and light backgrounds and under
    NO_COLOR; y ticks are round numbers (whole numbers for counts).
    """
    width = max(int(width), MIN_WIDTH)
    height = max(int(height), MIN_HEIGHT)
    if not values:
        return "\n".join(_clip(line, width) for line in (title, "(nothing to plot)"))
    xs = list(range(len(values)))
    ticks = _y_ticks(max(values))
    fig = plt.figure
    fig.clear()
    fig.plot_size(width, height)
    fig.title(_clip(title, width - 2))
    fig.draw(fig.bar(xs, [float(v) for v in values], width=0.6))
    fig.ruler("x").ticks(xs[::tick_every], [str(s) for s in labels[::tick_every]])
    fig.ruler("y").ticks(ticks, [f"{t:g}" for t in ticks])
    text: str = fig.build().string(colorless=True)
    fig.clear()
    return text.rstrip("\n")
