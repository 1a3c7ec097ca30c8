"""The day's queue and a review session: re-drill, limits and undo, with no I/O.

Rule 1: the session decides and the shell persists. `grade()` returns the Event to
store; only after the store has committed it does the shell call `apply()`.
Rule 2: everything about today (what was graded, what still needs a re-drill, how many
new cards were introduced) is derived from today's review log, so quitting and
starting again on the same review day continues exactly where the session stopped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from quizzer.defaults import DEFAULTS
from quizzer.model import Event, Exam, Kind, LogEntry, Review
from quizzer.plan import adjust, required_new_per_day
from quizzer.scheduler import NEW, REDRILL_UNTIL, State, check_grade, outcomes, review

if TYPE_CHECKING:  # `due` counts the day without loading the card models
    from quizzer.cards import Card

__all__ = [
    "Event", "Item", "Kind", "LogEntry", "Review", "Session", "TodayCounts",
    "build_queue", "due_on", "next_due", "review_day", "summarize_today",
]

DEFAULT_DAY_START: int = DEFAULTS["day_start"]
DEFAULT_NEW_PER_DAY: int = DEFAULTS["new_per_day"]
DEFAULT_REVIEWS_PER_DAY: int = DEFAULTS["reviews_per_day"]


def review_day(now: datetime, day_start_hour: int = DEFAULT_DAY_START) -> date:
    """The review day a local time belongs to: before `day_start_hour` it is still yesterday."""
    return (now - timedelta(hours=day_start_hour)).date()


@dataclass(frozen=True)
class Item:
    card: Card
    kind: Kind


@dataclass(frozen=True)
class TodayCounts:
    new_done: int
    reviews_done: int
    graded: frozenset[str]
    redrill: tuple[str, ...]


def summarize_today(log: Iterable[LogEntry]) -> TodayCounts:
    """What today's log says: cards introduced, reviews done, and the open re-drills."""
    new_done = reviews_done = 0
    graded: set[str] = set()
    last: dict[str, int] = {}
    for entry in log:
        if entry.kind == "schedule":
            graded.add(entry.card_id)
            if entry.was_new:
                new_done += 1
            else:
                reviews_done += 1
        if entry.card_id in graded:
            # Re-insert so the dict order is the order of each card's last grade.
            last.pop(entry.card_id, None)
            last[entry.card_id] = entry.grade
    redrill = tuple(cid for cid, g in last.items() if g < REDRILL_UNTIL)
    return TodayCounts(new_done, reviews_done, frozenset(graded), redrill)


def build_queue(
    cards: Sequence[Card],
    states: Mapping[str, State],
    today: TodayCounts,
    day: date,
    new_per_day: int = DEFAULT_NEW_PER_DAY,
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY,
) -> list[Item]:
    """Today's queue: re-drills, then due cards oldest first, then new cards in the order
    of `cards` (by number; over several decks, deck by deck). The limits count all cards.

    Cards in `states` that are not in `cards` (removed from the deck) are never queued.
    """
    by_id = {c.id: c for c in cards}
    # Ties on the due date keep the order of `cards`: the number within one deck.
    position = {c.id: i for i, c in enumerate(cards)}
    queue = [Item(by_id[cid], "drill") for cid in today.redrill if cid in by_id]
    due = [
        c for c in cards
        if c.id not in today.graded
        and (s := states.get(c.id, NEW)).due is not None and s.due <= day
    ]
    due.sort(key=lambda c: (states[c.id].due, position[c.id]))
    queue += [Item(c, "schedule") for c in due[: max(0, reviews_per_day - today.reviews_done)]]
    new = [c for c in cards if c.id not in today.graded and states.get(c.id, NEW).is_new]
    queue += [Item(c, "schedule") for c in new[: max(0, new_per_day - today.new_done)]]
    return queue


@dataclass
class _Step:
    event: Event
    token: int
    queue: list[Item]


@dataclass
class Session:
    """A review session over a prepared queue. Mutable, but free of I/O."""

    day: date
    queue: list[Item]
    states: dict[str, State]
    history: list[_Step] = field(default_factory=list)
    # With an exam date, the window rule moves due dates (see quizzer/plan.py); it needs
    # the deck's cards to count each window day's load.
    exam: Exam | None = None
    card_ids: tuple[str, ...] = ()
    new_limit: int = DEFAULT_NEW_PER_DAY  # today's limit, raised so every card is introduced
    # Over several decks, each card's own deck exam and that deck's card ids (quizzer/
    # decks.py); `exam` and `card_ids` then stay empty.
    exam_of: Mapping[str, tuple[Exam, tuple[str, ...]]] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        cards: Sequence[Card],
        states: Mapping[str, State],
        today_log: Iterable[LogEntry],
        day: date,
        new_per_day: int = DEFAULT_NEW_PER_DAY,
        reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY,
        exam: Exam | None = None,
        exam_of: Mapping[str, tuple[Exam, tuple[str, ...]]] | None = None,
        card_ids: Sequence[str] | None = None,
    ) -> Session:
        """`card_ids`: every card of the deck, when `cards` holds only those of today's
        queue (as the store's day plan chose them, in number order); the window rule and
        the new-card limit count every card. `states` must then hold every card's."""
        today = summarize_today(today_log)
        ids = tuple(card_ids) if card_ids is not None else tuple(c.id for c in cards)
        # Unseen at the start of the day, so that restarting the same day gives the same limit.
        unseen = sum(1 for cid in ids if states.get(cid, NEW).is_new) + today.new_done
        new_per_day = max(new_per_day, required_new_per_day(exam, day, unseen))
        queue = build_queue(cards, states, today, day, new_per_day, reviews_per_day)
        return cls(day, queue, dict(states), exam=exam, card_ids=ids, new_limit=new_per_day,
                   exam_of=exam_of or {})

    @property
    def current(self) -> Item | None:
        return self.queue[0] if self.queue else None

    @property
    def done(self) -> int:
        return len(self.history)

    @property
    def remaining(self) -> int:
        return len(self.queue)

    def state_of(self, card_id: str) -> State:
        return self.states.get(card_id, NEW)

    def preview(self) -> dict[int, State] | None:
        """What each grade would do to the current card; None for a re-drill."""
        item = self.current
        if item is None or item.kind == "drill":
            return None
        return {g: self._adjust(item.card.id, after)
                for g, after in outcomes(self.state_of(item.card.id), self.day).items()}

    def _adjust(self, card_id: str, after: State) -> State:
        if self.exam_of:
            exam, ids = self.exam_of.get(card_id, (None, ()))
            return adjust(exam, after, self.day, card_id, self.states, ids)
        return adjust(self.exam, after, self.day, card_id, self.states, self.card_ids)

    def grade(self, grade: int, answer: str = "", seconds: float = 0.0) -> Event:
        """The event for grading the current card; nothing changes until `apply`."""
        item = self.current
        if item is None:
            raise IndexError("the session has no card left to grade")
        check_grade(grade)
        before = self.state_of(item.card.id)
        after = (self._adjust(item.card.id, review(before, grade, self.day))
                 if item.kind == "schedule" else before)
        return Event(item.card.id, item.kind, grade, self.day, before, after, answer, seconds)

    def apply(self, event: Event, token: int = 0) -> None:
        """Advance past the current card once `event` is stored; `token` identifies the row."""
        item = self.current
        if item is None or item.card.id != event.card_id or item.kind != event.kind:
            raise ValueError("the event is not for the current card")
        self.history.append(_Step(event, token, list(self.queue)))
        self.queue.pop(0)
        self.states[event.card_id] = event.after
        if event.grade < REDRILL_UNTIL:
            # Back at the end: later in the session, with every other card in between.
            self.queue.append(Item(item.card, "drill"))

    def resync(self, state: State, today_log: Iterable[LogEntry]) -> Kind:
        """Take the current card's stored state and today's log after another session
        wrote it first (a store Conflict). A card already decided today makes the current
        item a re-drill; otherwise it is graded from the stored state. Returns the kind."""
        item = self.current
        if item is None:
            raise IndexError("the session has no card left to grade")
        cid = item.card.id
        if state == NEW:
            self.states.pop(cid, None)
        else:
            self.states[cid] = state
        decided = any(e.card_id == cid and e.kind == "schedule" for e in today_log)
        kind: Kind = "drill" if decided else "schedule"
        self.queue[0] = Item(item.card, kind)
        return kind

    def last(self) -> tuple[Event, int] | None:
        """The step `undo` would revert, so the shell can delete its row first."""
        if not self.history:
            return None
        step = self.history[-1]
        return step.event, step.token

    def undo(self) -> Event:
        """Revert the last applied grade: its card is current again with its earlier state."""
        step = self.history.pop()
        self.queue = step.queue
        if step.event.before == NEW:
            self.states.pop(step.event.card_id, None)
        else:
            self.states[step.event.card_id] = step.event.before
        return step.event

    def grade_counts(self) -> Counter[int]:
        return Counter(step.event.grade for step in self.history)

    def redrills(self) -> int:
        return sum(1 for step in self.history if step.event.kind == "drill")

    def reviewed(self) -> int:
        return sum(1 for step in self.history if step.event.kind == "schedule")


def due_on(states: Mapping[str, State], card_ids: Iterable[str], day: date) -> int:
    """How many of the cards are due on or before `day` (new cards not counted)."""
    return sum(
        1 for cid in card_ids
        if (s := states.get(cid)) is not None and s.due is not None and s.due <= day
    )


def next_due(states: Mapping[str, State], card_ids: Iterable[str],
             after: date | None = None) -> date | None:
    """The first due date of the cards, or the first after `after`."""
    dates = [s.due for cid in card_ids if (s := states.get(cid)) is not None and s.due
             and (after is None or s.due > after)]
    return min(dates) if dates else None
