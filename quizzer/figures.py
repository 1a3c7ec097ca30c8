"""PNG figures for the Markdown export: demo plots and the progress charts.

Rule 1: matplotlib lives only here and is imported inside the drawing functions, on the
Agg backend, so nothing else pays for it and no window ever opens.
Rule 2: the same Plot gives the same bytes: matplotlib's default style (not the user's
matplotlibrc), a fixed size and dpi, and no "Software" version stamp in the PNG.
Rule 3: a figure shows its card's point: every line has its own colour *and* dash
style (lines that coincide stay distinguishable), a point that marks a line takes that
line's colour, and `Plot.panels` draws small multiples instead of one crowded axis.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from quizzer.demos.result import Plot, Series
from quizzer.ticks import log_ticks

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from quizzer.stats import DeckStats

WIDTH_IN, HEIGHT_IN, DPI = 7.0, 4.2, 100
PANEL_WIDTH_IN = 3.0  # per panel, side by side
TITLE_WIDTH = 70  # characters per title line before it wraps
# Colour-blind-safe colours (Okabe–Ito) and dash styles, cycled together.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("-", "--", "-.", ":")
POINT_MARKERS = ("o", "s", "D", "^", "v", "P")


def _label(text: str) -> str:
    # "$" would start mathtext, and a label starting with "_" is hidden from the legend.
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _clean(values: Sequence[float], log: bool) -> list[float]:
    """The values with every point that cannot be drawn (NaN, inf, <= 0 on a log axis)
    turned into NaN, which matplotlib leaves as a gap instead of joining across it."""
    out = []
    for y in values:
        v = float(y)
        ok = math.isfinite(v) and (v > 0 or not log)
        out.append(v if ok else math.nan)
    return out


def _drawable(values: Sequence[float]) -> bool:
    return any(math.isfinite(float(v)) and float(v) > 0 for v in values)


def _styles(plot: Plot) -> dict[str, dict[str, Any]]:
    """Matplotlib keyword arguments per series label: lines cycle colours and dashes;
    points get a marker, and the colour of the line they mark."""
    styles: dict[str, dict[str, Any]] = {}
    n_lines = n_points = n_colors = 0
    for s in plot.series:
        is_line = len(s.x) > 1 and not s.points
        if s.marks is not None and s.marks in styles:
            color = styles[s.marks]["color"]
        else:
            color = COLORS[n_colors % len(COLORS)]
            n_colors += 1
        if is_line:
            styles[s.label] = {"color": color, "linestyle": DASHES[n_lines % len(DASHES)],
                               "linewidth": 1.8, "marker": ""}
            n_lines += 1
        else:
            styles[s.label] = {"color": color, "linestyle": "none", "markersize": 7,
                               "marker": POINT_MARKERS[n_points % len(POINT_MARKERS)],
                               "markeredgecolor": "black", "markeredgewidth": 0.6}
            n_points += 1
    return styles


def _annotate(ax: Axes, s: Series, color: str, slot: int) -> None:
    """Write a marked point's coordinates beside it, staggered so that labels of nearby
    points (Swish's and Mish's minima) do not overlap."""
    x, y = float(s.x[0]), float(s.y[0])
    ax.annotate(f"({x:.4g}, {y:.4g})", (x, y), xytext=(8, -16 - 13 * slot),
                textcoords="offset points", fontsize="small", color=color,
                arrowprops={"arrowstyle": "-", "color": color, "linewidth": 0.6})


def _draw(ax: Axes, plot: Plot, series: Sequence[Series], styles: dict[str, dict[str, Any]],
          log_x: bool, log_y: bool, context: Sequence[Series] = ()) -> None:
    """Draw `series` on `ax` (and `context` lines faintly, for comparison in a panel)."""
    for s in context:
        ax.plot(_clean(s.x, log_x), _clean(s.y, log_y), color="0.8", linewidth=1.0,
                label="_context")
    slot = 0
    for s in series:
        style = styles[s.label]
        ax.plot(_clean(s.x, log_x), _clean(s.y, log_y), label=_label(s.label), **style)
        if s.marks is not None and len(s.x) == 1:
            _annotate(ax, s, style["color"], slot)
            slot += 1
    for i, (x, label) in enumerate(plot.vlines):
        ax.axvline(x, color="0.3", linestyle=DASHES[(i + 1) % len(DASHES)], linewidth=1.2,
                   label=_label(label))
    if log_x:
        ax.set_xscale("log")
        _log_axis(ax, "x", [x for s in [*series, *context] for x in s.x])
    elif all(float(x).is_integer() for s in series for x in s.x):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
    if log_y:
        ax.set_yscale("log")
        _log_axis(ax, "y", [y for s in [*series, *context] for y in s.y])
    if any(s.marks is not None for s in series):
        ax.margins(y=0.15)  # room for the marked points' labels
    ax.grid(True, alpha=0.3)


def _log_axis(ax: Axes, which: str, values: Sequence[float]) -> None:
    """Round ticks on a log axis: powers of 10 labelled 0.01, 1, 100, 1e40."""
    logs = [math.log10(float(v)) for v in values if math.isfinite(float(v)) and float(v) > 0]
    if not logs:
        return
    exps, labels = log_ticks(min(logs), max(logs))
    axis = ax.xaxis if which == "x" else ax.yaxis
    axis.set_ticks([10.0**e for e in exps], labels)
    axis.set_minor_locator(_no_ticks())


def _no_ticks() -> Any:
    from matplotlib.ticker import NullLocator

    return NullLocator()


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


def save_plot(plot: Plot, path: Path) -> None:
    """Draw `plot` as a PNG at `path`: title, axis labels, a legend, log axes if asked, and
    small multiples when `plot.panels` is set."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    log_y = plot.log_y and any(_drawable(s.y) for s in plot.series)
    log_x = plot.log_x and any(_drawable(s.x) for s in plot.series)
    styles = _styles(plot)
    lines = [s for s in plot.series if len(s.x) > 1 and not s.points]
    title = "\n".join(textwrap.wrap(_label(plot.title), TITLE_WIDTH)) or " "
    ylabel = _label(plot.ylabel) + (" (log scale)" if log_y else "")
    xlabel = _label(plot.xlabel) + (" (log scale)" if log_x else "")
    with style.context("default"):
        if plot.panels and len(lines) > 1:
            fig = Figure(figsize=(max(WIDTH_IN, PANEL_WIDTH_IN * len(lines)), HEIGHT_IN),
                         dpi=DPI)
            FigureCanvasAgg(fig)
            axes = fig.subplots(1, len(lines), sharex=True, sharey=True, squeeze=False)[0]
            for ax, line in zip(axes, lines, strict=True):
                own = [line] + [s for s in plot.series if s.marks == line.label]
                others = [s for s in lines if s is not line]
                _draw(ax, plot, own, styles, log_x, log_y, context=others)
                ax.set_title(_label(line.label), color=styles[line.label]["color"])
                ax.set_xlabel(xlabel)
                if plot.vlines or len(own) > 1:
                    ax.legend(loc="best", fontsize="x-small")
            axes[0].set_ylabel(ylabel)
            fig.suptitle(title)
        else:
            fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
            _draw(ax, plot, plot.series, styles, log_x, log_y)
            ax.set_title(title)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            if plot.series:
                ax.legend(loc="best", fontsize="small")
        _save(fig, path)


# -- progress charts -------------------------------------------------------------------

CHART_WIDTH_IN = 7.0
_WEEKDAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")


@contextmanager
def _figure(height_in: float) -> Iterator[Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with style.context("default"):
        fig = Figure(figsize=(CHART_WIDTH_IN, height_in), dpi=DPI)
        FigureCanvasAgg(fig)
        yield fig


def save_heatmap(reviews_by_day: Mapping[date, int], path: Path, title: str = "") -> None:
    """A calendar heatmap: one column per week (Monday on top), darker for more reviews.

    Days outside the mapping are left blank and days without reviews are light grey, so
    "no reviews" and "not in the window" differ. Four shades split 1..max evenly.
    """
    from matplotlib.colors import ListedColormap

    days = sorted(reviews_by_day)
    first = days[0] if days else date(2000, 1, 3)
    start = first - timedelta(days=first.weekday())
    weeks = (days[-1] - start).days // 7 + 1 if days else 1
    top = max([1, *reviews_by_day.values()])
    grid = [[math.nan] * weeks for _ in range(7)]
    for d in days:
        n = reviews_by_day[d]
        offset = (d - start).days
        grid[offset % 7][offset // 7] = math.ceil(4 * n / top) if n > 0 else 0
    ticks: list[float] = []
    labels: list[str] = []
    for w in range(weeks):
        sunday = start + timedelta(days=7 * w + 6)
        if w == 0 or sunday.day <= 7:  # the first column, and each week holding a 1st
            ticks.append(w + 0.5)
            labels.append((first if w == 0 else sunday).strftime("%b"))
    with _figure(2.2) as fig:
        ax = fig.add_subplot()
        cmap = ListedColormap(["#ebedf0", "#9be9a8", "#40c463", "#30a14e", "#216e39"])
        ax.pcolormesh(grid, cmap=cmap, vmin=-0.5, vmax=4.5, edgecolors="white",
                      linewidth=1.5)
        ax.set_ylim(7, 0)
        ax.set_aspect("equal")
        ax.set_yticks([i + 0.5 for i in range(7)], _WEEKDAY_LABELS, fontsize="small")
        ax.set_xticks(ticks, labels, fontsize="small")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(_label(title) or " ", fontsize="medium")
        ax.set_xlabel(f"darkest: {top} reviews in a day", fontsize="x-small", loc="right")
        _save(fig, path)


def save_forecast(forecast: Mapping[date, int], path: Path, title: str = "") -> None:
    """Bars of the reviews due on each day; the first bar (today) holds the overdue ones."""
    days = sorted(forecast)
    with _figure(2.8) as fig:
        ax = fig.add_subplot()
        xs = list(range(len(days)))
        ax.bar(xs, [forecast[d] for d in days], color="#3b75af", width=0.8)
        step = 7 if len(days) > 10 else 1
        ax.set_xticks(xs[::step], [d.strftime("%m-%d") for d in days[::step]],
                      fontsize="small")
        ax.set_xlim(-0.6, max(len(days), 1) - 0.4)
        ax.set_ylabel("cards due")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_title(_label(title) or " ", fontsize="medium")
        _save(fig, path)


def save_chart(kind: Literal["heatmap", "forecast"], stats: DeckStats, path: Path) -> None:
    """The export's progress charts: the reviews heatmap or the forecast of one deck."""
    if kind == "heatmap":
        days = len(stats.reviews_by_day)
        save_heatmap(stats.reviews_by_day, path,
                     f"Reviews per day, last {days} days (streak {stats.streak}, "
                     f"longest {stats.longest_streak})")
    else:
        save_forecast(stats.forecast, path,
                      "Reviews due per day (overdue ones on today; new cards not counted)")
