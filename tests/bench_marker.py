"""Print the marker's quality on the labelled set and its speed per answer.

    python tests/bench_marker.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quizzer.marker import mark
from tests.marker_quality import KINDS, bundled_cards, holdout_score, labels, score


def main() -> None:
    result = score()
    print(f"per-key-point agreement: {result.agreement:.3f} over {result.pairs} pairs")
    print(f"complete > partial > wrong and off-topic: {result.ordered:.3f} of cards")
    for line in result.disagreements:
        print("  disagree:", line)
    for line in result.disordered:
        print("  out of order:", line)
    held, pairs, misses = holdout_score()
    print(f"held-out agreement (never tuned on): {held:.3f} over {pairs} pairs")
    for line in misses:
        print("  held-out disagree:", line)
    cards = bundled_cards()
    answers = [(cards[cid], str(a[k]["answer"])) for cid, a in labels().items() for k in KINDS]
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for card, text in answers:
            mark(card, text)
    per = (time.perf_counter() - start) / (rounds * len(answers))
    print(f"marking: {per * 1000:.3f} ms per answer ({len(answers)} answers x {rounds})")


if __name__ == "__main__":
    main()
