"""What `quizzer mock` shows and reads: each question with the time left, the answer,
the marks to confirm or adjust, and the result.

Rule: renders and reads; the exam itself (timing, marking, score) is quizzer/mock.py.
With `--json` every prompt goes to stderr so stdout holds only the JSON. Card text is
shown as text, never as markup.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from rich.console import Console
from rich.panel import Panel
from rich.rule import Rule
from rich.text import Text

from quizzer.cards import Card
from quizzer.marker import Marking
from quizzer.mock import Attempt, covered, score
from quizzer.ui.console import err, interactive, out
from quizzer.ui.screens import checklist


class MockScreen:
    """The exam's screen: stdout normally, stderr with `--json`."""

    def __init__(self, to_stderr: bool) -> None:
        self.to_stderr = to_stderr

    @property
    def console(self) -> Console:
        return err() if self.to_stderr else out()

    def _read(self, prompt: str) -> str | None:
        if interactive():
            try:
                return self.console.input(Text(prompt, style="dim"))
            except EOFError:
                return None
        self.console.print(Text(prompt, style="dim"), end="")
        line = sys.stdin.readline()
        self.console.print()
        return line.rstrip("\r\n") if line else None

    def intro(self, total: int, minutes: float, seed: int) -> None:
        how = ("Write your answer; an empty line ends it." if interactive()
               else "One line per answer.")
        self.console.print(Text(
            f"Mock exam: {total} questions in {minutes:g} minutes (seed {seed}). "
            f"No answer is shown until the end. {how}", style="bold"))

    def ask(self, card: Card, position: int, total: int, seconds_left: float) -> str | None:
        """One question; in a terminal several lines until an empty one, else one line."""
        left = round(seconds_left)
        self.console.print()
        self.console.print(Text(
            f"{position}/{total} · {left // 60}:{left % 60:02d} left · "
            f"#{card.number} {card.id} · {card.section}", style="cyan"))
        self.console.print(Text(card.question, style="bold"))
        if not interactive():
            return self._read("Answer: ")
        lines: list[str] = []
        while (line := self._read("> ")) is not None and line.strip():
            lines.append(line)
        if line is None and not lines:
            return None
        return "\n".join(lines)

    def confirm(self, attempt: Attempt, marking: Marking, position: int) -> Marking:
        """Show the marker's marks and let the student flip any of them (terminal only)."""
        console = self.console
        card = attempt.card
        console.print()
        console.print(Rule(Text(f" {position}. #{card.number} {card.id} "), style="cyan"))
        console.print(Text(card.question, style="bold"))
        console.print(Panel(Text(attempt.answer or "(no answer)"), title="Your answer",
                            title_align="left"))
        while True:
            for i, p in enumerate(marking.points, 1):
                mark = Text("✔", style="bold green") if p.covered else Text("✘", style="red")
                console.print(Text(f"  {i}. ") + mark + Text(" " + p.text))
            if not marking.points:
                return marking
            line = self._read("Enter accepts; point numbers flip marks (e.g. 2 3): ")
            if line is None or not line.strip():
                return marking
            picks = line.replace(",", " ").split()
            if not all(n.isdigit() and 1 <= int(n) <= len(marking.points) for n in picks):
                console.print(Text(f"Type numbers from 1 to {len(marking.points)}, "
                                   "or press Enter.", style="yellow"))
                continue
            for n in picks:
                marking = marking.toggled(int(n) - 1)

    def results(self, attempts: Sequence[Attempt], markings: Sequence[Marking],
                report_path: str | None) -> None:
        console = self.console
        console.print()
        console.print(Rule(" Mock exam result ", style="cyan"))
        for a, m in zip(attempts, markings, strict=True):
            status = "" if a.answered else (" (late)" if a.late else " (unanswered)")
            console.print(Text(f"#{a.card.number} {a.card.id}: "
                               f"{covered(m)}/{len(m.points)} key points{status}"))
            console.print(checklist(m))
        hit = sum(covered(m) for m in markings)
        of = sum(len(m.points) for m in markings)
        console.print(Text(f"Score: {hit}/{of} key points ({score(markings):.0%}).",
                           style="bold"))
        if report_path:
            console.print(Text(f"Report with the reference answers: {report_path}",
                               style="dim"))
