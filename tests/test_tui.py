"""The full-screen reviewer, driven with Textual's own Pilot and compared with SVG
snapshots: type, reveal, toggle a key point, grade, undo, quit, at 80×24 and 60×20."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widget import Widget
from textual.widgets import Static

from quizzer.cards import Card, Deck, load_deck
from quizzer.paths import resolve_deck
from quizzer.review import Reviewer
from quizzer.session import Session
from quizzer.store import Store
from quizzer.ui.demo import DemoRun
from quizzer.ui.tui import AnswerEditor, Checklist, DemoScreen, EndScreen, ReviewApp

DAY = date(2026, 12, 1)
SIZES = [(80, 24), (60, 20)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "q.db") as s:
        yield s


@pytest.fixture(scope="module")
def deck() -> Deck:
    return load_deck(resolve_deck("ch11"))


def make_app(deck: Deck, store: Store, runner: Any = None) -> ReviewApp:
    session = Session.start(deck.cards, store.states(deck.id), [], DAY)
    ticks = iter(range(0, 10_000, 30))  # a fake clock: 30 s per reading
    reviewer = Reviewer(session, deck, store, lambda: datetime(2026, 12, 1, 9),
                        timer=lambda: float(next(ticks)))
    return ReviewApp(reviewer, runner or (lambda card: None))


def text_of(app: ReviewApp, selector: str) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(app.screen.query_one(selector, Static).content)
    return console.export_text()


def on_screen(widget: Widget, size: tuple[int, int]) -> bool:
    """Shown, at least one row high, and inside the terminal."""
    r = widget.region
    return (widget.display and r.height >= 1 and r.x >= 0 and r.y >= 0
            and r.right <= size[0] and r.bottom <= size[1])


@pytest.mark.parametrize("size", SIZES)
async def test_type_reveal_toggle_grade_undo_quit(
    deck: Deck, store: Store, size: tuple[int, int]
) -> None:
    app = make_app(deck, store)
    async with app.run_test(size=size) as pilot:
        assert "card 1 of 19" in text_of(app, "#progress")
        await pilot.press(*"slow trainng", "ctrl+j", *"overfitting")
        assert app.screen.query_one(AnswerEditor).text == "slow trainng\noverfitting"
        await pilot.press("enter")
        screen = app.screen
        for selector in ("#question", "#yours", "#checklist", "#suggest", "#reference",
                         "#status"):
            assert on_screen(screen.query_one(selector), size), selector
        assert "slow trainng" in text_of(app, "#yours")  # the student's answer is kept
        before = text_of(app, "#suggest")
        marking = app.review_screen.marking
        assert "5→1d" in text_of(app, "#status")
        # Toggle the first key point (highlighted first): the suggestion follows.
        assert isinstance(app.focused, Checklist)
        await pilot.press("space")
        toggled = app.review_screen.marking
        assert toggled.points[0].covered != marking.points[0].covered
        assert text_of(app, "#suggest") != before
        await pilot.press("4")
        # Committed before the next card shows, with the two-line answer and the grade.
        rows = store.history(deck.id)
        assert [(r.card_id, r.grade, r.answer) for r in rows] == [
            ("deep-net-problems", 4, "slow trainng\noverfitting")]
        assert "card 2 of 19" in text_of(app, "#progress")
        await pilot.press("escape", "u")
        assert store.history(deck.id) == []
        assert "card 1 of 19" in text_of(app, "#progress")
        assert app.screen.query_one(AnswerEditor).text == "slow trainng\noverfitting"
        await pilot.press("escape", "q")
    assert app.return_value is not None and app.return_value.decided == 0


async def test_keys_typed_in_the_editor_are_text(deck: Deck, store: Store) -> None:
    app = make_app(deck, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("u", "q", "d", "4", "question_mark")
        assert app.screen.query_one(AnswerEditor).text == "uqd4?"
        assert store.history(deck.id) == [] and app.is_running


async def test_a_missed_card_is_redrilled_apart_and_the_end_screen_counts_it(
    store: Store,
) -> None:
    deck = load_deck(resolve_deck("ch11"))
    one = Deck(deck.path, deck.meta, deck.cards[:1])
    app = make_app(one, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "2")
        assert "re-drill · 1 left" in text_of(app, "#progress")
        await pilot.press("enter", "5")
        assert isinstance(app.screen, EndScreen)
        body = text_of(app, "#end-body")
        assert re.search(r"Cards decided +1\b", body) and re.search(r"Re-drills +1\b", body)
        assert "5:0  4:0  3:0  2:1" in body and "#1 deep-net-problems" in body
        # Nothing was typed, so every key point is listed as missed.
        assert all(p.text in body for p in one.cards[0].key_points)
        await pilot.press("q")
    assert app.return_value is not None and app.return_value.redrills == 1


async def test_wide_terminal_puts_the_reference_beside_the_answer(
    deck: Deck, store: Store
) -> None:
    app = make_app(deck, store)
    async with app.run_test(size=(130, 30)) as pilot:
        await pilot.press(*"x", "enter")
        left = app.screen.query_one("#left").region
        ref = app.screen.query_one("#reference").region
        assert left.right <= ref.x and left.y == ref.y


async def test_demo_panel_runs_the_cards_demo(deck: Deck, store: Store) -> None:
    import time

    from quizzer.demos import run

    def runner(card: Card) -> DemoRun | None:
        assert card.demo is not None
        start = time.perf_counter()
        return DemoRun(card.demo, card.id, run(card.demo), time.perf_counter() - start)

    app = make_app(deck, store, runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "d")
        assert isinstance(app.screen, DemoScreen)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "checks hold" in text_of(app, "#demo-body")
        await pilot.press("escape")
        assert not isinstance(app.screen, DemoScreen)
        assert store.history(deck.id) == []


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_reveal_with_correction(
    snap_compare: Any, deck: Deck, store: Store, size: tuple[int, int]
) -> None:
    # Card 2 has a long correction: it comes first, and the reveal still fits.
    app = make_app(deck, store)
    keys = ["enter", "5", *"gradients get tiny in the first layers", "enter"]
    assert snap_compare(app, press=keys, terminal_size=size)


def test_snapshot_end_screen(snap_compare: Any, store: Store) -> None:
    deck = load_deck(resolve_deck("ch11"))
    two = Deck(deck.path, deck.meta, deck.cards[:2])
    app = make_app(two, store)
    keys = ["enter", "1", *"exploding", "enter", "4", "enter", "4"]
    assert snap_compare(app, press=keys, terminal_size=(80, 24))


async def test_ctrl_c_quits_from_the_editor_keeping_what_was_graded(
    deck: Deck, store: Store
) -> None:
    app = make_app(deck, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"gradients", "enter", "3", *"half an answer", "ctrl+c")
    assert not app.is_running
    assert [(r.card_id, r.grade) for r in store.history(deck.id)] == [("deep-net-problems", 3)]


async def test_undo_from_the_end_screen_brings_the_last_card_back(store: Store) -> None:
    deck = load_deck(resolve_deck("ch11"))
    one = Deck(deck.path, deck.meta, deck.cards[:1])
    app = make_app(one, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"my answer", "enter", "5")
        assert isinstance(app.screen, EndScreen)
        await pilot.press("u")
        assert not isinstance(app.screen, EndScreen)
        assert app.screen.query_one(AnswerEditor).text == "my answer"
        assert store.history(one.id) == []


async def test_header_flags_a_leech_and_counts_down_to_the_exam(
    deck: Deck, store: Store
) -> None:
    from quizzer.model import Exam
    from quizzer.scheduler import State

    first = deck.cards[0]
    leech = State(repetitions=0, interval=1, ease=170, due=DAY, lapses=5)
    exam = Exam(date(2026, 12, 13), 3, DAY)
    session = Session.start(deck.cards, {first.id: leech}, [], DAY, exam=exam)
    reviewer = Reviewer(session, deck, store, lambda: datetime(2026, 12, 1, 9))
    app = ReviewApp(reviewer, lambda card: None)
    async with app.run_test(size=(80, 24)):
        assert session.current is not None and session.current.card.id == first.id
        assert "exam in 12 days" in text_of(app, "#progress")
        assert "Leech: 5 lapses" in text_of(app, "#status")
    plain = Reviewer(Session.start(deck.cards, {}, [], DAY), deck, store, datetime.now)
    assert plain.leech() is None and plain.exam_countdown() is None
