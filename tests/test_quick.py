"""The quick `due` (quizzer/quick.py) answers exactly as the full CLI does, or leaves the
command to it; `review` grades through a Store opened at the first grade."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer.cli import app
from quizzer.indexdb import SCHEMA_VERSION as LIGHT_SCHEMA_VERSION
from quizzer.model import Event, Exam
from quizzer.quick import quick
from quizzer.scheduler import NEW, review
from quizzer.store import SCHEMA_VERSION, Store

DAY = date(2026, 12, 1)
DECK = "id: mine\ntitle: My deck\nsections: [Basics]\n"


def card(cid: str, number: int) -> str:
    return (f"id: {cid}\nnumber: {number}\nsection: Basics\nquestion: What is {cid}?\n"
            f"answer: It is {cid}.\n")


@pytest.fixture
def deck(tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 30-card deck with a history: cards due (some overdue), cards graded today (two
    to re-drill), cards not due yet, and new cards."""
    d = tmp_path / "deck"
    d.mkdir()
    (d / "deck.yaml").write_text(DECK)
    for n in range(1, 31):
        (d / f"c{n:02d}.yaml").write_text(card(f"c{n}", n))
    monkeypatch.setenv("QUIZZER_DECK", str(d))
    monkeypatch.setenv("QUIZZER_TODAY", DAY.isoformat())
    events = []
    for n in range(1, 21):
        first = DAY - timedelta(days=n)
        state = review(NEW, 4, first)
        events.append((Event(f"c{n}", "schedule", 4, first, NEW, state), datetime(2026, 1, 1)))
        if n in (3, 4):  # graded today, failed: re-drills
            again = review(state, 1, DAY)
            events.append((Event(f"c{n}", "schedule", 1, DAY, state, again),
                           datetime(2026, 12, 1, 9)))
    with Store.open(isolated_env) as store:
        store.import_history("mine", events)
    return d


def full(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["due", *args], env={"COLUMNS": "80"})
    return result.exit_code, result.stdout


def quick_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[bool, str]:
    answered = quick(["due", *args])
    return answered, capsys.readouterr().out


def test_the_schema_version_is_known_without_the_store() -> None:
    assert LIGHT_SCHEMA_VERSION == SCHEMA_VERSION


def agree(capsys: pytest.CaptureFixture[str],
          monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The quick path answers, and says what the full CLI says, in JSON and as a table."""
    monkeypatch.setenv("COLUMNS", "80")
    full("--json")  # the full CLI brings the index in step first
    answered, quick_json = quick_run(capsys, "--json")
    assert answered
    code, full_json = full("--json")
    assert code == 0 and json.loads(quick_json) == json.loads(full_json)
    answered, quick_table = quick_run(capsys)
    assert answered and quick_table == full()[1]
    data: dict[str, object] = json.loads(quick_json)
    return data


def test_quick_due_says_what_the_cli_says(deck: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data = agree(capsys, monkeypatch)
    assert (data["redrill"], data["new"]) == (2, 10)
    assert data["due"] == 18  # cards 1-20 but the two graded today


def test_quick_due_follows_the_limits_from_env_and_config(
    deck: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = Path(os.environ["QUIZZER_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text("new_per_day = 3\nreviews_per_day = 50\n")
    assert (agree(capsys, monkeypatch)["new"], agree(capsys, monkeypatch)["due"]) == (3, 18)
    monkeypatch.setenv("QUIZZER_REVIEWS_PER_DAY", "7")
    # Today's two decided reviews count against the limit of 7.
    assert agree(capsys, monkeypatch)["due"] == 5


def test_quick_due_with_an_exam_date(deck: Path, isolated_env: Path,
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with Store.open(isolated_env) as store:
        store.set_exam("mine", Exam(DAY + timedelta(days=4), 3, DAY))
    data = agree(capsys, monkeypatch)
    assert data["days_left"] == 4 and data["new"] == 10  # the limit is raised to fit


def test_quick_due_sees_an_edit_and_a_deletion(deck: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    agree(capsys, monkeypatch)
    (deck / "c25.yaml").write_text(card("c25-renamed", 25))  # still new: same counts
    (deck / "c05.yaml").unlink()  # a due card gone
    (deck / "c99.yaml").write_text(card("c99", 99))
    # The quick path reads the changes itself, before the full CLI has seen them.
    answered, out = quick_run(capsys, "--json")
    assert answered and json.loads(out)["due"] == 17 and json.loads(out)["new"] == 11
    assert json.loads(full("--json")[1]) == json.loads(out)


def test_quick_due_leaves_what_it_cannot_answer_to_the_cli(
    deck: Path, isolated_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    full("--json")
    assert quick_run(capsys)[0]
    # Options and other commands.
    assert not quick(["due", "--new", "3"]) and not quick(["cards"])
    # Several decks, from the environment.
    monkeypatch.setenv("QUIZZER_DECK", f"{deck} ch11")
    assert not quick(["due"])
    monkeypatch.setenv("QUIZZER_DECK", str(deck))
    # A value the CLI must judge.
    monkeypatch.setenv("QUIZZER_NEW_PER_DAY", "-1")
    assert not quick(["due"])
    monkeypatch.delenv("QUIZZER_NEW_PER_DAY")
    # A broken card: the CLI reports it, with the file and line.
    (deck / "c07.yaml").write_text("id: c7\nnumber: [\n")
    assert not quick(["due"])
    code, _ = full()
    assert code == 1
    (deck / "c07.yaml").write_text(card("c7", 7))
    # A database at an older schema: the Store migrates it.
    con = sqlite3.connect(isolated_env)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
    con.close()
    assert not quick(["due"])
    # No database yet: the CLI creates it after checking the deck.
    monkeypatch.setenv("QUIZZER_DB", str(tmp_path / "new" / "q.db"))
    assert not quick(["due"]) and not (tmp_path / "new" / "q.db").exists()
    assert capsys.readouterr().out == ""  # nothing printed by a quick path that declined


def run_main(args: list[str], env: dict[str, str],
             stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`quizzer ARGS` in a fresh process, reporting on stderr which libraries it loaded."""
    code = ("import sys\nfrom quizzer.__main__ import run\n"
            f"sys.argv = ['quizzer', *{args!r}]\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('sqlalchemy', 'typer', 'pydantic', 'yaml', "
            "'rich.markdown') if m in sys.modules), file=sys.stderr)")
    return subprocess.run([sys.executable, "-c", code], env=env, input=stdin,
                          capture_output=True, text=True, check=True)


def test_a_plain_due_loads_no_framework(deck: Path) -> None:
    env = dict(os.environ)
    first = run_main(["due", "--json"], env)
    second = run_main(["due", "--json"], env)
    assert json.loads(second.stdout) == json.loads(first.stdout)
    assert second.stderr.strip().splitlines()[-1] == "[]"


def test_review_opens_the_store_at_the_first_grade(deck: Path, isolated_env: Path) -> None:
    env = dict(os.environ, COLUMNS="80")
    # Quitting at the first card: nothing to write, so SQLAlchemy is never loaded.
    quitted = run_main(["review", "--plain"], env, stdin="\nq\n")
    assert "sqlalchemy" not in quitted.stderr.splitlines()[-1]
    # A grade opens the Store, and is committed.
    graded = run_main(["review", "--plain"], env, stdin="\n4\nq\n")
    assert "sqlalchemy" in graded.stderr.splitlines()[-1]
    with Store.open(isolated_env) as store:
        assert len(store.today_log("mine", DAY)) == 3


def transcript(text: str) -> str:
    # The only line that may differ between two runs is the time the session took.
    return "\n".join("Time spent" if line.startswith("Time spent") else line.rstrip()
                     for line in text.splitlines())


@pytest.mark.parametrize("ready", [False, True])
def test_quick_review_runs_the_session_the_cli_runs(tmp_path: Path, ready: bool) -> None:
    """The same answers and grades, through the quick path (a fresh process) and through
    the CLI: the same screens and the same schedules stored. With a new database (the
    Store creates it) and with one that is ready (read through the bare connection)."""
    answers = "\n4\nsome answer about gradients\n2\n\nu\n\n5\nq\n"
    outputs, states = [], []
    for way in ("quick", "cli"):
        db = tmp_path / f"{way}.db"
        env = dict(os.environ, QUIZZER_DB=str(db), QUIZZER_TODAY=DAY.isoformat(),
                   COLUMNS="80")
        if ready:
            with Store.open(db):
                pass
        if way == "quick":
            done = run_main(["review"], env, stdin=answers)
            assert "typer" not in done.stderr.splitlines()[-1]  # the quick path ran
            outputs.append(transcript(done.stdout))
        else:
            result = CliRunner().invoke(app, ["review"], input=answers, env=env)
            assert result.exit_code == 0
            outputs.append(transcript(result.stdout))
        with Store.open(db) as store:
            states.append(store.states("ch11"))
    assert outputs[0] == outputs[1] and "Session summary" in outputs[0]
    assert states[0] == states[1] and len(states[0]) == 2


def test_quick_review_reports_a_broken_deck_as_the_cli_does(deck: Path) -> None:
    (deck / "c07.yaml").write_text("id: c7\nnumber: [\n")
    env = dict(os.environ, COLUMNS="80")
    code = ("import sys\nfrom quizzer.__main__ import run\nsys.argv = ['quizzer', 'review']\n"
            "run()\n")
    quick_way = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                               text=True)
    cli_way = CliRunner().invoke(app, ["review"], env={"COLUMNS": "80"})
    assert quick_way.returncode == cli_way.exit_code == 1
    assert quick_way.stderr == cli_way.stderr and "c07.yaml:3" in quick_way.stderr


@pytest.mark.parametrize("seed", range(4))
def test_a_review_with_an_exam_date_loads_only_todays_cards_and_grades_as_the_whole_deck(
    isolated_env: Path, seed: int
) -> None:
    """With an exam date, `review` loads only the cards of today's queue (the window rule
    counts every card's due date from the store): grading through it stores exactly what
    a session over the whole deck would."""
    import random

    from quizzer.commands import load_deck_files
    from quizzer.session import Session

    rng = random.Random(seed)
    deck = load_deck_files(None)
    events = []
    for c in deck.cards:
        if rng.random() < 0.6:
            first = DAY - timedelta(days=rng.randint(2, 40))
            state = review(NEW, rng.choice([3, 4, 5]), first)
            events.append((Event(c.id, "schedule", 4, first, NEW, state), datetime(2026, 1, 1)))
    exam = Exam(DAY + timedelta(days=rng.randint(4, 6)), 3, DAY)
    with Store.open(isolated_env) as store:
        store.import_history("ch11", events)
        store.set_exam("ch11", exam)
        states, log = store.states("ch11"), store.today_log("ch11", DAY)
    # The whole deck, as the session once was built: grade every card 4, in order.
    whole = Session.start(deck.cards, states, log, DAY, 2, 200, exam=exam)
    while whole.current is not None:
        whole.apply(whole.grade(4 if whole.current.kind == "schedule" else 5))
    graded = len(whole.history)
    assert graded > 0 and whole.new_limit > 2  # the exam raised the new-card limit
    env = dict(os.environ, QUIZZER_TODAY=DAY.isoformat(), QUIZZER_NEW_PER_DAY="2")
    answers = "".join("\n4\n" if s.event.kind == "schedule" else "\n5\n"
                      for s in whole.history) + "q\n"
    run_main(["review"], env, stdin=answers)
    with Store.open(isolated_env) as store:
        assert store.states("ch11") == whole.states
        assert len(store.today_log("ch11", DAY)) == graded
