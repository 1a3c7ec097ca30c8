"""The user's config file: the decks studied by default, the daily limits, the day start,
the leech threshold and the database.

Rule: the file is read with tomllib into a strict pydantic model; an unknown key or a bad
value is one QuizzerError line naming the file, the key and the problem. Precedence
(option, then environment variable, then this file, then the default) is applied by the
CLI through click's default_map; this module only reads the file and reports sources.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from quizzer.defaults import DEFAULTS, ENV_VARS
from quizzer.errors import QuizzerError
from quizzer.paths import ENV_CONFIG, config_path

__all__ = ["DEFAULTS", "ENV_CONFIG", "ENV_VARS", "Config", "Setting", "config_path",
           "effective", "load_config"]


class Config(BaseModel):
    """The keys of config.toml; every one is optional."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    decks: list[str] | None = Field(default=None, min_length=1)
    new_per_day: int | None = Field(default=None, ge=0)
    reviews_per_day: int | None = Field(default=None, ge=0)
    day_start: int | None = Field(default=None, ge=0, le=23)
    leech_lapses: int | None = Field(default=None, ge=1)
    db: str | None = Field(default=None, min_length=1)

    def given(self) -> dict[str, Any]:
        """The keys the file sets."""
        return self.model_dump(exclude_none=True)


def load_config(path: Path) -> Config:
    """The config at `path`; a missing file is an empty config."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except IsADirectoryError:
        raise QuizzerError(f"{path}: is a folder, not a config file; point "
                           f"{ENV_CONFIG} at a .toml file") from None
    except OSError as exc:
        raise QuizzerError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise QuizzerError(f"{path}: not UTF-8 text; save the config file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise QuizzerError(f"{path}: not valid TOML ({exc}); fix the file") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise QuizzerError(_problem(path, exc)) from None
    if config.decks is not None and any(not d.strip() for d in config.decks):
        raise QuizzerError(f"{path}: decks: an empty deck name; give a folder or a "
                           "bundled deck name")
    return config


def _problem(path: Path, exc: ValidationError) -> str:
    """The first problem as one line: file, key, what is wrong, what to do."""
    first = exc.errors()[0]
    key = ".".join(str(p) for p in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        known = ", ".join(DEFAULTS)
        return f"{path}: {key}: unknown key; the keys are {known}"
    value = first.get("input")
    shown = repr(value)
    if len(shown) > 40:
        shown = f"the {type(value).__name__}"
    return f"{path}: {key}: {shown} is not valid ({first['msg'].lower()}); fix or remove it"


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str  # "environment (VAR)", "config file", or "default"


def effective(config: Config, environ: dict[str, str] | os._Environ[str]) -> list[Setting]:
    """Each key's value in force for a command given no option, and where it came from."""
    given = config.given()
    settings = []
    for key, default in DEFAULTS.items():
        var = ENV_VARS[key]
        text = environ.get(var, "").strip()
        if text:
            value: Any = text.split() if key == "decks" else text
            if key not in ("decks", "db"):
                value = int(text) if text.lstrip("-").isdigit() else text
            settings.append(Setting(key, value, f"environment ({var})"))
        elif key in given:
            settings.append(Setting(key, given[key], "config file"))
        else:
            settings.append(Setting(key, default, "default"))
    return settings
