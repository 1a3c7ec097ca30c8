"""PNG figures for the Markdown export: demo plots and the progress charts.

Rule 1: matplotlib lives only here and is imported inside the functions that draw, on
the Agg backend, so nothing else pays for it and no window ever opens.
Rule 2: the same Plot gives the same bytes: matplotlib's default style (not the user's
matplotlibrc), a fixed size and dpi, and no "Software" version stamp in the PNG.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from quizzer.demos.result import Plot

if TYPE_CHECKING:
    from quizzer.stats import DeckStats

WIDTH_IN, HEIGHT_IN, DPI = 7.0, 4.2, 100
TITLE_WIDTH = 70  # characters per title line before it wraps


def _label(text: str) -> str:
    # "$" would start mathtext, and a label starting with "_" is hidden from the legend.
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _ys(ys: Sequence[float], log_y: bool) -> list[float]:
    """The y values with every point that cannot be drawn (NaN, inf, <= 0 on a log axis)
    turned into NaN, which matplotlib leaves as a gap instead of joining across it."""
    out = []
    for y in ys:
        v = float(y)
        ok = math.isfinite(v) and (v > 0 or not log_y)
        out.append(v if ok else math.nan)
    return out


def save_plot(plot: Plot, path: Path) -> None:
    """Draw `plot` as a PNG at `path`: title, axis labels, a legend, log y if asked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    drawable = any(
        math.isfinite(float(y)) and float(y) > 0 for s in plot.series for y in s.y
    )
    log_y = plot.log_y and drawable
    with style.context("default"):
        fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        for series in plot.series:
            xs = [float(x) if math.isfinite(float(x)) else math.nan for x in series.x]
            # A single point (a marked minimum, say) has no line to draw: show a dot.
            single = len(xs) == 1
            ax.plot(xs, _ys(series.y, log_y), label=_label(series.label), linewidth=1.5,
                    marker="o" if single else "", linestyle="none" if single else "-")
        if log_y:
            ax.set_yscale("log")
        ax.set_title("\n".join(textwrap.wrap(_label(plot.title), TITLE_WIDTH)) or " ")
        ax.set_xlabel(_label(plot.xlabel))
        ax.set_ylabel(_label(plot.ylabel) + (" (log scale)" if log_y else ""))
        ax.grid(True, alpha=0.3)
        if plot.series:
            ax.legend(loc="best", fontsize="small")
        fig.tight_layout()
        fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


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


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})


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
