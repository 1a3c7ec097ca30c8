"""The plain line mode (pipes and --plain): the marking after the reveal, commands at the
answer prompt, the summary's counts, and a reveal that fits 24 rows."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from rich.console import Console
from typer.testing import CliRunner

from quizzer.cards import Card, load_deck
from quizzer.marker import mark
from quizzer.paths import resolve_deck
from quizzer.review import Progress
from quizzer.scheduler import NEW, outcomes
from quizzer.session import Item
from quizzer.ui import screens
from tests.test_cli import invoke

runner = CliRunner()


def test_reveal_prints_the_checklist_the_suggestion_and_one_grade_line() -> None:
    code, out, _ = invoke("review", "--plain",
                          input="vanishing or exploding gradients, too slow to train\n4\n")
    assert code == 0
    assert "✔" in out and "✘" in out and "Suggested grade" in out
    assert "5→1d  4→1d  3→1d↻  2→1d↻  1→1d↻  0→1d↻" in out
    assert re.search(r"Cards decided +1\b", out)


def test_u_and_q_at_the_answer_prompt_are_commands_not_answers() -> None:
    # Card 1 graded 5; at card 2's answer prompt `u` undoes it; card 1 again, graded 3;
    # at card 2's answer prompt `q` quits. Neither letter is ever stored as an answer.
    code, out, _ = invoke("review", input="first\n5\nu\nsecond\n3\nq\n")
    assert code == 0 and "Undid grade 5 on #1" in out
    _, cards_out, _ = invoke("cards", "--json")
    listed = json.loads(cards_out)
    assert listed[0]["repetitions"] == 1 and listed[0]["ease"] == 2.36
    assert listed[1]["state"] == "new"
    _, shown, _ = invoke("show", "1")
    assert "second" in shown and "first" not in shown
    _, shown2, _ = invoke("show", "2")
    assert "No reviews yet" in shown2


def test_a_session_of_only_redrills_counts_them_apart() -> None:
    invoke("review", input="\n2\nq\n")  # card 1 missed: a re-drill is left for today
    code, out, _ = invoke("review", "--new", "0", input="\n5\n")
    assert code == 0
    assert re.search(r"Cards decided +0\b", out) and re.search(r"Re-drills +1\b", out)
    assert "Grades" not in out.split("Session summary")[1].split("Re-drills")[0]


def test_next_due_in_the_past_reads_overdue() -> None:
    invoke("review", "--new", "1", input="\n5\n")  # card 1 due on 2026-12-02
    code, out, _ = invoke("review", "--new", "0", input="q\n", today="2026-12-05")
    assert code == 0
    assert "overdue (1 card still due)" in out and "2026-12-02" not in out


def test_missed_cards_are_listed_with_their_missed_key_points() -> None:
    _code, out, _ = invoke("review", input="no idea\n1\nq\n")
    summary = out.split("Session summary")[1]
    assert "Missed (grade below 3)" in summary and "#1 deep-net-problems" in summary
    assert "✘ Training can be extremely slow." in summary


def _bundled() -> list[Card]:
    return [c for name in ("ch11", "ch11-extras") for c in load_deck(resolve_deck(name)).cards]


@pytest.mark.parametrize("card", _bundled(), ids=lambda c: c.id)
def test_the_plain_reveal_fits_24_rows_but_for_the_reference(
    card: Card, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Header, question, the typed answer, checklist, suggestion, grade line and prompt:
    what a student needs at the grade prompt stays on one 80×24 screen. The reference
    answer and its correction are printed above and may scroll."""
    buf = io.StringIO()
    console = Console(file=buf, width=80, highlight=False, soft_wrap=False)
    monkeypatch.setattr(screens, "out", lambda: console)
    marking = mark(card, "a typed answer")
    screens.card_header(Item(card, "schedule"), Progress(19, 19, 0, "review"))
    console.print("Your answer (Enter reveals): a typed answer")
    screens.checked(card, marking, outcomes(NEW, date(2026, 12, 1)))
    console.print("Grade 0-5 (u undo, q quit, d demo): ")
    rows = buf.getvalue().count("\n")
    assert rows <= 24, (card.id, rows)
