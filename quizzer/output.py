"""Standard output that may fail: a closed, full or broken stdout is one line on stderr
and exit status 1, never a traceback.

Rule: imports nothing beyond the standard library, so the quick path (quick.py) and the
full CLI share it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable
from typing import NoReturn

_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, errno.EPIPE}


def guarded(run: Callable[[], None]) -> None:
    """Run a command that writes to stdout; output faults become one line and exit 1."""
    if sys.stdout is None:
        fail("standard output is closed; give quizzer somewhere to write (a terminal, "
             "a file or a pipe)")
    # A locale that cannot encode a character (ASCII, Latin-1) gets "?", not a crash.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors != "replace":
            stream.reconfigure(errors="replace")
    try:
        try:
            run()
        finally:
            sys.stdout.flush()
    except OSError as exc:
        if exc.errno not in _OUTPUT_ERRNOS:
            raise
        # Python flushes stdout again at exit; point it at nothing so that no second
        # report (or traceback) follows this line.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        fail(f"cannot write to standard output ({exc.strerror or exc}); "
             "check where the output goes (a full disk, a closed pipe)")


def fail(line: str) -> NoReturn:
    if sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"error: {line}\n")
            sys.stderr.flush()
    sys.exit(1)
