"""A batch's rows onto standard output, whole, and the count of those that got there.

Rows go out by ``os.write`` on the file descriptor, every byte accounted for.
Through Python's text layer a write that a signal cuts short loses its rest: over
an unbuffered file (``PYTHONUNBUFFERED``) the text layer drops it, and a buffer
keeps it for a flush that may never come. A write cut short after a signal was
noted (see :class:`autodiff_cli.cli.process.deferred`) is finished to the end of
the row in flight and no further, so a reader sees whole rows only, and
:attr:`RowsOut.cut` says how many of the chunk's rows went out.

A row's end is found by the format's layout: a line (CSV, TSV, JSON Lines), or
for a JSON document a point before the ``,\\n`` that separates it from the next
(no literal newline stands inside a JSON point).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

    from .process import deferred


def _line_stop(data: bytes, at: int) -> int:
    """The first end of a row at or after ``at``: after a newline."""
    return at if at == 0 or data[at - 1] == 0x0A else data.index(b"\n", at) + 1


def _line_rows(data: bytes, end: int) -> int:
    return data.count(b"\n", 0, end)


def _point_stop(data: bytes, at: int) -> int:
    """The first end of a JSON point at or after ``at``: before the next ``,\\n``."""
    if at == 0:
        return 0
    k = data.find(b",\n", at)
    return len(data) if k < 0 else k


def _point_rows(data: bytes, end: int) -> int:
    # A chunk is "\n" + points joined by ",\n" (the first), or ",\n" + points (the others).
    return 0 if end == 0 else data.count(b",\n", 0, end) + (data[:1] == b"\n")


def rows_out(stream: TextIO, kind: str, signals: deferred) -> RowsOut | TextIO:
    """``stream`` as a :class:`RowsOut`, or as it is when it has no file
    descriptor (a program that calls ``main()`` with a stream of its own)."""
    try:
        stream.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return stream
    return RowsOut(stream, kind, signals)


class RowsOut:
    """Standard output for a batch of ``kind`` ``"lines"`` or ``"points"`` (a JSON
    document), stopping between rows once ``signals`` has noted one."""

    def __init__(self, stream: TextIO, kind: str, signals: deferred) -> None:
        stream.flush()  # what went before goes first
        self.fd = stream.fileno()
        self.signals = signals
        self.stop, self.rows = (_line_stop, _line_rows) if kind == "lines" else (_point_stop, _point_rows)
        self.cut: int | None = None
        """After :meth:`write_rows` stopped early: how many of its rows went out."""

    def write(self, text: str) -> None:
        """``text`` written whole (a header, the end of a JSON document)."""
        self._out(text.encode("utf-8"), stop_early=False)

    def write_rows(self, text: str) -> None:
        """A chunk of whole rows; after a signal, only up to the end of the row in flight."""
        self._out(text.encode("utf-8"), stop_early=True)

    def _out(self, data: bytes, stop_early: bool) -> None:
        view, at, end = memoryview(data), 0, len(data)
        while at < end:
            if stop_early and self.signals.received is not None and end == len(data):
                end = self.stop(data, at)  # finish the row in flight, then no more
                if at >= end:
                    break
            try:
                at += os.write(self.fd, view[at:end])
            except BlockingIOError:  # a descriptor another program left non-blocking: wait until it takes more
                import select  # lazily: only for such a descriptor

                select.select([], [self.fd], [])
        if end < len(data):
            self.cut = self.rows(data, end)

    def flush(self) -> None:
        """Nothing is held back: every write went out whole."""
