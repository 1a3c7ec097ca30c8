"""Typed input never crashes a review or loses a grade, and never reaches the terminal
or the database as control sequences."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from quizzer.ui.console import MAX_LINE


def review(tmp_path: Path, data: bytes, **env: str) -> subprocess.CompletedProcess[bytes]:
    full = dict(os.environ, QUIZZER_DB=str(tmp_path / "q.db"), QUIZZER_TODAY="2026-12-01",
                COLUMNS="100", **env)
    result = subprocess.run([sys.executable, "-m", "quizzer", "review"], input=data,
                            capture_output=True, env=full)
    assert b"Traceback" not in result.stderr, result.stderr.decode(errors="replace")
    assert result.returncode == 0
    return result


def log(tmp_path: Path) -> list[tuple[int, str]]:
    return sqlite3.connect(tmp_path / "q.db").execute(
        "SELECT grade, answer FROM review_log ORDER BY id").fetchall()


@pytest.mark.parametrize("env", [
    {"LC_ALL": "C"}, {"LC_ALL": "C.UTF-8"}, {"LC_ALL": "POSIX", "PYTHONUTF8": "0"},
    {"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"},
])
def test_invalid_utf8_in_an_answer_keeps_the_grade_in_every_locale(
    tmp_path: Path, env: dict[str, str]
) -> None:
    review(tmp_path, b"bad \xff\xfe bytes\n4\n", **env)
    [(grade, answer)] = log(tmp_path)
    assert grade == 4 and answer.startswith("bad ") and answer.endswith(" bytes")


def test_only_ascii_digits_are_grades(tmp_path: Path) -> None:
    result = review(tmp_path, "answer\n²\n³\n٤\n４\n04\n3\n".encode())
    assert log(tmp_path) == [(3, "answer")]
    said = result.stdout.decode()
    assert all(f"'{c}' is not a grade" in said for c in ["²", "³", "٤", "４"])


def test_control_characters_are_removed_from_typed_answers(tmp_path: Path) -> None:
    typed = "a\x1b]52;c;aGk=\x07b\x1b[2J\x9bc\x00d\te"
    result = review(tmp_path, (typed + "\n5\n").encode())
    assert log(tmp_path) == [(5, "a]52;c;aGk=b[2Jcd e")]
    assert b"\x1b]52" not in result.stdout and b"\x07" not in result.stdout


def test_a_huge_answer_is_cut_with_a_notice(tmp_path: Path) -> None:
    result = review(tmp_path, b"x" * (MAX_LINE * 30) + b"\n4\n")
    [(grade, answer)] = log(tmp_path)
    assert grade == 4 and answer == "x" * MAX_LINE
    assert f"cut to its first {MAX_LINE:,} characters".encode() in result.stdout


def test_arrow_keys_edit_the_line_in_a_terminal(tmp_path: Path) -> None:
    import pty
    import select

    env = dict(os.environ, QUIZZER_DB=str(tmp_path / "q.db"), QUIZZER_TODAY="2026-12-01",
               COLUMNS="100", TERM="xterm")
    pid, fd = pty.fork()
    if pid == 0:  # the child: a review in a terminal
        os.execve(sys.executable, [sys.executable, "-m", "quizzer", "review", "--plain"], env)
    seen = b""

    def until(marker: bytes) -> None:
        nonlocal seen
        while marker not in seen:
            # A hang fails the test instead of blocking the suite (not a timing check).
            if not select.select([fd], [], [], 30)[0]:
                pytest.fail(f"no {marker!r} from the review: {seen[-300:]!r}")
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child has ended
                break
            if not chunk:
                break
            seen += chunk

    until(b"Your answer")
    os.write(fd, b"abc\x1b[DX\r")  # Left arrow, then X: "abXc"
    until(b"Grade 0-5")
    os.write(fd, b"4\r")
    until(b"Next review")
    seen = seen.split(b"Next review", 1)[1]
    until(b"Your answer")
    os.write(fd, b"\x04")  # Ctrl-D at the next answer: end of input ends the session
    until(b"Session summary")
    os.close(fd)
    os.waitpid(pid, 0)
    assert log(tmp_path) == [(4, "abXc")]
