"""The deck index and today's queue as plain SQL over one sqlite3 connection.

Rule 1: no SQLAlchemy here. `due`, and a sync that re-reads a few edited files, run on
the standard library's sqlite3 alone (quizzer/quick.py); the Store runs the same methods
on its own connection, so there is one copy of every query.
Rule 2: every sqlite3 error becomes one QuizzerError line (fault) saying what to do; a
dropped index table is created again, since the index is only a cache.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar

from quizzer.errors import QuizzerError
from quizzer.model import CardLog, Exam, Graded, Kind, LogEntry
from quizzer.scheduler import NEW, State

# The schema version this quizzer writes; quizzer/store.py holds the migrations and
# checks that their number is this one.
SCHEMA_VERSION = 5

# The deck index: a cache of the card files of each deck folder (see quizzer/index.py),
# so that `due` and `review` are queries, not a parse of every file. Migration step 3,
# and what a dropped index table is created again from. The statements' text is exactly
# what step 3 shipped with.
INDEX_DDL = [
    """CREATE TABLE IF NOT EXISTS deck_folder (
            dir TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            deck_sig TEXT NOT NULL,
            deck_id TEXT,
            meta TEXT,
            problems TEXT NOT NULL,
            racy TEXT NOT NULL,
            buckets TEXT NOT NULL
        )""",
    """CREATE TABLE IF NOT EXISTS deck_index (
            dir TEXT NOT NULL,
            name TEXT NOT NULL,
            bucket INTEGER NOT NULL,
            sig TEXT NOT NULL,
            hash TEXT NOT NULL,
            card_id TEXT,
            number INTEGER,
            section TEXT,
            demo TEXT,
            question TEXT,
            card TEXT,
            lines TEXT NOT NULL,
            problems TEXT,
            PRIMARY KEY (dir, name)
        )""",
    "CREATE INDEX IF NOT EXISTS deck_index_card ON deck_index (dir, card_id, number)",
    "CREATE INDEX IF NOT EXISTS deck_index_number ON deck_index (dir, number, card_id)",
    "CREATE INDEX IF NOT EXISTS card_state_due ON card_state (deck, due, card_id)",
    # Covering indexes, so that a sync after an edit reads small index pages, not
    # every row with its stored card.
    "CREATE INDEX IF NOT EXISTS deck_index_sig ON deck_index (dir, bucket, name, sig, hash)",
    "CREATE INDEX IF NOT EXISTS deck_index_section ON deck_index (dir, section)",
    "CREATE INDEX IF NOT EXISTS deck_index_demo ON deck_index (dir, demo)",
    "CREATE INDEX IF NOT EXISTS deck_index_problems ON deck_index (dir, name) "
    "WHERE problems IS NOT NULL",
]

# The summary's rendered cards (quizzer/export.py, SummaryCard), a cache like the deck
# index: a row is deleted whenever its file's index row is written, so a row that is
# there was made from the file as indexed, by the renderer it names. Kept in number
# order, so an export reads it front to back. Migration step 4, and what a dropped table
# is made again from; the statements' text is exactly what step 4 shipped with.
RENDER_DDL = [
    """CREATE TABLE IF NOT EXISTS deck_render (
            dir TEXT NOT NULL,
            number INTEGER NOT NULL,
            name TEXT NOT NULL,
            renderer TEXT NOT NULL,
            card_id TEXT NOT NULL,
            section TEXT NOT NULL,
            demo TEXT,
            heading TEXT NOT NULL,
            slug TEXT NOT NULL,
            pages TEXT,
            body TEXT NOT NULL,
            corrected INTEGER NOT NULL,
            PRIMARY KEY (dir, number, name)
        ) WITHOUT ROWID""",
    "CREATE UNIQUE INDEX IF NOT EXISTS deck_render_name ON deck_render (dir, name)",
]

# A deciding grade for retention (quizzer.stats.is_deciding_retention): the first of the
# day, of a card graded before (it had a due date). In migration step 4's triggers, with
# `row` "new." or "", and in the reads below.
DECIDING = "({row}kind = 'schedule' AND coalesce({row}before_due, '') <> '')"
DECIDES = DECIDING.format(row="")

# Each card's progress as the summary shows it (quizzer.export.Progress), rendered: kept
# until the card's schedule or log is written again, when a trigger deletes its row, so
# no write path can leave one stale (migration step 5). Export renders the missing rows.
_FORGET_PROGRESS = "DELETE FROM card_progress WHERE deck = {row}.deck AND card_id = {row}.card_id;"
PROGRESS_DDL = [
    """CREATE TABLE IF NOT EXISTS card_progress (
            deck TEXT NOT NULL,
            card_id TEXT NOT NULL,
            renderer TEXT NOT NULL,
            due TEXT,
            head TEXT NOT NULL,
            tail TEXT NOT NULL,
            ease INTEGER NOT NULL,
            lapses INTEGER NOT NULL,
            last_grade INTEGER,
            why TEXT NOT NULL,
            PRIMARY KEY (deck, card_id)
        ) WITHOUT ROWID""",
    *(f"""CREATE TRIGGER IF NOT EXISTS {table}_{event}_progress AFTER {event.upper()} ON {table}
            BEGIN {" ".join(_FORGET_PROGRESS.format(row=row) for row in rows)} END"""
      for table in ("card_state", "review_log")
      for event, rows in (("insert", ("new",)), ("update", ("old", "new")),
                          ("delete", ("old",)))),
]

# The tables derived from the log and schedules, and the triggers that keep them
# (migration steps 4 and 5, in quizzer/store.py): all of them or, when one was dropped by
# hand, the Store makes them again when it opens.
REDUCTION_TABLES = ("card_log", "day_log", "card_progress")
REDUCTION_TRIGGERS = ("review_log_insert", "review_log_delete", "review_log_update",
                      *(f"{table}_{event}_progress" for table in ("card_state", "review_log")
                        for event in ("insert", "update", "delete")))

# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


class StoreBusy(QuizzerError):
    """Another process holds the database's write lock; retrying later may succeed."""


class StoreWriteError(QuizzerError):
    """A write failed (disk full, I/O error, read-only); nothing was changed."""


class Conflict(Exception):
    """The card's stored state is not the one the event was computed from.

    Carries what the database holds now, read in the same transaction: the card's state
    and the deck's log for the event's review day.
    """

    def __init__(self, state: State, today_log: list[LogEntry]) -> None:
        super().__init__("the card was changed by another session")
        self.state = state
        self.today_log = today_log


def error_code(exc: BaseException) -> int:
    """SQLite's primary result code of a driver error (SQLAlchemy's wrapper or not)."""
    orig = getattr(exc, "orig", None) or exc
    return int(getattr(orig, "sqlite_errorcode", 0) or 0) & 0xFF


def fault(label: str, exc: BaseException, doing: str) -> QuizzerError:
    """One line for a storage fault, naming the database and what to do."""
    orig = getattr(exc, "orig", None) or exc
    code = error_code(exc)
    if code in (_BUSY, _LOCKED):
        return StoreBusy(f"{label}: the database is locked by another program; {doing} "
                         "did not happen, try again when it is done")
    if code == _FULL:
        return StoreWriteError(f"{label}: the disk is full; {doing} did not happen. "
                               "Free some space and try again")
    if code in (_READONLY, _CANTOPEN):
        return StoreWriteError(
            f"{label}: the database or its folder is read-only ({orig}); quizzer must "
            "write both: fix the permissions or pass another --db")
    if code in (_NOTADB, _CORRUPT):
        return QuizzerError(f"{label}: not a quizzer database or damaged ({orig}); "
                            "pass another --db")
    return StoreWriteError(f"{label}: database error ({orig}); {doing} did not happen, "
                           "try again")


def day_of(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def kind_of(kind: str) -> Kind:
    return "drill" if kind == "drill" else "schedule"


class IndexHead(NamedTuple):
    """A deck folder's entry in the index: the digest of its last scan, deck.yaml's
    signature, the deck id and metadata (JSON), its problems (JSON list), its racy
    files (JSON object: name -> content hash), and the number of files with the digest of
    each bucket of them (JSON), which narrows a sync to the buckets that changed."""

    digest: str
    deck_sig: str
    deck_id: str | None
    meta: str | None
    problems: str
    racy: str
    buckets: str


class IndexRow(NamedTuple):
    name: str
    bucket: int
    sig: str
    hash: str
    card_id: str | None
    number: int | None
    section: str | None
    demo: str | None
    question: str | None
    card: str | None
    lines: str
    problems: str | None


class Suspects(NamedTuple):
    """The values behind a deck's cross-file problems: ids and numbers that more than one
    file uses, sections not in deck.yaml, demos not in the registry. Kept with the index,
    so that a sync of a few files re-checks only the values those files held or hold."""

    ids: list[str]
    numbers: list[int]
    sections: list[str]
    demos: list[str]

    def replaced(self, candidates: Suspects, found: Suspects) -> Suspects:
        """These, with every candidate value decided again by `found`."""
        return Suspects(_merge(self.ids, candidates.ids, found.ids),
                        _merge(self.numbers, candidates.numbers, found.numbers),
                        _merge(self.sections, candidates.sections, found.sections),
                        _merge(self.demos, candidates.demos, found.demos))

    @classmethod
    def held(cls, card_id: str | None, number: int | None, section: str | None,
             demo: str | None) -> Suspects:
        """One file's values, as candidates."""
        return Suspects([card_id] if card_id is not None else [],
                        [number] if number is not None else [],
                        [section] if section is not None else [],
                        [demo] if demo is not None else [])

    @classmethod
    def of(cls, held: list[Suspects]) -> Suspects:
        """Every value of any of `held`."""
        return Suspects(sorted({v for h in held for v in h.ids}),
                        sorted({v for h in held for v in h.numbers}),
                        sorted({v for h in held for v in h.sections}),
                        sorted({v for h in held for v in h.demos}))


V = TypeVar("V", str, int)


def _merge(old: list[V], candidates: list[V], found: list[V]) -> list[V]:
    return sorted(set(old) - set(candidates) | set(found))


# A card's progress as it is rendered from: (card id, schedule, latest log row, latest
# row with a typed answer).
ProgressInput = tuple[str, State, Graded | None, Graded | None]


class DeckCounts(NamedTuple):
    """What the summary's overview counts over a deck's cards (IndexDB.deck_counts)."""

    cards: int
    young: int
    mature: int
    leeches: int
    reviews: int  # log rows, re-drills included
    due: dict[date, int]  # cards due per day from the review day, overdue ones on it
    removed: list[str]  # cards with log rows that are no longer in the deck


class DayPlan(NamedTuple):
    due: list[str]
    new: list[str]
    next_due: date | None  # the first due date after the day (what comes after today)


T = TypeVar("T")
P = ParamSpec("P")


def _index_method(
    fn: Callable[Concatenate[IndexDB, P], T],
) -> Callable[Concatenate[IndexDB, P], T]:
    """Run a query: a storage error is one line; a dropped index table is created again
    and the query retried (the index is a cache, so deleting it must always be safe)."""

    @functools.wraps(fn)
    def wrapper(self: IndexDB, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc) or self.conn.in_transaction:
                raise fault(self.label, exc, "the command") from None
        except sqlite3.Error as exc:
            raise fault(self.label, exc, "the command") from None
        try:
            with self._transaction("IMMEDIATE") as conn:
                for ddl in INDEX_DDL + RENDER_DDL:
                    conn.execute(ddl)
                # Without its files, no folder's record can be trusted.
                conn.execute("DELETE FROM deck_folder")
            return fn(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise fault(self.label, exc, "the command") from None

    return wrapper


class IndexDB:
    """The index and day-plan queries on one sqlite3 connection in autocommit mode.

    Inside a transaction the caller opened (the Store's snapshot), reads join it; else
    each method runs in a transaction of its own, a write taking the lock first.
    """

    def __init__(self, conn: sqlite3.Connection, label: str) -> None:
        self.conn = conn
        self.label = label

    @classmethod
    def connect(cls, path: str, label: str, busy_timeout: float) -> IndexDB:
        """A connection of its own to an existing database file (quizzer/quick.py)."""
        try:
            conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=busy_timeout,
                                   isolation_level=None, check_same_thread=False)
            # FULL: an index write survives a power cut, as a grade does.
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise fault(label, exc, "opening it") from None
        return cls(conn, label)

    def close(self) -> None:
        self.conn.close()

    @staticmethod
    def reductions_whole(conn: Any) -> bool:
        """Whether every table and trigger of the log's reductions is there."""
        names = (*REDUCTION_TABLES, *REDUCTION_TRIGGERS)
        try:
            (found,) = conn.execute(
                f"SELECT count(*) FROM sqlite_master WHERE name IN "
                f"({', '.join('?' * len(names))})", names).fetchone()
        except sqlite3.Error:
            return False  # the Store, opening it, says what is wrong
        return bool(found == len(names))

    def schema_version(self) -> int:
        try:
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        except sqlite3.Error as exc:
            raise fault(self.label, exc, "reading") from None

    @contextmanager
    def _transaction(self, mode: str = "") -> Iterator[sqlite3.Connection]:
        conn = self.conn
        if conn.in_transaction:
            assert not mode, "no writes inside a snapshot"
            yield conn
            return
        conn.execute(f"BEGIN {mode}")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees one state of the file, even while another process
        writes."""
        try:
            with self._transaction():
                yield
        except sqlite3.Error as exc:
            raise fault(self.label, exc, "reading") from None

    # -- export reads
    # The review log reduced for `export` and `stats` (quizzer.stats.stored_digest): one
    # row per card or per review day, never one per review, so that a log of 1,000,000
    # rows is never loaded into Python; mostly from card_log and day_log (migration step
    # 4). `removed` lists cards whose rows are left out.

    @staticmethod
    def _not_removed(removed: Sequence[str]) -> str:
        # Only when there are any: the test needs each row's card_id, which the day
        # index does not hold, and usually no card has been removed.
        return " AND card_id NOT IN (SELECT value FROM json_each(?))" if removed else ""

    @staticmethod
    def _removed(removed: Sequence[str]) -> tuple[str, ...]:
        return (json.dumps(list(removed)),) if removed else ()

    @_index_method
    def log_by_card(self, deck: str) -> dict[str, CardLog]:
        """Per card with log rows: its rows, seconds, latest row, and latest row whose typed
        answer is not blank or None. Read from card_log, which the log's triggers keep
        (migration step 4)."""
        days: dict[str, date] = {}  # a few hundred distinct days, parsed once each
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT g.card_id, g.reviews, g.seconds, g.answered_id = g.last_id, "
                "l.review_day, l.grade, l.kind, l.answer, "
                "a.review_day, a.grade, a.kind, a.answer FROM card_log g "
                "JOIN review_log l ON l.id = g.last_id "
                "LEFT JOIN review_log a ON a.id = g.answered_id AND g.answered_id <> g.last_id "
                "WHERE g.deck = ?", (deck,))
            out = {}
            for (cid, n, seconds, same, day, grade, kind, answer,
                 a_day, a_grade, a_kind, a_answer) in rows:
                when = days.get(day)
                if when is None:
                    when = days[day] = date.fromisoformat(day)
                last = Graded(when, grade, kind_of(kind), answer)
                # Usually the latest row holds the latest answer: then it is one tuple.
                answered = last if same else (
                    Graded(date.fromisoformat(a_day), a_grade, kind_of(a_kind), a_answer)
                    if a_day is not None else None)
                out[cid] = CardLog(n, seconds, last, answered)
            return out

    @_index_method
    def log_by_day(self, deck: str, first: date, last: date,
                   removed: Sequence[str] = ()) -> dict[date, tuple[int, float, int, int]]:
        """Per review day first..last with rows: (rows, seconds, deciding grades of
        PASS or more, deciding grades). Read from day_log, which the log's triggers keep,
        unless cards are left out."""
        from quizzer.scheduler import PASS

        with self._transaction() as conn:
            if not removed:
                rows = conn.execute(
                    "SELECT review_day, reviews, seconds, passed, deciding FROM day_log "
                    "WHERE deck = ? AND review_day BETWEEN ? AND ?",
                    (deck, first.isoformat(), last.isoformat()))
                return {date.fromisoformat(day): (n, seconds, passed, total)
                        for day, n, seconds, passed, total in rows}
            rows = conn.execute(
                f"SELECT review_day, count(*), sum(seconds), "
                f"sum(grade >= ? AND {DECIDES}), sum({DECIDES}) "
                "FROM review_log WHERE deck = ? AND review_day BETWEEN ? AND ?"
                f"{self._not_removed(removed)} GROUP BY review_day",
                (PASS, deck, first.isoformat(), last.isoformat(), *self._removed(removed)))
            return {date.fromisoformat(day): (n, seconds, passed, total)
                    for day, n, seconds, passed, total in rows}

    @_index_method
    def review_days(self, deck: str, removed: Sequence[str] = ()) -> list[date]:
        """Every review day with a log row, oldest first."""
        with self._transaction() as conn:
            if not removed:
                rows = conn.execute(
                    "SELECT review_day FROM day_log WHERE deck = ? ORDER BY review_day",
                    (deck,))
                return [date.fromisoformat(day) for (day,) in rows]
            rows = conn.execute(
                f"SELECT DISTINCT review_day FROM review_log WHERE deck = ?"
                f"{self._not_removed(removed)} ORDER BY review_day",
                (deck, *self._removed(removed)))
            return [date.fromisoformat(day) for (day,) in rows]

    @_index_method
    def recent_retention(self, deck: str, first: date, last: date) -> dict[str, tuple[int, int]]:
        """Per card, its deciding grades on the review days first..last: (PASS or more,
        all of them)."""
        from quizzer.scheduler import PASS

        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT card_id, sum(grade >= ?), count(*) FROM review_log WHERE deck = ? "
                f"AND review_day BETWEEN ? AND ? AND {DECIDES} GROUP BY card_id",
                (PASS, deck, first.isoformat(), last.isoformat()))
            return {cid: (passed, total) for cid, passed, total in rows}

    @_index_method
    def deciding_grades(self, deck: str) -> dict[str, list[tuple[date, int]]]:
        """Each card's deciding grades (re-drills left out) as (review day, grade), oldest
        first: what quizzer.readiness replays, without a Review per log row."""
        out: dict[str, list[tuple[date, int]]] = {}
        days: dict[str, date] = {}  # a few hundred distinct days, parsed once each
        with self._transaction() as conn:
            for cid, day, grade in conn.execute(
                    "SELECT card_id, review_day, grade FROM review_log WHERE deck = ? "
                    "AND kind = 'schedule' ORDER BY id", (deck,)):
                when = days.get(day)
                if when is None:
                    when = days[day] = date.fromisoformat(day)
                grades = out.get(cid)
                if grades is None:
                    out[cid] = [(when, grade)]
                else:
                    grades.append((when, grade))
        return out

    # -- each card's rendered progress (card_progress, migration step 5) -----------------

    @_index_method
    def kept_progress(self, deck: str, renderer: str,
                      make: Callable[[tuple[Any, ...]], T]) -> dict[str, T]:
        """Each card's progress kept for the deck, made by `renderer`, by card id, as
        `make` of (due, head, tail, ease, lapses, last grade, why): export.Progress."""
        with self._transaction() as conn:
            return {row[0]: make(row[1:]) for row in conn.execute(
                "SELECT card_id, due, head, tail, ease, lapses, last_grade, why "
                "FROM card_progress WHERE deck = ? AND renderer = ?", (deck, renderer))}

    @_index_method
    def unkept_progress(self, folder: str, deck: str, renderer: str) -> list[ProgressInput]:
        """The cards of deck folder `folder` whose progress is not kept (or was made by
        another renderer), each with what it is made from: (card id, its schedule (NEW
        if never graded), its latest log row, its latest row with a typed answer)."""
        with self._transaction() as conn:
            return self._unkept_progress(conn, folder, deck, renderer)

    @_index_method
    def keep_progress(self, folder: str, deck: str, renderer: str,
                      made: Sequence[tuple[ProgressInput, tuple[Any, ...]]]) -> int:
        """Keep each (what it was made from, progress) whose card is still unkept and
        still has exactly that schedule and log: a grade given since it was made leaves
        it out. Returns how many were kept."""
        with self._transaction("IMMEDIATE") as conn:
            now = {made_from[0]: made_from
                   for made_from in self._unkept_progress(conn, folder, deck, renderer)}
            rows = [(deck, made_from[0], renderer, *progress) for made_from, progress in made
                    if now.get(made_from[0]) == made_from]
            conn.executemany("INSERT OR REPLACE INTO card_progress VALUES "
                             "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    @staticmethod
    def _unkept_progress(conn: sqlite3.Connection, folder: str, deck: str,
                         renderer: str) -> list[ProgressInput]:
        out: list[ProgressInput] = []
        for (cid, reps, ivl, ease, due, lapses, day, grade, kind, answer,
             a_day, a_grade, a_kind, a_answer) in conn.execute(
                "SELECT i.card_id, s.repetitions, s.interval, s.ease, s.due, s.lapses, "
                "l.review_day, l.grade, l.kind, l.answer, "
                "a.review_day, a.grade, a.kind, a.answer FROM deck_index i "
                "LEFT JOIN card_progress p ON p.deck = ?2 AND p.card_id = i.card_id "
                "AND p.renderer = ?3 "
                "LEFT JOIN card_state s ON s.deck = ?2 AND s.card_id = i.card_id "
                "LEFT JOIN card_log g ON g.deck = ?2 AND g.card_id = i.card_id "
                "LEFT JOIN review_log l ON l.id = g.last_id "
                "LEFT JOIN review_log a ON a.id = g.answered_id "
                "WHERE i.dir = ?1 AND i.card_id IS NOT NULL AND p.card_id IS NULL",
                (folder, deck, renderer)):
            state = NEW if reps is None else State(reps, ivl, ease, day_of(due), lapses)
            last = (Graded(date.fromisoformat(day), grade, kind_of(kind), answer)
                    if day is not None else None)
            answered = (Graded(date.fromisoformat(a_day), a_grade, kind_of(a_kind), a_answer)
                        if a_day is not None else None)
            out.append((cid, state, last, answered))
        return out

    # -- the summary's overview, counted here (quizzer.export.Overview) -----------------

    @_index_method
    def deck_counts(self, folder: str, deck: str, mature_days: int, leech_lapses: int,
                    today: date, last: date) -> DeckCounts:
        """Over the cards of deck folder `folder`, by the rules of quizzer.stats (maturity,
        is_leech, forecast): how many, young, mature and leeches, their log rows, the
        cards due on each day today..last that has some (overdue ones on today), and the
        ids of cards with log rows that are no longer in the folder."""
        with self._transaction() as conn:
            cards, young, mature, leeches, reviews, logged = conn.execute(
                "SELECT count(*), coalesce(sum(s.due IS NOT NULL AND s.interval < ?3), 0), "
                "coalesce(sum(s.due IS NOT NULL AND s.interval >= ?3), 0), "
                "coalesce(sum(s.lapses >= ?4), 0), coalesce(sum(g.reviews), 0), "
                "count(g.card_id) "
                "FROM deck_index i "
                "LEFT JOIN card_state s ON s.deck = ?2 AND s.card_id = i.card_id "
                "LEFT JOIN card_log g ON g.deck = ?2 AND g.card_id = i.card_id "
                "WHERE i.dir = ?1 AND i.card_id IS NOT NULL",
                (folder, deck, mature_days, leech_lapses)).fetchone()
            due = {date.fromisoformat(day): n for day, n in conn.execute(
                "SELECT max(s.due, ?3) AS day, count(*) FROM deck_index i "
                "JOIN card_state s ON s.deck = ?2 AND s.card_id = i.card_id "
                # No "i.card_id IS NOT NULL" (the join leaves deck.yaml's row out): with
                # it SQLite scans the folder's cards for each due card, not one lookup.
                "WHERE i.dir = ?1 AND s.due IS NOT NULL AND s.due <= ?4 GROUP BY day",
                (folder, deck, today.isoformat(), last.isoformat()))}
            (with_log,) = conn.execute("SELECT count(*) FROM card_log WHERE deck = ?",
                                       (deck,)).fetchone()
            removed = [] if with_log == logged else [cid for (cid,) in conn.execute(
                "SELECT g.card_id FROM card_log g WHERE g.deck = ? AND NOT EXISTS "
                "(SELECT 1 FROM deck_index i WHERE i.dir = ? AND i.card_id = g.card_id) "
                "ORDER BY g.card_id", (deck, folder))]
        return DeckCounts(cards, young, mature, leeches, reviews, due, removed)

    # -- schedules and the review day ----------------------------------------------------

    @_index_method
    def states(self, deck: str) -> dict[str, State]:
        """Every stored schedule of the deck, including cards no longer in it."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT card_id, repetitions, interval, ease, due, lapses FROM card_state "
                "WHERE deck = ?", (deck,))
            return {cid: State(rep, ivl, ease, day_of(due), lapses)
                    for cid, rep, ivl, ease, due, lapses in rows}

    @_index_method
    def today_log(self, deck: str, day: date) -> list[LogEntry]:
        """The review day's log rows in the order they were given."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT card_id, grade, kind, before_due IS NULL FROM review_log "
                "WHERE deck = ? AND review_day = ? ORDER BY id", (deck, day.isoformat()))
            return [LogEntry(cid, grade, kind_of(kind), bool(new))
                    for cid, grade, kind, new in rows]

    @_index_method
    def exam(self, deck: str) -> Exam | None:
        """The deck's exam date, or None when none is set."""
        with self._transaction() as conn:
            row = conn.execute("SELECT exam_day, window_days, set_on FROM exam_plan "
                               "WHERE deck = ?", (deck,)).fetchone()
        if row is None:
            return None
        return Exam(date.fromisoformat(row[0]), int(row[1]), date.fromisoformat(row[2]))

    # -- the deck index ----------------------------------------------------------------

    @_index_method
    def index_head(self, folder: str) -> tuple[IndexHead | None, int]:
        """What the index last recorded for a deck folder (None if never indexed), and how
        many of its files the index holds."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT digest, deck_sig, deck_id, meta, problems, racy, buckets FROM deck_folder "
                "WHERE dir = ?", (folder,)).fetchone()
            count = conn.execute(
                "SELECT count(*) FROM deck_index WHERE dir = ?", (folder,)).fetchone()[0]
        return (IndexHead(*row) if row is not None else None), int(count or 0)

    @_index_method
    def index_signatures(
        self, folder: str, buckets: list[int] | None = None
    ) -> dict[str, tuple[str, str]]:
        """File name -> (stat signature, content hash) of the indexed files of a folder:
        all of them, or those in the given buckets (see quizzer/index.py)."""
        query = "SELECT name, sig, hash FROM deck_index WHERE dir = ?"
        params: tuple[str, ...] = (folder,)
        if buckets is not None:
            query += " AND bucket IN (SELECT value FROM json_each(?))"
            params += (json.dumps(buckets),)
        with self._transaction() as conn:
            return {name: (sig, digest) for name, sig, digest in conn.execute(query, params)}

    @_index_method
    def index_signatures_named(
        self, folder: str, names: list[str]
    ) -> dict[str, tuple[str, str, Suspects]]:
        """File name -> (signature, content hash, its id, number, section and demo as
        candidate Suspects) of the given files that are indexed."""
        found: dict[str, tuple[str, str, Suspects]] = {}
        with self._transaction() as conn:
            for name in names:  # a few: one primary-key lookup each
                row = conn.execute(
                    "SELECT sig, hash, card_id, number, section, demo FROM deck_index "
                    "WHERE dir = ? AND name = ?", (folder, name)).fetchone()
                if row is not None:
                    found[name] = (row[0], row[1], Suspects.held(*row[2:]))
        return found

    @_index_method
    def index_suspects(
        self, folder: str, sections: list[str] | None, demos: list[str] | None,
        only: Suspects | None = None,
    ) -> Suspects:
        """The folder's Suspects: among all its values, or only among `only` (the values
        a few changed files held or hold). None for sections or demos: not checked."""
        out: list[list[Any]] = []
        with self._transaction() as conn:
            for i, field in enumerate(("card_id", "number")):
                query = f"SELECT {field} FROM deck_index WHERE dir = ? AND {field} IS NOT NULL"
                params: tuple[Any, ...] = (folder,)
                if only is not None:
                    query += f" AND {field} IN (SELECT value FROM json_each(?))"
                    params += (json.dumps(only[i]),)
                out.append([v for (v,) in conn.execute(
                    query + f" GROUP BY {field} HAVING count(*) > 1 ORDER BY {field}", params)])
            for i, (field, allowed) in enumerate((("section", sections), ("demo", demos)), 2):
                if allowed is None:
                    out.append([])
                    continue
                # The distinct values (an index walk, or lookups of the candidates).
                query = (f"SELECT DISTINCT {field} FROM deck_index WHERE dir = ? AND {field} "
                         "IS NOT NULL")
                params = (folder,)
                if only is not None:
                    query += f" AND {field} IN (SELECT value FROM json_each(?))"
                    params += (json.dumps(only[i]),)
                known = set(allowed)
                out.append(sorted(v for (v,) in conn.execute(query, params) if v not in known))
        return Suspects(*out)

    @_index_method
    def index_write(
        self, folder: str, head: IndexHead, upserts: list[IndexRow], deleted: list[str]
    ) -> None:
        """Record the files re-read, drop the files gone, and the folder's new head, in one
        transaction."""
        with self._transaction("IMMEDIATE") as conn:
            # A file written or gone: what the summary made of it goes too.
            conn.executemany("DELETE FROM deck_render WHERE dir = ? AND name = ?",
                             [(folder, name) for name in deleted]
                             + [(folder, row.name) for row in upserts])
            if deleted:
                conn.executemany("DELETE FROM deck_index WHERE dir = ? AND name = ?",
                                 [(folder, name) for name in deleted])
            if upserts:
                conn.executemany(
                    "INSERT OR REPLACE INTO deck_index (dir, name, bucket, sig, hash, card_id, "
                    "number, section, demo, question, card, lines, problems) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(folder, *row) for row in upserts])
            self._put_head(conn, folder, head)

    @_index_method
    def index_set_head(self, folder: str, head: IndexHead, expect: str | None = None) -> bool:
        """Write a folder's head; with `expect`, only if the stored digest is still that
        (so a sync that another command overtook leaves the newer record alone)."""
        with self._transaction("IMMEDIATE") as conn:
            if expect is None:
                self._put_head(conn, folder, head)
                return True
            done = conn.execute(
                "UPDATE deck_folder SET digest = ?, deck_sig = ?, deck_id = ?, meta = ?, "
                "problems = ?, racy = ?, buckets = ? WHERE dir = ? AND digest = ?",
                (*head, folder, expect))
            return bool(done.rowcount)

    @staticmethod
    def _put_head(conn: sqlite3.Connection, folder: str, head: IndexHead) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO deck_folder (dir, digest, deck_sig, deck_id, meta, "
            "problems, racy, buckets) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (folder, *head))

    @_index_method
    def index_forget(self, folder: str) -> None:
        """Drop a folder's index, so the next command reads every file again."""
        with self._transaction("IMMEDIATE") as conn:
            conn.execute("DELETE FROM deck_index WHERE dir = ?", (folder,))
            conn.execute("DELETE FROM deck_folder WHERE dir = ?", (folder,))
            conn.execute("DELETE FROM deck_render WHERE dir = ?", (folder,))

    @_index_method
    def index_conflicts(
        self, folder: str, suspects: Suspects
    ) -> list[tuple[str, str, str, str | None, str]]:
        """Cross-file problems as (file, field, value, owner file or None, lines JSON):
        an id or number used by an earlier file (in name order, as the loader checks),
        a section not in deck.yaml, a demo not in the registry; the values come from
        index_suspects."""
        out: list[tuple[str, str, str, str | None, str]] = []
        with self._transaction() as conn:
            for field, values in (("card_id", suspects.ids), ("number", suspects.numbers)):
                if not values:
                    continue
                rows = conn.execute(
                    f"SELECT name, {field}, lines, (SELECT min(name) FROM deck_index j "
                    f"WHERE j.dir = i.dir AND j.{field} = i.{field}) FROM deck_index i "
                    f"WHERE dir = ? AND {field} IN (SELECT value FROM json_each(?))",
                    (folder, json.dumps(values)))
                out += [(name, "id" if field == "card_id" else field, str(value), owner,
                         lines) for name, value, lines, owner in rows if name != owner]
            for field, values in (("section", suspects.sections), ("demo", suspects.demos)):
                if not values:
                    continue
                rows = conn.execute(
                    f"SELECT name, {field}, lines FROM deck_index WHERE dir = ? AND "
                    f"{field} IN (SELECT value FROM json_each(?))", (folder, json.dumps(values)))
                out += [(name, field, value, None, lines) for name, value, lines in rows]
        return out

    @_index_method
    def index_file_problems(self, folder: str) -> list[tuple[str, str]]:
        """(file name, problems JSON) of every indexed file that did not load."""
        with self._transaction() as conn:
            return [(n, p) for n, p in conn.execute(
                "SELECT name, problems FROM deck_index WHERE dir = ? AND problems IS NOT NULL "
                "ORDER BY name", (folder,))]

    @_index_method
    def index_present(self, folder: str, card_ids: list[str]) -> list[str]:
        """The given card ids that are in the folder's index, in the order given."""
        with self._transaction() as conn:
            found = {c for (c,) in conn.execute(
                "SELECT card_id FROM deck_index WHERE dir = ? AND card_id IN "
                "(SELECT value FROM json_each(?))", (folder, json.dumps(card_ids)))}
        return [c for c in card_ids if c in found]

    @_index_method
    def index_count(self, folder: str) -> int:
        """How many indexed files of a folder hold a valid card."""
        with self._transaction() as conn:
            return int(conn.execute(
                "SELECT count(*) FROM deck_index WHERE dir = ? AND card_id IS NOT NULL",
                (folder,)).fetchone()[0] or 0)

    @_index_method
    def index_card_ids(self, folder: str) -> list[str]:
        """Every card id of the folder, in number order."""
        with self._transaction() as conn:
            return [c for (c,) in conn.execute(
                "SELECT card_id FROM deck_index WHERE dir = ? AND card_id IS NOT NULL "
                "ORDER BY number", (folder,))]

    @_index_method
    def index_cards(self, folder: str, card_ids: list[str]) -> list[str]:
        """The stored card JSON of the given card ids."""
        with self._transaction() as conn:
            # "+number": sort what the id lookups find, rather than walk the whole folder
            # in number order (14 ms for today's queue of 100,000 cards, not 0.5 ms).
            return [c for (c,) in conn.execute(
                "SELECT card FROM deck_index WHERE dir = ? AND card_id IN "
                "(SELECT value FROM json_each(?)) ORDER BY +number",
                (folder, json.dumps(card_ids)))]

    @_index_method
    def index_find(self, folder: str, ref: str) -> str | None:
        """The stored card JSON of a card by id, or by number when `ref` is all digits."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT card FROM deck_index WHERE dir = ? AND (card_id = ? OR number = ?) "
                "ORDER BY card_id = ? DESC LIMIT 1",
                (folder, ref, int(ref) if ref.isascii() and ref.isdigit() else None, ref)
            ).fetchone()
        return str(row[0]) if row else None

    @_index_method
    def index_rendered(self, folder: str, renderer: str) -> list[tuple[Any, ...]] | None:
        """Every card as the summary shows it, in number order: (id, number, section, demo,
        heading, slug, pages, body, corrected as 0 or 1); None unless every card has its
        row made by `renderer` (see index_unrendered)."""
        with self._transaction() as conn:
            (cards,) = conn.execute(
                "SELECT count(*) FROM deck_index WHERE dir = ? AND card_id IS NOT NULL",
                (folder,)).fetchone()
            rows: list[tuple[Any, ...]] = conn.execute(
                "SELECT card_id, number, section, demo, heading, slug, pages, body, corrected "
                "FROM deck_render WHERE dir = ? AND renderer = ? ORDER BY number, name",
                (folder, renderer)).fetchall()
        return rows if len(rows) == cards else None

    @_index_method
    def index_unrendered(self, folder: str, renderer: str) -> list[tuple[str, str, str]]:
        """The cards with no row in deck_render made by `renderer`: (name, content hash,
        card JSON)."""
        with self._transaction() as conn:
            return [(name, digest, card) for name, digest, card in conn.execute(
                "SELECT name, hash, card FROM deck_index i WHERE dir = ? "
                "AND card_id IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM deck_render r WHERE r.dir = i.dir "
                "AND r.name = i.name AND r.renderer = ?)", (folder, renderer))]

    @_index_method
    def index_put_rendered(self, folder: str, renderer: str,
                           rows: list[tuple[str, str, str, int, str, str | None, str, str,
                                            str | None, str, bool]]) -> None:
        """Keep the summary's rows of these files (name, content hash they were made
        from, id, number, section, demo, heading, slug, pages, body, corrected), each
        only while its file is indexed with that hash; drop those of another renderer."""
        with self._transaction("IMMEDIATE") as conn:
            conn.execute("DELETE FROM deck_render WHERE dir = ? AND renderer <> ?",
                         (folder, renderer))
            conn.executemany(
                "INSERT OR REPLACE INTO deck_render (dir, name, renderer, card_id, number, "
                "section, demo, heading, slug, pages, body, corrected) "
                "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM "
                "deck_index WHERE dir = ? AND name = ? AND hash = ?)",
                [(folder, name, renderer, *rest, folder, name, digest)
                 for name, digest, *rest in rows])

    @_index_method
    def index_listed(self, folder: str) -> list[tuple[str, int, str, str | None]]:
        """Every card's (id, number, section, demo), in number order."""
        with self._transaction() as conn:
            return [(cid, number, section, demo) for cid, number, section, demo in conn.execute(
                "SELECT card_id, number, section, demo FROM deck_index WHERE dir = ? "
                "AND card_id IS NOT NULL ORDER BY number", (folder,))]

    @_index_method
    def index_all_cards(self, folder: str) -> list[str]:
        """Every card's stored JSON, in number order."""
        with self._transaction() as conn:
            return [c for (c,) in conn.execute(
                "SELECT card FROM deck_index WHERE dir = ? AND card IS NOT NULL "
                "ORDER BY number", (folder,))]

    @_index_method
    def index_listing(self, folder: str, deck: str) -> list[tuple[Any, ...]]:
        """Every card with its schedule, by number: (id, number, question, section, demo,
        repetitions, interval, ease, due, lapses), the state columns NULL for new cards."""
        with self._transaction() as conn:
            return [tuple(r) for r in conn.execute(
                "SELECT i.card_id, i.number, i.question, i.section, i.demo, s.repetitions, "
                "s.interval, s.ease, s.due, s.lapses FROM deck_index i LEFT JOIN card_state s "
                "ON s.deck = ? AND s.card_id = i.card_id WHERE i.dir = ? AND i.card_id IS NOT "
                "NULL ORDER BY i.number", (deck, folder))]

    @_index_method
    def day_plan(
        self, folder: str, deck: str, day: date, graded: list[str], due_limit: int,
        new_limit: int,
    ) -> DayPlan:
        """What the day's queue is built from, without loading the deck: the cards due on
        or before `day` (oldest first, then by number) and the new cards (by number), each
        up to its limit and leaving out `graded`; the first due date after `day`."""
        g = json.dumps(graded)
        with self._transaction() as conn:
            due_rows = conn.execute(
                "SELECT i.card_id FROM card_state s JOIN deck_index i ON i.dir = ? AND "
                "i.card_id = s.card_id WHERE s.deck = ? AND s.due IS NOT NULL AND s.due <= ? "
                "AND s.card_id NOT IN (SELECT value FROM json_each(?)) "
                "ORDER BY s.due, i.number LIMIT ?",
                (folder, deck, day.isoformat(), g, due_limit)).fetchall()
            # A join, not NOT EXISTS: the same rows, a quarter faster when every card of a
            # large deck has a schedule and the whole index is walked.
            new_rows = conn.execute(
                "SELECT i.card_id FROM deck_index i LEFT JOIN card_state s ON s.deck = ? AND "
                "s.card_id = i.card_id AND s.due IS NOT NULL WHERE i.dir = ? AND i.card_id IS "
                "NOT NULL AND i.card_id NOT IN (SELECT value FROM json_each(?)) AND s.card_id "
                "IS NULL ORDER BY i.number LIMIT ?",
                (deck, folder, g, new_limit)).fetchall()
            upcoming = self._next_due(conn, folder, deck, day)
        return DayPlan([r[0] for r in due_rows], [r[0] for r in new_rows], upcoming)

    @_index_method
    def due_count(self, folder: str, deck: str, day: date) -> int:
        """How many of the folder's cards are due on or before `day`."""
        with self._transaction() as conn:
            return int(conn.execute(
                "SELECT count(*) FROM card_state s WHERE s.deck = ? AND s.due IS NOT NULL AND "
                "s.due <= ? AND EXISTS (SELECT 1 FROM deck_index i WHERE i.dir = ? AND "
                "i.card_id = s.card_id)", (deck, day.isoformat(), folder)).fetchone()[0] or 0)

    @_index_method
    def next_due_after(self, folder: str, deck: str, day: date | None) -> date | None:
        """The first due date of the folder's cards after `day` (None: the first at all)."""
        with self._transaction() as conn:
            return self._next_due(conn, folder, deck, day)

    @staticmethod
    def _next_due(
        conn: sqlite3.Connection, folder: str, deck: str, day: date | None
    ) -> date | None:
        row = conn.execute(
            "SELECT s.due FROM card_state s WHERE s.deck = ? AND s.due IS NOT NULL "
            "AND s.due > ? AND EXISTS (SELECT 1 FROM deck_index i WHERE i.dir = ? AND "
            "i.card_id = s.card_id) ORDER BY s.due LIMIT 1",
            (deck, day.isoformat() if day else "", folder)).fetchone()
        return day_of(row[0]) if row else None

    @_index_method
    def states_of(self, deck: str, card_ids: list[str]) -> dict[str, State]:
        """The stored schedules of the given cards (new cards are absent)."""
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT card_id, repetitions, interval, ease, due, lapses FROM card_state "
                "WHERE deck = ? AND card_id IN (SELECT value FROM json_each(?))",
                (deck, json.dumps(card_ids)))
            return {cid: State(rep, ivl, ease, day_of(due), lapses)
                    for cid, rep, ivl, ease, due, lapses in rows}
