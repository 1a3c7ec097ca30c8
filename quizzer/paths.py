"""Where things live: the bundled decks, the user's database, the review day.

Rule: every default can be overridden from the command line or the environment,
and nothing here creates files; the store creates the database when it opens.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

from quizzer.errors import QuizzerError
from quizzer.session import DEFAULT_DAY_START, review_day

DEFAULT_DECK = "ch11"
EXTRAS_DECK = "ch11-extras"


def content_dir() -> Path:
    """The bundled decks: inside the package in a wheel, beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "content", here.parent / "content"):
        if candidate.is_dir():
            return candidate
    raise QuizzerError(  # pragma: no cover - only a broken install gets here
        f"the bundled decks are missing from {here}; reinstall quizzer"
    )


def bundled_decks() -> list[str]:
    return sorted(p.name for p in content_dir().iterdir() if (p / "deck.yaml").is_file())


def resolve_deck(deck: str | None) -> Path:
    """A deck folder from a path or the name of a bundled deck; None means the default deck."""
    if not deck:
        return content_dir() / DEFAULT_DECK
    path = Path(deck).expanduser()
    if path.is_dir():
        return path
    if "/" not in deck and (content_dir() / deck).is_dir():
        return content_dir() / deck
    names = ", ".join(bundled_decks())
    raise QuizzerError(
        f"deck {deck!r}: no such folder and no bundled deck of that name; "
        f"pass a folder holding deck.yaml or one of: {names}"
    )


ENV_CONFIG = "QUIZZER_CONFIG"


def config_path() -> Path:
    """QUIZZER_CONFIG if set, else config.toml in the platform's user config directory.
    Here, not in quizzer/config.py, so that finding the file imports no pydantic."""
    override = os.environ.get(ENV_CONFIG, "").strip()
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path("quizzer", appauthor=False) / "config.toml"


def config_given(path: Path) -> dict[str, Any]:
    """The keys the config file at `path` sets; no file, no pydantic import."""
    if not path.exists():
        return {}
    from quizzer.config import load_config

    return load_config(path).given()


def default_db_path() -> Path:
    """The database in the platform's user data directory."""
    from platformdirs import user_data_path

    return user_data_path("quizzer", appauthor=False) / "quizzer.db"


# The review days quizzer accepts: a card's interval (at most 100 years) and the
# summary's look-back must stay within the calendar Python can represent.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9899, 12, 31)


def today(day_start_hour: int = DEFAULT_DAY_START, now: datetime | None = None) -> date:
    """The review day: QUIZZER_TODAY if set, else the local time shifted by the day start."""
    override = os.environ.get("QUIZZER_TODAY", "").strip()
    if override:
        try:
            day = date.fromisoformat(override)
        except ValueError:
            raise QuizzerError(
                f"QUIZZER_TODAY={override!r} is not a date; use YYYY-MM-DD or unset it"
            ) from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise QuizzerError(
                f"QUIZZER_TODAY={override!r} is out of range; use a day from {FIRST_DAY} "
                f"to {LAST_DAY} or unset it"
            )
        return day
    return review_day(now or datetime.now(), day_start_hour)
