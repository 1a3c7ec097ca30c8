"""Benchmark: `quizzer due` and the time to the first card on a generated 5,000-card deck.

Run as `python tests/bench_cli.py [--cards N] [--runs R]`. It prints numbers and asserts
nothing; speed targets are read from its output, not enforced by timed tests.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CARD = """\
id: card-{n:05d}
number: {n}
section: Generated
tags: [bench]
question: What is question {n}?
answer: |
  The answer to question {n}, with a little *Markdown* and `code`.
key_points:
  - First point of card {n}.
  - Second point of card {n}.
"""


def make_deck(root: Path, count: int) -> Path:
    deck = root / "bench-deck"
    deck.mkdir()
    (deck / "deck.yaml").write_text("id: bench\ntitle: Benchmark deck\nsections: [Generated]\n")
    for n in range(1, count + 1):
        (deck / f"c{n:05d}.yaml").write_text(CARD.format(n=n))
    return deck


def timed(cmd: list[str], env: dict[str, str], stdin: str = "") -> float:
    start = time.perf_counter()
    subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - start


def first_card(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from start until the first question is on stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout is not None and proc.stdin is not None
    for line in proc.stdout:
        if "What is question 1?" in line:
            break
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    proc.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        deck = make_deck(root, args.cards)
        env = dict(os.environ, QUIZZER_DB=str(root / "bench.db"), QUIZZER_DECK=str(deck),
                   QUIZZER_TODAY="2026-12-01", COLUMNS="100")
        quizzer = [sys.executable, "-m", "quizzer"]
        timed([*quizzer, "due"], env)  # warm the OS cache and create the database
        rows = {
            "python -c pass (interpreter floor)": [
                timed([sys.executable, "-c", "pass"], env) for _ in range(args.runs)],
            "quizzer --version": [timed([*quizzer, "--version"], env) for _ in range(args.runs)],
            f"quizzer due ({args.cards} cards)": [
                timed([*quizzer, "due"], env) for _ in range(args.runs)],
            f"quizzer review: first card shown ({args.cards} cards)": [
                first_card([*quizzer, "review"], env) for _ in range(args.runs)],
        }
        print(f"{'measurement':<52} {'median':>9} {'min':>9}")
        for name, times in rows.items():
            print(f"{name:<52} {statistics.median(times) * 1000:>7.0f}ms "
                  f"{min(times) * 1000:>7.0f}ms")


if __name__ == "__main__":
    main()
