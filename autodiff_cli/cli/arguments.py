"""The free tokens of a command line: the expression (its text, ``-`` for
standard input or ``@FILE``) and the values, ``--a 2``, ``--a=2`` and ``a=2``."""

from __future__ import annotations

import re
import sys

from ..base.errors import PATH_LIMIT, UsageError, quoted
from ..core.values import NAME, max_input, plain_name, too_long

_NAME_START = NAME.pattern[:NAME.pattern.index(")") + 1]  # the first character of a name
_OPTION_LIKE = re.compile(f"--{_NAME_START}")  # --name: an option or a value's name, never a value
_ASSIGN = re.compile(f"({NAME.pattern})=(.*)", re.DOTALL)


class Arguments:
    """The expression argument and the value texts, by name in the order given."""

    def __init__(self) -> None:
        self.expression: str | None = None
        self.values: dict[str, str] = {}


def split_arguments(tokens: list[str]) -> Arguments:
    """Sort free command-line tokens into the expression and ``name -> value text``.

    The first token that is not a ``--name`` option is the expression; after
    it, ``name=value`` tokens are values (before it, ``e = c*d`` would be
    ambiguous).
    """
    args = Arguments()

    def add(name: str, text: str) -> None:
        if not NAME.fullmatch(name):
            raise UsageError(f"{quoted(name)} is not a variable name")
        name = plain_name(name)  # --ﬁ sets fi, as the expression's ﬁ is fi
        if name in args.values:
            raise UsageError(f"value for {quoted(name)} given twice")
        args.values[name] = text

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if _OPTION_LIKE.match(tok):
            name, eq, text = tok[2:].partition("=")
            if not eq:
                following = tokens[i + 1] if i + 1 < len(tokens) else None
                if following is None or _OPTION_LIKE.match(following):
                    got = f", not {quoted(following)}" if following is not None else ""
                    raise UsageError(f"--{name} needs a value{got} (--{name} VALUE sets the variable {quoted(name)}; "
                                     "it is not an option of this command)")
                i += 1
                text = following
            add(name, text)
        elif args.expression is None:
            args.expression = tok
        elif match := _ASSIGN.fullmatch(tok.strip()):
            add(match.group(1), match.group(2))
        else:
            raise UsageError(f"unexpected argument {quoted(tok)}: give values as --name VALUE or name=VALUE")
        i += 1
    return args


def read_expression(arg: str | None) -> str:
    """The expression text: the argument itself, standard input for ``-``, a file for ``@FILE``."""
    if arg is None:
        raise UsageError("missing expression (try 'autodiff eval --help')")
    limit = max_input()
    if arg == "-":
        where = "standard input"
        data = sys.stdin.buffer.read(limit + 1)  # never more: /dev/zero has no end
    elif arg.startswith("@") and len(arg) > 1:
        where = quoted(arg[1:], PATH_LIMIT)
        try:
            with open(arg[1:], "rb") as f:
                data = f.read(limit + 1)
        except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            raise UsageError(f"cannot read {where}: {getattr(exc, 'strerror', None) or exc}") from None
    else:
        if len(arg) > limit:
            raise too_long("the expression", limit, "characters")
        return arg
    if len(data) > limit:
        raise too_long(f"the expression in {where}", limit)
    try:
        return data.decode("utf-8-sig").rstrip("\r\n")  # the file's last line end is not part of the expression
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text") from None
