"""SM-2 exactly as the README documents it: worked examples, the float trap, properties."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizzer.scheduler import (
    MAX_INTERVAL,
    MIN_EASE,
    NEW,
    InvalidGrade,
    State,
    check_grade,
    next_ease,
    outcomes,
    review,
)

D0 = date(2026, 1, 1)


def run(grades: list[int], start: State = NEW) -> list[State]:
    """Grade on the day each card falls due, one deciding grade per day."""
    state, day, out = start, D0, []
    for g in grades:
        state = review(state, g, day)
        out.append(state)
        assert state.due is not None
        day = state.due
    return out


def triples(states: list[State]) -> list[tuple[int, int, float]]:
    return [(s.repetitions, s.interval, s.ease / 100) for s in states]


@pytest.mark.parametrize(
    ("grades", "expected"),
    [
        ([4, 4, 4, 4], [(1, 1, 2.50), (2, 6, 2.50), (3, 15, 2.50), (4, 38, 2.50)]),
        ([5, 5, 5], [(1, 1, 2.60), (2, 6, 2.70), (3, 17, 2.80)]),
        ([3, 3, 3], [(1, 1, 2.36), (2, 6, 2.22), (3, 13, 2.08)]),
        ([4, 4, 2, 4], [(1, 1, 2.50), (2, 6, 2.50), (0, 1, 2.50), (1, 1, 2.50)]),
    ],
)
def test_worked_examples(grades: list[int], expected: list[tuple[int, int, float]]) -> None:
    assert triples(run(grades)) == expected


def test_lapse_counted_once_for_the_worked_example() -> None:
    assert run([4, 4, 2, 4])[-1].lapses == 1


def test_float_trap_row_gives_138_days() -> None:
    # 2.90 - 0.14 in floats is 2.7600000000000007, and 50 * that rounds up to 139.
    states = run([5, 5, 5, 5, 3])
    assert triples(states)[3:] == [(4, 50, 2.90), (5, 138, 2.76)]
    assert states[-1].ease == 276


def test_due_counts_from_the_review_day_for_late_reviews() -> None:
    first = review(NEW, 4, D0)
    late_day = D0 + timedelta(days=10)  # due was D0 + 1
    second = review(first, 4, late_day)
    assert second.due == late_day + timedelta(days=6)


def test_failure_keeps_ease_and_resets() -> None:
    s = State(repetitions=3, interval=15, ease=236, due=D0, lapses=0)
    after = review(s, 1, D0)
    assert (after.repetitions, after.interval, after.ease, after.lapses) == (0, 1, 236, 1)
    assert after.due == D0 + timedelta(days=1)


def test_failing_a_new_card_is_not_a_lapse() -> None:
    assert review(NEW, 0, D0).lapses == 0


def test_ease_changes_per_grade() -> None:
    assert [next_ease(250, q) for q in (5, 4, 3)] == [260, 250, 236]
    assert next_ease(130, 3) == MIN_EASE


def test_interval_is_capped() -> None:
    s = State(repetitions=9, interval=30_000, ease=250, due=D0)
    assert review(s, 5, D0).interval == MAX_INTERVAL


@pytest.mark.parametrize("bad", [-1, 6, 2.5, "4", None, True])
def test_bad_grades_are_rejected(bad: object) -> None:
    with pytest.raises(InvalidGrade):
        check_grade(bad)
    with pytest.raises(InvalidGrade):
        review(NEW, bad, D0)  # type: ignore[arg-type]


def test_outcomes_precompute_every_grade() -> None:
    s = run([5, 5])[-1]
    shown = outcomes(s, s.due or D0)
    assert shown[5].interval == 17 and shown[3].interval == 16 and shown[0].interval == 1


grades = st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=60)


@given(grades)
def test_ease_never_below_floor_and_card_never_lost(seq: list[int]) -> None:
    day = D0
    state = NEW
    for g in seq:
        state = review(state, g, day)
        assert state.ease >= MIN_EASE
        assert state.due is not None and state.due > day  # always scheduled ahead
        assert 1 <= state.interval <= MAX_INTERVAL
        day = state.due


@given(st.lists(st.integers(min_value=4, max_value=5), min_size=1, max_size=40))
def test_intervals_never_shrink_under_good_grades(seq: list[int]) -> None:
    intervals = [s.interval for s in run(seq)]
    assert intervals == sorted(intervals)


@given(st.integers(min_value=1, max_value=400), st.integers(min_value=130, max_value=400))
def test_integer_ceiling_matches_exact_rational(interval: int, ease: int) -> None:
    from fractions import Fraction
    from math import ceil

    s = State(repetitions=3, interval=interval, ease=ease, due=D0)
    new = review(s, 4, D0)  # grade 4 leaves the ease unchanged
    assert new.interval == min(MAX_INTERVAL, ceil(Fraction(interval * ease, 100)))
