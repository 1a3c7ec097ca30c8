"""The settings' built-in defaults and the environment variables that override them.

Rule: one home for both, importing nothing, so that the config file (config.py), the
CLI's options, the quick path (quick.py) and the core's own defaults read the same values
without loading anything for `--help`.
"""

from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, Any] = {
    "decks": ["ch11"],
    "new_per_day": 20,
    "reviews_per_day": 200,
    "day_start": 4,  # hours after local midnight, as in Anki
    "leech_lapses": 4,  # lapses at which a card becomes a leech
    "db": None,  # the user data directory; see paths.default_db_path
}

# Each key's environment variable: the same names the options read.
ENV_VARS: dict[str, str] = {
    "decks": "QUIZZER_DECK",
    "new_per_day": "QUIZZER_NEW_PER_DAY",
    "reviews_per_day": "QUIZZER_REVIEWS_PER_DAY",
    "day_start": "QUIZZER_DAY_START",
    "leech_lapses": "QUIZZER_LEECH_LAPSES",
    "db": "QUIZZER_DB",
}
