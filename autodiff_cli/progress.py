"""The progress bar of large batches: on standard error, and only when it is a terminal."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any


class progress:  # noqa: N801 - used as a context manager, like a function
    """A progress bar on standard error for large batches, when it is a terminal."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.bar: Any = None

    def __enter__(self):
        if sys.stderr.isatty() and (self.total is None or self.total >= 200_000):
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("points", total=self.total)
        return self.advance

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=count)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
