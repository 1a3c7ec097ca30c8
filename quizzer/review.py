"""The review shell: commit grades through one path, and the plain line-mode loop.

Rule 1: a grade is committed to the store before the session advances (`Reviewer.grade`),
so Ctrl-C, a killed process or a closed terminal never loses an answer already graded.
The full-screen reviewer (quizzer/ui/tui.py) and the plain loop share this one path.
Rule 2: in plain mode, per card, exactly two lines are read: the typed answer (empty
reveals; a line that is only `u` or `q` is that command, so it never spoils a card) and
then the grade or a command letter. EOF or `q` at any prompt ends the session.
Rule 3: `commit_grade` is the one path from a grade to the database, for every reviewer:
a conflict with another session is resolved there, a locked database is waited for with
a notice, and a grade that could not be stored stays at the prompt to be retried.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from quizzer.cards import Card, Deck
from quizzer.errors import QuizzerError
from quizzer.indexdb import Conflict, StoreBusy
from quizzer.model import Event
from quizzer.scheduler import GRADES, REDRILL_UNTIL
from quizzer.session import Session, due_on, next_due
from quizzer.stats import LEECH_LAPSES, leech_advice

GRADE_PROMPT = "Grade 0-5 (u undo, q quit{demo}): "
MISSED_BELOW = 3  # a deciding grade below this counts the card as missed in the summary
# At the answer prompt these lines are commands, not answers (see Rule 2).
ANSWER_COMMANDS = frozenset({"u", "q"})
# How long a grade waits, in all, for another program's write lock before the session
# gives up on it (the grade then stays at the prompt). Documented in the README.
LOCK_WAIT_LIMIT = 120.0
_MAX_CONFLICTS = 10

if TYPE_CHECKING:
    from quizzer.marker import Marking
    from quizzer.store import Store


def _parse_grade(text: str) -> int | str | None:
    """An int grade, a command letter, or None for anything else (ASCII digits only:
    "²", "٤" or "４" are not grades)."""
    text = text.strip().lower()
    if text in {"u", "q", "d", "?"}:
        return text
    if len(text) == 1 and text in "0123456789" and int(text) in GRADES:
        return int(text)
    return None


def _quiet(_line: str) -> None:
    pass


class GradeStore(Protocol):
    """What a review needs of the store: the Store itself, or KeyedStore over decks."""

    @property
    def label(self) -> str: ...

    def record(self, deck: str, ev: Event, at: datetime) -> int: ...

    def undo(self, deck: str, review_id: int, ev: Event) -> None: ...


class StoreLater:
    """The Store, opened at the first grade or undo: the first card is on screen while
    SQLAlchemy still loads. The database is known to exist at the current schema (the
    command read its index), so opening it migrates nothing; an open that fails (locked,
    full disk) fails the grade, which stays on screen to retry, like a failed write."""

    def __init__(self, open_store: Callable[[], Store], label: str) -> None:
        self._open = open_store
        self._store: Store | None = None
        self.label = label

    def _get(self) -> Store:
        if self._store is None:
            self._store = self._open()
        return self._store

    def record(self, deck: str, ev: Event, at: datetime) -> int:
        return self._get().record(deck, ev, at)

    def undo(self, deck: str, review_id: int, ev: Event) -> None:
        self._get().undo(deck, review_id, ev)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


@dataclass(frozen=True)
class KeyedStore:
    """The store as a session over several decks sees it: card ids are keys
    (`deck/card`, quizzer/decks.py), turned back into the deck and plain id to store."""

    store: Store

    @property
    def label(self) -> str:
        return self.store.label

    def record(self, deck: str, ev: Event, at: datetime) -> int:
        from quizzer.decks import keyed_log, split

        deck_id, card_id = split(ev.card_id)
        try:
            return self.store.record(deck_id, replace(ev, card_id=card_id), at)
        except Conflict as conflict:
            raise Conflict(conflict.state, keyed_log(deck_id, conflict.today_log)) from None

    def undo(self, deck: str, review_id: int, ev: Event) -> None:
        from quizzer.decks import split

        deck_id, card_id = split(ev.card_id)
        self.store.undo(deck_id, review_id, replace(ev, card_id=card_id))


def commit_grade(
    store: GradeStore,
    session: Session,
    deck_id: str,
    event: Event,
    clock: Callable[[], datetime],
    notify: Callable[[str], None] = _quiet,
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


def undo_last(store: GradeStore, session: Session, deck_id: str) -> Event | None:
    """Take back the session's last grade in the store, then in the session; None if the
    session has none. The store refuses (UndoRefused) when another session graded that
    card since; the session then stays as it is."""
    last = session.last()
    if last is None:
        return None
    event, token = last
    store.undo(deck_id, token, event)
    return session.undo()


Outlook = Callable[[date], tuple[int, int, date | None]]
"""For a review day: cards due by the next day, cards due by that day, the next due date
after it."""


@dataclass(frozen=True)
class Progress:
    """Where the session stands: `card k of n` over the day's cards, re-drills apart, so
    the total never grows as cards are missed."""

    position: int  # k, for a first pass; 0 while re-drilling
    total: int  # n: the day's cards to decide
    redrills_left: int
    kind: str  # "new", "review" or "re-drill"


@dataclass(frozen=True)
class Summary:
    """The end of a session, counted from the session's history."""

    decided: int
    grades: Counter[int]  # the deciding grades, one per card decided
    redrills: int
    redrill_grades: Counter[int]
    seconds: float
    missed: tuple[tuple[Card, tuple[str, ...]], ...]  # grade < 3, with key points missed
    due_tomorrow: int
    still_due: int  # cards due today or earlier and not decided: "overdue"
    next_due: date | None  # the first due date after today
    day: date
    left: int = 0  # cards still in today's queue (quit early)


@dataclass
class Reviewer:
    """A session with its deck, store and clock: grade, undo, summarise.

    The session decides; this commits each grade before applying it, and remembers each
    card's marking so that the summary can name the key points missed.
    """

    session: Session
    deck: Deck
    store: GradeStore
    clock: Callable[[], datetime]
    leech_lapses: int = LEECH_LAPSES
    notify: Callable[[str], None] = _quiet  # one line: a conflict resolved, a lock waited on
    lock_wait: float = LOCK_WAIT_LIMIT
    outlook: Outlook | None = None  # the whole deck's counts, when only a part is loaded
    markings: dict[str, Marking] = field(default_factory=dict)
    timer: Callable[[], float] = time.monotonic  # seconds, for the time spent
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.timer()

    def progress(self) -> Progress:
        s = self.session
        item = s.current
        first = sum(1 for i in s.queue if i.kind == "schedule")
        drills = sum(1 for i in s.queue if i.kind == "drill")
        total = s.reviewed() + first
        if item is None:
            return Progress(total, total, 0, "done")
        if item.kind == "drill":
            return Progress(0, total, drills, "re-drill")
        kind = "new" if s.state_of(item.card.id).is_new else "review"
        return Progress(s.reviewed() + 1, total, drills, kind)

    def leech(self) -> str | None:
        """The leech advice for the current card, or None when it is not a leech."""
        item = self.session.current
        if item is None:
            return None
        return leech_advice(item.card, self.session.state_of(item.card.id), self.leech_lapses)

    def exam_countdown(self) -> str | None:
        """`exam in 12 days` for the header while an exam date lies ahead; else None."""
        from quizzer.plan import days_left

        exam = self.session.exam
        if exam is None or (left := days_left(exam, self.session.day)) < 0:
            return None
        return "exam today" if left == 0 else f"exam in {left} day{'s' * (left != 1)}"

    def mark(self, answer: str) -> Marking:
        item = self.session.current
        assert item is not None
        from quizzer.marker import mark  # at the first answer: the first card is shown sooner

        return mark(item.card, answer)

    def grade(self, grade: int, answer: str, seconds: float,
              marking: Marking | None = None) -> Event:
        """Commit `grade` for the current card, then advance the session. A grade that
        could not be stored raises QuizzerError with the session unchanged."""
        event = self.session.grade(grade, answer, seconds)
        event = commit_grade(self.store, self.session, self.deck.id, event, self.clock,
                             self.notify, lock_wait=self.lock_wait)
        if event.kind == "schedule":
            if marking is None:
                from quizzer.marker import mark

                marking = mark(self._card(event.card_id), answer)
            self.markings[event.card_id] = marking
        return event

    def undo(self) -> Event | None:
        """Revert the last grade in the store, then in the session; None if there is none.
        QuizzerError (UndoRefused) when another session graded that card since."""
        event = undo_last(self.store, self.session, self.deck.id)  # may raise UndoRefused
        if event is None:
            return None
        if event.kind == "schedule":
            self.markings.pop(event.card_id, None)
        return event

    def number(self, card_id: str) -> str:
        return next((str(c.number) for c in self.deck.cards if c.id == card_id), card_id)

    def _card(self, card_id: str) -> Card:
        return next(c for c in self.deck.cards if c.id == card_id)

    def summary(self) -> Summary:
        return summarize(self.session, self.deck, self.markings,
                         self.timer() - self.started, self.outlook)


def summarize(session: Session, deck: Deck, markings: Mapping[str, Marking],
              seconds: float, outlook: Outlook | None = None) -> Summary:
    """The summary of `session` so far; pure but for `outlook`, which (when given) counts
    what is due over the whole deck rather than over the session's cards."""
    events = [step.event for step in session.history]
    deciding = [e for e in events if e.kind == "schedule"]
    drills = [e for e in events if e.kind == "drill"]
    by_id = {c.id: c for c in deck.cards}
    missed = []
    for e in deciding:
        if e.grade < MISSED_BELOW and e.card_id in by_id:
            marking = markings.get(e.card_id)
            points = tuple(p.text for p in marking.points if not p.covered) if marking else ()
            missed.append((by_id[e.card_id], points))
    ids = list(by_id)
    day = session.day
    if outlook is not None:
        due_tomorrow, still_due, upcoming = outlook(day)
    else:
        later = {cid: s for cid, s in session.states.items() if s.due is None or s.due > day}
        due_tomorrow = due_on(session.states, ids, day + timedelta(days=1))
        still_due = due_on(session.states, ids, day)
        upcoming = next_due(later, ids)
    return Summary(
        decided=len(deciding),
        grades=Counter(e.grade for e in deciding),
        redrills=len(drills),
        redrill_grades=Counter(e.grade for e in drills),
        seconds=seconds,
        missed=tuple(missed),
        due_tomorrow=due_tomorrow,
        still_due=still_due,
        next_due=upcoming,
        day=day,
        left=session.remaining,
    )


def run_review(
    reviewer: Reviewer,
    run_demo: Callable[[Card], None],
) -> Summary:
    """Drive the plain line mode until the queue is empty, the user quits, or input ends."""
    from quizzer.ui import screens

    interrupted = False
    try:
        _loop(reviewer, run_demo)
    except KeyboardInterrupt:
        interrupted = True
        screens.status("\nInterrupted; every grade given so far is saved.")
    summary = reviewer.summary()
    screens.summary(summary)
    if interrupted:
        # The summary first; then Ctrl-C carries on to the CLI's exit status 130.
        raise KeyboardInterrupt
    return summary


def _loop(reviewer: Reviewer, run_demo: Callable[[Card], None]) -> None:
    from quizzer.ui import screens
    from quizzer.ui.console import read_line

    session = reviewer.session
    while (item := session.current) is not None:
        screens.card_header(item, reviewer.progress(), reviewer.leech())
        started = time.monotonic()
        answer = read_line("Your answer (Enter reveals): ")
        command = answer.strip().lower() if answer is not None else "q"
        if command in ANSWER_COMMANDS:
            if command == "q":
                return
            _undo(reviewer)
            continue
        assert answer is not None
        marking = reviewer.mark(answer)
        preview = session.preview()
        screens.reveal(item.card, marking, preview, session.day)
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
                screens.grade_help(preview, item.card.demo is not None, session.day)
                continue
            if choice == "d":
                if item.card.demo:
                    run_demo(item.card)
                else:
                    screens.warn("This card has no demo.")
                continue
            if choice == "u":
                if _undo(reviewer):
                    break
                continue
            if isinstance(choice, int):
                try:
                    event = reviewer.grade(choice, answer, time.monotonic() - started,
                                           marking)
                except QuizzerError as exc:
                    pending = choice
                    screens.warn(f"{exc}. Grade {choice} is kept: press Enter to retry it.")
                    continue
                if event.kind == "schedule":
                    assert event.after.due is not None
                    # Counted from today: with an exam date the due date may come earlier
                    # than SM-2's interval says.
                    days = (event.after.due - event.day).days
                    screens.note(f"Next review in {days} day(s), on {event.after.due}.")
                if event.grade < REDRILL_UNTIL:
                    screens.note("It comes back later in this session.")
                break
            screens.warn(f"{line.strip()[:20]!r} is not a grade: type 0-5, or u, q"
                         + (", d" if item.card.demo else "") + ".")


def _undo(reviewer: Reviewer) -> bool:
    from quizzer.ui import screens

    try:
        event = reviewer.undo()
    except QuizzerError as exc:
        screens.warn(str(exc))
        return False
    if event is None:
        screens.warn("Nothing to undo in this session.")
        return False
    screens.note(f"Undid grade {event.grade} on #{reviewer.number(event.card_id)}.")
    return True
