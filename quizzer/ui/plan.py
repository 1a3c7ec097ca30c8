"""What `quizzer plan` shows: the days to the exam, the final-review window, readiness.

Rule: renders a Plan and a Readiness built by the core; decides nothing. Card text is
shown as text, never as markup.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from quizzer.cards import Deck
from quizzer.plan import Plan, window_start
from quizzer.readiness import READY, Readiness
from quizzer.ui.console import err, out

ESTIMATE_NOTE = (
    "Readiness is an estimate: the FSRS memory model with its default parameters, fitted "
    "to other people's reviews, not yours. New cards count 0."
)


def show_plan(deck: Deck, plan: Plan, ready: Readiness) -> None:
    console = out()
    exam = plan.exam
    days = "1 day" if plan.days_left == 1 else f"{plan.days_left} days"
    console.print(Text(f"{deck.id} · exam on {exam.day} · {days} left", style="bold"))
    console.print(Text(
        f"Final-review window: the last {exam.window} day(s), {window_start(exam)} to the "
        "eve of the exam. Every card is due at least once in it."
    ))
    if plan.raised_to is not None:
        console.print(Text(
            f"To introduce all {plan.unseen} new cards before the window, the new-card "
            f"limit rises from {plan.new_per_day} to {plan.raised_to} a day.",
            style="yellow",
        ))
    table = Table(title_justify="left")
    table.add_column("day")
    table.add_column("due", justify="right")
    table.add_column("new", justify="right")
    table.add_column("")
    for d in plan.days:
        label = "final review" if d.window else ("today" if d.day == plan.today else "")
        table.add_row(str(d.day), str(d.due), str(d.new), label,
                      style="cyan" if d.window else None)
    console.print(table)
    console.print(Text("Due counts assume you review every day and grade each card 4.",
                       style="dim"))
    show_readiness(deck, ready)


def show_readiness(deck: Deck, ready: Readiness) -> None:
    console = out()
    line = f"Readiness on exam day: mean recall {ready.mean:.2f}"
    if ready.planned_mean is not None:
        line += f" now, {ready.planned_mean:.2f} if you keep to the plan"
    console.print(Text(line + ".", style="bold"))
    below = ready.below
    if below:
        numbers = {c.id: c.number for c in deck.cards}
        console.print(Text(f"{len(below)} card(s) below {READY}:"))
        table = Table.grid(padding=(0, 2))
        for cid, r in below:
            table.add_row(Text(f"  #{numbers.get(cid, '?')}"), Text(cid), Text(f"{r:.2f}"))
        console.print(table)
    else:
        console.print(Text(f"No card below {READY}."))
    console.print(Text(ESTIMATE_NOTE, style="dim"))


def exam_cleared(deck_id: str, had: bool) -> None:
    # A status line, not data: stderr.
    err().print(f"Exam date for {deck_id} cleared." if had
                else f"{deck_id} had no exam date; nothing to clear.")
