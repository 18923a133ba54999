"""The same program as a Typer app, built from the option specs: it serves shell
completion the Typer way (``--install-completion``, ``--show-completion``, and the
completion requests of an installed script). Its commands run the same bodies
as :mod:`.argv` does, and a test holds the two readings of the command line equal."""

from __future__ import annotations

import inspect
from typing import Any, Literal

import typer

from .. import __version__
from .spec import COMMANDS, PROGRAM, SUMMARY, Command, Opt

_FREE_ARGS = {"ignore_unknown_options": True, "allow_extra_args": False, "allow_interspersed_args": True,
              "help_option_names": ["--help", "-h"]}
_TYPES = {"flag": bool, "str": str, "int": int, "float": float, "choice": str}


def _version(flag: bool) -> None:
    if flag:
        typer.echo(f"{PROGRAM} {__version__}")
        raise typer.Exit()


def _parameter(opt: Opt) -> inspect.Parameter:
    kind: Any = Literal.__getitem__(opt.choices) if opt.kind == "choice" else _TYPES[opt.kind]
    annotation = list[kind] if opt.many else kind if opt.kind == "flag" or opt.required else kind | None
    extra: dict[str, Any] = {}
    if opt.kind == "choice":
        extra["case_sensitive"] = not opt.fold
    if opt.kind == "int":
        extra.update(min=opt.low, max=opt.high)
    default = ... if opt.required else (None if opt.many else opt.default)
    info = typer.Option(default, *opt.flags, help=opt.help, metavar=opt.metavar or None, show_default=False, **extra)
    return inspect.Parameter(opt.dest, inspect.Parameter.KEYWORD_ONLY, default=info, annotation=annotation)


def _command(command: Command, run: Any) -> Any:
    def body(**values: Any) -> None:
        tokens = values.pop("tokens") or []
        values.pop("version", None)
        for opt in command.options:
            if opt.many and values[opt.dest] is None:
                values[opt.dest] = []
        raise typer.Exit(run(command.name, values, tokens))

    tokens = inspect.Parameter("tokens", inspect.Parameter.KEYWORD_ONLY, annotation=list[str] | None,
                               default=typer.Argument(None, metavar=command.argument, show_default=False))
    version = inspect.Parameter("version", inspect.Parameter.KEYWORD_ONLY, annotation=bool,
                                default=typer.Option(False, "--version", callback=_version, is_eager=True,
                                                     help="Print the version and exit."))
    body.__signature__ = inspect.Signature([tokens, *map(_parameter, command.options), version])
    body.__doc__ = f"{command.summary}\n\n{command.help}"
    return body


def build_app(run: Any = None) -> typer.Typer:
    """The Typer app; ``run(name, values, tokens)`` runs a command (default: the
    real bodies)."""
    if run is None:
        from .commands import run
    app = typer.Typer(name=PROGRAM, help=SUMMARY, no_args_is_help=True, pretty_exceptions_enable=False,
                      context_settings={"help_option_names": ["--help", "-h"]})

    @app.callback()
    def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                           help="Print the version and exit.")) -> None:
        """Differentiate math expressions: values, gradients, graphs."""

    for command in COMMANDS.values():
        app.command(command.name, help=f"{command.summary}\n\n{command.help}", short_help=command.summary,
                    context_settings=_FREE_ARGS)(_command(command, run))
    return app


def run_typer(argv: list[str]) -> int:
    """Run the Typer app on ``argv`` (completion requests included); the exit status."""
    try:
        result = typer.main.get_command(build_app()).main(args=argv, prog_name=PROGRAM, standalone_mode=False)
    except SystemExit as done:  # completion ends with sys.exit, whatever the mode
        return done.code if isinstance(done.code, int) else 0
    return result if isinstance(result, int) else 0
