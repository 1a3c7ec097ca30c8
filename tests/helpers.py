"""Small builders shared by the tests."""

from __future__ import annotations

from quizzer.cards import Card

SECTION = "Only section"


def card(number: int, cid: str | None = None) -> Card:
    return Card(
        id=cid or f"card-{number}",
        number=number,
        section=SECTION,
        question=f"Question {number}?",
        answer=f"Answer {number}.",
    )


def cards(n: int) -> list[Card]:
    return [card(i) for i in range(1, n + 1)]
