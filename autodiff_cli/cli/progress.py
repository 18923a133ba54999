"""The progress bar of large batches: on standard error, and only when it is a terminal.

The terminal is shared: a reader of standard output (``| head``) may write to
it too, and so does the batch itself when its output goes there. So the bar is
one line, drawn in place (``\\r``, erase the line, the frame) and erased the
same way when the batch ends, fails, is interrupted or loses its reader: never
a newline, never a cursor moved to another line, never a hidden cursor that a
killed process could leave hidden. It waits ``DELAY`` seconds before its first
frame, so that a run that ends or loses its reader before then (``| head``
reads its lines and goes) draws nothing that another writer's lines could be
glued to; and it is not drawn at all when the batch writes to the terminal
itself (its rows show the progress, and a frame among them would break one).
Rich renders each frame (Rich's own live display ends with a newline and a
cursor moved up, which erases someone else's line when another process wrote
in between); standard output is never touched.
"""

from __future__ import annotations

import sys
import threading

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

SHOWN_FROM = 200_000  # points; smaller batches end before a bar would help
DELAY = 1.0  # seconds before the first frame
REFRESH = 0.25  # seconds between frames
ERASE = "\r\x1b[2K"  # to the line's start, and clear the line: the cursor stays on the bar's line


class progress:  # noqa: N801 - used as a context manager, like a function
    """Counts points; shows a bar once the batch is known to be large: from the
    start when ``total`` says so (grids, a dataset's metadata: a cluster run may
    take a while before its first partition is done), else once the points seen
    so far do. ``on_stdout``: the batch writes to standard output (no bar when
    that is a terminal)."""

    def __init__(self, total: int | None, on_stdout: bool = False) -> None:
        self.total = total
        self.done = 0
        self.bar: Any = None
        self.wanted = _is_terminal(sys.stderr) and not (on_stdout and _is_terminal(sys.stdout))
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.drawn = False

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
        from rich.progress import (  # lazily: only a long batch on a terminal shows a bar, with Rich
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        from .console import make_console  # lazily: only a long batch on a terminal shows a bar, with Rich

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        self.console = make_console(sys.stderr)
        self.bar = Progress(*columns, console=self.console, auto_refresh=False)  # frames drawn here, not by Rich
        self.task = self.bar.add_task("points", total=self.total, completed=self.done)
        threading.Thread(target=self._frames, name="progress", daemon=True).start()

    def _frames(self) -> None:
        """Draw a frame every ``REFRESH`` seconds from ``DELAY`` on, until stopped."""
        if self.stopped.wait(DELAY):
            return
        while True:
            try:
                self._draw()
            except (OSError, ValueError):  # the terminal went away: nothing more to show
                return
            if self.stopped.wait(REFRESH):
                return

    def _draw(self) -> None:
        from .console import width_of  # lazily: only a long batch on a terminal shows a bar, with Rich

        with self.lock:
            if self.stopped.is_set():
                return
            # One cell short of the width: a line that fills it leaves the cursor waiting to wrap.
            self.console.width = width_of(sys.stderr) - 1
            # The bar takes what the words and numbers leave (they are never elided), at most 40 cells.
            count = f"{self.done}/{'?' if self.total is None else self.total}"
            self.bar.columns[1].bar_width = max(1, min(40, self.console.width - len(f"points  {count}  0:00:00")))
            with self.console.capture() as frame:
                self.console.print(self.bar.get_renderable(), end="")
            sys.stderr.write(ERASE + frame.get().split("\n")[0].rstrip())
            sys.stderr.flush()
            self.drawn = True

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.stopped.set()
            if self.drawn:
                try:
                    sys.stderr.write(ERASE)
                    sys.stderr.flush()
                except (OSError, ValueError):
                    pass


def _is_terminal(stream: Any) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, OSError, ValueError):
        return False
