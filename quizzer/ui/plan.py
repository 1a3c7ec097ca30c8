"""What `quizzer plan` shows: the days to the exam, the final-review window, readiness.

Rule: renders a Plan and a Readiness built by the core; decides nothing. Card text is
shown as text, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from rich.text import Text

from quizzer.index import Listed
from quizzer.plan import Plan, window_start
from quizzer.readiness import READY, Readiness
from quizzer.ui.console import err, out
from quizzer.ui.screens import WRAPPED_ROWS_LIMIT

ESTIMATE_NOTE = (
    "Readiness is an estimate: the FSRS memory model with its default parameters, fitted "
    "to other people's reviews, not yours. New cards count 0."
)


def show_plan(deck: str, cards: Sequence[Listed], plan: Plan, ready: Readiness) -> None:
    console = out()
    exam = plan.exam
    days = "1 day" if plan.days_left == 1 else f"{plan.days_left} days"
    console.print(Text(f"{deck} · exam on {exam.day} · {days} left", style="bold"))
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
    show_readiness(cards, ready)


def show_readiness(cards: Sequence[Listed], ready: Readiness) -> None:
    console = out()
    line = f"Readiness on exam day: mean recall {ready.mean:.2f}"
    if ready.planned_mean is not None:
        line += f" now, {ready.planned_mean:.2f} if you keep to the plan"
    console.print(Text(line + ".", style="bold"))
    below = ready.below
    if below:
        numbers = {c.id: c.number for c in cards}
        console.print(Text(f"{len(below)} card(s) below {READY}:"))
        rows = [(f"  #{numbers.get(cid, '?')}", cid, f"{r:.2f}") for cid, r in below]
        if len(rows) > WRAPPED_ROWS_LIMIT:
            # The grid's own layout, as plain lines in one write: a rich grid costs
            # about 60 µs a row (6 s for 100,000). Ids are slugs: nothing to clean.
            width = [max(len(row[i]) for row in rows) for i in (0, 1)]
            console.file.write("".join(f"{n:<{width[0]}}  {cid:<{width[1]}}  {r}\n"
                                       for n, cid, r in rows))
        else:
            table = Table.grid(padding=(0, 2))
            for n, cid, r in rows:
                table.add_row(Text(n), Text(cid), Text(r))
            console.print(table)
    else:
        console.print(Text(f"No card below {READY}."))
    console.print(Text(ESTIMATE_NOTE, style="dim"))


def exam_cleared(deck_id: str, had: bool) -> None:
    # A status line, not data: stderr.
    err().print(f"Exam date for {deck_id} cleared." if had
                else f"{deck_id} had no exam date; nothing to clear.")
