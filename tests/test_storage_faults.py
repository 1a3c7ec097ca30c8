"""Storage faults: each is one clear line on stderr, a non-zero exit, no traceback, and
no change to any file that is not quizzer's; a grade that cannot be saved yet is kept."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer.cli import app
from quizzer.review import Reviewer, commit_grade, run_review
from quizzer.session import Session
from quizzer.store import Store, StoreBusy, StoreWriteError
from tests.helpers import cards

DAY = date(2026, 12, 1)
runner = CliRunner()


def fails_with_one_line(*args: str, input: str | None = None,
                        env: dict[str, str] | None = None) -> str:
    result = runner.invoke(app, list(args), input=input,
                           env={"QUIZZER_TODAY": "2026-12-01", "COLUMNS": "200", **(env or {})})
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_parent_of_the_database_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("mine")
    line = fails_with_one_line("due", "--db", str(tmp_path / "plain" / "q.db"))
    assert "cannot create the folder" in line
    assert (tmp_path / "plain").read_text() == "mine"


@pytest.mark.parametrize(("ddl", "version", "holds"), [
    ("CREATE TABLE notes (body TEXT)", 0, "notes"),
    ("CREATE TABLE settings (k, v)", 1, "settings"),  # a version, but not quizzer's tables
])
def test_another_programs_sqlite_file_is_left_alone(
    tmp_path: Path, ddl: str, version: int, holds: str
) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute(ddl)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    line = fails_with_one_line("due", "--db", str(db))
    assert f"another program's SQLite file (it holds {holds})" in line
    assert db.read_bytes() == before


def test_negative_schema_version_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = -1")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    assert "schema version -1" in fails_with_one_line("due", "--db", str(db))
    assert db.read_bytes() == before


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_databases_are_refused(url: str) -> None:
    line = fails_with_one_line("review", "--db", url, input="x\n4\n")
    assert "in-memory database would save nothing" in line


def test_read_only_database_is_reported_before_the_first_card(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    Store.open(db).close()
    before = db.read_bytes()
    result = runner.invoke(app, ["review", "--db", f"sqlite:///file:{db}?mode=ro&uri=true"],
                           input="x\n4\n", env={"QUIZZER_TODAY": "2026-12-01"})
    assert result.exit_code == 1 and "read-only" in result.stderr
    assert "Your answer" not in result.stdout and "Traceback" not in result.output
    assert db.read_bytes() == before


def test_read_only_folder_is_reported_before_the_first_card(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "q.db"
    Store.open(db).close()
    folder.chmod(0o555)
    prefix: list[str] = []
    if os.geteuid() == 0:  # root ignores permissions unless it gives up the capability
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    env = dict(os.environ, QUIZZER_DB=str(db), QUIZZER_TODAY="2026-12-01")
    try:
        result = subprocess.run([*prefix, sys.executable, "-m", "quizzer", "review"],
                                input="x\n4\n", capture_output=True, text=True, env=env)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 1
    assert "read-only" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Your answer" not in result.stdout and "Traceback" not in result.stderr


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[tuple[Store, list[int]]]:
    """A store whose database may not grow past `limit[0]` pages (0: no limit), as on a
    full disk; SQLite then fails the write with SQLITE_FULL."""
    from sqlalchemy import event

    store = Store.open(tmp_path / "q.db")
    limit = [0]

    @event.listens_for(store._engine, "checkout")
    def _limit(dbapi_connection: sqlite3.Connection, *_: object) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {limit[0] or 2**31 - 2}")
        if limit[0]:
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    yield store, limit
    store.close()


def test_full_disk_keeps_the_grade_and_the_session_can_retry(
    tiny_disk: tuple[Store, list[int]]
) -> None:
    store, limit = tiny_disk
    session = Session.start(cards(2), {}, [], DAY)
    big = "a long typed answer " * 500  # needs new pages in the log
    limit[0] = 1
    event = session.grade(4, big, 3.0)
    with pytest.raises(StoreWriteError, match="the disk is full"):
        commit_grade(store, session, "deck", event, lambda: datetime(2026, 12, 1, 9))
    assert session.done == 0 and session.current is not None
    assert session.current.card.id == "card-1" and store.history("deck") == []
    limit[0] = 0  # space was freed
    commit_grade(store, session, "deck", event, lambda: datetime(2026, 12, 1, 9))
    assert [(r.card_id, r.grade, r.answer) for r in store.history("deck")] == [
        ("card-1", 4, big)]


def test_full_disk_in_a_review_shows_the_message_and_retries_the_kept_grade(
    tiny_disk: tuple[Store, list[int]], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from quizzer.cards import Deck, DeckMeta

    store, limit = tiny_disk
    deck = Deck(Path("deck"), DeckMeta(id="deck", title="T", sections=("Only section",)),
                tuple(cards(1)))
    session = Session.start(deck.cards, {}, [], DAY)
    attempts = iter([True, False])

    # The disk is full for the first attempt only: the user then retries with Enter.
    real_record = store.record

    def record(*args: object, **kwargs: object) -> int:
        limit[0] = 1 if next(attempts, False) else 0
        return real_record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "record", record)
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setattr(sys, "stdin", io.StringIO("my answer " * 900 + "\n4\n\n"))
    reviewer = Reviewer(session, deck, store, lambda: datetime(2026, 12, 1, 9))
    run_review(reviewer, lambda c: None)
    out = capsys.readouterr().out
    assert "the disk is full" in out and "Grade 4 is kept" in out, out
    assert "Next review in 1 day(s)" in out
    assert [(r.grade, r.answer.startswith("my answer")) for r in store.history("deck")] == [
        (4, True)]


def test_a_locked_database_is_waited_for_with_a_notice(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    store = Store.open(db, busy_timeout=0.05)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    session = Session.start(cards(1), {}, [], DAY)
    said: list[str] = []

    def notice(line: str) -> None:
        said.append(line)
        other.execute("COMMIT")  # the other program finishes while we wait

    commit_grade(store, session, "deck", session.grade(5, "typed"),
                 lambda: datetime(2026, 12, 1, 9), notice)
    assert len(said) == 1 and "locked by another program; waiting up to 120 s" in said[0]
    assert [r.grade for r in store.history("deck")] == [5]
    store.close()


def test_a_lock_held_past_the_limit_fails_and_keeps_the_grade(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    store = Store.open(db, busy_timeout=0.01)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    session = Session.start(cards(1), {}, [], DAY)
    clock = iter(range(0, 1000, 30))  # each attempt, 30 s pass on the monotonic clock
    with pytest.raises(StoreBusy, match="still locked by another program after 120 s"):
        commit_grade(store, session, "deck", session.grade(5, "typed"),
                     lambda: datetime(2026, 12, 1, 9), lambda _: None,
                     monotonic=lambda: float(next(clock)))
    assert session.done == 0 and session.current is not None
    other.execute("ROLLBACK")
    assert store.history("deck") == []
    store.close()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, QUIZZER_DB=str(tmp_path / "q.db"), QUIZZER_TODAY="2026-12-01",
                **extra)


@pytest.mark.parametrize("redirect", ["/dev/full", "closed"])
def test_stdout_full_or_closed_is_one_line(tmp_path: Path, redirect: str) -> None:
    if redirect == "closed":
        cmd = f"exec {sys.executable} -m quizzer due >&-"
    else:
        cmd = f"exec {sys.executable} -m quizzer due > /dev/full"
    result = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True,
                            env=_env(tmp_path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert "standard output" in line


@pytest.mark.parametrize("command", [["review"], ["export", "--no-demos", "-o", "-"], ["due"]])
def test_a_review_day_too_far_ahead_is_one_line(command: list[str]) -> None:
    line = fails_with_one_line(*command, input="x\n5\n", env={"QUIZZER_TODAY": "9999-12-31"})
    assert "QUIZZER_TODAY='9999-12-31' is out of range" in line


def test_show_with_a_superscript_digit_is_one_line() -> None:
    assert "no card '³'" in fails_with_one_line("show", "³")


def test_export_onto_a_symlink_writes_its_target(tmp_path: Path) -> None:
    target = tmp_path / "real.md"
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    result = runner.invoke(app, ["export", "--no-demos", "-o", str(link)],
                           env={"QUIZZER_TODAY": "2026-12-01"})
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_text().startswith("# Study summary")


def test_export_refuses_a_pipe_or_device(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    assert "is not a regular file" in fails_with_one_line("export", "--no-demos", "-o",
                                                          str(fifo))
    assert fifo.is_fifo()


def test_ctrl_c_while_loading_is_one_line_without_a_traceback() -> None:
    # Ctrl-C arrives while the CLI is still being imported: simulated exactly by an
    # import hook, so the test does not depend on timing.
    code = (
        "import builtins\nreal = builtins.__import__\n"
        "def hook(name, *a, **k):\n"
        "    if name == 'typer':\n        raise KeyboardInterrupt\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = hook\n"
        "from quizzer.__main__ import run\nrun()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 130
    assert "Traceback" not in result.stderr and "Interrupted" in result.stderr

