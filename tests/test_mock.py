"""The mock exam: the draw, the timing with a fake clock, the score, the report, and the
command with piped answers leaving every schedule byte-for-byte as it was."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from quizzer.cards import Card, Deck, KeyPoint, load_deck
from quizzer.cli import app
from quizzer.errors import QuizzerError
from quizzer.mock import (
    Attempt,
    draw,
    find_section,
    marking_for,
    report,
    result_json,
    run_exam,
    score,
)
from quizzer.paths import resolve_deck
from quizzer.scheduler import State
from quizzer.store import Store
from tests.helpers import card

DAY = "2026-12-01"


@pytest.fixture(scope="module")
def deck() -> Deck:
    return load_deck(resolve_deck("ch11"))


def complete(c: Card) -> str:
    return "; ".join(p.text for p in c.key_points)


WRONG = "It depends on the learning rate of the optimizer and on the batch size."


# -- the draw ---------------------------------------------------------------------------

def test_same_seed_same_questions_across_sections(deck: Deck) -> None:
    first = draw(deck.cards, {}, 5, seed=7)
    assert first == draw(deck.cards, {}, 5, seed=7)
    assert len(first) == 5 and len({c.id for c in first}) == 5
    assert [c.number for c in first] == sorted(c.number for c in first)
    # As many sections as questions allow: each of the deck's sections is asked.
    assert {c.section for c in draw(deck.cards, {}, 3, seed=7)} == set(deck.meta.sections)
    assert len({tuple(c.id for c in draw(deck.cards, {}, 5, s)) for s in range(20)}) > 1
    assert len(draw(deck.cards, {}, 99, seed=1)) == len(deck.cards)


def test_the_draw_leans_toward_weak_cards() -> None:
    cards = [card(i) for i in range(1, 11)]
    weak = State(repetitions=0, interval=1, ease=170, due=date(2026, 12, 1), lapses=4)
    fine = State(repetitions=4, interval=40, ease=260, due=date(2026, 12, 30))
    states = {c.id: fine for c in cards} | {"card-3": weak}
    picks = Counter(draw(cards, states, 1, seed)[0].id for seed in range(400))
    assert picks["card-3"] > 200  # weight 8 against nine cards of weight 1: about 47%


def test_section_by_any_unique_part(deck: Deck) -> None:
    assert find_section(deck.meta, "reusing") == "Reusing Pretrained Layers"
    section = find_section(deck.meta, "AVOIDING OVERFITTING THROUGH REGULARIZATION")
    assert {c.section for c in draw(deck.cards, {}, 5, 1, section)} == {section}
    with pytest.raises(QuizzerError, match="matches no section"):
        find_section(deck.meta, "quantum")


# -- the clock --------------------------------------------------------------------------

def fake_clock(times: list[float]) -> Callable[[], float]:
    it = iter(times)
    return lambda: next(it)


def test_time_up_leaves_the_rest_unanswered() -> None:
    cards = [card(i) for i in range(1, 5)]
    asked: list[tuple[int, float]] = []

    def ask(c: Card, pos: int, total: int, left: float) -> str:
        asked.append((pos, left))
        return f"answer {pos}"

    # Start 0; q1 from 0 to 50 s; q2 from 50 to 130 s (after the 120 s limit: late);
    # q3 starts at 130 s: unanswered, never asked; q4 likewise.
    attempts = run_exam(cards, 2, ask, fake_clock([0, 0, 50, 50, 130, 130, 131]))
    assert asked == [(1, 120), (2, 70)]
    assert [(a.answered, a.late) for a in attempts] == [
        (True, False), (False, True), (False, False), (False, False)]
    assert attempts[0].seconds == 50 and attempts[1].answer == "answer 2"


def test_end_of_input_ends_the_exam() -> None:
    cards = [card(i) for i in range(1, 4)]
    answers = iter(["first", None])
    attempts = run_exam(cards, 10, lambda *_: next(answers), fake_clock([0.0] * 10))
    assert [a.answered for a in attempts] == [True, False, False]


# -- the score and the report -----------------------------------------------------------

def test_complete_answers_score_above_wrong_ones(deck: Deck) -> None:
    chosen = draw(deck.cards, {}, 5, seed=3)
    good = [marking_for(Attempt(c, complete(c), 1.0, True)) for c in chosen]
    bad = [marking_for(Attempt(c, WRONG, 1.0, True)) for c in chosen]
    assert score(good) > score(bad)
    assert score(good) == 1.0 and score(bad) == 0.0
    unanswered = marking_for(Attempt(chosen[0], complete(chosen[0]), 1.0, False, late=True))
    assert not any(p.covered for p in unanswered.points)


def test_report_lists_answer_points_correction_reference_and_time(deck: Deck) -> None:
    swish = deck.find("swish")
    hostile = Card(id="x", number=99, section=swish.section,
                   question="What is <b>bold</b>?", answer="Plain *answer*.",
                   key_points=(KeyPoint(text="First point"), KeyPoint(text="Second point")))
    attempts = [Attempt(swish, complete(swish), 83.0, True),
                Attempt(hostile, "# not a heading\n<script>x</script>", 5.0, True)]
    markings = [marking_for(a) for a in attempts]
    text = report(deck, date(2026, 12, 1), 11, 10, attempts, markings)
    assert "seed 11" in text and "10:00 allowed" in text
    assert "time taken 1:23" in text
    assert "**Key points hit:**" in text and "**Key points missed:**" in text
    assert "**Correction:**" in text and "1.278" in text
    assert text.index("**Correction:**") < text.index("**Reference answer:**", text.index("swish"))
    # Card and answer text is escaped: no raw HTML, no heading from the student's "#".
    assert re.search(r"(?<!\\)<(script|b)>", text) is None and "\n# not" not in text
    assert "\\<script>" in text and "\\# not a heading" in text
    data = result_json(attempts, markings)
    assert list(data) == ["score", "questions"]


# -- the command ------------------------------------------------------------------------

runner = CliRunner()


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input,
                           env={"QUIZZER_TODAY": DAY, "COLUMNS": "120"})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def schedule_dump(db: Path) -> str:
    """Every row of the schedule tables, as SQL text: equal strings mean equal bytes."""
    with sqlite3.connect(db) as conn:
        return "\n".join(line for line in conn.iterdump()
                         if "card_state" in line or "review_log" in line)


def test_mock_with_piped_answers_never_touches_the_schedule(
    deck: Deck, isolated_env: Path, tmp_path: Path
) -> None:
    assert invoke("review", input="x\n5\nx\n2\n\n4\n")[0] == 0
    before = schedule_dump(isolated_env)
    assert "card_state" in before and "INSERT" in before
    with Store.open(isolated_env) as store:
        chosen = draw(deck.cards, store.states("ch11"), 4, seed=5)
    answers = [complete(chosen[0]), WRONG, complete(chosen[2]), WRONG]
    out_md = tmp_path / "mock.md"
    code, out, err = invoke("mock", "--cards", "4", "--seed", "5", "--json", "-o", str(out_md),
                            input="".join(a + "\n" for a in answers))
    assert code == 0, err
    data = json.loads(out)  # stdout holds the JSON and nothing else
    assert [q["card"] for q in data["questions"]] == [c.id for c in chosen]
    assert [q["answer"] for q in data["questions"]] == answers
    per = [q["covered"] / q["of"] for q in data["questions"]]
    assert per[0] == per[2] == 1.0 and per[1] == per[3] == 0.0
    covered = sum(q["covered"] for q in data["questions"])
    assert data["score"] == round(covered / sum(q["of"] for q in data["questions"]), 4)
    assert chosen[0].question in err  # the questions went to stderr
    assert schedule_dump(isolated_env) == before
    with Store.open(isolated_env) as store:
        [attempt] = store.mock_attempts("ch11")
    assert attempt.seed == 5 and [a.card_id for a in attempt.answers] == [c.id for c in chosen]
    assert attempt.covered == covered
    text = out_md.read_text(encoding="utf-8")
    assert all(f"#{c.number} {c.id}" in text for c in chosen)


def test_mock_default_report_name_and_plain_output(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke("mock", "--cards", "2", "--seed", "1", input="a\nb\n")
    assert code == 0
    assert (tmp_path / f"mock-{DAY}.md").exists()
    assert "Score: " in out and "No answer is shown until the end" in out


def test_mock_errors_are_one_line(isolated_env: Path, tmp_path: Path) -> None:
    code, out, err = invoke("mock", "--section", "quantum", input="")
    assert code == 1 and out == "" and "matches no section" in err
    assert not isolated_env.exists()  # a mistyped section touches no data: no database made
    code, out, err = invoke("mock", "-o", str(tmp_path / "no" / "such.md"), input="")
    assert code == 1 and "does not exist" in err
