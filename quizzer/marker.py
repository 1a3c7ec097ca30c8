"""The marker: which of a card's key points a typed answer covers, and a suggested grade.

Rule 1: pure and local. It reads no file, no clock and no network, and loads no model:
words are normalised (case, notation such as ℓ1/L1, σ/sigmoid, ≈/~, British spellings),
stemmed (Snowball), and compared with a small edit distance for typos in longer words.
Rule 2: a key point with match terms is covered when every group has one alternative in
the answer (an alternative's words in any order, close together); a plain key point is
covered when most of its own content words appear. The grade is only a suggestion.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import snowballstemmer
from rapidfuzz.distance import OSA

from quizzer.cards import Card, KeyPoint

__all__ = ["Marking", "PointMark", "mark", "mark_points", "marking_of", "suggested_grade"]

# Coverage thresholds of the suggested grade, highest first: (minimum coverage, grade).
GRADE_RULE: tuple[tuple[float, int], ...] = ((1.0, 5), (0.75, 4), (0.5, 3), (0.25, 2))
# A plain key point (no match terms) is covered when this share of its content words
# (those not already in the question) appear in the answer.
PLAIN_SHARE = 0.6
# The words of a multi-word alternative must lie within its length plus this many words.
WINDOW_SLACK = 3
_EPS = 1e-9


@dataclass(frozen=True)
class PointMark:
    """One key point and whether the answer covers it."""

    text: str
    covered: bool


@dataclass(frozen=True)
class Marking:
    """The marker's verdict on one answer: per key point, the coverage and the grade."""

    coverage: float
    suggested_grade: int
    points: tuple[PointMark, ...]

    def toggled(self, index: int) -> Marking:
        """The marking with key point `index` flipped, as the student overrides the marker."""
        points = list(self.points)
        points[index] = replace(points[index], covered=not points[index].covered)
        return marking_of(points)


def suggested_grade(coverage: float) -> int:
    """The suggested grade for a coverage in [0, 1]: every key point 5, at least 3/4 4,
    at least half 3, at least a quarter 2, anything 1, nothing 0."""
    for least, grade in GRADE_RULE:
        if coverage >= least - _EPS:
            return grade
    return 1 if coverage > _EPS else 0


def marking_of(points: Sequence[PointMark]) -> Marking:
    """A Marking from per-point verdicts; no key points at all gives coverage 0."""
    covered = sum(p.covered for p in points)
    coverage = covered / len(points) if points else 0.0
    return Marking(coverage, suggested_grade(coverage), tuple(points))


def mark(card: Card, answer: str) -> Marking:
    """Mark `answer` against every key point of `card`."""
    return mark_points(card.key_points, answer, card.question)


def mark_points(points: Sequence[KeyPoint], answer: str, question: str = "") -> Marking:
    """Mark `answer` against `points`; words of `question` never count for a plain point."""
    words = _Answer(answer)
    asked = {w.stem for w in _words(question)}
    return marking_of([PointMark(p.text, _covers(words, p, asked)) for p in points])


# ---------------------------------------------------------------------------------------
# Normalising and tokenising

_STOPWORD_TEXT = """
a an and are as at be been being but by can could did do does doing for from had has
have having her here hers him his how i if in into is it its itself just me
my nor of off on once or other our out over own she should so some such
than that the their them then there these they this those through to under until up
very was we were what when where which while who whom why will with would you your also
each every both either via s t whose thus
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Notation that students write in several ways, mapped before lower-casing (σ vs Σ).
_SYMBOLS = {
    "σ": " sigmoid ", "Σ": " sum ", "∑": " sum ", "λ": " lambda ", "≈": " approx ",
    "~": " approx ", "∼": " approx ", "→": " to ", "−": "-", "–": "-", "—": " ",
    "∂": " d ", "∇": " gradient ", "·": " times ", "×": " times ", "≤": " le ", "≥": " ge ",
    "σ²": " variance ", "√": " sqrt ",
    "α": " alpha ", "β": " beta ", "γ": " gamma ", "μ": " mu ", "ε": " epsilon ",
    "η": " eta ", "θ": " theta ", "ω": " omega ", "‖": " norm ", "²": "2",
}
# Longest first, so that σ² is read as the variance before σ is read as the sigmoid.
_SYMBOL_RE = re.compile("|".join(map(re.escape, sorted(_SYMBOLS, key=len, reverse=True))))
# fan_in, fan-in, "fan in" and fanin are one word, so fan_in and fan_out stay apart
# although "in" and "out" are stopwords.
_FAN_RE = re.compile(r"\bfan[\s_-]?(in|out|avg)\b")
# In a match term, `word*` is a prefix; any other `*` (in a term or an answer) is "times".
_TERM_STAR_RE = re.compile(r"(?<![a-z0-9])\*|\*(?![\s,;)]|$)")
_WORD_RE = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?\*?")
_HYPHEN_RE = re.compile(r"(?<=[a-z])-(?=[a-z])")
# British -ise spellings become -ize, so "initialisation" and "initialization" meet.
_BRITISH_RE = re.compile(r"^(\w{3,})is(ation|ations|ing|e|ed|es|er|ers)$")
# Words written several ways; applied to whole words after lower-casing.
_ALIASES = {
    "approximately": "approx", "roughly": "approx", "about": "approx", "around": "approx",
    "logistic": "sigmoid", "ℓ1": "l1", "ℓ2": "l2", "zeros": "zero", "0": "zero",
}

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    word = _BRITISH_RE.sub(r"\1iz\2", word)
    return str(_stemmer.stemWord(word))


@dataclass(frozen=True)
class _Word:
    raw: str
    stem: str
    prefix: bool = False  # a match term written `regulari*`


def _normalise(text: str, term: bool = False) -> str:
    text = _SYMBOL_RE.sub(lambda m: _SYMBOLS[m.group(0)], text)
    # NFKC turns ℓ into l, full-width letters into plain ones, ligatures into letters.
    text = unicodedata.normalize("NFKC", text).lower()
    text = _TERM_STAR_RE.sub(" times ", text) if term else text.replace("*", " times ")
    text = _FAN_RE.sub(r"fan\1", text)
    return _HYPHEN_RE.sub("", text)


def _words(text: str, keep_stopwords: bool = False, term: bool = False) -> list[_Word]:
    out = []
    for token in _WORD_RE.findall(_normalise(text, term)):
        prefix = token.endswith("*")
        token = _ALIASES.get(token.rstrip("*"), token.rstrip("*"))
        if not keep_stopwords and token in _STOPWORDS:
            continue
        out.append(_Word(token, token if prefix else _stem(token), prefix))
    return out


def _typo_budget(length: int) -> int:
    """Edits tolerated in a word this long: none under 5 letters, then 1, then 2 from 9."""
    return 0 if length < 5 else (1 if length < 9 else 2)


def _same(term: _Word, word: _Word) -> bool:
    if term.prefix:
        return word.raw.startswith(term.raw)
    if term.stem == word.stem or term.raw == word.raw:
        return True
    if term.raw[0].isdigit() or word.raw[0].isdigit():
        return False  # numbers and l1/l2 must be exact: 0.5 is not 0.6
    budget = _typo_budget(min(len(term.raw), len(word.raw)))
    return budget > 0 and (
        OSA.distance(term.raw, word.raw, score_cutoff=budget) <= budget
        or OSA.distance(term.stem, word.stem, score_cutoff=budget) <= budget
    )


class _Answer:
    """An answer's words in order, plus each adjacent pair joined ("non monotonic")."""

    def __init__(self, text: str) -> None:
        self.words = _words(text)
        joined = [_Word(a.raw + b.raw, _stem(a.raw + b.raw))
                  for a, b in zip(self.words, self.words[1:], strict=False)]
        # Positions of the joined pairs sit between their two words.
        self.entries = [(float(i), w) for i, w in enumerate(self.words)]
        self.entries += [(i + 0.5, w) for i, w in enumerate(joined)]
        self._hits: dict[_Word, list[float]] = {}

    def positions(self, term: _Word) -> list[float]:
        hits = self._hits.get(term)
        if hits is None:
            hits = [pos for pos, word in self.entries if _same(term, word)]
            self._hits[term] = hits
        return hits

    def has_phrase(self, phrase: Sequence[_Word]) -> bool:
        """Every word of `phrase` appears, in any order, within a short window."""
        lists = [self.positions(t) for t in phrase]
        if not all(lists):
            return False
        if len(phrase) == 1:
            return True
        window = len(phrase) + WINDOW_SLACK
        return any(
            all(any(abs(p - start) <= window for p in hits) for hits in lists)
            for start in lists[0]
        )


@lru_cache(maxsize=4096)
def _phrase(alternative: str) -> tuple[_Word, ...]:
    # An alternative made only of stopwords ("not") keeps them; otherwise they are noise.
    return (tuple(_words(alternative, term=True))
            or tuple(_words(alternative, keep_stopwords=True, term=True)))


def _covers(answer: _Answer, point: KeyPoint, asked: set[str]) -> bool:
    if point.match:
        return all(
            any(answer.has_phrase(_phrase(alt)) for alt in group if _phrase(alt))
            for group in point.match
        )
    content = {w.stem: w for w in _words(point.text)}
    wanted = [w for stem, w in content.items() if stem not in asked] or list(content.values())
    if not wanted:
        return False
    found = sum(1 for w in wanted if answer.positions(w))
    return found >= PLAIN_SHARE * len(wanted) - _EPS
