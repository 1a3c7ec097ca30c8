"""Core types shared by the session, the store, statistics and the plan.

Rule: this module imports nothing of ours but the scheduler's State, so every layer can
depend on it and none depends on another through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, NamedTuple

from quizzer.scheduler import State

Kind = Literal["schedule", "drill"]


@dataclass(frozen=True)
class LogEntry:
    """One review-log row as the session needs it, in the order given."""

    card_id: str
    grade: int
    kind: Kind
    was_new: bool


class Graded(NamedTuple):
    """One review-log row as the summary shows it (a named tuple, as CardLog: a digest
    of the log holds one or two per card, and a deck may have 100,000)."""

    day: date
    grade: int
    kind: Kind
    answer: str


class CardLog(NamedTuple):
    """One card's rows of the review log, reduced to what statistics and the summary use."""

    reviews: int  # rows, re-drills included
    seconds: float
    last: Graded  # the latest row
    last_answer: Graded | None  # the latest row whose typed answer is not blank


@dataclass(frozen=True)
class Event:
    """A grade to persist: one transaction with the new state and one log row."""

    card_id: str
    kind: Kind
    grade: int
    day: date
    before: State
    after: State
    answer: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Review:
    """One stored review-log row, as the history and the export show it."""

    id: int
    card_id: str
    reviewed_at: datetime
    day: date
    grade: int
    kind: Kind
    before: State
    after: State
    answer: str
    seconds: float


@dataclass(frozen=True)
class Exam:
    """A deck's exam date and the length of its final-review window in days.

    The window is fixed when the date is set, so it never shifts as the exam nears.
    """

    day: date
    window: int
    set_on: date


@dataclass(frozen=True)
class MockAnswer:
    """One question of a mock exam as stored: never part of any card's schedule."""

    card_id: str
    answer: str
    covered: int
    of: int
    seconds: float
    answered: bool
    points: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class MockAttempt:
    """A stored mock exam: when, with which seed and limit, and each question's marks."""

    id: int
    started_at: datetime
    day: date
    seed: int
    minutes: float
    answers: tuple[MockAnswer, ...]

    @property
    def covered(self) -> int:
        return sum(a.covered for a in self.answers)

    @property
    def of(self) -> int:
        return sum(a.of for a in self.answers)
