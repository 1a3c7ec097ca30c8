"""Nothing answered is lost: a grade survives a killed process; light commands stay light."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest


def _env(db: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"QUIZZER_DB": str(db), "QUIZZER_TODAY": "2026-12-01", "COLUMNS": "100"})
    return env


def test_grade_is_kept_when_the_process_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "quizzer", "review"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_env(db), text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("my answer\n4\n")
    proc.stdin.flush()
    # The confirmation is printed only after the grade is committed; the process is then
    # blocked reading the next card's answer, and is killed there, without warning.
    for line in proc.stdout:
        if line.startswith("Next review in"):
            break
    else:
        errors = proc.stderr.read() if proc.stderr else ""
        pytest.fail(f"the session never confirmed the grade: {errors}")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    rows = sqlite3.connect(db).execute(
        "SELECT card_id, grade, answer FROM review_log").fetchall()
    assert rows == [("deep-net-problems", 4, "my answer")]
    state = sqlite3.connect(db).execute("SELECT card_id, repetitions FROM card_state").fetchall()
    assert state == [("deep-net-problems", 1)]


@pytest.mark.parametrize("command", [["due"], ["cards"], ["review"], ["show", "3"]])
def test_light_commands_import_no_numpy_or_plotting(tmp_path: Path, command: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "quizzer", *command],
        input="", capture_output=True, text=True, env=_env(tmp_path / "q.db"), check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0]
                for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "quizzer" in imported
    assert not imported & {"numpy", "matplotlib", "plotext"}
