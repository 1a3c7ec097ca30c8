"""How a demo result looks in the terminal: title, sentence, a claims table, plots.

Rule: this module renders what a demo returned; it never runs a demo itself, so the
review screen and `quizzer demo` show results the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quizzer.demos.result import DemoResult
from quizzer.ui.console import out


@dataclass(frozen=True)
class DemoRun:
    """One demo's result with what it ran for and how long it took."""

    name: str
    card: str | None
    result: DemoResult
    seconds: float


def _mark(ok: bool) -> Text:
    return Text("✔", style="bold green") if ok else Text("✘", style="bold red")


def result_renderables(run: DemoRun, width: int, color: bool,
                       plots: bool = True) -> list[RenderableType]:
    """What a demo result shows, top to bottom: for the terminal and the reviewer's panel."""
    r = run.result
    card = f" · card {run.card}" if run.card else ""
    parts: list[RenderableType] = [
        Panel(Text(r.sentence), title=escape(f"{r.title}"), title_align="left",
              subtitle=escape(f"demo {run.name}{card} · {run.seconds:.2f} s"),
              subtitle_align="right", border_style="magenta"),
    ]
    table = Table(show_lines=False)
    table.add_column("", width=1)
    table.add_column("claim", ratio=3)
    table.add_column("measured", justify="right", no_wrap=True)
    table.add_column("expected", no_wrap=True)
    for claim in r.claims:
        table.add_row(_mark(claim.ok), Text(claim.statement), Text(claim.value_text),
                      Text(claim.expected))
    parts.append(table)
    held = sum(c.ok for c in r.claims)
    style = "green" if r.ok else "bold red"
    parts.append(Text(f"{held}/{len(r.claims)} claims hold", style=style))
    if plots and r.plots:
        from quizzer.ui.plot import render_plot

        for plot in r.plots:
            parts.append(Text.from_ansi(render_plot(plot, width=width, color=color)))
    return parts


def show_result(run: DemoRun, plots: bool = True) -> None:
    console = out()
    width = max(40, min(console.width, 100))
    for part in result_renderables(run, width, console.is_terminal, plots):
        console.print(part)


def show_all(runs: Sequence[DemoRun]) -> None:
    table = Table(title="Demos", title_justify="left")
    table.add_column("", width=1)
    table.add_column("demo")
    table.add_column("card")
    table.add_column("claims", justify="right")
    table.add_column("seconds", justify="right")
    for run in runs:
        held = sum(c.ok for c in run.result.claims)
        table.add_row(_mark(run.result.ok), run.name, run.card or "—",
                      f"{held}/{len(run.result.claims)}", f"{run.seconds:.3f}")
    out().print(table)
    total = sum(r.seconds for r in runs)
    failed = [r.name for r in runs if not r.result.ok]
    verdict = (Text(f"claims fail in: {', '.join(failed)}", style="bold red") if failed
               else Text("every claim holds", style="green"))
    out().print(Text(f"{len(runs)} demos in {total:.2f} s; "), verdict)
