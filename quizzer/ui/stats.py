"""The `quizzer stats` screen: rich tables, a text heatmap and plotext bar charts.

Rule: every number comes from a quizzer.stats.DeckStats; this module only lays it out.
It reads at 80 columns on dark and light backgrounds and under NO_COLOR: the heatmap's
levels are glyphs of increasing ink (color only repeats them), the charts are colorless,
and a missing retention is "–", never 0%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from quizzer.index import Listed
from quizzer.stats import MATURE_DAYS, RETENTION_DAYS, DeckStats, Ratio
from quizzer.ui.console import out
from quizzer.ui.plot import render_bars

MAX_WIDTH = 100
CHART_DAYS = 30  # the time chart shows the last month; totals cover the whole window
# (glyph, style) for no reviews and the four shares of the busiest day.
LEVELS: tuple[tuple[str, str], ...] = (
    ("·", "dim"), ("░", "green"), ("▒", "green"), ("▓", "green"), ("█", "bold green"),
)
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds and minutes == 0:
        return f"{seconds:.0f} s"
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _percent(r: Ratio) -> str:
    return "–" if r.percent is None else f"{r.percent:.1f}% ({r.passed}/{r.total})"


def _level(n: int, top: int) -> int:
    return 0 if n <= 0 else max(1, math.ceil(4 * n / top))


def heatmap(reviews_by_day: dict[date, int], width: int) -> Text:
    """A calendar of the window: a column per week, Monday on top, one glyph per day."""
    days = sorted(reviews_by_day)
    if not days:
        return Text("(no days)")
    start = days[0] - timedelta(days=days[0].weekday())
    weeks = (days[-1] - start).days // 7 + 1
    room = width - 4 - 3  # weekday labels on the left, a month label's overhang on the right
    cell = 2 if 2 * weeks <= room else 1
    if cell * weeks > room:  # too many weeks for the screen: keep the latest ones
        skip = weeks - room // cell
        start += timedelta(days=7 * skip)
        weeks -= skip
    top = max(reviews_by_day.values(), default=0)
    months = [" "] * (cell * weeks + 3)  # a label may run past the last column
    for w in range(weeks):
        monday = start + timedelta(days=7 * w)
        if w == 0 or (monday + timedelta(days=6)).day <= 7:
            label = max(monday, days[0]).strftime("%b") if w == 0 else \
                (monday + timedelta(days=6)).strftime("%b")
            at = cell * w
            if all(ch == " " for ch in months[max(0, at - 1): at + len(label)]):
                months[at: at + len(label)] = list(label)
    text = Text("    " + "".join(months).rstrip() + "\n")
    for row in range(7):
        text.append(f"{WEEKDAYS[row]:<4}")
        for w in range(weeks):
            day = start + timedelta(days=7 * w + row)
            if day not in reviews_by_day:
                text.append(" " * cell)
                continue
            glyph, style = LEVELS[_level(reviews_by_day[day], top)]
            text.append(glyph, style)
            if cell == 2:
                text.append(" ")
        text.append("\n")
    legend = Text("    ")
    bounds = [top * i // 4 for i in range(5)]  # level i: 4n/top in (i-1, i]
    for i, (glyph, style) in enumerate(LEVELS):
        if i == 0:
            what = "none"
        else:
            lo, hi = bounds[i - 1] + 1, bounds[i]
            if top == 0 or lo > hi:
                continue
            what = str(lo) if lo == hi else f"{lo}–{hi}"
        legend.append(glyph, style)
        legend.append(f" {what}  ")
    text.append_text(legend)
    return text


def _counts(s: DeckStats) -> Table:
    table = Table(title="Cards by state", title_justify="left")
    for col in ("new", f"young (< {MATURE_DAYS} d)", f"mature (≥ {MATURE_DAYS} d)", "leech",
                "total"):
        table.add_column(col, justify="right")
    table.add_row(str(s.new), str(s.young), str(s.mature), str(s.leech), str(s.cards))
    return table


def _retention(s: DeckStats) -> RenderableType:
    head = Text.assemble(("True retention, last ", "bold"), (f"{RETENTION_DAYS} days: ", "bold"),
                         _percent(s.retention))
    weeks = list(s.retention_by_week.items())
    per_row = 3
    grid = Table(title="Retention per week (week of)", title_justify="left",
                 show_header=False, box=None, padding=(0, 1))
    for _ in range(per_row):
        grid.add_column(justify="left")
        grid.add_column(justify="right")
    rows = math.ceil(len(weeks) / per_row)
    for r in range(rows):
        cells: list[str] = []
        for c in range(per_row):
            i = c * rows + r  # fill column by column, so weeks read downwards in order
            if i < len(weeks):
                monday, ratio = weeks[i]
                cells += [monday.isoformat(), _percent(ratio)]
            else:
                cells += ["", ""]
        grid.add_row(*cells)
    return Group(head, grid)


def _sections(s: DeckStats) -> Table:
    table = Table(title="Mastery per section", title_justify="left")
    table.add_column("section", overflow="fold")
    table.add_column("cards", justify="right")
    table.add_column("mature", justify="right")
    table.add_column(f"retention, {RETENTION_DAYS} d", justify="right")
    for x in s.sections:
        table.add_row(Text(x.section), str(x.cards), str(x.mature), _percent(x.retention))
    return table


def _leeches(cards: Sequence[Listed], s: DeckStats) -> RenderableType:
    rule = f"a card is a leech at {s.leech_lapses} lapses; leeches are never suspended"
    if not s.leeches:
        return Text(f"Leeches: none ({rule}).")
    by_id = {c.id: c for c in cards}
    table = Table(title=f"Leeches ({rule})", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("id")
    table.add_column("section", overflow="fold")
    table.add_column("demo")
    for cid in s.leeches:
        c = by_id[cid]
        table.add_row(str(c.number), Text(c.id), Text(c.section), Text(c.demo or "–"))
    return Group(table, Text("Run its demo, re-read the correction, and rewrite the card "
                             "if it still does not stick.", style="italic"))


def _day_labels(days: Sequence[date]) -> list[str]:
    return [d.strftime("%m-%d") for d in days]


def show_stats(deck: str, cards: Sequence[Listed], s: DeckStats) -> None:
    console = out()
    width = min(console.width, MAX_WIDTH)
    console.print(Rule(Text(f" Statistics · {deck} · {s.today.isoformat()} "), style="cyan"))
    console.print(_counts(s))
    console.print()
    days = len(s.reviews_by_day)
    reviews = sum(s.reviews_by_day.values())
    console.print(Text(f"Reviews per day, last {days} days (re-drills included)", style="bold"))
    console.print(heatmap(s.reviews_by_day, width))
    console.print(Text(f"{reviews} reviews in {days} days · current streak {s.streak} · "
                       f"longest streak {s.longest_streak}"))
    console.print()
    recent = list(s.seconds_by_day)[-CHART_DAYS:]
    minutes = [s.seconds_by_day[d] / 60 for d in recent]
    console.print(render_bars(f"Minutes per day, last {len(recent)} days", _day_labels(recent),
                              minutes, width=width, height=12))
    window = sum(s.seconds_by_day.values())
    review_days = sum(1 for n in s.reviews_by_day.values() if n)
    average = f" · {_duration(window / review_days)} per review day" if review_days else ""
    console.print(Text(f"Time spent: {_duration(window)} in the last {days} days{average} · "
                       f"{_duration(s.seconds_total)} in all"))
    console.print()
    console.print(_retention(s))
    console.print()
    forecast = list(s.forecast)
    console.print(render_bars(
        f"Reviews due per day, next {len(forecast)} days (overdue on today)",
        _day_labels(forecast), list(s.forecast.values()), width=width, height=12))
    console.print(Text(f"{sum(s.forecast.values())} reviews due in {len(forecast)} days; "
                       "new cards are not counted."))
    console.print()
    console.print(_sections(s))
    console.print()
    console.print(_leeches(cards, s))
