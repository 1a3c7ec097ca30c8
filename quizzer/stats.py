"""Every statistic quizzer shows: card counts, leeches, the heatmap, time, retention, forecast.

Rule 1: pure, with no I/O and no clock: functions take the deck's cards, the stored
states, the review log and the review day, and return plain types. `quizzer stats`, the
export's progress overview and the reviewer's leech flag all read from here.
Rule 2: only cards in the deck count; log rows and states of cards since removed are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from quizzer.cards import Card
from quizzer.model import LogEntry, Review
from quizzer.scheduler import NEW, PASS, State
from quizzer.session import TodayCounts, summarize_today

MATURE_DAYS = 21  # an interval of at least this many days makes a card mature, as in Anki
LEECH_LAPSES = 4  # lapses at which a card becomes a leech (configurable: --leech-lapses)
HEATMAP_DAYS = 112  # 16 weeks
RETENTION_DAYS = 30
FORECAST_DAYS = 30

Maturity = Literal["new", "young", "mature"]


def maturity(state: State) -> Maturity:
    """New (never graded), young (interval < 21 days) or mature."""
    if state.is_new:
        return "new"
    return "young" if state.interval < MATURE_DAYS else "mature"


def is_leech(state: State, threshold: int = LEECH_LAPSES) -> bool:
    """A card is a leech once its lapses reach the threshold. It is never suspended."""
    return state.lapses >= threshold


def leech_advice(card: Card, state: State, threshold: int = LEECH_LAPSES) -> str | None:
    """One line of advice for a leech, to show above its question; None for other cards."""
    if not is_leech(state, threshold):
        return None
    steps = []
    if card.demo:
        steps.append(f"run its demo ({card.demo}, d at the grade prompt)")
    steps.append("re-read the correction" if card.correction else "re-read the reference answer")
    steps.append("rewrite the card in your own words if it still does not stick")
    lapses = "1 lapse" if state.lapses == 1 else f"{state.lapses} lapses"
    advice = ", ".join(steps)
    return f"Leech: {lapses} (threshold {threshold}). {advice[0].upper()}{advice[1:]}."


@dataclass(frozen=True)
class Ratio:
    """Deciding grades of 3 or more (`passed`) among deciding grades counted (`total`)."""

    passed: int = 0
    total: int = 0

    @property
    def percent(self) -> float | None:
        """The share in percent with one decimal; None (shown "–") when nothing was graded."""
        return round(100 * self.passed / self.total, 1) if self.total else None

    def __add__(self, other: Ratio) -> Ratio:
        return Ratio(self.passed + other.passed, self.total + other.total)


@dataclass(frozen=True)
class SectionStats:
    section: str
    cards: int
    mature: int
    retention: Ratio  # over the last RETENTION_DAYS days


@dataclass(frozen=True)
class DeckStats:
    """All statistics of one deck on one review day."""

    today: date
    cards: int
    new: int
    young: int
    mature: int
    leech: int  # leeches are also counted as young or mature
    leeches: tuple[str, ...]  # card ids, by card number
    leech_lapses: int
    reviews_by_day: dict[date, int]  # every day of the window, oldest first; drills included
    seconds_by_day: dict[date, float]
    reviews_total: int  # all time, drills included
    seconds_total: float  # all time
    streak: int
    longest_streak: int
    retention: Ratio  # the last RETENTION_DAYS days, today included
    retention_by_week: dict[date, Ratio]  # Monday of each calendar week in the window
    forecast: dict[date, int]  # deciding reviews due per day; overdue ones on today
    sections: tuple[SectionStats, ...]
    today_counts: TodayCounts


def is_deciding_retention(r: Review) -> bool:
    """A grade that counts for true retention: the first grade of the day (not a re-drill)
    of a card that had already been graded on an earlier day."""
    return r.kind == "schedule" and not r.before.is_new


def retention(log: Iterable[Review], first: date, last: date) -> Ratio:
    """True retention over the review days first..last, both included."""
    counted = [r for r in log if is_deciding_retention(r) and first <= r.day <= last]
    return Ratio(sum(1 for r in counted if r.grade >= PASS), len(counted))


def streaks(days: Iterable[date], today: date) -> tuple[int, int]:
    """(current, longest) runs of consecutive review days. The current run ends today, or
    yesterday when nothing was reviewed yet today: the day is not over."""
    done = set(days)
    longest = run = 0
    previous: date | None = None
    for day in sorted(done):
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    end = today if today in done else today - timedelta(days=1)
    current = 0
    while end - timedelta(days=current) in done:
        current += 1
    return current, longest


def forecast(states: Iterable[State], today: date, until: date) -> dict[date, int]:
    """Cards due on each day today..until, each counted once on its current due date
    (overdue ones on today); new cards and re-drills are not counted."""
    days = max(0, (until - today).days) + 1
    out = {today + timedelta(days=i): 0 for i in range(days)}
    for s in states:
        if s.due is not None:
            day = max(s.due, today)
            if day in out:
                out[day] += 1
    return out


def today_counts(log: Iterable[Review], today: date) -> TodayCounts:
    """What today's part of the log says: cards introduced, reviews done, open re-drills."""
    return summarize_today(LogEntry(r.card_id, r.grade, r.kind, r.before.is_new)
                           for r in log if r.day == today)


def deck_stats(
    cards: Sequence[Card],
    states: Mapping[str, State],
    log: Sequence[Review],
    today: date,
    *,
    days: int = HEATMAP_DAYS,
    leech_lapses: int = LEECH_LAPSES,
    exam: date | None = None,
    sections: Sequence[str] = (),
) -> DeckStats:
    """The statistics of a deck on review day `today`.

    `log` is the deck's review log, oldest first. The heatmap, time per day and weekly
    retention cover the `days` days ending today. The forecast runs FORECAST_DAYS days
    from today, or up to `exam` when one is set. `sections` orders the mastery table
    (the deck's section order); sections without cards are left out.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    ids = {c.id for c in cards}
    by_card = {c.id: states.get(c.id, NEW) for c in cards}
    log = [r for r in log if r.card_id in ids]
    kinds = [maturity(s) for s in by_card.values()]
    leeches = tuple(c.id for c in sorted(cards, key=lambda c: c.number)
                    if is_leech(by_card[c.id], leech_lapses))

    first = today - timedelta(days=days - 1)
    reviews_by_day = {first + timedelta(days=i): 0 for i in range(days)}
    seconds_by_day = {first + timedelta(days=i): 0.0 for i in range(days)}
    for r in log:
        if r.day in reviews_by_day:
            reviews_by_day[r.day] += 1
            seconds_by_day[r.day] += r.seconds
    seconds_by_day = {d: round(s, 1) for d, s in seconds_by_day.items()}
    current, longest = streaks((r.day for r in log), today)

    # One pass over the deciding grades fills every retention bucket.
    window_start = today - timedelta(days=RETENTION_DAYS - 1)
    section_of = {c.id: c.section for c in cards}
    by_week: dict[date, Ratio] = {}
    monday = first - timedelta(days=first.weekday())
    while monday <= today:
        by_week[monday] = Ratio()
        monday += timedelta(days=7)
    by_section: dict[str, Ratio] = {}
    for r in log:
        if not is_deciding_retention(r) or r.day > today:
            continue
        one = Ratio(1 if r.grade >= PASS else 0, 1)
        if r.day >= first:
            week = r.day - timedelta(days=r.day.weekday())
            by_week[week] += one
        if r.day >= window_start:
            name = section_of[r.card_id]
            by_section[name] = by_section.get(name, Ratio()) + one

    order = [s for s in sections if s in section_of.values()]
    order += sorted({s for s in section_of.values() if s not in order})
    section_stats = tuple(
        SectionStats(
            section=name,
            cards=sum(1 for c in cards if c.section == name),
            mature=sum(1 for c in cards if c.section == name
                       and maturity(by_card[c.id]) == "mature"),
            retention=by_section.get(name, Ratio()),
        )
        for name in order
    )
    until = exam if exam is not None else today + timedelta(days=FORECAST_DAYS - 1)
    return DeckStats(
        today=today,
        cards=len(cards),
        new=kinds.count("new"),
        young=kinds.count("young"),
        mature=kinds.count("mature"),
        leech=len(leeches),
        leeches=leeches,
        leech_lapses=leech_lapses,
        reviews_by_day=reviews_by_day,
        seconds_by_day=seconds_by_day,
        reviews_total=len(log),
        seconds_total=round(sum(r.seconds for r in log), 1),
        streak=current,
        longest_streak=longest,
        retention=retention(log, window_start, today),
        retention_by_week=by_week,
        forecast=forecast(by_card.values(), today, until),
        sections=section_stats,
        today_counts=today_counts(log, today),
    )


def as_json(s: DeckStats) -> dict[str, Any]:
    """The `quizzer stats --json` document: dates as YYYY-MM-DD, retention in percent or null."""
    return {
        "today": s.today.isoformat(),
        "cards": {"new": s.new, "young": s.young, "mature": s.mature, "leech": s.leech},
        "reviews_by_day": {d.isoformat(): n for d, n in s.reviews_by_day.items()},
        "seconds_by_day": {d.isoformat(): v for d, v in s.seconds_by_day.items()},
        "streak": s.streak,
        "retention": {
            "last_30_days": s.retention.percent,
            "by_week": {d.isoformat(): r.percent for d, r in s.retention_by_week.items()},
        },
        "forecast": {d.isoformat(): n for d, n in s.forecast.items()},
        "sections": [{"section": x.section, "cards": x.cards, "mature": x.mature,
                      "retention": x.retention.percent} for x in s.sections],
        "leeches": list(s.leeches),
    }
