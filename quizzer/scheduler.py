"""SM-2 as pure functions over an immutable state, exactly as the README documents it.

Rule 1: no clock, disk or terminal here; the review day is an argument.
Rule 2: the E-Factor is kept in integer hundredths and intervals are computed with
integer arithmetic, so no interval is ever off by a day from floating-point error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

MIN_EASE = 130
START_EASE = 250
MAX_INTERVAL = 36_500
PASS = 3  # grades >= PASS are recalled; below it the card lapses
REDRILL_UNTIL = 4  # a card graded below this today comes back until graded 4 or 5

GRADE_MEANINGS: dict[int, str] = {
    5: "perfect response",
    4: "correct after a hesitation",
    3: "correct, recalled with serious difficulty",
    2: "incorrect, but the correct answer seemed easy to recall once seen",
    1: "incorrect, but the correct answer was remembered once seen",
    0: "complete blackout",
}
GRADES = tuple(sorted(GRADE_MEANINGS))


class InvalidGrade(ValueError):
    """A grade outside the integers 0-5."""


def check_grade(grade: object) -> int:
    """Return `grade` if it is one of the integers 0-5, else raise InvalidGrade."""
    if isinstance(grade, bool) or not isinstance(grade, int) or grade not in GRADE_MEANINGS:
        raise InvalidGrade(f"{grade!r} is not a grade; grades are the whole numbers 0 to 5")
    return grade


@dataclass(frozen=True)
class State:
    """A card's schedule. `due` is None for a card never graded."""

    repetitions: int = 0
    interval: int = 0
    ease: int = START_EASE  # hundredths: 250 means 2.50
    due: date | None = None
    lapses: int = 0

    @property
    def is_new(self) -> bool:
        return self.due is None

    @property
    def ease_float(self) -> float:
        return self.ease / 100


NEW = State()


def next_ease(ease: int, grade: int) -> int:
    """EF' = EF + 0.10 - (5-q)(0.08 + (5-q)0.02), in hundredths, floored at 1.30."""
    d = 5 - grade
    return max(MIN_EASE, ease + 10 - d * (8 + 2 * d))


def review(state: State, grade: int, day: date) -> State:
    """The state after the deciding grade `grade` given on review day `day`."""
    check_grade(grade)
    if grade < PASS:
        return replace(
            state,
            repetitions=0,
            interval=1,
            due=day + timedelta(days=1),
            lapses=state.lapses + (1 if state.repetitions > 0 else 0),
        )
    ease = next_ease(state.ease, grade)
    n = state.repetitions + 1
    if n == 1:
        interval = 1
    elif n == 2:
        interval = 6
    else:
        interval = (state.interval * ease + 99) // 100
    interval = min(interval, MAX_INTERVAL)
    return replace(state, repetitions=n, interval=interval, ease=ease,
                   due=day + timedelta(days=interval))


def outcomes(state: State, day: date) -> dict[int, State]:
    """What every grade would do, so the grade prompt can show it before the user answers."""
    return {g: review(state, g, day) for g in GRADES}

