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
from typing import Any, TypeVar

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
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from quizzer.errors import QuizzerError
from quizzer.indexdb import (
    DECIDES,
    DECIDING,
    INDEX_DDL,
    PROGRESS_DDL,
    REDUCTION_TABLES,
    REDUCTION_TRIGGERS,
    RENDER_DDL,
    DayPlan,
    DeckCounts,
    IndexDB,
    IndexHead,
    IndexRow,
    ProgressInput,
    Suspects,
    day_of,
    fault,
    kind_of,
)
from quizzer.indexdb import SCHEMA_VERSION as LIGHT_SCHEMA_VERSION

# The storage faults are raised from either module; callers import them from here.
from quizzer.indexdb import Conflict as Conflict
from quizzer.indexdb import StoreBusy as StoreBusy
from quizzer.indexdb import StoreWriteError as StoreWriteError
from quizzer.model import CardLog, Event, Exam, LogEntry, MockAnswer, MockAttempt, Review
from quizzer.scheduler import NEW, State

# The characters str.isspace() accepts, as SQL: an answer made only of them is blank, as
# `answer.strip()` says (tests/test_stats.py checks the list).
_BLANK_CHARS = ("char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, "
                "8194, 8195, 8196, 8197, 8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, "
                "8287, 12288)")
# A log row with a typed answer (not blank).
_ANSWERED = f"trim({{row}}answer, {_BLANK_CHARS}) <> ''"
# The reductions of step 4, from log rows (a WHERE and GROUP BY follow); 3 is
# scheduler.PASS. These strings are part of step 4's text: never change them.
_CARD_LOG_OF = (f"SELECT deck, card_id, count(*), sum(seconds), max(id), "
                f"max(CASE WHEN {_ANSWERED.format(row='')} THEN id END) FROM review_log")
_DAY_LOG_OF = (f"SELECT deck, review_day, count(*), sum(seconds), "
               f"sum({DECIDES} AND grade >= 3), sum({DECIDES}) FROM review_log")

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
    # The deck index (quizzer/indexdb.py holds its DDL: a dropped table is made again).
    INDEX_DDL,
    # The review log reduced per card (rows, seconds, latest row, latest row with a
    # typed answer) and per review day (rows, seconds, deciding grades passed, deciding
    # grades), kept by triggers on every insert, delete and update of the log, so that
    # no write path can forget them: `export` and `stats` read these instead of
    # grouping 1,000,000 log rows. Then the summary's rendered cards (quizzer/indexdb.py).
    [
        """CREATE TABLE card_log (
            deck TEXT NOT NULL,
            card_id TEXT NOT NULL,
            reviews INTEGER NOT NULL,
            seconds REAL NOT NULL,
            last_id INTEGER NOT NULL,
            answered_id INTEGER,
            PRIMARY KEY (deck, card_id)
        )""",
        """CREATE TABLE day_log (
            deck TEXT NOT NULL,
            review_day TEXT NOT NULL,
            reviews INTEGER NOT NULL,
            seconds REAL NOT NULL,
            passed INTEGER NOT NULL,
            deciding INTEGER NOT NULL,
            PRIMARY KEY (deck, review_day)
        )""",
        f"INSERT INTO card_log {_CARD_LOG_OF} GROUP BY deck, card_id",
        f"INSERT INTO day_log {_DAY_LOG_OF} GROUP BY deck, review_day",
        f"""CREATE TRIGGER review_log_insert AFTER INSERT ON review_log BEGIN
            INSERT INTO card_log VALUES (new.deck, new.card_id, 1, new.seconds, new.id,
                CASE WHEN {_ANSWERED.format(row="new.")} THEN new.id END)
            ON CONFLICT (deck, card_id) DO UPDATE SET
                reviews = reviews + 1,
                seconds = seconds + excluded.seconds,
                last_id = max(last_id, excluded.last_id),
                answered_id = coalesce(max(answered_id, excluded.answered_id),
                                       answered_id, excluded.answered_id);
            INSERT INTO day_log VALUES (new.deck, new.review_day, 1, new.seconds,
                {DECIDING.format(row="new.")} AND new.grade >= 3,
                {DECIDING.format(row="new.")})
            ON CONFLICT (deck, review_day) DO UPDATE SET
                reviews = reviews + 1,
                seconds = seconds + excluded.seconds,
                passed = passed + excluded.passed,
                deciding = deciding + excluded.deciding;
        END""",
        f"""CREATE TRIGGER review_log_delete AFTER DELETE ON review_log BEGIN
            DELETE FROM card_log WHERE deck = old.deck AND card_id = old.card_id;
            INSERT INTO card_log {_CARD_LOG_OF}
                WHERE deck = old.deck AND card_id = old.card_id GROUP BY deck, card_id;
            DELETE FROM day_log WHERE deck = old.deck AND review_day = old.review_day;
            INSERT INTO day_log {_DAY_LOG_OF}
                WHERE deck = old.deck AND review_day = old.review_day GROUP BY deck, review_day;
        END""",
        f"""CREATE TRIGGER review_log_update AFTER UPDATE ON review_log BEGIN
            DELETE FROM card_log WHERE (deck = old.deck AND card_id = old.card_id)
                OR (deck = new.deck AND card_id = new.card_id);
            INSERT INTO card_log {_CARD_LOG_OF}
                WHERE (deck = old.deck AND card_id = old.card_id)
                OR (deck = new.deck AND card_id = new.card_id) GROUP BY deck, card_id;
            DELETE FROM day_log WHERE (deck = old.deck AND review_day = old.review_day)
                OR (deck = new.deck AND review_day = new.review_day);
            INSERT INTO day_log {_DAY_LOG_OF}
                WHERE (deck = old.deck AND review_day = old.review_day)
                OR (deck = new.deck AND review_day = new.review_day) GROUP BY deck, review_day;
        END""",
        *RENDER_DDL,
    ],
    # 5: each card's progress as the summary renders it, dropped by triggers whenever
    # its schedule or log is written (quizzer/indexdb.py, card_progress).
    PROGRESS_DDL,
]
SCHEMA_VERSION = len(_MIGRATIONS)
# Step 4's statements that make the log's reductions, fill them from the log and add
# their triggers (the rest of the step is the rendered cards' table), and step 5's.
_REDUCTIONS_SINCE = 4
_REDUCTIONS = [*_MIGRATIONS[_REDUCTIONS_SINCE - 1][:-len(RENDER_DDL)], *PROGRESS_DDL]
# quick.py checks the version without importing this module.
assert SCHEMA_VERSION == LIGHT_SCHEMA_VERSION, "update indexdb.SCHEMA_VERSION"
_OWN_TABLES = frozenset({"card_state", "review_log"})  # what step 1 creates
T = TypeVar("T")

# How long one statement waits for another process's write lock before it gives up;
# the review loop retries on top of this (review.LOCK_WAIT_LIMIT) with a notice.
BUSY_TIMEOUT = 5.0


class UndoRefused(QuizzerError):
    """The grade to undo is gone or a later grade of its card exists."""


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


_day = day_of


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


_kind = kind_of


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
                if version >= _REDUCTIONS_SINCE and not IndexDB.reductions_whole(
                        conn.connection.dbapi_connection):
                    cls._remake_reductions(immediate)
                conn.execution_options(**{_BEGIN: ""})
                cls._wal_and_probe(conn, label)
        except QuizzerError:
            engine.dispose()
            raise
        except DBAPIError as exc:
            engine.dispose()
            raise fault(label, exc, "opening it") from None
        return cls(engine, label)

    @staticmethod
    def _remake_reductions(conn: Connection) -> None:
        """card_log and day_log are derived from the log: when one of them or of their
        triggers is gone (dropped by hand), make them all again from the log, rather
        than fail every grade on the missing table."""
        with conn.begin():
            raw = conn.connection.dbapi_connection
            if IndexDB.reductions_whole(raw):  # another command made them meanwhile
                return
            for trigger in REDUCTION_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            for table in REDUCTION_TABLES:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
            for ddl in _REDUCTIONS:
                conn.exec_driver_sql(ddl)

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
            if not isinstance(fault(label, exc, ""), StoreBusy):
                raise fault(label, exc, "opening it") from None
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
            raise fault(self.label, exc, "the change" if write else "reading") from None

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
            raise fault(self.label, exc, "reading") from None

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
        with self._light() as db:
            return db.states(deck)

    def today_log(self, deck: str, day: date) -> list[LogEntry]:
        """The review day's log rows in the order they were given."""
        with self._light() as db:
            return db.today_log(deck, day)

    def _today_log(self, s: Session, deck: str, day: date) -> list[LogEntry]:
        """The day's log inside the session's own transaction (a grade's)."""
        raw = s.connection().connection.dbapi_connection
        return IndexDB(raw, self.label).today_log(deck, day)  # type: ignore[arg-type]

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
        with self._light() as db:
            return db.exam(deck)

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

    # -- the deck index and the day's queue (quizzer/indexdb.py: plain SQL, one copy) ---
    # Inside snapshot() they join its transaction; else each runs in one of its own.

    @contextmanager
    def _light(self) -> Iterator[IndexDB]:
        if self._snapshot is not None:
            raw = self._snapshot.connection().connection.dbapi_connection
            assert raw is not None
            yield IndexDB(raw, self.label)  # type: ignore[arg-type]
            return
        try:
            pooled = self._engine.raw_connection()
        except DBAPIError as exc:
            raise fault(self.label, exc, "reading") from None
        try:
            yield IndexDB(pooled.driver_connection, self.label)  # type: ignore[arg-type]
        finally:
            pooled.close()

    def index_head(self, folder: str) -> tuple[IndexHead | None, int]:
        with self._light() as db:
            return db.index_head(folder)

    def index_signatures(
        self, folder: str, buckets: list[int] | None = None
    ) -> dict[str, tuple[str, str]]:
        with self._light() as db:
            return db.index_signatures(folder, buckets)

    def index_signatures_named(
        self, folder: str, names: list[str]
    ) -> dict[str, tuple[str, str, Suspects]]:
        with self._light() as db:
            return db.index_signatures_named(folder, names)

    def index_suspects(
        self, folder: str, sections: list[str] | None, demos: list[str] | None,
        only: Suspects | None = None,
    ) -> Suspects:
        with self._light() as db:
            return db.index_suspects(folder, sections, demos, only)

    def index_write(
        self, folder: str, head: IndexHead, upserts: list[IndexRow], deleted: list[str]
    ) -> None:
        with self._light() as db:
            db.index_write(folder, head, upserts, deleted)

    def index_set_head(self, folder: str, head: IndexHead, expect: str | None = None) -> bool:
        with self._light() as db:
            return db.index_set_head(folder, head, expect)

    def index_forget(self, folder: str) -> None:
        with self._light() as db:
            db.index_forget(folder)

    def index_conflicts(
        self, folder: str, suspects: Suspects
    ) -> list[tuple[str, str, str, str | None, str]]:
        with self._light() as db:
            return db.index_conflicts(folder, suspects)

    def index_file_problems(self, folder: str) -> list[tuple[str, str]]:
        with self._light() as db:
            return db.index_file_problems(folder)

    def index_present(self, folder: str, card_ids: list[str]) -> list[str]:
        with self._light() as db:
            return db.index_present(folder, card_ids)

    def index_count(self, folder: str) -> int:
        with self._light() as db:
            return db.index_count(folder)

    def index_card_ids(self, folder: str) -> list[str]:
        with self._light() as db:
            return db.index_card_ids(folder)

    def index_cards(self, folder: str, card_ids: list[str]) -> list[str]:
        with self._light() as db:
            return db.index_cards(folder, card_ids)

    def index_find(self, folder: str, ref: str) -> str | None:
        with self._light() as db:
            return db.index_find(folder, ref)

    def index_rendered(self, folder: str, renderer: str) -> list[tuple[Any, ...]] | None:
        with self._light() as db:
            return db.index_rendered(folder, renderer)

    def index_unrendered(self, folder: str, renderer: str) -> list[tuple[str, str, str]]:
        with self._light() as db:
            return db.index_unrendered(folder, renderer)

    def index_put_rendered(self, folder: str, renderer: str,
                           rows: list[tuple[str, str, str, int, str, str | None, str, str,
                                            str | None, str, bool]]) -> None:
        with self._light() as db:
            db.index_put_rendered(folder, renderer, rows)

    def index_listed(self, folder: str) -> list[tuple[str, int, str, str | None]]:
        with self._light() as db:
            return db.index_listed(folder)

    def index_all_cards(self, folder: str) -> list[str]:
        with self._light() as db:
            return db.index_all_cards(folder)

    def index_listing(self, folder: str, deck: str) -> list[tuple[Any, ...]]:
        with self._light() as db:
            return db.index_listing(folder, deck)

    def day_plan(
        self, folder: str, deck: str, day: date, graded: list[str], due_limit: int,
        new_limit: int,
    ) -> DayPlan:
        with self._light() as db:
            return db.day_plan(folder, deck, day, graded, due_limit, new_limit)

    def due_count(self, folder: str, deck: str, day: date) -> int:
        with self._light() as db:
            return db.due_count(folder, deck, day)

    def next_due_after(self, folder: str, deck: str, day: date | None) -> date | None:
        with self._light() as db:
            return db.next_due_after(folder, deck, day)

    def states_of(self, deck: str, card_ids: list[str]) -> dict[str, State]:
        with self._light() as db:
            return db.states_of(deck, card_ids)

    # -- export reads (quizzer/indexdb.py)

    def log_by_card(self, deck: str) -> dict[str, CardLog]:
        with self._light() as db:
            return db.log_by_card(deck)

    def log_by_day(self, deck: str, first: date, last: date,
                   removed: Sequence[str] = ()) -> dict[date, tuple[int, float, int, int]]:
        with self._light() as db:
            return db.log_by_day(deck, first, last, removed)

    def review_days(self, deck: str, removed: Sequence[str] = ()) -> list[date]:
        with self._light() as db:
            return db.review_days(deck, removed)

    def deciding_grades(self, deck: str) -> dict[str, list[tuple[date, int]]]:
        with self._light() as db:
            return db.deciding_grades(deck)

    def recent_retention(self, deck: str, first: date, last: date) -> dict[str, tuple[int, int]]:
        with self._light() as db:
            return db.recent_retention(deck, first, last)

    def kept_progress(self, deck: str, renderer: str,
                      make: Callable[[tuple[Any, ...]], T]) -> dict[str, T]:
        with self._light() as db:
            return db.kept_progress(deck, renderer, make)

    def unkept_progress(self, folder: str, deck: str, renderer: str) -> list[ProgressInput]:
        with self._light() as db:
            return db.unkept_progress(folder, deck, renderer)

    def keep_progress(self, folder: str, deck: str, renderer: str,
                      made: Sequence[tuple[ProgressInput, tuple[Any, ...]]]) -> int:
        with self._light() as db:
            return db.keep_progress(folder, deck, renderer, made)

    def deck_counts(self, folder: str, deck: str, mature_days: int, leech_lapses: int,
                    today: date, last: date) -> DeckCounts:
        with self._light() as db:
            return db.deck_counts(folder, deck, mature_days, leech_lapses, today, last)
