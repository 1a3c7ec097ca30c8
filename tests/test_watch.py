"""The deck watcher (quizzer/watch.py): with it, a command looks only at the files it
names, and every change is still seen by the next command; without it (stopped, killed,
a link in the deck, deck.yaml changed), every file is scanned as before."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizzer import index, watch
from quizzer.cards import DeckError
from quizzer.demos import REGISTRY
from quizzer.index import WATCHED, open_deck
from quizzer.store import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the watcher uses inotify")

DECK = "id: mine\ntitle: My deck\nsections: [Basics, Advanced]\n"


def card(cid: str, number: int, question: str = "What is it?") -> str:
    return (f"id: {cid}\nnumber: {number}\nsection: Basics\nquestion: {question}\n"
            f"answer: It is {cid}.\n")


@pytest.fixture
def deck(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A small deck watched as a large one would be; its watcher is stopped after."""
    run = Path(tempfile.mkdtemp(prefix="qw"))  # short: a socket path has ~100 bytes
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setenv("QUIZZER_WATCH", "on")
    monkeypatch.setattr(watch, "WATCH_MIN_FILES", 1)
    d = tmp_path / "deck"
    d.mkdir()
    try:  # the environment's side, not ours: inotify, and a local file system here
        os.close(watch._Inotify(str(d)).fd)
    except OSError as exc:
        pytest.skip(f"no inotify watch on {d}: {exc}")
    (d / "deck.yaml").write_text(DECK)
    for n in range(1, 6):
        (d / f"c{n}.yaml").write_text(card(f"c{n}", n))
    yield d
    watch.stop(str(d.resolve()))
    shutil.rmtree(run, ignore_errors=True)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "q.db") as s:
        yield s


def questions(deck: Path, store: Store) -> dict[str, str]:
    return {c.id: c.question for c in open_deck(deck, store, REGISTRY).load(store).cards}


def head_of(deck: Path, store: Store) -> tuple[str, str | None]:
    head, _ = store.index_head(str(deck.resolve()))
    assert head is not None
    return head.digest, json.loads(head.buckets).get("watch")


def watched(deck: Path, store: Store) -> None:
    """Index the deck twice: the second command starts the watcher and keeps its token."""
    questions(deck, store)  # the first reads every file; the deck was never indexed
    questions(deck, store)
    assert head_of(deck, store)[1] is not None


def test_the_watcher_reports_every_change_and_only_changed_files_are_read(
    deck: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    watched(deck, store)
    scans: list[Path] = []
    real_scan = index.scan

    def counting_scan(folder: Path, demos: object) -> index.Scan:
        scans.append(folder)
        return real_scan(folder, demos)  # type: ignore[arg-type]

    monkeypatch.setattr(index, "scan", counting_scan)
    assert len(questions(deck, store)) == 5 and scans == []  # nothing changed: no scan
    # An edit in place that keeps the size, a new file, a deletion, a rename.
    (deck / "c1.yaml").write_text(card("c1", 1, "What is IT?"))
    (deck / "c6.yaml").write_text(card("c6", 6))
    (deck / "c2.yaml").unlink()
    (deck / "c3.yaml").rename(deck / "c3-renamed.yaml")
    (deck / ".c4.yaml.swp").write_text("an editor's swap file")
    seen = questions(deck, store)
    assert seen["c1"] == "What is IT?" and set(seen) == {"c1", "c3", "c4", "c5", "c6"}
    assert scans == [] and head_of(deck, store)[0] == WATCHED
    # A problem made and mended between commands is reported, then gone.
    (deck / "c5.yaml").write_text(card("c1", 5))
    with pytest.raises(DeckError, match="'c1' is already used by"):
        questions(deck, store)
    (deck / "c5.yaml").write_text(card("c5", 5))
    assert set(questions(deck, store)) == {"c1", "c3", "c4", "c5", "c6"} and scans == []


def test_without_its_watcher_a_command_scans_and_sees_what_changed_meanwhile(
    deck: Path, store: Store
) -> None:
    watched(deck, store)
    key = str(deck.resolve())
    assert watch.stop(key)
    (deck / "c1.yaml").write_text(card("c1", 1, "Changed while nobody watched?"))
    assert questions(deck, store)["c1"] == "Changed while nobody watched?"
    # That command started a new watcher; its token replaces the old one.
    assert watch.ask(key, None) is not None
    (deck / "c1.yaml").write_text(card("c1", 1, "And now?"))
    assert questions(deck, store)["c1"] == "And now?"


def test_a_token_from_another_watcher_is_not_trusted(deck: Path, store: Store) -> None:
    watched(deck, store)
    key = str(deck.resolve())
    _, token = head_of(deck, store)
    other = watch.Token("0123456789abcdef", 0)
    assert watch.ask(key, other) is not None and watch.ask(key, other).changed is None  # type: ignore[union-attr]
    assert watch.ask(key, watch.Token.parse(token)).changed == []  # type: ignore[union-attr]


def test_deck_yaml_or_a_link_sends_the_command_back_to_a_scan(
    deck: Path, store: Store, tmp_path: Path
) -> None:
    watched(deck, store)
    (deck / "deck.yaml").write_text(DECK.replace("Advanced", "Later"))
    (deck / "c1.yaml").write_text(card("c1", 1).replace("Basics", "Later"))
    assert "c1" in questions(deck, store)  # the new section is known: no problem
    # A link's target can change outside the folder, unseen: such a deck is not trusted
    # to the watcher, and every command scans it.
    outside = tmp_path / "outside.yaml"
    outside.write_text(card("c9", 9))
    (deck / "c9.yaml").symlink_to(outside)
    assert "c9" in questions(deck, store)
    questions(deck, store)
    outside.write_text(card("c9", 9, "Changed outside?"))
    assert questions(deck, store)["c9"] == "Changed outside?"


def test_no_watcher_when_the_socket_folder_is_open_to_others(
    deck: Path, store: Store
) -> None:
    run = Path(os.environ["XDG_RUNTIME_DIR"]) / f"quizzer-{os.getuid()}"
    run.mkdir(mode=0o700)
    run.chmod(0o755)
    questions(deck, store)
    questions(deck, store)
    assert head_of(deck, store)[1] is None and watch.ask(str(deck.resolve()), None) is None


def test_answers_parse_and_garbage_is_no_answer() -> None:
    assert watch.Token.parse("ab12:7") == watch.Token("ab12", 7)
    for bad in ("", "ab12", "ab12:x", "a:b:c", None, 5, "ab 12:3"):
        assert watch.Token.parse(bad) is None
    body = {"changed": ["c1.yaml", "c2.yaml", ".x.swp"],
            "rows": {"c1.yaml": None, "c2.yaml": "link"}}
    assert watch._parse_answer(b"ok ab12:7\n" + json.dumps(body).encode()) == watch.Answer(
        watch.Token("ab12", 7), ["c1.yaml", "c2.yaml", ".x.swp"],
        {"c1.yaml": None, "c2.yaml": "link"})
    assert watch._parse_answer(b"unknown ab12:7\n").changed is None  # type: ignore[union-attr]
    for garbage in (b"", b"ok\n", b"yes ab12:7\n", b"ok ab12\n", b"ok ab12:7\n",
                    b"ok ab12:7\n{}", b'ok ab12:7\n{"changed": [], "rows": {"a": [1]}}'):
        assert watch._parse_answer(garbage) is None


def test_the_watcher_reads_a_changed_file_as_the_command_would(
    deck: Path, store: Store
) -> None:
    """The rows the watcher sends are the rows the command would make itself, a broken
    file's problems included; and the command then needs no YAML parser of its own."""
    watched(deck, store)
    key = str(deck.resolve())
    _, token = head_of(deck, store)
    (deck / "c1.yaml").write_text(card("c1", 1, "Edited?"))
    (deck / "c2.yaml").write_text("id: c2\nnumber: [\n")
    (deck / "c3.yaml").unlink()
    answer = watch.ask(key, watch.Token.parse(token))
    assert answer is not None and answer.rows is not None
    assert answer.rows == {name: index.file_report(deck, name)
                           for name in ("c1.yaml", "c2.yaml", "c3.yaml")}
    assert answer.rows["c3.yaml"] is None
    with pytest.raises(DeckError) as broken:
        questions(deck, store)
    assert [line for line in broken.value.lines if "c2.yaml:3: YAML syntax error" in line]


def test_a_hard_link_or_a_moved_folder_is_not_trusted_to_the_watcher(
    deck: Path, store: Store, tmp_path: Path
) -> None:
    watched(deck, store)
    # A card file with a second name elsewhere can be written there, unseen.
    outside = tmp_path / "outside.yaml"
    os.link(deck / "c1.yaml", outside)
    (deck / "c1.yaml").touch()  # an event: the command looks at c1 and sees the link
    assert "c1" in questions(deck, store)
    questions(deck, store)
    outside.write_text(card("c1", 1, "Written through the other name?"))
    assert questions(deck, store)["c1"] == "Written through the other name?"
    outside.unlink()


def test_a_folder_moved_away_and_replaced_is_read_afresh(
    deck: Path, store: Store, tmp_path: Path
) -> None:
    watched(deck, store)
    # Renaming a parent moves the watched folder without an event; another folder with
    # other cards then takes its path.
    parent = deck.parent
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    parent.rename(moved)
    parent.mkdir()
    fresh = parent / "deck"
    fresh.mkdir()
    (fresh / "deck.yaml").write_text(DECK)
    (fresh / "z1.yaml").write_text(card("z1", 1))
    assert set(questions(fresh, store)) == {"z1"}
    watch.stop(str(fresh.resolve()))
    shutil.rmtree(moved, ignore_errors=True)


def outcome(fn: object) -> tuple[str, object]:
    """What loading a deck gives: its cards by id and question, or the problem lines."""
    try:
        deck = fn()  # type: ignore[operator]
    except DeckError as exc:
        return "problems", exc.lines
    return "cards", sorted((c.id, c.number, c.question) for c in deck.cards)


def test_after_random_edits_the_watched_index_says_what_the_loader_says(
    deck: Path, store: Store
) -> None:
    """Ids and numbers collide and come apart, sections and YAML break and mend, files
    come and go; after each edit the watched index reports exactly what reading every
    file reports, from the watcher's rows, without a scan."""
    import random

    from quizzer.cards import load_deck

    rng = random.Random(11)
    watched(deck, store)
    for step in range(80):
        name = f"c{rng.randint(1, 8)}.yaml"
        action = rng.choice(["edit", "edit", "edit", "delete", "break", "section", "demo"])
        path = deck / name
        if action == "delete":
            path.unlink(missing_ok=True)
        elif action == "break":
            path.write_text("id: x\nnumber: [\n")
        else:
            cid, number = f"c{rng.randint(1, 6)}", rng.randint(1, 6)
            text = card(cid, number, f"Step {step}?")
            if action == "section":
                text = text.replace("Basics", rng.choice(["Nowhere", "Elsewhere"]))
            elif action == "demo":
                text += f"demo: {rng.choice([next(iter(REGISTRY)), 'no-such-demo'])}\n"
            path.write_text(text)
        if not any(deck.glob("c*.yaml")):
            (deck / "c1.yaml").write_text(card("c1", 1))
        expected = outcome(lambda: load_deck(deck, REGISTRY))
        assert outcome(lambda: open_deck(deck, store, REGISTRY).load(store)) == expected, step
        assert head_of(deck, store)[0] == WATCHED, step
