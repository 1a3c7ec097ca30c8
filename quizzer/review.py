"""The review loop: ask, reveal, grade, store, advance.

Rule 1: a grade is committed to the store before the session advances, so Ctrl-C, a
killed process or a closed terminal never loses an answer already graded.
Rule 2: per card, exactly two kinds of line are read: the typed answer (empty reveals)
and then the grade or a command letter. EOF or `q` at any prompt ends the session.
Rule 3: `commit_grade` is the one path from a grade to the database, for every reviewer:
a conflict with another session is resolved there, a locked database is waited for with
a notice, and a grade that could not be stored stays at the prompt to be retried.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

from quizzer.cards import Card, Deck
from quizzer.errors import QuizzerError
from quizzer.scheduler import GRADES, REDRILL_UNTIL
from quizzer.session import Event, Session, due_on, next_due
from quizzer.store import Conflict, Store, StoreBusy
from quizzer.ui import screens
from quizzer.ui.console import read_line

GRADE_PROMPT = "Grade 0-5 (u undo, q quit{demo}): "
# How long a grade waits, in all, for another program's write lock before the session
# gives up on it (the grade then stays at the prompt). Documented in the README.
LOCK_WAIT_LIMIT = 120.0
_MAX_CONFLICTS = 10


def _parse_grade(text: str) -> int | str | None:
    """An int grade, a command letter, or None for anything else (ASCII digits only:
    "²", "٤" or "４" are not grades)."""
    text = text.strip().lower()
    if text in {"u", "q", "d", "?"}:
        return text
    if len(text) == 1 and text in "0123456789" and int(text) in GRADES:
        return int(text)
    return None


def commit_grade(
    store: Store,
    session: Session,
    deck_id: str,
    event: Event,
    clock: Callable[[], datetime],
    notify: Callable[[str], None] = lambda _line: None,
    *,
    lock_wait: float = LOCK_WAIT_LIMIT,
    monotonic: Callable[[], float] = time.monotonic,
) -> Event:
    """Store the grade in `event` and advance `session`; return the event as stored.

    If another session changed the card first, the session takes the stored state and
    today's log (`Session.resync`): a card already decided today turns the grade into a
    re-drill, otherwise the grade applies to the stored state; `notify` gets one line.
    A locked database is retried (one notice) until `lock_wait` seconds have passed.
    Any other storage fault raises QuizzerError with the session unchanged, so the
    caller keeps the grade and can call again.
    """
    started = monotonic()
    waiting = False
    conflicts = 0
    while True:
        try:
            review_id = store.record(deck_id, event, clock())
        except Conflict as conflict:
            conflicts += 1
            if conflicts > _MAX_CONFLICTS:
                raise QuizzerError(f"{store.label}: card {event.card_id!r} keeps changing "
                                   "in another session; try the grade again") from None
            kind = session.resync(conflict.state, conflict.today_log)
            event = session.grade(event.grade, event.answer, event.seconds)
            card = session.current.card if session.current else None
            name = f"#{card.number}" if card else event.card_id
            notify(f"Another session already graded {name} today: your {event.grade} "
                   "counts as a re-drill." if kind == "drill" else
                   f"Another session changed {name}: your {event.grade} was applied "
                   "to its stored state.")
            continue
        except StoreBusy:
            if monotonic() - started >= lock_wait:
                raise StoreBusy(
                    f"{store.label}: still locked by another program after "
                    f"{lock_wait:.0f} s; grade {event.grade} was not saved. "
                    "Close the other program and give the grade again") from None
            if not waiting:
                notify(f"The database is locked by another program; waiting up to "
                       f"{lock_wait:.0f} s to save grade {event.grade} (Ctrl-C stops).")
                waiting = True
            continue
        session.apply(event, review_id)
        return event


def undo_last(store: Store, session: Session, deck_id: str) -> Event | None:
    """Take back the session's last grade in the store, then in the session; None if the
    session has none. The store refuses (UndoRefused) when another session graded that
    card since; the session then stays as it is."""
    last = session.last()
    if last is None:
        return None
    event, token = last
    store.undo(deck_id, token, event)
    return session.undo()


def run_review(
    session: Session,
    deck: Deck,
    store: Store,
    clock: Callable[[], datetime],
    run_demo: Callable[[Card], None],
) -> None:
    """Drive `session` until the queue is empty, the user quits, or input ends."""
    try:
        _loop(session, deck, store, clock, run_demo)
    except KeyboardInterrupt:
        screens.note("\nInterrupted; every grade given so far is saved.")
    ids = [c.id for c in deck.cards]
    tomorrow = session.day + timedelta(days=1)
    screens.summary(
        session.reviewed(), session.grade_counts(), session.redrills(),
        due_on(session.states, ids, tomorrow), next_due(session.states, ids),
        session.remaining,
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
        pending: int | None = None  # a grade the store could not take yet
        while True:
            line = read_line(prompt, prefill=str(pending) if pending is not None else "")
            if line is None:
                return
            choice = _parse_grade(line)
            if choice is None and pending is not None and not line.strip():
                choice = pending  # piped input: an empty line retries the kept grade
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
                try:
                    undone = undo_last(store, session, deck.id)
                except QuizzerError as exc:
                    screens.warn(str(exc))
                    continue
                if undone is None:
                    screens.warn("Nothing to undo in this session.")
                    continue
                screens.note(f"Undid grade {undone.grade} on #{_number(deck, undone)}.")
                break
            if isinstance(choice, int):
                event = session.grade(choice, answer, time.monotonic() - started)
                try:
                    event = commit_grade(store, session, deck.id, event, clock, screens.warn)
                except QuizzerError as exc:
                    pending = choice
                    screens.warn(f"{exc}. Grade {choice} is kept: press Enter to retry it.")
                    continue
                if event.kind == "schedule":
                    screens.note(f"Next review in {event.after.interval} day(s), "
                                 f"on {event.after.due}.")
                if event.grade < REDRILL_UNTIL:
                    screens.note("It comes back later in this session.")
                break
            screens.warn(f"{line.strip()[:20]!r} is not a grade: type 0-5, or u, q"
                         + (", d" if item.card.demo else "") + ".")


def _number(deck: Deck, event: Event) -> str:
    return next((str(c.number) for c in deck.cards if c.id == event.card_id), event.card_id)
