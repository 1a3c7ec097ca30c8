"""Several decks as one: the combined queue and its shared limits (pure), each card's own
deck exam, and the commands over repeated --deck (history stays under each deck)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from quizzer.cards import Deck, load_deck
from quizzer.cli import app
from quizzer.decks import combine, exams_by_card, key, keyed_log, keyed_states, split
from quizzer.model import Exam, LogEntry
from quizzer.scheduler import State
from quizzer.session import Session, build_queue, summarize_today
from tests.conftest import CONTENT

D = date(2026, 12, 1)
DAY = D.isoformat()
runner = CliRunner()


def bundled(name: str) -> Deck:
    return load_deck(CONTENT / name)


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=input,
                           env={"QUIZZER_TODAY": DAY, "COLUMNS": "160"})
    assert "Traceback" not in result.output + result.stderr
    return result.exit_code, result.stdout, result.stderr


def as_json(*args: str) -> object:
    code, out, err = invoke(*args, "--json")
    assert code == 0, err
    return json.loads(out)


# -- the combined queue, pure ------------------------------------------------------------


def test_one_queue_redrills_then_due_oldest_first_then_new_deck_by_deck() -> None:
    main, extras = bundled("ch11"), bundled("ch11-extras")
    deck = combine([extras, main])
    states = keyed_states({
        "ch11": {"vanishing-gradients": State(1, 1, 250, D - timedelta(days=2)),
                 "deep-net-problems": State(1, 1, 250, D),
                 "swish": State(1, 1, 250, D + timedelta(days=1))},  # not due yet
        "ch11-extras": {"clipping-how": State(1, 1, 250, D),
                        "bn-at-prediction": State(1, 1, 250, D)},  # re-drilled below
    })
    log = keyed_log("ch11-extras", [LogEntry("bn-at-prediction", 2, "schedule", False)])
    queue = build_queue(deck.cards, states, summarize_today(log), D, 2, 200)
    assert [(i.card.id, i.kind) for i in queue] == [
        ("ch11-extras/bn-at-prediction", "drill"),
        ("ch11/vanishing-gradients", "schedule"),  # the oldest due date
        # Due the same day: in the order the decks were given, then by number.
        ("ch11-extras/clipping-how", "schedule"),
        ("ch11/deep-net-problems", "schedule"),
        # New: the first deck's cards first, by number, up to the shared limit.
        ("ch11-extras/clipping-where", "schedule"),
        ("ch11-extras/transfer-best-networks", "schedule"),
    ]


def test_limits_are_shared_across_decks() -> None:
    deck = combine([bundled("ch11"), bundled("ch11-extras")])
    states = keyed_states({"ch11-extras": {"clipping-how": State(1, 1, 250, D),
                                           "clipping-where": State(1, 1, 250, D)}})
    # Two new cards already introduced today in ch11, one review done in ch11-extras.
    log = [*keyed_log("ch11", [LogEntry("selu", 4, "schedule", True),
                               LogEntry("swish", 5, "schedule", True)]),
           *keyed_log("ch11-extras", [LogEntry("bn-at-prediction", 4, "schedule", False)])]
    queue = build_queue(deck.cards, states, summarize_today(log), D, 3, 2)
    kinds = [(split(i.card.id)[0], i.card.id in states) for i in queue]
    assert kinds == [("ch11-extras", True), ("ch11", False)]  # 2-1 reviews, 3-2 new


def test_each_card_is_scheduled_by_its_own_decks_exam() -> None:
    main, extras = bundled("ch11"), bundled("ch11-extras")
    exam = Exam(D + timedelta(days=4), 3, D)
    both = combine([main, extras])
    session = Session.start(both.cards, {}, [], D, 30, 200,
                            exam_of=exams_by_card([main, extras], {"ch11": exam}))
    alone = Session.start(main.cards, {}, [], D, 30, 200, exam=exam)
    graded = session.grade(5)
    assert graded.card_id == key("ch11", "deep-net-problems")
    assert graded.after == alone.grade(5).after  # the window rule, as for the deck alone
    while session.current and not session.current.card.id.startswith("ch11-extras/"):
        session.apply(session.grade(5))
    assert session.current is not None
    # ch11-extras has no exam: plain SM-2, one day after a first 5.
    assert session.grade(5).after.due == D + timedelta(days=1)


# -- the commands ------------------------------------------------------------------------


def test_review_over_two_decks_stores_each_grade_under_its_deck() -> None:
    code, out, _ = invoke("review", "--deck", "ch11-extras", "--deck", "ch11", "--new", "5",
                          input="\n5\n\n5\n\n5\n\n5\n\n4\n")
    assert code == 0 and "ch11-extras/bn-at-prediction" in out
    extras = as_json("cards", "--deck", "ch11-extras")
    main = as_json("cards")
    assert isinstance(extras, list) and isinstance(main, list)
    assert [c["deck"] for c in extras] == ["ch11-extras"] * 4
    assert all(c["repetitions"] == 1 for c in extras)
    assert [c["id"] for c in main if c["repetitions"]] == ["deep-net-problems"]
    # The shared new limit is spent: nothing new is left in either deck today.
    due = as_json("due", "--deck", "ch11", "--deck", "ch11-extras", "--new", "5")
    assert isinstance(due, dict)
    assert due["decks"] == ["ch11", "ch11-extras"] and due["total"] == 0
    assert [r["deck"] for r in due["per_deck"]] == ["ch11", "ch11-extras"]
    assert due["per_deck"][1]["next_due"] == "2026-12-02"


def test_due_json_names_each_cards_deck_and_follows_the_config(tmp_path: Path) -> None:
    config = Path(os.environ["QUIZZER_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text('decks = ["ch11", "ch11-extras"]\nnew_per_day = 21\n')
    due = as_json("due")
    assert isinstance(due, dict)
    assert due["new"] == 21 and due["total"] == 21
    assert [r["new"] for r in due["per_deck"]] == [19, 2]
    assert due["queue"][0] == {"deck": "ch11", "id": "deep-net-problems", "kind": "new"}
    assert due["queue"][-1] == {"deck": "ch11-extras", "id": "clipping-where", "kind": "new"}
    # A single-deck command (show) takes the first deck of the config.
    shown = as_json("show", "1")
    assert isinstance(shown, dict) and shown["deck"] == "ch11"


def test_two_decks_with_the_same_card_ids_keep_apart(tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(CONTENT / "ch11-extras", twin)
    meta = twin / "deck.yaml"
    meta.write_text(meta.read_text().replace("id: ch11-extras", "id: twin", 1))
    code, out, _ = invoke("review", "--deck", "ch11-extras", "--deck", str(twin),
                          "--new", "8", input="\n5\n" * 4 + "\n1\n" + "q\n")
    assert code == 0 and "twin/bn-at-prediction" in out
    twin_cards = as_json("cards", "--deck", str(twin))
    assert isinstance(twin_cards, list)
    assert [c["repetitions"] for c in twin_cards] == [0, 0, 0, 0]  # a 1 is not a pass
    assert [c["lapses"] for c in twin_cards] == [0, 0, 0, 0]
    assert twin_cards[0]["due"] == "2026-12-02"
    originals = as_json("cards", "--deck", "ch11-extras")
    assert isinstance(originals, list)
    assert [c["repetitions"] for c in originals] == [1, 1, 1, 1]  # the 5s, untouched
    code, _, err = invoke("due", "--deck", "ch11-extras", "--deck", str(CONTENT / "ch11-extras"))
    assert code == 1 and "deck id 'ch11-extras' is given twice" in err


def test_stats_plan_and_cards_over_two_decks_name_each_deck() -> None:
    code, _, _ = invoke("plan", "--deck", "ch11", "--exam", "2026-12-20")
    assert code == 0
    stats = as_json("stats", "--deck", "ch11", "--deck", "ch11-extras")
    assert isinstance(stats, list) and [s["deck"] for s in stats] == ["ch11", "ch11-extras"]
    plans = as_json("plan", "--deck", "ch11", "--deck", "ch11-extras")
    assert isinstance(plans, list)
    assert plans[0]["deck"] == "ch11" and plans[0]["exam"] == "2026-12-20"
    assert plans[1] == {"deck": "ch11-extras", "exam": None}
    listed = as_json("cards", "--deck", "ch11", "--deck", "ch11-extras")
    assert isinstance(listed, list) and len(listed) == 23
    assert {c["deck"] for c in listed} == {"ch11", "ch11-extras"}


def test_export_of_two_decks_gives_the_second_its_own_part(tmp_path: Path) -> None:
    code, out, _ = invoke("export", "--no-demos", "-o", "-", "--deck", "ch11-extras",
                          "--deck", "ch11")
    assert code == 0
    assert "# Study summary: Training Deep Neural Networks: extra questions" in out
    assert "## Training Deep Neural Networks: The Vanishing/Exploding Gradients Problems" in out
    assert "ch11 Q9" in out


def test_decks_lists_bundled_and_config_decks(tmp_path: Path) -> None:
    config = Path(os.environ["QUIZZER_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text(f'decks = ["ch11-extras", "{tmp_path / "missing"}"]\n')
    invoke("plan", "--deck", "ch11-extras", "--exam", "2026-12-24")
    rows = as_json("decks")
    assert isinstance(rows, list)
    assert [(r["name"], r["studied"]) for r in rows] == [
        ("ch11-extras", True), (str(tmp_path / "missing"), True), ("ch11", False)]
    assert rows[0]["cards"] == 4 and rows[0]["new"] == 4 and rows[0]["exam"] == "2026-12-24"
    assert rows[0]["path"] == str(CONTENT / "ch11-extras")
    assert "no such folder" in rows[1]["problem"]
    code, out, _ = invoke("decks")
    assert code == 0 and "* ch11-extras" in out and "2026-12-24" in out
