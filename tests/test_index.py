"""The deck index: every change to a card file is seen by the next command, and the index
is a cache that can be damaged or deleted without harm."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from quizzer.cards import DeckError, card_files, load_deck
from quizzer.demos import REGISTRY
from quizzer.index import Plan, Scan, bucket_digests, open_deck, plan, scan
from quizzer.store import Store

DECK = "id: mine\ntitle: My deck\nsections: [Basics, Advanced]\n"


def card(cid: str, number: int, question: str = "What is it?") -> str:
    return (f"id: {cid}\nnumber: {number}\nsection: Basics\nquestion: {question}\n"
            f"answer: It is {cid}.\n")


def make(root: Path, files: dict[str, str]) -> Path:
    d = root / "deck"
    d.mkdir()
    (d / "deck.yaml").write_text(DECK)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "q.db") as s:
        yield s


def ids(deck: Path, store: Store) -> dict[int, str]:
    """Number -> (id, question) as the index gives them, after a sync."""
    return {c.number: f"{c.id}:{c.question}"
            for c in open_deck(deck, store, REGISTRY).load(store).cards}


def from_files(deck: Path) -> dict[int, str]:
    return {c.number: f"{c.id}:{c.question}" for c in load_deck(deck, REGISTRY).cards}


def test_edit_add_delete_rename_are_seen(tmp_path: Path, store: Store) -> None:
    deck = make(tmp_path, {"a.yaml": card("a", 1), "b.yaml": card("b", 2)})
    assert ids(deck, store) == {1: "a:What is it?", 2: "b:What is it?"}
    (deck / "a.yaml").write_text(card("a", 1, "What is a, really?"))  # edited
    (deck / "c.yml").write_text(card("c", 3))  # added
    (deck / "b.yaml").unlink()  # deleted
    assert ids(deck, store) == from_files(deck) == {1: "a:What is a, really?", 3: "c:What is it?"}
    (deck / "c.yml").rename(deck / "z.yaml")  # renamed
    assert ids(deck, store) == from_files(deck) == {1: "a:What is a, really?", 3: "c:What is it?"}
    (deck / "z.yaml").rename(deck / ".hidden.yaml")  # hidden files are not cards
    assert ids(deck, store) == from_files(deck) == {1: "a:What is a, really?"}


def test_same_size_edit_with_the_old_mtime_is_seen(tmp_path: Path, store: Store) -> None:
    deck = make(tmp_path, {"a.yaml": card("a", 1, "What is one?")})
    path = deck / "a.yaml"
    old = path.stat()
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns - 10_000_000_000))  # an old file
    before = path.stat()
    assert ids(deck, store) == {1: "a:What is one?"}
    path.write_text(card("a", 1, "What is two?"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same mtime
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert ids(deck, store) == {1: "a:What is two?"}


def test_a_file_indexed_right_after_a_write_is_checked_by_content(
    tmp_path: Path, store: Store
) -> None:
    """A write in the same timestamp tick as the indexing could keep every stat field; such
    "racy" files are remembered with their hash and compared by content next time."""
    deck = make(tmp_path, {"a.yaml": card("a", 1, "What is one?")})
    idx = open_deck(deck, store, REGISTRY)
    head, _ = store.index_head(idx.key)
    assert head is not None and set(json.loads(head.racy)) == {"a.yaml"}
    # Pretend the indexed content differs from the file's (what a same-tick write leaves):
    # the next command must read the file again, although no stat field changed.
    store.index_set_head(idx.key, head._replace(racy=json.dumps({"a.yaml": "0" * 32})))
    con = sqlite3.connect(tmp_path / "q.db")
    con.execute("UPDATE deck_index SET hash = ?, card = replace(card, 'What is one?', "
                "'What is old?')", ("0" * 32,))
    con.commit()
    con.close()
    assert ids(deck, store) == {1: "a:What is one?"}


def test_plan_is_a_pure_decision() -> None:
    import array

    current = Scan(["a.yaml", "b.yaml", "c.yaml"],
                   array.array("q", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), "", "", 0)
    indexed = {"a.yaml": ("1:2:3:4", "h"), "b.yaml": ("5:6:7:99", "h"),
               "c.yaml": ("9:10:11:12", "h"), "gone.yaml": ("1:1:1:1", "h")}
    assert plan(current, indexed, {"c.yaml": "h"}) == Plan(parse=[1], verify=[2],
                                                           deleted=["gone.yaml"])
    assert plan(current, {}, {}) == Plan(parse=[0, 1, 2])
    # Narrowed to the files of changed buckets, the index holding just those buckets:
    assert plan(current, {"b.yaml": ("5:6:7:99", "h")}, {}, only=[1]) == Plan(parse=[1])
    # Bucket digests do not depend on the order in which the directory lists files.
    swapped = Scan(["c.yaml", "b.yaml", "a.yaml"],
                   array.array("q", [9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4]), "", "", 0)
    assert bucket_digests(swapped)[0] == bucket_digests(current)[0]


def test_a_card_id_moving_between_files_keeps_one_card(tmp_path: Path, store: Store) -> None:
    deck = make(tmp_path, {"a.yaml": card("alpha", 1), "b.yaml": card("beta", 2)})
    ids(deck, store)
    (deck / "a.yaml").unlink()
    (deck / "moved.yaml").write_text(card("alpha", 1))
    assert ids(deck, store) == from_files(deck)
    # Two files swap their ids: no duplicate is reported.
    (deck / "moved.yaml").write_text(card("beta", 1))
    (deck / "b.yaml").write_text(card("alpha", 2))
    assert ids(deck, store) == from_files(deck) == {1: "beta:What is it?", 2: "alpha:What is it?"}


def test_problems_match_the_loader_and_go_away_when_fixed(
    tmp_path: Path, store: Store
) -> None:
    deck = make(tmp_path, {
        "a.yaml": card("a", 1), "b.yaml": card("a", 1),  # duplicate id and number
        "c.yaml": card("c", 3).replace("Basics", "Nowhere"),
        "d.yaml": card("d", 4) + "demo: no-such-demo\n",
        "e.yaml": "id: e\nnumber: [\n",
    })
    with pytest.raises(DeckError) as loaded:
        load_deck(deck, REGISTRY)
    with pytest.raises(DeckError) as indexed:
        open_deck(deck, store, REGISTRY)
    assert indexed.value.lines == loaded.value.lines and len(loaded.value.lines) == 5
    with pytest.raises(DeckError) as again:  # unchanged: reported from the index
        open_deck(deck, store, REGISTRY)
    assert again.value.lines == loaded.value.lines
    (deck / "b.yaml").write_text(card("b", 2))
    for name in ("c.yaml", "d.yaml", "e.yaml"):
        (deck / name).unlink()
    assert ids(deck, store) == from_files(deck)


def test_deck_yaml_changes_are_seen(tmp_path: Path, store: Store) -> None:
    deck = make(tmp_path, {"a.yaml": card("a", 1).replace("Basics", "Advanced")})
    assert open_deck(deck, store, REGISTRY).id == "mine"
    (deck / "deck.yaml").write_text("id: mine\ntitle: My deck\nsections: [Basics]\n")
    with pytest.raises(DeckError, match="'Advanced' is not one of the sections"):
        open_deck(deck, store, REGISTRY)
    (deck / "deck.yaml").write_text("id: yours\ntitle: My deck\nsections: [Advanced]\n")
    assert open_deck(deck, store, REGISTRY).id == "yours"


@pytest.mark.parametrize("damage", [
    "DROP TABLE deck_index",
    "DROP TABLE deck_folder",
    "DELETE FROM deck_index",
    "UPDATE deck_index SET card = '{not json', lines = 'nor this'",
    "UPDATE deck_index SET card = '{\"id\": 5}'",
    "UPDATE deck_folder SET racy = '[1]', problems = '{', meta = 'x'",
    "UPDATE deck_folder SET problems = '[[1]]'",
    "UPDATE deck_index SET sig = 'x', hash = 'y'",
])
def test_a_damaged_or_deleted_index_is_rebuilt(tmp_path: Path, store: Store, damage: str) -> None:
    deck = make(tmp_path, {"a.yaml": card("a", 1), "b.yaml": card("b", 2)})
    expected = ids(deck, store)
    con = sqlite3.connect(tmp_path / "q.db")
    con.execute(damage)
    con.commit()
    con.close()
    assert ids(deck, store) == expected
    idx = open_deck(deck, store, REGISTRY)
    assert idx.find(store, "2").id == "b" and idx.find(store, "a").number == 1


def test_the_scan_follows_the_loaders_choice_of_files(tmp_path: Path) -> None:
    deck = make(tmp_path, {"a.yaml": card("a", 1), "b.yml": card("b", 2), "notes.txt": "x"})
    (deck / "sub.yaml").mkdir()
    (deck / "dangling.yaml").symlink_to(tmp_path / "missing")
    (deck / "link.yaml").symlink_to(deck / "a.yaml")
    (deck / "C.YAML").write_text(card("c", 3))
    (deck / ".hidden.yaml").write_text(card("h", 4))
    # What the loader reads (and reports: the folder and the broken link are problems).
    expected = ["C.YAML", "a.yaml", "b.yml", "dangling.yaml", "link.yaml", "sub.yaml"]
    assert sorted(scan(deck, None).names) == expected == card_files(deck)


def test_due_on_an_unchanged_deck_imports_no_parser(tmp_path: Path) -> None:
    """`due` on a deck already indexed is a scan and a few queries: no YAML parser, card
    model or Markdown renderer is imported. (typer itself imports pydantic.)"""
    env = dict(os.environ, QUIZZER_DB=str(tmp_path / "q.db"), QUIZZER_TODAY="2026-12-01")
    code = ("import sys\nfrom quizzer.cli import main\nsys.argv = ['quizzer', 'due']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('yaml', 'quizzer.cards', 'rich.markdown') "
            "if m in sys.modules), file=sys.stderr)")
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True)
    assert "'yaml'" in first.stderr  # the first run reads the deck
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, check=True)
    assert second.stderr.strip() == "[]" and "ch11" in second.stdout


@pytest.mark.parametrize(("new", "reviews"), [(20, 200), (5, 3), (0, 0), (1, 100)])
def test_the_days_queries_give_the_queue_of_the_whole_deck(
    tmp_path: Path, store: Store, new: int, reviews: int
) -> None:
    """day_plan's SQL must pick exactly what build_queue picks from every card and state."""
    import random
    from datetime import date, datetime, timedelta

    from quizzer.model import Event
    from quizzer.scheduler import NEW, review
    from quizzer.session import build_queue, next_due, summarize_today

    rng = random.Random(7)
    numbers = list(range(1, 61))
    rng.shuffle(numbers)  # file names and numbers in different orders
    deck = make(tmp_path, {f"f{i:02d}.yaml": card(f"c{n}", n) for i, n in enumerate(numbers)})
    day = date(2026, 12, 1)
    events = []
    for n in range(1, 71):  # cards 61-70 were removed from the deck but keep their history
        if rng.random() < 0.3:
            continue  # a new card
        first = day - timedelta(days=rng.randrange(1, 40))
        state = review(NEW, 4, first)
        events.append((Event(f"c{n}", "schedule", 4, first, NEW, state),
                       datetime(2026, 1, 1)))
        if rng.random() < 0.25:  # graded today: some of them left for a re-drill
            grade = rng.choice([1, 2, 3, 4, 5])
            after = review(state, grade, day)
            events.append((Event(f"c{n}", "schedule", grade, day, state, after),
                           datetime(2026, 12, 1, 9)))
    store.import_history("mine", events)
    idx = open_deck(deck, store, REGISTRY)
    log = store.today_log("mine", day)
    today = summarize_today(log)
    plan = store.day_plan(idx.key, "mine", day, sorted(today.graded),
                          max(0, reviews - today.reviews_done), max(0, new - today.new_done))
    ours = [*store.index_present(idx.key, list(today.redrill)), *plan.due, *plan.new]

    cards = load_deck(deck, REGISTRY).cards
    states = store.states("mine")
    queue = build_queue(cards, states, today, day, new, reviews)
    assert ours == [item.card.id for item in queue]
    assert plan.next_due == next_due(states, [c.id for c in cards], after=day)
    assert store.due_count(idx.key, "mine", day) == sum(
        1 for c in cards if (s := states.get(c.id)) and s.due and s.due <= day)


def test_an_overtaken_sync_does_not_record_its_digest(tmp_path: Path, store: Store) -> None:
    """Two commands syncing at once: the one whose pending record was replaced must not
    mark the folder fresh, or rows written by the other could pass for its scan."""
    deck = make(tmp_path, {"a.yaml": card("a", 1)})
    idx = open_deck(deck, store, REGISTRY)
    head, _ = store.index_head(idx.key)
    assert head is not None
    other = head._replace(digest="pending:other")
    store.index_set_head(idx.key, other)
    assert not store.index_set_head(idx.key, head, expect="pending:mine")
    assert store.index_head(idx.key)[0] == other
    assert ids(deck, store) == {1: "a:What is it?"}  # and the next command syncs again
    assert store.index_head(idx.key)[0] == head


def test_the_benchmark_builder_writes_a_consistent_collection(tmp_path: Path) -> None:
    """bench_scale's data must be what the store would hold: each state is the after-state
    of the card's last scheduling row, the deck validates, and today's log is empty."""
    from tests.bench_scale import TODAY, build

    build(tmp_path, 60, 10)
    assert len(load_deck(tmp_path / "deck", REGISTRY).cards) == 60
    with Store.open(tmp_path / "quizzer.db") as s:
        states = s.states("bench")
        history = s.history("bench")
        assert s.today_log("bench", TODAY) == []
    assert len(history) == 600
    last = {r.card_id: r.after for r in history if r.kind == "schedule"}
    assert states == last
    assert all(r.after.due and r.after.due > r.day for r in history if r.kind == "schedule")


def test_commands_see_an_edit_and_survive_a_dropped_index(
    tmp_path: Path, isolated_env: Path
) -> None:
    from typer.testing import CliRunner

    from quizzer.cli import app

    deck = make(tmp_path, {"a.yaml": card("a", 1), "b.yaml": card("b", 2)})
    runner = CliRunner()

    def listing() -> list[tuple[int, str, str]]:
        result = runner.invoke(app, ["cards", "--json", "--deck", str(deck)])
        assert result.exit_code == 0, result.output
        return [(c["number"], c["id"], c["question"]) for c in json.loads(result.stdout)]

    assert listing() == [(1, "a", "What is it?"), (2, "b", "What is it?")]
    (deck / "b.yaml").write_text(card("b", 2, "What is b now?"))
    (deck / "c.yaml").write_text(card("c", 3))
    assert listing() == [(1, "a", "What is it?"), (2, "b", "What is b now?"),
                         (3, "c", "What is it?")]
    con = sqlite3.connect(isolated_env)
    con.execute("DROP TABLE deck_index")
    con.commit()
    con.close()
    (deck / "a.yaml").unlink()
    assert listing() == [(2, "b", "What is b now?"), (3, "c", "What is it?")]
    shown = runner.invoke(app, ["show", "3", "--deck", str(deck)])
    assert shown.exit_code == 0 and "What is it?" in shown.stdout


# -- the summary's rendered cards (deck_render) -------------------------------------------


def rendered(deck: Path, store: Store) -> list[tuple[str, str]]:
    """(id, body) of every card as the summary shows it, through the database."""
    from quizzer.commands import summary_cards

    return [(c.id, c.body) for c in summary_cards(open_deck(deck, store, REGISTRY), store)]


def kept(db: Path) -> dict[str, str]:
    """The rendered rows the database keeps: file name -> body."""
    conn = sqlite3.connect(db)
    try:
        return dict(conn.execute("SELECT name, body FROM deck_render").fetchall())
    finally:
        conn.close()


def test_cards_are_rendered_once_and_again_only_when_their_file_changes(
        tmp_path: Path, store: Store) -> None:
    from quizzer.export import summary_card

    deck = make(tmp_path, {"a.yaml": card("a", 1), "b.yaml": card("b", 2)})
    want = [(c.id, summary_card(c).body) for c in load_deck(deck, REGISTRY).cards]
    assert rendered(deck, store) == want
    assert set(kept(tmp_path / "q.db")) == {"a.yaml", "b.yaml"}
    # What is kept is what the next export reads: a mark put into b's row shows.
    conn = sqlite3.connect(tmp_path / "q.db")
    with conn:
        conn.execute("UPDATE deck_render SET body = 'kept' WHERE name = 'b.yaml'")
    conn.close()
    (deck / "a.yaml").write_text(card("a", 1).replace("It is a.", "It is a, edited."))
    got = dict(rendered(deck, store))
    assert "It is a, edited." in got["a"] and got["b"] == "kept"
    (deck / "b.yaml").unlink()
    assert [cid for cid, _ in rendered(deck, store)] == ["a"]
    assert set(kept(tmp_path / "q.db")) == {"a.yaml"}


def test_cards_rendered_by_another_renderer_are_made_again(
        tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from quizzer import export

    deck = make(tmp_path, {"a.yaml": card("a", 1), "b.yaml": card("b", 2)})
    rendered(deck, store)
    monkeypatch.setattr(export, "renderer", lambda: "another")
    monkeypatch.setattr(export, "summary_card", lambda c: export.SummaryCard(
        c.id, c.number, c.section, c.demo, ".", "", None, "new body", False))
    assert rendered(deck, store) == [("a", "new body"), ("b", "new body")]
    conn = sqlite3.connect(tmp_path / "q.db")
    renderers = {r for (r,) in conn.execute("SELECT renderer FROM deck_render")}
    conn.close()
    assert len(renderers) == 1 and renderers.pop().endswith("/another")


def test_a_locked_or_dropped_render_table_still_gives_every_card(tmp_path: Path) -> None:
    deck = make(tmp_path, {"a.yaml": card("a", 1), "b.yaml": card("b", 2)})
    db = tmp_path / "q.db"
    with Store.open(db) as store:
        open_deck(deck, store, REGISTRY)
    want = [("a", "**Reference answer**\n\nIt is a."), ("b", "**Reference answer**\n\nIt is b.")]
    other = sqlite3.connect(db)
    other.execute("BEGIN IMMEDIATE")  # another command writing: the cards are not kept
    with Store.open(db, busy_timeout=0.05) as store:
        assert rendered(deck, store) == want
    other.execute("ROLLBACK")
    assert kept(db) == {}
    with other:
        other.execute("DROP TABLE deck_render")
    other.close()
    with Store.open(db) as store:
        assert rendered(deck, store) == want
    assert set(kept(db)) == {"a.yaml", "b.yaml"}
