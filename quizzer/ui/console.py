"""The consoles and the line reader shared by every screen.

Rule: output goes to stdout, errors to stderr, one line each; input is read a line at
a time, with readline editing in a terminal and plain lines from a pipe. EOF at any
prompt reads as None, so callers end cleanly instead of crashing.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

_out: Console | None = None
_err: Console | None = None


def out() -> Console:
    # Built on first use, so that tests which swap sys.stdout get the swapped stream.
    global _out
    if _out is None or _out.file is not sys.stdout:
        _out = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    return _out


def err() -> Console:
    global _err
    if _err is None or _err.file is not sys.stderr:
        _err = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    return _err


def error(message: str) -> None:
    """One error line on stderr, prefixed so it stands out from normal output."""
    err().print(f"[bold red]error:[/] {escape(message)}")


def plain_error(line: str) -> None:
    err().print(escape(line))


def interactive() -> bool:
    return sys.stdin.isatty()


def read_line(prompt: str) -> str | None:
    """One line of input without its newline, or None at end of input."""
    console = out()
    if interactive():
        try:
            return console.input(prompt)
        except EOFError:
            console.print()
            return None
    console.print(prompt, end="")
    line = sys.stdin.readline()
    console.print()
    if not line:
        return None
    return line.rstrip("\r\n")
