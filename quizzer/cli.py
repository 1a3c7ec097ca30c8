"""The command line: parse, resolve paths, read the clock, call one function, render.

Rule: this is the only module that imports typer, and the only place a QuizzerError
becomes an exit code: one line on stderr, no traceback, non-zero status.
Heavy libraries (numpy, plotting) are imported inside the commands that need them.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from quizzer import __version__
from quizzer.defaults import DEFAULTS
from quizzer.errors import QuizzerError

if TYPE_CHECKING:

    from quizzer.cards import Card, Deck
    from quizzer.index import Db, IndexedDeck
    from quizzer.model import Exam, LogEntry, Review
    from quizzer.review import Summary
    from quizzer.scheduler import State
    from quizzer.stats import LogDigest
    from quizzer.store import Store
    from quizzer.ui.demo import DemoRun

DEFAULT_DAY_START: int = DEFAULTS["day_start"]
DEFAULT_NEW_PER_DAY: int = DEFAULTS["new_per_day"]
DEFAULT_REVIEWS_PER_DAY: int = DEFAULTS["reviews_per_day"]
DEFAULT_LEECH_LAPSES: int = DEFAULTS["leech_lapses"]
# Kept here rather than imported from stats, so that `--help` loads nothing else.
DEFAULT_STATS_DAYS = 112

app = typer.Typer(
    help="Spaced-repetition exam prep in the terminal: review, run demos, export a summary.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def _complete_deck(incomplete: str) -> list[str]:
    """Bundled deck names and the config file's decks that start with `incomplete`."""
    try:
        from quizzer.paths import bundled_decks, config_path

        names = [*bundled_decks(), *_read_config(config_path()).get("decks", [])]
    except QuizzerError:
        return []
    return [n for n in dict.fromkeys(names) if n.startswith(incomplete)]


def _complete_card(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """Card numbers and ids of the deck given so far (or the default one), each with its
    question (one line, printable characters only) as the help a shell can show."""
    deck = ctx.params.get("deck")
    try:
        if not deck:
            from quizzer.paths import config_path

            deck = _read_config(config_path()).get("decks", [None])[0]
        cards = _completion_cards(deck, ctx.params.get("db"))
    except QuizzerError:
        return []  # a broken deck or config: no suggestions, and no error in the shell
    if incomplete.isdigit() or not incomplete:
        found = [(str(number), _shell_help(question)) for number, _, question in cards
                 if str(number).startswith(incomplete)]
        if incomplete:
            return found
    else:
        found = []
    return found + [(cid, _shell_help(question)) for _, cid, question in cards
                    if cid.startswith(incomplete)]


def _completion_cards(deck: str | None, db: str | None) -> list[tuple[int, str, str]]:
    """(number, id, question) of every card of a deck: through its index when a database
    is there (a TAB on a large deck parses no file, and draws no progress bar on the
    shell's line), else from the files."""
    from quizzer.commands import open_ready
    from quizzer.paths import default_db_path

    reads = open_ready(db or os.environ.get("QUIZZER_DB") or str(default_db_path()))
    if reads is None:
        return [(c.number, c.id, c.question) for c in _deck(deck).cards]
    try:
        from quizzer.demos import REGISTRY
        from quizzer.index import open_deck
        from quizzer.paths import resolve_deck

        idx = open_deck(resolve_deck(deck), reads, REGISTRY)
        return [(number, cid, question) for cid, number, question, *_ in
                reads.index_listing(idx.key, idx.id)]
    finally:
        reads.close()


def _shell_help(text: str) -> str:
    # Deck text must never drive the terminal, and a shell's completion menu is one line.
    line = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    return line if len(line) <= 60 else line[:59] + "…"


CardArg = Annotated[
    str, typer.Argument(help="A card number or id.", autocompletion=_complete_card)
]
DeckOpt = Annotated[
    str | None,
    typer.Option(
        "--deck", envvar="QUIZZER_DECK", show_default=True, autocompletion=_complete_deck,
        help="A deck folder (holding deck.yaml) or a bundled deck name: ch11, ch11-extras.",
    ),
]
DecksOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--deck", envvar="QUIZZER_DECK", show_default=True, autocompletion=_complete_deck,
        help="A deck folder (holding deck.yaml) or a bundled deck name: ch11, ch11-extras. "
             "Repeat it to study several decks as one.",
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="QUIZZER_DB", show_default=True,
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
    int, typer.Option("--new", envvar="QUIZZER_NEW_PER_DAY", min=0,
                      help="New cards per day (counting today's so far).")
]
ReviewsOpt = Annotated[
    int, typer.Option("--reviews", envvar="QUIZZER_REVIEWS_PER_DAY", min=0,
                      help="Reviews per day (counting today's so far).")
]
LeechOpt = Annotated[
    int,
    typer.Option(
        "--leech-lapses", envvar="QUIZZER_LEECH_LAPSES", min=1,
        help="Lapses at which a card counts as a leech (flagged, never suspended).",
    ),
]


def user_errors(fn: F) -> F:
    """Turn a QuizzerError into one line on stderr and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QuizzerError as exc:
            from quizzer.ui import console

            console.report(exc)
            raise typer.Exit(1) from None

    # typer keeps a docstring's line breaks, so a paragraph written over several source
    # lines would break mid-sentence at 80 columns; one line per paragraph wraps cleanly.
    wrapper.__doc__ = _reflow(fn.__doc__ or "")
    return wrapper  # type: ignore[return-value]


def _reflow(doc: str) -> str:
    import inspect

    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"quizzer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = None,
) -> None:
    """Spaced-repetition exam prep in the terminal."""
    from quizzer.paths import config_path

    path = config_path()
    try:
        given = _read_config(path)
    except QuizzerError as exc:
        if ctx.invoked_subcommand != "config":
            from quizzer.ui import console

            console.error(str(exc))
            raise typer.Exit(1) from None
        ctx.obj = exc  # `quizzer config --path` still helps find a broken file
        return
    ctx.default_map = _default_map(given)


def _read_config(path: Path) -> dict[str, Any]:
    from quizzer.paths import config_given

    return config_given(path)


# Option name -> config key. The config reaches the options as click's default_map, so
# an option or its environment variable still wins, and --help shows what is in force.
_CONFIG_KEYS = {"new": "new_per_day", "reviews": "reviews_per_day", "day_start": "day_start",
                "leech_lapses": "leech_lapses", "db": "db"}


def _default_map(given: dict[str, Any]) -> dict[str, Any]:
    from quizzer.paths import DEFAULT_DECK, default_db_path

    decks: list[str] = given.get("decks", [DEFAULT_DECK])
    common = {opt: given[key] for opt, key in _CONFIG_KEYS.items() if key in given}
    common.setdefault("db", str(default_db_path()))
    return {name: {**common, "deck": decks if name in _MULTI_DECK else decks[0]}
            for name in _command_names()}


# The commands whose --deck may be repeated; the others take the first config deck.
_MULTI_DECK = frozenset({"review", "due", "cards", "stats", "plan", "export"})


def _command_names() -> list[str]:
    return [c.name or (c.callback.__name__.replace("_", "-") if c.callback else "")
            for c in app.registered_commands]


def _deck(deck: str | None) -> Deck:
    from quizzer.commands import load_deck_files

    return load_deck_files(deck)


def _indexed(deck: str | None, store: Db) -> IndexedDeck:
    from quizzer.commands import indexed

    return indexed(deck, store)


def _store(db: str | None, *decks: str | None) -> Store:
    from quizzer.commands import open_store

    return open_store(db, *decks)


def _today(day_start: int) -> date:
    from quizzer.paths import today

    return today(day_start)


def _deck_names(names: list[str] | None) -> list[str]:
    """The --deck values, each once, in order; none means the default deck."""
    from quizzer.paths import DEFAULT_DECK

    return list(dict.fromkeys(names or [DEFAULT_DECK]))


def _open_decks(names: list[str], store: Store) -> list[Deck]:
    """Several decks, each whole, through the index; two names for one deck id are an
    error, since the database keys history by deck id."""
    return [d.load(store) for d in _open_indexed(names, store)]


def _open_indexed(names: list[str], store: Db) -> list[IndexedDeck]:
    """Several decks through the index, none of them loaded (see _open_decks)."""
    decks: list[IndexedDeck] = []
    for name in names:
        the_deck = _indexed(name, store)
        if any(d.id == the_deck.id for d in decks):
            raise QuizzerError(f"--deck {name}: deck id {the_deck.id!r} is given twice; "
                               "each deck may be studied once per command")
        decks.append(the_deck)
    return decks


def _read_many(decks: list[Deck], store: Store, day: date) -> tuple[
        Deck, dict[str, State], list[LogEntry], dict[str, Exam | None]]:
    """Several decks as one: the combined deck, states and today's log under card keys,
    and each deck's exam (quizzer.decks.exams_by_card gives each card its own)."""
    from quizzer.decks import combine, keyed_log, keyed_states

    with store.snapshot():
        states = keyed_states({d.id: store.states(d.id) for d in decks})
        log = [e for d in decks for e in keyed_log(d.id, store.today_log(d.id, day))]
        exams = {d.id: store.exam(d.id) for d in decks}
    return combine(decks), states, log, exams


@app.command()
@user_errors
def review(
    deck: DecksOpt = None,
    db: DbOpt = None,
    new: NewOpt = DEFAULT_NEW_PER_DAY,
    reviews: ReviewsOpt = DEFAULT_REVIEWS_PER_DAY,
    day_start: DayStartOpt = DEFAULT_DAY_START,
    leech_lapses: LeechOpt = DEFAULT_LEECH_LAPSES,
    plain: Annotated[
        bool, typer.Option("--plain", help="Line mode even in a terminal (as with a pipe).")
    ] = False,
) -> None:
    """Review today's cards: type an answer, see it marked against the key points and the
    reference, grade yourself 0-5.

    In a terminal this opens the full-screen reviewer; with piped input or --plain, each
    card reads one line for the answer (empty reveals) and one for the grade or command.
    Every grade is saved the moment you give it. u undoes the last grade, d runs the
    card's demo, q quits.
    """

    names = _deck_names(deck)
    day = _today(day_start)
    if len(names) > 1:
        _review_many(names, db, day, new, reviews, leech_lapses, plain)
        return
    [deck_name] = names
    from quizzer.commands import review_deck

    _finish(review_deck(deck_name, db, day, new, reviews, leech_lapses, plain))


def _review_many(names: list[str], db: str | None, day: date, new: int, reviews: int,
                 leech_lapses: int, plain: bool) -> None:
    """`review` over several decks: one session whose cards are keyed deck/card, each
    grade stored under its own deck (review.KeyedStore)."""
    from quizzer.decks import exams_by_card
    from quizzer.review import KeyedStore, Reviewer
    from quizzer.session import Session, due_on, next_due
    from quizzer.ui import screens

    with _store(db, *names) as store:
        decks = _open_decks(names, store)
        the_deck, states, log, exams = _read_many(decks, store, day)
        session = Session.start(the_deck.cards, states, log, day, new, reviews,
                                exam_of=exams_by_card(decks, exams))
        if session.current is None:
            ids = [c.id for c in the_deck.cards]
            waiting = due_on(states, ids, day)  # past the day's review limit
            upcoming = next_due(states, ids, after=day)
            count = due_on(states, ids, upcoming) - waiting if upcoming else 0
            screens.nothing_due(day, upcoming, count, waiting)
            return
        reviewer = Reviewer(session, the_deck, KeyedStore(store), datetime.now,
                            leech_lapses=leech_lapses, notify=screens.warn)
        from quizzer.commands import drive

        ended = drive(reviewer, plain)
    _finish(ended)


def _finish(ended: tuple[Summary, bool] | None) -> None:
    from quizzer.commands import finish

    if (code := finish(ended)) != 0:
        raise typer.Exit(code)  # Ctrl-C, as in every command; the summary first


def _run_demo(name: str, card: str | None, seed: int | None = None) -> DemoRun:
    from quizzer.commands import run_demo

    return run_demo(name, card, seed)


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
        "seed": run.seed, "ok": r.ok, "seconds": round(run.seconds, 4),
        "claims": [{"claim": c.statement, "kind": c.kind, "key": c.key, "value": c.value,
                    "expected": c.expected, "ok": c.ok} for c in r.claims],
        "plots": [{"title": p.title, "xlabel": p.xlabel, "ylabel": p.ylabel,
                   "series": [s.label for s in p.series]} for p in r.plots],
    }


@app.command()
@user_errors
def demo(
    card: Annotated[
        str | None, typer.Argument(help="A card number or id, or a demo name.",
                                   autocompletion=_complete_card)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Run every registered demo.")] = False,
    no_plot: Annotated[bool, typer.Option("--no-plot", help="Do not draw plots.")] = False,
    claims: Annotated[
        bool, typer.Option("--claims", help="Show every claim (checks and values) in a table.")
    ] = False,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Run at this seed instead of the default 11."),
    ] = None,
    json_: JsonOpt = False,
    deck: DeckOpt = None,
) -> None:
    """Run a card's NumPy demo: its sentence, its key numbers and its plots.

    --claims adds every claim: checks (evidence a wrong card would fail) and values
    (numbers computed and shown). Exits with status 1 if any claim fails. With --all,
    runs every demo and shows the claims held and the time each took.
    """
    from quizzer.demos import REGISTRY

    the_deck = _deck(deck)
    owners = _demo_cards(the_deck)
    if all_ == (card is not None):
        raise QuizzerError("give either a CARD (number, id or demo name) or --all")
    if all_:
        runs = [_run_demo(name, owners.get(name), seed) for name in REGISTRY]
    else:
        assert card is not None
        runs = [_run_demo(*_demo_for(card, the_deck, owners), seed)]
    if json_:
        _print_json([_demo_json(r) for r in runs] if all_ else _demo_json(runs[0]))
    else:
        from quizzer.ui.demo import show_all, show_result

        if all_:
            show_all(runs)
        else:
            show_result(runs[0], plots=not no_plot, claims=claims)
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
        if ref.isascii() and ref.isdigit():
            raise
        found = _deck(EXTRAS_DECK).find(ref)  # extras are found by id only
    if not found.demo:
        raise QuizzerError(f"card {found.id!r} has no demo; add `demo:` to its YAML file")
    return found.demo, found.id


@app.command()
@user_errors
def due(
    deck: DecksOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    new: NewOpt = DEFAULT_NEW_PER_DAY,
    reviews: ReviewsOpt = DEFAULT_REVIEWS_PER_DAY,
    day_start: DayStartOpt = DEFAULT_DAY_START,
    on: Annotated[
        str | None,
        typer.Option("--on", metavar="DATE",
                     help="Plan ahead: what a session on this day (YYYY-MM-DD) would hold, "
                          "if nothing is reviewed before it."),
    ] = None,
) -> None:
    """Show what today holds: re-drills, due reviews and new cards."""
    from quizzer.commands import due_report, show_due

    names = _deck_names(deck)
    day = _today(day_start)
    if on is not None:
        day = _planning_day(on, day)
    if len(names) > 1:
        _due_many(names, db, day, new, reviews, json_)
        return
    [deck_name] = names
    with _store(db, deck_name) as store:
        report = due_report(store, _indexed(deck_name, store), day, new, reviews)
    show_due(report, json_)


def _due_many(names: list[str], db: str | None, day: date, new: int, reviews: int,
              json_: bool) -> None:
    """`due` over several decks: one queue, the limits shared, counted per deck."""
    from quizzer.decks import split
    from quizzer.plan import days_left
    from quizzer.session import build_queue, next_due, summarize_today

    with _store(db, *names) as store:
        decks = _open_decks(names, store)
        the_deck, states, log, exams = _read_many(decks, store, day)
    queue = build_queue(the_deck.cards, states, summarize_today(log), day, new, reviews)
    kinds = ["redrill" if i.kind == "drill" else "new" if i.card.id not in states else "due"
             for i in queue]
    entries = [{"deck": split(i.card.id)[0], "id": split(i.card.id)[1], "kind": k}
               for i, k in zip(queue, kinds, strict=True)]
    per_deck: list[dict[str, Any]] = []
    for d in decks:
        mine = [e["kind"] for e in entries if e["deck"] == d.id]
        upcoming = next_due(states, [c.id for c in the_deck.cards if split(c.id)[0] == d.id],
                            after=day)
        row: dict[str, Any] = {
            "deck": d.id, "due": mine.count("due"), "new": mine.count("new"),
            "redrill": mine.count("redrill"), "total": len(mine),
            "next_due": upcoming.isoformat() if upcoming else None,
        }
        if (exam := exams[d.id]) is not None:
            row |= {"exam": exam.day.isoformat(), "days_left": days_left(exam, day)}
        per_deck.append(row)
    upcoming = next_due(states, [c.id for c in the_deck.cards], after=day)
    if json_:
        _print_json({
            "decks": [d.id for d in decks], "today": day.isoformat(),
            "due": kinds.count("due"), "new": kinds.count("new"),
            "redrill": kinds.count("redrill"), "total": len(queue),
            "next_due": upcoming.isoformat() if upcoming else None,
            "per_deck": per_deck, "queue": entries,
        })
        return
    from quizzer.ui import screens

    screens.due_decks(day, per_deck, upcoming)


def _card_json(card: Card, s: State, leech_lapses: int, deck_id: str) -> dict[str, Any]:
    from quizzer.stats import is_leech

    return {
        "deck": deck_id, "id": card.id, "number": card.number, "question": card.question,
        "section": card.section, "state": "new" if s.is_new else "review",
        "repetitions": s.repetitions, "interval": s.interval, "ease": s.ease / 100,
        "due": s.due.isoformat() if s.due else None, "lapses": s.lapses, "demo": card.demo,
        "leech": is_leech(s, leech_lapses),
    }


@app.command()
@user_errors
def cards(
    deck: DecksOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    leech_lapses: LeechOpt = DEFAULT_LEECH_LAPSES,
) -> None:
    """List every card of the deck with its schedule; leeches are marked."""
    names = _deck_names(deck)
    if len(names) > 1:
        _cards_many(names, db, json_, leech_lapses)
        return
    [deck_name] = names
    with _store(db, deck_name) as store:
        idx = _indexed(deck_name, store)
        # Straight from the index's columns: no card is loaded.
        listing = store.index_listing(idx.key, idx.id)
        if json_:
            _print_json([_listing_json(row, leech_lapses, idx.id) for row in listing])
            return
        title = idx.bare(store).meta.title
    from quizzer.indexdb import day_of
    from quizzer.scheduler import START_EASE, State
    from quizzer.ui import screens

    screens.cards_table(f"{title} ({idx.id})", [
        screens.ListedCard(number, cid, question, State(reps or 0, interval or 0,
                           START_EASE if ease is None else ease, day_of(due_), lapses or 0),
                           (lapses or 0) >= leech_lapses)  # as quizzer.stats.is_leech
        for cid, number, question, _, _, reps, interval, ease, due_, lapses in listing])


def _cards_many(names: list[str], db: str | None, json_: bool, leech_lapses: int) -> None:
    """`cards` over several decks: each deck's cards, each card naming its deck."""
    from quizzer.scheduler import NEW

    with _store(db, *names) as store:
        decks = _open_decks(names, store)
        with store.snapshot():
            per_deck = {d.id: store.states(d.id) for d in decks}
    if json_:
        _print_json([_card_json(c, per_deck[d.id].get(c.id, NEW), leech_lapses, d.id)
                     for d in decks for c in d.cards])
        return
    from quizzer.ui import screens

    for the_deck in decks:
        states = per_deck[the_deck.id]
        leeches = _leeches(the_deck, states, leech_lapses)
        screens.cards_table(f"{the_deck.meta.title} ({the_deck.id})", [
            screens.ListedCard(c.number, c.id, c.question, states.get(c.id, NEW), c.id in leeches)
            for c in the_deck.cards])


def _leeches(deck: Deck, states: dict[str, State], leech_lapses: int) -> set[str]:
    """The ids of the deck's cards that are leeches (quizzer.stats.is_leech)."""
    from quizzer.scheduler import NEW
    from quizzer.stats import is_leech

    return {c.id for c in deck.cards if is_leech(states.get(c.id, NEW), leech_lapses)}


def _listing_json(row: tuple[Any, ...], leech_lapses: int, deck_id: str) -> dict[str, Any]:
    """A card and its schedule for `cards --json`, from a row of Store.index_listing;
    the same keys as _card_json."""
    from quizzer.scheduler import START_EASE

    cid, number, question, section, demo, reps, interval, ease, due_, lapses = row
    return {
        "deck": deck_id, "id": cid, "number": number, "question": question,
        "section": section, "state": "new" if due_ is None else "review",
        "repetitions": reps or 0, "interval": interval or 0,
        "ease": (START_EASE if ease is None else ease) / 100,
        "due": due_, "lapses": lapses or 0, "demo": demo,
        "leech": (lapses or 0) >= leech_lapses,  # as quizzer.stats.is_leech
    }


@app.command()
@user_errors
def show(
    card: CardArg,
    deck: DeckOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    leech_lapses: LeechOpt = DEFAULT_LEECH_LAPSES,
) -> None:
    """Show one card: question, answer, correction, key points, schedule and history."""
    from quizzer.scheduler import NEW
    from quizzer.ui import screens

    with _store(db, deck) as store:
        idx = _indexed(deck, store)
        found = idx.find(store, card)
        with store.snapshot():
            state = store.states_of(idx.id, [found.id]).get(found.id, NEW)
            history = store.history(idx.id, found.id)
    if json_:
        _print_json(_show_json(idx.id, found, state, history, leech_lapses))
        return
    screens.show_card(found, state, history)


def _show_json(deck_id: str, card: Card, state: State, history: list[Review],
               leech_lapses: int) -> dict[str, Any]:
    """`show --json`: the card's fields, its schedule as `cards --json` gives it, and
    every review, oldest first."""
    return {
        **_card_json(card, state, leech_lapses, deck_id),
        "pages": list(card.pages), "tags": list(card.tags), "answer": card.answer,
        "correction": card.correction,
        "key_points": [{"text": p.text, "match": [list(g) for g in p.match]}
                       for p in card.key_points],
        "history": [{
            "reviewed_at": r.reviewed_at.isoformat(), "day": r.day.isoformat(),
            "kind": r.kind, "grade": r.grade, "interval": r.after.interval,
            "ease": r.after.ease / 100, "seconds": round(r.seconds, 1), "answer": r.answer,
        } for r in history],
    }


@app.command()
@user_errors
def mark(
    card: CardArg,
    answer: Annotated[
        str | None,
        typer.Option("--answer", help="The answer to mark; without it, read from stdin."),
    ] = None,
    json_: JsonOpt = False,
    deck: DeckOpt = None,
    db: DbOpt = None,
) -> None:
    """Mark an answer against a card's key points: which are covered, the coverage and the
    suggested grade. Nothing is stored."""
    from quizzer.commands import open_ready
    from quizzer.marker import mark as mark_answer
    from quizzer.paths import default_db_path

    # A database already there holds the deck's index: one card is read, not every file.
    reads = open_ready(db if db else str(default_db_path()))
    if reads is not None:
        try:
            idx = _indexed(deck, reads)
            deck_id, found = idx.id, idx.find(reads, card)
        finally:
            reads.close()
    else:
        the_deck = _deck(deck)
        deck_id, found = the_deck.id, the_deck.find(card)
    text = answer if answer is not None else sys.stdin.read()
    marking = mark_answer(found, text)
    if json_:
        _print_json({
            "deck": deck_id, "card": found.id, "coverage": round(marking.coverage, 4),
            "suggested_grade": marking.suggested_grade,
            "key_points": [{"text": p.text, "covered": p.covered} for p in marking.points],
        })
        return
    from quizzer.ui import screens

    screens.marking(found, marking)


@app.command()
@user_errors
def validate(
    deck_dir: Annotated[
        str | None,
        typer.Argument(help="A deck folder or bundled deck name; default: the bundled deck.",
                       autocompletion=_complete_deck),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Check a deck: every problem is listed as file:line: field: what is wrong.

    With --json, stdout holds one object whatever the outcome, and the exit status is 1
    when the deck has problems.
    """
    from quizzer.ui import screens

    if not json_:
        # Not through the index: validation reads every file, as a user editing the deck
        # expects.
        screens.validated(_deck(deck_dir))
        return
    from quizzer.cards import DeckError
    from quizzer.paths import resolve_deck

    path = resolve_deck(deck_dir)
    try:
        the_deck = _deck(deck_dir)
    except DeckError as exc:
        _print_json({"ok": False, "path": str(path), "problems": [
            {"file": str(p.file), "line": p.line, "field": p.field, "message": p.message}
            for p in exc.problems]})
        raise typer.Exit(1) from None
    _print_json({"ok": True, "path": str(the_deck.path), "deck": the_deck.id,
                 "cards": len(the_deck.cards),
                 "demos": sum(1 for c in the_deck.cards if c.demo), "problems": []})


@app.command()
@user_errors
def export(
    output: Annotated[
        str, typer.Option("-o", "--output", help="The Markdown file to write; - for stdout.")
    ] = "study-summary.md",
    deck: DecksOpt = None,
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
    leech_lapses: LeechOpt = DEFAULT_LEECH_LAPSES,
) -> None:
    """Write a Markdown study summary: every answer, correction, key point, the demos'
    evidence with figures, and your own progress and weakest cards.

    Figures go to an assets folder next to the file. An existing file is replaced only
    by a complete new one.
    """
    import gc

    from quizzer.commands import (
        keep_summary_progress,
        read_db,
        summary_cards,
        summary_overview,
        summary_progress,
    )
    from quizzer.export import ORDERS, DeckData, write_export
    from quizzer.paths import EXTRAS_DECK

    if order not in ORDERS:
        raise QuizzerError(f"--order {order!r}: use one of {', '.join(ORDERS)}")
    from quizzer.paths import resolve_deck

    names = _deck_names(deck)
    extras = resolve_deck(EXTRAS_DECK) if include_extras else None
    if extras is not None and all(resolve_deck(n) != extras for n in names):
        names.append(EXTRAS_DECK)
    day = _today(day_start)
    # The summary allocates millions of objects (cards, views, pieces of text) and no
    # cycles worth collecting: the collector would walk them again and again. Measured
    # at 100,000 cards (median of 3): 7.9 s -> 7.5 s. With demos, the figures' cycles
    # wait for the end instead: 192 MB -> 201 MB peak on ch11 (each demo runs once).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with read_db(db, *names) as store:
            # Each deck's cards as the summary shows them, from the database: a card's
            # text is rendered once per change of its file, not once per export.
            indexed = _open_indexed(names, store)
            decks = [(d, d.bare(store), summary_cards(d, store)) for d in indexed]
            made = []
            with store.snapshot():
                # The first deck is the main part; each further one its own part after it.
                parts = []
                for i, (d, bare, cards) in enumerate(decks):
                    ids = {c.id for c in cards}
                    extra, further = i > 0 and bare.path == extras, i > 0 and bare.path != extras
                    if no_demos:
                        # No charts, so no statistics beyond the overview's counts: each
                        # card's progress is rendered once per grade, the counts are the
                        # store's.
                        kept, rendered = summary_progress(d, store, ids)
                        made.append((d, rendered))
                        parts.append(DeckData(
                            bare, {}, (), cards=cards, extras=extra, further=further,
                            leech_lapses=leech_lapses, log=_empty_digest(day),
                            progress=kept,
                            overview=summary_overview(d, store, ids, day, leech_lapses)))
                    else:
                        parts.append(DeckData(
                            bare, store.states(d.id), (), cards=cards, extras=extra,
                            further=further, leech_lapses=leech_lapses,
                            log=_log_digest(store, d.id, ids, day)))
            for d, rendered in made:  # for the next export, once the snapshot is over
                keep_summary_progress(d, store, rendered)
        if no_demos:  # nothing to show progress of: no demo runs, no figure is drawn
            written = write_export(output, parts, day, order=order)
        else:
            from quizzer.demos import run
            from quizzer.ui.progress import progress_bar

            with progress_bar() as progress:
                written = write_export(output, parts, day, order=order, run_demo=run,
                                       progress=progress)
    finally:
        if gc_was_enabled:
            gc.enable()
    if written is not None:
        from quizzer.ui import screens

        screens.status(f"Wrote {written}")


def _log_digest(store: Db, deck: str, ids: set[str], day: date,
                days: int | None = None) -> LogDigest:
    """The review log of deck `deck` (cards `ids`) reduced by the store's aggregates
    (export and stats never load it whole); `days`: the heatmap's window, HEATMAP_DAYS
    by default."""
    from quizzer.stats import HEATMAP_DAYS, RETENTION_DAYS, stored_digest

    days = HEATMAP_DAYS if days is None else days
    by_card = store.log_by_card(deck)
    removed = sorted(set(by_card) - ids)
    return stored_digest(
        day, days, ids, by_card,
        store.log_by_day(deck, day - timedelta(days=days - 1), day, removed),
        store.review_days(deck, removed),
        store.recent_retention(deck, day - timedelta(days=RETENTION_DAYS - 1), day),
        store.today_log(deck, day),
    )


def _empty_digest(day: date) -> LogDigest:
    """The digest of no log: for a part whose progress and overview are given."""
    from quizzer.stats import HEATMAP_DAYS, stored_digest

    return stored_digest(day, HEATMAP_DAYS, (), {}, {}, (), {}, ())


def _no_exam(deck_id: str) -> QuizzerError:
    return QuizzerError(f"deck {deck_id!r} has no exam date; set one with "
                        "quizzer plan --exam YYYY-MM-DD")


def _parse_day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QuizzerError(f"{option} {text!r} is not a date; use YYYY-MM-DD") from None


def _planning_day(text: str, today: date) -> date:
    from quizzer.paths import LAST_DAY

    day = _parse_day("--on", text)
    if not today <= day <= LAST_DAY:
        raise QuizzerError(f"--on {text}: give a day from today ({today}) to {LAST_DAY}")
    return day


@app.command()
@user_errors
def plan(
    exam: Annotated[
        str | None, typer.Option("--exam", help="Set the deck's exam date (YYYY-MM-DD).")
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove the deck's exam date.")] = False,
    window: Annotated[
        int, typer.Option("--window", min=1, max=14,
                          help="Days of final review before the exam (with --exam).")
    ] = 3,
    deck: DecksOpt = None,
    db: DbOpt = None,
    json_: JsonOpt = False,
    new: NewOpt = DEFAULT_NEW_PER_DAY,
    day_start: DayStartOpt = DEFAULT_DAY_START,
) -> None:
    """Plan to the exam: reviews and new cards for each day, the final-review window,
    and the estimated recall on exam day.

    --exam sets the deck's exam date (stored in the database, so every command sees it);
    --clear removes it. Due dates that SM-2 would put on or after the exam move into the
    last few days before it.
    """
    from quizzer.model import Exam
    from quizzer.plan import build_plan, window_for

    if clear and exam is not None:
        raise QuizzerError("give either --exam YYYY-MM-DD or --clear, not both")
    names = _deck_names(deck)
    day = _today(day_start)
    with _store(db, *names) as store:
        if len(names) == 1 and not clear and exam is None:
            # Said before the whole deck and its log are read (seconds at 100,000 cards).
            deck_id = _indexed(names[0], store).id
            if store.exam(deck_id) is None:
                raise _no_exam(deck_id)
        # A plan needs each card's id and number, not its text.
        decks = [(d.bare(store), d.listed(store)) for d in _open_indexed(names, store)]
        if clear:
            from quizzer.ui.plan import exam_cleared

            for the_deck, _ in decks:
                exam_cleared(the_deck.id, store.clear_exam(the_deck.id))
            return
        if exam is not None:
            exam_day = _parse_day("--exam", exam)
            if exam_day <= day:
                raise QuizzerError(
                    f"--exam {exam}: the exam must be after today ({day}); give a later date"
                )
            for the_deck, _ in decks:  # several decks: one exam for all of them
                store.set_exam(the_deck.id,
                               Exam(exam_day, window_for(exam_day, day, window), day))
        with store.snapshot():
            # The log as each card's deciding grades and today's rows: never a Review
            # per row (1,000,000 of them took 10 s).
            stored = {d.id: (store.exam(d.id), store.states(d.id), store.deciding_grades(d.id),
                             store.today_log(d.id, day)) for d, _ in decks}
    for the_deck, _ in decks:
        the_exam = stored[the_deck.id][0]
        if the_exam is None and len(decks) == 1:
            raise _no_exam(the_deck.id)
        if the_exam is not None and the_exam.day <= day:
            raise QuizzerError(
                f"deck {the_deck.id!r}: the exam on {the_exam.day} is not ahead of today "
                f"({day}); scheduling is plain SM-2 again: quizzer plan --clear, or set a "
                "new --exam date"
            )
    if all(exam_ is None for exam_, _, _, _ in stored.values()):
        raise QuizzerError(f"none of the decks ({', '.join(d.id for d, _ in decks)}) has an "
                           "exam date; set one with quizzer plan --exam YYYY-MM-DD")
    from quizzer.readiness import readiness
    from quizzer.session import summarize_today

    results: list[dict[str, Any]] = []
    for the_deck, cards in decks:
        the_exam, states, past, today_log = stored[the_deck.id]
        if the_exam is None:
            results.append({"deck": the_deck.id, "exam": None})
            if not json_:
                from quizzer.ui import screens

                screens.note(f"{the_deck.id}: no exam date; set one with "
                             f"quizzer plan --deck {the_deck.id} --exam YYYY-MM-DD")
            continue
        new_done = summarize_today(today_log).new_done
        ids = [c.id for c in cards]
        the_plan = build_plan(ids, states, the_exam, day, new, new_done)
        ready = readiness(ids, past, the_exam.day, the_plan.planned)
        results.append({
            "deck": the_deck.id,
            "exam": the_exam.day.isoformat(), "days_left": the_plan.days_left,
            "window_days": the_exam.window, "unseen": the_plan.unseen,
            "days": [{"date": d.day.isoformat(), "due": d.due, "new": d.new}
                     for d in the_plan.days],
            "readiness": {"mean": round(ready.mean, 4),
                          "cards": [{"id": cid, "recall": round(r, 4)}
                                    for cid, r in ready.cards]},
        })
        if not json_:
            from quizzer.ui.plan import show_plan

            show_plan(the_deck.id, cards, the_plan, ready)
    if json_:
        _print_json(results[0] if len(decks) == 1 else results)


@app.command()
@user_errors
def mock(
    cards_: Annotated[
        int, typer.Option("--cards", min=1, help="How many questions.")
    ] = 5,
    minutes: Annotated[
        float | None, typer.Option("--minutes", min=0.1,
                                   help="Time limit; default 4 minutes a question.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the draw; same seed, same questions.")
    ] = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Only this section (any unique part of it).")
    ] = None,
    output: Annotated[
        str | None, typer.Option("-o", "--output",
                                 help="The Markdown report; default mock-YYYY-MM-DD.md.")
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Prompts to stderr; only the result JSON on stdout.")
    ] = False,
    deck: DeckOpt = None,
    db: DbOpt = None,
    day_start: DayStartOpt = DEFAULT_DAY_START,
) -> None:
    """A timed mock exam, weighted toward your weakest cards: write each answer, then see
    the key points you hit and missed, and a Markdown report.

    No answer is shown until the end; when the time is up, the rest count as unanswered.
    Each answer is marked against the card's key points; in a terminal you can confirm or
    flip each mark. The attempt is stored on its own and never changes a schedule. With
    piped input, each question reads one line.
    """
    import secrets
    import time
    from pathlib import Path

    from quizzer import mock as exam
    from quizzer.ui.console import interactive
    from quizzer.ui.mock import MockScreen

    day = _today(day_start)
    report_path = Path(output or f"mock-{day.isoformat()}.md")
    if not report_path.parent.is_dir():
        raise QuizzerError(f"-o {report_path}: the folder {report_path.parent} does not "
                           "exist; create it or pass another -o")
    the_seed = seed if seed is not None else secrets.randbelow(1_000_000)
    if section:
        # A mistyped section is reported before the database is opened (or made): deck.yaml
        # alone names the sections. A broken deck.yaml is left to the deck's own checks.
        from quizzer.cards import Problem, parse_meta
        from quizzer.paths import resolve_deck

        problems: list[Problem] = []
        meta = parse_meta(resolve_deck(deck) / "deck.yaml", problems)
        if meta is not None:
            exam.find_section(meta, section)
    with _store(db, deck) as store:
        the_deck = _indexed(deck, store).load(store)  # the index, not every file parsed
        chosen_section = exam.find_section(the_deck.meta, section) if section else None
        states = store.states(the_deck.id)
        questions = exam.draw(the_deck.cards, states, cards_, the_seed, chosen_section)
        limit = minutes if minutes is not None else exam.MINUTES_PER_QUESTION * len(questions)
        screen = MockScreen(to_stderr=json_)
        screen.intro(len(questions), limit, the_seed)
        started_at = datetime.now()
        attempts = exam.run_exam(questions, limit, screen.ask, time.monotonic)
        markings = [exam.marking_for(a) for a in attempts]
        if interactive():
            markings = [screen.confirm(a, m, i) if a.answered else m
                        for i, (a, m) in enumerate(zip(attempts, markings, strict=True), 1)]
        text = exam.report(the_deck, day, the_seed, limit, attempts, markings)
        store.record_mock(the_deck.id, started_at, day, the_seed, limit,
                          [exam.stored(a, m) for a, m in zip(attempts, markings, strict=True)])
    try:
        report_path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise QuizzerError(f"-o {report_path}: cannot write the report ({exc.strerror}); "
                           "the attempt is stored; pass another -o") from None
    if json_:
        _print_json(exam.result_json(attempts, markings))
    screen.results(attempts, markings, str(report_path))


@app.command()
@user_errors
def stats(
    deck: DecksOpt = None,
    db: DbOpt = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3660,
                          help="Days the heatmap, time spent and weekly retention cover.")
    ] = DEFAULT_STATS_DAYS,
    json_: JsonOpt = False,
    leech_lapses: LeechOpt = DEFAULT_LEECH_LAPSES,
    day_start: DayStartOpt = DEFAULT_DAY_START,
) -> None:
    """Your progress: cards by state, a heatmap of reviews with streaks, time spent, true
    retention, the forecast of reviews due, mastery per section and leeches."""
    from quizzer.stats import as_json, digest_stats

    names = _deck_names(deck)
    day = _today(day_start)
    with _store(db, *names) as store:
        # Statistics need no card's text: the index's columns, and the log reduced in
        # SQL as the summary reads it (1,000,000 rows never load).
        decks = [(d.bare(store), d.listed(store)) for d in _open_indexed(names, store)]
        with store.snapshot():
            stored = {d.id: (store.states(d.id),
                             _log_digest(store, d.id, {c.id for c in cards}, day, days),
                             store.exam(d.id)) for d, cards in decks}
    # Several decks: each deck's statistics in turn (a JSON list, each naming its deck).
    results = []
    for the_deck, cards in decks:
        states, log, exam = stored[the_deck.id]
        results.append(digest_stats(
            cards, states, log, leech_lapses=leech_lapses, sections=the_deck.meta.sections,
            exam=exam.day if exam is not None and exam.day > day else None))
    if json_:
        if len(decks) == 1:
            _print_json(as_json(results[0]))
        else:
            _print_json([{"deck": d.id, **as_json(r)}
                         for (d, _), r in zip(decks, results, strict=True)])
        return
    from quizzer.ui.stats import show_stats

    for (the_deck, cards), result in zip(decks, results, strict=True):
        show_stats(the_deck.id, cards, result)


@app.command("decks")
@user_errors
def decks_list(
    db: DbOpt = None,
    json_: JsonOpt = False,
    day_start: DayStartOpt = DEFAULT_DAY_START,
) -> None:
    """List the decks you study: the bundled ones and those in the config file, each
    with its folder, its cards, what is due today and its exam date.

    A deck in the config file that cannot be read is listed with its problem.
    """
    from quizzer.paths import DEFAULT_DECK, bundled_decks, config_path, resolve_deck
    from quizzer.plan import days_left
    from quizzer.session import due_on

    studied = _read_config(config_path()).get("decks", [DEFAULT_DECK])
    day = _today(day_start)
    rows: list[dict[str, Any]] = []
    seen: set[Path] = set()
    with _store(db) as store:
        for name in [*studied, *bundled_decks()]:
            try:
                path = resolve_deck(name).resolve()
                if path in seen:
                    continue
                seen.add(path)
                the_deck = _indexed(name, store).load(store)
            except QuizzerError as exc:
                rows.append({"name": name, "deck": None, "path": None, "studied": True,
                             "problem": str(exc)})
                continue
            with store.snapshot():
                states = store.states(the_deck.id)
                exam = store.exam(the_deck.id)
            ids = [c.id for c in the_deck.cards]
            rows.append({
                "name": name, "deck": the_deck.id, "path": str(the_deck.path),
                "studied": name in studied, "title": the_deck.meta.title,
                "cards": len(ids), "due": due_on(states, ids, day),
                "new": sum(1 for cid in ids if cid not in states),
                "exam": exam.day.isoformat() if exam else None,
                "days_left": days_left(exam, day) if exam else None,
            })
    if json_:
        _print_json(rows)
        return
    from quizzer.ui import screens

    screens.decks_table(day, rows)


@app.command()
@user_errors
def config(
    ctx: typer.Context,
    path_only: Annotated[
        bool, typer.Option("--path", help="Print only the config file's path.")
    ] = False,
    json_: JsonOpt = False,
) -> None:
    """Show the settings in force and where each came from: an environment variable, the
    config file, or the default. An option given to a command wins over all three.

    The file is config.toml in the user config directory, or the file QUIZZER_CONFIG names.
    """
    from quizzer.config import effective
    from quizzer.paths import default_db_path

    path = _config_path()
    if path_only:
        sys.stdout.write(f"{path}\n")
        return
    if isinstance(ctx.obj, QuizzerError):
        from quizzer.ui import console

        console.error(str(ctx.obj))
        raise typer.Exit(1)
    from quizzer.config import load_config

    settings = effective(load_config(path), os.environ)
    default_db = str(default_db_path())
    values = {s.key: default_db if s.key == "db" and s.value is None else s.value
              for s in settings}
    if json_:
        _print_json({"file": str(path), "exists": path.is_file(),
                     "settings": {s.key: {"value": values[s.key], "source": s.source}
                                  for s in settings}})
        return
    from quizzer.ui import screens

    screens.settings(str(path), path.is_file(),
                     [(s.key, _toml(values[s.key]), s.source) for s in settings])


def _toml(value: Any) -> str:
    """A value as TOML writes it: strings quoted, lists bracketed."""
    return json.dumps(value, ensure_ascii=False)


def _config_path() -> Path:
    from quizzer.paths import config_path

    return config_path()


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    """Run the CLI; a closed or failing standard output is one line on stderr, exit 1."""
    import gc

    from quizzer.output import guarded

    # A large deck allocates rows by the 100,000 and almost none of them form cycles:
    # with the default threshold (700) the cyclic collector runs thousands of times over
    # them. Measured at 30,000 cards: loading the whole history 5.3 s -> 3.0 s.
    gc.set_threshold(100_000, 20, 20)
    guarded(app)
