"""Terminal line plots for demo results.

Rule: plotext lives only here (and numpy is never imported): the rest of quizzer hands
over a `Plot` of plain floats and gets back text. The frame, ticks and labels carry no
colour (no black frame that vanishes on a dark terminal); lines use mid-lightness
colours that read on dark and light backgrounds, and each series also has its own glyph,
so nothing depends on colour (NO_COLOR). Ticks are round numbers chosen here; a log axis
is drawn as log10 on a linear axis with ticks labelled 1, 10, 100. Titles and axis labels
are wrapped, never cut.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace

import plotext as plt
from plotext._primitives.marker import marker as plotext_marker
from plotext._primitives.pixel import pixel as plotext_pixel

from quizzer.demos.result import Plot
from quizzer.ticks import log_ticks, nice_ticks, tick_label

MIN_WIDTH = 30
MIN_HEIGHT = 8
PANEL_HEIGHT = 12
FLAT_SHARE = 0.2  # a series with this share of its points at one tick value is "flat" there

# xterm-256 colours of medium lightness: blue, red, green, purple, orange, teal.
PALETTE: tuple[int, ...] = (33, 160, 34, 127, 172, 30)

# One glyph per series, so that series stay distinguishable without colours: lines cycle
# through LINE_MARKERS, markers-only series through POINT_MARKERS. Each pair is
# (plotext marker, glyph shown in the legend under the plot).
LINE_MARKERS: tuple[tuple[str, str], ...] = (
    ("braille", "⠶"),
    ("•", "•"),
    ("+", "+"),
    ("hd", "▚"),
    ("-", "-"),
    ("=", "="),
)
POINT_MARKERS: tuple[tuple[str, str], ...] = (
    ("x", "x"),
    ("o", "o"),
    ("*", "*"),
    ("@", "@"),
    ("#", "#"),
)
VLINE = ("│", "│")


@dataclass(frozen=True)
class _Drawn:
    """One series ready to draw: transformed points, its marker, glyph and colour."""

    xs: list[float]
    ys: list[float]
    marker: str
    glyph: str
    color: int
    label: str
    line: bool


def _clip(text: str, n: int) -> str:
    """`text` cut to at most `n` characters, marking the cut with an ellipsis."""
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


def _points(
    xs: Sequence[float], ys: Sequence[float], log_x: bool, log_y: bool
) -> tuple[list[float], list[float]]:
    """The drawable points: finite, and > 0 (as log10) on a log axis."""
    px: list[float] = []
    py: list[float] = []
    for x, y in zip(xs, ys, strict=True):
        x, y = float(x), float(y)
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        if (log_x and x <= 0) or (log_y and y <= 0):
            continue
        px.append(math.log10(x) if log_x else x)
        py.append(math.log10(y) if log_y else y)
    return px, py


def _axis(lo: float, hi: float, log: bool, avoid: set[float]) -> tuple[list[float], list[str]]:
    """Round ticks for data spanning [lo, hi], leaving out values in `avoid`; at least
    three of them when a finer round step allows it."""
    for target in (5, 7, 9):
        if log:
            ticks, labels = log_ticks(lo, hi)
        else:
            ticks = nice_ticks(lo, hi, target)
            labels = [tick_label(t) for t in ticks]
        kept = [(t, lab) for t, lab in zip(ticks, labels, strict=True)
                if not any(math.isclose(t, a, abs_tol=1e-12) for a in avoid)]
        if len(kept) >= 3 or log:
            break
    return [t for t, _ in kept], [lab for _, lab in kept]


def _flat_values(drawn: Sequence[_Drawn]) -> set[float]:
    """y values where a line stays flat: a tick row there would hide the line in the axis."""
    flat: set[float] = set()
    for d in drawn:
        if not d.line or len(d.ys) < 5:
            continue
        for y in set(d.ys):
            if d.ys.count(y) >= FLAT_SHARE * len(d.ys):
                flat.add(y)
    return flat


def _limits(span: tuple[float, float]) -> tuple[float, float]:
    lo, hi = span
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def _style(text: str, color: int | None, use_color: bool) -> str:
    return f"\x1b[38;5;{color}m{text}\x1b[0m" if use_color and color is not None else text


def _legend(entries: Sequence[tuple[str, int | None, str]], width: int,
            color: bool) -> list[str]:
    """Legend entries (glyph, colour, label) packed into lines no wider than `width`."""
    lines: list[str] = []
    line, visible = "", 0
    for glyph, col, label in entries:
        text = _clip(f"{glyph} {label}", width)
        styled = _style(glyph, col, color) + text[len(glyph):]
        if visible and visible + 3 + len(text) <= width:
            line, visible = f"{line}   {styled}", visible + 3 + len(text)
        else:
            if visible:
                lines.append(line)
            line, visible = styled, len(text)
    if visible:
        lines.append(line)
    return lines


def _prepare(plot: Plot) -> tuple[list[_Drawn], dict[str, int]]:
    """Every drawable series with its marker and colour; a series that marks a line takes
    that line's colour. Also returns the index of each drawn line by label."""
    drawn: list[_Drawn] = []
    colors: dict[str, int] = {}
    n_lines = n_points = n_colors = 0
    for series in plot.series:
        xs, ys = _points(series.x, series.y, plot.log_x, plot.log_y)
        if not xs:
            continue
        line = len(xs) > 1 and not series.points
        if line:
            marker, glyph = LINE_MARKERS[n_lines % len(LINE_MARKERS)]
            n_lines += 1
        else:
            marker, glyph = POINT_MARKERS[n_points % len(POINT_MARKERS)]
            n_points += 1
        if series.marks is not None and series.marks in colors:
            color = colors[series.marks]  # a marked point shares its line's colour
        else:
            color = PALETTE[n_colors % len(PALETTE)]
            n_colors += 1
        colors.setdefault(series.label, color)
        drawn.append(_Drawn(xs, ys, marker, glyph, color, series.label, line))
    return drawn, colors


def _canvas(drawn: Sequence[_Drawn], plot: Plot, width: int, height: int,
            xdata: tuple[float, float], ydata: tuple[float, float], color: bool,
            title: str | None) -> str:
    """One plotext plot of `drawn` on shared ranges: ticks from the data's range, limits
    a little wider so no point sits on the frame."""
    xlim, ylim = _limits(xdata), _limits(ydata)
    fig = plt.figure
    fig.clear()
    fig.theme("colorless")
    fig.plot_size(width, height)
    if title:
        fig.title(_clip(title, width - 2))
    fig.legend(False)
    for d in drawn:
        signal = fig.signal(d.xs, d.ys, marker=plotext_marker(
            d.marker, plotext_pixel(foreground=d.color)))
        if d.line:
            signal.lines()
        fig.draw(signal)
    for x, _ in plot.vlines:
        vx = math.log10(x) if plot.log_x and x > 0 else x
        signal = fig.signal([vx, vx], list(ylim), marker=plotext_marker(VLINE[0]))
        signal.lines()
        fig.draw(signal)
    flat = _flat_values(drawn)
    xt, xl = _axis(*xdata, plot.log_x, set())
    yt, yl = _axis(*ydata, plot.log_y, flat)
    fig.ruler(axis="x").lim(*xlim)
    fig.ruler(axis="y").lim(*ylim)
    if xt:
        fig.ruler(axis="x").ticks(xt, xl)
    if yt:
        fig.ruler(axis="y").ticks(yt, yl)
    text: str = fig.build().string(colorless=not color)
    fig.clear()
    return text.rstrip("\n")


def _axes_lines(plot: Plot, width: int) -> list[str]:
    ylabel = plot.ylabel + (" (log scale)" if plot.log_y else "")
    xlabel = plot.xlabel + (" (log scale)" if plot.log_x else "")
    return textwrap.wrap(f"x: {xlabel} · y: {ylabel}", width) or [""]


def render_plot(plot: Plot, width: int = 80, height: int = 20, color: bool = False) -> str:
    """Render `plot` as text, at most `width` columns wide (about `height` rows per panel).

    The title and axis labels are wrapped above and below the plot, never cut. Each series
    gets its own glyph, listed in a legend under the plot (so no data hides behind a
    legend box). Points that cannot be drawn (NaN, infinities, and values ≤ 0 on a log
    axis) are skipped. With `plot.panels`, each line gets its own panel with the points
    that mark it, on shared axes. Colours (ANSI codes) only when `color` is true.
    """
    width = max(int(width), MIN_WIDTH)
    height = max(int(height), MIN_HEIGHT)
    title = textwrap.wrap(plot.title, width) or [""]
    drawn, _ = _prepare(plot)
    panels = plot.panels and sum(d.line for d in drawn) > 1
    if panels:  # one line per panel, titled: the finest marker serves every line
        drawn = [replace(d, marker=LINE_MARKERS[0][0], glyph=LINE_MARKERS[0][1]) if d.line
                 else d for d in drawn]
    if not drawn:
        return "\n".join([*title, "(nothing to plot)"])
    xs = [x for d in drawn for x in d.xs]
    ys = [y for d in drawn for y in d.ys]
    xlim, ylim = (min(xs), max(xs)), (min(ys), max(ys))
    entries: list[tuple[str, int | None, str]] = [(d.glyph, d.color, d.label) for d in drawn]
    entries += [(VLINE[1], None, label) for _, label in plot.vlines]
    legend = _legend(entries, width, color)
    lines_ = [d for d in drawn if d.line]
    blocks: list[str] = []
    if panels:
        by_label = {s.label: s for s in plot.series}
        for line in lines_:
            group = [line] + [d for d in drawn if not d.line
                              and by_label[d.label].marks == line.label]
            blocks.append(_canvas(group, plot, width, PANEL_HEIGHT, xlim, ylim, color,
                                  line.label))
        loose = [d for d in drawn if not d.line and by_label[d.label].marks is None]
        if loose:
            blocks.append(_canvas(loose, plot, width, PANEL_HEIGHT, xlim, ylim, color, None))
    else:
        blocks.append(_canvas(drawn, plot, width, max(height - len(legend), MIN_HEIGHT),
                              xlim, ylim, color, None))
    return "\n".join([*title, *blocks, *_axes_lines(plot, width), *legend])


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
    heading = textwrap.wrap(title, width) or [""]  # wrapped, never cut
    if not values:
        return "\n".join([*heading, "(nothing to plot)"])
    xs = list(range(len(values)))
    ticks = _y_ticks(max(values))
    fig = plt.figure
    fig.clear()
    fig.plot_size(width, max(height - len(heading), MIN_HEIGHT))
    fig.draw(fig.bar(xs, [float(v) for v in values], width=0.6))
    fig.ruler("x").ticks(xs[::tick_every], [str(s) for s in labels[::tick_every]])
    fig.ruler("y").ticks(ticks, [f"{t:g}" for t in ticks])
    text: str = fig.build().string(colorless=True)
    fig.clear()
    return "\n".join([*heading, text.rstrip("\n")])
