"""Planning to an exam date: the final-review window, the due-date rule and the day plan.

Rule 1: SM-2 decides n, I, EF and lapses; an exam date may only move a due date earlier,
and only for a grade given before the final-review window (see the README).
Rule 2: pure functions of states, dates and counts; no clock, disk, terminal or fsrs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from quizzer.model import Exam
from quizzer.scheduler import NEW, State, review

DEFAULT_WINDOW = 3
WINDOW_SLACK = 1  # a window day may hold ceil(cards / K) + this many reviews
PLAN_GRADE = 4  # the plan and its readiness projection assume every review is graded 4

__all__ = [
    "DEFAULT_WINDOW", "PLAN_GRADE", "WINDOW_SLACK", "Exam", "Plan", "PlanDay",
    "build_plan", "days_left", "days_left_line", "exam_due", "in_window",
    "required_new_per_day", "window_cap", "window_dates", "window_for", "window_load",
    "window_start",
]


def window_for(exam_day: date, set_on: date, wanted: int = DEFAULT_WINDOW) -> int:
    """K for an exam set on `set_on`: `wanted`, or fewer when the exam is near, so that at
    least one day before the window is left to introduce new cards (never below 1)."""
    days = (exam_day - set_on).days
    return max(1, min(wanted, days - 1))


def window_start(exam: Exam) -> date:
    return exam.day - timedelta(days=exam.window)


def window_dates(exam: Exam) -> list[date]:
    start = window_start(exam)
    return [start + timedelta(days=i) for i in range(exam.window)]


def in_window(exam: Exam, day: date) -> bool:
    return window_start(exam) <= day < exam.day


def days_left(exam: Exam, today: date) -> int:
    return (exam.day - today).days


def window_cap(cards: int, window: int) -> int:
    """The most reviews the window rule lets a window day hold: ⌈cards ÷ K⌉ + slack."""
    return -(-cards // window) + WINDOW_SLACK


def window_load(
    states: Mapping[str, State], card_ids: Iterable[str], exam: Exam, skip: str | None = None
) -> dict[date, int]:
    """How many of the cards are due on each window day (`skip`: the card being graded)."""
    load = dict.fromkeys(window_dates(exam), 0)
    for cid in card_ids:
        s = states.get(cid)
        if cid != skip and s is not None and s.due in load:
            load[s.due] += 1
    return load


def exam_due(
    exam: Exam | None, graded_on: date, sm2_due: date, load: Mapping[date, int], cap: int
) -> date:
    """The due date of a grade given on `graded_on` whose SM-2 due date is `sm2_due`.

    Only a grade given before the window can move, and only earlier: a due date on or
    after the exam goes to the least-loaded window day (ties: the later day, nearer the
    exam); a due date inside the window stays unless its day is full (`cap`), and then
    goes to the least-loaded window day before it.
    """
    if exam is None:
        return sm2_due
    start = window_start(exam)
    if graded_on >= start or sm2_due < start:
        return sm2_due  # graded in the window or after the exam, or due before the window
    if sm2_due < exam.day and load.get(sm2_due, 0) < cap:
        return sm2_due
    last = min(sm2_due, exam.day - timedelta(days=1))
    days = [d for d in window_dates(exam) if d <= last]
    return min(days, key=lambda d: (load.get(d, 0), -d.toordinal()))


def adjust(
    exam: Exam | None, after: State, graded_on: date, card_id: str,
    states: Mapping[str, State], card_ids: Sequence[str],
) -> State:
    """SM-2's result `after` with its due date moved by the window rule, if at all."""
    if exam is None or after.due is None:
        return after
    load = window_load(states, card_ids, exam, skip=card_id)
    return _moved(exam, after, graded_on, load, window_cap(len(card_ids), exam.window))


def _moved(exam: Exam, after: State, graded_on: date, load: Mapping[date, int],
           cap: int) -> State:
    """`after` with the due date exam_due gives it, given the window's load."""
    if after.due is None:
        return after
    due = exam_due(exam, graded_on, after.due, load, cap)
    return after if due == after.due else replace(after, due=due)


def required_new_per_day(exam: Exam | None, day: date, unseen: int) -> int:
    """The new cards a day must introduce so every card is introduced before the window.

    `unseen` counts the cards new at the start of `day`. Inside the window (when the
    exam was set too close for a day before it) every unseen card is due now; after the
    exam nothing is required.
    """
    if exam is None or unseen <= 0 or day >= exam.day:
        return 0
    before = (window_start(exam) - day).days
    if before <= 0:
        return unseen
    return -(-unseen // before)


def days_left_line(exam: Exam | None, today: date) -> str | None:
    """The one line `quizzer due` and the reviewer's header show about the exam."""
    if exam is None:
        return None
    left = days_left(exam, today)
    if left < 0:
        return f"Exam was on {exam.day}; scheduling is plain SM-2 again."
    if left == 0:
        return f"Exam today ({exam.day})."
    days = "1 day" if left == 1 else f"{left} days"
    start = window_start(exam)
    window = ("final review now" if today >= start
              else f"final review from {start}")
    return f"Exam on {exam.day}: {days} left, {window}."


@dataclass(frozen=True)
class PlanDay:
    day: date
    due: int
    new: int
    window: bool


@dataclass(frozen=True)
class Plan:
    """The days from today to the eve of the exam, if every planned review is graded 4."""

    exam: Exam
    today: date
    days_left: int
    unseen: int
    new_per_day: int  # the limit given
    raised_to: int | None  # the limit the plan needs on some day, when above `new_per_day`
    days: tuple[PlanDay, ...]
    planned: Mapping[str, tuple[tuple[date, int], ...]]  # card -> planned (day, grade)


def build_plan(
    card_ids: Sequence[str],
    states: Mapping[str, State],
    exam: Exam,
    today: date,
    new_per_day: int,
    new_done_today: int = 0,
) -> Plan:
    """Walk from today to the eve of the exam: review what falls due, introduce new cards
    by number (at least the pace `required_new_per_day` asks), grade everything 4."""
    sim = {cid: states.get(cid, NEW) for cid in card_ids}
    unseen = [cid for cid in card_ids if sim[cid].is_new]
    # The window's load, kept up to date grade by grade (as adjust would count it afresh
    # for each grade, which is quadratic in the deck: hours at 100,000 cards).
    load = window_load(sim, card_ids, exam)
    cap = window_cap(len(card_ids), exam.window)
    planned: dict[str, list[tuple[date, int]]] = {cid: [] for cid in card_ids}
    days: list[PlanDay] = []
    raised: int | None = None
    day = today
    while day < exam.day:
        done = new_done_today if day == today else 0
        need = required_new_per_day(exam, day, len(unseen) + done)
        if need > new_per_day:
            raised = max(raised or 0, need)
        limit = max(new_per_day, need)
        due = [cid for cid in card_ids if (d := sim[cid].due) is not None and d <= day]
        due.sort(key=lambda cid: sim[cid].due or day)
        fresh, unseen = unseen[: max(0, limit - done)], unseen[max(0, limit - done):]
        for cid in [*due, *fresh]:
            before = sim[cid].due
            if before in load:
                load[before] -= 1  # the card being graded does not count
            sim[cid] = _moved(exam, review(sim[cid], PLAN_GRADE, day), day, load, cap)
            if (now := sim[cid].due) in load:
                load[now] += 1
            planned[cid].append((day, PLAN_GRADE))
        days.append(PlanDay(day, len(due), len(fresh), in_window(exam, day)))
        day += timedelta(days=1)
    return Plan(
        exam=exam, today=today, days_left=days_left(exam, today),
        unseen=sum(1 for cid in card_ids if states.get(cid, NEW).is_new),
        new_per_day=new_per_day, raised_to=raised, days=tuple(days),
        planned={cid: tuple(v) for cid, v in planned.items()},
    )
