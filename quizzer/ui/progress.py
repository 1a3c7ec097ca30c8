"""A progress bar on stderr while the export runs demos and draws figures.

Rule: the bar is drawn only when stderr is a terminal; into a pipe or a log it is a
no-op, so redirected output stays clean. It disappears when the work is done.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from quizzer.ui.console import err

ProgressFn = Callable[[int, int, str], None]


def _silent(done: int, total: int, what: str) -> None:
    return None


@contextmanager
def progress_bar(title: str = "Exporting") -> Iterator[ProgressFn]:
    """Yield a callback `(done, total, what)` that moves a bar on stderr.

    The bar appears on the first call, so work that reports nothing (an export
    without demos) shows no bar at all.
    """
    if not sys.stderr.isatty():
        yield _silent
        return
    bar: Progress | None = None
    task: TaskID | None = None

    def update(done: int, total: int, what: str) -> None:
        nonlocal bar, task
        if bar is None or task is None:
            bar = Progress(
                TextColumn("[bold]{task.fields[title]}[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}", markup=False),
                TimeElapsedColumn(),
                console=err(),
                transient=True,
            )
            bar.start()
            task = bar.add_task("", total=total, title=title)
        bar.update(task, completed=done, total=total, description=what)

    try:
        yield update
    finally:
        if bar is not None:
            bar.stop()
