"""The SQLite store: migrations, refusal of newer schemas, one transaction per grade."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

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
    steps = json.dumps(store_module._MIGRATIONS[:4]).encode()
    assert hashlib.sha256(steps).hexdigest() == (
        "013a727dc9a446a49b68f75e6db171e20ba147ae99888272d296c62872490dbe")
    steps = json.dumps(store_module._MIGRATIONS[:5]).encode()
    assert hashlib.sha256(steps).hexdigest() == (
        "6ad6c131fb5ea4e54980529dae6c1e5152b2a3b2e4e11acdffed1dc07ec32867")


# -- card_log: the log reduced per card, kept by triggers (migration step 4) ----------

def card_log(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT deck, card_id, reviews, seconds, last_id, answered_id FROM card_log "
            "ORDER BY deck, card_id").fetchall()
    finally:
        conn.close()


def day_log(db: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT deck, review_day, reviews, seconds, passed, deciding FROM day_log "
            "ORDER BY deck, review_day").fetchall()
    finally:
        conn.close()


def recount_days(db: Path) -> list[tuple[object, ...]]:
    """day_log computed afresh from every log row, in Python: a deciding grade is a
    scheduling one of a card that had a due date before it."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT deck, review_day, seconds, kind, grade, before_due "
                            "FROM review_log ORDER BY id").fetchall()
    finally:
        conn.close()
    out: dict[tuple[str, str], list[Any]] = {}
    for deck, day, seconds, kind, grade, before_due in rows:
        got = out.setdefault((deck, day), [deck, day, 0, 0.0, 0, 0])
        deciding = kind == "schedule" and bool(before_due)
        got[2] += 1
        got[3] += seconds
        got[4] += deciding and grade >= 3
        got[5] += deciding
    return [tuple(v) for _, v in sorted(out.items())]


def recount(db: Path) -> list[tuple[object, ...]]:
    """The same reduction computed afresh from every log row, in Python."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT deck, card_id, id, seconds, answer FROM review_log ORDER BY id").fetchall()
    finally:
        conn.close()
    out: dict[tuple[str, str], list[object]] = {}
    for deck, cid, rid, seconds, answer in rows:
        got = out.setdefault((deck, cid), [deck, cid, 0, 0.0, 0, None])
        got[2] = int(str(got[2])) + 1
        got[3] = float(str(got[3])) + seconds
        got[4] = rid
        if answer.strip():
            got[5] = rid
    return [tuple(v) for _, v in sorted(out.items())]


@pytest.mark.parametrize("seed", range(4))
def test_card_log_follows_every_grade_undo_edit_and_deletion(tmp_path: Path, seed: int) -> None:
    """Whatever writes the log (a grade, an undo, a bulk import, an edit or a deletion
    by hand), card_log and day_log say what the log says."""
    import random

    rng = random.Random(seed)
    db = tmp_path / "q.db"
    answers = ["", "  ", "typed", "\u3000", "\xa0x", "\n\t", "ok "]
    recorded: list[tuple[str, int, Event]] = []
    with Store.open(db) as store:
        for step in range(120):
            deck, cid = rng.choice(["d", "e"]), rng.choice("abcde")
            what = rng.random()
            if what < 0.55:
                state = store.states(deck).get(cid, NEW)
                ev = Event(cid, "drill" if rng.random() < 0.3 else "schedule",
                           rng.randint(0, 5), D + timedelta(days=step), state, state,
                           rng.choice(answers), rng.choice([0.0, 1.5, 2.25, 7.125]))
                if ev.kind == "schedule":
                    ev = Event(cid, "schedule", ev.grade, ev.day, state,
                               review(state, ev.grade, ev.day), ev.answer, ev.seconds)
                recorded.append((deck, store.record(deck, ev, AT), ev))
            elif what < 0.7 and recorded:
                deck, rid, ev = recorded.pop()
                store.undo(deck, rid, ev)
            elif what < 0.8:
                store.import_history(deck, [(event(cid, rng.randint(0, 5)), AT)])
                recorded = []  # a later row of the card: undo would refuse
            else:
                conn = sqlite3.connect(db)
                with conn:
                    ids = [r[0] for r in conn.execute("SELECT id FROM review_log")]
                    if ids:
                        rid = rng.choice(ids)
                        if rng.random() < 0.5:
                            conn.execute("DELETE FROM review_log WHERE id = ?", (rid,))
                        else:
                            conn.execute(
                                "UPDATE review_log SET card_id = ?, answer = ?, seconds = ? "
                                "WHERE id = ?",
                                (rng.choice("abcdef"), rng.choice(answers), 3.5, rid))
                conn.close()
                recorded = []  # undo refuses rows changed behind its back
            assert card_log(db) == recount(db), f"after step {step}"
            assert day_log(db) == recount_days(db), f"after step {step}"
    assert len(card_log(db)) > 3 and any(row[5] for row in day_log(db))
    from quizzer.scheduler import PASS

    assert PASS == 3, "day_log's triggers count grades of 3 or more as passed"


def test_migration_step_4_reduces_an_existing_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database written before card_log existed gets it filled from its whole log."""
    from quizzer import store as store_module

    db = tmp_path / "q.db"
    with monkeypatch.context() as m:
        m.setattr(store_module, "_MIGRATIONS", store_module._MIGRATIONS[:3])
        m.setattr(store_module, "SCHEMA_VERSION", 3)
        with Store.open(db) as store:
            store.import_history("d", [(event("a", 4), AT), (event("b", 2), AT),
                                       (Event("a", "drill", 3, D, NEW, NEW, " ", 1.0), AT)])
    assert sqlite3.connect(db).execute("PRAGMA user_version").fetchone()[0] == 3
    with Store.open(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.log_by_card("d")["a"][:2] == (2, 5.25)
    assert card_log(db) == recount(db) and len(card_log(db)) == 2
    assert day_log(db) == recount_days(db) and len(day_log(db)) == 1


@pytest.mark.parametrize("dropped", ["TABLE card_log", "TABLE day_log",
                                     "TRIGGER review_log_insert", "TRIGGER review_log_delete",
                                     "TABLE card_progress", "TRIGGER card_state_update_progress"])
def test_a_dropped_log_reduction_is_made_again_from_the_log(tmp_path: Path, dropped: str) -> None:
    """card_log and day_log are derived from the log: one dropped by hand (or a trigger
    of theirs) is made again when the database opens, and grades go on."""
    db = tmp_path / "q.db"
    with Store.open(db) as store:
        store.record("d", event("a", 4), AT)
        store.import_history("d", [(event("b", 2), AT)])
    conn = sqlite3.connect(db)
    conn.execute(f"DROP {dropped}")
    conn.commit()
    conn.close()
    with Store.open(db) as store:
        store.record("d", event("c", 5), AT)
        store.undo("d", store.record("d", event("e", 3), AT), event("e", 3))
        assert set(store.log_by_card("d")) == {"a", "b", "c"}
    assert card_log(db) == recount(db) and day_log(db) == recount_days(db)
