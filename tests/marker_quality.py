"""Score the marker on the labelled set (tests/marker_labels.yaml): shared by the test
and by `python tests/bench_marker.py`, which prints the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from quizzer.cards import Card, load_deck
from quizzer.marker import mark
from quizzer.paths import resolve_deck

LABELS = Path(__file__).with_name("marker_labels.yaml")
HOLDOUT = Path(__file__).with_name("marker_holdout.yaml")
KINDS = ("complete", "partial", "wrong", "off-topic")


@dataclass(frozen=True)
class Score:
    agreement: float  # share of (answer, key point) pairs where the marker matches the label
    ordered: float  # share of cards with complete > partial > max(wrong, off-topic)
    pairs: int
    disagreements: tuple[str, ...]
    disordered: tuple[str, ...]


def bundled_cards() -> dict[str, Card]:
    return {c.id: c for name in ("ch11", "ch11-extras")
            for c in load_deck(resolve_deck(name)).cards}


def labels() -> dict[str, dict[str, dict[str, object]]]:
    data: dict[str, dict[str, dict[str, object]]] = yaml.safe_load(
        LABELS.read_text(encoding="utf-8"))
    return data


def score() -> Score:
    cards = bundled_cards()
    agree = pairs = 0
    disagreements: list[str] = []
    disordered: list[str] = []
    ordered = 0
    data = labels()
    for card_id, answers in data.items():
        card = cards[card_id]
        coverage = {}
        for kind in KINDS:
            entry = answers[kind]
            covers = set(entry["covers"])  # type: ignore[call-overload]
            marking = mark(card, str(entry["answer"]))
            coverage[kind] = marking.coverage
            for i, point in enumerate(marking.points):
                pairs += 1
                if point.covered == (i in covers):
                    agree += 1
                else:
                    said = "covered" if point.covered else "missed"
                    disagreements.append(f"{card_id} {kind} kp{i}: marker says {said}")
        if coverage["complete"] > coverage["partial"] > max(coverage["wrong"],
                                                            coverage["off-topic"]):
            ordered += 1
        else:
            disordered.append(f"{card_id}: " + " ".join(
                f"{k}={coverage[k]:.2f}" for k in KINDS))
    return Score(agree / pairs, ordered / len(data), pairs, tuple(disagreements),
                 tuple(disordered))


def holdout_score() -> tuple[float, int, tuple[str, ...]]:
    """Per-key-point agreement on the held-out answers (never tuned on)."""
    cards = bundled_cards()
    data: dict[str, dict[str, object]] = yaml.safe_load(HOLDOUT.read_text(encoding="utf-8"))
    agree = pairs = 0
    misses: list[str] = []
    for card_id, entry in data.items():
        covers = set(entry["covers"])  # type: ignore[call-overload]
        for i, point in enumerate(mark(cards[card_id], str(entry["answer"])).points):
            pairs += 1
            if point.covered == (i in covers):
                agree += 1
            else:
                said = "covered" if point.covered else "missed"
                misses.append(f"{card_id} kp{i}: marker says {said}")
    return agree / pairs, pairs, tuple(misses)
