"""The process's own state, in one place: nothing below the command line
installs a signal handler, toggles the garbage collector, replaces a standard
stream or ends the process (``tests/test_architecture.py`` scans for it).

Signals. SIGINT, SIGTERM and SIGHUP go to one handler, each unless it was
ignored from the start (``nohup``, ``cmd &`` in a script): an ignored signal
stays ignored. By default the first one is raised where the program is
(``KeyboardInterrupt`` for SIGINT, :class:`Terminated` for the others), so that
it unwinds as from an error (a temporary file removed, Graphviz stopped) into
one ``error:`` line. Inside :class:`deferred` the first ones are only noted: a
batch stops between two whole rows, and an output that is complete stays so.
One that comes while a first unwinds, or after all is said, ends the process at
once: temporary files removed, nothing printed (a second exception could escape
the first's handling as a traceback). Once a noted one has decided how the
command ends (:meth:`deferred.settle`, or the end of the block), the others are
ignored: its one line and its status stand.

The garbage collector. A graph holds no reference cycles, so the cyclic
collector would only rescan its millions of young nodes again and again while
it is built (super-linear time): it is paused then. What a command keeps to the
end is frozen out of its sight, and left to the process's end unfreed.

The standard streams. One the process was started without stands in as closed;
output is UTF-8; a standard error that fails is dropped, never the run.

The environment: where matplotlib keeps its settings when HOME cannot hold them.
"""

from __future__ import annotations

import _signal  # the C core of `signal`, loaded with the interpreter: `signal` adds a millisecond of enums
import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..base.errors import PATH_LIMIT, AutodiffError, Terminated, UsageError, quoted

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

SIGHUP, SIGINT, SIGTERM = 1, 2, 15  # the same numbers on every POSIX system (SIGINT, SIGTERM on Windows too)
_NAMES = {SIGHUP: "hung up", SIGINT: "interrupted", SIGTERM: "terminated"}


class _State:
    deferring = 0  # signals still to be noted rather than raised
    received: int | None = None  # the first one noted
    pending: int | None = None  # one that came during an import, to be raised once it is over
    final = False  # one was raised, or all is said: the next ends the process at once
    owner = False  # the command is the whole process's work (the console script), not a call of main()
    decided: int | None = None  # a noted signal that decides how the command ends: the others are ignored


_state = _State()
_on_abrupt_exit: list[Callable[[], None]] = []
_at_once_if: list[Callable[[], bool]] = []
_kept: list[object] = []


def interrupted_name(signum: int) -> str:
    """How a message says that signal ``signum`` stopped the command."""
    return _NAMES.get(signum, "terminated")


def _on_signal(signum: int, frame: object) -> None:
    if _state.decided is not None:  # the first's line and status are on their way
        return
    if _state.deferring > 0:
        _state.deferring -= 1
        if _state.received is None:
            _state.received = signum
        return
    if _state.final:
        for undo in _on_abrupt_exit:
            undo()
        os._exit(128 + signum)
    if _importing(frame) and _raise_later(signum):
        return
    _state.final = True
    raise KeyboardInterrupt if signum == SIGINT else Terminated(signum)


def _importing(frame: object) -> bool:
    """Whether ``frame`` runs inside an import: an exception raised there can
    come out as another (numpy turns it into an ``ImportError``)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):  # type: ignore[attr-defined]
            return True
        frame = frame.f_back  # type: ignore[attr-defined]
    return False


def _raise_later(signum: int) -> bool:
    """Raise ``signum`` as soon as the import under way is over, checking every
    10 ms with SIGALRM; False where there is no interval timer (Windows)."""
    if not hasattr(_signal, "setitimer"):
        return False
    if _state.pending is not None:  # one waits already: the first decides
        return True

    def retry(alarm: int, frame: object) -> None:
        if _state.pending is None:  # taken over meanwhile (a batch noted it, or the command ended)
            return
        if _importing(frame):
            _signal.setitimer(_signal.ITIMER_REAL, 0.01)
            return
        _state.pending = None
        _on_signal(signum, frame)

    _state.pending = signum
    _signal.signal(_signal.SIGALRM, retry)
    _signal.setitimer(_signal.ITIMER_REAL, 0.01)
    return True


def _take_pending() -> int | None:
    """The signal waiting for an import to end, if any, no longer waited for."""
    signum, _state.pending = _state.pending, None
    if signum is not None:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
    return signum


def catch_signals() -> dict[int, object]:
    """Route SIGINT, SIGTERM and SIGHUP to the one handler; the handlers replaced."""
    _state.final, _state.decided = False, None
    previous = {}
    for signum in (SIGINT, SIGTERM, SIGHUP):
        try:
            if _signal.getsignal(signum) not in (_signal.SIG_IGN, None):
                previous[signum] = _signal.signal(signum, _on_signal)
        except (ValueError, OSError, AttributeError):  # not the main thread, or no such signal here
            continue
    return previous


def restore_signals(previous: dict[int, object]) -> None:
    if not _state.owner:  # main() called as a function: nothing waits past it (the console script's leave() says it)
        _take_pending()
    for signum, handler in previous.items():
        _signal.signal(signum, handler)


def on_abrupt_exit(undo: Callable[[], None]) -> None:
    """Have ``undo`` run when a second signal ends the process at once (it must
    be safe in a signal handler: removing temporary files, say)."""
    if undo not in _on_abrupt_exit:
        _on_abrupt_exit.append(undo)


def leave_at_once_if(still_running: Callable[[], bool]) -> None:
    """Have the process end without the interpreter's teardown when ``still_running()``:
    work left in a thread by a signal (a render) whose runtime the teardown would free under it."""
    if still_running not in _at_once_if:
        _at_once_if.append(still_running)


class deferred:  # noqa: N801 - used as a context manager, like a function
    """While active, the first ``noted`` signals only set ``received`` (to the
    first one's number); the next acts as usual. ``received`` stays readable
    after the block."""

    def __init__(self, noted: int = 1) -> None:
        self.noted = noted
        self._received: int | None = None
        self._active = False

    @property
    def received(self) -> int | None:
        return _state.received if self._active else self._received

    def __enter__(self) -> deferred:
        _state.received, _state.deferring = _take_pending(), self.noted  # one waiting for an import is noted
        self._active = True
        return self

    def settle(self) -> None:
        """The work stopped (or ended) with a signal noted: that one decides how the
        command ends, and any other from here on is ignored (a second line, or another
        status, would contradict the first's)."""
        if _state.received is not None:
            _state.decided, _state.deferring = _state.received, 0

    def __exit__(self, *exc: object) -> None:
        self.settle()
        self._received, self._active = _state.received, False
        _state.received, _state.deferring = None, 0


class BatchInterruptedError(AutodiffError):
    """A batch stopped by a signal; the exit status is the shell's 128 + signal number."""

    def __init__(self, signum: int, written: int, file: str | None = None) -> None:
        self.status = 128 + signum  # type: ignore[assignment]
        name = interrupted_name(signum)
        if file is not None:  # a file is written whole or not at all
            super().__init__(f"{name}: {quoted(file, PATH_LIMIT)} not written ({written:,} points were evaluated)")
            return
        super().__init__(f"{name}: {written:,} points written, each a whole row")


@contextmanager
def paused_collector() -> Iterator[None]:
    """The cyclic collector paused while a graph is built or derived (see the module docstring)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def keep(obj: object) -> None:
    """Keep ``obj`` (a command's graph, its results) to the end of the process,
    out of the collector's sight; nothing when main() is called as a function."""
    if _state.owner:
        _kept.append(obj)
        gc.freeze()  # acyclic, so nothing there is ever collected: not rescanned by every later collection


class _Closed:
    """Stands in for a standard stream the process was started without: reading
    is a usage error, writing an ``OSError``, each said in one line."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.buffer = self

    def read(self, *args: object) -> str:
        raise UsageError(f"{self.name} is closed")

    readline = readable = read1 = peek = read  # whichever way a reader starts, the same line

    def write(self, data: object) -> int:
        raise OSError(9, f"{self.name} is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(9, f"{self.name} is closed")


def fix_streams() -> None:
    """Stand-ins for closed standard streams (``<&-``, ``>&-``). Output is UTF-8
    (JSON and CSV promise it) whatever PYTHONIOENCODING or the locale say, except
    on a terminal, which keeps its own encoding and gets '?' for what it cannot
    show instead of an error."""
    if sys.stdin is None:
        sys.stdin = _Closed("standard input")
    if sys.stdout is None:
        sys.stdout = _Closed("standard output")
    try:  # a descriptor another program left non-blocking would cut the output at the pipe's size
        if not os.get_blocking(sys.stdout.fileno()):
            os.set_blocking(sys.stdout.fileno(), True)
    except (OSError, ValueError, AttributeError):  # closed, or a stream with no descriptor
        pass
    stdout = sys.stdout
    encoding = (getattr(stdout, "encoding", None) or "").lower().replace("-", "")
    if encoding != "utf8" and hasattr(stdout, "reconfigure"):
        try:
            if stdout.isatty():
                stdout.reconfigure(errors="replace")
            else:
                stdout.reconfigure(encoding="utf-8")
        except (OSError, ValueError):
            pass


def discard_output() -> None:
    """Drop what is still buffered for standard output (it cannot be written: a
    full disk, a reader gone), so that the interpreter's exit does not try again
    and print a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def diagnostic(line: str) -> None:
    """A line for the user on standard error (errors, notes); data goes to stdout.
    With standard error closed or full the line is lost, but never the run: the
    exit status still tells."""
    try:
        if line.startswith(("error: ", "note: ")) and len(line) > 40 and sys.stderr.isatty():
            line = to_width(line, sys.stderr)
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):  # closed (None), full, or a closed file object
        # Nothing more goes there; dropping the stream spares the interpreter a
        # failing flush at exit (which would turn the exit status into 120).
        sys.stderr = None


def to_width(line: str, stream: TextIO) -> str:
    """A message on a terminal broken at spaces to its width (``COLUMNS`` if set),
    the lines after the first indented; into a pipe or a file it stays one line."""
    from rich.cells import cell_len  # lazily: only a long message on a terminal; a CJK letter takes two cells

    from .console import width_of  # lazily: only a long message on a terminal is broken

    width = width_of(stream, least=0)
    if cell_len(line) <= width or width < 20:
        return line
    lines, current = [], ""
    for word in line.split(" "):
        joined = f"{current} {word}" if current else word
        if current.strip() and cell_len(joined) > width:
            lines.append(current)
            joined = "  " + word
        current = joined
    return "\n".join([*lines, current])


def matplotlib_config_dir() -> None:
    """Give matplotlib a temporary directory (removed at exit) for its settings
    and font cache when those under HOME cannot be written (a read-only or
    missing HOME, a service account): it would make one itself, but say so in
    warnings on standard error, where only the command's own lines belong.
    A ``MPLCONFIGDIR`` the user set is theirs."""
    from pathlib import Path  # lazily: only plot comes here, and pathlib costs start-up time

    if os.environ.get("MPLCONFIGDIR"):
        return
    try:
        home = Path.home()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        home = Path("/nonexistent")
    if sys.platform.startswith(("linux", "freebsd")):  # matplotlib's own rule for where they go
        bases = [os.environ.get("XDG_CONFIG_HOME") or home / ".config",
                 os.environ.get("XDG_CACHE_HOME") or home / ".cache"]
        wanted = [Path(base) / "matplotlib" for base in bases]
    else:
        wanted = [home / ".matplotlib"]
    for path in wanted:
        try:
            path.mkdir(parents=True, exist_ok=True)
            if path.is_dir() and os.access(path, os.W_OK):
                continue
        except OSError:
            pass
        import atexit  # lazily: the three: only plot, with a HOME it cannot write, comes here
        import shutil  # lazily: only plot, with a HOME it cannot write, comes here
        import tempfile  # lazily: only plot, with a HOME it cannot write, comes here

        try:
            os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="autodiff-matplotlib-")
        except OSError:  # no temporary directory either: matplotlib's own fallback and warnings
            return
        atexit.register(shutil.rmtree, os.environ["MPLCONFIGDIR"], ignore_errors=True)
        return


def own_process(early: list[int]) -> None:
    """The command is the whole process's work (the console script's :func:`run`):
    what it keeps lives to the end, and signals are caught from here on, past main().
    ``early``: the signals noted before (still filled until the handler is in place),
    the first of them raised now."""
    _state.owner = True
    catch_signals()
    if early:
        _on_signal(early[0], None)


def leave(status: int) -> None:
    """End the process with ``status``. What the command kept is frozen in a
    cycle of its own, so the interpreter's teardown does not free it node by
    node (milliseconds per 10,000 nodes, for memory the system takes back
    anyway); see :func:`leave_at_once_if` for when it leaves at once."""
    _state.final = True  # all is said: a signal from here on ends the process at once, then is ignored
    late = _take_pending()
    if late is not None and status == 0:  # it came during an import, and the command ended well before it was over
        diagnostic(f"note: {interrupted_name(late)} as the command ended: its output is complete")
    try:  # what a failing batch wrote before its error still goes out
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except OSError:
        discard_output()  # the reader left: nothing more to say, and nothing to retry at exit
    if any(still_running() for still_running in _at_once_if):
        os._exit(status)
    if _kept:
        _kept.append(_kept)  # a cycle the teardown leaves alone once frozen
        gc.freeze()
    for signum in (SIGINT, SIGTERM, SIGHUP):  # the teardown would hand them back to the default: death, no status
        if _signal.getsignal(signum) is _on_signal:
            _signal.signal(signum, _signal.SIG_IGN)
    sys.exit(status)
