"""What each command shows: the review screens, the summary, and the card tables.

Rule: functions here take core types and render them; they decide nothing. Deck text
is never rich markup: it goes in as Text, except the reference answer, which is Markdown
with links shown as text (no hidden hyperlinks).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from rich import box
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from quizzer.scheduler import GRADE_MEANINGS, REDRILL_UNTIL, State
from quizzer.session import Item, Review
from quizzer.ui.console import clean, err, out, visible

if TYPE_CHECKING:
    from rich.console import Console

if TYPE_CHECKING:
    from quizzer.review import Progress, Summary

if TYPE_CHECKING:  # the card models (pydantic) and the marker are not needed for `due`
    from quizzer.cards import Card, Deck
    from quizzer.marker import Marking


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def progress_label(progress: Progress) -> str:
    """`card k of n · new`, or `re-drill · r left` while re-drilling: never cut."""
    if progress.kind == "re-drill":
        return f"re-drill · {progress.redrills_left} left"
    return f"card {progress.position} of {progress.total} · {progress.kind}"


def card_header(item: Item, progress: Progress, leech: str | None = None) -> None:
    """`leech` is quizzer.stats.leech_advice for the card: shown above the question."""
    c = item.card
    out().print()
    out().print(Rule(
        Text(f" {progress_label(progress)} · #{c.number} {c.id} · {c.section} "),
        style="cyan",
    ))
    if leech:
        out().print(Text("⚑ " + leech, style="bold magenta"))
    out().print(Text(c.question, style="bold"))


def _in_days(state: State, day: date | None) -> int:
    """Days from the review day to the new due date: SM-2's interval, unless an exam
    date brought the due date earlier (then the interval would mislead)."""
    if day is not None and state.due is not None:
        return (state.due - day).days
    return state.interval


def grade_line(preview: Mapping[int, State] | None, day: date | None = None) -> str:
    """Every grade and what it would do, on one line: `5→17d 4→15d 3→13d↻ …`."""
    if preview is None:
        return "re-drill: 4 or 5 ends it, 0-3 brings it back; the schedule is unchanged"
    parts = [f"{g}→{_in_days(preview[g], day)}d" + ("↻" if g < REDRILL_UNTIL else "")
             for g in sorted(preview, reverse=True)]
    return "  ".join(parts) + "  (↻ again today)"


def checklist(marking: Marking) -> Table:
    """The key points, each ticked or crossed, as the marker (or the student) decided."""
    table = Table.grid(padding=(0, 1))
    for p in marking.points:
        mark = Text("✔", style="bold green") if p.covered else Text("✘", style="bold red")
        table.add_row(mark, Text(p.text, style="" if p.covered else "dim"))
    return table


def suggestion_line(marking: Marking) -> Text:
    covered = sum(p.covered for p in marking.points)
    return Text.assemble(
        ("Suggested grade ", "bold"), (str(marking.suggested_grade), "bold cyan"),
        (f"  ({covered}/{len(marking.points)} key points covered; you decide)", "dim"),
    )


def marking(card: Card, result: Marking) -> None:
    """`quizzer mark`: the card, then the checklist and the suggested grade."""
    console = out()
    console.print(Text(f"#{card.number} {card.id}: ", style="cyan") + Text(card.question))
    console.print(checklist(result))
    console.print(suggestion_line(result))


def _reference(card: Card) -> None:
    from rich.markdown import Markdown  # only where an answer is shown: `due` skips it

    console = out()
    console.print(Panel(Markdown(card.answer, hyperlinks=False), title="Reference answer",
                        title_align="left", border_style="green"))
    if card.correction:
        console.print(Panel(Markdown(card.correction, hyperlinks=False), title="⚠ Correction",
                            title_align="left", border_style="bold yellow", style="yellow"))


def reveal(card: Card, result: Marking, preview: Mapping[int, State] | None,
           day: date | None = None) -> None:
    """The plain reveal: the reference answer and the correction, then (fitting in one
    screen) the checklist, the suggested grade and one line of grades and intervals."""
    _reference(card)
    checked(card, result, preview, day)


def checked(card: Card, result: Marking, preview: Mapping[int, State] | None,
            day: date | None = None) -> None:
    """The part of the plain reveal that must fit one screen: checklist, suggestion, grades."""
    console = out()
    if result.points:
        console.print(checklist(result))
        console.print(suggestion_line(result))
    demo = f" · d demo ({card.demo})" if card.demo else ""
    console.print(Text(grade_line(preview, day), style="dim")
                  + Text(f" · ? help{demo}", style="dim"))


def _key_points(card: Card) -> None:
    if card.key_points:
        out().print(Text("Key points", style="bold"))
        points = Table.grid(padding=(0, 1))
        for point in card.key_points:
            points.add_row(Text("  •"), Text(point.text))
        out().print(points)
    if card.demo:
        out().print(Text.assemble(("Demo: ", "bold"), (card.demo, "magenta"),
                                  ("  (d runs it)", "dim")))


def grade_help(preview: Mapping[int, State] | None, has_demo: bool,
               day: date | None = None) -> None:
    table = Table.grid(padding=(0, 2))
    for g in sorted(GRADE_MEANINGS, reverse=True):
        nxt = preview[g] if preview is not None else None
        when = f"→ {_days(_in_days(nxt, day))}" if nxt is not None else ""
        if nxt is not None and g < REDRILL_UNTIL:
            when += ", again today"
        table.add_row(Text(str(g), style="bold"), Text(GRADE_MEANINGS[g]), Text(when, "dim"))
    out().print(table)
    extra = "u undo last grade · q quit" + (" · d run the demo" if has_demo else "")
    if preview is None:
        extra = "re-drill: logged, schedule unchanged; 4 or 5 ends it · " + extra
    out().print(Text(extra, style="dim"))


def note(message: str) -> None:
    out().print(Text(message, style="dim"))


def status(message: str) -> None:
    """A status line ("Wrote …"): stderr, so that stdout carries only data."""
    err().print(Text(message, style="dim"))


def warn(message: str) -> None:
    out().print(Text(message, style="yellow"))


def nothing_due(day: date, next_due: date | None, due_count: int, waiting: int = 0) -> None:
    """Why a review has no card: `waiting` cards are still due today past the day's
    review limit; otherwise the next due date after today, and how many are due then."""
    if waiting:
        cards = "card waits" if waiting == 1 else "cards wait"
        out().print(f"Nothing more to review today ({day}): the day's review limit is "
                    f"reached and {waiting} due {cards}; --reviews N raises the limit.")
    elif next_due is None:
        out().print(f"Nothing to review today ({day}). No card is scheduled yet.")
    else:
        cards = "card" if due_count == 1 else "cards"
        out().print(
            f"Nothing to review today ({day}). Next due: {next_due} ({due_count} {cards})."
        )


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def distribution(grades: Counter[int]) -> str:
    return "  ".join(f"{g}:{grades.get(g, 0)}" for g in sorted(GRADE_MEANINGS, reverse=True))


def summary_rows(s: Summary) -> list[tuple[str, str]]:
    """The summary as (label, value) rows, shared by the plain mode and the end screen."""
    rows = [("Cards decided", str(s.decided))]
    if s.decided:
        rows.append(("Grades", distribution(s.grades)))
    redrill = str(s.redrills)
    if s.redrills:
        redrill += f"  (grades {distribution(s.redrill_grades)})"
    rows.append(("Re-drills", redrill))
    rows.append(("Time spent", duration(s.seconds)))
    if s.left:
        rows.append(("Left for today", str(s.left)))
    rows.append(("Due tomorrow", str(s.due_tomorrow)))
    if s.still_due:
        cards = "card" if s.still_due == 1 else "cards"
        rows.append(("Next due", f"overdue ({s.still_due} {cards} still due)"))
    else:
        rows.append(("Next due", str(s.next_due) if s.next_due else "—"))
    return rows


def summary(s: Summary) -> None:
    console = out()
    console.print()
    console.print(Rule(" Session summary ", style="cyan"))
    table = Table.grid(padding=(0, 2))
    for label, value in summary_rows(s):
        table.add_row(label, value)
    console.print(table)
    if s.missed:
        console.print(Text("Missed (grade below 3)", style="bold"))
        for card, points in s.missed:
            console.print(Text(f"  #{card.number} {card.id}", style="cyan"))
            for point in points:
                console.print(Text("    ✘ ") + Text(point, style="dim"))


def due_table(deck_id: str, day: date, due: int, new: int, redrill: int,
              next_due: date | None) -> None:
    table = Table(title=Text(f"{deck_id} · {day}"), title_justify="left")
    table.add_column("re-drill", justify="right")
    table.add_column("due", justify="right")
    table.add_column("new", justify="right")
    table.add_column("next due")
    table.add_row(str(redrill), str(due), str(new), str(next_due or "—"))
    out().print(table)


def due_decks(day: date, rows: Sequence[Mapping[str, object]], next_due: date | None) -> None:
    """`due` over several decks: a row per deck (from one shared queue) and the total."""
    table = Table(title=Text(f"{len(rows)} decks · {day}"), title_justify="left")
    table.add_column("deck", no_wrap=True)
    for col in ("re-drill", "due", "new"):
        table.add_column(col, justify="right")
    table.add_column("next due", no_wrap=True)
    table.add_column("exam", no_wrap=True)
    for r in rows:
        table.add_row(Text(str(r["deck"])), str(r["redrill"]), str(r["due"]), str(r["new"]),
                      str(r["next_due"] or "—"), str(r.get("exam") or "—"))
    total = [sum(int(str(r[k])) for r in rows) for k in ("redrill", "due", "new")]
    table.add_section()
    table.add_row("all", *map(str, total), str(next_due or "—"), "")
    out().print(table)


def decks_table(day: date, rows: Sequence[Mapping[str, object]]) -> None:
    """`quizzer decks`: one row per deck; those studied by default are starred."""
    table = Table(title=Text(f"Decks · {day}  (* studied by default)"), title_justify="left")
    table.add_column("deck", no_wrap=True)
    for col in ("cards", "due", "new"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("exam", no_wrap=True)
    table.add_column("folder", overflow="fold")
    for r in rows:
        star = "* " if r["studied"] else "  "
        if r.get("problem"):
            table.add_row(Text(star + str(r["name"])), "", "", "", "",
                          Text(visible(str(r["problem"])), style="red"))
            continue
        table.add_row(Text(star + str(r["deck"])), str(r["cards"]), str(r["due"]),
                      str(r["new"]), str(r["exam"] or "—"), Text(visible(str(r["path"]))))
    out().print(table)


# Columns `quizzer cards` drops, first to last, when the terminal is too narrow for them.
# Numbers, ids and due dates are never dropped or cut; the question column wraps.
_OPTIONAL = ("ease", "reps", "interval", "state", "lapses")
_QUESTION_MIN = 12
_RIGHT_ALIGNED = frozenset({"#", "reps", "interval", "ease", "lapses"})
_DECK_TEXT = frozenset({"id", "question"})


class ListedCard(NamedTuple):
    """One row of `quizzer cards`: a card and its schedule."""

    number: int
    id: str
    question: str
    state: State
    leech: bool


def cards_table(title: str, rows: Sequence[ListedCard]) -> None:
    """Every card with its schedule; `title` names the deck ("Title (id)")."""
    console = out()
    columns: dict[str, list[str]] = {name: [] for name in (
        "#", "id", "question", "state", "reps", "interval", "ease", "due", "lapses")}
    for number, cid, question, s, leech in rows:
        for name, value in zip(columns, (
            str(number), cid, question, "new" if s.is_new else "review",
            str(s.repetitions), _days(s.interval) if s.interval else "—",
            f"{s.ease_float:.2f}", str(s.due or "—"),
            f"{s.lapses} leech" if leech else str(s.lapses),
        ), strict=True):
            columns[name].append(value)

    def widest(name: str) -> int:
        return max(len(name), *(len(v) for v in columns[name]))

    def question_width(names: Collection[str]) -> int:
        # What is left for the question: every other column at its widest cell, and a
        # space either side of each column plus a separator between columns.
        others = sum(widest(n) for n in names if n != "question")
        return console.width - others - 3 * len(names) + 1

    shown = list(columns)
    for name in _OPTIONAL:
        if question_width(shown) >= _QUESTION_MIN:
            break
        shown.remove(name)
    # A fixed width: rich would otherwise narrow every column, ids and dates included,
    # to keep a question's longest word whole.
    width = max(_QUESTION_MIN, min(question_width(shown), widest("question")))
    table = Table(title=Text(title), title_justify="left",
                  box=box.SIMPLE_HEAD, show_edge=False)
    for name in shown:
        if name == "question":
            table.add_column(name, width=width, overflow="fold")
        else:
            table.add_column(name, no_wrap=True,
                             justify="right" if name in _RIGHT_ALIGNED else "left")
    if len(rows) > WRAPPED_ROWS_LIMIT:
        _card_lines(console, title, columns, shown, width)
        return
    for i in range(len(rows)):
        table.add_row(*(Text(columns[name][i]) for name in shown))
    console.print(table)


# Above this many cards, `cards` prints one line per card, the question cut to fit: a
# rich table folds each question over several lines but costs about 0.4 ms a row (40 s
# for 100,000 cards), and no one reads 100,000 wrapped rows.
WRAPPED_ROWS_LIMIT = 2000


def _card_lines(console: Console, title: str, columns: Mapping[str, list[str]],
                shown: list[str], width: int) -> None:
    """The cards table as plain lines of fixed-width columns (by terminal cells), in one
    write; deck text goes through `visible`, so it cannot drive the terminal."""
    from rich.cells import cell_len, set_cell_size

    def cells(text: str) -> int:
        # Printable ASCII takes one cell a character; rich measures anything else.
        return len(text) if text.isascii() and text.isprintable() else cell_len(text)

    widths = {n: width if n == "question" else max(cells(n), *map(cells, columns[n]))
              for n in shown}

    def cell(name: str, value: str) -> str:
        w = widths[name]
        if name == "question" and cells(value) > w:
            return set_cell_size(value, w - 1) + "…"
        pad = " " * (w - cells(value))
        return pad + value if name in _RIGHT_ALIGNED else value + pad

    lines = [visible(title), "  ".join(cell(n, n) for n in shown),
             "  ".join("─" * widths[n] for n in shown)]
    rows = zip(*(columns[n] for n in shown), strict=True)
    # Only ids and questions come from the deck; the other cells are our own numbers,
    # states and dates, with nothing to fold or show as escapes.
    lines += ["  ".join(cell(n, visible(" ".join(v.split())) if n in _DECK_TEXT else v)
                        for n, v in zip(shown, row, strict=True)).rstrip() for row in rows]
    console.file.write("\n".join(lines) + "\n")


def show_card(card: Card, state: State, history: Sequence[Review]) -> None:
    console = out()
    console.print(Rule(Text(f" #{card.number} {card.id} · {card.section} "), style="cyan"))
    console.print(Text(card.question, style="bold"))
    _reference(card)
    _key_points(card)
    if card.pages:
        console.print(Text(f"Pages: {', '.join(map(str, card.pages))}", style="dim"))
    sched = Table.grid(padding=(0, 2))
    sched.add_row("State", "new" if state.is_new else "review")
    sched.add_row("Repetitions", str(state.repetitions))
    sched.add_row("Interval", _days(state.interval) if state.interval else "—")
    sched.add_row("Ease", f"{state.ease_float:.2f}")
    sched.add_row("Due", str(state.due or "—"))
    sched.add_row("Lapses", str(state.lapses))
    console.print(Panel(sched, title="Schedule", title_align="left"))
    if not history:
        console.print(Text("No reviews yet.", style="dim"))
        return
    table = Table(title="History", title_justify="left")
    for col in ("day", "time", "kind", "grade", "interval", "ease", "seconds", "answer"):
        table.add_column(col)
    for r in history:
        table.add_row(
            str(r.day), r.reviewed_at.strftime("%H:%M"), r.kind, str(r.grade),
            _days(r.after.interval), f"{r.after.ease / 100:.2f}", f"{r.seconds:.0f}",
            Text(clean(r.answer)),
        )
    console.print(table)


def validated(deck: Deck) -> None:
    demos = sum(1 for c in deck.cards if c.demo)
    out().print(Text(visible(
        f"ok: {deck.path}: deck {deck.id!r}, {len(deck.cards)} cards, {demos} with demos")))


def settings(path: str, exists: bool, rows: Sequence[tuple[str, str, str]]) -> None:
    """`quizzer config`: the file, then one TOML line per key (its value in force) with
    where it came from as a comment, so a line can be copied into the file."""
    console = out()
    console.print(Text(visible(f"# config file: {path}" + ("" if exists else " (none yet)")),
                       style="dim"))
    width = max(len(f"{key} = {value}") for key, value, _ in rows)
    for key, value, source in rows:
        line = f"{key} = {value}"
        console.print(Text(visible(line)) + Text(" " * (width - len(line)) + f"  # {source}",
                                                 style="dim"))
