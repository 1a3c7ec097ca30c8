"""The Markdown study summary, parsed back with markdown-it: structure, safety, numbers.

Rule: the export is called directly with fake or memoized demo runners; history is
built through the real Store in tmp_path, never the user's database.
"""

from __future__ import annotations

import functools
import io
import os
import re
import string
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from quizzer import export
from quizzer.cards import Card, Deck, DeckMeta, load_deck
from quizzer.demos import REGISTRY
from quizzer.demos import run as run_demo
from quizzer.demos.result import DemoResult, Plot, Series, above, holds
from quizzer.errors import QuizzerError
from quizzer.export import DeckData, build_summary, overview, write_export
from quizzer.scheduler import NEW, review
from quizzer.session import Event
from quizzer.store import Store
from tests.conftest import CONTENT

TODAY = date(2026, 3, 31)
CORRECTED = {"vanishing-gradients", "relu-alternatives", "selu", "swish", "transfer-learning"}
HOSTILE_QUESTION = "<script>alert(1)</script> | *x* `code`"
HOSTILE_ANSWER = (
    "Plain start | with a pipe\n\n| a | b |\n|---|---|\n| <b>html</b> | x |\n\n"
    "<b>raw</b> and `kept_code` and *kept emphasis* and [link](javascript:alert(1))\n"
    "# not a heading\n<div>\nblock html\n</div>\n&lt;entity&gt; <!-- comment -->"
)


def commonmark() -> MarkdownIt:
    return MarkdownIt("commonmark")


def gfm() -> MarkdownIt:
    # The gfm-like preset enables linkify, which needs an extra package; tables are what
    # this preset is here to check.
    return MarkdownIt("gfm-like", {"linkify": False})


def walk(tokens: list[Token]) -> Iterator[Token]:
    for tok in tokens:
        yield tok
        if tok.children:
            yield from walk(tok.children)


def inline_text(tok: Token) -> str:
    """The rendered text of an inline token: what a reader (and GitHub's slugger) sees."""
    parts = []
    for child in tok.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def headings(tokens: list[Token]) -> list[tuple[int, str]]:
    return [(int(tok.tag[1]), inline_text(tokens[i + 1]))
            for i, tok in enumerate(tokens) if tok.type == "heading_open"]


def reference_slug(text: str) -> str:
    """GitHub's rule, written independently of quizzer.export: Ruby's [^\\p{Word}\\- ]."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def slugs_in_order(tokens: list[Token]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for _, text in headings(tokens):
        base = reference_slug(text)
        slug = base if base not in seen else f"{base}-{seen[base]}"
        seen[base] = seen.get(base, 0) + 1
        out.append(slug)
    return out


def sections(tokens: list[Token], level: int = 3) -> dict[str, list[Token]]:
    """Each heading of `level` with the tokens up to the next heading of that level or above."""
    out: dict[str, list[Token]] = {}
    current: list[Token] | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and int(tok.tag[1]) <= level:
            current = None
            if int(tok.tag[1]) == level:
                current = out.setdefault(inline_text(tokens[i + 1]), [])
                continue
        if current is not None:
            current.append(tok)
    return out


# The only HTML the export writes itself: the <details> around each claims table, whose
# summary holds counts only.
OUR_HTML = re.compile(
    r"<details>\n<summary>All \d+ claims?: \d+ checks? \(evidence a wrong card would fail\)"
    r"(?: and \d+ values? \(computed and shown\))?</summary>\n|</details>\n?")


def html_tokens(tokens: list[Token]) -> list[Token]:
    """HTML tokens other than the export's own <details> blocks."""
    return [t for t in walk(tokens) if t.type in ("html_block", "html_inline")
            and not OUR_HTML.fullmatch(t.content)]


# -- data ------------------------------------------------------------------------------


@functools.cache
def ch11() -> Deck:
    return load_deck(CONTENT / "ch11", known_demos=REGISTRY)


@functools.cache
def extras() -> Deck:
    return load_deck(CONTENT / "ch11-extras", known_demos=REGISTRY)


def grade(store: Store, deck: str, card_id: str, g: int, day: date, kind: str = "schedule",
          answer: str = "") -> None:
    before = store.states(deck).get(card_id, NEW)
    after = review(before, g, day) if kind == "schedule" else before
    ev = Event(card_id, kind, g, day, before, after, answer)  # type: ignore[arg-type]
    store.record(deck, ev, datetime.combine(day, time(12)))


def part(store: Store, deck: Deck, is_extras: bool = False) -> DeckData:
    return DeckData(deck, store.states(deck.id), store.history(deck.id), extras=is_extras)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "q.db") as s:
        yield s


@pytest.fixture
def studied(store: Store) -> Store:
    """Some history on ch11: a lapse on Q2, a grade 3 on Q9, a typed answer on Q7."""
    deck = ch11().id
    d0 = TODAY - timedelta(days=12)
    grade(store, deck, "vanishing-gradients", 5, d0)
    grade(store, deck, "vanishing-gradients", 5, d0 + timedelta(days=1))
    grade(store, deck, "vanishing-gradients", 1, d0 + timedelta(days=7), answer="it diverges")
    grade(store, deck, "vanishing-gradients", 4, d0 + timedelta(days=7), kind="drill")
    grade(store, deck, "swish", 3, d0)
    grade(store, deck, "relu-alternatives", 4, TODAY, answer="SELU > ELU <b>|</b>")
    return store


def plot(name: str) -> Plot:
    return Plot(f"{name} plot", "x", "y", [Series([0.0, 1.0, 2.0], [1.0, 0.5, 0.25], "line")],
                log_y=True)


def fake_result(name: str) -> DemoResult:
    return DemoResult(
        title=f"Demo {name}",
        sentence="It shows a thing.",
        claims=[above("value | with <i>pipe</i>", 2.0, 1.0, kind="check"),
                holds("a fact", True, kind="value")],
        plots=[plot(name)] if name.endswith("s") else [],
    )


class Recorder:
    """A demo runner that records the names it was asked for."""

    def __init__(self, fn: Callable[[str], DemoResult] = fake_result) -> None:
        self.calls: list[str] = []
        self.fn = fn

    def __call__(self, name: str) -> DemoResult:
        self.calls.append(name)
        return self.fn(name)


def fake_saver(plot: Plot, path: Path) -> None:
    path.write_bytes(b"\x89PNG fake " + plot.title.encode())


def fake_chart(kind: str, stats: object, path: Path) -> None:
    path.write_bytes(b"\x89PNG fake chart " + kind.encode())


# -- structure -------------------------------------------------------------------------


def test_every_question_has_a_heading_and_the_five_corrections_are_callouts(
    studied: Store, tmp_path: Path,
) -> None:
    out = tmp_path / "study-summary.md"
    write_export(out, [part(studied, ch11())], TODAY, run_demo=Recorder(),
                 save_plot=fake_saver, save_chart=fake_chart)
    tokens = commonmark().parse(out.read_text(encoding="utf-8"))
    found = dict(headings(tokens))
    by_heading = sections(tokens)
    assert found[1] == "Study summary: Training Deep Neural Networks"
    corrected = set()
    for card in ch11().cards:
        title = f"Q{card.number}. {' '.join(card.question.split())}"
        assert title in by_heading, title
        body = by_heading[title]
        quotes = [i for i, t in enumerate(body) if t.type == "blockquote_open"]
        if quotes:
            first_inline = next(t for t in body[quotes[0]:] if t.type == "inline")
            # A GitHub alert: "[!WARNING]" on the quote's first line, then the correction.
            assert first_inline.content.split("\n")[:2] == ["[!WARNING]", "**Correction:**"]
            corrected.add(card.id)
        assert any(t.type == "inline" and t.content == "**Reference answer**" for t in body)
    assert corrected == CORRECTED
    assert len(by_heading) == len(ch11().cards)


def test_toc_and_weakest_links_resolve_to_headings(studied: Store, tmp_path: Path) -> None:
    out = tmp_path / "s.md"
    write_export(out, [part(studied, ch11()), part(studied, extras(), True)], TODAY)
    tokens = commonmark().parse(out.read_text(encoding="utf-8"))
    slugs = slugs_in_order(tokens)
    assert len(slugs) == len(set(slugs)), "headings are unique by construction"
    links = [unquote(str(t.attrs["href"]))[1:] for t in walk(tokens)
             if t.type == "link_open" and str(t.attrs["href"]).startswith("#")]
    assert len(links) >= len(ch11().cards) + len(extras().cards) + 2
    assert set(links) <= set(slugs)
    # Every card is in the table of contents.
    assert {s for s in slugs if re.match(r"[qe]\d+-", s)} <= set(links)


def test_no_link_leaves_the_document_except_figures(studied: Store, tmp_path: Path) -> None:
    out = tmp_path / "s.md"
    write_export(out, [part(studied, ch11())], TODAY, run_demo=Recorder(),
                 save_plot=fake_saver, save_chart=fake_chart)
    tokens = gfm().parse(out.read_text(encoding="utf-8"))
    hrefs = [str(t.attrs["href"]) for t in walk(tokens) if t.type == "link_open"]
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_weakest_cards_lists_lapses_low_ease_and_low_last_grades(
    studied: Store, tmp_path: Path,
) -> None:
    text = build_summary([part(studied, ch11())], TODAY)
    tokens = gfm().parse(text)
    weakest = sections(tokens, level=2)["Weakest cards"]
    rows = [inline_text(t) for t in weakest if t.type == "inline"]
    listed = [r for r in rows if re.match(r"Q\d+\.", r)]
    # Q2: ease 2.70 but one lapse; Q9: ease 2.36 (a grade of 3). Lapses come first.
    # Q7 (grade 4) is not weak. Both are corrected cards, and marked so.
    assert [r.split(".")[0] for r in listed] == ["Q2", "Q9"]
    assert all(r.endswith("⚠ corrected") for r in listed)
    assert "ease 2.36 < 2.50" in rows
    assert "1 lapse" in rows
    assert "below the starting 2.50" in text


def test_weakest_order_puts_weak_cards_first_and_new_cards_last(
    studied: Store, tmp_path: Path,
) -> None:
    text = build_summary([part(studied, ch11())], TODAY, order="weakest")
    tokens = commonmark().parse(text)
    level2 = [t for lvl, t in headings(tokens) if lvl == 2]
    assert "Cards, weakest first" in level2
    assert not set(ch11().meta.sections) & set(level2)
    cards = [t.split(".")[0] for lvl, t in headings(tokens) if lvl == 3]
    # Reviewed by weakness: Q2 (2.70, 1 lapse), Q9 (ease 2.36), Q7 (2.50 after a 4):
    # lapses come before ease. Then the never-reviewed cards in number order.
    assert cards[:3] == ["Q2", "Q9", "Q7"]
    rest = [int(c[1:]) for c in cards[3:]]
    assert rest == sorted(rest) and len(cards) == len(ch11().cards)
    assert "**Section:** The Vanishing/Exploding Gradients Problems" in text
    assert "weakest first" in text


def test_extras_are_their_own_part_with_e_labels(studied: Store) -> None:
    text = build_summary([part(studied, ch11()), part(studied, extras(), True)], TODAY)
    found = headings(commonmark().parse(text))
    level3 = [t for lvl, t in found if lvl == 3]
    assert [t.split(".")[0] for t in level3[-4:]] == ["E1", "E2", "E4", "E3"]
    assert ("Extra questions: Reusing Pretrained Layers") in [t for _, t in found]
    # The extras deck has no card in the regularization section: no empty heading.
    assert "Extra questions: Avoiding Overfitting Through Regularization" not in text
    assert "| `ch11` | `ch11-extras` |" in text


def test_card_shows_progress_and_last_typed_answer(studied: Store) -> None:
    text = build_summary([part(studied, ch11())], TODAY)
    body = sections(commonmark().parse(text))
    q2 = "\n".join(t.content for t in body["Q2. Describe the vanishing gradient problem."])
    assert ("**Your progress:** 0 repetitions · ease 2.70 · 1 lapse · interval 1 day · "
            "next due 2026-03-27 (overdue) · last grade 4 on 2026-03-26, re-drill.") in q2
    assert "**Your last answer** (2026-03-26, graded 1):" in q2
    assert "it diverges" in q2
    q1 = "\n".join(t.content for t in body[
        "Q1. List some problems that are typical of deep neural networks."])
    assert "**Your progress:** not reviewed yet." in q1
    assert "Your last answer" not in q1


# -- safety ----------------------------------------------------------------------------


def hostile_deck(tmp_path: Path) -> Deck:
    meta = DeckMeta(id="evil", title="Evil <img src=x onerror=alert(1)> deck",
                    sections=("Section | with <b>html</b>",),
                    description="<!-- hi --> # not a heading")
    card = Card(id="evil", number=1, section="Section | with <b>html</b>",
                question=HOSTILE_QUESTION, answer=HOSTILE_ANSWER,
                correction="<script>x</script>\n\n```\n<b>unclosed fence",
                key_points=("`a|b` <i>point</i>", "```", "- [ ] <u>task</u>"),
                demo="overfitting-small-data")
    return Deck(tmp_path, meta, (card,))


def hostile_result(name: str) -> DemoResult:
    return DemoResult(
        title="<b>Title</b> | x", sentence="`tick <i>` *star*",
        claims=[above("a | b <b>c</b> `d|e`", 3.0, 1.0, kind="check"),
                above("| lead", 0.5, 1.0, kind="check")],
        plots=[Plot("<b>plot</b> | [x](y)", "x", "y", [Series([0.0], [1.0], "_s")])],
    )


@pytest.mark.parametrize("md", [commonmark(), gfm()], ids=["commonmark", "gfm-like"])
def test_hostile_card_produces_no_html_and_keeps_tables_intact(
    md: MarkdownIt, store: Store, tmp_path: Path,
) -> None:
    deck = hostile_deck(tmp_path)
    grade(store, deck.id, "evil", 2, TODAY, answer="<script>alert(2)</script> | `x")
    out = tmp_path / "evil.md"
    write_export(out, [part(store, deck)], TODAY, run_demo=hostile_result,
                 save_plot=fake_saver, save_chart=fake_chart)
    text = out.read_text(encoding="utf-8")
    tokens = md.parse(text)
    assert html_tokens(tokens) == []
    found = headings(tokens)
    assert (3, "Q1. " + HOSTILE_QUESTION) in found
    assert sum(1 for lvl, _ in found if lvl == 3) == 1, "no heading from card text"
    assert all(lvl != 1 or t.startswith("Study summary:") for lvl, t in found)
    # The author's formatting survives: code span and emphasis in the answer.
    kinds = {(t.type, t.content) for t in walk(tokens)}
    assert ("code_inline", "kept_code") in kinds
    assert ("text", "kept emphasis") in kinds
    # No links other than our own anchors, no images other than our figures.
    hrefs = [str(t.attrs["href"]) for t in walk(tokens) if t.type == "link_open"]
    assert all(h.startswith("#") for h in hrefs)
    srcs = [str(t.attrs["src"]) for t in walk(tokens) if t.type == "image"]
    assert srcs == ["evil_assets/progress-evil-heatmap.png",
                    "evil_assets/progress-evil-forecast.png",
                    "evil_assets/overfitting-small-data-1.png"]
    # The unclosed fence in the correction did not swallow the rest of the card.
    assert not any(t.type in ("fence", "code_block") for t in tokens)
    assert "Your progress:" in text.split("Correction:")[1]
    gfm_tokens = gfm().parse(text)
    rows = [i for i, t in enumerate(gfm_tokens) if t.type == "tr_open"]
    tables = sum(1 for t in gfm_tokens if t.type == "table_open")
    # Progress, forecast, weakest, claims: only the export's own tables.
    assert tables == 4
    for i in rows:
        cells = 0
        for t in gfm_tokens[i:]:
            if t.type == "tr_close":
                break
            cells += t.type in ("td_open", "th_open")
        assert cells in (2, 5)


def test_hostile_claims_table_has_one_row_per_claim_with_four_cells(store: Store,
                                                                    tmp_path: Path) -> None:
    text = build_summary([part(store, hostile_deck(tmp_path))], TODAY, run_demo=hostile_result)
    tokens = gfm().parse(text)
    tables: list[list[list[str]]] = []
    row: list[str] = []
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            tables.append([])
        elif t.type == "tr_open":
            row = []
        elif t.type in ("td_open", "th_open"):
            row.append(inline_text(tokens[i + 1]))
        elif t.type == "tr_close":
            tables[-1].append(row)
    header = ["Holds", "Kind", "Claim", "Measured", "Expected"]
    claims = next(tb for tb in tables if tb[0] == header)
    assert claims[1:] == [["✔", "check", "a | b <b>c</b> `d|e`", "3", "> 1"],
                          ["✘", "check", "| lead", "0.5", "> 1"]]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <>&|`*_[]()!#~$=-+.:\\/\n\t'\"1;é\u00a0")),
               max_size=60))
def test_escaped_text_renders_as_exactly_the_text(s: str) -> None:
    for block in (False, True):
        escaped = export.escape_text(s, block=block)
        tokens = commonmark().parse(("# " if not block else "") + escaped)
        words = " ".join(s.split())
        if not words:
            continue
        inline = next(t for t in tokens if t.type == "inline")
        assert {c.type for c in inline.children or []} <= {"text"}
        assert inline_text(inline) == words
        cell = gfm().parse(f"| h |\n|---|\n| {export.escape_text(s)} |\n")
        tds = [t for t in cell if t.type == "td_open"]
        assert len(tds) == 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab <>&|`*_[]()!#~$=-+.:\\/\n '\"1")),
               max_size=80))
def test_escaped_markdown_never_yields_html_links_headings_or_blocks(s: str) -> None:
    escaped = export.escape_markdown(s)
    for wrapped in (escaped, "> " + escaped.replace("\n", "\n> "),
                    "- " + escaped.replace("\n", "\n  ")):
        for md in (commonmark(), gfm()):
            tokens = md.parse("Before\n\n" + wrapped + "\n\nAfter\n")
            types = {t.type for t in walk(tokens)}
            assert not types & {"html_block", "html_inline", "link_open", "image",
                                "heading_open", "fence", "table_open", "s_open"}, wrapped
            # Nothing swallowed the paragraph after the card text.
            assert tokens[-2].type == "inline" and tokens[-2].content == "After"


@pytest.mark.parametrize(("text", "kind", "content"), [
    ("use `glorot_uniform` here", "code_inline", "glorot_uniform"),
    ("``a ` b`` <c>", "code_inline", "a ` b"),
    ("*exploding* gradients", "em_open", ""),
    ("**bold** text", "strong_open", ""),
    ("\\`<b>`", "text", "`<b>`"),
])
def test_escaped_markdown_keeps_the_authors_formatting(text: str, kind: str,
                                                       content: str) -> None:
    tokens = commonmark().parse(export.escape_markdown(text))
    assert any(t.type == kind and t.content == content for t in walk(tokens))
    assert html_tokens(tokens) == []


def test_github_slugs_follow_githubs_rule() -> None:
    slugger = export.Slugger()
    assert slugger.slug("The Vanishing/Exploding Gradients Problems") == \
        "the-vanishingexploding-gradients-problems"
    assert slugger.slug("Q17. Describe the ℓ1 and ℓ2 regularization.") == \
        "q17-describe-the-ℓ1-and-ℓ2-regularization"
    assert slugger.slug("Progress") == "progress"
    assert slugger.slug("Progress") == "progress-1"
    assert slugger.slug("a — b_c") == "a--b_c"


# The escapers and the slug as first written, one character at a time: the regex versions
# in quizzer.export must give exactly these bytes (they exist only to be faster).


def _oracle_needs_escape(line: str, i: int, special: str) -> bool:
    ch = line[i]
    if ch not in special:
        return False
    return ch not in "<&" or not (i + 1 < len(line) and line[i + 1].isspace())


def _oracle_escape_text(text: str, block: bool) -> str:
    line = " ".join(re.sub(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", "", text).split())
    out = "".join("\\" + ch if _oracle_needs_escape(line, i, "\\`*_[]<&#|~$") else ch
                  for i, ch in enumerate(line))
    match = re.match(r"^([-+=>]|\d{1,9}(?=[.)]))", out) if block else None
    if match:
        end = match.end() if match.group(1)[0].isdigit() else 0
        out = out[:end] + "\\" + out[end:]
    return out


def _oracle_escape_markdown_line(line: str) -> str:
    def run_length(start: int) -> int:
        end = start
        while end < len(line) and line[end] == "`":
            end += 1
        return end - start

    def closing(start: int, length: int) -> int | None:
        i = start
        while i < len(line):
            if line[i] == "`":
                n = run_length(i)
                if n == length:
                    return i
                i += n
            else:
                i += 1
        return None

    out: list[str] = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in string.punctuation:
            out.append(line[i : i + 2])
            i += 2
        elif ch == "`":
            n = run_length(i)
            close = closing(i + n, n)
            if close is None:
                out.append("\\`" * n)
                i += n
            else:
                out.append(line[i : close + n])
                i = close + n
        else:
            out.append("\\" + ch if _oracle_needs_escape(line, i, "<&[]|#~$") else ch)
            i += 1
    return "".join(out)


def _oracle_escape_markdown(text: str) -> str:
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n"):
        line = raw.rstrip()
        # A setext underline, or a table's delimiter row (":-", "| -: |"): escaped at
        # its first "=", "-" or ":".
        at = len(line) - len(line.lstrip())
        if line[at:].startswith("|"):
            at += 1
            while at < len(line) and line[at].isspace():
                at += 1
        core = line[at:].rstrip()
        if core.endswith("|"):
            core = core[:-1].rstrip()
        dashes = core.removeprefix(":").removesuffix(":")
        if (core and set(core) == {"="}) or (dashes and set(dashes) == {"-"}):
            line = line[:at] + "\\" + line[at:]
        lines.append(_oracle_escape_markdown_line(line))
    return "\n".join(lines)


def _oracle_slug(text: str) -> str:
    kept = [ch for ch in text.lower() if ch in " -" or unicodedata.category(ch)[0] in "LM"
            or unicodedata.category(ch) in ("Nd", "Pc")]
    return "".join(kept).replace(" ", "-")


_TRICKY = [*"ab <>&|`*_[]()!#~$=-+.:\\/\n\t\r'\"1;é^{}\u00a0\u2003\x85\x1b\x0b²ℓ",
           "``", "\n==", "\n  --", "\n", " \n", "\n:-", "-:", "\n| :--: |", "|"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_TRICKY), max_size=60).map("".join))
def test_fast_escapers_give_the_bytes_of_the_character_loops(s: str) -> None:
    for block in (False, True):
        assert export.escape_text(s, block=block) == _oracle_escape_text(s, block)
    assert export.escape_markdown(s) == _oracle_escape_markdown(s)
    assert export.github_slug(s) == _oracle_slug(s)


def test_every_ascii_character_slugs_as_githubs_rule_says() -> None:
    ascii_text = "".join(map(chr, range(128)))
    assert export.github_slug(ascii_text) == _oracle_slug(ascii_text)


# -- numbers ---------------------------------------------------------------------------


def small_deck(tmp_path: Path) -> Deck:
    meta = DeckMeta(id="small", title="Small", sections=("S",))
    cards = tuple(Card(id=c, number=i, section="S", question=f"Question {c}?", answer="A.")
                  for i, c in enumerate("abcdef", start=1))
    return Deck(tmp_path, meta, cards)


def test_retention_forecast_and_counts_from_a_hand_built_history(
    store: Store, tmp_path: Path,
) -> None:
    deck = small_deck(tmp_path)
    d = functools.partial(date, 2026)
    # a: learned in January; 03-01 is the excluded boundary (window is (03-01, 03-31]).
    grade(store, "small", "a", 4, d(1, 1))  # new: never counts
    grade(store, "small", "a", 2, d(3, 1))  # boundary: excluded
    grade(store, "small", "a", 4, d(3, 2))  # counts, pass
    grade(store, "small", "a", 2, d(3, 31))  # counts, fail; due 04-01
    grade(store, "small", "a", 5, d(3, 31), kind="drill")  # drills never count
    grade(store, "small", "b", 5, d(3, 10))  # new
    grade(store, "small", "b", 3, d(3, 11))  # counts, pass
    grade(store, "small", "b", 1, d(3, 17))  # counts, fail; due 03-18: overdue
    # c: never reviewed.
    grade(store, "small", "d", 0, d(3, 30))  # new; due 03-31 (today)
    grade(store, "small", "d", 2, d(3, 30), kind="drill")
    grade(store, "small", "e", 3, d(3, 31))  # new today, grade 3: in today's re-drill
    for day in (d(1, 1), d(1, 2), d(1, 8), d(1, 25)):  # f: 1, 6, 17, 50 days: mature
        grade(store, "small", "f", 5, day)
    grade(store, "small", "gone", 0, d(3, 20))  # a card no longer in the deck
    grade(store, "small", "gone", 0, d(3, 25))

    stats = overview(part(store, deck), TODAY)
    assert store.states("small")["f"].interval == 50
    assert (stats.new, stats.young, stats.mature) == (1, 4, 1)
    assert stats.redrill == 1
    assert stats.reviews == 15
    assert stats.graded_today == 2
    assert (stats.retained, stats.retention_base) == (2, 4)
    # Overdue b and f (due 03-16) and d count on today; a and e are due tomorrow.
    assert stats.forecast == (3, 2, 0, 0, 0, 0, 0)

    text = build_summary([part(store, deck)], TODAY)
    assert "| Retention, last 30 days | 50.0% (2/4) |" in text
    assert "| 2026-03-31 (today) | 3 |" in text
    assert "| 2026-04-01 (tomorrow) | 2 |" in text
    assert "| 2026-04-02 (Thu) | 0 |" in text
    assert "| In today's re-drill | 1 |" in text
    assert "from 2026-03-02 to 2026-03-31" in text


def test_no_history_gives_no_retention_and_no_weak_cards(store: Store, tmp_path: Path) -> None:
    text = build_summary([part(store, small_deck(tmp_path))], TODAY)
    assert "| Retention, last 30 days | – |" in text
    assert "No card has been reviewed yet." in text


# -- demos, figures and files ----------------------------------------------------------


@functools.cache
def real_demo(name: str) -> DemoResult:
    from quizzer.demos import run

    return run(name)


def memo_runner(name: str) -> DemoResult:
    return real_demo(name)


def test_real_export_is_deterministic_and_every_figure_exists(
    studied: Store, tmp_path: Path,
) -> None:
    from quizzer.figures import save_plot

    parts = [part(studied, ch11()), part(studied, extras(), True)]
    texts, figures = [], []
    for run in ("one", "two"):
        folder = tmp_path / run
        folder.mkdir()
        out = folder / "study-summary.md"
        write_export(out, parts, TODAY, run_demo=memo_runner, save_plot=save_plot)
        texts.append(out.read_text(encoding="utf-8"))
        assets = folder / "study-summary_assets"
        figures.append({p.name: p.read_bytes() for p in sorted(assets.iterdir())})
        tokens = gfm().parse(texts[-1])
        assert html_tokens(tokens) == []
        srcs = [unquote(str(t.attrs["src"])) for t in walk(tokens) if t.type == "image"]
        assert srcs, "the ch11 demos plot"
        for src in srcs:
            assert not Path(src).is_absolute()
            assert (folder / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert {Path(s).name for s in srcs} == set(figures[-1])
    assert texts[0] == texts[1]
    assert figures[0] == figures[1]


def test_demos_run_once_each_and_failures_are_reported(studied: Store, tmp_path: Path) -> None:
    def flaky(name: str) -> DemoResult:
        if name == "selu-self-normalization":
            raise ModuleNotFoundError("No module named 'quizzer.demos.q08_selu'")
        return fake_result(name)

    runner = Recorder(flaky)
    calls: list[tuple[int, int, str]] = []
    text = build_summary([part(studied, ch11())], TODAY, run_demo=runner,
                         write_figure=lambda p, n: f"a/{n}",
                         progress=lambda d, t, w: calls.append((d, t, w)))
    names = [c.demo for c in ch11().cards if c.demo]
    assert sorted(runner.calls) == sorted(set(names))
    assert ("demo failed: ModuleNotFoundError: No module named 'quizzer.demos.q08\\_selu'"
            in text)
    assert text.count("demo failed") == 1
    assert calls[-1] == (len(set(names)), len(set(names)), "done")
    assert [d for d, _, _ in calls] == sorted(d for d, _, _ in calls)


def test_figure_failure_is_reported_not_fatal(studied: Store) -> None:
    def broken(plot: Plot, name: str) -> str:
        raise ValueError("no space left")

    text = build_summary([part(studied, ch11())], TODAY, run_demo=fake_result,
                         write_figure=broken)
    assert "Figure 1 failed: ValueError: no space left" in text


def test_no_demos_runs_nothing_and_writes_no_figures(studied: Store, tmp_path: Path) -> None:
    def must_not_save(plot: Plot, path: Path) -> None:
        raise AssertionError("no figure expected")

    out = tmp_path / "s.md"
    write_export(out, [part(studied, ch11())], TODAY, run_demo=None, save_plot=must_not_save)
    # The open store keeps its WAL files (q.db-wal, q.db-shm) beside the database.
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("q.db")) == ["s.md"]
    text = out.read_text(encoding="utf-8")
    assert "Demos were not run" in text
    assert "![" not in text and "| Holds |" not in text


def test_stdout_gets_the_summary_and_no_figures_anywhere(
    studied: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    before = set(tmp_path.iterdir())
    buf = io.StringIO()
    assert write_export("-", [part(studied, ch11())], TODAY, run_demo=fake_result,
                        save_plot=fake_saver, save_chart=fake_chart, stdout=buf) is None
    assert set(tmp_path.iterdir()) == before
    text = buf.getvalue()
    assert "Figures are left out" in text and "![" not in text
    assert "| Holds |" in text


def test_failed_build_leaves_the_old_file_intact(studied: Store, tmp_path: Path) -> None:
    out = tmp_path / "s.md"
    out.write_text("old summary\n")

    def interrupt(done: int, total: int, what: str) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_export(out, [part(studied, ch11())], TODAY, run_demo=fake_result,
                     save_plot=fake_saver, save_chart=fake_chart, progress=interrupt)
    assert out.read_text() == "old summary\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_failed_write_leaves_the_old_file_intact(
    studied: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "s.md"
    out.write_text("old summary\n")
    os.chmod(out, 0o640)

    def no_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", no_replace)
        with pytest.raises(QuizzerError, match="No space left"):
            write_export(out, [part(studied, ch11())], TODAY)
    assert out.read_text() == "old summary\n"
    assert not list(tmp_path.glob(".*.tmp"))
    write_export(out, [part(studied, ch11())], TODAY)
    assert out.read_text().startswith("# Study summary")
    assert out.stat().st_mode & 0o777 == 0o640, "an existing file keeps its permissions"


def test_bad_output_paths_are_user_errors(studied: Store, tmp_path: Path) -> None:
    with pytest.raises(QuizzerError, match="is a folder"):
        write_export(tmp_path, [part(studied, ch11())], TODAY)
    with pytest.raises(QuizzerError, match="does not exist"):
        write_export(tmp_path / "nope" / "s.md", [part(studied, ch11())], TODAY)
    with pytest.raises(QuizzerError, match="--order"):
        build_summary([part(studied, ch11())], TODAY, order="random")  # type: ignore[arg-type]


def test_importing_the_export_pulls_in_no_heavy_library() -> None:
    code = ("import sys, quizzer.export, quizzer.figures; "
            "print(sorted(m for m in ('numpy', 'matplotlib', 'rich') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_progress_bar_is_silent_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from quizzer.ui.progress import progress_bar

    with progress_bar() as update:
        update(0, 2, "demo x")
        update(2, 2, "done")
    assert capsys.readouterr().err == ""


# -- how the evidence reads ------------------------------------------------------------


def test_contents_mark_exactly_the_corrected_cards(studied: Store) -> None:
    text = build_summary([part(studied, ch11())], TODAY)
    contents = sections(commonmark().parse(text), level=2)["Contents"]
    items = [inline_text(t) for t in contents if t.type == "inline"]
    marked = {i.split(".")[0] for i in items if i.endswith("⚠ corrected")}
    expected = {f"Q{c.number}" for c in ch11().cards if c.correction}
    assert marked == expected and len(expected) >= 5
    assert any("⚠ marks a card whose reference answer" in i for i in items)


def test_notation_renders_powers_as_superscripts() -> None:
    assert export.notation("0.25^10 < 1e-6") == "0.25¹⁰ < 1e-6"
    assert export.notation("1 − 0.99^k and 10^{-3}") == "1 − 0.99ᵏ and 10⁻³"
    assert export.notation("keep `x^2` and a ^ b") == "keep `x^2` and a ^ b"
    assert export.notation("x^{ab}") == "x^{ab}"  # no superscript b: left as written


def test_card_and_claim_text_use_the_notation(studied: Store) -> None:
    text = build_summary([part(studied, ch11()), part(studied, extras(), True)], TODAY,
                         run_demo=run_demo)
    assert "0.25¹⁰" in text and "0.25^10" not in text
    assert "1.2⁵⁰" in text and "^50" not in text
    assert "BN_{" not in text and "ε/a²" in text


def test_short_evidence_first_then_the_claims_collapsed(studied: Store) -> None:
    text = build_summary([part(studied, ch11())], TODAY, run_demo=run_demo,
                         write_figure=lambda p, n: f"a/{n}")
    tokens = gfm().parse(text)
    q9 = text.split("### Q9. ")[1].split("\n### ")[0]
    key = q9.index("Swish: z of the minimum, refined")
    figure = q9.index("![Swish, GELU and Mish with their minima]")
    details = q9.index("<details>")
    table = q9.index("| Holds | Kind | Claim |")
    assert key < figure < details < table < q9.index("</details>")
    assert "All 5 checks hold. 16 values computed." in q9
    assert html_tokens(tokens) == []


def test_control_characters_in_a_stored_answer_never_reach_the_summary(store: Store) -> None:
    # Answers stored before typed input was cleaned may hold terminal escapes: OSC 52
    # (clipboard), a window title, a screen clear.
    hostile = "ok\x1b]52;c;ZXZpbA==\x07 \x1b]0;title\x07 \x1b[2J\x9b1m done"
    grade(store, ch11().id, "swish", 4, TODAY, answer=hostile)
    text = build_summary([part(store, ch11())], TODAY)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert "ok" in text and "done" in text


def test_the_file_written_piece_by_piece_is_the_summary(studied: Store, tmp_path: Path) -> None:
    parts = [part(studied, ch11()), part(studied, extras(), True)]
    out = tmp_path / "s.md"
    write_export(out, parts, TODAY, order="weakest")
    assert out.read_bytes() == build_summary(parts, TODAY, order="weakest").encode("utf-8")


def test_a_log_digest_of_another_day_is_refused(studied: Store) -> None:
    from quizzer.stats import digest

    deck = ch11()
    other_day = digest(studied.history(deck.id), TODAY - timedelta(days=1),
                       {c.id for c in deck.cards})
    stale = DeckData(deck, studied.states(deck.id), (), log=other_day)
    with pytest.raises(ValueError, match="digest is for"):
        build_summary([stale], TODAY)
    fresh = DeckData(deck, studied.states(deck.id), (),
                     log=digest(studied.history(deck.id), TODAY, {c.id for c in deck.cards}))
    assert build_summary([fresh], TODAY) == build_summary([part(studied, deck)], TODAY)


# -- cards rendered once, kept in the database (SummaryCard) ---------------------------

_HEADING_TEXT = st.lists(st.sampled_from(
    [*"aZ Σσς.İ_-*<&#|`\\[]\t\n\x01\x1bé1", "\u2003", "\u0301", "ΑΣ", "<b>", "&amp;"]),
    min_size=1, max_size=30).map("".join).filter(lambda t: t.strip() != "")


@settings(max_examples=400, deadline=None)
@given(prefix=st.sampled_from(["Q", "E", "my-deck Q", "deck_2 Q"]), number=st.integers(1, 10**6),
       question=_HEADING_TEXT)
def test_a_cards_heading_joins_its_label_and_its_rendered_question_exactly(
        prefix: str, number: int, question: str) -> None:
    """The summary writes "<label>" + SummaryCard.heading, slugged "<label slug>" +
    SummaryCard.slug: the same text and anchor as escaping and slugging the whole."""
    card = export.summary_card(Card(id="c", number=number, section="S", question=question,
                                    answer="A."))
    whole = " ".join(f"{prefix}{number}. {question}".split())
    assert f"{export.escape_text(prefix)}{number}{card.heading}" == export.escape_text(whole)
    assert f"{export.github_slug(prefix)}{number}{card.slug}" == export.github_slug(whole)


@settings(max_examples=300, deadline=None)
@given(reps=st.integers(0, 3), ease=st.integers(130, 300), lapses=st.integers(0, 9),
       grade=st.none() | st.integers(0, 5), leech=st.booleans())
def test_a_card_has_weaknesses_exactly_when_the_weakest_table_rule_says(
        reps: int, ease: int, lapses: int, grade: int | None, leech: bool) -> None:
    """The table's rule: a reviewed card with an ease below the start, a lapse, a last
    grade below PASS, or leech status; "leech" is said first."""
    from quizzer.model import Graded
    from quizzer.scheduler import PASS, START_EASE, State

    state = State(reps, 1, ease, TODAY, lapses) if reps or lapses else NEW
    card = export.summary_card(Card(id="c", number=1, section="S", question="Q?", answer="A."))
    last = Graded(TODAY, grade, "schedule", "") if grade is not None else None
    v = export.CardView(card, "Q1", "S", export.progress_of(state, last, None), leech)
    weak = not state.is_new and (leech or ease < START_EASE or lapses > 0
                                 or (grade is not None and grade < PASS))
    assert bool(v.weaknesses()) == weak
    assert v.weaknesses().startswith("leech") == (weak and leech)


def test_the_renderer_key_changes_with_what_a_card_renders_to(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Cards kept in the database are made again when the escaping changes, even by a
    change nobody marked with RENDER_VERSION."""
    before = export._renderer()
    assert before == export.renderer() and before.startswith(f"{export.RENDER_VERSION}:")
    monkeypatch.setattr(export, "_MARKDOWN_ESCAPE", re.compile(r"[\[\]|#~]|[<&](?!\s)"))  # no $
    assert export._renderer() != before


def test_a_summary_from_rendered_cards_is_the_summary_from_the_deck() -> None:
    deck = load_deck(CONTENT / "ch11", known_demos=REGISTRY)
    states = {"dropout": review(NEW, 2, TODAY)}
    whole = build_summary([DeckData(deck, states, ())], TODAY, order="weakest")
    cards = [export.summary_card(c) for c in deck.cards]
    bare = Deck(deck.path, deck.meta, ())
    assert build_summary([DeckData(bare, states, (), cards=cards)], TODAY,
                         order="weakest") == whole
