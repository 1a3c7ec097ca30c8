"""The consoles and the line reader shared by every screen.

Rule 1: output to stdout, errors to stderr, one line each; EOF at a prompt reads as None.
Rule 2: a line read (readline in a terminal, plain from a pipe) is at most MAX_LINE
characters, holds no control characters, and invalid UTF-8 becomes U+FFFD in any locale.
"""

from __future__ import annotations

import io
import re
import sys

from rich.console import Console
from rich.markup import escape

# The longest typed line kept (an answer); the rest is dropped with a notice.
MAX_LINE = 10_000
_CHUNK = 65_536

# C0 and C1 controls and DEL. Tabs read from a line become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")

_out: Console | None = None
_err: Console | None = None


def out() -> Console:
    # Built on first use, so that tests which swap sys.stdout get the swapped stream.
    # Into a pipe or a file, lines are never wrapped (a script reads whole lines); tables
    # still lay out at the width COLUMNS gives, or 80.
    global _out
    if _out is None or _out.file is not sys.stdout:
        _out = Console(file=sys.stdout, highlight=False, soft_wrap=not _isatty(sys.stdout))
    return _out


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def err() -> Console:
    global _err
    if _err is None or _err.file is not sys.stderr:
        _err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    return _err


def visible(text: str) -> str:
    """`text` with every control character and undecodable byte shown as an escape
    (`\\x1b`), for lines that name files or echo stored text."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def clean(text: str) -> str:
    """Typed text without control characters (a tab becomes a space)."""
    return _CONTROL.sub("", text.replace("\t", " "))


def error(message: str) -> None:
    """One error line on stderr, prefixed so it stands out from normal output."""
    err().print(f"[bold red]error:[/] {escape(visible(message))}")


def plain_error(line: str) -> None:
    err().print(escape(visible(line)))


def report(exc: Exception) -> None:
    """A user error as the CLI shows it: one line, or a deck's problems one per line and
    then how many."""
    from quizzer.cards import DeckError  # here: a command that loads no card model

    if isinstance(exc, DeckError):
        for line in exc.lines:
            plain_error(line)
        error(f"{len(exc.lines)} problem(s) in the deck; nothing was changed")
    else:
        error(str(exc))


def interactive() -> bool:
    return sys.stdin.isatty()


def _tolerant_stdin() -> None:
    # Invalid UTF-8 (or bytes the locale cannot decode) become U+FFFD instead of a
    # UnicodeDecodeError; input() reads sys.stdin.errors too.
    stdin = sys.stdin
    if isinstance(stdin, io.TextIOWrapper) and stdin.errors != "replace":
        stdin.reconfigure(errors="replace")


def _prefilled_input(prompt: str, prefill: str) -> str:
    """input() with line editing: importing readline is what gives input() arrow keys,
    history and the prefilled text."""
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return input(prompt)
    if prefill:
        readline.set_startup_hook(lambda: readline.insert_text(prefill))
    try:
        return input(prompt)
    finally:
        readline.set_startup_hook(None)


def _read_piped() -> str | None:
    """One line from a pipe, reading at most MAX_LINE characters into memory."""
    parts: list[str] = []
    kept = 0
    while True:
        chunk = sys.stdin.readline(_CHUNK)
        if not chunk:
            return "".join(parts) if parts else None
        if kept <= MAX_LINE:
            parts.append(chunk)
            kept += len(chunk)
        if chunk.endswith("\n"):
            return "".join(parts)


def read_line(prompt: str, prefill: str = "") -> str | None:
    """One line of input without its newline, or None at end of input.

    `prefill` is put on the line for editing in a terminal (a grade kept after a failed
    save). Longer lines are cut to MAX_LINE characters with a notice.
    """
    console = out()
    _tolerant_stdin()
    if interactive():
        console.file.flush()
        try:
            line: str | None = _prefilled_input(prompt, prefill)
        except EOFError:
            console.print()
            return None
    else:
        console.print(prompt, end="", markup=False)
        line = _read_piped()
        console.print()
        if line is None:
            return None
    assert line is not None
    line = line.rstrip("\r\n")
    if len(line) > MAX_LINE:
        line = line[:MAX_LINE]
        console.print(f"(Your answer was cut to its first {MAX_LINE:,} characters.)",
                      style="yellow", markup=False)
    return clean(line)
