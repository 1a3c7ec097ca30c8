"""PNG figures of demo plots for the Markdown export.

Rule 1: matplotlib lives only here and is imported inside `save_plot`, on the Agg
backend, so nothing else pays for it and no window ever opens.
Rule 2: the same Plot gives the same bytes: matplotlib's default style (not the user's
matplotlibrc), a fixed size and dpi, and no "Software" version stamp in the PNG.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path

from quizzer.demos.result import Plot

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
