"""Ctrl-C and SIGTERM during a batch: noted, not raised, so that the batch stops
between two chunks and its output ends with a whole row (a ``KeyboardInterrupt``
raised inside a write would cut a row in half). A second signal acts at once."""

from __future__ import annotations

import signal
import threading

from ..base.errors import AutodiffError

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class BatchInterruptedError(AutodiffError):
    """A batch stopped by a signal; the exit status is the shell's 128 + signal number."""

    def __init__(self, signum: int, written: int, file: str | None = None) -> None:
        self.status = 128 + signum  # type: ignore[assignment]
        name = "interrupted" if signum == signal.SIGINT else "terminated"
        if file is not None:  # a file is written whole or not at all
            from ..base.errors import PATH_LIMIT, quoted

            super().__init__(f"{name}: {quoted(file, PATH_LIMIT)} not written ({written:,} points were evaluated)")
            return
        super().__init__(f"{name}: {written:,} points written, each a whole row")


class deferred_signals:  # noqa: N801 - used as a context manager, like a function
    """While active, the first ``noted`` SIGINTs or SIGTERMs only set ``received``
    (to the first one's number); the next acts at once."""

    def __init__(self, noted: int = 1) -> None:
        self.received: int | None = None
        self.left = noted
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> deferred_signals:
        if threading.current_thread() is threading.main_thread():  # only there can handlers be set
            for signum in _SIGNALS:
                self.previous[signum] = signal.signal(signum, self._note)
        return self

    def _note(self, signum: int, frame: object) -> None:
        if self.received is None:
            self.received = signum
        self.left -= 1
        if self.left <= 0:
            for number, handler in self.previous.items():  # the next one is not deferred
                signal.signal(number, handler)

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
