"""The command line: a thin shell over the library.

``program`` is Typer's app (options, help); ``main`` runs it and is the one
place where exceptions become ``error: ...`` lines and exit statuses.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from . import __version__
from .errors import AutodiffError, ExitStatus
from .output import Format

_FREE_ARGS = {"ignore_unknown_options": True, "allow_extra_args": False, "allow_interspersed_args": True}

app = typer.Typer(
    name="autodiff",
    help="Differentiate math expressions: values, gradients, graphs.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(flag: bool) -> None:
    if flag:
        sys.stdout.write(f"autodiff {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Differentiate math expressions: values, gradients, graphs."""


EVAL_HELP = """Compute the value of EXPR and its gradient with respect to every variable.

Values are given as --a 2, --a=2 or a=2; a value may be a constant
expression (--x pi/4). EXPR may be - (standard input) or @FILE.

\b
Examples:
  autodiff eval "a*(b+c*d)" --a -2 --b 10 --c 2 --d -3
  autodiff eval "3*x**2 - 4*x + 5" x=3 --format json
  autodiff eval "e = c*d; f = b + e; L = a*f" a=-2 b=10 c=2 d=-3 --all
  autodiff eval --x 2 -- "-x**2"
  autodiff eval @model.txt --format csv w=0.5 x=1.5
"""


@app.command("eval", help=EVAL_HELP, context_settings=_FREE_ARGS)
def eval_command(
    ctx: typer.Context,
    tokens: list[str] | None = typer.Argument(None, metavar="EXPR [VALUES]...", show_default=False),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format.", case_sensitive=False),
    intermediates: bool = typer.Option(False, "--all", help="Also show every named intermediate node."),
    ieee: bool = typer.Option(False, "--ieee", help="Report inf/nan (null in JSON) instead of failing."),
) -> None:
    from .arguments import parse_value, read_expression, split_arguments
    from .output import render
    from .parser import parse

    args = split_arguments(tokens or [])
    expr = parse(read_expression(args.expression))
    _check_names(expr, args.values, ctx)
    values = {name: parse_value(name, text, ieee) for name, text in args.values.items()}
    result = expr.evaluate(values, ieee=ieee, intermediates=intermediates)
    for note in result.notes:
        _diagnostic(f"note: {note}")
    render(result, fmt, sys.stdout, intermediates, title=expr.text(limit=70))


def _check_names(expr: Any, names: dict[str, str], ctx: typer.Context) -> None:
    """Usage errors for values the expression cannot take; a name close to one of
    the command's own options (``--fromat``) is pointed at that option."""
    from .errors import UsageError, did_you_mean

    options = [opt[2:] for param in ctx.command.params for opt in param.opts if opt.startswith("--")]
    for name in names:
        if name not in expr.variables and name not in expr.names:
            hint = did_you_mean(name, options, prefix="--")
            if hint:
                raise UsageError(f"no variable '{name}' in the expression{hint}")
    expr.check_values(dict.fromkeys(names, 0.0))


def _diagnostic(line: str) -> None:
    sys.stderr.write(line + "\n")


def _usage_message(exc: Any) -> str:
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    return " ".join(str(message).split())


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one ``error:`` line and an exit status."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="autodiff", standalone_mode=False)
        sys.stdout.flush()
        return result if isinstance(result, int) else ExitStatus.OK
    except AutodiffError as exc:
        _diagnostic(f"error: {exc}")
        for line in exc.details():
            _diagnostic(line)
        return exc.status
    except BrokenPipeError:
        # `autodiff eval ... | head -1`: the reader left; end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return ExitStatus.OK
    except KeyboardInterrupt:
        _diagnostic("error: interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):  # Typer/Click usage errors
            _diagnostic(f"error: {_usage_message(exc)}")
            return ExitStatus.USAGE if exc.exit_code == 2 else exc.exit_code
        if isinstance(exc, RecursionError | MemoryError):
            _diagnostic(f"error: expression too large to process ({type(exc).__name__})")
            return ExitStatus.USAGE
        _diagnostic(f"error: internal error: {type(exc).__name__}: {exc}")
        return ExitStatus.FAILURE


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
