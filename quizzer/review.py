"""The review loop: ask, reveal, grade, store, advance.

Rule 1: a grade is committed to the store before the session advances, so Ctrl-C, a
killed process or a closed terminal never loses an answer already graded.
Rule 2: per card, exactly two kinds of line are read: the typed answer (empty reveals)
and then the grade or a command letter. EOF or `q` at any prompt ends the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from quizzer.cards import Card, Deck
from quizzer.scheduler import GRADES, REDRILL_UNTIL
from quizzer.session import Event, Session, due_on, next_due
from quizzer.store import Store
from quizzer.ui import screens
from quizzer.ui.console import read_line

GRADE_PROMPT = "Grade 0-5 (u undo, q quit{demo}): "


def _parse_grade(text: str) -> int | str | None:
    """An int grade, a command letter, or None for anything else."""
    text = text.strip().lower()
    if text in {"u", "q", "d", "?"}:
        return text
    if text.isdigit() and int(text) in GRADES:
        return int(text)
    return None


def run_review(
    session: Session,
    deck: Deck,
    store: Store,
    clock: Callable[[], datetime],
    run_demo: Callable[[Card], None],
    outlook: Callable[[date], tuple[int, date | None]] | None = None,
) -> None:
    """Drive `session` until the queue is empty, the user quits, or input ends.

    `outlook(day)` gives the cards due by `day` and the next due date over the whole deck,
    for the summary; by default it is computed from the session's own cards and states.
    """
    try:
        _loop(session, deck, store, clock, run_demo)
    except KeyboardInterrupt:
        screens.note("\nInterrupted; every grade given so far is saved.")
    ids = [c.id for c in deck.cards]
    tomorrow = session.day + timedelta(days=1)
    if outlook is not None:
        due_tomorrow, upcoming = outlook(tomorrow)
    else:
        due_tomorrow = due_on(session.states, ids, tomorrow)
        upcoming = next_due(session.states, ids)
    screens.summary(
        session.reviewed(), session.grade_counts(), session.redrills(),
        due_tomorrow, upcoming, session.remaining,
    )


def _loop(
    session: Session,
    deck: Deck,
    store: Store,
    clock: Callable[[], datetime],
    run_demo: Callable[[Card], None],
) -> None:
    while (item := session.current) is not None:
        total = session.done + session.remaining
        screens.card_header(item, session.done + 1, total, session.state_of(item.card.id))
        started = time.monotonic()
        answer = read_line("Your answer (Enter reveals): ")
        if answer is None:
            return
        screens.reveal(item.card)
        preview = session.preview()
        screens.grade_help(preview, item.card.demo is not None)
        prompt = GRADE_PROMPT.format(demo=", d demo" if item.card.demo else "")
        while True:
            line = read_line(prompt)
            if line is None:
                return
            choice = _parse_grade(line)
            if choice == "q":
                return
            if choice == "?":
                screens.grade_help(preview, item.card.demo is not None)
                continue
            if choice == "d":
                if item.card.demo:
                    run_demo(item.card)
                else:
                    screens.warn("This card has no demo.")
                continue
            if choice == "u":
                last = session.last()
                if last is None:
                    screens.warn("Nothing to undo in this session.")
                    continue
                event, token = last
                store.undo(deck.id, token, event)
                session.undo()
                screens.note(f"Undid grade {event.grade} on #{_number(deck, event)}.")
                break
            if isinstance(choice, int):
                event = session.grade(choice, answer, time.monotonic() - started)
                review_id = store.record(deck.id, event, clock())
                session.apply(event, review_id)
                if event.kind == "schedule":
                    screens.note(f"Next review in {event.after.interval} day(s), "
                                 f"on {event.after.due}.")
                if event.grade < REDRILL_UNTIL:
                    screens.note("It comes back later in this session.")
                break
            screens.warn(f"{line.strip()!r} is not a grade: type 0-5, or u, q"
                         + (", d" if item.card.demo else "") + ".")


def _number(deck: Deck, event: Event) -> str:
    return next((str(c.number) for c in deck.cards if c.id == event.card_id), event.card_id)
