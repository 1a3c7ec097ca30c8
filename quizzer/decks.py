"""Several decks studied as one: card keys, the combined deck, states and logs.

Rule 1: when a session spans several decks, every card is named by its key,
`deck-id/card-id`, because two decks may use the same card id (and both have a #1);
a session over one deck renames nothing. Deck and card ids are slugs, so `/` is free.
Rule 2: pure: takes loaded decks and stored rows, returns plain types; the store keeps
plain ids, and review.KeyedStore translates at the boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from quizzer.cards import Card, Deck
from quizzer.model import Exam, LogEntry
from quizzer.scheduler import State

SEP = "/"


def key(deck_id: str, card_id: str) -> str:
    return f"{deck_id}{SEP}{card_id}"


def split(card_key: str) -> tuple[str, str]:
    """(deck id, card id) of a key."""
    deck_id, _, card_id = card_key.partition(SEP)
    return deck_id, card_id


def combine(decks: Sequence[Deck]) -> Deck:
    """One deck holding every card under its key: deck by deck, each in number order,
    which is the order new cards are introduced in."""
    cards = tuple(c.model_copy(update={"id": key(d.id, c.id)}) for d in decks for c in d.cards)
    meta = decks[0].meta.model_copy(update={
        "id": "+".join(d.id for d in decks),
        "title": " + ".join(d.meta.title for d in decks),
        "sections": tuple(s for d in decks for s in d.meta.sections),
    })
    return Deck(decks[0].path, meta, cards)


def keyed_states(per_deck: Mapping[str, Mapping[str, State]]) -> dict[str, State]:
    return {key(d, cid): s for d, states in per_deck.items() for cid, s in states.items()}


def keyed_log(deck_id: str, log: Iterable[LogEntry]) -> list[LogEntry]:
    return [replace(e, card_id=key(deck_id, e.card_id)) for e in log]


def exams_by_card(decks: Sequence[Deck],
                  exams: Mapping[str, Exam | None]) -> dict[str, tuple[Exam, tuple[str, ...]]]:
    """Card key -> its deck's exam and the keys of that deck's cards (the window rule
    counts one deck's load); cards of a deck without an exam date are left out."""
    result: dict[str, tuple[Exam, tuple[str, ...]]] = {}
    for d in decks:
        exam = exams.get(d.id)
        if exam is not None:
            keys = tuple(key(d.id, c.id) for c in d.cards)
            result |= dict.fromkeys(keys, (exam, keys))
    return result


def deck_of(card: Card) -> str | None:
    """The deck id in a keyed card's id, or None for a plain one."""
    deck_id, sep, _ = card.id.partition(SEP)
    return deck_id if sep else None
