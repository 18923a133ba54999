"""The work of `autodiff eval`: a single point, or a batch streamed a chunk at a time."""

from __future__ import annotations

import sys

from .errors import UsageError, diagnostic, did_you_mean, quoted
from .output import Format

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet
    from typing import Any


kept: list[Any] = []
"""The running command's graph and results. The console entry point ends the
process without freeing them (:func:`autodiff_cli.main.run`): freeing a big
graph node by node is time spent on nothing. Holds the last command's only."""


def load(tokens: list[str], ieee: bool, command: Any) -> tuple[Any, dict[str, float]]:
    """The parsed expression and the values given for it, checked by name.

    ``command`` is the command's option spec: a value name close to one of its
    options (``--fromat``), or naming another command's option (``check
    --grid``), is pointed at the options.
    """
    from .arguments import parse_value, read_expression, split_arguments
    from .parser import parse

    args = split_arguments(tokens)
    if args.expression is None:
        raise UsageError(f"missing expression: autodiff {command.name} {command.argument} "
                         f"(see 'autodiff {command.name} --help')")
    expr = parse(read_expression(args.expression))
    # A command runs once and exits: the graph it just built (acyclic, freed
    # by reference counts) need not be rescanned by every later collection.
    import gc

    gc.freeze()
    kept[:] = [expr]
    for name in args.values:
        if name not in expr.variables and name not in expr.names:
            hint = did_you_mean(name, [o.name for o in command.options], prefix="--")
            if hint:
                raise UsageError(f"no variable {quoted(name)} in the expression{hint}")
            from .cli.spec import COMMANDS

            others = [c.name for c in COMMANDS.values() if c.option(f"--{name}")]
            if others:
                raise UsageError(f"{command.name} has no option --{name} ({' and '.join(others)} "
                                 f"{'has' if len(others) == 1 else 'have'} it), and the expression no variable "
                                 f"{quoted(name)}")
    expr.check_values(dict.fromkeys(args.values, 0.0), complete=False)
    return expr, {name: parse_value(name, text, ieee) for name, text in args.values.items()}




def run_eval(tokens: list[str], fmt: Format, intermediates: bool, ieee: bool, trace: bool, hessian: bool,
             grid: list[str] | None = None, input: str | None = None, digits: int = 6) -> None:
    from .cli.spec import EVAL
    from .output import write_evaluation

    if grid or input is not None:
        used = [flag for flag, on in (("--all", intermediates), ("--trace", trace), ("--hessian", hessian)) if on]
        if used:
            raise UsageError(f"{used[0]} is for single points, not batches (--grid, --input)")
        run_batch(tokens, fmt, grid or [], input, digits)
        return
    if trace and fmt in (Format.csv, Format.tsv):
        raise UsageError("--trace is shown as a table or in JSON: use --format table, json or jsonl")
    expr, values = load(tokens, ieee, EVAL)
    result = expr.evaluate(values, ieee=ieee, intermediates=intermediates, trace=trace, hessian=hessian)
    kept.append(result)
    for note in result.notes:
        diagnostic(f"note: {note}")
    write_evaluation(result, fmt, sys.stdout, intermediates, title=expr.text() if fmt is Format.table else "",
                     digits=digits)


def run_batch(tokens: list[str], fmt: Format, grids: list[str], input_path: str | None, digits: int = 6) -> None:
    """Evaluate at every point of the grids or the input file, streaming the output."""
    from .cli.spec import EVAL
    from .inputs import open_input, single_point, where

    if input_path == "-" and "-" in tokens:
        raise UsageError("standard input can hold the expression (-) or the points (--input -), not both")
    expr, fixed = load(tokens, True, EVAL)
    if input_path is not None and grids:
        raise UsageError("give the points with --grid or with --input, not both")
    stream = open_input(input_path) if input_path is not None else None
    single = None
    if stream is not None:
        single, stream = single_point(stream, where(input_path))
    if single is not None:
        # One point (thousands of values for one big expression): the scalar
        # engine, without numpy, which would only slow a single point down.
        _check_sources(expr, fixed, single.keys(), where(input_path))
        _write_single(expr, fmt, {**fixed, **single}, digits)
        return
    _run_arrays(expr, fixed, fmt, grids, stream, input_path, digits)


def _check_sources(expr: Any, fixed: dict[str, float], columns: AbstractSet[str], where: str) -> None:

    # The usual cases, checked at C speed (no set built when nothing is fixed).
    if not fixed:
        usual = columns == expr.variables.keys()
    else:
        usual = not columns & fixed.keys() and columns | fixed.keys() == expr.variables.keys()
    if usual:
        return

    for name in columns:
        if name not in expr.variables:
            raise UsageError(f"{where}: no variable {quoted(name)} in the expression")
        if name in fixed:
            raise UsageError(f"value for {quoted(name)} given twice (fixed and in {where})")
    missing = [n for n in expr.variables if n not in fixed and n not in columns]
    if missing:
        raise UsageError("missing value for " + ", ".join(quoted(n) for n in missing))


def _write_single(expr: Any, fmt: Format, point: dict[str, float], digits: int) -> None:
    import json
    import math

    from .output import point_data, write_evaluation

    result = expr.evaluate(point, ieee=True)
    kept.append(result)
    if fmt is Format.json:
        text = json.dumps({"expression": expr.source, "points": [point_data(result, False)]}, ensure_ascii=False)
        sys.stdout.write(text + "\n")
    else:
        write_evaluation(result, fmt, sys.stdout, title=expr.text() if fmt is Format.table else "", digits=digits)
    for note in result.notes:
        diagnostic(f"note: {note}")
    if not all(map(math.isfinite, (result.value, *result.gradients.values()))):
        diagnostic("note: 1 of 1 points gave a non-finite value or gradient (written as IEEE results)")


def _run_arrays(expr: Any, fixed: dict[str, float], fmt: Format, grids: list[str], stream: Any,
                input_path: str | None, digits: int) -> None:
    import itertools

    import numpy as np

    from .batch import ArrayProgram, file_points, grid_points, parse_grid
    from .inputs import where
    from .interrupts import BatchInterruptedError, deferred_signals
    from .output import BatchWriter
    from .progress import progress

    parsed = [parse_grid(g) for g in grids]
    names = [g.name for g in parsed]
    for name in names:
        if name not in expr.variables:
            raise UsageError(f"--grid {name}: no variable {quoted(name)} in the expression")
        if name in fixed or names.count(name) > 1:
            raise UsageError(f"value for {quoted(name)} given twice")
    if parsed:
        total: int | None = 1
        for g in parsed:
            total *= g.count
        chunks = grid_points(parsed)
    else:
        total = None
        chunks = file_points(stream, where(input_path))
    first = next(chunks, None)
    if first is not None:
        _check_sources(expr, fixed, set(first), where(input_path) if input_path else "--grid")
    program = ArrayProgram(expr)
    writer = BatchWriter(expr, fmt, sys.stdout, digits)
    failed = seen = 0
    kinks: dict[str, int] = {}
    written = 0
    with progress(total) as bar, deferred_signals() as signals:
        try:
            for chunk in itertools.chain([first] if first is not None else [], chunks):
                size = chunk.size  # points with no variables ({}) still count
                if not size:
                    continue
                point = {**fixed, **chunk}
                value, gradients, hits = program.run(point, size)
                for rule, count in hits.items():
                    kinks[rule] = kinks.get(rule, 0) + count
                bad = ~np.isfinite(value)
                for grad in gradients.values():
                    bad |= ~np.isfinite(grad)
                failed += int(np.count_nonzero(bad))
                seen += size
                columns_all = {n: np.broadcast_to(np.asarray(point[n], dtype=np.float64), (size,))
                               for n in expr.variables}
                writer.write(columns_all, value, gradients)
                written += size
                bar.advance(size)
                if signals.received:
                    break
            writer.close()
            sys.stdout.flush()
        except BrokenPipeError:
            if signals.received:  # Ctrl-C in a pipeline: the reader went with it
                raise BatchInterruptedError(signals.received, written) from None
            raise
    for rule, count in kinks.items():
        diagnostic(f"note: {rule} used at {count:,} point(s) (PyTorch's convention)")
    if failed:
        diagnostic(f"note: {failed:,} of {seen:,} points gave a non-finite value or gradient "
                   "(written as IEEE results)")
    if not seen:
        where_from = f"--grid {' --grid '.join(grids)}" if grids else where(input_path)
        diagnostic(f"note: {where_from} holds no points" + (" (a range whose STEP leads away from STOP is empty)"
                                                             if grids else ""))
    if signals.received:
        raise BatchInterruptedError(signals.received, written)
