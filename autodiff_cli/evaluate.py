"""The work of `autodiff eval`, shared by the Typer command and the start-up
fast path in :mod:`autodiff_cli.main` (which does not import Typer)."""

from __future__ import annotations

import sys
from typing import Any

from .errors import diagnostic
from .output import Format


def load(tokens: list[str], ieee: bool, options: list[str]) -> tuple[Any, dict[str, float]]:
    """The parsed expression and the values given for it, checked by name.

    ``options`` are the command's own option names: a value name close to one
    of them (``--fromat``) is pointed at the option.
    """
    from .arguments import parse_value, read_expression, split_arguments
    from .errors import UsageError, did_you_mean
    from .parser import parse

    args = split_arguments(tokens)
    expr = parse(read_expression(args.expression))
    for name in args.values:
        if name not in expr.variables and name not in expr.names:
            hint = did_you_mean(name, options, prefix="--")
            if hint:
                raise UsageError(f"no variable '{name}' in the expression{hint}")
    if args.values:
        expr.check_values(dict.fromkeys(args.values, 0.0))
    return expr, {name: parse_value(name, text, ieee) for name, text in args.values.items()}


EVAL_OPTIONS = ["format", "all", "ieee", "trace", "hessian", "help"]


def run_eval(tokens: list[str], fmt: Format, intermediates: bool, ieee: bool, trace: bool, hessian: bool) -> None:
    from .errors import UsageError
    from .output import render

    if trace and fmt in (Format.csv, Format.tsv):
        raise UsageError("--trace is shown as a table or in JSON: use --format table, json or jsonl")
    expr, values = load(tokens, ieee, EVAL_OPTIONS)
    expr.check_values(values)
    result = expr.evaluate(values, ieee=ieee, intermediates=intermediates, trace=trace, hessian=hessian)
    for note in result.notes:
        diagnostic(f"note: {note}")
    render(result, fmt, sys.stdout, intermediates, title=expr.text(limit=70))
