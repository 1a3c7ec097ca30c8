"""What `due` and `review` do, without the CLI framework: open the database and the deck,
count or build today's session, drive the reviewer. The typer CLI (cli.py) and the quick
path (quick.py) both call these, so the two cannot differ.

Rule: nothing here imports typer, SQLAlchemy or pydantic at module level; a ready
database is read through a bare sqlite3 connection (indexdb.py) and the Store opens only
to write (review.StoreLater). Errors are QuizzerErrors; callers report them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.errors import QuizzerError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from quizzer.cards import Card, Deck
    from quizzer.export import Overview, Progress, SummaryCard
    from quizzer.index import Db, IndexedDeck
    from quizzer.indexdb import DayPlan, IndexDB, ProgressInput
    from quizzer.model import Exam
    from quizzer.review import GradeStore, Reviewer, Summary
    from quizzer.session import TodayCounts
    from quizzer.store import Store
    from quizzer.ui.demo import DemoRun
    from quizzer.ui.progress import ProgressFn


# -- opening -----------------------------------------------------------------------------

def load_deck_files(deck: str | None) -> Deck:
    """Read and check every file of a deck (validate, demo: no database at hand)."""
    from quizzer.cards import load_deck
    from quizzer.demos import REGISTRY
    from quizzer.paths import resolve_deck

    return load_deck(resolve_deck(deck), known_demos=REGISTRY)


def indexed(deck: str | None, store: Db) -> IndexedDeck:
    """A deck through its index in the database: only files changed since the last
    command are read (see quizzer/index.py)."""
    from quizzer.demos import REGISTRY
    from quizzer.index import open_deck
    from quizzer.paths import resolve_deck

    return open_deck(resolve_deck(deck), store, REGISTRY, progress=_reading_progress)


def summary_cards(deck: IndexedDeck, store: Db) -> list[SummaryCard]:
    """The deck's cards as the summary shows them, in number order. They are kept in the
    database (deck_render) until their file changes, so an export renders only the
    cards whose file changed since the last one, and keeps them for the next, unless
    the database cannot be written now (then they are simply made again)."""
    from quizzer.export import SummaryCard, renderer, summary_card
    from quizzer.index import INDEX_FORMAT, open_deck
    from quizzer.indexdb import StoreBusy, StoreWriteError

    key = f"{INDEX_FORMAT}/{renderer()}"
    rows = store.index_rendered(deck.key, key)
    if rows is not None:
        return list(map(SummaryCard._make, rows))
    from quizzer.cards import Card

    def render() -> list[tuple[str, str, SummaryCard]]:
        return [(name, digest, summary_card(Card.model_validate_json(stored)))
                for name, digest, stored in store.index_unrendered(deck.key, key)]

    try:
        made = render()
    except ValueError:
        # A stored card that does not decode (damaged, or written by another version):
        # read the files again, as IndexedDeck.load does.
        store.index_forget(deck.key)
        deck = open_deck(deck.path, store, deck.demos)
        made = render()
    try:
        store.index_put_rendered(deck.key, key, [
            (name, digest, c.id, c.number, c.section, c.demo, c.heading, c.slug, c.pages,
             c.body, c.corrected) for name, digest, c in made])
    except (StoreBusy, StoreWriteError):
        return deck_summary_cards(deck, store)
    rows = store.index_rendered(deck.key, key)
    if rows is None:  # another command changed the deck meanwhile
        return deck_summary_cards(deck, store)
    return list(map(SummaryCard._make, rows))


def summary_progress(deck: IndexedDeck, store: Db, ids: Collection[str]) -> tuple[
        dict[str, Progress], list[tuple[ProgressInput, tuple[Any, ...]]]]:
    """Each card's progress as the summary shows it, by card id, read in the caller's
    snapshot: kept in the database (card_progress) until the card is written again, so
    only the cards of `ids` graded since the last export (or never rendered) are
    rendered now. Those are returned too, for keep_summary_progress."""
    from quizzer.export import Progress, progress_of, progress_renderer

    key = progress_renderer()
    out = store.kept_progress(deck.id, key, Progress._make)
    made = []
    if any(cid not in out for cid in ids):
        for made_from in store.unkept_progress(deck.key, deck.id, key):
            out[made_from[0]] = progress = progress_of(*made_from[1:])
            made.append((made_from, tuple(progress)))
    return out, made


def keep_summary_progress(deck: IndexedDeck, store: Db,
                          made: list[tuple[ProgressInput, tuple[Any, ...]]]) -> None:
    """Keep what summary_progress rendered, each only while its card is unchanged; not
    at all when the database cannot be written now (the next export renders them)."""
    from quizzer.export import progress_renderer
    from quizzer.indexdb import StoreBusy, StoreWriteError

    if made:
        with contextlib.suppress(StoreBusy, StoreWriteError):
            store.keep_progress(deck.key, deck.id, progress_renderer(), made)


def summary_overview(deck: IndexedDeck, store: Db, ids: Collection[str], day: date,
                     leech_lapses: int) -> Overview:
    """The summary's progress numbers for the deck's cards `ids`, counted by the store."""
    from quizzer.export import FORECAST_DAYS, counted_overview
    from quizzer.stats import MATURE_DAYS, RETENTION_DAYS

    counts = store.deck_counts(deck.key, deck.id, MATURE_DAYS, leech_lapses, day,
                               day + timedelta(days=FORECAST_DAYS - 1))
    return counted_overview(
        day, counts[:4], counts.due, counts.reviews,
        store.log_by_day(deck.id, day - timedelta(days=RETENTION_DAYS - 1), day,
                         counts.removed),
        [e for e in store.today_log(deck.id, day) if e.card_id in ids],
    )


def deck_summary_cards(deck: IndexedDeck, store: Db) -> list[SummaryCard]:
    """Every card rendered from the index, none kept."""
    from quizzer.export import summary_card

    return [summary_card(c) for c in deck.load(store).cards]


def _reading_progress() -> AbstractContextManager[ProgressFn]:
    from quizzer.ui.progress import progress_bar

    return progress_bar("Reading the deck")


def open_store(db: str | None, *decks: str | None) -> Store:
    """Open the database. Before creating a new one, check the `decks` the command will
    index in it: a broken deck must not leave a database behind."""
    from quizzer.paths import default_db_path
    from quizzer.store import Store, database_exists

    target = db if db else default_db_path()
    if decks and not database_exists(target):
        for deck in decks:
            load_deck_files(deck)
    return Store.open(target)


def open_ready(target: str) -> IndexDB | None:
    """A bare connection to the database at `target` when it is ready for a command:
    a file (not a URL) that exists, is writable with its folder, and is at the current
    schema. None otherwise: Store.open then creates, migrates or refuses it."""
    if "://" in target:
        return None  # a URL: SQLAlchemy reads it
    path = Path(target).expanduser().resolve()
    if not path.is_file() or not os.access(path, os.W_OK) or not os.access(
            path.parent, os.W_OK):
        return None
    from quizzer.indexdb import SCHEMA_VERSION, IndexDB

    db = IndexDB.connect(str(path), target, busy_timeout=5.0)
    try:
        if db.schema_version() == SCHEMA_VERSION and IndexDB.reductions_whole(db.conn):
            return db
    except QuizzerError:
        pass
    db.close()
    return None


@contextlib.contextmanager
def review_db(db: str | None, deck: str | None) -> Iterator[tuple[Db, GradeStore]]:
    """Where a review reads and where it grades. A database that is ready (it exists, is
    writable and at the current schema) is read through a bare sqlite3 connection and its
    Store opens at the first grade, so the first card shows before SQLAlchemy loads; any
    other opens as the Store now, which creates, migrates or refuses it."""
    from quizzer.paths import default_db_path
    from quizzer.review import StoreLater

    target = db if db else str(default_db_path())
    reads = open_ready(target)
    if reads is None:
        with open_store(db, deck) as store:
            yield store, store
        return
    grades = StoreLater(lambda: open_store(db, deck), target)
    try:
        yield reads, grades
    finally:
        grades.close()
        reads.close()


@contextlib.contextmanager
def read_db(db: str | None, *decks: str | None) -> Iterator[Db]:
    """The database of a command that reads (keeping only its caches up to date): a bare
    sqlite3 connection when it is ready, so SQLAlchemy never loads; otherwise the Store,
    which creates, migrates or refuses it (checking `decks` first, as open_store)."""
    from quizzer.paths import default_db_path

    reads = open_ready(db if db else str(default_db_path()))
    if reads is None:
        with open_store(db, *decks) as store:
            yield store
        return
    try:
        yield reads
    finally:
        reads.close()


# -- due ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DueReport:
    """What `due` shows for one deck."""

    deck: str
    day: date
    due: int
    new: int
    redrill: int
    next_due: date | None
    exam: Exam | None

    def as_json(self) -> dict[str, Any]:
        from quizzer.plan import days_left

        data: dict[str, Any] = {
            "deck": self.deck, "today": self.day.isoformat(), "due": self.due,
            "new": self.new, "redrill": self.redrill,
            "total": self.redrill + self.due + self.new,
            "next_due": self.next_due.isoformat() if self.next_due else None,
        }
        if self.exam is not None:
            data |= {"exam": self.exam.day.isoformat(), "days_left": days_left(self.exam, self.day)}
        return data


def due_report(db: Db, idx: IndexedDeck, day: date, new: int, reviews: int) -> DueReport:
    """Today's counts of one deck from its index: the queue the review session would
    build, without loading a card."""
    from quizzer.session import summarize_today

    with db.snapshot():  # the log and the states as of one moment
        today = summarize_today(db.today_log(idx.id, day))
        exam = db.exam(idx.id)
        plan = todays_plan(db, idx, day, new, reviews, today, exam)
        redrill = len(db.index_present(idx.key, list(today.redrill)))
    return DueReport(idx.id, day, len(plan.due), len(plan.new), redrill, plan.next_due, exam)


def todays_plan(db: Db, idx: IndexedDeck, day: date, new: int, reviews: int,
                today: TodayCounts, exam: Exam | None) -> DayPlan:
    """What today's queue is built from, by the index: due and new cards up to their
    limits, the new-card limit raised with an exam date, as Session.start raises it, so
    that every card is introduced before the final-review window."""
    if exam is not None:
        from quizzer.plan import required_new_per_day

        unseen = len(db.day_plan(idx.key, idx.id, day, [], 0, 10**9).new)
        new = max(new, required_new_per_day(exam, day, unseen + today.new_done))
    return db.day_plan(idx.key, idx.id, day, sorted(today.graded),
                       max(0, reviews - today.reviews_done), max(0, new - today.new_done))


def show_due(report: DueReport, json_: bool) -> None:
    if json_:
        import json

        sys.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
        return
    from quizzer.plan import days_left_line
    from quizzer.ui import screens

    screens.due_table(report.deck, report.day, report.due, report.new, report.redrill,
                      report.next_due)
    if (line := days_left_line(report.exam, report.day)) is not None:
        screens.note(line)


# -- review ------------------------------------------------------------------------------

def review_deck(
    deck_name: str | None, db: str | None, day: date, new: int, reviews: int,
    leech_lapses: int, plain: bool,
) -> tuple[Summary, bool] | None:
    """`review` of one deck: today's queue from the index (only its cards are loaded),
    then the reviewer; the full screen's summary and whether it ended on Ctrl-C."""
    from quizzer.review import Reviewer
    from quizzer.session import Session, summarize_today
    from quizzer.ui import screens

    with review_db(db, deck_name) as (store, grades):
        idx = indexed(deck_name, store)
        with store.snapshot():  # the log and the states as of one moment
            log = store.today_log(idx.id, day)
            exam = store.exam(idx.id)
            today = summarize_today(log)
            plan = todays_plan(store, idx, day, new, reviews, today, exam)
            # Only the cards of today's queue are loaded: the queue built from them is the
            # one the whole deck gives, since day_plan applied the same order and limits.
            ids = [*today.redrill, *plan.due, *plan.new]
            every_id = None
            if exam is None:
                states = store.states_of(idx.id, ids)
            else:
                # The window rule counts every card due on each window day: with an exam
                # date every card's id and state are read (not its text).
                every_id = store.index_card_ids(idx.key)
                states = store.states(idx.id)
        the_deck = idx.subset(store, ids)
        session = Session.start(the_deck.cards, states, log, day, new, reviews, exam=exam,
                                card_ids=every_id)
        if session.current is None:
            # Cards still due today wait past the day's review limit; else the next day.
            waiting = store.due_count(idx.key, idx.id, day)
            upcoming = store.next_due_after(idx.key, idx.id, day)
            count = store.due_count(idx.key, idx.id, upcoming) - waiting if upcoming else 0
            screens.nothing_due(day, upcoming, count, waiting)
            return None
        from quizzer.plan import days_left_line

        if (line := days_left_line(session.exam, day)) is not None:
            screens.note(line)
        if session.new_limit > new:
            screens.note(f"New-card limit raised to {session.new_limit} today, so every card "
                         "is introduced before the final-review window.")

        def outlook(when: date) -> tuple[int, int, date | None]:
            # Over the whole deck, not only the cards loaded for today's queue.
            return (store.due_count(idx.key, idx.id, when + timedelta(days=1)),
                    store.due_count(idx.key, idx.id, when),
                    store.next_due_after(idx.key, idx.id, when))

        reviewer = Reviewer(session, the_deck, grades, datetime.now, leech_lapses=leech_lapses,
                            notify=screens.warn, outlook=outlook)
        return drive(reviewer, plain)


def drive(reviewer: Reviewer, plain: bool) -> tuple[Summary, bool] | None:
    """Run the review: the plain line mode (which prints its own summary, and re-raises
    Ctrl-C after it), or the full screen, whose summary and Ctrl-C come back."""
    from quizzer.review import run_review

    if plain or not (sys.stdin.isatty() and sys.stdout.isatty()):
        run_review(reviewer, _inline_demo)
        return None
    from quizzer.ui.tui import run_tui

    return run_tui(reviewer, _tui_demo)


def finish(ended: tuple[Summary, bool] | None) -> int:
    """Show the full screen's summary; the exit status (130 after Ctrl-C, as in every
    command)."""
    if ended is None:
        return 0
    from quizzer.ui import screens

    summary, interrupted = ended
    screens.summary(summary)
    return 130 if interrupted else 0


def _tui_demo(card: Card) -> DemoRun | None:
    return run_demo(card.demo, card.id) if card.demo else None


def _inline_demo(card: Card) -> None:
    from quizzer.ui.demo import show_result

    if card.demo:
        show_result(run_demo(card.demo, card.id), plots=True)


def run_demo(name: str, card: str | None, seed: int | None = None) -> DemoRun:
    import time

    from quizzer.demos import DEFAULT_SEED, run
    from quizzer.ui.demo import DemoRun

    seed = DEFAULT_SEED if seed is None else seed
    start = time.perf_counter()
    result = run(name, seed)
    return DemoRun(name, card, result, time.perf_counter() - start, seed)
