"""The command line: parse, resolve paths, read the clock, call one function, render.

Rule: this is the only module that imports typer, and the only place a QuizzerError
becomes an exit code: one line on stderr, no traceback, non-zero status.
Heavy libraries (numpy, plotting) are imported inside the commands that need them.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from quizzer import __version__
from quizzer.errors import QuizzerError

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from quizzer.cards import Card, Deck
    from quizzer.index import IndexedDeck
    from quizzer.scheduler import State
    from quizzer.store import Store
    from quizzer.ui.demo import DemoRun
    from quizzer.ui.progress import ProgressFn

# Kept here rather than imported, so that `--version` and `--help` load nothing else.
DEFAULT_DAY_START = 4
DEFAULT_NEW_PER_DAY = 20
DEFAULT_REVIEWS_PER_DAY = 200

app = typer.Typer(
    help="Spaced-repetition exam prep in the terminal: review, run demos, export a summary.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

DeckOpt = Annotated[
    str | None,
    typer.Option(
        "--deck", envvar="QUIZZER_DECK", show_default="ch11",
        help="A deck folder (holding deck.yaml) or a bundled deck name: ch11, ch11-extras.",
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="QUIZZER_DB", show_default="the user data directory",
        help="The database: a file path or a SQLAlchemy sqlite:/// URL.",
    ),
]
DayStartOpt = Annotated[
    int,
    typer.Option(
        "--day-start", envvar="QUIZZER_DAY_START", min=0, max=23,
        help="Hour (local time) at which a new review day starts.",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
NewOpt = Annotated[
    int, typer.Option("--new", min=0, help="New cards per day (counting today's so far).")
]
ReviewsOpt = Annotated[
    int, typer.Option("--reviews", min=0, help="Reviews per day (counting today's so far).")
]


def user_errors(fn: F) -> F:
    """Turn a QuizzerError into one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QuizzerError as exc:
            # Imported here: a command that loads no card model should not pay for one.
            from quizzer.cards import DeckError
            from quizzer.ui import console

            if isinstance(exc, DeckError):
                for line in exc.lines:
                    console.plain_error(line)
                console.error(f"{len(exc.lines)} problem(s) in the deck; nothing was changed")
            else:
                console.error(str(exc))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"quizzer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Spaced-repetition exam prep in the terminal."""


def _deck(deck: str | None) -> Deck:
    """Read and check every file of a deck (validate, demo: no database at hand)."""
    from quizzer.cards import load_deck
    from quizzer.demos import REGISTRY
    from quizzer.paths import resolve_deck

    return load_deck(resolve_deck(deck), known_demos=REGISTRY)


def _indexed(deck: str | None, store: Store) -> IndexedDeck:
    """A deck through its index in the database: only files changed since the last
    command are read (see quizzer/index.py)."""
    from quizzer.demos import REGISTRY
    from quizzer.index import open_deck
    from quizzer.paths import resolve_deck

    return open_deck(resolve_deck(deck), store, REGISTRY, progress=_reading_progress)


def _reading_progress() -> AbstractContextManager[ProgressFn]:
    from quizzer.ui.progress import progress_bar

    return progress_bar("Reading the deck")


def _store(db: str | None, *decks: str | None) -> Store:
    """Open the database. Before creating a new one, check the `decks` the command will
    index in it: a broken deck must not leave a database behind."""
    from quizzer.paths import default_db_path
    from quizzer.store import Store, database_exists

    target = db if db else default_db_path()
    if decks and not database_exists(target):
        for deck in decks:
            _deck(deck)
    return Store.open(target)


def _today(day_start: int) -> date:
    from quizzer.paths import today

    return today(day_start)


@app.command()
@user_errors
def review(
    deck: DeckOpt = None,
    db: DbOpt = None,
    new: NewOpt = DEFAULT_NEW_PER_DAY,
    reviews: ReviewsOpt = DEFAULT_REVIEWS_PER_DAY,
    day_start: DayStartOpt = DEFAULT_DAY_START,
) -> None:
    """Review today's cards: type an answer, see the reference, grade yourself 0-5.

    Every grade is saved the moment you give it. At the grade prompt, u undoes the last
    grade, d runs the card's demo and q quits. With piped input, each card reads one
    line for the answer (empty reveals) and one for the grade.
    """
    from quizzer.review import run_review
    from quizzer.session import Session, summarize_today
    from quizzer.ui import screens

    day = _today(day_start)
    with _store(db, deck) as store:
        idx = _indexed(deck, store)
        log = store.today_log(idx.id, day)
        today = summarize_today(log)
        plan = store.day_plan(idx.key, idx.id, day, sorted(today.graded),
                              max(0, reviews - today.reviews_done), max(0, new - today.new_done))
        # Only the cards of today's queue are loaded: the queue built from them is the one
        # the whole deck gives, since day_plan applied the same order and limits.
        ids = [*today.redrill, *plan.due, *plan.new]
        the_deck = idx.subset(store, ids)
        session = Session.start(the_deck.cards, store.states_of(idx.id, ids), log, day,
                                new, reviews)
        if session.current is None:
            upcoming = plan.next_due
            # Nothing is due before `upcoming`, so this counts the cards due on that day.
            count = store.due_count(idx.key, idx.id, upcoming) if upcoming else 0
            screens.nothing_due(day, upcoming, count)
            return

        def outlook(when: date) -> tuple[int, date | None]:
            return (store.due_count(idx.key, idx.id, when),
                    store.day_plan(idx.key, idx.id, when, [], 0, 0).next_due)

        run_review(session, the_deck, store, datetime.now, _inline_demo, outlook)


def _inline_demo(card: Card) -> None:
    from quizzer.ui.demo import show_result

    if card.demo:
        show_result(_run_demo(card.demo, card.id), plots=True)


def _run_demo(name: str, card: str | None) -> DemoRun:
    import time

    from quizzer.demos import run
    from quizzer.ui.demo import DemoRun

    start = time.perf_counter()
    result = run(name)
    return DemoRun(name, card, result, time.perf_counter() - start)


def _demo_cards(deck: Deck) -> dict[str, str]:
    """Demo name -> the id of the card that uses it, over the bundled decks and `deck`
    (whose cards win); a bundled deck that is `deck` itself is not loaded twice."""
    from quizzer.paths import DEFAULT_DECK, EXTRAS_DECK, resolve_deck

    decks = [_deck(name) for name in (EXTRAS_DECK, DEFAULT_DECK)
             if resolve_deck(name) != deck.path]
    owners: dict[str, str] = {}
    for d in [*decks, deck]:
        owners.update({c.demo: c.id for c in d.cards if c.demo})
    return owners


def _demo_json(run: DemoRun) -> dict[str, Any]:
    r = run.result
    return {
        "name": run.name, "card": run.card, "title": r.title, "sentence": r.sentence,
        "ok": r.ok, "seconds": round(run.seconds, 4),
        "claims": [{"claim": c.statement, "value": c.value, "expected": c.expected,
                    "ok": c.ok} for c in r.claims],
        "plots": [{"title": p.title, "xlabel": p.xlabel, "ylabel": p.ylabel,
                   "series": [s.label for s in p.series]} for p in r.plots],
    }


@app.command()
@user_errors
def demo(
    card: Annotated[
        str | None, typer.Argument(help="A card number or id, or a demo name.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Run every registered demo.")] = False,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not draw plots.")] = False,
    json_: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Run a card's NumPy demo: its checked claims, measured values and plots.

    Exits with status 1 if any claim fails. With --all, runs every demo and shows the
    claims held and the time each took.
    """
    from quizzer.demos import REGISTRY

    the_deck = _deck(deck)
    owners = _demo_cards(the_deck)
    if all_ == (card is not None):
        raise QuizzerError("give either a CARD (number, id or demo name) or --all")
    if all_:
        runs = [_run_demo(name, owners.get(name)) for name in REGISTRY]
    else:
        assert card is not None
        runs = [_run_demo(*_demo_for(card, the_deck, owners))]
    if json_:
        _print_json([_demo_json(r) for r in runs] if all_ else _demo_json(runs[0]))
    else:
        from quizzer.ui.demo import show_all, show_result

        if all_:
            show_all(runs)
        else:
            show_result(runs[0], plots=not no_plot)
    if not all(r.result.ok for r in runs):
        raise typer.Exit(1)


def _demo_for(ref: str, deck: Deck, owners: dict[str, str]) -> tuple[str, str | None]:
    """Resolve a demo name, or a card number or id in `deck` or the extras deck."""
    from quizzer.demos import REGISTRY
    from quizzer.paths import EXTRAS_DECK

    if ref in REGISTRY:
        return ref, owners.get(ref)
    try:
        found = deck.find(ref)
    except QuizzerError:
        if ref.isdigit():
            raise
        found = _deck(EXTRAS_DECK).find(ref)  # extras are found by id only
    if not found.demo:
        raise QuizzerError(f"card {found.id!r} has no demo; add `demo:` to its YAML file")
    return found.demo, found.id


@app.command()
@user_errors
def due(
    deck: DeckOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    new: NewOpt = DEFAULT_NEW_PER_DAY,
    reviews: ReviewsOpt = DEFAULT_REVIEWS_PER_DAY,
    day_start: DayStartOpt = DEFAULT_DAY_START,
) -> None:
    """Show what today holds: re-drills, due reviews and new cards."""
    from quizzer.session import summarize_today

    day = _today(day_start)
    with _store(db, deck) as store:
        idx = _indexed(deck, store)
        today = summarize_today(store.today_log(idx.id, day))
        plan = store.day_plan(idx.key, idx.id, day, sorted(today.graded),
                              max(0, reviews - today.reviews_done), max(0, new - today.new_done))
        redrill = len(store.index_present(idx.key, list(today.redrill)))
    due_count, new_count, upcoming = len(plan.due), len(plan.new), plan.next_due
    total = redrill + due_count + new_count
    if json_:
        _print_json({
            "deck": idx.id, "today": day.isoformat(), "due": due_count, "new": new_count,
            "redrill": redrill, "total": total,
            "next_due": upcoming.isoformat() if upcoming else None,
        })
        return
    from quizzer.ui import screens

    screens.due_table(idx.id, day, due_count, new_count, redrill, upcoming)


def _card_json(card: Card, s: State) -> dict[str, Any]:
    return {
        "id": card.id, "number": card.number, "question": card.question,
        "section": card.section, "state": "new" if s.is_new else "review",
        "repetitions": s.repetitions, "interval": s.interval, "ease": s.ease / 100,
        "due": s.due.isoformat() if s.due else None, "lapses": s.lapses, "demo": card.demo,
    }


@app.command()
@user_errors
def cards(deck: DeckOpt = None, db: DbOpt = None, json_: JsonOpt = False) -> None:
    """List every card of the deck with its schedule."""
    with _store(db, deck) as store:
        idx = _indexed(deck, store)
        if json_:
            # Straight from the index's columns: no card is loaded, no State built.
            _print_json([_listing_json(row) for row in store.index_listing(idx.key, idx.id)])
            return
        the_deck = idx.load(store)
        states = store.states_of(idx.id, [c.id for c in the_deck.cards])
    from quizzer.ui import screens

    screens.cards_table(the_deck, states)


def _listing_json(row: tuple[Any, ...]) -> dict[str, Any]:
    """As _card_json, from a row of Store.index_listing."""
    from quizzer.scheduler import START_EASE

    cid, number, question, section, demo, reps, interval, ease, due_, lapses = row
    return {
        "id": cid, "number": number, "question": question, "section": section,
        "state": "new" if due_ is None else "review", "repetitions": reps or 0,
        "interval": interval or 0, "ease": (START_EASE if ease is None else ease) / 100,
        "due": due_, "lapses": lapses or 0, "demo": demo,
    }


@app.command()
@user_errors
def show(
    card: Annotated[str, typer.Argument(help="A card number or id.")],
    deck: DeckOpt = None,
    db: DbOpt = None,
) -> None:
    """Show one card: question, answer, correction, key points, schedule and history."""
    from quizzer.scheduler import NEW
    from quizzer.ui import screens

    with _store(db, deck) as store:
        idx = _indexed(deck, store)
        found = idx.find(store, card)
        state = store.states_of(idx.id, [found.id]).get(found.id, NEW)
        history = store.history(idx.id, found.id)
    screens.show_card(found, state, history)


@app.command()
@user_errors
def validate(
    deck_dir: Annotated[
        str | None,
        typer.Argument(help="A deck folder or bundled deck name; default: the bundled deck."),
    ] = None,
) -> None:
    """Check a deck: every problem is listed as file:line: field: what is wrong."""
    from quizzer.ui import screens

    # Not through the index: validation reads every file, as a user editing the deck expects.
    screens.validated(_deck(deck_dir))


@app.command()
@user_errors
def export(
    output: Annotated[
        str, typer.Option("-o", "--output", help="The Markdown file to write; - for stdout.")
    ] = "study-summary.md",
    deck: DeckOpt = None,
    db: DbOpt = None,
    include_extras: Annotated[
        bool, typer.Option("--include-extras", help="Append the ch11-extras deck.")
    ] = False,
    order: Annotated[
        str, typer.Option("--order", help="chapter, or weakest (weakest cards first).")
    ] = "chapter",
    no_demos: Annotated[
        bool, typer.Option("--no-demos", help="Skip running demos: a fast text-only summary.")
    ] = False,
    day_start: DayStartOpt = DEFAULT_DAY_START,
) -> None:
    """Write a Markdown study summary: every answer, correction, key point, the demos'
    evidence with figures, and your own progress and weakest cards.

    Figures go to an assets folder next to the file. An existing file is replaced only
    by a complete new one.
    """
    from quizzer.export import ORDERS, DeckData, write_export
    from quizzer.paths import EXTRAS_DECK
    from quizzer.ui.progress import progress_bar

    if order not in ORDERS:
        raise QuizzerError(f"--order {order!r}: use one of {', '.join(ORDERS)}")
    day = _today(day_start)
    with _store(db, deck, *([EXTRAS_DECK] if include_extras else [])) as store:
        decks = [_indexed(deck, store).load(store)]
        if include_extras:
            decks.append(_indexed(EXTRAS_DECK, store).load(store))
        parts = [DeckData(d, store.states(d.id), store.history(d.id), extras=i > 0)
                 for i, d in enumerate(decks)]
    from quizzer.demos import run

    run_demo = None if no_demos else run  # importing the registry loads no numpy
    with progress_bar() as progress:
        written = write_export(output, parts, day, order=order,
                               run_demo=run_demo, progress=progress)
    if written is not None:
        from quizzer.ui import screens

        screens.note(f"Wrote {written}")


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    """Console-script entry point."""
    import gc

    # A large deck allocates rows by the 100,000 and almost none of them form cycles:
    # with the default threshold (700) the cyclic collector runs thousands of times over
    # them. Measured at 30,000 cards: loading the whole history 5.3 s -> 3.0 s.
    gc.set_threshold(100_000, 20, 20)
    app()
