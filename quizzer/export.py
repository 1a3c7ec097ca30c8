"""The Markdown study summary: the deck, its demos' evidence and the student's progress.

Rule 1: `build_summary` turns core types into one Markdown string. Running demos, writing
figures and reporting progress are callables passed in, so this module imports no numpy,
matplotlib or rich, and a demo that raises becomes "demo failed: ..." in the text.
Rule 2: card text is text. Questions, demo output, typed answers and deck metadata are
fully escaped; answers, corrections and key points keep their Markdown (emphasis, code
spans, lists) but every `<`, `&`, `[`, `]`, `|`, `#`, `~` and `$` outside a code span is
backslash-escaped, so no raw HTML, link, heading, table or fence can come from a card.
Rule 3: the same database, deck and review day give the same bytes: stable order, no
clock, explicit GitHub-style heading slugs (no inline HTML anchors).

Choices the command leaves open:
- "Weakest": a reviewed card is weak when its ease is below the starting 2.50, it has
  lapsed, or its last grade (re-drills included) was below 3. Weakest first means most
  lapses (a card forgotten after being learned), then lowest ease, then lowest last
  grade, then card number. Cards whose reference answer is corrected are marked ⚠ in
  the table of contents and in "Weakest cards". With
  `--order weakest` each deck becomes one flat list of cards in that order (each card
  names its section); cards never reviewed come last, in number order.
- Extras (`--include-extras`) follow the main deck as their own part: cards labelled E1,
  E2, ... under headings "Extra questions: <section>". Sections without cards are left out.
- Standard output (`-o -`) gets no figures (there is no folder to put them next to); the
  summary says so in one line. To a file, figures go to `<stem>_assets/<demo>-<i>.png`.
- Code spans are only recognised when they open and close on one line; other backticks
  are escaped, so the parser can never see a code span that the escaper did not.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache, cached_property
from pathlib import Path
from typing import Literal, NamedTuple, TextIO
from urllib.parse import quote

from quizzer.cards import Card, Deck
from quizzer.demos.result import DemoResult, Plot
from quizzer.errors import QuizzerError
from quizzer.model import Graded, LogEntry, Review
from quizzer.scheduler import GRADE_MEANINGS, NEW, PASS, START_EASE, State
from quizzer.session import summarize_today
from quizzer.stats import FORECAST_DAYS as FORECAST_DAYS_STATS
from quizzer.stats import (
    HEATMAP_DAYS,
    LEECH_LAPSES,
    MATURE_DAYS,
    RETENTION_DAYS,
    DeckStats,
    LogDigest,
    Ratio,
    digest,
    digest_stats,
    is_leech,
)

Order = Literal["chapter", "weakest"]
ORDERS: tuple[Order, ...] = ("chapter", "weakest")
FORECAST_DAYS = 7  # the summary's table; the forecast figure shows stats' 30 days
DEFAULT_OUTPUT = "study-summary.md"
ASSETS_SUFFIX = "_assets"
CORRECTED_MARK = "⚠"

DemoRunner = Callable[[str], DemoResult]
"""Runs the demo of that name and returns its result (quizzer.demos.run)."""
FigureWriter = Callable[[Plot, str], str]
"""Writes a plot under a file name and returns the link to it, relative to the Markdown."""
ProgressFn = Callable[[int, int, str], None]
"""Called with (steps done, steps in all, what runs now) while demos and figures are made."""
PlotSaver = Callable[[Plot, Path], None]
"""Draws a plot into a PNG file (quizzer.figures.save_plot)."""
Chart = Literal["heatmap", "forecast"]
ChartWriter = Callable[[Chart, DeckStats, str], str]
"""Draws a progress chart of a deck under a file name and returns the link to it."""
ChartSaver = Callable[[Chart, DeckStats, Path], None]
"""Draws a progress chart into a PNG file (quizzer.figures.save_chart)."""

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class DeckData:
    """One deck with the student's data for it: stored states and its review log, whole
    (`history`) or as the store's digest of it for the review day (`log`, which then
    wins: a large deck's log is never loaded whole; see quizzer.stats.LogDigest)."""

    deck: Deck
    states: Mapping[str, State]
    history: Sequence[Review]  # oldest first, as Store.history(deck.id) returns it
    extras: bool = False  # the extras deck: cards are labelled E1, E2, ... in their own part
    leech_lapses: int = LEECH_LAPSES  # lapses at which a card is a leech (quizzer.stats)
    # A further deck exported with the first (`--deck a --deck b`): its own part, its
    # cards labelled `b Q1`, its headings prefixed by its title.
    further: bool = False
    log: LogDigest | None = None
    # The cards as the summary shows them, when the caller has them rendered already (a
    # large deck's come from the database: quizzer.commands.summary_cards); otherwise
    # they are rendered from `deck.cards`.
    cards: Sequence[SummaryCard] | None = None
    # Each card's progress, rendered already (quizzer.commands.summary_progress): then no
    # schedule or log row is needed for the cards; a card not in it was never reviewed.
    progress: Mapping[str, Progress] | None = None
    # The progress section's numbers, counted by the store (with `progress`), instead of
    # from `states` and the log; there are then no charts.
    overview: Overview | None = None

    @cached_property
    def shown(self) -> Sequence[SummaryCard]:
        """The deck's cards, rendered, in number order."""
        if self.cards is not None:
            return self.cards
        return tuple(summary_card(c) for c in self.deck.cards)

    def digest(self, today: date) -> LogDigest:
        """The review log reduced for `today`, over the heatmap's window."""
        if self.log is None:
            return digest(self.history, today, {c.id for c in self.shown})
        if (self.log.today, self.log.days) != (today, HEATMAP_DAYS):
            raise ValueError(f"the log digest is for {self.log.today}, {self.log.days} days; "
                             f"the summary for {today}, {HEATMAP_DAYS} days")
        return self.log

    @property
    def prefix(self) -> str:
        if self.further:
            return f"{self.deck.id} Q"
        return "E" if self.extras else "Q"


# -- escaping --------------------------------------------------------------------------

# Characters that mean something to CommonMark, GFM tables and strikethrough, or GitHub
# math, wherever they stand in a line, each escaped with a backslash. "<" and "&"
# followed by whitespace start no tag, autolink or entity, so "< 0.005" stays readable.
# Each rule is one regular expression, so a line is escaped in one pass of the regex
# engine rather than a Python loop over its characters (a summary of 100,000 cards
# holds about 40 million). "(?!\s)" and str.isspace() use the same Unicode table.
_TEXT_ESCAPE = re.compile(r"[\\`*_\[\]#|~$]|[<&](?!\s)")
# Outside code spans in card Markdown: raw HTML and entities, links and images,
# headings, table pipes, tilde fences and strikethrough, math.
_MARKDOWN_ESCAPE = re.compile(r"[\[\]|#~$]|[<&](?!\s)")
# What the Markdown escaper takes one at a time: an escaped pair (a backslash before
# ASCII punctuation, kept as it is) or a maximal run of backticks.
_MARKDOWN_TOKEN = re.compile(r"\\[!-/:-@\[-`{-~]|`+")
_BACKTICKS = re.compile(r"`+")
# At the start of a paragraph, these open a list, a block quote or a setext underline.
_BLOCK_START = re.compile(r"^([-+=>]|\d{1,9}(?=[.)]))")
# C0 and C1 control characters: an answer stored before typed input was cleaned may hold
# terminal escapes, and the summary is also printed (`-o -`).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A line of "=" or "-" turns the paragraph above it into a heading; one of ":-", "-:" or
# ":-:" (with pipes or not) into a table whose header is the line above.
_UNDERLINE = re.compile(r"^(\s*\|?\s*)(=+|:?-+:?)\s*\|?\s*$")


def _escaped(match: re.Match[str]) -> str:
    # A function, not the template r"\\\g<0>": re parses a template in Python on every
    # sub() call, matches or not, and most text has nothing to escape.
    return "\\" + match.group(0)


def escape_text(text: str, *, block: bool = False) -> str:
    """Plain text as one line of inline Markdown that renders as exactly that text.

    Whitespace runs (newlines included) become one space, so the result is safe in a
    heading, a table cell (pipes are escaped) or a link's text. `block=True` also escapes
    what would start a list, quote or underline, for text that begins a paragraph.
    """
    # Printable text has no control character (they are all in category Cc).
    line = " ".join((text if text.isprintable() else _CONTROL.sub("", text)).split())
    out = _TEXT_ESCAPE.sub(_escaped, line)
    match = _BLOCK_START.match(out) if block else None
    if match:
        if match.group(1)[0].isdigit():
            end = match.end()
            out = out[:end] + "\\" + out[end:]
        else:
            out = "\\" + out
    return out


def _closing_run(line: str, start: int, length: int) -> int | None:
    """Where the backtick run closing a code span of `length` opening before `start` begins.

    As in CommonMark, backslashes do not escape backticks inside a code span, so every
    maximal run counts.
    """
    for run in _BACKTICKS.finditer(line, start):
        if run.end() - run.start() == length:
            return run.start()
    return None


def _escape_markdown_line(line: str) -> str:
    if "\\" not in line and "`" not in line:  # the common case: no pair, no code span
        return _MARKDOWN_ESCAPE.sub(_escaped, line)
    out: list[str] = []
    pos = 0
    while (token := _MARKDOWN_TOKEN.search(line, pos)) is not None:
        # Text before the token: its last character is followed by "\\" or "`", never
        # by whitespace, which is what the pattern sees at the end of the slice too.
        out.append(_MARKDOWN_ESCAPE.sub(_escaped, line[pos : token.start()]))
        if token.group(0)[0] == "\\":
            out.append(token.group(0))  # already escaped: keep the pair
            pos = token.end()
            continue
        n = token.end() - token.start()
        close = _closing_run(line, token.end(), n)
        if close is None:
            out.append("\\`" * n)  # no closer on this line: literal backticks
            pos = token.end()
        else:
            out.append(line[token.start() : close + n])  # a code span, verbatim
            pos = close + n
    out.append(_MARKDOWN_ESCAPE.sub(_escaped, line[pos:]))
    return "".join(out)


def escape_markdown(text: str) -> str:
    """Card Markdown with its emphasis, code spans and lists kept but nothing dangerous.

    See the module docstring for what is escaped. The result has no trailing spaces and
    can be indented or prefixed with "> " line by line.
    """
    if "\n" in text or "\r" in text:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
        return "\n".join([_escape_markdown_one(raw) for raw in lines])
    return _escape_markdown_one(text)  # one line, as most key points are


def _escape_markdown_one(raw: str) -> str:
    line = raw.rstrip()
    underline = _UNDERLINE.match(line)
    if underline:
        line = line[: underline.end(1)] + "\\" + line[underline.end(1):]
    return _escape_markdown_line(line)


def _prefixed(text: str, first: str, rest: str) -> str:
    """Prefix the first line with `first` and the others with `rest` (no trailing spaces)."""
    if "\n" not in text:
        return (first + text).rstrip() if text else first.rstrip()
    out = []
    for i, line in enumerate(text.split("\n")):
        prefix = first if i == 0 else rest
        out.append((prefix + line).rstrip() if line else prefix.rstrip())
    return "\n".join(out)


_SUPERSCRIPTS = dict(zip("0123456789+-−=()nikTaxy", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱᵏᵀᵃˣʸ", strict=True))
_POWER = re.compile(r"(?<=[\w)\]²³⁰¹⁴-⁹])\^(?:\{([^{}`\n]*)\}|([-−]?\d+|[A-Za-z](?![\w{])))")
_CODE_SPAN = re.compile(r"(`+)[^`\n]*?\1")


def _superscript(match: re.Match[str]) -> str:
    power = match.group(1) if match.group(1) is not None else match.group(2)
    if power and all(ch in _SUPERSCRIPTS for ch in power):
        return "".join(_SUPERSCRIPTS[ch] for ch in power)
    return match.group(0)


def notation(text: str) -> str:
    """Powers written for a keyboard (0.25^10, 1 − 0.99^k, 10^{-3}) as a reader writes
    them (0.25¹⁰, 1 − 0.99ᵏ, 10⁻³), outside code spans. A power with a character that
    has no superscript form is left as written."""
    if "^" not in text:  # most text has no power at all
        return text
    out: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_POWER.sub(_superscript, text[last:span.start()]))
        out.append(span.group(0))
        last = span.end()
    out.append(_POWER.sub(_superscript, text[last:]))
    return "".join(out)


# -- anchors ---------------------------------------------------------------------------


_ASCII_UNSLUGGED = re.compile(r"[^a-z0-9_ -]")


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading with this rendered text (github-slugger's rule).

    Lowercase; drop everything but letters, marks, decimal digits, connector punctuation
    ("_"), "-" and spaces (Ruby's `[^\\p{Word}\\- ]`); each space becomes "-".
    """
    if text.isascii():  # the same rule: ASCII letters, digits, "_", "-" and spaces
        return _ASCII_UNSLUGGED.sub("", text.lower()).replace(" ", "-")
    kept = []
    for ch in text.lower():
        cat = unicodedata.category(ch)
        if ch in " -" or cat[0] in "LM" or cat in ("Nd", "Pc"):
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


@dataclass
class Slugger:
    """Unique slugs in document order, numbered "-1", "-2", ... on repeats, as GitHub does."""

    seen: dict[str, int] = field(default_factory=dict)

    def slug(self, text: str) -> str:
        return self.unique(github_slug(text))

    def unique(self, base: str) -> str:
        """The slug `base`, numbered if it was given before."""
        result = base
        while result in self.seen:
            self.seen[base] += 1
            result = f"{base}-{self.seen[base]}"
        self.seen[result] = 0
        return result


# -- a card as the summary shows it ----------------------------------------------------

# Bumped whenever what summary_card makes changes, so that rendered cards kept in the
# database from an earlier version are made again (RENDERER also hashes a probe card).
RENDER_VERSION = 1


class SummaryCard(NamedTuple):
    """What the summary shows of a card that depends on its file alone, already rendered:
    the text of a deck of 100,000 cards is kept in the database (quizzer.indexdb,
    deck_render) and made again only for the files that changed. A named tuple: made
    straight from the database's rows."""

    id: str
    number: int
    section: str
    demo: str | None
    heading: str  # the heading after the card's label: ". " + the escaped question
    slug: str  # the heading's GitHub slug after the label's
    pages: str | None  # "**Page:** 12", "**Pages:** 3, 4"
    body: str  # reference answer, correction and key points: Markdown blocks
    corrected: bool


def summary_card(card: Card) -> SummaryCard:
    """The card rendered for the summary. Its heading is "<label>" + `heading`, with the
    slug "<label's slug>" + `slug`: text joined with whitespace runs made one space, and
    both escaping and slugs go character by character, so the parts join exactly."""
    question = " ".join(card.question.split())
    escaped = escape_text(question)
    pages = None
    if card.pages:
        pages = (f"**{'Pages' if len(card.pages) > 1 else 'Page'}:** "
                 + ", ".join(str(p) for p in card.pages))
    body = ["**Reference answer**", escape_markdown(notation(card.answer))]
    if card.correction:
        # A GitHub alert; other renderers show a plain blockquote starting "[!WARNING]".
        callout = "[!WARNING]\n**Correction:**\n\n" + escape_markdown(notation(card.correction))
        body.append(_prefixed(callout, "> ", "> "))
    if card.key_points:
        body.append("**Key points**")
        body.append("\n".join(_prefixed(escape_markdown(notation(p.text)), "- ", "  ")
                              for p in card.key_points))
    return SummaryCard(
        card.id, card.number, card.section, card.demo,
        f". {escaped}" if escaped else ".",
        github_slug(f". {question}") if question else "",
        pages, "\n\n".join(body), bool(card.correction),
    )


def _renderer() -> str:
    from quizzer.cards import Card, KeyPoint

    probe = Card(
        id="probe", number=7, section="S", pages=(3, 4),
        question="A *question* <b>&amp; [x](y) | # ~ $ _ \\ `code`, Σ 0.9^10?",
        answer="An answer with `<code>`, **bold**, $x$, 10^{-3}\n\n- a list\n:-\n===\n1. x",
        correction="Wrong: `a | b` & <i>",
        key_points=(KeyPoint(text="one ^2 point"), KeyPoint(text="two\nlines ~~")),
        demo="probe-demo",
    )
    text = repr(summary_card(probe))
    return f"{RENDER_VERSION}:" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@cache
def renderer() -> str:
    """What rendered cards kept in the database must have been made by: the version and
    a hash of a probe card as rendered now, so a change to the escaping that nobody
    marked with RENDER_VERSION still makes them again."""
    return _renderer()


# -- what the history says -------------------------------------------------------------


@cache
def _ease(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# A summary names a few hundred distinct days, each on thousands of cards.
_iso = cache(date.isoformat)


# Bumped whenever what progress_of makes changes (progress_renderer also hashes probes).
PROGRESS_VERSION = 1


class Progress(NamedTuple):
    """What the summary shows of a card that depends on its schedule and log alone,
    already rendered: a large deck keeps it in the database (quizzer.indexdb,
    card_progress) until the card is graded again. A named tuple: made straight from
    the database's rows."""

    due: str | None  # the due date, YYYY-MM-DD; None for a card never reviewed
    head: str  # the progress line up to its due date (the whole line if never reviewed)
    tail: str  # the rest of the line after " (today)" or " (overdue)", then the last answer
    ease: int
    lapses: int
    last_grade: int | None  # the latest log row's
    why: str  # why the card is weak, but for "leech" (a threshold of the command): "; "-joined


def progress_of(state: State, last: Graded | None, last_answer: Graded | None) -> Progress:
    """A card's progress line, last answer and weaknesses, from its schedule, its latest
    log row and its latest row with a typed answer."""
    answer = ""
    if last_answer is not None:
        kind = ", re-drill" if last_answer.kind == "drill" else ""
        answer = (f"\n\n**Your last answer** ({_iso(last_answer.day)}, graded "
                  f"{last_answer.grade}{kind}):\n\n{escape_text(last_answer.answer, block=True)}")
    last_grade = last.grade if last is not None else None
    due = state.due
    if due is None:  # never reviewed
        return Progress(None, "**Your progress:** not reviewed yet.", answer, state.ease,
                        state.lapses, last_grade, "")
    reps, lapses, interval = state.repetitions, state.lapses, state.interval
    head = (f"**Your progress:** {reps} repetition{'' if reps == 1 else 's'} · "
            f"ease {_ease(state.ease)} · {lapses} lapse{'' if lapses == 1 else 's'} · "
            f"interval {interval} day{'' if interval == 1 else 's'} · next due {_iso(due)}")
    if last is None:
        tail = "."
    else:
        kind = ", re-drill" if last.kind == "drill" else ""
        tail = f" · last grade {last.grade} on {_iso(last.day)}{kind}."
    why = []
    if state.ease < START_EASE:
        why.append(f"ease {_ease(state.ease)} < {_ease(START_EASE)}")
    if lapses:
        why.append(_plural(lapses, "lapse"))
    if last_grade is not None and last_grade < PASS:
        why.append(f"last grade {last_grade}")
    return Progress(_iso(due), head, tail + answer, state.ease, lapses, last_grade,
                    "; ".join(why))


NOT_REVIEWED = progress_of(NEW, None, None)


def _progress_renderer() -> str:
    day = date(2026, 3, 4)
    answer = "1. *x* | `y`\n- <b>&amp; [a](b) # ~ $ _ \\ \x1b[31m Σ"
    probes = [progress_of(State(3, 12, 236, day, 2), Graded(day, 2, "drill", ""),
                          Graded(day, 5, "schedule", answer)),
              progress_of(State(1, 1, 250, day, 0), None, None), NOT_REVIEWED]
    text = repr(probes)
    return f"{PROGRESS_VERSION}:" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@cache
def progress_renderer() -> str:
    """What progress kept in the database must have been made by (see renderer())."""
    return _progress_renderer()


class CardView(NamedTuple):
    """A card with the student's data for it (a named tuple: one is made per card, and a
    summary may have 100,000)."""

    card: SummaryCard
    label: str  # "Q2", "E1"
    section_title: str
    progress: Progress
    leech: bool = False  # lapses at or above the leech threshold (quizzer.stats.is_leech)

    @property
    def reviewed(self) -> bool:
        return self.progress.due is not None

    def weaknesses(self) -> str:
        """Why the card counts as weak, "; "-joined; empty for a strong or never-reviewed card."""
        p = self.progress
        if p.due is None:
            return ""
        if self.leech:
            return f"leech; {p.why}" if p.why else "leech"
        return p.why

    def weakness_key(self) -> tuple[int, int, int, int]:
        """Weakest first: most lapses, lowest ease, lowest last grade, then number."""
        p = self.progress
        last_grade = p.last_grade if p.last_grade is not None else _NO_GRADE
        return (-p.lapses, p.ease, last_grade, self.card.number)


_NO_GRADE = max(GRADE_MEANINGS) + 1  # sorts a card with no log row after every grade


def _views(part: DeckData, log: LogDigest) -> list[CardView]:
    views = []
    prefix, threshold = part.prefix, part.leech_lapses
    kept = part.progress
    if kept is not None:  # rendered already: no schedule or log row is read
        for c in part.shown:
            p = kept.get(c.id, NOT_REVIEWED)
            views.append(CardView(c, f"{prefix}{c.number}", c.section, p, p.lapses >= threshold))
        return views
    states, logs = part.states, log.cards
    for c in part.shown:
        state = states.get(c.id, NEW)
        card_log = logs.get(c.id)
        p = (progress_of(state, card_log.last, card_log.last_answer) if card_log
             else progress_of(state, None, None))
        views.append(CardView(c, f"{prefix}{c.number}", c.section, p,
                              is_leech(state, threshold)))
    return views


def weakest_first(views: Sequence[CardView]) -> list[CardView]:
    """Reviewed cards by weakness (most lapses, lowest ease, lowest last grade), then new ones."""
    reviewed = sorted((v for v in views if v.reviewed), key=CardView.weakness_key)
    return reviewed + [v for v in views if not v.reviewed]


@dataclass(frozen=True)
class Overview:
    """The numbers of the progress section for one deck, all read from quizzer.stats."""

    cards: int
    new: int
    young: int
    mature: int
    redrill: int
    reviews: int
    graded_today: int
    retained: int
    retention_base: int
    forecast: tuple[int, ...]  # due on today (overdue included), today+1, ...
    leech: int = 0
    stats: DeckStats | None = None  # everything else, for the heatmap and forecast figures


def counted_overview(
    today: date,
    states: tuple[int, int, int, int],
    due: Mapping[date, int],
    reviews: int,
    by_day: Mapping[date, tuple[int, float, int, int]],
    today_log: Iterable[LogEntry],
) -> Overview:
    """The overview from the store's counts over a deck's cards, as `overview` makes it
    from the states and log (quizzer.indexdb: deck_counts, log_by_day): `states` is
    (cards, young, mature, leeches), `due` the cards due per day from today (overdue ones
    on today), `reviews` their log rows, `by_day` the last RETENTION_DAYS days' rows (of
    these cards) and `today_log` the review day's rows of these cards."""
    cards, young, mature, leeches = states
    counts = summarize_today(today_log)
    first = today - timedelta(days=RETENTION_DAYS - 1)
    window = [v for day, v in by_day.items() if first <= day <= today]
    return Overview(
        cards=cards, new=cards - young - mature, young=young, mature=mature,
        redrill=len(counts.redrill), reviews=reviews,
        graded_today=counts.new_done + counts.reviews_done,
        retained=sum(v[2] for v in window), retention_base=sum(v[3] for v in window),
        forecast=tuple(due.get(today + timedelta(days=i), 0) for i in range(FORECAST_DAYS)),
        leech=leeches,
    )


def overview(part: DeckData, today: date, log: LogDigest | None = None) -> Overview:
    """Counts by state, today's re-drill, reviews, 30-day retention and the 7-day forecast.

    Only cards that are in the deck count; rows of cards since removed are ignored.
    `log` is the part's digest for today, when the caller has it already. The store's
    count (DeckData.overview) when the part has one.
    """
    if part.overview is not None:
        return part.overview
    s = digest_stats(part.shown, part.states, log or part.digest(today),
                     leech_lapses=part.leech_lapses, sections=part.deck.meta.sections)
    counts = s.today_counts
    return Overview(
        cards=s.cards, new=s.new, young=s.young, mature=s.mature, redrill=len(counts.redrill),
        reviews=s.reviews_total, graded_today=counts.new_done + counts.reviews_done,
        retained=s.retention.passed, retention_base=s.retention.total,
        forecast=tuple(s.forecast.values())[:FORECAST_DAYS], leech=s.leech, stats=s,
    )


# -- the document ----------------------------------------------------------------------


class _Heading(NamedTuple):
    level: int
    slug: str
    escaped: str  # the text as Markdown: escaped once, written in the heading and each link


@dataclass(frozen=True)
class _Group:
    """A run of cards under one heading: a section, or a whole deck in weakest order."""

    heading: _Heading
    views: tuple[CardView, ...]
    show_section: bool
    # Each card's heading (level 3), as `views`: its anchor and its text as Markdown.
    slugs: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()


@dataclass
class _Outline:
    """Every heading in document order, so links can point forward to any of them."""

    title: _Heading
    contents: _Heading
    progress: _Heading
    weakest: _Heading
    groups: list[tuple[DeckData, list[_Group]]]


def _outline(parts: Sequence[DeckData], views: Sequence[list[CardView]], order: Order) -> _Outline:
    slugger = Slugger()

    def heading(level: int, text: str) -> _Heading:
        text = " ".join(text.split())  # the text as rendered, which GitHub slugs
        return _Heading(level, slugger.slug(text), escape_text(text))

    main = parts[0].deck
    title = heading(1, f"Study summary: {main.meta.title}")
    contents = heading(2, "Contents")
    progress = heading(2, "Progress")
    weakest = heading(2, "Weakest cards")
    groups: list[tuple[DeckData, list[_Group]]] = []
    for part, part_views in zip(parts, views, strict=True):
        part_groups: list[_Group] = []
        if order == "weakest":
            name = ("Extra questions, weakest first" if part.extras else
                    f"{part.deck.meta.title}, weakest first" if part.further else
                    "Cards, weakest first")
            part_groups.append(_Group(heading(2, name), tuple(weakest_first(part_views)), True))
        else:
            by_section: dict[str, list[CardView]] = {}
            for v in part_views:
                by_section.setdefault(v.card.section, []).append(v)
            for section in part.deck.meta.sections:
                in_section = tuple(by_section.get(section, ()))
                if in_section:
                    name = (f"Extra questions: {section}" if part.extras else
                            f"{part.deck.meta.title}: {section}" if part.further else section)
                    part_groups.append(_Group(heading(2, name), in_section, False))
        # A card's heading is its label and its rendered question (SummaryCard.heading),
        # slugged after every section heading of its deck.
        label = escape_text(part.prefix)
        label_slug = github_slug(part.prefix)
        unique, seen = slugger.unique, slugger.seen
        for i, group in enumerate(part_groups):
            slugs, texts = [], []
            for v in group.views:
                c = v.card
                slug = f"{label_slug}{c.number}{c.slug}"
                if slug in seen:  # a repeat: numbered; else Slugger.unique's first case
                    slug = unique(slug)
                else:
                    seen[slug] = 0
                slugs.append(slug)
                texts.append(f"{label}{c.number}{c.heading}")
            part_groups[i] = _Group(group.heading, group.views, group.show_section,
                                    tuple(slugs), tuple(texts))
        groups.append((part, part_groups))
    return _Outline(title, contents, progress, weakest, groups)


def _h(heading: _Heading) -> str:
    return f"{'#' * heading.level} {heading.escaped}"


def _link(heading: _Heading) -> str:
    return f"[{heading.escaped}](#{heading.slug})"


def _table(header: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GFM table; every cell must already be escaped (escape_text escapes pipes)."""
    marks = {"l": "---", "r": "---:", "c": ":-:"}
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(marks[a] for a in align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _source_line(deck: Deck) -> str | None:
    src = deck.meta.source
    if src is None:
        return None
    book = f"*{escape_text(src.book)}*"
    if src.edition:
        edition = escape_text(src.edition)
        book += f", {edition}" if "edition" in src.edition.lower() else f", {edition} edition"
    if src.author:
        book += f", by {escape_text(src.author)}"
    bits = [book]
    if src.chapter is not None:
        chapter = f"Chapter {escape_text(str(src.chapter))}"
        if src.chapter_title:
            chapter += f", “{escape_text(src.chapter_title)}”"
        bits.append(chapter)
    if src.lecture:
        bits.append(escape_text(src.lecture))
    return "**Source:** " + ". ".join(bits) + "."


def _day_label(day: date, today: date) -> str:
    if day == today:
        tag = "today"
    elif day == today + timedelta(days=1):
        tag = "tomorrow"
    else:
        tag = _WEEKDAYS[day.weekday()]
    return f"{day.isoformat()} ({tag})"


def _progress_section(parts: Sequence[DeckData], logs: Sequence[LogDigest], today: date,
                      write_chart: ChartWriter | None = None) -> list[str]:
    stats = [overview(p, today, log) for p, log in zip(parts, logs, strict=True)]
    header = ["", *(f"`{p.deck.id}`" for p in parts)]
    align = ["l", *("r" for _ in parts)]

    def row(label: str, values: Iterator[str]) -> list[str]:
        return [label, *values]

    def retention(o: Overview) -> str:
        percent = Ratio(o.retained, o.retention_base).percent
        if percent is None:
            return "–"
        return f"{percent:.1f}% ({o.retained}/{o.retention_base})"

    def charts(kind: Chart, title: str) -> list[str]:
        out = []
        for part, o in zip(parts, stats, strict=True):
            if write_chart is None or o.stats is None:
                continue
            label = f"{title}: {part.deck.id}"
            try:
                link = write_chart(kind, o.stats, f"progress-{part.deck.id}-{kind}.png")
            except Exception as exc:  # a figure must not take the summary down with it
                out.append(f"Figure failed ({escape_text(label)}): {escape_text(_error(exc))}")
                continue
            out.append(f"![{escape_text(label)}]({link})")
        return out

    rows = [
        row("Cards", (str(o.cards) for o in stats)),
        row("New (never reviewed)", (str(o.new) for o in stats)),
        row(f"Young (interval < {MATURE_DAYS} days)", (str(o.young) for o in stats)),
        row(f"Mature (interval ≥ {MATURE_DAYS} days)", (str(o.mature) for o in stats)),
        row("In today's re-drill", (str(o.redrill) for o in stats)),
        row("Reviews done, all time (re-drills included)", (str(o.reviews) for o in stats)),
        row("Cards graded today", (str(o.graded_today) for o in stats)),
        row(f"Retention, last {RETENTION_DAYS} days", (retention(o) for o in stats)),
        row(f"Leeches ({parts[0].leech_lapses} or more lapses)", (str(o.leech) for o in stats)),
    ]
    first = today - timedelta(days=RETENTION_DAYS - 1)
    forecast_rows = [
        [_day_label(today + timedelta(days=i), today), *(str(o.forecast[i]) for o in stats)]
        for i in range(FORECAST_DAYS)
    ]
    return [
        _table(header, align, rows),
        f"Retention is the share of deciding grades (the first grade of a card on a review "
        f"day, not re-drills) of 3 or more, among those given to cards already graded on an "
        f"earlier day, from {first.isoformat()} to {today.isoformat()}. Young and mature "
        f"count cards by their current interval; a leech is a card with "
        f"{parts[0].leech_lapses} or more lapses.",
        *charts("heatmap", f"Reviews per day, last {HEATMAP_DAYS} days"),
        f"**Forecast:** reviews due on each of the next {FORECAST_DAYS} days. Overdue cards "
        f"count on today; new cards are not counted.",
        _table(["Day", *header[1:]], align, forecast_rows),
        *charts("forecast", f"Reviews due, next {FORECAST_DAYS_STATS} days"),
    ]


def _weakest_section(outline: _Outline, views: Sequence[list[CardView]]) -> list[str]:
    intro = (
        f"A reviewed card is listed when its ease is below the starting "
        f"{_ease(START_EASE)} (every grade of 3 lowers it by 0.14), when it has lapsed "
        f"(forgotten after being learned), or when its last grade, re-drills included, was "
        f"below {PASS}. Weakest first: most lapses, then lowest ease, then lowest last grade. "
        f"{CORRECTED_MARK} marks a card whose reference answer carries a correction."
    )
    rows: list[tuple[int, int, int, int, int, str]] = []
    for i, (_, groups) in enumerate(outline.groups):
        for group in groups:
            for v, slug, text in zip(group.views, group.slugs, group.texts, strict=True):
                why = v.weaknesses()  # empty unless the card is weak
                if not why:
                    continue
                p, card = v.progress, v.card
                grade = p.last_grade
                # The reasons are our own words and numbers: nothing to escape.
                rows.append((-p.lapses, p.ease, _NO_GRADE if grade is None else grade,
                             card.number, i,  # CardView.weakness_key, then the part
                             f"| [{text}](#{slug}){_corrected(card)} | {_ease(p.ease)} | "
                             f"{p.lapses} | {'–' if grade is None else grade} | {why} |"))
    if not rows:
        reviewed = any(v.reviewed for pv in views for v in pv)
        none = ("No card is weak: every reviewed card has an ease of at least "
                f"{_ease(START_EASE)}, no lapses and a last grade of {PASS} or more."
                if reviewed else "No card has been reviewed yet.")
        return [intro, none]
    # (weakness, part) is unique: a part's cards have distinct numbers.
    rows.sort()
    table = _table(["Card", "Ease", "Lapses", "Last grade", "Why"], ["l", "r", "r", "r", "l"], [])
    lines = [table, *(row[-1] for row in rows)]
    return [intro, "\n".join(lines)]


def _corrected(card: SummaryCard) -> str:
    return f" {CORRECTED_MARK} corrected" if card.corrected else ""


def _contents(outline: _Outline) -> str:
    lines = [f"- {_link(outline.progress)}", f"- {_link(outline.weakest)}"]
    corrected = False
    for _, groups in outline.groups:
        for group in groups:
            lines.append(f"- {_link(group.heading)}")
            for v, slug, text in zip(group.views, group.slugs, group.texts, strict=True):
                if v.card.corrected:
                    lines.append(f"  - [{text}](#{slug}){_corrected(v.card)}")
                    corrected = True
                else:
                    lines.append(f"  - [{text}](#{slug})")
    note = (f"{CORRECTED_MARK} marks a card whose reference answer is wrong or outdated; "
            "its correction is shown as a warning." if corrected else "")
    return "\n".join(lines) + (f"\n\n{note}" if note else "")


@dataclass
class _Demos:
    """Runs each demo once, writes its figures, and remembers the Markdown for it."""

    run: DemoRunner | None
    write_figure: FigureWriter | None
    progress: ProgressFn
    total: int
    done: int = 0
    blocks: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # the blocks joined, for a card

    def block(self, name: str) -> list[str]:
        if name not in self.blocks:
            self.blocks[name] = self._make(name)
        return self.blocks[name]

    def text(self, name: str) -> str:
        """The demo's blocks as they follow a card's key points."""
        text = self.texts.get(name)
        if text is None:
            text = self.texts[name] = "".join("\n\n" + b for b in self.block(name))
        return text

    def _make(self, name: str) -> list[str]:
        head = f"**Demo `{name}`:**"
        if self.run is None:
            return [f"{head} not run for this summary (`--no-demos`)."]
        self.progress(self.done, self.total, f"demo {name}")
        try:
            result = self.run(name)
        except Exception as exc:  # a broken demo must not take the summary down with it
            self.done += 1
            return [f"{head} demo failed: {escape_text(_error(exc))}"]
        out = [f"{head} {escape_text(notation(result.title))}. "
               f"{escape_text(notation(result.sentence))}"]
        if result.claims:
            out.append("\n".join(
                f"- {'✔' if c.ok else '✘'} {escape_text(notation(c.statement))}: "
                f"**{escape_text(_value(c.value, c.value_text, c.expected))}**"
                for c in result.key_claims))
            out.append(_verdict(result))
        if self.write_figure is not None:
            for i, plot in enumerate(result.plots, start=1):
                self.progress(self.done, self.total, f"figure {i} of {name}")
                try:
                    link = self.write_figure(plot, f"{name}-{i}.png")
                except Exception as exc:
                    out.append(f"Figure {i} failed: {escape_text(_error(exc))}")
                    continue
                out.append(f"![{escape_text(notation(plot.title))}]({link})")
        if result.claims:
            out += _claims_details(result)
        self.done += 1
        return out


def _verdict(result: DemoResult) -> str:
    checks = result.checks
    values = result.values
    failing_checks = sum(1 for c in checks if not c.ok)
    failing_values = sum(1 for c in values if not c.ok)
    text = (f"All {_plural(len(checks), 'check')} hold." if not failing_checks
            else f"{failing_checks} of {_plural(len(checks), 'check')} FAIL.")
    if values:
        text += (f" {_plural(len(values), 'value')} computed." if not failing_values
                 else f" {failing_values} of {_plural(len(values), 'value')} FAIL.")
    return text


def _claims_details(result: DemoResult) -> list[str]:
    """Every claim in a table, collapsed under a <details> summary (GitHub renders it; the
    HTML is ours and holds only counts, never card or demo text)."""
    checks = len(result.checks)
    values = len(result.claims) - checks
    rows = [["✔" if c.ok else "✘", c.kind, escape_text(notation(c.statement)),
             escape_text(_value(c.value, c.value_text, c.expected)),
             escape_text(c.expected)] for c in result.claims]
    kinds = f"{_plural(checks, 'check')} (evidence a wrong card would fail)"
    if values:
        kinds += f" and {_plural(values, 'value')} (computed and shown)"
    return [
        f"<details>\n<summary>All {_plural(len(result.claims), 'claim')}: {kinds}</summary>",
        _table(["Holds", "Kind", "Claim", "Measured", "Expected"],
               ["c", "l", "l", "r", "l"], rows),
        "</details>",
    ]


def _error(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _value(value: float, text: str, expected: str) -> str:
    if expected == "true":  # a yes/no claim stores 1.0 or 0.0
        return "true" if value else "false"
    return text


def _card_block(v: CardView, heading: str, show_section: str | None, today: str,
                demos: _Demos) -> str:
    """The card's part of the summary, after the blank line that leads it, under its
    heading's text `heading`. `show_section`: the section's line ("**Section:** ...")
    when cards name theirs; `today`: the review day, YYYY-MM-DD. One string per card,
    built with as few steps as can be: a summary may have 100,000."""
    card = v.card
    about = card.pages
    if show_section is not None:
        about = f"{show_section} · {about}" if about else show_section
    about = f"{about}\n\n" if about else ""
    demo = demos.text(card.demo) if card.demo else ""
    p = v.progress
    due = p.due
    when = ("" if due is None or due > today else " (today)" if due == today
            else " (overdue)")
    return (f"\n\n### {heading}\n\n{about}{card.body}{demo}\n\n"
            f"{p.head}{when}{p.tail}")


def _noop_progress(done: int, total: int, what: str) -> None:
    return None


def build_summary(
    parts: Sequence[DeckData],
    today: date,
    *,
    order: Order = "chapter",
    run_demo: DemoRunner | None = None,
    write_figure: FigureWriter | None = None,
    progress: ProgressFn | None = None,
    write_chart: ChartWriter | None = None,
) -> str:
    """The study summary as Markdown: the main deck first, then any extras part.

    `run_demo` None skips the demos (a fast, text-only summary); `write_figure` None
    leaves the figures out, and `write_chart` None the progress charts (reviews per day
    and the forecast). Demos run in document order, each once.
    """
    return "".join(_summary(parts, today, order=order, run_demo=run_demo,
                            write_figure=write_figure, progress=progress,
                            write_chart=write_chart))


def _summary(
    parts: Sequence[DeckData],
    today: date,
    *,
    order: Order,
    run_demo: DemoRunner | None,
    write_figure: FigureWriter | None,
    progress: ProgressFn | None,
    write_chart: ChartWriter | None,
) -> Iterator[str]:
    """The summary in pieces, in order; joined they are `build_summary`'s text. A large
    summary is written piece by piece, never held whole (tens of MB at 100,000 cards)."""
    if not parts:
        raise QuizzerError("nothing to export: no deck was given")
    if order not in ORDERS:
        raise QuizzerError(f"--order {order!r}: use one of {', '.join(ORDERS)}")
    logs = [p.digest(today) for p in parts]
    views = [_views(p, log) for p, log in zip(parts, logs, strict=True)]
    outline = _outline(parts, views, order)
    names = []
    for _, groups in outline.groups:
        for group in groups:
            for v in group.views:
                if v.card.demo and v.card.demo not in names:
                    names.append(v.card.demo)
    report = progress or _noop_progress
    demos = _Demos(run_demo, write_figure, report, total=len(names))

    main = parts[0].deck
    blocks = [_h(outline.title)]
    source = _source_line(main)
    if source:
        blocks.append(source)
    decks = ", ".join(f"`{p.deck.id}` ({_plural(len(p.shown), 'card')})" for p in parts)
    blocks.append(f"**Review day:** {today.isoformat()} · **Decks:** {decks}")
    if main.meta.description:
        blocks.append(escape_text(main.meta.description, block=True))
    if run_demo is None:
        blocks.append("Demos were not run for this summary (`--no-demos`), so it shows no "
                      "checked claims and no figures.")
    elif write_figure is None:
        blocks.append("Figures are left out: this summary went to standard output, which has "
                      "no folder for them. Export to a file (`-o FILE`) to get them.")
    if order == "weakest":
        blocks.append("Cards are ordered weakest first (see [Weakest cards]"
                      f"(#{outline.weakest.slug}) for what that means); cards never reviewed "
                      "come last, in number order.")
    blocks += [_h(outline.contents), _contents(outline)]
    blocks += [_h(outline.progress), *_progress_section(parts, logs, today, write_chart)]
    blocks += [_h(outline.weakest), *_weakest_section(outline, views)]
    yield "\n\n".join(blocks)
    day = today.isoformat()
    # The cards go out in runs of a few hundred joined: one write each, not two a card.
    run: list[str] = []
    for _, groups in outline.groups:
        for group in groups:
            run.append("\n\n" + _h(group.heading))
            sections: dict[str, str] = {}
            for v, heading in zip(group.views, group.texts, strict=True):
                section = None
                if group.show_section:
                    section = sections.get(v.section_title)
                    if section is None:
                        section = sections[v.section_title] = (
                            f"**Section:** {escape_text(v.section_title)}")
                run.append(_card_block(v, heading, section, day, demos))
                if len(run) >= 500:
                    yield "".join(run)
                    run.clear()
    yield "".join(run)
    if names and run_demo is not None:
        report(demos.total, demos.total, "done")
    yield "\n"


# -- the files -------------------------------------------------------------------------


def assets_dir(output: Path) -> Path:
    """The folder beside the Markdown that holds its figures."""
    return output.with_name(output.stem + ASSETS_SUFFIX)


def _output_file(path: Path) -> Path:
    """The regular file `-o` names: a symbolic link is followed (the link stays, its
    target is replaced); a folder, device, pipe or socket is refused before anything is
    written, since replacing one would destroy it."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise QuizzerError(f"{path}: cannot write there ({exc.strerror or exc}); "
                           f"pass a file name such as {DEFAULT_OUTPUT}") from None
    if stat.S_ISDIR(mode):
        raise QuizzerError(f"{path}: is a folder; pass a file name such as {DEFAULT_OUTPUT}")
    if not stat.S_ISREG(mode):
        raise QuizzerError(f"{path}: is not a regular file (a device, pipe or socket); "
                           f"pass a file name such as {DEFAULT_OUTPUT}, or -o - for stdout")
    return target


def _atomic_write(path: Path, pieces: Iterable[str]) -> None:
    """Write the text to a temporary file in the same folder (UTF-8, as it comes), then
    rename it over `path`.

    The rename is atomic, so readers see the old file or the new one, never a torn one;
    if anything fails, making the pieces included, the old file is left as it was.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(fd, "w", encoding="utf-8", newline="") as f:
            f.writelines(pieces)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_asset(folder: Path, name: str, draw: Callable[[Path], None]) -> str:
    """Draw a file into `folder` under `name` (atomically) and return the link to it."""
    folder.mkdir(exist_ok=True)
    target = folder / name
    tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
    try:
        draw(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return f"{quote(folder.name)}/{quote(name)}"


def _figure_writer(folder: Path, save_plot: PlotSaver) -> FigureWriter:
    def write(plot: Plot, name: str) -> str:
        return _write_asset(folder, name, lambda tmp: save_plot(plot, tmp))

    return write


def _chart_writer(folder: Path, save_chart: ChartSaver) -> ChartWriter:
    def write(kind: Chart, stats: DeckStats, name: str) -> str:
        return _write_asset(folder, name, lambda tmp: save_chart(kind, stats, tmp))

    return write


def write_export(
    output: str | Path,
    parts: Sequence[DeckData],
    today: date,
    *,
    order: Order = "chapter",
    run_demo: DemoRunner | None = None,
    progress: ProgressFn | None = None,
    save_plot: PlotSaver | None = None,
    save_chart: ChartSaver | None = None,
    stdout: TextIO | None = None,
) -> Path | None:
    """Build the summary and write it to `output`, or to standard output for "-".

    To a file, figures go to `<stem>_assets/` beside it and the Markdown replaces the
    file atomically once everything is built. Returns the path written, None for "-".
    """
    if str(output) == "-":
        text = build_summary(parts, today, order=order, run_demo=run_demo, progress=progress)
        (stdout or sys.stdout).write(text)
        return None
    path = _output_file(Path(output))
    if not path.parent.is_dir():
        raise QuizzerError(f"{path}: the folder {path.parent} does not exist; create it first")
    if save_plot is None:
        from quizzer.figures import save_plot as default_saver

        save_plot = default_saver
    writer = _figure_writer(assets_dir(path), save_plot) if run_demo is not None else None
    chart_writer = None
    if run_demo is not None:  # figures come with the demos: --no-demos stays text only
        if save_chart is None:
            from quizzer.figures import save_chart as default_chart_saver

            save_chart = default_chart_saver
        chart_writer = _chart_writer(assets_dir(path), save_chart)
    try:
        _atomic_write(path, _summary(parts, today, order=order, run_demo=run_demo,
                                     write_figure=writer, progress=progress,
                                     write_chart=chart_writer))
    except OSError as exc:
        raise QuizzerError(f"{path}: cannot write the summary ({exc.strerror or exc}); "
                           "check the path and its permissions") from None
    return path
