"""The full-screen reviewer (Textual): write an answer, see it marked, grade, advance.

Rule 1: the app renders and routes keys; it decides nothing. Grades go through
`Reviewer.grade` (quizzer/review.py), which commits each one to the store before the
next card appears, exactly as the plain mode does.
Rule 2: deck text is shown as text (rich `Text`) and never parsed as markup; the
reference answer and the correction are Markdown, as in the plain mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.console import Group
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.events import Key, Resize
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static, TextArea

from quizzer.cards import Card
from quizzer.errors import QuizzerError
from quizzer.marker import Marking, PointMark, marking_of
from quizzer.review import Reviewer, Summary
from quizzer.scheduler import GRADE_MEANINGS
from quizzer.ui.demo import DemoRun, result_renderables
from quizzer.ui.screens import grade_line, progress_label, summary_rows

DemoRunner = Callable[[Card], DemoRun | None]
WIDE = 120  # columns from which the answer and the reference sit side by side


class AnswerEditor(TextArea):
    """A multi-line answer editor: Enter submits, Ctrl+J (or Shift+Enter where the
    terminal reports it) inserts a line break, Escape leaves the editor. Reusable by any
    screen that asks for a written answer: listen for `AnswerEditor.Submitted`."""

    # Shown in the footer. The keys themselves are handled in `_on_key`, in the order they
    # arrive: an action would run later, after the letters typed just behind it.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "reveal"),
        Binding("ctrl+j", "newline", "new line"),
        Binding("escape", "leave", "leave editor"),
    ]
    NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter", "ctrl+enter"})

    class Submitted(Message):
        """The student pressed Enter: `text` is the whole answer."""

        def __init__(self, editor: AnswerEditor, text: str) -> None:
            super().__init__()
            self.editor = editor
            self.text = text

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, soft_wrap=True, tab_behavior="focus",
                         show_line_numbers=False, compact=True)

    async def _on_key(self, event: Key) -> None:
        key = event.key
        if key in {"enter", "escape"} or key in self.NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            if key == "enter":
                self.action_submit()
            elif key == "escape":
                self.action_leave()
            elif not self.read_only:
                self.action_newline()
            return
        await super()._on_key(event)

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.text))

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end)

    def action_leave(self) -> None:
        self.screen.set_focus(None)


class Checklist(OptionList):
    """The key points, each ✔ covered or ✘ missing; space or Enter toggles the highlighted
    one and posts `Toggled`, so the suggested grade can follow."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "select", "toggle")]

    class Toggled(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def show(self, marking: Marking) -> None:
        highlighted = self.highlighted
        self.clear_options()
        self.add_options([point_prompt(p) for p in marking.points])
        if marking.points:
            self.highlighted = highlighted if highlighted is not None else 0

    def update_point(self, index: int, point: PointMark) -> None:
        self.replace_option_prompt_at_index(index, point_prompt(point))

    def _on_option_list_option_selected(self, message: OptionList.OptionSelected) -> None:
        message.stop()
        self.post_message(self.Toggled(message.option_index))


def point_prompt(point: PointMark) -> Table:
    """✔ or ✘, then the key point, wrapped under itself rather than under the mark."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=1)
    grid.add_column(ratio=1)
    mark = Text("✔", style="bold green") if point.covered else Text("✘", style="bold red")
    grid.add_row(mark, Text(point.text, style="" if point.covered else "dim"))
    return grid


class HelpScreen(ModalScreen[None]):
    """Every key, and what each grade means."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q,enter", "dismiss", "close")]

    def compose(self) -> ComposeResult:
        lines = Text()
        lines.append("Writing an answer\n", style="bold")
        lines.append("  enter    reveal: mark the answer against the key points\n"
                     "  ctrl+j   new line (shift+enter too, where the terminal reports it)\n"
                     "  escape   leave the editor; then u, d, ?, q work; tab returns\n")
        lines.append("After the reveal\n", style="bold")
        lines.append("  0-5      grade (the suggested grade follows the checklist)\n"
                     "  ↑ ↓ space  move in the checklist and toggle a key point\n"
                     "  pgup pgdn  scroll the reference answer\n"
                     "  u undo the last grade · d the card's demo · q quit\n")
        lines.append("Grades\n", style="bold")
        for g in sorted(GRADE_MEANINGS, reverse=True):
            lines.append(f"  {g}  {GRADE_MEANINGS[g]}\n")
        with VerticalScroll(id="help"):
            yield Static(lines)


class DemoScreen(ModalScreen[None]):
    """The card's demo: its claims and plots, in a scrolling panel."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,d,q", "dismiss", "close")]

    def __init__(self, card: Card, runner: DemoRunner) -> None:
        super().__init__()
        self.card = card
        self.runner = runner

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="demo"):
            yield Static(Text(f"Running demo {self.card.demo} …"), id="demo-body")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#demo", VerticalScroll).focus()
        self.run_demo()

    @work(thread=True, exclusive=True)
    def run_demo(self) -> None:
        run = self.runner(self.card)
        self.app.call_from_thread(self.show, run)

    def show(self, run: DemoRun | None) -> None:
        body = self.query_one("#demo-body", Static)
        if run is None:
            body.update(Text("This card has no demo."))
            return
        width = max(40, min(self.size.width - 8, 100))  # borders, padding, scrollbar
        body.update(Group(*result_renderables(run, width, color=True)))


class EndScreen(Screen[None]):
    """The session's end: decided cards, re-drills, grades, time, misses, what is next."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape,enter", "app.quit", "quit"),
        Binding("u", "undo", "undo last grade"),
    ]

    def __init__(self, summary: Summary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="end"):
            yield Static(end_text(self.summary), id="end-body")
        yield Footer(compact=True)

    def action_undo(self) -> None:
        app = self.app
        assert isinstance(app, ReviewApp)
        self.dismiss()
        app.review_screen.action_undo()


def end_text(s: Summary) -> Text:
    text = Text()
    text.append("Session done\n\n", style="bold cyan")
    width = max(len(label) for label, _ in summary_rows(s))
    for label, value in summary_rows(s):
        text.append(f"{label:<{width}}  ", style="bold")
        text.append(f"{value}\n")
    if s.missed:
        text.append("\nMissed (grade below 3)\n", style="bold")
        for card, points in s.missed:
            text.append(f"  #{card.number} {card.id}\n", style="cyan")
            for point in points:
                text.append("    ✘ ", style="red")
                text.append(f"{point}\n", style="dim")
    return text


class ReviewScreen(Screen[None]):
    """One card at a time: write, reveal, check the key points, grade."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("0", "grade(0)", "grade", key_display="0-5"),
        *[Binding(str(g), f"grade({g})", "grade", show=False) for g in range(1, 6)],
        Binding("enter", "reveal", "reveal"),
        Binding("e", "edit", "edit", show=False),
        Binding("u", "undo", "undo"),
        Binding("d", "demo", "demo"),
        Binding("pageup", "scroll(-1)", "scroll", show=False),
        Binding("pagedown", "scroll(1)", "scroll", show=False),
        Binding("question_mark", "help", "help"),
        Binding("q", "app.quit", "quit"),
    ]

    def __init__(self, reviewer: Reviewer, runner: DemoRunner) -> None:
        super().__init__()
        self.reviewer = reviewer
        self.runner = runner
        self.revealed = False
        self.answer = ""
        self.started = time.monotonic()
        self.marking: Marking = marking_of([])
        self.status = Text("")
        self.notices: list[str] = []  # lines from the commit path: a conflict resolved
        reviewer.notify = self.notices.append

    def compose(self) -> ComposeResult:
        yield Static(id="progress")
        yield Static(id="question")
        yield AnswerEditor(id="editor")
        with Vertical(id="body"):
            with Vertical(id="left"):
                yield Static(id="yours")
                yield Checklist(id="checklist")
            with VerticalScroll(id="reference"):
                yield Static(id="correction")
                yield Static(id="answer")
        yield Static(id="suggest")
        yield Static(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.show_card()

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE, "wide")

    # -- what is on screen ----------------------------------------------------------

    def show_card(self, restore: bool = False, text: str = "") -> None:
        """Show the current card's question with an empty editor (or `text`)."""
        item = self.reviewer.session.current
        if item is None:
            self.app.push_screen(EndScreen(self.reviewer.summary()))
            return
        card = item.card
        self.revealed = False
        self.set_class(False, "revealed")
        self.started = time.monotonic()
        label = progress_label(self.reviewer.progress())
        countdown = self.reviewer.exam_countdown()
        self.query_one("#progress", Static).update(Text.assemble(
            (label, "bold"), f" · #{card.number} ", (card.id, "cyan"),
            (f" · {countdown}", "yellow") if countdown else "", f" · {card.section}"))
        self.query_one("#question", Static).update(Text(card.question, style="bold"))
        editor = self.query_one(AnswerEditor)
        editor.load_text(text)
        editor.focus()
        if not restore:
            leech = self.reviewer.leech()
            self.status = Text("⚑ " + leech, style="bold magenta") if leech else Text("")
        self._status()
        self.refresh_bindings()

    def reveal(self, answer: str) -> None:
        item = self.reviewer.session.current
        if item is None:
            return
        card = item.card
        self.answer = answer
        self.revealed = True
        self.set_class(True, "revealed")
        self.marking = self.reviewer.mark(answer)
        yours = Text("Your answer\n", style="bold")
        yours.append(answer.strip() or "(no answer typed)", style="" if answer.strip() else "dim")
        self.query_one("#yours", Static).update(yours)
        checklist = self.query_one(Checklist)
        checklist.highlighted = None
        checklist.show(self.marking)
        checklist.display = bool(self.marking.points)
        correction = self.query_one("#correction", Static)
        correction.display = card.correction is not None
        if card.correction:
            correction.update(Group(Text("⚠ Correction", style="bold"),
                                    Markdown(card.correction, hyperlinks=False)))
        self.query_one("#answer", Static).update(
            Group(Text("Reference answer", style="bold"), Markdown(card.answer, hyperlinks=False)))
        self.query_one("#reference", VerticalScroll).scroll_home(animate=False)
        self._suggest()
        session = self.reviewer.session
        self.status = Text(grade_line(session.preview(), session.day))
        self._status()
        (checklist if self.marking.points else self).focus()
        self.refresh_bindings()

    def _suggest(self) -> None:
        m = self.marking
        covered = sum(p.covered for p in m.points)
        self.query_one("#suggest", Static).update(Text.assemble(
            ("Suggested ", "bold"), (str(m.suggested_grade), "bold reverse cyan"),
            f"  {covered}/{len(m.points)} key points · you decide"))

    def _status(self) -> None:
        self.query_one("#status", Static).update(self.status)

    # -- events and actions -----------------------------------------------------------

    def on_answer_editor_submitted(self, message: AnswerEditor.Submitted) -> None:
        self.reveal(message.text)

    def on_checklist_toggled(self, message: Checklist.Toggled) -> None:
        self.marking = self.marking.toggled(message.index)
        self.query_one(Checklist).update_point(message.index,
                                               self.marking.points[message.index])
        self._suggest()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        editing = isinstance(self.focused, AnswerEditor)
        if action in {"grade", "scroll"}:
            return self.revealed
        if action in {"reveal", "edit"}:
            return not self.revealed and not editing
        if action in {"undo", "demo", "help", "app.quit"}:
            return not editing
        return True

    def action_grade(self, grade: int) -> None:
        if not self.revealed:
            return
        seconds = time.monotonic() - self.started
        try:
            event = self.reviewer.grade(grade, self.answer, seconds, self.marking)
        except QuizzerError as exc:
            # Not stored: the card, the answer and the marks stay; the key retries.
            self.status = Text(f"{exc}. Press {grade} again to retry.", style="bold red")
            self._status()
            return
        number = self.reviewer.number(event.card_id)
        if event.kind == "schedule":
            assert event.after.due is not None
            days = (event.after.due - event.day).days  # an exam date may bring it earlier
            note = f"✔ #{number} graded {grade}: next in {days} day{'s' * (days != 1)}"
        else:
            note = f"✔ #{number} re-drill graded {grade}"
        if grade < 4:
            note += ", back later today"
        self.status = Text(note + " · esc u undoes", style="green")
        if self.notices:  # another session got there first: say how the grade counted
            self.status = Text(" ".join(self.notices) + " ", style="yellow") + self.status
            self.notices.clear()
        self.show_card(restore=True)

    def action_undo(self) -> None:
        try:
            event = self.reviewer.undo()
        except QuizzerError as exc:
            self.status = Text(str(exc), style="yellow")
            self._status()
            return
        if event is None:
            self.status = Text("Nothing to undo in this session.", style="yellow")
            self._status()
            return
        self.status = Text(f"Undid grade {event.grade} on "
                           f"#{self.reviewer.number(event.card_id)}.", style="yellow")
        self.show_card(restore=True, text=event.answer)

    def action_reveal(self) -> None:
        self.reveal(self.query_one(AnswerEditor).text)

    def action_edit(self) -> None:
        self.query_one(AnswerEditor).focus()

    def action_scroll(self, direction: int) -> None:
        ref = self.query_one("#reference", VerticalScroll)
        (ref.scroll_page_down if direction > 0 else ref.scroll_page_up)(animate=False)

    def action_demo(self) -> None:
        item = self.reviewer.session.current
        if item is None or not item.card.demo:
            self.status = Text("This card has no demo.", style="yellow")
            self._status()
            return
        self.app.push_screen(DemoScreen(item.card, self.runner))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())


class ReviewApp(App[Summary]):
    """The reviewer. `run_tui` runs it and returns the session's summary."""

    CSS = """
    Screen { layout: vertical; }
    #progress { height: 1; background: $primary-background; padding: 0 1; }
    #question { height: auto; max-height: 5; padding: 0 1; }
    #editor { height: 1fr; min-height: 3; border: round $accent; }
    #body, #suggest { display: none; }
    #body { height: 1fr; }
    ReviewScreen.revealed #editor { display: none; }
    ReviewScreen.revealed #body, ReviewScreen.revealed #suggest { display: block; }
    #left { height: auto; max-height: 65%; }
    #yours { height: auto; max-height: 5; padding: 0 1; color: $text-muted; }
    #checklist { height: auto; max-height: 12; border: none; padding: 0; }
    #checklist:focus { border: none; }
    #suggest { height: 1; padding: 0 1; }
    #reference { height: 1fr; min-height: 3; border: round $success; padding: 0 1; }
    #correction { color: $warning; border-left: thick $warning; padding: 0 1;
                  margin-bottom: 1; height: auto; }
    #answer { height: auto; }
    ReviewScreen.wide #body { layout: horizontal; }
    ReviewScreen.wide #left { width: 1fr; height: 100%; max-height: 100%; }
    ReviewScreen.wide #reference { width: 1fr; height: 100%; }
    #status { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    HelpScreen, DemoScreen { align: center middle; }
    #help { width: 80; max-width: 100%; height: auto; max-height: 100%;
            border: round $accent; padding: 0 1; background: $surface; }
    #demo { width: 100%; height: 1fr; border: round magenta; padding: 0 1;
            background: $surface; }
    #end { padding: 1 2; }
    """
    TITLE = "quizzer review"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "interrupt", "quit", show=False, priority=True),
    ]

    def __init__(self, reviewer: Reviewer, runner: DemoRunner) -> None:
        super().__init__()
        self.reviewer = reviewer
        self.interrupted = False  # Ctrl-C, not q: the CLI exits 130 after the summary
        self.review_screen = ReviewScreen(reviewer, runner)

    def on_mount(self) -> None:
        self.push_screen(self.review_screen)

    async def action_quit(self) -> None:
        self.exit(self.reviewer.summary())

    async def action_interrupt(self) -> None:
        self.interrupted = True
        await self.action_quit()


def run_tui(reviewer: Reviewer, runner: DemoRunner) -> tuple[Summary, bool]:
    """Run the reviewer full screen until the student quits; return the summary and
    whether it ended with Ctrl-C.

    A locked database is tried once (SQLite's busy timeout) rather than waited on for
    minutes, so the screen never freezes: the grade stays on screen to press again."""
    reviewer.lock_wait = 0.0
    app = ReviewApp(reviewer, runner)
    result = app.run()
    return (result if result is not None else reviewer.summary()), app.interrupted


__all__ = ["AnswerEditor", "ReviewApp", "run_tui"]
