"""The marker on small, hand-made key points: each normalisation it promises, the grade
rule, toggling, the key-point YAML forms, and the `quizzer mark` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from quizzer.cards import Card, KeyPoint
from quizzer.cli import app
from quizzer.marker import Marking, PointMark, mark, mark_points, suggested_grade


def covered(match: list[list[str]], answer: str) -> bool:
    point = KeyPoint(text="point", match=tuple(tuple(g) for g in match))
    return mark_points([point], answer).points[0].covered


@pytest.mark.parametrize("answer", [
    "The GRADIENTS VANISH in the lower layers",
    "gradients vanishing at the lower layer",         # inflections
    "in the lower layers, the gradient vanishes",     # word order
    "the gradeints vansih in the lower layers",       # typos (transpositions)
    "the gradiants vanished in the lower layrs",     # typos: substitution, deletion
])
def test_case_inflection_order_and_typos(answer: str) -> None:
    assert covered([["vanishing gradient"], ["lower layers"]], answer)


@pytest.mark.parametrize("answer", [
    "the gradients explode in the lower layers",      # a group is missing
    "the lower layers vanish; much later, after many other unrelated words, the gradient",
])
def test_every_group_must_appear_close_together(answer: str) -> None:
    assert not covered([["vanishing gradient"], ["lower layers"]], answer)


@pytest.mark.parametrize("answer", ["ℓ1 makes it sparse", "l1 makes it sparse",
                                    "L1 makes it sparse", "ℓ₁ makes it sparse"])
def test_l1_notation(answer: str) -> None:
    assert covered([["l1"], ["sparse"]], answer)
    assert covered([["ℓ1"], ["sparse"]], answer)
    assert not covered([["l2"], ["sparse"]], answer)


def test_sigma_sigmoid_and_approx() -> None:
    assert covered([["sigmoid"]], "σ saturates")
    assert covered([["σ"]], "the sigmoid saturates")
    assert covered([["σ"]], "the logistic function saturates")
    assert covered([["≈ 1.28"]], "minimum at z ~ -1.28")
    assert covered([["~ 1.28"]], "minimum at z ≈ −1.28")
    assert covered([["≈ 1.28"]], "minimum at approximately -1.28")


def test_numbers_and_short_words_need_exact_spelling() -> None:
    assert not covered([["0.25"]], "its derivative is at most 0.26")
    assert covered([["0.25"]], "its derivative is at most 0.25")
    assert not covered([["relu"]], "rely on it")  # short words get no typo budget


def test_british_spelling_hyphens_and_prefixes() -> None:
    assert covered([["initialization"]], "a good initialisation")
    assert covered([["non-monotonic"]], "it is nonmonotonic")
    assert covered([["non-monotonic"]], "it is non monotonic")
    assert covered([["regulari*"]], "regularising helps")


def test_plain_key_point_counts_its_own_words_not_the_questions() -> None:
    card = Card(id="c", number=1, section="s", question="Why do gradients vanish?",
                answer="a", key_points=("Saturated sigmoid units pass almost no gradient.",))
    assert mark(card, "sigmoid units saturate and pass almost nothing").coverage == 1.0
    # Restating the question's own words does not cover the point.
    assert mark(card, "the gradients vanish").coverage == 0.0


@pytest.mark.parametrize(("coverage", "grade"), [
    (1.0, 5), (0.75, 4), (0.8, 4), (2 / 3, 3), (0.5, 3), (1 / 3, 2), (0.25, 2),
    (0.2, 1), (0.0, 0),
])
def test_suggested_grade_rule(coverage: float, grade: int) -> None:
    assert suggested_grade(coverage) == grade


def test_toggling_a_point_moves_the_suggested_grade() -> None:
    m = Marking(0.5, 3, (PointMark("a", True), PointMark("b", False)))
    up = m.toggled(1)
    assert up.points[1].covered and up.coverage == 1.0 and up.suggested_grade == 5
    assert up.toggled(0).toggled(1).suggested_grade == 0


def test_a_card_without_key_points_has_coverage_zero() -> None:
    card = Card(id="c", number=1, section="s", question="q", answer="a")
    assert mark(card, "anything") == Marking(0.0, 0, ())


def test_key_points_plain_or_with_match_terms() -> None:
    card = Card.model_validate({
        "id": "c", "number": 1, "section": "s", "question": "q", "answer": "a",
        "key_points": ["plain text", {"text": "guided", "match": [["a b", "c"], ["d"]]}],
    })
    assert card.key_points == (KeyPoint(text="plain text"),
                               KeyPoint(text="guided", match=(("a b", "c"), ("d",))))
    # A cached card (dumped to JSON) loads back the same.
    assert Card.model_validate(card.model_dump(mode="json")) == card
    for bad in ({"text": "x", "match": [[]]}, {"text": "x", "mtch": [["a"]]}, {"match": [["a"]]}):
        with pytest.raises(ValidationError):
            Card.model_validate({"id": "c", "number": 1, "section": "s", "question": "q",
                                 "answer": "a", "key_points": [bad]})


runner = CliRunner()


def test_mark_command_json_from_option_and_stdin() -> None:
    result = runner.invoke(app, ["mark", "1", "--json", "--answer", "x"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["card"] == "deep-net-problems" and set(data) == {
        "deck", "card", "coverage", "suggested_grade", "key_points"}
    assert all(set(p) == {"text", "covered"} for p in data["key_points"])
    assert 0.0 <= data["coverage"] <= 1.0 and data["suggested_grade"] in range(6)
    from_stdin = runner.invoke(app, ["mark", "deep-net-problems", "--json"], input="x\n")
    assert json.loads(from_stdin.stdout) == data


def test_mark_command_unknown_card_is_one_line() -> None:
    result = runner.invoke(app, ["mark", "99", "--answer", "x"])
    assert result.exit_code == 1 and "no card '99'" in result.stderr
    assert "Traceback" not in result.output


def test_the_labelled_set_is_marked_as_labelled() -> None:
    """tests/marker_labels.yaml: every bundled card, four answers, labels written first."""
    from tests.marker_quality import KINDS, bundled_cards, labels, score

    data = labels()
    assert set(data) == set(bundled_cards())
    for card_id, answers in data.items():
        assert set(answers) == set(KINDS), card_id
    result = score()
    assert result.agreement >= 0.85, result.disagreements
    assert result.ordered >= 0.90, result.disordered


def test_every_match_term_of_the_bundled_cards_matches_its_own_words() -> None:
    """An alternative that normalises to nothing (only symbols or stopwords the answer
    drops) could never match; each one must at least match itself written out."""
    from tests.marker_quality import bundled_cards

    for card in bundled_cards().values():
        for point in card.key_points:
            for group in point.match:
                for alternative in group:
                    written = alternative.replace("*", "")
                    assert covered([[alternative]], written), (card.id, alternative)


def test_mark_reads_the_index_when_a_database_is_there(isolated_env: Path) -> None:
    """Without a database, mark reads the deck's files and creates nothing; with one, it
    finds the card through the index, with the same result (and the same one-line error
    for a card that is not there)."""
    answer = ["--answer", "vanishing gradients and too little labeled data", "--json"]
    from_files = runner.invoke(app, ["mark", "1", *answer])
    assert from_files.exit_code == 0 and not isolated_env.exists()
    assert runner.invoke(app, ["due"]).exit_code == 0 and isolated_env.exists()
    from_index = runner.invoke(app, ["mark", "1", *answer])
    assert from_index.exit_code == 0
    assert json.loads(from_index.stdout) == json.loads(from_files.stdout)
    assert json.loads(from_index.stdout)["coverage"] > 0
    missing = runner.invoke(app, ["mark", "99", "--answer", "x"])
    assert missing.exit_code == 1 and "no card '99'" in missing.stderr
