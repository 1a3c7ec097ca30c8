"""A stranger's deck is data: control characters, alias bombs, tags, odd files and links
are each one `file:line: field:` problem, and loading never fails any other way."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizzer.cards import DeckError, load_deck
from tests.test_loader import CARD, DECK, make, problems

ESC = "\x1b"


@pytest.mark.parametrize("field", ["question", "answer", "section", "correction"])
def test_control_characters_in_card_text_are_refused(tmp_path: Path, field: str) -> None:
    osc52 = '"\\e]52;c;ZWNobyBoYWNrZWQ=\\a"'  # a clipboard write, as YAML escapes
    text = CARD + f"correction: {osc52}\n" if field == "correction" else CARD.replace(
        {"question": "What is one?", "answer": "|\n  One is one.",
         "section": "Basics"}[field],
        osc52 if field != "answer" else f"{osc52}")
    lines = problems(tmp_path, {"c.yaml": text})
    assert any("c.yaml:" in x and f"{field}: contains the control character U+001B" in x
               for x in lines), lines


def test_control_characters_in_deck_title_and_lists_are_refused(tmp_path: Path) -> None:
    deck = DECK.replace("title: My deck", 'title: "[link=https://x]\\e[2Jdeck"')
    lines = problems(tmp_path, {"c.yaml": CARD + 'key_points: ["fine", "bad \\x9b31m"]\n'},
                     deck=deck)
    assert any("deck.yaml:2: title: contains the control character U+001B" in x for x in lines)
    assert any("c.yaml:7: key_points.1: contains the control character U+009B" in x
               for x in lines)


def test_control_characters_in_a_file_name_are_refused(tmp_path: Path) -> None:
    name = f"{ESC}]0;owned{chr(7)}.yaml"
    lines = problems(tmp_path, {"a.yaml": CARD, name: CARD.replace("first", "second")})
    assert any("file name: contains the control character U+001B" in x for x in lines)


def test_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    lines = ["a0: &a0 " + "x" * 100]
    for i in range(1, 20):  # 2**19 copies of 100 characters: 52 MB once expanded
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]")
    bomb = "\n".join(["x-anchors:", *("  " + x for x in lines)]) + "\n" + CARD.replace(
        "answer: |\n  One is one.\n", "answer: |\n  One is one.\nkey_points: *a19\n")
    [line] = problems(tmp_path, {"c.yaml": bomb})
    assert "expands to more than 1,000,000 characters" in line and "c.yaml:" in line


def test_binary_and_other_tags_are_refused(tmp_path: Path) -> None:
    lines = problems(tmp_path, {
        "a.yaml": CARD.replace("What is one?", "!!binary aGVsbG8="),
        "b.yaml": CARD.replace("first-card", "b").replace("number: 1", "number: !!int 2")
        .replace("What is one?", "!!set {a, b}"),
    })
    assert any("a.yaml:4: the YAML tag !!binary is not allowed" in x for x in lines), lines
    assert any("b.yaml:4: the YAML tag !!set is not allowed" in x for x in lines), lines


def test_symlink_loop_and_broken_link_are_problems(tmp_path: Path) -> None:
    deck = make(tmp_path, {"a.yaml": CARD})
    os.symlink("loop.yaml", deck / "loop.yaml")
    os.symlink("nowhere.yaml", deck / "broken.yaml")
    with pytest.raises(DeckError) as info:
        load_deck(deck)
    lines = [str(p) for p in info.value.problems]
    assert any("loop.yaml: cannot read the file" in x for x in lines), lines
    assert any("broken.yaml: cannot read the file" in x for x in lines), lines


def test_upper_case_suffix_is_a_card_and_hidden_files_are_skipped(tmp_path: Path) -> None:
    second = CARD.replace("first-card", "second-card").replace("number: 1", "number: 2")
    deck = make(tmp_path, {"a.yaml": CARD, "B.YAML": second, ".hidden.yaml": "not: [valid"})
    assert [c.id for c in load_deck(deck).cards] == ["first-card", "second-card"]


def test_a_pipe_named_like_a_card_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    deck = make(tmp_path, {"a.yaml": CARD})
    os.mkfifo(deck / "pipe.yaml")
    with pytest.raises(DeckError, match="not a regular file"):
        load_deck(deck)


# -- the fuzz test -----------------------------------------------------------------------

_GOOD = {
    "id": "card-one", "number": 1, "section": "Basics", "question": "What is one?",
    "answer": "One is one.", "key_points": ["a", "b"], "tags": ["x"], "pages": [3],
}
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True),
    st.text(max_size=30), st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
_SNIPPETS = [
    "!!binary aGVsbG8=", "!!timestamp 2001-12-14", "!!set {a, b}", "!!omap [a: 1]",
    "!!python/object/apply:os.system ['true']", "!foo bar", "&a [*a]", "*nope",
    "\"\\e]52;c;aGk=\\a\"", "\"\\x9b2J\"", "\"\\0\"", "'''", "[", "{a: 1, a: 2}",
    "? [a, b]\n  : c", "<<: {a: 1}", "|\n  text\n  more", "0x1F", "1e400", "~", "-",
    "\"" + "x" * 2000 + "\"", "[" * 1001, "9" * 5000,
]


def _render(card: dict[str, object]) -> str:
    import json

    # JSON is YAML: a quick way to write any mapping of plain values.
    return "\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in card.items()) + "\n"


@st.composite
def _deck_files(draw: st.DrawFn) -> dict[str, bytes | str]:
    files: dict[str, bytes | str] = {}
    for i in range(draw(st.integers(1, 3))):
        card: dict[str, object] = dict(_GOOD, id=f"card-{i}", number=i + 1)
        for _ in range(draw(st.integers(0, 3))):  # types swapped
            card[draw(st.sampled_from(sorted(_GOOD)))] = draw(_VALUES)
        text = _render(card)
        kind = draw(st.sampled_from(
            ["plain", "dup", "snippet", "alias", "control", "bytes", "huge", "raw"]))
        if kind == "dup":
            text += f"question: {draw(st.text(max_size=10))!r}\n"
        elif kind == "snippet":
            key = draw(st.sampled_from(sorted(_GOOD)))
            text = text.replace(f'"{key}": ', f'"{key}": {draw(st.sampled_from(_SNIPPETS))} #', 1)
        elif kind == "alias":
            text = "x: &s " + "y" * draw(st.integers(1, 4000)) + "\n" + text.replace(
                '"answer": "One is one."', '"answer": [' + ", ".join(["*s"] * 400) + "]")
        elif kind == "control":
            ch = chr(draw(st.sampled_from([0, 7, 8, 0x1B, 0x7F, 0x85, 0x9B])))
            text = text.replace("What is one?", "What" + ch.encode("unicode_escape")
                                .decode().replace("\\u00", "\\x") + " is one?")
        elif kind == "huge":
            text = text.replace("One is one.", "z" * draw(st.sampled_from([10, 1_100_000])))
        elif kind == "raw":
            text = draw(st.text(max_size=200))
        files[f"c{i}.yaml"] = (text.encode("utf-8") + draw(st.binary(min_size=1, max_size=8))
                               if kind == "bytes" else text)
    return files


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(files=_deck_files(), link=st.sampled_from(["none", "loop", "broken", "dir", "deck"]),
       deck_bytes=st.one_of(st.none(), st.binary(max_size=40)))
def test_fuzzed_decks_load_or_raise_only_deck_errors(
    files: dict[str, bytes | str], link: str, deck_bytes: bytes | None
) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        deck = root / "deck"
        deck.mkdir()
        if link == "deck":
            os.symlink("deck.yaml", deck / "deck.yaml")  # deck.yaml is a loop
        else:
            (deck / "deck.yaml").write_bytes(deck_bytes if deck_bytes is not None
                                              else DECK.encode())
        for name, content in files.items():
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            (deck / name).write_bytes(data)
        if link == "loop":
            os.symlink("z.yaml", deck / "z.yaml")
        elif link == "broken":
            os.symlink(root / "gone", deck / "z.yaml")
        elif link == "dir":
            (deck / "d.yaml").mkdir()
        try:
            load_deck(deck)
        except DeckError as exc:
            assert exc.problems and all(str(p) for p in exc.problems)
    finally:
        shutil.rmtree(root)


def test_deck_text_never_becomes_markup_or_escapes_on_screen(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from quizzer.cli import app

    title = "title: '[link=https://e.vil]My[/link] deck'"
    deck = make(tmp_path, {"a.yaml": CARD}, deck=DECK.replace("title: My deck", title))
    result = CliRunner().invoke(app, ["cards", "--deck", str(deck)], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "[link=https://e.vil]My[/link] deck" in result.stdout
    (tmp_path / "bad").mkdir()
    bad = make(tmp_path / "bad", {f"{ESC}]0;title{chr(7)}.yaml": CARD})
    result = CliRunner().invoke(app, ["validate", str(bad)])
    assert result.exit_code == 1
    assert ESC not in result.stderr and "\\x1b]0;title\\x07.yaml" in result.stderr
