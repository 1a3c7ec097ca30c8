"""The config file: precedence (option > environment > file > default), every bad-config
case as one line, and `quizzer config` reporting where each setting came from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer.cli import app

runner = CliRunner()
DAY = "2026-12-01"


@pytest.fixture
def config_file() -> Path:
    # conftest points QUIZZER_CONFIG here; the folder does not exist yet.
    path = Path(os.environ["QUIZZER_CONFIG"])
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def invoke(*args: str, input: str | None = None,
           env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input,
                           env={"QUIZZER_TODAY": DAY, "COLUMNS": "160", **(env or {})})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def new_today(*args: str, env: dict[str, str] | None = None) -> int:
    code, out, err = invoke("due", "--json", *args, env=env)
    assert code == 0, err
    value = json.loads(out)["new"]
    assert isinstance(value, int)
    return value


def test_precedence_option_then_environment_then_file_then_default(config_file: Path) -> None:
    assert new_today() == 19  # default 20, and the deck has 19 cards
    config_file.write_text("new_per_day = 3\n")
    assert new_today() == 3
    assert new_today(env={"QUIZZER_NEW_PER_DAY": "5"}) == 5
    assert new_today("--new", "7", env={"QUIZZER_NEW_PER_DAY": "5"}) == 7


def test_a_config_limit_applies_to_review_as_to_due(config_file: Path) -> None:
    config_file.write_text("new_per_day = 2\n")
    assert new_today() == 2
    # Two cards, each answered and graded 5; the session then ends on its own.
    code, out, _ = invoke("review", input="x\n5\ny\n5\n")
    assert code == 0 and "Session summary" in out
    code, out, _ = invoke("due", "--json")
    assert json.loads(out)["new"] == 0 and json.loads(out)["total"] == 0


def test_config_decks_db_and_day_start_are_used(config_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "elsewhere.db"
    config_file.write_text(f'decks = ["ch11-extras"]\ndb = "{db}"\n')
    # QUIZZER_DB (set by conftest) is an environment variable and would win over the file.
    code, out, err = invoke("due", "--json", env={"QUIZZER_DB": ""})
    assert code == 0, err
    assert json.loads(out)["deck"] == "ch11-extras"
    assert db.is_file()


def test_help_shows_the_values_in_force(config_file: Path) -> None:
    config_file.write_text("new_per_day = 3\nreviews_per_day = 77\n")
    for command in ("due", "review"):
        code, out, _ = invoke(command, "--help")
        assert code == 0
        assert "[default: 3]" in out and "[default: 77]" in out, command


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("colour = 'red'\n", "colour", "unknown key"),
    ("new_per_day = -1\n", "new_per_day", "-1 is not valid"),
    ("reviews_per_day = 'lots'\n", "reviews_per_day", "'lots' is not valid"),
    ("day_start = 24\n", "day_start", "24 is not valid"),
    ("leech_lapses = 0\n", "leech_lapses", "0 is not valid"),
    ("new_per_day = 2.5\n", "new_per_day", "2.5 is not valid"),
    ("new_per_day = true\n", "new_per_day", "True is not valid"),
    ("decks = 'ch11'\n", "decks", "'ch11' is not valid"),
    ("decks = []\n", "decks", "[] is not valid"),
    ("decks = ['ch11', 3]\n", "decks.1", "3 is not valid"),
    ("decks = ['  ']\n", "decks", "an empty deck name"),
    ("db = ''\n", "db", "'' is not valid"),
    ("new_per_day = \n", "", "not valid TOML"),
    ("[limits]\nnew = 3\n", "limits", "unknown key"),
])
def test_a_bad_config_is_one_line_naming_file_key_and_problem(
    config_file: Path, text: str, key: str, problem: str,
) -> None:
    config_file.write_text(text)
    code, out, err = invoke("due", "--json")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {config_file}: {key}")
    assert problem in lines[0]


def test_a_config_that_is_not_utf8_or_is_a_folder(config_file: Path) -> None:
    config_file.write_bytes(b"db = '\xff'\n")
    code, _, err = invoke("cards")
    assert code == 1 and "not UTF-8" in err and str(config_file) in err
    config_file.unlink()
    config_file.mkdir()
    code, _, err = invoke("cards")
    assert code == 1 and "is a folder" in err


def test_config_command_names_each_source(config_file: Path) -> None:
    config_file.write_text("new_per_day = 3\nday_start = 5\n")
    code, out, _ = invoke("config", "--json", env={"QUIZZER_DAY_START": "6"})
    assert code == 0
    data = json.loads(out)
    assert data["file"] == str(config_file) and data["exists"] is True
    settings = data["settings"]
    assert settings["new_per_day"] == {"value": 3, "source": "config file"}
    assert settings["day_start"] == {"value": 6, "source": "environment (QUIZZER_DAY_START)"}
    assert settings["reviews_per_day"] == {"value": 200, "source": "default"}
    assert settings["decks"] == {"value": ["ch11"], "source": "default"}
    code, out, _ = invoke("config")
    assert code == 0 and "new_per_day = 3" in out and "# config file" in out


def test_config_path_works_even_when_the_file_is_broken(config_file: Path) -> None:
    code, out, _ = invoke("config", "--path")
    assert code == 0 and out == f"{config_file}\n"
    config_file.write_text("nonsense = 1\n")
    code, out, _ = invoke("config", "--path")
    assert code == 0 and out == f"{config_file}\n"
    code, out, err = invoke("config")
    assert code == 1 and "nonsense: unknown key" in err and out == ""


def test_without_quizzer_config_the_platform_directory_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.delenv("QUIZZER_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    from quizzer.config import config_path

    assert config_path() == tmp_path / "xdg" / "quizzer" / "config.toml"


def complete(words: str, shell: str = "bash") -> list[str]:
    """What the shell is offered for the last word of `words` (typer's completion)."""
    env = {"_QUIZZER_COMPLETE": f"complete_{shell}", "COMP_WORDS": words,
           "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
           "_TYPER_COMPLETE_ARGS": words}
    result = runner.invoke(app, [], env=env, prog_name="quizzer")
    assert result.exit_code == 0
    return [line for line in result.stdout.splitlines() if line]


def test_completion_offers_card_numbers_ids_and_deck_names(config_file: Path) -> None:
    offered = complete("quizzer show ")
    assert offered[:19] == [str(n) for n in range(1, 20)]
    assert "deep-net-problems" in offered and "swish" in offered
    assert complete("quizzer show 1") == ["1", *[str(n) for n in range(10, 20)]]
    assert complete("quizzer mark sw") == ["swish"]
    assert complete("quizzer demo --deck ch11-extras clip") == ["clipping-where", "clipping-how"]
    assert complete("quizzer due --deck ch") == ["ch11", "ch11-extras"]
    # zsh is also offered each card's question as its description.
    assert "Describe the vanishing gradient problem" in "".join(
        complete("quizzer show va", shell="zsh"))
    # With a database, through the deck's index: the same offers.
    assert runner.invoke(app, ["due"]).exit_code == 0
    assert complete("quizzer show ") == offered
    assert complete("quizzer show 1") == ["1", *[str(n) for n in range(10, 20)]]
    assert "Describe the vanishing gradient problem" in "".join(
        complete("quizzer show va", shell="zsh"))
    config_file.write_text('decks = ["~/decks/ch12"]\n')
    assert "~/decks/ch12" in complete("quizzer review --deck ")
    # The default deck is now one that does not exist: no suggestion, and no error.
    assert complete("quizzer show ") == []


def test_completion_scripts_are_shown() -> None:
    result = runner.invoke(app, ["--show-completion", "bash"], prog_name="quizzer")
    # It failed once (exit code 1) in a full run and never again: say why if it does.
    assert result.exit_code == 0, (result.output, result.stderr, repr(result.exception))
    assert "_QUIZZER_COMPLETE=complete_bash" in result.stdout
    assert "complete -o default -F _quizzer_completion quizzer" in result.stdout
