"""The entry point: runs the command and is the one place where exceptions
become ``error: ...`` lines and exit statuses.

The command line is read by :mod:`autodiff_cli.cli.argv` from the option specs,
without importing Typer (whose import and parameter handling cost more than
the whole evaluation); shell completion goes to the Typer app built from the
same specs.
"""

from __future__ import annotations

import os
import sys

from ..base.errors import AutodiffError, ExitStatus, GridError, NotFiniteError, Terminated, UsageError, diagnostic


def _program(argv: list[str], keep: list[object] | None) -> int:
    from .argv import parse_argv
    from .spec import COMPLETION_FLAGS

    if os.environ.get("_AUTODIFF_COMPLETE") or any(a in COMPLETION_FLAGS for a in argv[:1]):
        from .typer_app import run_typer  # shell completion, the Typer way

        return run_typer(argv)
    parsed = parse_argv(argv)
    if parsed.action == "help":
        from .help import write_help

        write_help(sys.stdout, parsed.command)
        return ExitStatus.OK
    if parsed.action == "version":
        from .. import __version__

        sys.stdout.write(f"autodiff {__version__}\n")
        return ExitStatus.OK
    from .commands import run as run_command

    return run_command(parsed.command.name, parsed.values, parsed.tokens, keep)


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


def _text_streams() -> None:
    """Output is UTF-8 (JSON and CSV promise it) whatever PYTHONIOENCODING or the
    locale say, except on a terminal, which keeps its own encoding and gets '?'
    for what it cannot show instead of an error."""
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


def _discard_output() -> None:
    """Drop what is still buffered for standard output (it cannot be written), so
    that the interpreter's exit does not try again and print a traceback."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


_SIGINT, _SIGTERM = 2, 15  # the same numbers on every POSIX system and on Windows


def _on_signal(signum: int, frame: object) -> None:
    """The first SIGINT or SIGTERM is raised where the program is, so that it
    unwinds as from an error (a temporary file removed, Graphviz stopped) into
    one ``error:`` line. A second one, while that happens, ends the process at
    once: temporary files removed, nothing printed (a second exception could
    escape the first's handling as a traceback)."""
    global _signalled
    if _signalled:
        files = sys.modules.get("autodiff_cli.base.files")
        if files is not None:
            files.cleanup()
        os._exit(128 + signum)
    _signalled = True
    raise KeyboardInterrupt if signum == _SIGINT else Terminated


_signalled = False


def _catch_signals() -> dict[int, object]:
    """Route SIGINT and SIGTERM to :func:`_on_signal`; the handlers replaced.
    One ignored from the start (``nohup``, a background job) stays ignored."""
    global _signalled
    # The C core of `signal` is loaded with the interpreter; `signal` adds a
    # millisecond of enums to every start.
    import _signal

    _signalled = False
    previous = {}
    for signum in (_SIGINT, _SIGTERM):
        try:
            if _signal.getsignal(signum) not in (_signal.SIG_IGN, None):
                previous[signum] = _signal.signal(signum, _on_signal)
        except ValueError:  # not the main thread (an embedding program's own thread)
            break
    return previous


def _restore_signals(previous: dict[int, object]) -> None:
    import _signal

    for signum, handler in previous.items():
        _signal.signal(signum, handler)


def _interrupted(exc: KeyboardInterrupt) -> int:
    terminated = isinstance(exc, Terminated)
    diagnostic("error: terminated" if terminated else "error: interrupted")
    return ExitStatus.TERMINATED if terminated else ExitStatus.INTERRUPTED


def main(argv: list[str] | None = None, keep: list[object] | None = None) -> int:
    """Run the CLI; every failure becomes one ``error:`` line and an exit status.
    ``keep`` (from :func:`run`) receives what must outlive the command."""
    argv = sys.argv[1:] if argv is None else argv
    if sys.stdin is None:  # started with standard input closed (<&-)
        sys.stdin = _Closed("standard input")
    if sys.stdout is None:  # started with standard output closed (>&-)
        sys.stdout = _Closed("standard output")
    _text_streams()
    previous = _catch_signals()
    try:
        status = _program(argv, keep)
        sys.stdout.flush()
        return status
    except AutodiffError as exc:
        diagnostic(f"error: {_message(exc)}")
        for line in exc.details():
            diagnostic(line)
        return exc.status
    except BrokenPipeError:
        # `autodiff eval ... | head -1`: the reader left; end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitStatus.OK
    except OSError as exc:  # writing standard output: disk full, device error, closed
        diagnostic(f"error: cannot write the output: {exc.strerror or exc}")
        _discard_output()
        return ExitStatus.FAILURE
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        return _interrupted(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):  # Typer/Click usage errors
            diagnostic("error: " + " ".join(str(exc.format_message()).split()))
            return ExitStatus.USAGE if exc.exit_code == 2 else exc.exit_code
        if isinstance(exc, RecursionError | MemoryError):
            diagnostic(f"error: expression too large to process ({type(exc).__name__})")
            return ExitStatus.USAGE
        diagnostic(f"error: internal error: {type(exc).__name__}: {exc}")
        return ExitStatus.FAILURE
    finally:
        _restore_signals(previous)


def _message(exc: AutodiffError) -> str:
    """The error's line, with what the library leaves to the command line: the options."""
    if isinstance(exc, GridError):
        return f"--grid {exc}"
    if isinstance(exc, NotFiniteError):
        return f"{exc}; only eval --ieee and graph --ieee take nan, inf and -inf"
    return str(exc)


def run() -> None:
    """Console-script entry point.

    This is the one place that treats the command as the whole process's work.
    The command puts its graph and results in ``keep``, and its graph is frozen
    out of the garbage collector's sight (acyclic, so nothing there is
    collected anyway, and not rescanned by every later collection). When
    nothing is registered to run at exit, the process then ends without the
    interpreter's teardown, which would only free memory: for a big expression
    that is its whole graph, node by node (milliseconds per 10,000 nodes). It
    leaves so as well when a render interrupted by a signal still runs in its
    thread: the teardown would free the runtime under it. SIGINT and SIGTERM are
    routed here too (:func:`_catch_signals`) for the whole process.
    """
    global _signalled
    keep: list[object] = []
    try:
        _catch_signals()  # for the whole process, past main()
        status = main(keep=keep)
    except KeyboardInterrupt as exc:  # in the instant before main() takes over
        status = _interrupted(exc)
    _signalled = True  # all is said: a signal from here on ends the process at once
    import atexit

    render = sys.modules.get("autodiff_cli.draw.render")
    abandoned = render is not None and render.rendering()
    # CPython counts the exit hooks; where it does not, leave the normal way.
    if abandoned or getattr(atexit, "_ncallbacks", lambda: 1)() == 0:
        try:  # what a failing batch wrote before its error still goes out
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except OSError:
            pass  # the reader left: nothing more to say
        os._exit(status)
    sys.exit(status)
