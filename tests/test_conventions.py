"""CLI conventions: help that wraps cleanly, narrow terminals, unwrapped pipes, status on
stderr, the JSON shapes of `show` and `validate`, and `due --on`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer.cli import app
from tests.conftest import CONTENT

runner = CliRunner()
DAY = "2026-12-01"


def invoke(*args: str, input: str | None = None, columns: int = 160,
           today: str = DAY) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input,
                           env={"QUIZZER_TODAY": today, "COLUMNS": str(columns)})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_help_paragraphs_wrap_cleanly_at_80_columns() -> None:
    for command in app.registered_commands:
        name = command.name or command.callback.__name__  # type: ignore[union-attr]
        code, out, _ = invoke(name, "--help", columns=80)
        assert code == 0
        description = out.split("Usage:", 1)[1].split("╭", 1)[0].splitlines()[1:]
        lines = [line.strip() for line in description]
        for line, following in zip(lines, [*lines[1:], ""], strict=True):
            # A line that stops short is the end of its paragraph, never mid-sentence.
            if line and following:
                assert len(line) > 60, (name, line)


def test_cards_at_60_columns_keeps_numbers_ids_and_dates_whole() -> None:
    invoke("review", input="\n5\n\n4\nq\n")
    code, out, _ = invoke("cards", columns=60)
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 60
    data = json.loads(invoke("cards", "--json")[1])
    for card in data:
        row = next(line for line in lines if re.match(rf"\s*{card['number']}\s", line))
        assert f" {card['id']} " in row
        if card["due"]:
            assert card["due"] in row
    assert "…" not in out
    assert "question" in lines[1]  # the question column is kept, wrapped


def test_piped_output_is_never_wrapped(tmp_path: Path) -> None:
    deck = tmp_path / ("a-folder-with-a-long-name-" * 3) / "ch11"
    shutil.copytree(CONTENT / "ch11", deck)
    code, out, _ = invoke("validate", str(deck), columns=80)
    assert code == 0
    assert out == f"ok: {deck}: deck 'ch11', 19 cards, 19 with demos\n"


def test_status_lines_go_to_stderr_and_data_to_stdout(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    code, out, err = invoke("export", "--no-demos", "-o", str(target))
    assert code == 0 and out == "" and f"Wrote {target}" in err
    code, out, err = invoke("export", "--no-demos", "-o", "-")
    assert code == 0 and out.startswith("# ") and "Wrote" not in err


def test_show_json_shape() -> None:
    invoke("review", input="my own words\n4\nq\n")
    code, out, _ = invoke("show", "1", "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == ["deck", "id", "number", "question", "section", "state",
                          "repetitions", "interval", "ease", "due", "lapses", "demo", "leech",
                          "pages", "tags", "answer", "correction", "key_points", "history"]
    assert data["id"] == "deep-net-problems" and data["deck"] == "ch11"
    assert data["state"] == "review" and data["due"] == "2026-12-02"
    assert all(list(p) == ["text", "match"] for p in data["key_points"])
    [review] = data["history"]
    assert list(review) == ["reviewed_at", "day", "kind", "grade", "interval", "ease",
                            "seconds", "answer"]
    assert review["answer"] == "my own words" and review["grade"] == 4
    assert review["day"] == DAY


def test_validate_json_shape_for_a_good_and_a_broken_deck(tmp_path: Path) -> None:
    code, out, _ = invoke("validate", "--json")
    assert code == 0
    assert json.loads(out) == {"ok": True, "path": str(CONTENT / "ch11"), "deck": "ch11",
                               "cards": 19, "demos": 19, "problems": []}
    deck = tmp_path / "deck"
    shutil.copytree(CONTENT / "ch11-extras", deck)
    card = next(p for p in sorted(deck.iterdir()) if p.name != "deck.yaml")
    card.write_text(card.read_text().replace("number:", "numbr:", 1))
    code, out, _ = invoke("validate", str(deck), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False and data["path"] == str(deck)
    assert data["problems"] and all(list(p) == ["file", "line", "field", "message"]
                                    for p in data["problems"])
    assert any(p["file"] == str(card) for p in data["problems"])


def test_due_on_a_later_day_plans_without_quizzer_today() -> None:
    invoke("review", input="\n5\n\n5\nq\n")  # two cards, each due again on 12-02
    code, out, _ = invoke("due", "--json", "--on", "2026-12-02")
    assert code == 0
    planned = json.loads(out)
    code, out, _ = invoke("due", "--json", today="2026-12-02")
    assert planned == json.loads(out)
    assert planned["today"] == "2026-12-02" and planned["due"] == 2


@pytest.mark.parametrize(("value", "message"), [
    ("tomorrow", "--on 'tomorrow' is not a date"),
    ("2026-11-30", "give a day from today (2026-12-01)"),
])
def test_due_on_refuses_a_bad_or_past_day(value: str, message: str) -> None:
    code, out, err = invoke("due", "--on", value)
    assert code == 1 and out == "" and message in err


def test_cards_of_a_large_deck_are_one_line_each(tmp_path: Path) -> None:
    """Past screens.WRAPPED_ROWS_LIMIT cards, `cards` prints one line per card within the
    terminal's width (in cells: wide characters count two), every id and date whole, the
    question cut with "…"."""
    from rich.cells import cell_len

    from quizzer.ui.screens import WRAPPED_ROWS_LIMIT

    deck = tmp_path / "big"
    deck.mkdir()
    (deck / "deck.yaml").write_text("id: big\ntitle: Big deck\nsections: [S]\n")
    n = WRAPPED_ROWS_LIMIT + 5
    for i in range(1, n + 1):
        question = f"Question {i}: " + ("a fairly long question " * 4) + "with an end?"
        if i == 7:
            question = "中文的问题" * 10
        (deck / f"c{i:05d}.yaml").write_text(
            f'id: card-{i}\nnumber: {i}\nsection: S\nquestion: "{question}"\n'
            "answer: It is.\n")
    code, out, err = invoke("cards", "--deck", str(deck), columns=80)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Big deck (big)" and len(lines) == 3 + n
    assert max(cell_len(line) for line in lines) <= 80
    for i in (1, 7, n):
        assert re.match(rf"\s*{i}  card-{i} ", lines[2 + i]), lines[2 + i]
    assert "…" in lines[3] and "中文" in lines[2 + 7] and "…" in lines[2 + 7]
    assert lines[3].rstrip().endswith("0")  # the last column, lapses, is there
