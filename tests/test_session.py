"""The day's queue, re-drill, limits and undo, with no database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from quizzer.scheduler import NEW, State, review
from quizzer.session import (
    LogEntry,
    Session,
    build_queue,
    review_day,
    summarize_today,
)
from tests.helpers import cards

D = date(2026, 3, 10)


def ids(session: Session) -> list[tuple[str, str]]:
    return [(i.card.id, i.kind) for i in session.queue]


def play(session: Session, grade: int) -> None:
    session.apply(session.grade(grade))


def test_review_day_starts_at_four() -> None:
    assert review_day(datetime(2026, 3, 10, 1, 30)) == date(2026, 3, 9)
    assert review_day(datetime(2026, 3, 10, 4, 0)) == date(2026, 3, 10)
    assert review_day(datetime(2026, 3, 10, 1, 30), day_start_hour=0) == date(2026, 3, 10)


def test_queue_order_redrill_then_due_oldest_first_then_new_by_number() -> None:
    deck = cards(5)
    states = {
        "card-2": State(1, 1, 250, D),
        "card-4": State(1, 1, 250, D - timedelta(days=3)),
        "card-5": State(1, 1, 250, D + timedelta(days=1)),  # not due
    }
    log = [LogEntry("card-3", 2, "schedule", was_new=True)]
    states["card-3"] = review(NEW, 2, D)
    q = build_queue(deck, states, summarize_today(log), D)
    assert [(i.card.id, i.kind) for i in q] == [
        ("card-3", "drill"), ("card-4", "schedule"), ("card-2", "schedule"),
        ("card-1", "schedule"),
    ]


def test_limits_count_what_was_done_today() -> None:
    deck = cards(10)
    log = [LogEntry("card-1", 5, "schedule", was_new=True),
           LogEntry("card-2", 4, "schedule", was_new=True)]
    states = {c: review(NEW, 5, D) for c in ("card-1", "card-2")}
    q = build_queue(deck, states, summarize_today(log), D, new_per_day=5)
    assert [i.card.id for i in q] == ["card-3", "card-4", "card-5"]
    due_states = {c.id: State(1, 1, 250, D) for c in deck}
    review_log = [LogEntry("x", 4, "schedule", was_new=False)] * 3
    q = build_queue(deck, due_states, summarize_today(review_log), D, reviews_per_day=5)
    assert len(q) == 2


def test_redrill_comes_back_after_another_card_until_four() -> None:
    s = Session.start(cards(3), {}, [], D)
    play(s, 2)  # card-1 fails
    assert ids(s) == [("card-2", "schedule"), ("card-3", "schedule"), ("card-1", "drill")]
    before = s.states["card-1"]
    play(s, 5)
    play(s, 5)
    play(s, 3)  # a drill graded 3 comes back again
    assert ids(s) == [("card-1", "drill")]
    play(s, 4)
    assert s.current is None
    # Drills never touch the schedule.
    assert s.states["card-1"] == before
    assert s.redrills() == 2 and s.reviewed() == 3


def test_schedule_grade_three_is_redrilled_but_four_is_not() -> None:
    s = Session.start(cards(2), {}, [], D)
    play(s, 3)
    play(s, 4)
    assert ids(s) == [("card-1", "drill")]


def test_drill_event_keeps_state() -> None:
    s = Session.start(cards(1), {}, [], D)
    play(s, 0)
    ev = s.grade(1)
    assert ev.kind == "drill" and ev.before == ev.after


def test_unfinished_redrill_survives_restart_same_day() -> None:
    log = [LogEntry("card-1", 1, "schedule", True), LogEntry("card-1", 2, "drill", False)]
    states = {"card-1": review(NEW, 1, D)}
    s = Session.start(cards(2), states, log, D)
    assert ids(s) == [("card-1", "drill"), ("card-2", "schedule")]
    done = [*log, LogEntry("card-1", 4, "drill", False)]
    assert ids(Session.start(cards(2), states, done, D)) == [("card-2", "schedule")]
    # The next day the re-drill queue is empty again.
    assert Session.start(cards(2), states, [], D + timedelta(days=1)).queue[0].kind == "schedule"


def test_undo_restores_queue_and_state_exactly() -> None:
    s = Session.start(cards(3), {}, [], D)
    play(s, 5)
    snapshot_queue, snapshot_states = list(s.queue), dict(s.states)
    play(s, 1)
    ev = s.undo()
    assert ev.grade == 1
    assert s.queue == snapshot_queue and s.states == snapshot_states
    s.undo()
    assert "card-1" not in s.states and s.state_of("card-1") == NEW
    assert s.current is not None
    assert s.current.card.id == "card-1"


def test_removed_cards_are_not_scheduled() -> None:
    states = {"gone": State(1, 1, 250, D)}
    assert [i.card.id for i in Session.start(cards(1), states, [], D).queue] == ["card-1"]


def test_apply_refuses_an_event_for_another_card() -> None:
    s = Session.start(cards(2), {}, [], D)
    ev = s.grade(4)
    s.apply(ev)
    with pytest.raises(ValueError):
        s.apply(ev)


def test_resync_turns_a_card_decided_elsewhere_into_a_redrill() -> None:
    session = Session.start(cards(2), {}, [], D)
    other = review(NEW, 5, D)  # another session graded card-1 first, today
    kind = session.resync(other, [LogEntry("card-1", 5, "schedule", True)])
    assert kind == "drill" and ids(session)[0] == ("card-1", "drill")
    event = session.grade(2)
    assert (event.kind, event.before, event.after) == ("drill", other, other)


def test_resync_applies_the_grade_to_the_stored_state_when_not_decided_today() -> None:
    earlier = State(2, 6, 250, D)
    session = Session.start(cards(1), {"card-1": earlier}, [], D)
    stored = State(3, 15, 250, D)  # changed elsewhere, on an earlier day
    assert session.resync(stored, []) == "schedule"
    assert session.grade(4).after == review(stored, 4, D)
