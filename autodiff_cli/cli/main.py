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

from .. import __version__
from ..base.errors import (
    AutodiffError,
    ExitStatus,
    GridError,
    NotFiniteError,
    NotOneFileError,
    NotParquetError,
    Terminated,
)
from . import process
from .argv import parse_argv
from .process import diagnostic
from .spec import COMPLETION_FLAGS


def _program(argv: list[str]) -> int:
    if os.environ.get("_AUTODIFF_COMPLETE") or any(a in COMPLETION_FLAGS for a in argv[:1]):
        from .typer_app import run_typer  # lazily: only shell completion needs Typer (tens of ms)

        return run_typer(argv)
    parsed = parse_argv(argv)
    if parsed.action == "help":
        from .help import write_help  # lazily: only --help needs it

        write_help(sys.stdout, parsed.command)
        return ExitStatus.OK
    if parsed.action == "version":
        sys.stdout.write(f"autodiff {__version__}\n")
        return ExitStatus.OK
    from .commands import run as run_command  # lazily: --help and --version run no command

    return run_command(parsed.command.name, parsed.values, parsed.tokens)


def _interrupted(exc: KeyboardInterrupt) -> int:
    signum = exc.signum if isinstance(exc, Terminated) else process.SIGINT
    diagnostic(f"error: {process.interrupted_name(signum)}")
    return 128 + signum


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one ``error:`` line and an exit status."""
    argv = sys.argv[1:] if argv is None else argv
    process.fix_streams()
    previous = process.catch_signals()
    try:
        status = _program(argv)
        sys.stdout.flush()
        return status
    except AutodiffError as exc:
        diagnostic(f"error: {_message(exc)}")
        for line in exc.details():
            diagnostic(line)
        return exc.status
    except BrokenPipeError:
        # `autodiff eval ... | head -1`: the reader left; end quietly.
        process.discard_output()
        return ExitStatus.OK
    except OSError as exc:  # writing standard output: disk full, device error, closed
        diagnostic(f"error: cannot write the output: {exc.strerror or exc}")
        process.discard_output()
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
        process.restore_signals(previous)


def _message(exc: AutodiffError) -> str:
    """The error's line, with what the library leaves to the command line: the options."""
    if isinstance(exc, GridError):
        return f"--grid {exc}"
    if isinstance(exc, NotFiniteError):
        return f"{exc}; only eval --ieee and graph --ieee take nan, inf and -inf"
    if isinstance(exc, NotOneFileError):
        return (f"--input {exc}: a Parquet dataset is read with --dask (--dask local runs it on this machine), "
                "or name one file")
    if isinstance(exc, NotParquetError):
        return (f"{exc}: --dask reads a Parquet dataset (a file, a directory or a glob of Parquet files); "
                "CSV and JSON are read without --dask")
    return str(exc)


def run(early: list[int] | None = None) -> None:
    """Console-script entry point: the command is the whole process's work (see
    :mod:`autodiff_cli.cli.process`: what it keeps, its signals, its exit).
    ``early``: signals noted while the command loaded (see :mod:`autodiff_cli.cli.start`)."""
    try:
        process.own_process(early if early is not None else [])
        status = main()
    except KeyboardInterrupt as exc:  # in the instant before main() takes over
        status = _interrupted(exc)
    process.leave(status)
