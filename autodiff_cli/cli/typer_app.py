"""The same program as a Typer app, built from the option specs: it serves shell
completion the Typer way (``--install-completion``, ``--show-completion``, and the
completion requests of an installed script). Its commands run the same bodies
as :mod:`.argv` does, and a test holds the two readings of the command line equal."""

from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Any, Literal

import shellingham
import typer
from typer._completion_shared import get_completion_script, install

from .. import __version__
from ..base.errors import PATH_LIMIT, ExitStatus, UsageError, quoted
from .spec import COMMANDS, COMPLETION_FLAGS, PROGRAM, SUMMARY, Command, Opt

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
    info = typer.Option(default, *opt.flags, *opt.old_flags, help=opt.help, metavar=opt.metavar or None,
                        show_default=False, **extra)
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
        from .commands import run  # lazily: only a command run through Typer needs them
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


SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")  # those Typer writes completion for
COMPLETE_VAR = f"_{PROGRAM.upper()}_COMPLETE"


def run_typer(argv: list[str]) -> int:
    """Run the Typer app on ``argv`` (completion requests included); the exit
    status. ``--install-completion``/``--show-completion`` check their shell
    first (Typer would take a flag's value for an argument and install for the
    shell it detects, or fail with a traceback where it detects none), and a
    completion request that cannot be answered (its variables missing or
    malformed) answers nothing, quietly: the shell is asking, not a person."""
    if argv[:1] and argv[0] in COMPLETION_FLAGS:
        return _completion_script(argv[0], argv[1:])
    instruction = os.environ.get(COMPLETE_VAR, "")
    if instruction:
        _check_instruction(instruction)
    try:
        result = typer.main.get_command(build_app()).main(args=argv, prog_name=PROGRAM, standalone_mode=False)
    except SystemExit as done:  # completion ends with sys.exit, whatever the mode
        return done.code if isinstance(done.code, int) else 0
    except Exception:
        if instruction:
            return ExitStatus.OK  # no completion
        raise
    return result if isinstance(result, int) else 0


def _check_instruction(instruction: str) -> None:
    """``complete_bash``, ``source_zsh``, ...: Typer's instruction styles; anything else is a usage error."""
    action, _, shell = instruction.partition("_")
    if action not in ("complete", "source") or shell not in SHELLS:
        raise UsageError(f"{COMPLETE_VAR}={quoted(instruction)} is not a completion request: it is complete_SHELL "
                         f"or source_SHELL, for a SHELL among {_listed(SHELLS)}")


def _completion_script(flag: str, rest: list[str]) -> int:
    """``--show-completion [SHELL]`` prints the script, ``--install-completion
    [SHELL]`` installs it, for SHELL or else the shell this runs in."""
    if len(rest) > 1:
        raise UsageError(f"{flag} takes at most a shell's name, not {' '.join(map(quoted, rest))}")
    shell = rest[0] if rest else _detected_shell()
    if shell is None:
        raise UsageError(f"{flag}: cannot tell which shell this is; name it: {flag} SHELL, one of {_listed(SHELLS)}")
    if shell not in SHELLS:
        raise UsageError(f"{flag}: no completion for the shell {quoted(shell)}; the shells are {_listed(SHELLS)}")
    if flag == "--show-completion":
        sys.stdout.write(get_completion_script(prog_name=PROGRAM, complete_var=COMPLETE_VAR, shell=shell) + "\n")
        return ExitStatus.OK
    if not Path.home().is_dir():
        raise UsageError(f"cannot install {shell} completion: HOME ({quoted(str(Path.home()), PATH_LIMIT)}) "
                         "is not a directory")
    try:
        _, path = install(shell=shell, prog_name=PROGRAM, complete_var=COMPLETE_VAR)
    except OSError as exc:  # a HOME that cannot be written; powershell not there to ask for its profile
        where = f"{quoted(str(exc.filename), PATH_LIMIT)}: " if exc.filename else ""
        raise UsageError(f"cannot install {shell} completion: {where}{exc.strerror or exc}") from None
    except typer.Exit:  # Typer said why on standard error
        raise UsageError(f"cannot install {shell} completion") from None
    sys.stdout.write(f"{shell} completion installed in {path}\nCompletion will take effect once you restart the "
                     "terminal\n")
    return ExitStatus.OK


def _detected_shell() -> str | None:
    """The shell this runs in, as Typer finds it (shellingham), or None."""
    try:
        return shellingham.detect_shell()[0].lower()
    except Exception:  # noqa: BLE001 - ShellDetectionFailure, or no process table to read
        return None


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}"
