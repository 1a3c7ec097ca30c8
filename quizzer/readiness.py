"""Readiness: each card's estimated probability of recall on exam day, from FSRS.

Rule 1: SM-2 still schedules; FSRS (the `fsrs` package, imported only here) is only
read: each card's deciding grades are replayed through its memory model with its
published default parameters, and the retrievability on exam day is the estimate.
Rule 2: pure; the grades and dates come in, plain numbers go out. New cards count 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from fsrs import Card, Rating, Scheduler

from quizzer.model import Review

READY = 0.8  # cards below this recall are listed

# SM-2's six grades onto FSRS's four ratings: every failed grade is Again.
RATING: dict[int, Rating] = {
    0: Rating.Again, 1: Rating.Again, 2: Rating.Again,
    3: Rating.Hard, 4: Rating.Good, 5: Rating.Easy,
}

# Day-granular like SM-2: no same-day learning steps and no random fuzz, so the same
# history always gives the same estimate.
_SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def _noon(day: date) -> datetime:
    # Every review and the exam at the same time of day, so elapsed days are exact.
    return datetime.combine(day, time(12), tzinfo=UTC)


def _replay(card: Card | None, grades: Iterable[tuple[date, int]]) -> Card | None:
    """The card after these deciding grades, from `card` (None: never reviewed)."""
    for day, grade in grades:
        card = card or Card(card_id=1)  # a fixed id: Card() would read the clock
        card, _log = _SCHEDULER.review_card(card, RATING[grade], _noon(day))
    return card


def _retrievability(card: Card | None, exam_day: date) -> float:
    if card is None:
        return 0.0
    return float(_SCHEDULER.get_card_retrievability(card, _noon(exam_day)))


def recall(grades: Iterable[tuple[date, int]], exam_day: date) -> float:
    """The FSRS retrievability on `exam_day` after these deciding grades; 0 if none."""
    return _retrievability(_replay(None, grades), exam_day)


def deciding_grades(history: Iterable[Review]) -> dict[str, list[tuple[date, int]]]:
    """Each card's deciding grades (re-drills left out), oldest first."""
    out: dict[str, list[tuple[date, int]]] = {}
    for r in history:
        if r.kind == "schedule":
            out.setdefault(r.card_id, []).append((r.day, r.grade))
    return out


@dataclass(frozen=True)
class Readiness:
    mean: float
    cards: tuple[tuple[str, float], ...]  # (card id, recall) in deck order
    planned_mean: float | None  # the mean if every planned review happens, graded 4

    @property
    def below(self) -> tuple[tuple[str, float], ...]:
        return tuple((cid, r) for cid, r in self.cards if r < READY)


def readiness(
    card_ids: Sequence[str],
    past: Mapping[str, Sequence[tuple[date, int]]],
    exam_day: date,
    planned: Mapping[str, Sequence[tuple[date, int]]] | None = None,
) -> Readiness:
    """Recall on exam day per card from its deciding grades (`deciding_grades`), and with
    the plan's reviews added. Each card's past is replayed once: the planned reviews
    continue from it (review_card never changes the card it is given)."""
    cards = []
    ahead = []
    for cid in card_ids:
        card = _replay(None, past.get(cid, ()))
        cards.append((cid, _retrievability(card, exam_day)))
        if planned is not None:
            ahead.append(_retrievability(_replay(card, planned.get(cid, ())), exam_day))
    planned_mean = _mean(ahead) if planned is not None else None
    return Readiness(_mean([r for _cid, r in cards]), tuple(cards), planned_mean)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
