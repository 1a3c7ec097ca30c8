"""The SQLite store: card schedules and the review log, through SQLAlchemy 2.x.

Rule 1: every grade is one committed transaction holding the new state and its log
row; nothing waits for the end of a session.
Rule 2: the schema is migrated when the store opens, each step in one transaction with
its version bump (PRAGMA user_version); a database from a newer quizzer is refused
before anything is read or written.
Rule 3: methods say what the caller wants and return core types, never ORM rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
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
                raise QuizzerError(
                    f"{self.label}: database error ({exc.orig}); nothing was changed, try again"
                ) from None
        with self._engine.begin() as conn:
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
            rows = s.connection().exec_driver_sql(
                "SELECT card_id, grade, kind, before_due IS NULL FROM review_log "
                "WHERE deck = ? AND review_day = ? ORDER BY id", (deck, day.isoformat()))
            return [LogEntry(cid, grade, _kind(kind), bool(new))
                    for cid, grade, kind, new in rows]

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


    # -- the deck index (a cache of the deck folder; see quizzer/index.py) -------------
    # Plain SQL over indexed columns: these run on every command, on 100,000 cards.

    @contextmanager
    def _index(self) -> Iterator[Connection]:
        with self._engine.begin() as conn:
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
        with self._index() as conn:
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
        with self._index() as conn:
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
        with self._index() as conn:
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
            upcoming = conn.exec_driver_sql(
                "SELECT s.due FROM card_state s WHERE s.deck = ? AND s.due IS NOT NULL AND "
                "EXISTS (SELECT 1 FROM deck_index i WHERE i.dir = ? AND i.card_id = s.card_id) "
                "ORDER BY s.due LIMIT 1", (deck, folder)).scalar()
        return DayPlan([r[0] for r in due_rows], [r[0] for r in new_rows], _day(upcoming))

    @_index_method
    def due_count(self, folder: str, deck: str, day: date) -> int:
        """How many of the folder's cards are due on or before `day`."""
        with self._index() as conn:
            return int(conn.exec_driver_sql(
                "SELECT count(*) FROM card_state s WHERE s.deck = ? AND s.due IS NOT NULL AND "
                "s.due <= ? AND EXISTS (SELECT 1 FROM deck_index i WHERE i.dir = ? AND "
                "i.card_id = s.card_id)", (deck, day.isoformat(), folder)).scalar() or 0)

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
