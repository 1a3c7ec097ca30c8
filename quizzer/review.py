"""The review shell: commit grades through one path, and the plain line-mode loop.

Rule 1: a grade is committed to the store before the session advances (`Reviewer.grade`),
so Ctrl-C, a killed process or a closed terminal never loses an answer already graded.
The full-screen reviewer (quizzer/ui/tui.py) and the plain loop share this one path.
Rule 2: in plain mode, per card, exactly two lines are read: the typed answer (empty
reveals; a line that is only `u` or `q` is that command, so it never spoils a card) and
then the grade or a command letter. EOF or `q` at any prompt ends the session.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from quizzer.cards import Card, Deck
from quizzer.marker import Marking, mark
from quizzer.model import Event
from quizzer.scheduler import GRADES, REDRILL_UNTIL
from quizzer.session import Session, due_on, next_due
from quizzer.stats import LEECH_LAPSES, leech_advice
from quizzer.store import Store

GRADE_PROMPT = "Grade 0-5 (u undo, q quit{demo}): "
MISSED_BELOW = 3  # a deciding grade below this counts the card as missed in the summary
# At the answer prompt these lines are commands, not answers (see Rule 2).
ANSWER_COMMANDS = frozenset({"u", "q"})


def _parse_grade(text: str) -> int | str | None:
    """An int grade, a command letter, or None for anything else."""
    text = text.strip().lower()
    if text in {"u", "q", "d", "?"}:
        return text
    if text.isdigit() and int(text) in GRADES:
        return int(text)
    return None


def record_grade(store: Store, deck: Deck, event: Event, at: datetime) -> int:
    """The one place a grade is written to the store; returns the stored row's id."""
    return store.record(deck.id, event, at)


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
    store: Store
    clock: Callable[[], datetime]
    leech_lapses: int = LEECH_LAPSES
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
        return mark(item.card, answer)

    def grade(self, grade: int, answer: str, seconds: float,
              marking: Marking | None = None) -> Event:
        """Commit `grade` for the current card, then advance the session."""
        event = self.session.grade(grade, answer, seconds)
        review_id = record_grade(self.store, self.deck, event, self.clock())
        self.session.apply(event, review_id)
        if event.kind == "schedule":
            self.markings[event.card_id] = marking or mark(self._card(event.card_id), answer)
        return event

    def undo(self) -> Event | None:
        """Revert the last grade in the store, then in the session; None if there is none."""
        last = self.session.last()
        if last is None:
            return None
        event, token = last
        self.store.undo(self.deck.id, token, event)
        self.session.undo()
        if event.kind == "schedule":
            self.markings.pop(event.card_id, None)
        return event

    def number(self, card_id: str) -> str:
        return next((str(c.number) for c in self.deck.cards if c.id == card_id), card_id)

    def _card(self, card_id: str) -> Card:
        return next(c for c in self.deck.cards if c.id == card_id)

    def summary(self) -> Summary:
        return summarize(self.session, self.deck, self.markings,
                         self.timer() - self.started)


def summarize(session: Session, deck: Deck, markings: Mapping[str, Marking],
              seconds: float) -> Summary:
    """The summary of `session` so far; pure."""
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
    later = {cid: s for cid, s in session.states.items() if s.due is None or s.due > day}
    return Summary(
        decided=len(deciding),
        grades=Counter(e.grade for e in deciding),
        redrills=len(drills),
        redrill_grades=Counter(e.grade for e in drills),
        seconds=seconds,
        missed=tuple(missed),
        due_tomorrow=due_on(session.states, ids, day + timedelta(days=1)),
        still_due=due_on(session.states, ids, day),
        next_due=next_due(later, ids),
        day=day,
        left=session.remaining,
    )


def run_review(
    reviewer: Reviewer,
    run_demo: Callable[[Card], None],
) -> Summary:
    """Drive the plain line mode until the queue is empty, the user quits, or input ends."""
    from quizzer.ui import screens

    try:
        _loop(reviewer, run_demo)
    except KeyboardInterrupt:
        screens.note("\nInterrupted; every grade given so far is saved.")
    summary = reviewer.summary()
    screens.summary(summary)
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
        screens.reveal(item.card, marking, preview)
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
                if _undo(reviewer):
                    break
                continue
            if isinstance(choice, int):
                event = reviewer.grade(choice, answer, time.monotonic() - started, marking)
                if event.kind == "schedule":
                    assert event.after.due is not None
                    # Counted from today: with an exam date the due date may come earlier
                    # than SM-2's interval says.
                    days = (event.after.due - event.day).days
                    screens.note(f"Next review in {days} day(s), on {event.after.due}.")
                if event.grade < REDRILL_UNTIL:
                    screens.note("It comes back later in this session.")
                break
            screens.warn(f"{line.strip()!r} is not a grade: type 0-5, or u, q"
                         + (", d" if item.card.demo else "") + ".")


def _undo(reviewer: Reviewer) -> bool:
    from quizzer.ui import screens

    event = reviewer.undo()
    if event is None:
        screens.warn("Nothing to undo in this session.")
        return False
    screens.note(f"Undid grade {event.grade} on #{reviewer.number(event.card_id)}.")
    return True
