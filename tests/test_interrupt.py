"""Ctrl-C: a real process, a real SIGINT, exit status 130, and the review's summary first.

The process is interrupted only once it has printed its prompt (read from an unbuffered
pipe), so no test waits on a timer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

PROMPTS = {
    ("review", "--plain"): b"Your answer",
    ("mock", "--cards", "2", "--seed", "1"): b"Answer: ",
}


def _spawn(args: tuple[str, ...], tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "QUIZZER_TODAY": "2026-12-01",
           "COLUMNS": "100"}
    return subprocess.Popen([sys.executable, "-m", "quizzer", *args], cwd=tmp_path, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _read_until(proc: subprocess.Popen[bytes], marker: bytes) -> bytes:
    assert proc.stdout is not None
    seen = b""
    while marker not in seen:
        chunk = os.read(proc.stdout.fileno(), 4096)
        assert chunk, f"the process ended before printing {marker!r}: {seen!r}"
        seen += chunk
    return seen


@pytest.mark.parametrize("args", list(PROMPTS), ids=lambda a: a[0])
def test_sigint_exits_130(args: tuple[str, ...], tmp_path: Path) -> None:
    proc = _spawn(args, tmp_path)
    # Only once the prompt is out: before Python installs its handler, SIGINT would kill
    # the process outright.
    before = _read_until(proc, PROMPTS[args])
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert b"Traceback" not in err
    if args[0] == "review":
        # The summary is printed before the exit, on stdout; the notice on stderr.
        assert b"Session summary" in before + out
        assert b"Interrupted; every grade given so far is saved." in err


async def test_ctrl_c_in_the_full_screen_reviewer_is_told_apart_from_q(tmp_path: Path) -> None:
    from datetime import date, datetime

    from quizzer.cards import load_deck
    from quizzer.review import Reviewer
    from quizzer.session import Session
    from quizzer.store import Store
    from quizzer.ui.tui import ReviewApp
    from tests.conftest import CONTENT

    deck = load_deck(CONTENT / "ch11")
    with Store.open(tmp_path / "q.db") as store:
        for key, interrupted in (("ctrl+c", True), ("q", False)):
            session = Session.start(deck.cards, {}, [], date(2026, 12, 1))
            app = ReviewApp(Reviewer(session, deck, store, datetime.now), lambda card: None)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.press("escape" if key == "q" else "ctrl+c")
                if key == "q":
                    await pilot.press("q")
            assert app.interrupted is interrupted
            assert app.return_value is not None  # the summary, either way
