"""Round tick values for plots: the terminal plots and the PNG figures use the same ones.

Rule: pure functions of the data's range, no plotting library: ticks are steps of 1, 2
or 5 times a power of 10, and a log axis (holding log10 values) gets powers of 10.
"""

from __future__ import annotations

import math


def tick_label(v: float) -> str:
    text = f"{v:.6g}"
    return "0" if text in ("-0", "0") else text


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 times a power of 10) inside [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / max(target - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9 * step:
        ticks.append(round(k * step, 12))
        k += 1
    # Counting axes (layers, epochs) start at 1: show it rather than a bare gap.
    if ticks and lo == int(lo) and lo > 0 and ticks[0] - lo >= step / 2:
        ticks.insert(0, lo)
    return ticks


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks at powers of 10 for an axis holding log10 values, labelled 0.01, 1, 100, 1e6."""
    first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
    if last < first:  # less than a decade: fall back to round values of the data itself
        values = [v for v in nice_ticks(10**lo, 10**hi, 3) if v > 0]
        return [math.log10(v) for v in values], [tick_label(v) for v in values]
    stride = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100) if (last - first) / s <= 5)
    exps = list(range(math.ceil(first / stride) * stride, last + 1, stride))
    labels = [tick_label(10.0**k) if -3 <= k <= 4 else f"1e{k}" for k in exps]
    return [float(k) for k in exps], labels
