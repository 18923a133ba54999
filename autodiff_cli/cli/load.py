"""What a command reads from its command line and its input, checked: the
expression and its values by name (every command), the grids, and where each of
a batch's variables comes from (``eval`` and ``eval --dask``)."""

from __future__ import annotations

from ..base.errors import UsageError, did_you_mean, plural, quoted
from ..base.ops import whose
from ..core.parser import parse
from ..core.values import one_place, parse_value, result_columns
from . import process
from .arguments import read_expression, split_arguments
from .process import diagnostic
from .spec import COMMANDS

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet
    from typing import Any


def load(tokens: list[str], ieee: bool, command: Any) -> tuple[Any, dict[str, float]]:
    """The parsed expression and the values given for it, checked by name.

    ``command`` is the command's option spec: a value name close to one of its
    options (``--fromat``), or naming another command's option (``check
    --grid``), is pointed at the options. The graph is kept to the process's
    end (see :mod:`autodiff_cli.cli.process`).
    """
    options = [o.name for o in command.options]
    for k, tok in enumerate(tokens):  # --hesian with no value: a misspelt option, not a variable
        name = tok[2:]
        if tok.startswith("--") and "=" not in tok and (k + 1 == len(tokens) or tokens[k + 1].startswith("--")):
            hint = did_you_mean(name, options, prefix="--")
            if hint:
                raise UsageError(f"{command.name} has no option {quoted(tok)}{hint}")
    args = split_arguments(tokens)
    if args.expression is None:
        raise UsageError(f"missing expression: autodiff {command.name} {command.argument} "
                         f"(see 'autodiff {command.name} --help')")
    with process.paused_collector():
        expr = parse(read_expression(args.expression))
    process.keep(expr)
    for name in args.values:
        if name not in expr.variables and name not in expr.names:
            hint = did_you_mean(name, [o.name for o in command.options], prefix="--")
            if hint:
                raise UsageError(f"no variable {quoted(name)} in the expression{hint}")
            others = [c.name for c in COMMANDS.values() if c.option(f"--{name}")]
            if others:
                raise UsageError(f"{command.name} has no option --{name} ({' and '.join(others)} "
                                 f"{'has' if len(others) == 1 else 'have'} it), and the expression no variable "
                                 f"{quoted(name)}")
    expr.check_values(dict.fromkeys(args.values, 0.0), complete=False)
    return expr, {name: parse_value(name, text, ieee) for name, text in args.values.items()}




def check_grids(expr: Any, fixed: dict[str, float], grids: list[Any]) -> None:
    """Each grid sweeps a variable of ``expr`` that has no other value (``eval``'s and ``plot``'s rule)."""
    names = [g.name for g in grids]
    for name in names:
        if name not in expr.variables:
            raise expr.no_variable(name, f"--grid {name}: ")
        if name in fixed or names.count(name) > 1:
            raise UsageError(f"value for {quoted(name)} given twice")


def check_sources(expr: Any, fixed: dict[str, float], columns: AbstractSet[str], where: str) -> list[str]:
    """Checks that each variable comes from exactly one place; returns the
    columns of results (``value``, ``grad_NAME`` of this expression's variables,
    none of them a variable), which are ignored: autodiff's own output can be
    read back as input."""
    # The usual cases, checked at C speed (no set built when nothing is fixed).
    if not fixed:
        usual = columns == expr.variables.keys()
    else:
        usual = not columns & fixed.keys() and columns | fixed.keys() == expr.variables.keys()
    if usual:
        return []

    variables = expr.variables
    results = [n for n in result_columns(variables) if n in columns and n not in variables]
    ignored = set(results)  # a set: a file may hold 100,000 variables and as many gradients
    unknown = next((n for n in columns if n not in variables and n not in ignored), None)
    if unknown is not None:
        error = expr.no_variable(unknown, f"{where}: ")
        if unknown in expr.names:  # a column for e in e = c*d: a slip, not a key
            raise error
        raise UsageError(f"{error}; --keep {unknown} passes it through to the output")
    one_place(variables, fixed, columns, where)
    return results


def check_keep(expr: Any, keep: tuple[str, ...], of: list[str] | None = None) -> None:
    """A column to keep is no variable (its column is in the output already) and
    no result column (the output has one of its own: with ``of``, each output's and du/dx)."""
    results = set(result_columns(expr.variables))
    if of:
        results = {*of, *(f"d{o}/d{n}" for o in of for n in expr.variables)}
    for name in keep:
        if name in expr.variables:
            raise UsageError(f"--keep {name}: {quoted(name)} is a variable of the expression, in the output already")
        if name in results:
            raise UsageError(f"--keep {name}: the output has a column {quoted(name)} of its own (the results)")


def batch_notes(kinks: dict[str, int], failed: int, seen: int, origin: str) -> None:
    """A batch's notes, once it is over (one process or all of a cluster's
    partitions): the conventions it used at kinks, its non-finite points, or
    that its source (``origin``) held none."""
    for rule, count in kinks.items():
        diagnostic(f"note: {rule} used at {plural(count, 'point')} {whose(rule)}")
    if failed:
        diagnostic(f"note: {failed:,} of {plural(seen, 'point')} gave a non-finite value or gradient "
                   "(written as IEEE results)")
    if not seen:
        grids = origin.startswith("--grid")
        diagnostic(f"note: {origin} holds no points" + (f" ({EMPTY_RANGE})" if grids else ""))


EMPTY_RANGE = ("a range runs from START up to STOP, STOP left out: START equal to STOP, or a STEP leading away "
               "from STOP, gives none")
"""Why a --grid range holds no point: said by eval's note and plot's error alike."""


def note_results(results: list[str], where: str) -> None:
    if results:
        shown = ", ".join(quoted(n) for n in results[:3]) + (f" and {len(results) - 3:,} more"
                                                              if len(results) > 3 else "")
        diagnostic(f"note: {where}: result columns ignored ({shown}): computed anew")
