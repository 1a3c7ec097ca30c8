"""Benchmark: quizzer.stats.deck_stats on a generated 5,000-card deck with a year of history.

Run as `python tests/bench_stats.py [--cards N] [--reviews R] [--runs K]`. It prints numbers
and asserts nothing. The history is built in memory (pure core types), so this times the
statistics alone, not the database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date, datetime, timedelta

from quizzer.cards import Card
from quizzer.model import Review
from quizzer.scheduler import NEW, State, review
from quizzer.stats import deck_stats

TODAY = date(2026, 12, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=5000)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(11)
    sections = [f"Section {i}" for i in range(20)]
    cards = [Card(id=f"card-{n}", number=n, section=sections[n % 20], question="Q?",
                  answer="A.") for n in range(1, args.cards + 1)]
    states: dict[str, State] = {}
    log: list[Review] = []
    for i in range(args.reviews):
        day = TODAY - timedelta(days=365 - i * 365 // args.reviews)
        cid = f"card-{rng.randint(1, args.cards)}"
        before = states.get(cid, NEW)
        grade = rng.choice((0, 2, 3, 4, 4, 5, 5))
        after = review(before, grade, day)
        states[cid] = after
        log.append(Review(i, cid, datetime.combine(day, datetime.min.time()), day, grade,
                          "schedule", before, after, "", rng.uniform(3, 60)))
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        deck_stats(cards, states, log, TODAY, sections=sections)
        times.append(time.perf_counter() - start)
    print(f"deck_stats: {args.cards} cards, {args.reviews} reviews: "
          f"median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
