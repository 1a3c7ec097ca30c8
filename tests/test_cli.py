"""The commands, driven through typer's CliRunner with piped input."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer.cli import app
from quizzer.store import SCHEMA_VERSION

runner = CliRunner()
DAY = "2026-12-01"


def invoke(*args: str, input: str | None = None, today: str = DAY) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input, env={"QUIZZER_TODAY": today,
                                                                 "COLUMNS": "160"})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def due_json(today: str = DAY) -> dict[str, object]:
    code, out, _ = invoke("due", "--json", today=today)
    assert code == 0
    data: dict[str, object] = json.loads(out)
    return data


def cards_json() -> list[dict[str, object]]:
    code, out, _ = invoke("cards", "--json")
    assert code == 0
    data: list[dict[str, object]] = json.loads(out)
    return data


def test_version_and_help_for_every_command() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and out.startswith("quizzer ")
    for command in app.registered_commands:
        assert command.callback is not None and command.callback.__doc__, command.name
        name = command.name or command.callback.__name__
        code, out, _ = invoke(name, "--help")
        assert code == 0 and "Usage" in out


def test_fresh_install_has_the_whole_deck_new() -> None:
    assert due_json() == {"deck": "ch11", "today": DAY, "due": 0, "new": 19, "redrill": 0,
                          "total": 19, "next_due": None}
    listed = cards_json()
    assert [c["number"] for c in listed] == list(range(1, 20))
    assert listed[0]["state"] == "new" and listed[0]["ease"] == 2.5


def test_review_with_piped_input_grades_and_schedules() -> None:
    # Card 1: typed answer then 5. Card 2: empty answer then 2 (re-drill). Then quit.
    code, out, _ = invoke("review", input="vanishing gradients\n5\n\n2\n\nq\n")
    assert code == 0
    assert "Session summary" in out and re.search(r"Cards decided +2\b", out)
    by_id = {c["id"]: c for c in cards_json()}
    assert by_id["deep-net-problems"]["due"] == "2026-12-02"
    assert by_id["deep-net-problems"]["ease"] == 2.6
    assert by_id["vanishing-gradients"]["repetitions"] == 0
    today = due_json()
    assert today["redrill"] == 1 and today["new"] == 17


def test_typed_answer_and_history_are_shown() -> None:
    invoke("review", input="my own words\n4\nq\n")
    code, out, _ = invoke("show", "1")
    assert code == 0 and "my own words" in out and "Repetitions  1" in out


def test_invalid_grade_is_asked_again() -> None:
    code, out, _ = invoke("review", input="\n7\nmaybe\n4\nq\n")
    assert code == 0 and "'7' is not a grade" in out and "'maybe' is not a grade" in out
    assert cards_json()[0]["repetitions"] == 1


def test_undo_restores_the_earlier_state_exactly() -> None:
    invoke("review", input="\n5\n\nu\n\n3\nq\n")
    listed = cards_json()
    assert listed[0]["repetitions"] == 1 and listed[0]["ease"] == 2.36
    assert listed[1]["state"] == "new"


def test_eof_ends_the_session_cleanly() -> None:
    code, out, _ = invoke("review", input="\n4\n")
    assert code == 0 and "Session summary" in out
    assert cards_json()[0]["repetitions"] == 1


def test_next_days_bring_back_exactly_the_due_cards() -> None:
    invoke("review", "--new", "3", input="\n5\n\n5\n\n5\n")
    _code, out, _ = invoke("due", "--json", "--new", "3")
    assert json.loads(out)["new"] == 0  # the day's new-card limit was used
    _code, out, _ = invoke("due", "--json", "--new", "3", today="2026-12-02")
    tomorrow = json.loads(out)
    assert tomorrow["due"] == 3 and tomorrow["new"] == 3


def test_nothing_due_says_when_next() -> None:
    invoke("review", "--new", "1", input="\n5\n")
    code, out, _ = invoke("review", "--new", "1")
    assert code == 0 and "Nothing to review today" in out and "2026-12-02" in out


@pytest.mark.parametrize("decks", [[], ["--deck", "ch11", "--deck", "ch11-extras"]])
def test_due_names_the_next_due_date_after_the_day_not_an_overdue_one(
        decks: list[str]) -> None:
    invoke("review", *decks, "--new", "2", input="\n5\n\n2\n\n5\n")  # due 12-02, 12-02
    invoke("review", *decks, "--new", "0", "--reviews", "1", input="\n5\n", today="2026-12-03")
    code, out, _ = invoke("due", *decks, "--json", today="2026-12-03")
    data = json.loads(out)
    assert code == 0 and data["due"] == 1  # one card still due since 2026-12-02
    assert data["next_due"] > "2026-12-03"
    if decks:
        assert data["per_deck"][0]["next_due"] == data["next_due"]
    code, out, _ = invoke("due", *decks, today="2026-12-03")
    assert "2026-12-02" not in out


@pytest.mark.parametrize("decks", [[], ["--deck", "ch11", "--deck", "ch11-extras"]])
def test_nothing_more_today_past_the_review_limit_says_so_not_a_past_date(
        decks: list[str]) -> None:
    """Cards still due past today's review limit are not "next due" on a past day: the
    message says they wait, and how to raise the limit."""
    invoke("review", *decks, "--new", "2", input="\n5\n\n5\n")  # both due 2026-12-02
    invoke("review", *decks, "--new", "0", "--reviews", "1", input="\n5\n", today="2026-12-05")
    code, out, _ = invoke("review", *decks, "--new", "0", "--reviews", "1", today="2026-12-05")
    assert code == 0 and "Nothing more to review today (2026-12-05)" in out
    assert "1 due card waits" in out and "--reviews" in out
    assert "2026-12-02" not in out


def test_show_unknown_card_is_one_clear_line() -> None:
    code, out, err = invoke("show", "99")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "no card '99'" in err


def test_broken_deck_stops_review_before_anything_is_written(
    tmp_path: Path, isolated_env: Path
) -> None:
    deck = tmp_path / "deck"
    deck.mkdir()
    (deck / "deck.yaml").write_text("id: d\ntitle: T\nsections: [S]\n")
    (deck / "c.yaml").write_text("id: c\nnumber: 1\nsection: S\nquestion: [\n")
    code, _out, err = invoke("review", "--deck", str(deck), input="\n5\n")
    assert code == 1 and "c.yaml:" in err and "YAML syntax error" in err
    assert not isolated_env.exists()
    code, _, err = invoke("validate", str(deck))
    assert code == 1 and "c.yaml" in err


def test_validate_bundled_decks() -> None:
    for name in ("ch11", "ch11-extras"):
        code, out, _ = invoke("validate", name)
        assert code == 0 and out.startswith("ok:")


def test_extras_deck_is_separate() -> None:
    code, out, _ = invoke("due", "--json", "--deck", "ch11-extras")
    assert code == 0 and json.loads(out)["new"] == 4
    assert due_json()["new"] == 19


def test_newer_database_is_refused(isolated_env: Path) -> None:
    isolated_env.parent.mkdir(parents=True)
    conn = sqlite3.connect(isolated_env)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    code, _out, err = invoke("due")
    assert code == 1 and err.count("\n") == 1 and "newer" in err and str(isolated_env) in err


def test_bad_today_and_unknown_deck(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = invoke("due", today="2026-13-01")
    assert code == 1 and "QUIZZER_TODAY='2026-13-01'" in err
    code, _, err = invoke("due", "--deck", "no-such-deck")
    assert code == 1 and "no-such-deck" in err


def test_db_option_accepts_a_path_and_a_url(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.db"
    invoke("review", "--db", str(path), input="\n5\nq\n")
    assert path.exists()
    _code, out, _ = invoke("cards", "--json", "--db", f"sqlite:///{path}")
    assert json.loads(out)[0]["repetitions"] == 1


def test_editing_card_text_keeps_history(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import CONTENT

    deck = tmp_path / "ch11"
    shutil.copytree(CONTENT / "ch11", deck)
    invoke("review", "--deck", str(deck), input="\n4\nq\n")
    card = deck / "q01-deep-net-problems.yaml"
    card.write_text(card.read_text().replace("List some problems", "Name the problems"))
    code, out, _ = invoke("show", "deep-net-problems", "--deck", str(deck))
    assert code == 0 and "Name the problems" in out and "Repetitions  1" in out
    # A removed card keeps its history and is no longer scheduled.
    card.unlink()
    code, out, _ = invoke("due", "--json", "--deck", str(deck), today="2026-12-02")
    assert json.loads(out)["due"] == 0


def test_cli_defaults_match_the_session_defaults() -> None:
    from quizzer import cli, session

    assert (cli.DEFAULT_DAY_START, cli.DEFAULT_NEW_PER_DAY, cli.DEFAULT_REVIEWS_PER_DAY) == (
        session.DEFAULT_DAY_START, session.DEFAULT_NEW_PER_DAY, session.DEFAULT_REVIEWS_PER_DAY)
