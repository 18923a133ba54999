"""The command line read from the option specs, without Typer (whose import and
parameter handling cost more than a whole evaluation), with Typer's rules:
options anywhere among the free words, ``--name=value`` or ``--name value``,
``-oOUT`` or ``-o OUT``, the last of a repeated option wins (``many`` ones
collect), ``--`` ends the options, and any other ``--word`` is a free word (a
value for a variable: ``--a 2``)."""

from __future__ import annotations

from ..base.errors import UsageError, did_you_mean, quoted
from .spec import COMMANDS, COMPLETION_FLAGS, HELP_FLAGS, PROGRAM, VERSION_FLAG, Command, Opt

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any


class Parsed:
    """What to do: ``run`` a command, show ``help`` (of ``command``, or of the
    program when None), or print the ``version``."""

    def __init__(self, action: str, command: Command | None = None, values: dict[str, Any] | None = None,
                 tokens: list[str] | None = None, missing: list[Opt] | None = None) -> None:
        self.action, self.command = action, command
        self.values = values or {}
        self.tokens = tokens or []
        self.missing = missing or []


def parse_argv(argv: list[str]) -> Parsed:
    if not argv or argv[0] in HELP_FLAGS:
        return Parsed("help")
    first = argv[0]
    if first == VERSION_FLAG:
        return Parsed("version")
    command = COMMANDS.get(first)
    if command is None:
        if first.startswith("-"):
            raise UsageError(f"{quoted(first)} is not an option of {PROGRAM}: give a command first "
                             f"({', '.join(COMMANDS)}), or --help")
        hint = did_you_mean(first, COMMANDS)
        raise UsageError(f"no command {quoted(first)}{hint}; the commands are {', '.join(COMMANDS)}")
    return parse_command(command, argv[1:])


def parse_command(command: Command, args: list[str]) -> Parsed:
    values: dict[str, Any] = {opt.dest: opt.default for opt in command.options}
    for opt in command.options:
        if opt.many:
            values[opt.dest] = []
    tokens: list[str] = []
    if any(a in HELP_FLAGS for a in args[: args.index("--") if "--" in args else len(args)]):
        return Parsed("help", command)
    i = 0
    while i < len(args):
        tok = args[i]
        i += 1
        if tok == "--":
            tokens += args[i:]
            break
        if tok == VERSION_FLAG:
            return Parsed("version")
        if tok in COMPLETION_FLAGS:
            raise UsageError(f"{tok} is an option of {PROGRAM} itself: {PROGRAM} {tok}")
        opt, value = _option(command, tok)
        if opt is None:
            tokens.append(tok)
            continue
        if opt.kind == "flag":
            if value is not None:
                raise UsageError(f"{tok.partition('=')[0]} is a switch and takes no value (not {quoted(value)})")
            values[opt.dest] = True
            continue
        if value is None:
            if i >= len(args):
                raise UsageError(f"--{opt.name} needs a value: --{opt.name} {opt.shown_metavar()}")
            value = args[i]
            i += 1
        converted = convert(opt, value)
        if opt.many:
            values[opt.dest].append(converted)
        else:
            values[opt.dest] = converted
    missing = [opt for opt in command.options if opt.required and values[opt.dest] in (None, [])]
    return Parsed("run", command, values, tokens, missing)


def _option(command: Command, tok: str) -> tuple[Opt | None, str | None]:
    """The command's own option that ``tok`` names, and the value attached to it."""
    if tok.startswith("--"):
        flag, eq, value = tok.partition("=")
        opt = command.option(flag)
        return (opt, value if eq else None) if opt else (None, None)
    if tok.startswith("-") and len(tok) >= 2 and not tok[1].isdigit() and tok[1] != ".":
        opt = command.option(tok[:2])
        if opt is not None:
            return opt, (tok[2:] or None)
    return None, None


def convert(opt: Opt, text: str) -> Any:
    """An option's text as its value, or a usage error in a plain sentence."""
    if opt.kind == "choice":
        for choice in opt.choices:
            if text == choice or (opt.fold and text.lower() == choice.lower()):
                return choice
        choices = ", ".join(opt.choices[:-1]) + f" or {opt.choices[-1]}"
        raise UsageError(f"--{opt.name} is {choices}, not {quoted(text)}{did_you_mean(text, opt.choices)}")
    if opt.kind == "int":
        stripped = text.strip()
        number = int(stripped) if stripped.lstrip("+-").isdigit() and stripped.isascii() else None
        if number is None or not (opt.low is None or opt.low <= number) or not (opt.high is None or number <= opt.high):
            raise UsageError(f"--{opt.name} takes a whole number from {opt.low} to {opt.high}, not {quoted(text)}")
        return number
    if opt.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise UsageError(f"--{opt.name} takes a number, not {quoted(text)}") from None
    return text
