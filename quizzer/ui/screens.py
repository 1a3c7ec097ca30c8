"""What each command shows: the review screens, the summary, and the card tables.

Rule: functions here take core types and render them; they decide nothing. Card text
is shown as text (markup escaped), except the reference answer, which is Markdown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from quizzer.scheduler import GRADE_MEANINGS, REDRILL_UNTIL, State
from quizzer.session import Item, Review
from quizzer.ui.console import out

if TYPE_CHECKING:  # the card models (pydantic) are not needed to draw `due`
    from quizzer.cards import Card, Deck


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def card_header(item: Item, position: int, total: int, state: State) -> None:
    kind = "re-drill" if item.kind == "drill" else ("new" if state.is_new else "review")
    c = item.card
    out().print()
    out().print(Rule(
        Text(f" {position}/{total} · {kind} · #{c.number} {c.id} · {c.section} "),
        style="cyan",
    ))
    out().print(Text(c.question, style="bold"))


def reveal(card: Card) -> None:
    from rich.markdown import Markdown  # only where an answer is shown: `due` skips it

    console = out()
    console.print(Panel(Markdown(card.answer), title="Reference answer", title_align="left",
                        border_style="green"))
    if card.correction:
        console.print(Panel(Markdown(card.correction), title="⚠ Correction", title_align="left",
                            border_style="bold yellow", style="yellow"))
    if card.key_points:
        console.print(Text("Key points", style="bold"))
        points = Table.grid(padding=(0, 1))
        for point in card.key_points:
            points.add_row(Text("  •"), Text(point))
        console.print(points)
    if card.demo:
        console.print(Text.assemble(("Demo: ", "bold"), (card.demo, "magenta"),
                                    ("  (d runs it)", "dim")))


def grade_help(preview: Mapping[int, State] | None, has_demo: bool) -> None:
    table = Table.grid(padding=(0, 2))
    for g in sorted(GRADE_MEANINGS, reverse=True):
        nxt = preview[g] if preview is not None else None
        when = f"→ {_days(nxt.interval)}" if nxt is not None else ""
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


def warn(message: str) -> None:
    out().print(Text(message, style="yellow"))


def nothing_due(day: date, next_due: date | None, due_count: int) -> None:
    if next_due is None:
        out().print(f"Nothing to review today ({day}). No card is scheduled yet.")
    else:
        cards = "card" if due_count == 1 else "cards"
        out().print(
            f"Nothing to review today ({day}). Next due: {next_due} ({due_count} {cards})."
        )


def summary(
    reviewed: int, grades: Counter[int], redrills: int, due_tomorrow: int,
    next_due: date | None, left: int,
) -> None:
    console = out()
    console.print()
    console.print(Rule(" Session summary ", style="cyan"))
    table = Table.grid(padding=(0, 2))
    table.add_row("Cards reviewed", str(reviewed))
    dist = "  ".join(f"{g}:{grades.get(g, 0)}" for g in sorted(GRADE_MEANINGS, reverse=True))
    table.add_row("Grades", dist)
    table.add_row("Re-drills", str(redrills))
    if left:
        table.add_row("Left for today", str(left))
    table.add_row("Due tomorrow", str(due_tomorrow))
    table.add_row("Next due", str(next_due) if next_due else "—")
    console.print(table)


def due_table(deck_id: str, day: date, due: int, new: int, redrill: int,
              next_due: date | None) -> None:
    table = Table(title=f"{deck_id} · {day}", title_justify="left")
    table.add_column("re-drill", justify="right")
    table.add_column("due", justify="right")
    table.add_column("new", justify="right")
    table.add_column("next due")
    table.add_row(str(redrill), str(due), str(new), str(next_due or "—"))
    out().print(table)


def cards_table(deck: Deck, states: Mapping[str, State]) -> None:
    table = Table(title=f"{deck.meta.title} ({deck.id})", title_justify="left")
    for col, justify in [("#", "right"), ("id", "left"), ("state", "left"),
                         ("reps", "right"), ("interval", "right"), ("ease", "right"),
                         ("due", "left"), ("lapses", "right")]:
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for c in deck.cards:
        s = states.get(c.id) or State()
        table.add_row(
            str(c.number), c.id, "new" if s.is_new else "review", str(s.repetitions),
            _days(s.interval) if s.interval else "—", f"{s.ease_float:.2f}",
            str(s.due or "—"), str(s.lapses),
        )
    out().print(table)


def show_card(card: Card, state: State, history: Sequence[Review]) -> None:
    console = out()
    console.print(Rule(Text(f" #{card.number} {card.id} · {card.section} "), style="cyan"))
    console.print(Text(card.question, style="bold"))
    reveal(card)
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
            escape(r.answer),
        )
    console.print(table)


def validated(deck: Deck) -> None:
    demos = sum(1 for c in deck.cards if c.demo)
    out().print(f"ok: {deck.path}: deck {deck.id!r}, {len(deck.cards)} cards, {demos} with demos")
