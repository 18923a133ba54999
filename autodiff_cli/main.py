"""The entry point: runs the command and is the one place where exceptions
become ``error: ...`` lines and exit statuses.

``autodiff eval`` is the command scripts call in loops, so its common forms are
parsed here without importing Typer (whose import and parameter handling cost
more than the whole evaluation); anything else, ``--help`` included, goes to
the Typer program in :mod:`autodiff_cli.cli`.
"""

from __future__ import annotations

import os
import sys

from .errors import AutodiffError, ExitStatus, diagnostic

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

_FLAGS = {"--all": "intermediates", "--ieee": "ieee", "--trace": "trace", "--hessian": "hessian"}
_VALUED = {"--format": "fmt", "--grid": "grid", "--input": "input", "--digits": "digits"}
_OWN = (*_FLAGS, *_VALUED, "--help")  # a token starting with one of these is eval's own (or Typer's) word


def fast_eval(argv: list[str]) -> dict[str, Any] | None:
    """``eval``'s arguments parsed as Typer would, or None to leave them to Typer
    (help, a bad ``--format``, anything unusual)."""
    if not argv or argv[0] != "eval":
        return None
    from .output import Format

    found: dict[str, Any] = {"tokens": [], "fmt": Format.table, "grid": [], "input": None, "digits": 6,
                             **dict.fromkeys(_FLAGS.values(), False)}
    rest = argv[1:]
    i = 0
    while i < len(rest):
        tok = rest[i]
        if tok == "--":
            found["tokens"] += rest[i + 1:]
            break
        if tok in _FLAGS:
            found[_FLAGS[tok]] = True
        elif tok in _VALUED or tok.partition("=")[0] in _VALUED:
            option, eq, value = tok.partition("=")
            if not eq:
                if i + 1 >= len(rest):
                    return None
                i += 1
                value = rest[i]
            if option == "--format":
                try:
                    found["fmt"] = Format(value.lower())
                except ValueError:
                    return None
            elif option == "--digits":
                if not (value.isdigit() and 1 <= int(value) <= 17):
                    return None  # Typer says what is wrong
                found["digits"] = int(value)
            elif option == "--grid":
                found["grid"].append(value)
            else:
                found["input"] = value
        elif tok.startswith(_OWN):
            return None  # --help, --all=..., --formats: Typer's words
        else:
            found["tokens"].append(tok)
        i += 1
    return found


def _usage_message(exc: Any) -> str:
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    return " ".join(str(message).split())



def _program(argv: list[str]) -> int:
    fast = fast_eval(argv)
    if fast is not None:
        from .evaluate import run_eval

        run_eval(**fast)
        return ExitStatus.OK
    import typer

    from .cli import app

    result = typer.main.get_command(app).main(args=argv, prog_name="autodiff", standalone_mode=False)
    return result if isinstance(result, int) else ExitStatus.OK


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one ``error:`` line and an exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        status = _program(argv)
        sys.stdout.flush()
        return status
    except AutodiffError as exc:
        diagnostic(f"error: {exc}")
        for line in exc.details():
            diagnostic(line)
        return exc.status
    except BrokenPipeError:
        # `autodiff eval ... | head -1`: the reader left; end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitStatus.OK
    except KeyboardInterrupt:
        diagnostic("error: interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):  # Typer/Click usage errors
            diagnostic(f"error: {_usage_message(exc)}")
            return ExitStatus.USAGE if exc.exit_code == 2 else exc.exit_code
        if isinstance(exc, RecursionError | MemoryError):
            diagnostic(f"error: expression too large to process ({type(exc).__name__})")
            return ExitStatus.USAGE
        diagnostic(f"error: internal error: {type(exc).__name__}: {exc}")
        return ExitStatus.FAILURE


def run() -> None:
    """Console-script entry point.

    When nothing is registered to run at exit, the process ends without the
    interpreter's teardown, which would only free memory: for a big expression
    that is its whole graph, node by node (milliseconds per 10,000 nodes).
    """
    status = main()
    import atexit

    # CPython counts the exit hooks; where it does not, leave the normal way.
    if getattr(atexit, "_ncallbacks", lambda: 1)() == 0:
        try:  # what a failing batch wrote before its error still goes out
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except OSError:
            pass  # the reader left: nothing more to say
        os._exit(status)
    sys.exit(status)
