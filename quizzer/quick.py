"""`quizzer due` on the standard library: what a plain `due` costs is a scan of the deck
folder and a few indexed queries, not the import of typer, SQLAlchemy and pydantic.

Rule 1: the quick path answers only `quizzer due` and `quizzer due --json` in the steady
state: settings it reads exactly as the CLI does, a database that exists at the current
schema, a deck whose index is in step or is brought in step by indexdb.py. Anything else
(an option, a new database, a broken deck or config, a locked file) returns False and
the full CLI runs, which reports any error in its usual way.
Rule 2: both paths count and render with due_report and show_due, so they cannot differ.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quizzer.errors import QuizzerError

if TYPE_CHECKING:
    from quizzer.index import Db, IndexedDeck
    from quizzer.indexdb import IndexDB
    from quizzer.model import Exam

# The CLI's defaults and environment variables (quizzer/cli.py, quizzer/config.py).
_INT_SETTINGS = {  # config key -> (environment variable, default, lowest, highest)
    "new_per_day": ("QUIZZER_NEW_PER_DAY", 20, 0, None),
    "reviews_per_day": ("QUIZZER_REVIEWS_PER_DAY", 200, 0, None),
    "day_start": ("QUIZZER_DAY_START", 4, 0, 23),
}


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
        if exam is not None:  # as the review session does: every card before the window
            from quizzer.plan import required_new_per_day

            unseen = len(db.day_plan(idx.key, idx.id, day, [], 0, 10**9).new)
            new = max(new, required_new_per_day(exam, day, unseen + today.new_done))
        plan = db.day_plan(idx.key, idx.id, day, sorted(today.graded),
                           max(0, reviews - today.reviews_done), max(0, new - today.new_done))
        redrill = len(db.index_present(idx.key, list(today.redrill)))
    return DueReport(idx.id, day, len(plan.due), len(plan.new), redrill, plan.next_due, exam)


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


def quick(argv: list[str]) -> bool:
    """Run `due` here if it is one the quick path answers; False: run the full CLI."""
    if argv not in (["due"], ["due", "--json"]):
        return False
    try:
        found = _settings()
        if found is None:
            return False
        deck_name, target, new, reviews, day_start = found
        from quizzer.paths import resolve_deck, today

        day = today(day_start)
        deck_dir = resolve_deck(deck_name)
        db = open_ready(target)
        if db is None:
            return False
        from quizzer.demos import REGISTRY
        from quizzer.index import open_deck

        try:
            idx = open_deck(deck_dir, db, REGISTRY, progress=_reading_progress)
            report = due_report(db, idx, day, new, reviews)
        finally:
            db.close()
    except QuizzerError:
        return False  # the full CLI says it in its own words
    from quizzer.output import guarded

    guarded(lambda: show_due(report, argv[-1] == "--json"))
    return True


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
        if db.schema_version() == SCHEMA_VERSION:
            return db
    except QuizzerError:
        pass
    db.close()
    return None


def _reading_progress() -> Any:
    from quizzer.ui.progress import progress_bar

    return progress_bar("Reading the deck")


def _settings() -> tuple[str | None, str, int, int, int] | None:
    """The deck, database, limits and day start in force for a `due` with no options:
    the environment, then the config file, then the defaults, as the CLI resolves them.
    None when something is not plain enough to be sure of (the CLI then decides)."""
    from quizzer.paths import config_path

    given: dict[str, Any] = {}
    path = config_path()
    if path.exists():
        from quizzer.config import load_config

        given = load_config(path).given()
    decks = os.environ.get("QUIZZER_DECK", "")
    if decks:  # the CLI splits a list option's variable on white space
        words = decks.split()
        if len(words) != 1:
            return None
        deck: str | None = words[0]
    else:
        configured = given.get("decks", [None])
        if len(configured) != 1:
            return None  # several decks: the CLI's multi-deck `due`
        deck = configured[0]
    target = os.environ.get("QUIZZER_DB", "") or given.get("db")
    if target is None:
        from quizzer.paths import default_db_path

        target = str(default_db_path())
    numbers = []
    for key, (var, default, low, high) in _INT_SETTINGS.items():
        text = os.environ.get(var, "")
        if not text:
            numbers.append(int(given.get(key, default)))
            continue
        if not (text.isascii() and text.isdigit()):
            return None
        value = int(text)
        if value < low or (high is not None and value > high):
            return None
        numbers.append(value)
    new, reviews, day_start = numbers
    return deck, target, new, reviews, day_start
