"""How a demo result looks in the terminal: its sentence, its key numbers, its plots, and
on request the full table of claims.

Rule: this module renders what a demo returned; it never runs a demo itself, so the
review screen, the full-screen reviewer's demo panel (`short_form`) and `quizzer demo`
show results the same way. Demo text is always rich `Text`, never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from quizzer.demos import DEFAULT_SEED
from quizzer.demos.result import Claim, DemoResult
from quizzer.ui.console import out


@dataclass(frozen=True)
class DemoRun:
    """One demo's result with what it ran for, how long it took and at which seed."""

    name: str
    card: str | None
    result: DemoResult
    seconds: float
    seed: int = DEFAULT_SEED


def _mark(ok: bool) -> Text:
    # Bold and a distinct glyph, so the mark reads without colour too.
    return Text("✔", style="bold green") if ok else Text("✘", style="bold red")


def _value(claim: Claim) -> str:
    if claim.expected == "true":  # a yes/no claim stores 1.0 or 0.0
        return "yes" if claim.value else "no"
    return claim.value_text


def _verdict(result: DemoResult) -> Text:
    checks = result.checks
    held = sum(c.ok for c in checks)
    values = len(result.values)
    text = f"{held}/{len(checks)} checks hold"
    if values:
        text += f" · {values} computed value{'s' if values != 1 else ''}"
    failing = [c for c in result.claims if not c.ok]
    if failing:
        return Text(f"{text} · {len(failing)} claim(s) FAIL: see --claims", style="bold red")
    return Text(text, style="green")


def key_numbers(result: DemoResult) -> Table:
    """The demo's 2–4 key numbers: a mark, the statement and the measured value."""
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(width=1)
    table.add_column(ratio=1)
    table.add_column(justify="right", no_wrap=True)
    for claim in result.key_claims:
        table.add_row(_mark(claim.ok), Text(claim.statement), Text(_value(claim), style="bold"))
    return table


def short_form(run: DemoRun) -> RenderableType:
    """The demo in a few lines, without plots: its title, its sentence, its key numbers and
    how many checks hold. What `quizzer demo` shows first and what the reviewer's demo
    panel shows."""
    r = run.result
    card = f" · card {run.card}" if run.card else ""
    seed = "" if run.seed == DEFAULT_SEED else f" · seed {run.seed}"
    body = Group(Text(r.sentence), Text(""), key_numbers(r), _verdict(r))
    return Panel(body, title=escape(r.title), title_align="left",
                 subtitle=escape(f"demo {run.name}{card}{seed} · {run.seconds:.2f} s"),
                 subtitle_align="right", border_style="magenta")


def claims_table(result: DemoResult) -> Table:
    """Every claim: whether it holds, its kind, the statement, measured and expected."""
    table = Table(show_lines=False)
    table.add_column("", width=1)
    table.add_column("kind", no_wrap=True)
    table.add_column("claim", ratio=3)
    table.add_column("measured", justify="right", no_wrap=True)
    table.add_column("expected", no_wrap=True)
    for claim in result.claims:
        table.add_row(_mark(claim.ok), Text(claim.kind, style="dim" if claim.kind == "value"
                                            else ""),
                      Text(claim.statement), Text(_value(claim)), Text(claim.expected))
    return table


def result_renderables(run: DemoRun, width: int, color: bool, plots: bool = True,
                       claims: bool = False) -> list[RenderableType]:
    """What a demo shows, top to bottom: the short form, the plots, and with `claims` the
    full claims table. For the terminal and the reviewer's demo panel alike."""
    parts: list[RenderableType] = [short_form(run)]
    if plots and run.result.plots:
        from quizzer.ui.plot import render_plot

        for plot in run.result.plots:
            parts.append(Text.from_ansi(render_plot(plot, width=width, color=color)))
    if claims:
        parts.append(claims_table(run.result))
        parts.append(Text("A check would come out differently if the card were wrong; a "
                          "value is a number computed and shown.", style="dim"))
    return parts


def show_result(run: DemoRun, plots: bool = True, claims: bool = False) -> None:
    """Sentence and key numbers first, then the plots; the full claims table with `claims`."""
    console = out()
    width = max(40, min(console.width, 100))
    color = console.is_terminal and not console.no_color  # rich honours NO_COLOR
    for part in result_renderables(run, width, color, plots, claims):
        console.print(part)


def show_all(runs: Sequence[DemoRun]) -> None:
    # No vertical rules: every demo and card name fits 80 columns uncut.
    table = Table(title="Demos", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  collapse_padding=True)
    table.add_column("", width=1)
    table.add_column("demo", no_wrap=True)
    table.add_column("card", overflow="fold")  # never cut: a name too long wraps
    table.add_column("checks", justify="right")
    table.add_column("values", justify="right")
    table.add_column("seconds", justify="right")
    for run in runs:
        checks = run.result.checks
        values = run.result.values
        table.add_row(_mark(run.result.ok), run.name, run.card or "—",
                      f"{sum(c.ok for c in checks)}/{len(checks)}",
                      f"{sum(c.ok for c in values)}/{len(values)}", f"{run.seconds:.3f}")
    out().print(table)
    total = sum(r.seconds for r in runs)
    failed = [r.name for r in runs if not r.result.ok]
    verdict = (Text(f"claims fail in: {', '.join(failed)}", style="bold red") if failed
               else Text("every claim holds", style="green"))
    out().print(Text(f"{len(runs)} demos in {total:.2f} s; "), verdict)
