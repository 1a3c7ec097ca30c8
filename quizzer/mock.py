"""The mock exam: draw questions, time the answers, mark them, score and report.

Rule 1: a mock exam never touches a schedule; it only reads states to find weak cards,
and its result is stored on its own (Store.record_mock).
Rule 2: pure: the random seed, the clock and the way an answer is asked for are passed
in, so a test drives an exam with a fake clock and never waits. Marking is the marker's.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from quizzer.cards import Card, Deck, DeckMeta
from quizzer.errors import QuizzerError
from quizzer.export import escape_markdown, escape_text
from quizzer.marker import Marking, PointMark, mark, marking_of
from quizzer.model import MockAnswer
from quizzer.scheduler import NEW, START_EASE, State

DEFAULT_CARDS = 5
MINUTES_PER_QUESTION = 4  # the default time limit is this times the number of questions
NEW_WEIGHT = 2.0  # a card never reviewed weighs as much as one lapse


def weight(state: State) -> float:
    """How strongly a card is drawn: 1, plus 1 per lapse, plus 1 per 0.20 of ease lost."""
    if state.is_new:
        return NEW_WEIGHT
    return 1.0 + state.lapses + max(0, START_EASE - state.ease) / 20


def find_section(meta: DeckMeta, name: str) -> str:
    """The deck section called `name` (any case), or the one section whose name contains it."""
    sections = list(meta.sections)
    exact = [s for s in sections if s.lower() == name.lower()]
    found = exact or [s for s in sections if name.lower() in s.lower()]
    if len(found) != 1:
        what = "matches no section" if not found else "matches several sections"
        raise QuizzerError(f"--section {name!r} {what} of deck {meta.id!r}; use one of: "
                           + "; ".join(sections))
    return found[0]


def draw(
    cards: Sequence[Card], states: Mapping[str, State], n: int, seed: int,
    section: str | None = None,
) -> list[Card]:
    """`n` questions across the sections, weighted toward weak cards, in deck order.

    Within a section, cards are drawn without replacement with probability proportional
    to `weight` (Efraimidis–Spirakis keys); the sections take turns in an order the seed
    shuffles. The same seed and states always give the same questions.
    """
    rng = random.Random(seed)
    pool = [c for c in cards if section is None or c.section == section]
    by_section: dict[str, list[tuple[float, int, Card]]] = {}
    for c in pool:  # one draw per card in deck order, so the keys depend only on the seed
        key = rng.random() ** (1 / weight(states.get(c.id, NEW)))
        by_section.setdefault(c.section, []).append((key, -c.number, c))
    queues = [sorted(v, reverse=True) for v in by_section.values()]
    rng.shuffle(queues)
    chosen: list[Card] = []
    while len(chosen) < n and any(queues):
        for q in queues:
            if q and len(chosen) < n:
                chosen.append(q.pop(0)[2])
    return sorted(chosen, key=lambda c: c.number)


@dataclass(frozen=True)
class Attempt:
    """One question as the student left it. `answered` is False when the time ran out
    first, the answer came in after it, or input ended."""

    card: Card
    answer: str
    seconds: float
    answered: bool
    late: bool = False


# ask(card, position from 1, total, seconds left) -> the answer, or None at end of input.
Ask = Callable[[Card, int, int, float], str | None]


def run_exam(cards: Sequence[Card], minutes: float, ask: Ask,
             clock: Callable[[], float]) -> list[Attempt]:
    """Ask each question in turn until the time is up; the rest count as unanswered."""
    deadline = clock() + minutes * 60
    attempts: list[Attempt] = []
    ended = False
    for i, card in enumerate(cards, 1):
        started = clock()
        if ended or started >= deadline:
            attempts.append(Attempt(card, "", 0.0, answered=False))
            continue
        text = ask(card, i, len(cards), deadline - started)
        finished = clock()
        if text is None:
            ended = True
            attempts.append(Attempt(card, "", 0.0, answered=False))
            continue
        late = finished > deadline
        attempts.append(Attempt(card, text, finished - started, answered=not late, late=late))
    return attempts


def marking_for(attempt: Attempt) -> Marking:
    """The marker's marking of an answered question; an unanswered one covers nothing."""
    if attempt.answered:
        return mark(attempt.card, attempt.answer)
    return marking_of([PointMark(p.text, False) for p in attempt.card.key_points])


def covered(marking: Marking) -> int:
    return sum(p.covered for p in marking.points)


def score(markings: Sequence[Marking]) -> float:
    """Key points covered over key points asked, over the whole exam (0 when none asked)."""
    of = sum(len(m.points) for m in markings)
    return sum(covered(m) for m in markings) / of if of else 0.0


def stored(attempt: Attempt, marking: Marking) -> MockAnswer:
    return MockAnswer(
        attempt.card.id, attempt.answer, covered(marking), len(marking.points),
        attempt.seconds, attempt.answered, tuple((p.text, p.covered) for p in marking.points),
    )


def result_json(attempts: Sequence[Attempt], markings: Sequence[Marking]) -> dict[str, object]:
    """The `--json` output: the score and, per question, the answer and its points."""
    return {
        "score": round(score(markings), 4),
        "questions": [
            {"card": a.card.id, "answer": a.answer, "covered": covered(m), "of": len(m.points)}
            for a, m in zip(attempts, markings, strict=True)
        ],
    }


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def report(
    deck: Deck, day: date, seed: int, minutes: float,
    attempts: Sequence[Attempt], markings: Sequence[Marking],
) -> str:
    """The Markdown report: per question the answer, the key points hit and missed, the
    correction and the reference answer, and the time taken. Card text is escaped."""
    of = sum(len(m.points) for m in markings)
    hit = sum(covered(m) for m in markings)
    used = sum(a.seconds for a in attempts)
    out = [
        f"# Mock exam: {escape_text(deck.meta.title)}",
        f"Deck `{deck.id}` · {day.isoformat()} · seed {seed} · {len(attempts)} questions "
        f"· {_duration(minutes * 60)} allowed, {_duration(used)} used",
        f"**Score: {hit}/{of} key points ({score(markings):.0%}).**",
    ]
    for i, (a, m) in enumerate(zip(attempts, markings, strict=True), 1):
        c = a.card
        out.append(f"## {i}. #{c.number} {escape_text(c.id)}: {covered(m)}/{len(m.points)}")
        out.append(f"*{escape_text(c.section)}* · time taken {_duration(a.seconds)}")
        out.append(f"**Question.** {escape_text(c.question)}")
        if a.answered:
            out.append("**Your answer:**")
            out.append(_quote(a.answer))
        elif a.late:
            out.append("**Your answer** (given after the time was up, so not marked):")
            out.append(_quote(a.answer))
        else:
            out.append("*No answer: the time was up or the exam ended first.*")
        hits = [p.text for p in m.points if p.covered]
        misses = [p.text for p in m.points if not p.covered]
        if hits:
            out.append("**Key points hit:**\n\n" + _bullets(hits))
        if misses:
            out.append("**Key points missed:**\n\n" + _bullets(misses))
        if c.correction:
            out.append("> **Correction:**\n>\n"
                       + "\n".join(("> " + line).rstrip()
                                   for line in escape_markdown(c.correction).split("\n")))
        out.append("**Reference answer:**")
        out.append(escape_markdown(c.answer))
    return "\n\n".join(out) + "\n"


def _quote(text: str) -> str:
    lines = [escape_text(line, block=True) for line in text.splitlines() if line.strip()]
    return "\n>\n".join("> " + line for line in lines) if lines else "> (empty)"


def _bullets(points: Sequence[str]) -> str:
    return "\n".join("- " + escape_text(p) for p in points)
