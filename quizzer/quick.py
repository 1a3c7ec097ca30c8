"""`quizzer due` and `quizzer review` without the CLI framework: a plain `due` costs a
look at the deck folder and a few indexed queries, and the first card of a review shows
before typer, SQLAlchemy or the marker load.

Rule 1: the quick path answers only `due`, `due --json`, `review` and `review --plain`,
with no other option, and only with settings it reads exactly as the CLI does. Anything
else (an option, several decks, a config or variable the CLI must judge) returns False
and the full CLI runs. `due` also leaves a database that is not ready (new, older, not
writable) and any error to the CLI, which reports it in its usual way; `review` reports
errors itself, as the CLI does (console.report), since it may fail after the first card.
Rule 2: both paths count, review and render with quizzer/commands.py, so they cannot
differ.
"""

from __future__ import annotations

import os
import sys

from quizzer.defaults import DEFAULTS, ENV_VARS
from quizzer.errors import QuizzerError

# The numeric settings, in this order, and the values the CLI's options accept.
_INT_SETTINGS = {  # config key -> (lowest, highest)
    "new_per_day": (0, None),
    "reviews_per_day": (0, None),
    "day_start": (0, 23),
    "leech_lapses": (1, None),
}
_ANSWERED = (["due"], ["due", "--json"], ["review"], ["review", "--plain"])


def quick(argv: list[str]) -> bool:
    """Run the command here if it is one the quick path answers; False: run the CLI."""
    if argv not in _ANSWERED:
        return False
    try:
        found = _settings()
    except QuizzerError:
        return False  # a broken config: the CLI says so in its own words
    if found is None:
        return False
    if argv[0] == "due":
        return _due(found, json_=argv[-1] == "--json")
    return _review(found, plain=argv[-1] == "--plain")


def _due(found: tuple[str | None, str, list[int]], json_: bool) -> bool:
    from quizzer.commands import due_report, indexed, open_ready, show_due
    from quizzer.paths import today

    deck_name, target, (new, reviews, day_start, _) = found
    try:
        day = today(day_start)
        db = open_ready(target)
        if db is None:
            return False
        try:
            report = due_report(db, indexed(deck_name, db), day, new, reviews)
        finally:
            db.close()
    except QuizzerError:
        return False  # the full CLI says it in its own words
    from quizzer.output import guarded

    guarded(lambda: show_due(report, json_))
    return True


def _review(found: tuple[str | None, str, list[int]], plain: bool) -> bool:
    from quizzer.commands import finish, review_deck
    from quizzer.output import guarded
    from quizzer.paths import today

    deck_name, target, (new, reviews, day_start, leech_lapses) = found
    code = 0

    def run() -> None:
        nonlocal code
        try:
            ended = review_deck(deck_name, target, today(day_start), new, reviews,
                                leech_lapses, plain)
        except QuizzerError as exc:
            from quizzer.ui import console

            console.report(exc)
            code = 1
            return
        code = finish(ended)

    guarded(run)
    if code:
        sys.exit(code)
    return True


def _settings() -> tuple[str | None, str, list[int]] | None:
    """The deck, the database, and the limits, day start and leech threshold in force for
    a command given no option: the environment, then the config file, then the defaults,
    as the CLI resolves them. None when something is not plain enough to be sure of."""
    from quizzer.paths import config_given, config_path

    given = config_given(config_path())
    decks = os.environ.get(ENV_VARS["decks"], "")
    if decks:  # the CLI splits a list option's variable on white space
        words = decks.split()
        if len(words) != 1:
            return None
        deck: str | None = words[0]
    else:
        configured = given.get("decks", [None])
        if len(configured) != 1:
            return None  # several decks: the CLI's multi-deck commands
        deck = configured[0]
    target = os.environ.get(ENV_VARS["db"], "") or given.get("db")
    if target is None:
        from quizzer.paths import default_db_path

        target = str(default_db_path())
    numbers = []
    for key, (low, high) in _INT_SETTINGS.items():
        text = os.environ.get(ENV_VARS[key], "")
        if not text:
            numbers.append(int(given.get(key, DEFAULTS[key])))
            continue
        if not (text.isascii() and text.isdigit()):
            return None
        value = int(text)
        if value < low or (high is not None and value > high):
            return None
        numbers.append(value)
    return deck, target, numbers
