"""Deck loading: one test per kind of fault, each naming the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizzer.cards import DeckError, load_deck
from quizzer.errors import QuizzerError

DECK = """\
id: mine
title: My deck
sections:
  - Basics
"""

CARD = """\
id: first-card
number: 1
section: Basics
question: What is one?
answer: |
  One is one.
"""


def make(tmp_path: Path, cards: dict[str, str], deck: str = DECK) -> Path:
    d = tmp_path / "deck"
    d.mkdir()
    (d / "deck.yaml").write_text(deck, encoding="utf-8")
    for name, text in cards.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def problems(tmp_path: Path, cards: dict[str, str], deck: str = DECK,
             demos: set[str] | None = None) -> list[str]:
    with pytest.raises(DeckError) as info:
        load_deck(make(tmp_path, cards, deck), known_demos=demos)
    return [str(p) for p in info.value.problems]


def test_a_good_deck_loads_in_number_order(tmp_path: Path) -> None:
    second = CARD.replace("first-card", "second-card").replace("number: 1", "number: 2")
    deck = load_deck(make(tmp_path, {"b.yaml": CARD, "a.yaml": second}))
    assert [c.id for c in deck.cards] == ["first-card", "second-card"]
    assert deck.find("2").id == "second-card" and deck.find("first-card").number == 1


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = CARD + "key_points: [unclosed\n"
    [line] = problems(tmp_path, {"c.yaml": broken})
    assert "c.yaml:" in line and "YAML syntax error" in line
    assert line.split("c.yaml:")[1].split(":")[0].isdigit()


def test_unknown_field_names_its_line(tmp_path: Path) -> None:
    [line] = problems(tmp_path, {"c.yaml": CARD + "anwser: typo\n"})
    assert line.endswith("c.yaml:7: anwser: unknown field (known fields: id, number, section, "
                         "pages, tags, question, answer, correction, key_points, demo)")


def test_missing_field(tmp_path: Path) -> None:
    [line] = problems(tmp_path, {"c.yaml": CARD.replace("question: What is one?\n", "")})
    assert "c.yaml: question: required field is missing" in line


def test_wrong_type_names_field_and_line(tmp_path: Path) -> None:
    [line] = problems(tmp_path, {"c.yaml": CARD.replace("number: 1", "number: one")})
    assert "c.yaml:2: number:" in line


def test_bad_slug(tmp_path: Path) -> None:
    [line] = problems(tmp_path, {"c.yaml": CARD.replace("first-card", "First Card")})
    assert "c.yaml:1: id: must be a slug" in line


def test_duplicate_id_and_number(tmp_path: Path) -> None:
    lines = problems(tmp_path, {"a.yaml": CARD, "b.yaml": CARD})
    assert any("b.yaml:1: id: 'first-card' is already used by" in x for x in lines)
    assert any("b.yaml:2: number: 1 is already used by" in x for x in lines)


def test_unknown_section(tmp_path: Path) -> None:
    [line] = problems(tmp_path, {"c.yaml": CARD.replace("section: Basics", "section: Other")})
    assert "c.yaml:3: section: 'Other' is not one of the sections" in line


def test_unknown_demo_is_rejected_and_never_imported(tmp_path: Path) -> None:
    [line] = problems(tmp_path, {"c.yaml": CARD + "demo: os-system\n"}, demos={"real-demo"})
    assert "c.yaml:7: demo: 'os-system' is not a known demo" in line


def test_duplicate_key(tmp_path: Path) -> None:
    [line] = problems(tmp_path, {"c.yaml": CARD + "question: Again?\n"})
    assert "c.yaml:7: question: the key appears twice" in line


def test_empty_file_and_non_mapping(tmp_path: Path) -> None:
    lines = problems(tmp_path, {"a.yaml": "", "b.yaml": "- just\n- a list\n"})
    assert any("a.yaml: the file is empty" in x for x in lines)
    assert any("b.yaml:1: expected a mapping" in x for x in lines)


def test_unsafe_yaml_tags_are_rejected(tmp_path: Path) -> None:
    evil = CARD + "extra: !!python/object/apply:os.system ['echo hacked']\n"
    [line] = problems(tmp_path, {"c.yaml": evil})
    assert "c.yaml:7" in line and "YAML" in line


def test_broken_deck_file(tmp_path: Path) -> None:
    lines = problems(tmp_path, {"c.yaml": CARD}, deck="id: mine\ntitle: x\n")
    assert any("deck.yaml: sections: required field is missing" in x for x in lines)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    lines = problems(tmp_path, {"a.yaml": CARD + "bogus: 1\n", "b.yaml": "id: [\n"})
    assert len(lines) == 2


def test_missing_folder_and_missing_deck_file(tmp_path: Path) -> None:
    with pytest.raises(QuizzerError, match="no such deck directory"):
        load_deck(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(QuizzerError, match=r"deck\.yaml: missing"):
        load_deck(tmp_path / "empty")
