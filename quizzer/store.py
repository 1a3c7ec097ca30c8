"""The SQLite store: card schedules and the review log, through SQLAlchemy 2.x.

Rule 1: every grade is one committed transaction holding the new state and its log
row; nothing waits for the end of a session.
Rule 2: the schema is migrated when the store opens, each step in one transaction with
its version bump (PRAGMA user_version); a database from a newer quizzer is refused
before anything is read or written.
Rule 3: methods say what the caller wants and return core types, never ORM rows.
Rule 4: a write is a compare-and-swap on the card's state (else Conflict, nothing
written); every storage fault is a QuizzerError of one line saying what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Float,
    Integer,
    String,
    create_engine,
    delete,
    event,
    insert,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from quizzer.errors import QuizzerError
from quizzer.model import Event, Exam, Kind, LogEntry, MockAnswer, MockAttempt, Review
from quizzer.scheduler import NEW, State

# Frozen DDL: a migration, once shipped, never changes; a new schema is a new step.
_MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE card_state (
            deck TEXT NOT NULL,
            card_id TEXT NOT NULL,
            repetitions INTEGER NOT NULL,
            interval INTEGER NOT NULL,
            ease INTEGER NOT NULL,
            due TEXT,
            lapses INTEGER NOT NULL,
            PRIMARY KEY (deck, card_id)
        )""",
        """CREATE TABLE review_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            deck TEXT NOT NULL,
            card_id TEXT NOT NULL,
            reviewed_at TEXT NOT NULL,
            review_day TEXT NOT NULL,
            grade INTEGER NOT NULL CHECK (grade BETWEEN 0 AND 5),
            kind TEXT NOT NULL CHECK (kind IN ('schedule', 'drill')),
            before_repetitions INTEGER NOT NULL,
            before_interval INTEGER NOT NULL,
            before_ease INTEGER NOT NULL,
            before_due TEXT,
            before_lapses INTEGER NOT NULL,
            after_repetitions INTEGER NOT NULL,
            after_interval INTEGER NOT NULL,
            after_ease INTEGER NOT NULL,
            after_due TEXT,
            after_lapses INTEGER NOT NULL,
            answer TEXT NOT NULL DEFAULT '',
            seconds REAL NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX review_log_card ON review_log (deck, card_id, id)",
        "CREATE INDEX review_log_day ON review_log (deck, review_day, id)",
    ],
    # The exam date per deck, and mock exams: tables of their own, so that neither
    # can ever change a card's schedule.
    [
        """CREATE TABLE exam_plan (
            deck TEXT PRIMARY KEY,
            exam_day TEXT NOT NULL,
            window_days INTEGER NOT NULL CHECK (window_days >= 1),
            set_on TEXT NOT NULL
        )""",
        """CREATE TABLE mock_attempt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            deck TEXT NOT NULL,
            started_at TEXT NOT NULL,
            review_day TEXT NOT NULL,
            seed INTEGER NOT NULL,
            minutes REAL NOT NULL
        )""",
        """CREATE TABLE mock_answer (
            attempt_id INTEGER NOT NULL REFERENCES mock_attempt (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            card_id TEXT NOT NULL,
            answer TEXT NOT NULL,
            answered INTEGER NOT NULL CHECK (answered IN (0, 1)),
            covered INTEGER NOT NULL CHECK (covered >= 0),
            of INTEGER NOT NULL CHECK (of >= covered),
            seconds REAL NOT NULL,
            points TEXT NOT NULL,
            PRIMARY KEY (attempt_id, position)
        )""",
        "CREATE INDEX mock_attempt_deck ON mock_attempt (deck, id)",
    ],
    # The deck index: a cache of the card files of each deck folder (see quizzer/index.py),
    # so that `due` and `review` are queries, not a parse of every file.
    _INDEX_DDL := [
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
    ],
]
SCHEMA_VERSION = len(_MIGRATIONS)
_OWN_TABLES = frozenset({"card_state", "review_log"})  # what step 1 creates

# How long one statement waits for another process's write lock before it gives up;
# the review loop retries on top of this (review.LOCK_WAIT_LIMIT) with a notice.
BUSY_TIMEOUT = 5.0

# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


class StoreBusy(QuizzerError):
    """Another process holds the database's write lock; retrying later may succeed."""


class StoreWriteError(QuizzerError):
    """A write failed (disk full, I/O error, read-only); nothing was changed."""


class UndoRefused(QuizzerError):
    """The grade to undo is gone or a later grade of its card exists."""


class Conflict(Exception):
    """The card's stored state is not the one the event was computed from.

    Carries what the database holds now, read in the same transaction: the card's state
    and the deck's log for the event's review day.
    """

    def __init__(self, state: State, today_log: list[LogEntry]) -> None:
        super().__init__("the card was changed by another session")
        self.state = state
        self.today_log = today_log


class _Base(DeclarativeBase):
    pass


class _CardRow(_Base):
    __tablename__ = "card_state"
    deck: Mapped[str] = mapped_column(String, primary_key=True)
    card_id: Mapped[str] = mapped_column(String, primary_key=True)
    repetitions: Mapped[int] = mapped_column(Integer)
    interval: Mapped[int] = mapped_column(Integer)
    ease: Mapped[int] = mapped_column(Integer)
    due: Mapped[str | None] = mapped_column(String)
    lapses: Mapped[int] = mapped_column(Integer)


class _ReviewRow(_Base):
    __tablename__ = "review_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deck: Mapped[str] = mapped_column(String)
    card_id: Mapped[str] = mapped_column(String)
    reviewed_at: Mapped[str] = mapped_column(String)
    review_day: Mapped[str] = mapped_column(String)
    grade: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)
    before_repetitions: Mapped[int] = mapped_column(Integer)
    before_interval: Mapped[int] = mapped_column(Integer)
    before_ease: Mapped[int] = mapped_column(Integer)
    before_due: Mapped[str | None] = mapped_column(String)
    before_lapses: Mapped[int] = mapped_column(Integer)
    after_repetitions: Mapped[int] = mapped_column(Integer)
    after_interval: Mapped[int] = mapped_column(Integer)
    after_ease: Mapped[int] = mapped_column(Integer)
    after_due: Mapped[str | None] = mapped_column(String)
    after_lapses: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String)
    seconds: Mapped[float] = mapped_column(Float)


class _ExamRow(_Base):
    __tablename__ = "exam_plan"
    deck: Mapped[str] = mapped_column(String, primary_key=True)
    exam_day: Mapped[str] = mapped_column(String)
    window_days: Mapped[int] = mapped_column(Integer)
    set_on: Mapped[str] = mapped_column(String)


class _MockRow(_Base):
    __tablename__ = "mock_attempt"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    deck: Mapped[str] = mapped_column(String)
    started_at: Mapped[str] = mapped_column(String)
    review_day: Mapped[str] = mapped_column(String)
    seed: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[float] = mapped_column(Float)


class _MockAnswerRow(_Base):
    __tablename__ = "mock_answer"
    attempt_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    card_id: Mapped[str] = mapped_column(String)
    answer: Mapped[str] = mapped_column(String)
    answered: Mapped[int] = mapped_column(Integer)
    covered: Mapped[int] = mapped_column(Integer)
    of: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    points: Mapped[str] = mapped_column(String)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _day(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def _state_columns(prefix: str, s: State) -> dict[str, Any]:
    return {
        f"{prefix}repetitions": s.repetitions,
        f"{prefix}interval": s.interval,
        f"{prefix}ease": s.ease,
        f"{prefix}due": _iso(s.due),
        f"{prefix}lapses": s.lapses,
    }


def _state_from(row: Any) -> State:
    return State(repetitions=row.repetitions, interval=row.interval, ease=row.ease,
                 due=_day(row.due), lapses=row.lapses)


def _kind(kind: str) -> Kind:
    return "drill" if kind == "drill" else "schedule"


_REVIEW_COLUMNS = (
    "id, card_id, reviewed_at, review_day, grade, kind, before_repetitions, before_interval, "
    "before_ease, before_due, before_lapses, after_repetitions, after_interval, after_ease, "
    "after_due, after_lapses, answer, seconds"
)


def _review_from_tuple(row: Any) -> Review:
    (rid, cid, at, day, grade, kind, b_rep, b_ivl, b_ease, b_due, b_lapses,
     a_rep, a_ivl, a_ease, a_due, a_lapses, answer, seconds) = row
    return Review(
        rid, cid, datetime.fromisoformat(at), date.fromisoformat(day), grade, _kind(kind),
        State(b_rep, b_ivl, b_ease, _day(b_due), b_lapses),
        State(a_rep, a_ivl, a_ease, _day(a_due), a_lapses), answer, seconds,
    )


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a file path or a URL given by the user."""
    text = str(target)
    if "://" in text:
        return text
    path = Path(text).expanduser()
    return f"sqlite:///{path.resolve()}"


def database_exists(target: str | Path) -> bool:
    """Whether a database file is already there (False for an in-memory URL)."""
    try:
        name = make_url(database_url(target)).database
    except ArgumentError:
        return False
    return bool(name) and name != ":memory:" and Path(str(name)).exists()


def _make_engine(url: str, busy_timeout: float) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise QuizzerError(
            f"{url}: not a database path or SQLAlchemy URL; pass --db PATH or sqlite:///PATH"
        ) from None
    if parsed.get_backend_name() != "sqlite":
        raise QuizzerError(f"{url}: only SQLite databases are supported; use sqlite:///PATH")
    name = parsed.database or ""
    if not name or name == ":memory:" or "mode=memory" in str(parsed) or name.startswith(
            "file::memory:"):
        raise QuizzerError(
            f"{url}: an in-memory database would save nothing; pass --db PATH to a file"
        )
    if name.startswith("file:") and parsed.query.get("uri"):
        name = name[len("file:"):].split("?", 1)[0]  # an SQLite URI filename
    folder = Path(name).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QuizzerError(
            f"{name}: cannot create the folder {folder} ({exc.strerror or exc}); "
            "a file may stand where a folder is needed: pass another --db"
        ) from None
    if Path(name).is_dir():
        raise QuizzerError(f"{name}: is a folder, not a database; pass --db PATH to a file")
    engine = create_engine(parsed, connect_args={"timeout": busy_timeout})

    # SQLAlchemy's documented pysqlite recipe: let SQLAlchemy emit BEGIN itself so
    # that DDL is transactional and a failed migration leaves no half schema behind.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # FULL: a grade acknowledged on screen survives a power cut, in WAL mode too.
        dbapi_connection.execute("PRAGMA synchronous = FULL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writes take the write lock up front (BEGIN IMMEDIATE): a read that later turns
        # into a write could otherwise fail at once on a lock, without the busy wait.
        conn.exec_driver_sql("BEGIN " + conn.get_execution_options().get(_BEGIN, ""))

    return engine


_BEGIN = "quizzer_begin"


def _fault(label: str, exc: DBAPIError | BaseException, doing: str) -> QuizzerError:
    """One line for a storage fault, naming the database and what to do."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = int(getattr(orig, "sqlite_errorcode", 0) or 0) & 0xFF
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


T = TypeVar("T")
P = ParamSpec("P")


def _index_method(fn: Callable[Concatenate[Store, P], T]) -> Callable[Concatenate[Store, P], T]:
    """Run an index query; a dropped index table is created again and the query retried
    (the index is a cache, so deleting it must always be safe)."""

    def wrapper(self: Store, /, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(self, *args, **kwargs)
        except OperationalError as exc:
            if "no such table" not in str(exc.orig):
                raise _fault(self.label, exc, "the command") from None
        with self._index(write=True) as conn:
            for ddl in _INDEX_DDL:
                conn.exec_driver_sql(ddl)
            # Without its files, no folder's record can be trusted.
            conn.exec_driver_sql("DELETE FROM deck_folder")
        return fn(self, *args, **kwargs)

    wrapper.__doc__ = fn.__doc__
    return wrapper


class Store:
    """Schedules and review history for any number of decks, keyed by (deck id, card id)."""

    def __init__(self, engine: Engine, label: str) -> None:
        self._engine = engine
        self.label = label
        self._snapshot: Session | None = None

    @classmethod
    def open(cls, target: str | Path, *, busy_timeout: float = BUSY_TIMEOUT) -> Store:
        """Open (creating if needed) and migrate the database at a path or URL.

        Refuses, untouched: a newer schema, a negative version, another program's
        SQLite file, an in-memory database; and says so at once if it is read-only.
        """
        url = database_url(target)
        label = str(target)
        engine = _make_engine(url, busy_timeout)
        try:
            with engine.connect() as conn:
                version = cls._check_version(conn, label)
                conn.rollback()
                immediate = conn.execution_options(**{_BEGIN: "IMMEDIATE"})
                while version < SCHEMA_VERSION:
                    # One transaction per step, together with its version bump. The
                    # version is read again under the write lock, so two commands
                    # opening a new database at once never run a step twice.
                    with immediate.begin():
                        version = cls._check_version(immediate, label)
                        if version >= SCHEMA_VERSION:
                            break
                        for ddl in _MIGRATIONS[version]:
                            immediate.exec_driver_sql(ddl)
                        version += 1
                        immediate.exec_driver_sql(f"PRAGMA user_version = {version}")
                conn.execution_options(**{_BEGIN: ""})
                cls._wal_and_probe(conn, label)
        except QuizzerError:
            engine.dispose()
            raise
        except DBAPIError as exc:
            engine.dispose()
            raise _fault(label, exc, "opening it") from None
        return cls(engine, label)

    @staticmethod
    def _check_version(conn: Connection, label: str) -> int:
        version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
        if version > SCHEMA_VERSION:
            raise QuizzerError(
                f"{label}: the database has schema version {version}, newer than the "
                f"{SCHEMA_VERSION} this quizzer knows; upgrade quizzer "
                "(pip install -U quizzer) or pass another --db"
            )
        if version < 0:
            raise QuizzerError(f"{label}: schema version {version} is not one quizzer "
                               "writes; this is not a quizzer database: pass another --db")
        names = [r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        # Version 0 must be empty; any later one must hold quizzer's first tables.
        if (names and version == 0) or (version > 0 and not set(names) >= _OWN_TABLES):
            shown = ", ".join(sorted(set(names) - _OWN_TABLES)[:3]) or "no quizzer tables"
            raise QuizzerError(
                f"{label}: another program's SQLite file (it holds {shown}); "
                "quizzer leaves it alone: pass --db PATH to a file of its own")
        return version

    @staticmethod
    def _wal_and_probe(conn: Connection, label: str) -> None:
        """Switch to WAL (readers never wait for a writer) and find out now, before the
        first card, whether the file can be written."""
        conn.rollback()
        raw = conn.connection.dbapi_connection
        assert raw is not None
        old = raw.execute("PRAGMA busy_timeout").fetchone()[0]
        try:
            if str(raw.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                raw.execute("PRAGMA journal_mode = WAL")
            # A no-op write: it needs the write lock, so do not wait for one; a busy
            # database is writable, and the grade's own commit waits then.
            raw.execute("PRAGMA busy_timeout = 0")
            raw.execute("BEGIN IMMEDIATE")
            try:
                raw.execute("DELETE FROM card_state WHERE 0")
            finally:
                raw.execute("ROLLBACK")
        except Exception as exc:  # the driver's sqlite3.Error; only codes matter here
            if (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF not in (_BUSY, _LOCKED):
                raise _fault(label, exc, "opening it") from None
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(old)}")

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self, write: bool = False) -> Iterator[Session]:
        if self._snapshot is not None:
            assert not write, "no writes inside a snapshot"
            yield self._snapshot
            return
        bind = self._engine.execution_options(**{_BEGIN: "IMMEDIATE"}) if write else self._engine
        try:
            with Session(bind) as session, session.begin():
                yield session
        except DBAPIError as exc:
            raise _fault(self.label, exc, "the change" if write else "reading") from None

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Run every read inside in one transaction, so they see one state of the file
        even while another session writes."""
        if self._snapshot is not None:
            yield
            return
        try:
            with Session(self._engine) as session, session.begin():
                self._snapshot = session
                try:
                    yield
                finally:
                    self._snapshot = None
        except DBAPIError as exc:
            raise _fault(self.label, exc, "reading") from None

    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)

    def pragmas(self) -> dict[str, Any]:
        """The journal mode, synchronous level and busy timeout in effect (for benchmarks)."""
        with self._engine.connect() as conn:
            return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("journal_mode", "synchronous", "busy_timeout")}

    # -- reads -----------------------------------------------------------------

    # Reads go through plain SQL, not ORM objects: `cards`, `export` and `show` read
    # every state or the whole log of a deck, 100,000s of rows at scale.

    def states(self, deck: str) -> dict[str, State]:
        """Every stored schedule of the deck, including cards no longer in it."""
        with self._session() as s:
            rows = s.connection().exec_driver_sql(
                "SELECT card_id, repetitions, interval, ease, due, lapses FROM card_state "
                "WHERE deck = ?", (deck,))
            return {cid: State(rep, ivl, ease, _day(due), lapses)
                    for cid, rep, ivl, ease, due, lapses in rows}

    def today_log(self, deck: str, day: date) -> list[LogEntry]:
        """The review day's log rows in the order they were given."""
        with self._session() as s:
            return self._today_log(s, deck, day)

    @staticmethod
    def _today_log(s: Session, deck: str, day: date) -> list[LogEntry]:
        rows = s.connection().exec_driver_sql(
            "SELECT card_id, grade, kind, before_due IS NULL FROM review_log "
            "WHERE deck = ? AND review_day = ? ORDER BY id", (deck, day.isoformat()))
        return [LogEntry(cid, grade, _kind(kind), bool(new)) for cid, grade, kind, new in rows]

    def history(self, deck: str, card_id: str | None = None) -> list[Review]:
        """Review-log rows, oldest first: one card's, or the whole deck's."""
        query = f"SELECT {_REVIEW_COLUMNS} FROM review_log WHERE deck = ?"
        params: tuple[str, ...] = (deck,)
        if card_id is not None:
            query += " AND card_id = ?"
            params += (card_id,)
        with self._session() as s:
            rows = s.connection().exec_driver_sql(query + " ORDER BY id", params)
            return [_review_from_tuple(row) for row in rows]

    # -- writes ----------------------------------------------------------------

    def record(self, deck: str, ev: Event, at: datetime) -> int:
        """Store one grade: the card's new state and its log row, in one transaction.

        Compare-and-swap: raises Conflict, writing nothing, when the card's stored state
        is not `ev.before`, or when `ev` decides a card already decided on `ev.day`.
        """
        with self._session(write=True) as s:
            current = self._stored_state(s, deck, ev.card_id)
            decided = ev.kind == "schedule" and s.scalar(
                select(_ReviewRow.id).where(
                    _ReviewRow.deck == deck, _ReviewRow.card_id == ev.card_id,
                    _ReviewRow.review_day == ev.day.isoformat(),
                    _ReviewRow.kind == "schedule",
                ).limit(1)
            ) is not None
            if current != ev.before or decided:
                raise Conflict(current, self._today_log(s, deck, ev.day))
            row = _ReviewRow(
                deck=deck,
                card_id=ev.card_id,
                reviewed_at=at.isoformat(timespec="seconds"),
                review_day=ev.day.isoformat(),
                grade=ev.grade,
                kind=ev.kind,
                answer=ev.answer,
                seconds=round(ev.seconds, 3),
                **_state_columns("before_", ev.before),
                **_state_columns("after_", ev.after),
            )
            s.add(row)
            if ev.kind == "schedule":
                self._put_state(s, deck, ev.card_id, ev.after)
            s.flush()
            return row.id

    def undo(self, deck: str, review_id: int, ev: Event) -> None:
        """Delete one log row and put back the state the card had before it.

        Only the row itself, and only while it is its card's latest grade and the card
        still holds its after-state; otherwise raises UndoRefused and changes nothing.
        """
        with self._session(write=True) as s:
            row = s.get(_ReviewRow, review_id)
            if row is None or row.deck != deck or row.card_id != ev.card_id:
                raise UndoRefused("cannot undo: that grade is no longer in the database")
            later = s.scalar(select(_ReviewRow.id).where(
                _ReviewRow.deck == deck, _ReviewRow.card_id == ev.card_id,
                _ReviewRow.id > review_id).limit(1))
            if later is not None or (
                    ev.kind == "schedule"
                    and self._stored_state(s, deck, ev.card_id) != ev.after):
                raise UndoRefused("cannot undo: another session graded this card after you; "
                                  "undo only takes back a card's latest grade")
            s.delete(row)
            if ev.kind == "schedule":
                self._put_state(s, deck, ev.card_id, ev.before)

    def import_history(self, deck: str, events: Iterable[tuple[Event, datetime]]) -> int:
        """Bulk-load a history in one transaction: a log row per event and, per card, the
        state after its last scheduling event. For builders of large test collections; the
        rows are exactly what `record` would write one grade at a time."""
        logs: list[dict[str, Any]] = []
        states: dict[str, State] = {}
        for ev, at in events:
            logs.append({
                "deck": deck, "card_id": ev.card_id,
                "reviewed_at": at.isoformat(timespec="seconds"),
                "review_day": ev.day.isoformat(), "grade": ev.grade, "kind": ev.kind,
                "answer": ev.answer, "seconds": round(ev.seconds, 3),
                **_state_columns("before_", ev.before), **_state_columns("after_", ev.after),
            })
            if ev.kind == "schedule":
                states[ev.card_id] = ev.after
        rows = [{"deck": deck, "card_id": cid, **_state_columns("", st)}
                for cid, st in states.items() if st != NEW]
        with self._engine.begin() as conn:
            if logs:
                conn.execute(insert(_ReviewRow), logs)
            if rows:
                conn.execute(insert(_CardRow).prefix_with("OR REPLACE"), rows)
        return len(logs)

    @staticmethod
    def _stored_state(s: Session, deck: str, card_id: str) -> State:
        row = s.get(_CardRow, (deck, card_id))
        return NEW if row is None else _state_from(row)

    @staticmethod
    def _put_state(s: Session, deck: str, card_id: str, state: State) -> None:
        if state == NEW:
            s.execute(
                delete(_CardRow).where(_CardRow.deck == deck, _CardRow.card_id == card_id)
            )
            return
        s.merge(_CardRow(deck=deck, card_id=card_id, **_state_columns("", state)))


    # -- the exam date and mock exams (never part of a card's schedule) ----------

    def exam(self, deck: str) -> Exam | None:
        """The deck's exam date, or None when none is set."""
        with self._session() as s:
            row = s.get(_ExamRow, deck)
            if row is None:
                return None
            return Exam(date.fromisoformat(row.exam_day), row.window_days,
                        date.fromisoformat(row.set_on))

    def set_exam(self, deck: str, exam: Exam) -> None:
        with self._session(write=True) as s:
            s.merge(_ExamRow(deck=deck, exam_day=exam.day.isoformat(),
                             window_days=exam.window, set_on=exam.set_on.isoformat()))

    def clear_exam(self, deck: str) -> bool:
        """Remove the deck's exam date; False if it had none."""
        with self._session(write=True) as s:
            result = s.execute(delete(_ExamRow).where(_ExamRow.deck == deck))
            return bool(getattr(result, "rowcount", 0))

    def record_mock(
        self, deck: str, at: datetime, day: date, seed: int, minutes: float,
        answers: Sequence[MockAnswer],
    ) -> int:
        """Store one mock exam and its answers in one transaction; returns its id."""
        with self._session(write=True) as s:
            row = _MockRow(deck=deck, started_at=at.isoformat(timespec="seconds"),
                           review_day=day.isoformat(), seed=seed, minutes=minutes)
            s.add(row)
            s.flush()
            for i, a in enumerate(answers):
                s.add(_MockAnswerRow(
                    attempt_id=row.id, position=i, card_id=a.card_id, answer=a.answer,
                    answered=int(a.answered), covered=a.covered, of=a.of,
                    seconds=round(a.seconds, 3),
                    points=json.dumps([[text, hit] for text, hit in a.points],
                                      ensure_ascii=False),
                ))
            return row.id

    def mock_attempts(self, deck: str) -> list[MockAttempt]:
        """The deck's mock exams, oldest first."""
        with self._session() as s:
            attempts = list(s.scalars(
                select(_MockRow).where(_MockRow.deck == deck).order_by(_MockRow.id)))
            result = []
            for m in attempts:
                rows = s.scalars(select(_MockAnswerRow)
                                 .where(_MockAnswerRow.attempt_id == m.id)
                                 .order_by(_MockAnswerRow.position))
                answers = tuple(
                    MockAnswer(r.card_id, r.answer, r.covered, r.of, r.seconds,
                               bool(r.answered),
                               tuple((str(t), bool(h)) for t, h in json.loads(r.points)))
                    for r in rows
                )
                result.append(MockAttempt(m.id, datetime.fromisoformat(m.started_at),
                                          date.fromisoformat(m.review_day), m.seed,
                                          m.minutes, answers))
            return result

    # -- the deck index (a cache of the deck folder; see quizzer/index.py) -------------
    # Plain SQL over indexed columns: these run on every command, on 100,000 cards.

    @contextmanager
    def _index(self, write: bool = False) -> Iterator[Connection]:
        if self._snapshot is not None and not write:  # a read inside snapshot(): same view
            yield self._snapshot.connection()
            return
        # A sync reads and then writes: take the write lock first (BEGIN IMMEDIATE), so
        # that two commands syncing at once wait for each other instead of failing.
        bind = self._engine.execution_options(**{_BEGIN: "IMMEDIATE"}) if write else self._engine
        with bind.begin() as conn:
            yield conn

    @_index_method
    def index_head(self, folder: str) -> tuple[IndexHead | None, int]:
        """What the index last recorded for a deck folder (None if never indexed), and how
        many of its files the index holds."""
        with self._index() as conn:
            row = conn.exec_driver_sql(
                "SELECT digest, deck_sig, deck_id, meta, problems, racy, buckets FROM deck_folder "
                "WHERE dir = ?", (folder,)).first()
            count = conn.exec_driver_sql(
                "SELECT count(*) FROM deck_index WHERE dir = ?", (folder,)).scalar()
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
        with self._index() as conn:
            rows = conn.exec_driver_sql(query, params).all()
            return {name: (sig, digest) for name, sig, digest in rows}

    @_index_method
    def index_write(
        self, folder: str, head: IndexHead, upserts: list[IndexRow], deleted: list[str]
    ) -> None:
        """Record the files re-read, drop the files gone, and the folder's new head, in one
        transaction."""
        with self._index(write=True) as conn:
            if deleted:
                conn.exec_driver_sql("DELETE FROM deck_index WHERE dir = ? AND name = ?",
                                     [(folder, name) for name in deleted])
            if upserts:
                conn.exec_driver_sql(
                    "INSERT OR REPLACE INTO deck_index (dir, name, bucket, sig, hash, card_id, "
                    "number, section, demo, question, card, lines, problems) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(folder, *row) for row in upserts])
            self._put_head(conn, folder, head)

    @_index_method
    def index_set_head(self, folder: str, head: IndexHead, expect: str | None = None) -> bool:
        """Write a folder's head; with `expect`, only if the stored digest is still that
        (so a sync that another command overtook leaves the newer record alone)."""
        with self._index(write=True) as conn:
            if expect is None:
                self._put_head(conn, folder, head)
                return True
            done = conn.exec_driver_sql(
                "UPDATE deck_folder SET digest = ?, deck_sig = ?, deck_id = ?, meta = ?, "
                "problems = ?, racy = ?, buckets = ? WHERE dir = ? AND digest = ?",
                (*head, folder, expect))
            return bool(done.rowcount)

    @staticmethod
    def _put_head(conn: Connection, folder: str, head: IndexHead) -> None:
        conn.exec_driver_sql(
            "INSERT OR REPLACE INTO deck_folder (dir, digest, deck_sig, deck_id, meta, "
            "problems, racy, buckets) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (folder, *head))

    @_index_method
    def index_forget(self, folder: str) -> None:
        """Drop a folder's index, so the next command reads every file again."""
        with self._index(write=True) as conn:
            conn.exec_driver_sql("DELETE FROM deck_index WHERE dir = ?", (folder,))
            conn.exec_driver_sql("DELETE FROM deck_folder WHERE dir = ?", (folder,))

    @_index_method
    def index_conflicts(
        self, folder: str, sections: list[str] | None, demos: list[str] | None
    ) -> list[tuple[str, str, str, str | None, str]]:
        """Cross-file problems as (file, field, value, owner file or None, lines JSON):
        an id or number used by an earlier file (in name order, as the loader checks),
        a section not in deck.yaml, a demo not in the registry."""
        out: list[tuple[str, str, str, str | None, str]] = []
        with self._index() as conn:
            for field in ("card_id", "number"):
                rows = conn.exec_driver_sql(
                    f"SELECT name, {field}, lines, (SELECT min(name) FROM deck_index j "
                    f"WHERE j.dir = i.dir AND j.{field} = i.{field}) FROM deck_index i "
                    f"WHERE dir = ? AND {field} IN (SELECT {field} FROM deck_index WHERE "
                    f"dir = ? AND {field} IS NOT NULL GROUP BY {field} HAVING count(*) > 1)",
                    (folder, folder))
                out += [(name, "id" if field == "card_id" else field, str(value), owner,
                         lines) for name, value, lines, owner in rows if name != owner]
            for field, allowed in (("section", sections), ("demo", demos)):
                if allowed is None:
                    continue
                rows = conn.exec_driver_sql(
                    f"SELECT name, {field}, lines FROM deck_index WHERE dir = ? AND "
                    f"{field} IS NOT NULL AND {field} NOT IN (SELECT value FROM json_each(?))",
                    (folder, json.dumps(allowed)))
                out += [(name, field, value, None, lines) for name, value, lines in rows]
        return out

    @_index_method
    def index_file_problems(self, folder: str) -> list[tuple[str, str]]:
        """(file name, problems JSON) of every indexed file that did not load."""
        with self._index() as conn:
            return [(n, p) for n, p in conn.exec_driver_sql(
                "SELECT name, problems FROM deck_index WHERE dir = ? AND problems IS NOT NULL "
                "ORDER BY name", (folder,))]

    @_index_method
    def index_present(self, folder: str, card_ids: list[str]) -> list[str]:
        """The given card ids that are in the folder's index, in the order given."""
        with self._index() as conn:
            found = {c for (c,) in conn.exec_driver_sql(
                "SELECT card_id FROM deck_index WHERE dir = ? AND card_id IN "
                "(SELECT value FROM json_each(?))", (folder, json.dumps(card_ids)))}
        return [c for c in card_ids if c in found]

    @_index_method
    def index_count(self, folder: str) -> int:
        """How many indexed files of a folder hold a valid card."""
        with self._index() as conn:
            return int(conn.exec_driver_sql(
                "SELECT count(*) FROM deck_index WHERE dir = ? AND card_id IS NOT NULL",
                (folder,)).scalar() or 0)

    @_index_method
    def index_cards(self, folder: str, card_ids: list[str]) -> list[str]:
        """The stored card JSON of the given card ids."""
        with self._index() as conn:
            return [c for (c,) in conn.exec_driver_sql(
                "SELECT card FROM deck_index WHERE dir = ? AND card_id IN "
                "(SELECT value FROM json_each(?)) ORDER BY number", (folder, json.dumps(card_ids)))]

    @_index_method
    def index_find(self, folder: str, ref: str) -> str | None:
        """The stored card JSON of a card by id, or by number when `ref` is all digits."""
        with self._index() as conn:
            row = conn.exec_driver_sql(
                "SELECT card FROM deck_index WHERE dir = ? AND (card_id = ? OR number = ?) "
                "ORDER BY card_id = ? DESC LIMIT 1",
                (folder, ref, int(ref) if ref.isascii() and ref.isdigit() else None, ref)).first()
        return row[0] if row else None

    @_index_method
    def index_all_cards(self, folder: str) -> list[str]:
        """Every card's stored JSON, in number order."""
        with self._index() as conn:
            return [c for (c,) in conn.exec_driver_sql(
                "SELECT card FROM deck_index WHERE dir = ? AND card IS NOT NULL "
                "ORDER BY number", (folder,))]

    @_index_method
    def index_listing(self, folder: str, deck: str) -> list[tuple[Any, ...]]:
        """Every card with its schedule, by number: (id, number, question, section, demo,
        repetitions, interval, ease, due, lapses), the state columns NULL for new cards."""
        with self._index() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(
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
        up to its limit and leaving out `graded`; the total due; the next due date."""
        g = json.dumps(graded)
        with self._index() as conn:
            due_rows = conn.exec_driver_sql(
                "SELECT i.card_id FROM card_state s JOIN deck_index i ON i.dir = ? AND "
                "i.card_id = s.card_id WHERE s.deck = ? AND s.due IS NOT NULL AND s.due <= ? "
                "AND s.card_id NOT IN (SELECT value FROM json_each(?)) "
                "ORDER BY s.due, i.number LIMIT ?",
                (folder, deck, day.isoformat(), g, due_limit)).all()
            new_rows = conn.exec_driver_sql(
                "SELECT i.card_id FROM deck_index i WHERE i.dir = ? AND i.card_id IS NOT NULL "
                "AND i.card_id NOT IN (SELECT value FROM json_each(?)) AND NOT EXISTS "
                "(SELECT 1 FROM card_state s WHERE s.deck = ? AND s.card_id = i.card_id AND "
                "s.due IS NOT NULL) ORDER BY i.number LIMIT ?",
                (folder, g, deck, new_limit)).all()
            upcoming = self._next_due(conn, folder, deck, None)
        return DayPlan([r[0] for r in due_rows], [r[0] for r in new_rows], upcoming)

    @_index_method
    def due_count(self, folder: str, deck: str, day: date) -> int:
        """How many of the folder's cards are due on or before `day`."""
        with self._index() as conn:
            return int(conn.exec_driver_sql(
                "SELECT count(*) FROM card_state s WHERE s.deck = ? AND s.due IS NOT NULL AND "
                "s.due <= ? AND EXISTS (SELECT 1 FROM deck_index i WHERE i.dir = ? AND "
                "i.card_id = s.card_id)", (deck, day.isoformat(), folder)).scalar() or 0)

    @_index_method
    def next_due_after(self, folder: str, deck: str, day: date | None) -> date | None:
        """The first due date of the folder's cards after `day` (None: the first at all)."""
        with self._index() as conn:
            return self._next_due(conn, folder, deck, day)

    @staticmethod
    def _next_due(conn: Connection, folder: str, deck: str, day: date | None) -> date | None:
        return _day(conn.exec_driver_sql(
            "SELECT s.due FROM card_state s WHERE s.deck = ? AND s.due IS NOT NULL "
            "AND s.due > ? AND EXISTS (SELECT 1 FROM deck_index i WHERE i.dir = ? AND "
            "i.card_id = s.card_id) ORDER BY s.due LIMIT 1",
            (deck, day.isoformat() if day else "", folder)).scalar())

    @_index_method
    def states_of(self, deck: str, card_ids: list[str]) -> dict[str, State]:
        """The stored schedules of the given cards (new cards are absent)."""
        with self._index() as conn:
            rows = conn.exec_driver_sql(
                "SELECT card_id, repetitions, interval, ease, due, lapses FROM card_state "
                "WHERE deck = ? AND card_id IN (SELECT value FROM json_each(?))",
                (deck, json.dumps(card_ids)))
            return {cid: State(rep, ivl, ease, _day(due), lapses)
                    for cid, rep, ivl, ease, due, lapses in rows}

    # -- export reads
    # The review log reduced in SQL for `export` (quizzer.stats.stored_digest): one row
    # per card or per review day, never one per review, so that a log of 1,000,000 rows
    # is never loaded into Python. `removed` lists cards whose rows are left out.

    # The characters str.isspace() accepts: an answer made only of them is blank, as
    # `answer.strip()` says (tests/test_stats.py checks the list).
    _BLANKS = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
               "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
    # A deciding grade for retention (quizzer.stats.is_deciding_retention): the first of
    # the day, of a card graded before (a stored due date, as _day reads it).
    _DECIDING = "kind = 'schedule' AND coalesce(before_due, '') <> ''"

    @staticmethod
    def _not_removed(removed: Sequence[str]) -> str:
        # Only when there are any: the test needs each row's card_id, which the day
        # index does not hold, and usually no card has been removed.
        return " AND card_id NOT IN (SELECT value FROM json_each(?))" if removed else ""

    @staticmethod
    def _removed(removed: Sequence[str]) -> tuple[str, ...]:
        return (json.dumps(list(removed)),) if removed else ()

    def log_by_card(
        self, deck: str,
    ) -> dict[str, tuple[int, float, tuple[date, int, Kind, str],
                         tuple[date, int, Kind, str] | None]]:
        """Per card with log rows: (rows, seconds, its latest row, its latest row whose
        typed answer is not blank or None), each row as (review day, grade, kind, answer).
        An answer that starts with printable ASCII is not blank, so trim() runs only on
        the others: 0.2 s less over 1,000,000 rows."""
        with self._session() as s:
            rows = s.connection().exec_driver_sql(
                "SELECT g.card_id, g.n, g.seconds, g.answered = g.last, l.review_day, l.grade, "
                "l.kind, l.answer, a.review_day, a.grade, a.kind, a.answer FROM (SELECT "
                "card_id, count(*) AS n, sum(seconds) AS seconds, max(id) AS last, max(CASE "
                "WHEN unicode(answer) BETWEEN 33 AND 126 OR trim(answer, ?) <> '' THEN id END) "
                "AS answered FROM review_log WHERE deck = ? GROUP BY card_id) g "
                "JOIN review_log l ON l.id = g.last "
                "LEFT JOIN review_log a ON a.id = g.answered AND g.answered <> g.last",
                (self._BLANKS, deck))
            out = {}
            for (cid, n, seconds, same, day, grade, kind, answer,
                 a_day, a_grade, a_kind, a_answer) in rows:
                last = (date.fromisoformat(day), grade, _kind(kind), answer)
                # Usually the latest row holds the latest answer: then it is one tuple.
                answered = last if same else (
                    (date.fromisoformat(a_day), a_grade, _kind(a_kind), a_answer)
                    if a_day is not None else None)
                out[cid] = (n, seconds, last, answered)
            return out

    def log_by_day(self, deck: str, first: date, last: date,
                   removed: Sequence[str] = ()) -> dict[date, tuple[int, float, int, int]]:
        """Per review day first..last with rows: (rows, seconds, deciding grades of
        PASS or more, deciding grades)."""
        from quizzer.scheduler import PASS

        with self._session() as s:
            rows = s.connection().exec_driver_sql(
                f"SELECT review_day, count(*), sum(seconds), "
                f"sum(grade >= ? AND {self._DECIDING}), sum({self._DECIDING}) "
                "FROM review_log WHERE deck = ? AND review_day BETWEEN ? AND ?"
                f"{self._not_removed(removed)} GROUP BY review_day",
                (PASS, deck, first.isoformat(), last.isoformat(), *self._removed(removed)))
            return {date.fromisoformat(day): (n, seconds, passed, total)
                    for day, n, seconds, passed, total in rows}

    def review_days(self, deck: str, removed: Sequence[str] = ()) -> list[date]:
        """Every review day with a log row, oldest first."""
        with self._session() as s:
            rows = s.connection().exec_driver_sql(
                f"SELECT DISTINCT review_day FROM review_log WHERE deck = ?"
                f"{self._not_removed(removed)} ORDER BY review_day",
                (deck, *self._removed(removed)))
            return [date.fromisoformat(day) for (day,) in rows]

    def recent_retention(self, deck: str, first: date, last: date) -> dict[str, tuple[int, int]]:
        """Per card, its deciding grades on the review days first..last: (PASS or more,
        all of them)."""
        from quizzer.scheduler import PASS

        with self._session() as s:
            rows = s.connection().exec_driver_sql(
                "SELECT card_id, sum(grade >= ?), count(*) FROM review_log WHERE deck = ? "
                f"AND review_day BETWEEN ? AND ? AND {self._DECIDING} GROUP BY card_id",
                (PASS, deck, first.isoformat(), last.isoformat()))
            return {cid: (passed, total) for cid, passed, total in rows}


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


class DayPlan(NamedTuple):
    due: list[str]
    new: list[str]
    next_due: date | None
