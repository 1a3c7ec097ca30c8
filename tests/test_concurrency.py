"""Two sessions on one database: nothing lost, no card decided twice on one review day;
and commands opening a new database at the same moment all succeed."""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DAY = "2026-12-01"
STATE = "repetitions, interval, ease, due, lapses"


def _env(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"QUIZZER_DB": str(db), "QUIZZER_TODAY": DAY, "COLUMNS": "100"})
    return env


def _script(seed: int, cards: int = 300) -> str:
    """Piped input for one session: an answer and a grade (or an undo) per card."""
    rng = random.Random(seed)
    lines = []
    for i in range(cards):
        lines.append(f"answer {seed}-{i}")
        lines.append(rng.choice(["0", "2", "3", "4", "5", "5", "4", "u"]))
    return "\n".join(lines) + "\n"


def check_consistent(db: Path) -> int:
    """card_state is the after-state of each card's last deciding row, and no card has
    two deciding rows on one review day. Returns the number of deciding rows."""
    conn = sqlite3.connect(db)
    states = {(d, c): tuple(rest) for d, c, *rest in conn.execute(
        f"SELECT deck, card_id, {STATE} FROM card_state")}
    last: dict[tuple[str, str], tuple[object, ...]] = {}
    for d, c, *after in conn.execute(
            "SELECT deck, card_id, after_repetitions, after_interval, after_ease, after_due, "
            "after_lapses FROM review_log WHERE kind = 'schedule' ORDER BY id"):
        last[(d, c)] = tuple(after)
    assert states == last
    twice = conn.execute(
        "SELECT deck, card_id, review_day, count(*) FROM review_log WHERE kind = 'schedule' "
        "GROUP BY deck, card_id, review_day HAVING count(*) > 1").fetchall()
    assert twice == []
    return len(last)


@pytest.mark.parametrize("seeds", [(1, 2), (3, 4)])
def test_two_review_sessions_at_once_lose_nothing(tmp_path: Path, seeds: tuple[int, int]) -> None:
    db = tmp_path / "q.db"
    # Create the database first, so both sessions start from the same empty schedule.
    subprocess.run([sys.executable, "-m", "quizzer", "due"], env=_env(db), check=True,
                   capture_output=True)
    inputs = []
    for seed in seeds:
        script = tmp_path / f"input-{seed}.txt"
        script.write_text(_script(seed), encoding="utf-8")
        inputs.append(script.open("rb"))
    # Input from files: both sessions run flat out from the first moment, side by side.
    procs = [subprocess.Popen(
        [sys.executable, "-m", "quizzer", "review", "--new", "100"],
        stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_env(db), text=True) for stdin in inputs]
    outputs = [p.communicate(timeout=120) for p in procs]
    for stdin in inputs:
        stdin.close()
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    assert check_consistent(db) == 19  # every card of the bundled deck decided once


def test_the_second_session_to_grade_a_card_gets_a_redrill_and_one_line(tmp_path: Path) -> None:
    from datetime import date, datetime

    from quizzer.review import commit_grade
    from quizzer.session import Session
    from quizzer.store import Store
    from tests.helpers import cards

    day, at = date(2026, 12, 1), datetime(2026, 12, 1, 9)
    db = tmp_path / "q.db"
    with Store.open(db) as one, Store.open(db) as two:
        first = Session.start(cards(2), one.states("deck"), one.today_log("deck", day), day)
        second = Session.start(cards(2), two.states("deck"), two.today_log("deck", day), day)
        commit_grade(one, first, "deck", first.grade(5, "mine"), lambda: at)
        said: list[str] = []
        stored = commit_grade(two, second, "deck", second.grade(2, "theirs"), lambda: at,
                              said.append)
        assert said == ["Another session already graded #1 today: your 2 counts as a "
                        "re-drill."]
        assert stored.kind == "drill" and second.states["card-1"] == first.states["card-1"]
        assert [(i.card.id, i.kind) for i in second.queue] == [
            ("card-2", "schedule"), ("card-1", "drill")]
        assert [(r.grade, r.kind) for r in one.history("deck")] == [
            (5, "schedule"), (2, "drill")]
    assert check_consistent(db) == 1


def test_a_migration_race_is_harmless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another command migrates the new database between this one's reading of the
    schema version and its migration: the worst moment of the race, made certain by
    running the other opener at exactly that point (a real second connection)."""
    from sqlalchemy import event

    from quizzer import store as store_module

    db = tmp_path / "new.db"
    make_engine = store_module._make_engine
    begins = 0
    other: list[int] = []

    def racing_engine(url: str, busy_timeout: float) -> object:
        engine = make_engine(url, busy_timeout)
        if other:
            return engine

        @event.listens_for(engine, "before_cursor_execute")
        def _other_command_wins(conn: object, cursor: object, statement: str,
                                *args: object) -> None:
            nonlocal begins
            if statement.startswith("BEGIN"):
                begins += 1
                if begins == 2:  # the version was read; the migration begins now
                    other.append(1)
                    with store_module.Store.open(db) as rival:
                        other.append(rival.schema_version())

        return engine

    monkeypatch.setattr(store_module, "_make_engine", racing_engine)
    with store_module.Store.open(db) as store:
        assert store.schema_version() == store_module.SCHEMA_VERSION
    assert other == [1, store_module.SCHEMA_VERSION]
    tables = [r[0] for r in sqlite3.connect(db).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'card_state'")]
    assert tables == ["card_state"]
