"""The progress bar of large batches: on standard error, and only when it is a terminal.

Standard output is never touched: Rich's ``Progress`` redirects it by default
(to print above the bar), which would swallow a batch sent to a file and slow
every row down, so both redirections are off.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

SHOWN_FROM = 200_000  # points; smaller batches end before a bar would help


class progress:  # noqa: N801 - used as a context manager, like a function
    """Counts points; shows a bar once the batch is known to be large: from the
    start when ``total`` says so (grids, a dataset's metadata: a cluster run may
    take a while before its first partition is done), else once the points seen
    so far do."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.done = 0
        self.bar: Any = None
        self.wanted = sys.stderr is not None and sys.stderr.isatty()

    def __enter__(self) -> progress:
        if self.wanted and (self.total or 0) >= SHOWN_FROM:
            self._start()
        return self

    def advance(self, count: int) -> None:
        self.done += count
        if self.bar is None and self.wanted and max(self.total or 0, self.done) >= SHOWN_FROM:
            self._start()
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def _start(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from .console import make_console

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self.bar = Progress(*columns, console=make_console(sys.stderr), transient=True, refresh_per_second=4,
                            redirect_stdout=False, redirect_stderr=False)
        self.bar.start()
        self.task = self.bar.add_task("points", total=self.total, completed=self.done)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
