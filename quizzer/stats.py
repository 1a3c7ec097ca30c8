"""Every statistic quizzer shows: card counts, leeches, the heatmap, time, retention, forecast.

Rule 1: pure, with no I/O and no clock: functions take the deck's cards, the stored
states, the review log (whole, or as the store's LogDigest of it) and the review day, and
return plain types. `quizzer stats`, the export's progress overview and the reviewer's
leech flag all read from here.
Rule 2: only cards in the deck count; log rows and states of cards since removed are ignored.
Rule 3: every statistic is computed from the LogDigest, one entry per card and per review
day, so a log of millions of rows can be reduced in SQL; deck_stats digests a whole log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, Protocol

from quizzer.cards import Card
from quizzer.defaults import DEFAULTS
from quizzer.model import CardLog, Graded, LogEntry, Review
from quizzer.scheduler import NEW, PASS, State
from quizzer.session import TodayCounts, summarize_today

MATURE_DAYS = 21  # an interval of at least this many days makes a card mature, as in Anki
LEECH_LAPSES: int = DEFAULTS["leech_lapses"]  # configurable: --leech-lapses
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


@dataclass(frozen=True)
class DayLog:
    """One review day's rows: how many, the time spent, and its deciding grades."""

    reviews: int = 0
    seconds: float = 0.0
    retention: Ratio = field(default_factory=Ratio)


@dataclass(frozen=True)
class LogDigest:
    """A deck's review log on review day `today`, reduced to one entry per card and per
    review day: everything `deck_stats` and the export read, so that a history of millions
    of rows need not be held in Python. It counts rows of the deck's cards only.

    `digest` computes it from the log; `stored_digest` the same from the store's
    reductions (quizzer.indexdb, "export reads") for `quizzer export` and `stats`.
    """

    today: date
    days: int  # the window of `by_day`: the `days` review days ending today
    cards: Mapping[str, CardLog]  # every card with at least one row
    by_day: Mapping[date, DayLog]  # the days of the window that have rows
    review_days: frozenset[date]  # every day with a row, all time
    recent: Mapping[str, Ratio]  # deciding grades per card, RETENTION_DAYS ending today
    today_log: tuple[LogEntry, ...]  # today's rows in the order they were given
    reviews: int  # all rows, all time
    seconds: float  # their seconds, summed in log order


def digest(log: Iterable[Review], today: date, cards: Collection[str], *,
           days: int = HEATMAP_DAYS) -> LogDigest:
    """The digest of `log` (oldest first) for the cards `cards`; other rows are ignored."""
    first = today - timedelta(days=days - 1)
    window_start = today - timedelta(days=RETENTION_DAYS - 1)
    count: dict[str, int] = {}
    secs: dict[str, float] = {}
    last: dict[str, Review] = {}
    answered: dict[str, Review] = {}
    day_count: dict[date, int] = {}
    day_secs: dict[date, float] = {}
    day_ratio: dict[date, Ratio] = {}
    recent: dict[str, Ratio] = {}
    review_days: set[date] = set()
    today_log: list[LogEntry] = []
    reviews, seconds = 0, 0.0
    for r in log:
        cid = r.card_id
        if cid not in cards:
            continue
        reviews += 1
        seconds += r.seconds
        count[cid] = count.get(cid, 0) + 1
        secs[cid] = secs.get(cid, 0.0) + r.seconds
        last[cid] = r
        if r.answer.strip():
            answered[cid] = r
        review_days.add(r.day)
        deciding = is_deciding_retention(r)
        one = Ratio(1 if r.grade >= PASS else 0, 1)
        if first <= r.day <= today:
            day_count[r.day] = day_count.get(r.day, 0) + 1
            day_secs[r.day] = day_secs.get(r.day, 0.0) + r.seconds
            day_ratio[r.day] = day_ratio.get(r.day, Ratio()) + (one if deciding else Ratio())
        if deciding and window_start <= r.day <= today:
            recent[cid] = recent.get(cid, Ratio()) + one
        if r.day == today:
            today_log.append(LogEntry(cid, r.grade, r.kind, r.before.is_new))
    def graded(r: Review | None) -> Graded | None:
        return Graded(r.day, r.grade, r.kind, r.answer) if r is not None else None

    return LogDigest(
        today=today, days=days,
        cards={c: CardLog(count[c], secs[c], Graded(last[c].day, last[c].grade, last[c].kind,
                                                     last[c].answer), graded(answered.get(c)))
               for c in count},
        by_day={d: DayLog(n, day_secs[d], day_ratio[d]) for d, n in day_count.items()},
        review_days=frozenset(review_days), recent=recent, today_log=tuple(today_log),
        reviews=reviews, seconds=seconds,
    )


def stored_digest(
    today: date,
    days: int,
    cards: Collection[str],
    by_card: Mapping[str, CardLog],
    by_day: Mapping[date, tuple[int, float, int, int]],
    review_days: Iterable[date],
    recent: Mapping[str, tuple[int, int]],
    today_log: Iterable[LogEntry],
) -> LogDigest:
    """The digest from the store's aggregates (quizzer.store, "export reads"): per card
    (rows, seconds, latest row, latest answered row), per day of the window (rows,
    seconds, deciding grades passed, deciding grades), the days with rows, per card the
    recent deciding grades (passed, counted), and today's rows. `by_day` and
    `review_days` must already leave out cards not in `cards`; the rest is filtered here.
    """
    kept = {c: log for c, log in by_card.items() if c in cards}
    return LogDigest(
        today=today, days=days, cards=kept,
        by_day={d: DayLog(n, secs, Ratio(passed, total))
                for d, (n, secs, passed, total) in by_day.items()},
        review_days=frozenset(review_days),
        recent={c: Ratio(*ratio) for c, ratio in recent.items() if c in cards},
        today_log=tuple(e for e in today_log if e.card_id in cards),
        reviews=sum(c.reviews for c in kept.values()),
        seconds=sum(c.seconds for c in kept.values()),
    )


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
    return digest_stats(cards, states, digest(log, today, ids, days=days),
                        leech_lapses=leech_lapses, exam=exam, sections=sections)


class Counted(Protocol):
    """What the statistics read of a card: a Card, or the summary's rendered one."""

    @property
    def id(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def section(self) -> str: ...


def digest_stats(
    cards: Sequence[Counted],
    states: Mapping[str, State],
    log: LogDigest,
    *,
    leech_lapses: int = LEECH_LAPSES,
    exam: date | None = None,
    sections: Sequence[str] = (),
) -> DeckStats:
    """`deck_stats` from the digest of the log (its review day and window included)."""
    today, days = log.today, log.days
    if days < 1:
        raise ValueError("days must be at least 1")
    by_card = {c.id: states.get(c.id, NEW) for c in cards}
    kinds = Counter(maturity(s) for s in by_card.values())
    leeches = tuple(c.id for c in sorted(cards, key=lambda c: c.number)
                    if is_leech(by_card[c.id], leech_lapses))

    first = today - timedelta(days=days - 1)
    window = [first + timedelta(days=i) for i in range(days)]
    empty = DayLog()
    reviews_by_day = {d: log.by_day.get(d, empty).reviews for d in window}
    seconds_by_day = {d: round(log.by_day.get(d, empty).seconds, 1) for d in window}
    current, longest = streaks(log.review_days, today)

    by_week: dict[date, Ratio] = {}
    monday = first - timedelta(days=first.weekday())
    while monday <= today:
        by_week[monday] = Ratio()
        monday += timedelta(days=7)
    for day, d in log.by_day.items():
        if d.retention.total:
            week = day - timedelta(days=day.weekday())
            by_week[week] += d.retention

    section_of = {c.id: c.section for c in cards}
    by_section: dict[str, Ratio] = {}
    total = Ratio()
    for cid, ratio in log.recent.items():
        name = section_of[cid]
        by_section[name] = by_section.get(name, Ratio()) + ratio
        total += ratio
    in_section = Counter(c.section for c in cards)
    mature_in = Counter(c.section for c in cards if maturity(by_card[c.id]) == "mature")
    order = [s for s in sections if s in in_section]
    order += sorted({s for s in in_section if s not in order})
    section_stats = tuple(
        SectionStats(section=name, cards=in_section[name], mature=mature_in[name],
                     retention=by_section.get(name, Ratio()))
        for name in order
    )
    until = exam if exam is not None else today + timedelta(days=FORECAST_DAYS - 1)
    return DeckStats(
        today=today,
        cards=len(cards),
        new=kinds["new"],
        young=kinds["young"],
        mature=kinds["mature"],
        leech=len(leeches),
        leeches=leeches,
        leech_lapses=leech_lapses,
        reviews_by_day=reviews_by_day,
        seconds_by_day=seconds_by_day,
        reviews_total=log.reviews,
        seconds_total=round(log.seconds, 1),
        streak=current,
        longest_streak=longest,
        retention=total,
        retention_by_week=by_week,
        forecast=forecast(by_card.values(), today, until),
        sections=section_stats,
        today_counts=summarize_today(log.today_log),
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
