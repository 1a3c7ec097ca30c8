"""The SQLite store: card schedules and the review log, through SQLAlchemy 2.x.

Rule 1: every grade is one committed transaction holding the new state and its log
row; nothing waits for the end of a session.
Rule 2: the schema is migrated when the store opens, each step in one transaction with
its version bump (PRAGMA user_version); a database from a newer quizzer is refused
before anything is read or written.
Rule 3: methods say what the caller wants and return core types, never ORM rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

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
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from quizzer.errors import QuizzerError
from quizzer.model import Event, Kind, LogEntry, Review
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
]
SCHEMA_VERSION = len(_MIGRATIONS)


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


def _state_from(row: Any, prefix: str = "") -> State:
    return State(
        repetitions=getattr(row, f"{prefix}repetitions"),
        interval=getattr(row, f"{prefix}interval"),
        ease=getattr(row, f"{prefix}ease"),
        due=_day(getattr(row, f"{prefix}due")),
        lapses=getattr(row, f"{prefix}lapses"),
    )


def _kind(row: _ReviewRow) -> Kind:
    return "drill" if row.kind == "drill" else "schedule"


def _review_from(row: _ReviewRow) -> Review:
    return Review(
        id=row.id,
        card_id=row.card_id,
        reviewed_at=datetime.fromisoformat(row.reviewed_at),
        day=date.fromisoformat(row.review_day),
        grade=row.grade,
        kind=_kind(row),
        before=_state_from(row, "before_"),
        after=_state_from(row, "after_"),
        answer=row.answer,
        seconds=row.seconds,
    )


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for a file path or a URL given by the user."""
    text = str(target)
    if "://" in text:
        return text
    path = Path(text).expanduser()
    return f"sqlite:///{path.resolve()}"


def _make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise QuizzerError(
            f"{url}: not a database path or SQLAlchemy URL; pass --db PATH or sqlite:///PATH"
        ) from None
    if parsed.get_backend_name() != "sqlite":
        raise QuizzerError(f"{url}: only SQLite databases are supported; use sqlite:///PATH")
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)

    # SQLAlchemy's documented pysqlite recipe: let SQLAlchemy emit BEGIN itself so
    # that DDL is transactional and a failed migration leaves no half schema behind.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


class Store:
    """Schedules and review history for any number of decks, keyed by (deck id, card id)."""

    def __init__(self, engine: Engine, label: str) -> None:
        self._engine = engine
        self.label = label

    @classmethod
    def open(cls, target: str | Path) -> Store:
        """Open (creating if needed) and migrate the database at a path or URL."""
        url = database_url(target)
        label = str(target)
        engine = _make_engine(url)
        try:
            with engine.connect() as conn:
                version = int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)
                conn.rollback()
                if version > SCHEMA_VERSION:
                    raise QuizzerError(
                        f"{label}: the database has schema version {version}, newer than the "
                        f"{SCHEMA_VERSION} this quizzer knows; upgrade quizzer "
                        "(pip install -U quizzer) or pass another --db"
                    )
                for step in range(version, SCHEMA_VERSION):
                    # One transaction per step, together with its version bump.
                    with conn.begin():
                        for ddl in _MIGRATIONS[step]:
                            conn.exec_driver_sql(ddl)
                        conn.exec_driver_sql(f"PRAGMA user_version = {step + 1}")
        except QuizzerError:
            engine.dispose()
            raise
        except (DatabaseError, OperationalError) as exc:
            engine.dispose()
            raise QuizzerError(
                f"{label}: cannot open the database ({exc.orig}); "
                "check the path, or pass another --db"
            ) from None
        return cls(engine, label)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self._engine) as session, session.begin():
                yield session
        except OperationalError as exc:
            raise QuizzerError(
                f"{self.label}: database error ({exc.orig}); nothing was changed, try again"
            ) from None

    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar() or 0)

    # -- reads -----------------------------------------------------------------

    def states(self, deck: str) -> dict[str, State]:
        """Every stored schedule of the deck, including cards no longer in it."""
        with self._session() as s:
            rows = s.scalars(select(_CardRow).where(_CardRow.deck == deck))
            return {row.card_id: _state_from(row) for row in rows}

    def today_log(self, deck: str, day: date) -> list[LogEntry]:
        """The review day's log rows in the order they were given."""
        with self._session() as s:
            rows = s.scalars(
                select(_ReviewRow)
                .where(_ReviewRow.deck == deck, _ReviewRow.review_day == day.isoformat())
                .order_by(_ReviewRow.id)
            )
            return [
                LogEntry(
                    row.card_id,
                    row.grade,
                    _kind(row),
                    row.before_due is None,
                )
                for row in rows
            ]

    def history(self, deck: str, card_id: str | None = None) -> list[Review]:
        """Review-log rows, oldest first: one card's, or the whole deck's."""
        query = select(_ReviewRow).where(_ReviewRow.deck == deck)
        if card_id is not None:
            query = query.where(_ReviewRow.card_id == card_id)
        with self._session() as s:
            return [_review_from(row) for row in s.scalars(query.order_by(_ReviewRow.id))]

    # -- writes ----------------------------------------------------------------

    def record(self, deck: str, ev: Event, at: datetime) -> int:
        """Store one grade: the card's new state and its log row, in one transaction."""
        with self._session() as s:
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
        """Delete one log row and put back the state the card had before it."""
        with self._session() as s:
            s.execute(delete(_ReviewRow).where(_ReviewRow.id == review_id))
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
    def _put_state(s: Session, deck: str, card_id: str, state: State) -> None:
        if state == NEW:
            s.execute(
                delete(_CardRow).where(_CardRow.deck == deck, _CardRow.card_id == card_id)
            )
            return
        s.merge(_CardRow(deck=deck, card_id=card_id, **_state_columns("", state)))

