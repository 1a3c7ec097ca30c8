"""Shared fixtures. Rule: no test ever touches the user's real data or clock settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# As quizzer.demos.run does for the CLI: set before anything in the test run imports numpy.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every data path at tmp_path and clear the variables a user may have set."""
    data = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("QUIZZER_DB", str(data / "quizzer.db"))
    # Never the user's own config.toml: a test that wants one writes this path.
    monkeypatch.setenv("QUIZZER_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config-home"))
    # No deck watcher (quizzer/watch.py) outlives a test: tests/test_watch.py turns it on
    # for itself, with its sockets in this test's own folder.
    monkeypatch.setenv("QUIZZER_WATCH", "off")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    for var in ("QUIZZER_DECK", "QUIZZER_TODAY", "QUIZZER_DAY_START", "QUIZZER_LEECH_LAPSES",
                "QUIZZER_NEW_PER_DAY", "QUIZZER_REVIEWS_PER_DAY"):
        monkeypatch.delenv(var, raising=False)
    return data / "quizzer.db"
