"""Time `quizzer export` on the ch11 deck with and without demos; prints the numbers.

Run: .venv/bin/python tests/bench_export.py [--extras]. Not collected by pytest. A
synthetic 60-day history is written to a temporary database, never the user's.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from quizzer.cards import load_deck
from quizzer.cli import _log_digest
from quizzer.demos import REGISTRY, run
from quizzer.export import DeckData, write_export
from quizzer.paths import EXTRAS_DECK, resolve_deck
from quizzer.scheduler import NEW, State, review
from quizzer.session import Event
from quizzer.store import Store

TODAY = date(2026, 6, 30)


def seed_history(store: Store, deck_id: str, card_ids: list[str]) -> None:
    rng = random.Random(11)
    states: dict[str, State] = {}
    for offset in range(60, -1, -1):
        day = TODAY - timedelta(days=offset)
        for cid in card_ids:
            s = states.get(cid, NEW)
            if s.due is None or s.due <= day:
                g = rng.choice([1, 3, 4, 4, 5, 5])
                after = review(s, g, day)
                store.record(deck_id, Event(cid, "schedule", g, day, s, after, "typed"),
                             datetime.combine(day, datetime.min.time()))
                states[cid] = after


def timed(fn: Callable[[], None], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    extras = "--extras" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        decks = [load_deck(resolve_deck(None), known_demos=REGISTRY)]
        if extras:
            decks.append(load_deck(resolve_deck(EXTRAS_DECK), known_demos=REGISTRY))
        with Store.open(folder / "q.db") as store:
            for deck in decks:
                seed_history(store, deck.id, [c.id for c in deck.cards])
            # As `quizzer export` reads them: the log as the store's digest, not whole.
            parts = [DeckData(d, store.states(d.id), (),
                              log=_log_digest(store, d.id, {c.id for c in d.cards}, TODAY),
                              extras=i > 0)
                     for i, d in enumerate(decks)]
        out = folder / "study-summary.md"

        def text_only() -> None:
            write_export(out, parts, TODAY)

        def with_demos() -> None:
            write_export(out, parts, TODAY, run_demo=run)

        fast = timed(text_only, 5)
        slow = timed(with_demos, 3)
        figures = len(list((folder / "study-summary_assets").iterdir()))
        size = out.stat().st_size
    label = "ch11 + extras" if extras else "ch11"
    print(f"{label}: --no-demos  median {statistics.median(fast) * 1000:7.1f} ms "
          f"(first {fast[0] * 1000:.1f} ms)")
    print(f"{label}: with demos  first {slow[0]:6.2f} s (imports numpy, matplotlib), "
          f"then {statistics.median(slow[1:]):.2f} s; {figures} figures, {size} bytes")


if __name__ == "__main__":
    main()
