"""The SQLite store: migrations, refusal of newer schemas, one transaction per grade."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from quizzer.errors import QuizzerError
from quizzer.scheduler import NEW, review
from quizzer.session import Event
from quizzer.store import SCHEMA_VERSION, Store, database_url

D = date(2026, 5, 1)
AT = datetime(2026, 5, 1, 9, 30)


def event(card_id: str, grade: int, kind: str = "schedule") -> Event:
    after = review(NEW, grade, D) if kind == "schedule" else NEW
    return Event(card_id, kind, grade, D, NEW, after, "typed", 4.25)  # type: ignore[arg-type]


def test_fresh_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "q.db"
    with Store.open(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
    tables = {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}
    assert {"card_state", "review_log"} <= tables


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    with Store.open(db) as store:
        store.record("deck", event("a", 5), AT)
    with Store.open(db) as store:
        assert store.states("deck")["a"].repetitions == 1


def test_newer_database_is_refused_and_untouched(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    with pytest.raises(QuizzerError, match="newer"):
        Store.open(db)
    assert db.read_bytes() == before


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "q.db"
    bad.write_text("this is not sqlite" * 100)
    with pytest.raises(QuizzerError, match=str(bad.name)):
        Store.open(bad)


def test_failed_migration_leaves_no_half_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quizzer import store as store_module

    broken = [[*store_module._MIGRATIONS[0], "CREATE TABLE card_state (x)"]]
    monkeypatch.setattr(store_module, "_MIGRATIONS", broken)
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    db = tmp_path / "q.db"
    with pytest.raises(QuizzerError):
        Store.open(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 0


def test_record_commits_state_and_log_row_together(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    store = Store.open(db)
    rid = store.record("deck", event("a", 4), AT)
    # Read through a separate connection: the grade is committed, not just buffered.
    row = sqlite3.connect(db).execute(
        "SELECT card_id, grade, kind, review_day, answer, seconds, after_interval "
        "FROM review_log WHERE id = ?", (rid,)
    ).fetchone()
    assert row == ("a", 4, "schedule", "2026-05-01", "typed", 4.25, 1)
    state = sqlite3.connect(db).execute("SELECT repetitions, due FROM card_state").fetchone()
    assert state == (1, "2026-05-02")
    store.close()


def test_drill_is_logged_without_changing_state(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.db") as store:
        store.record("deck", event("a", 2), AT)
        before = store.states("deck")
        state = before["a"]
        store.record("deck", Event("a", "drill", 5, D, state, state), AT)
        assert store.states("deck") == before
        assert [e.kind for e in store.today_log("deck", D)] == ["schedule", "drill"]


def test_undo_restores_the_earlier_state(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.db") as store:
        first = event("a", 5)
        store.record("deck", first, AT)
        later = D + timedelta(days=1)
        second = Event("a", "schedule", 1, later, first.after, review(first.after, 1, later))
        rid = store.record("deck", second, AT)
        store.undo("deck", rid, second)
        assert store.states("deck")["a"] == first.after
        assert len(store.history("deck", "a")) == 1


def test_history_is_per_deck_and_card(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.db") as store:
        store.record("one", event("a", 5), AT)
        store.record("two", event("a", 3), AT)
        assert [r.grade for r in store.history("one", "a")] == [5]
        assert store.history("two")[0].answer == "typed"


def test_database_url_accepts_paths_and_urls(tmp_path: Path) -> None:
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"
    assert database_url(tmp_path / "a.db") == f"sqlite:///{tmp_path / 'a.db'}"
    with Store.open(f"sqlite:///{tmp_path / 'u.db'}") as store:
        assert store.schema_version() == SCHEMA_VERSION
    with pytest.raises(QuizzerError, match="SQLite"):
        Store.open("postgresql://localhost/x")


def test_a_stale_write_is_a_conflict_and_changes_nothing(tmp_path: Path) -> None:
    from quizzer.store import Conflict

    with Store.open(tmp_path / "q.db") as one, Store.open(tmp_path / "q.db") as two:
        one.record("deck", event("a", 5), AT)
        with pytest.raises(Conflict) as info:
            two.record("deck", event("a", 2), AT)  # computed from NEW: stale
        assert info.value.state == review(NEW, 5, D)
        assert [(e.card_id, e.grade) for e in info.value.today_log] == [("a", 5)]
        assert [r.grade for r in one.history("deck")] == [5]


def test_a_second_deciding_grade_on_one_day_is_a_conflict(tmp_path: Path) -> None:
    from quizzer.store import Conflict

    with Store.open(tmp_path / "q.db") as store:
        first = event("a", 2)
        store.record("deck", first, AT)
        again = Event("a", "schedule", 5, D, first.after, review(first.after, 5, D))
        with pytest.raises(Conflict):
            store.record("deck", again, AT)


def test_undo_refuses_when_another_session_graded_the_card_later(tmp_path: Path) -> None:
    from quizzer.store import UndoRefused

    with Store.open(tmp_path / "q.db") as mine, Store.open(tmp_path / "q.db") as theirs:
        first = event("a", 2)
        rid = mine.record("deck", first, AT)
        theirs.record("deck", Event("a", "drill", 5, D, first.after, first.after), AT)
        with pytest.raises(UndoRefused, match="another session graded this card after you"):
            mine.undo("deck", rid, first)
        assert mine.states("deck")["a"] == first.after
        assert len(mine.history("deck")) == 2
        theirs.undo("deck", rid + 1, Event("a", "drill", 5, D, first.after, first.after))
        with pytest.raises(UndoRefused, match="no longer in the database"):
            theirs.undo("deck", rid + 1, Event("a", "drill", 5, D, first.after, first.after))
        mine.undo("deck", rid, first)
        assert mine.states("deck") == {} and mine.history("deck") == []


def test_reads_in_a_snapshot_do_not_see_a_write_made_meanwhile(tmp_path: Path) -> None:
    with Store.open(tmp_path / "q.db") as reader, Store.open(tmp_path / "q.db") as writer:
        writer.record("deck", event("a", 5), AT)
        with reader.snapshot():
            states = reader.states("deck")
            writer.record("deck", event("b", 5), AT)  # WAL: the writer does not wait
            log = reader.today_log("deck", D)
        assert set(states) == {"a"} and [e.card_id for e in log] == ["a"]
        assert [e.card_id for e in reader.today_log("deck", D)] == ["a", "b"]


def test_shipped_migrations_never_change() -> None:
    """Every database in the field ran these statements: a new schema is a new step.
    (The digest is that of the steps as released; only appending a step may change
    it, and then this line gains the new value with the step.)"""
    import hashlib
    import json

    from quizzer import store as store_module

    steps = json.dumps(store_module._MIGRATIONS[:3]).encode()
    assert hashlib.sha256(steps).hexdigest() == (
        "2e12451ba288baa06f8891af494e11da6fa7f4e9d121a31ded1da02ddd6b6bf0")
