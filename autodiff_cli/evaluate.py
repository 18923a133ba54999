"""The work of `autodiff eval`, shared by the Typer command and the start-up
fast path in :mod:`autodiff_cli.main` (which does not import Typer)."""

from __future__ import annotations

import sys

from .errors import diagnostic
from .output import Format

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet
    from typing import Any


kept: list[Any] = []
"""The running command's graph and results. The console entry point ends the
process without freeing them (:func:`autodiff_cli.main.run`): freeing a big
graph node by node is time spent on nothing. Holds the last command's only."""


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
    # A command runs once and exits: the graph it just built (acyclic, freed
    # by reference counts) need not be rescanned by every later collection.
    import gc

    gc.freeze()
    kept[:] = [expr]
    for name in args.values:
        if name not in expr.variables and name not in expr.names:
            hint = did_you_mean(name, options, prefix="--")
            if hint:
                raise UsageError(f"no variable '{name}' in the expression{hint}")
    expr.check_values(dict.fromkeys(args.values, 0.0), complete=False)
    return expr, {name: parse_value(name, text, ieee) for name, text in args.values.items()}


EVAL_OPTIONS = ["format", "all", "ieee", "trace", "hessian", "grid", "input", "help"]
"""eval's own option names, for "did you mean --format?"; tests/test_docs.py checks them against Typer's."""
TABLE_LIMIT = 10_000  # points a batch may show as a table; beyond, use csv or jsonl


def run_eval(tokens: list[str], fmt: Format, intermediates: bool, ieee: bool, trace: bool, hessian: bool,
             grid: list[str] | None = None, input: str | None = None) -> None:
    from .errors import UsageError
    from .output import render

    if grid or input is not None:
        used = [flag for flag, on in (("--all", intermediates), ("--trace", trace), ("--hessian", hessian)) if on]
        if used:
            raise UsageError(f"{used[0]} is for single points, not batches (--grid, --input)")
        run_batch(tokens, fmt, grid or [], input)
        return
    if trace and fmt in (Format.csv, Format.tsv):
        raise UsageError("--trace is shown as a table or in JSON: use --format table, json or jsonl")
    expr, values = load(tokens, ieee, EVAL_OPTIONS)
    result = expr.evaluate(values, ieee=ieee, intermediates=intermediates, trace=trace, hessian=hessian)
    kept.append(result)
    for note in result.notes:
        diagnostic(f"note: {note}")
    render(result, fmt, sys.stdout, intermediates, title=expr.text(limit=70))


def run_batch(tokens: list[str], fmt: Format, grids: list[str], input_path: str | None) -> None:
    """Evaluate at every point of the grids or the input file, streaming the output."""
    from .errors import UsageError
    from .inputs import open_input, single_point, where

    expr, fixed = load(tokens, True, EVAL_OPTIONS)
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
        _write_single(expr, fmt, {**fixed, **single})
        return
    _run_arrays(expr, fixed, fmt, grids, stream, input_path)


def _check_sources(expr: Any, fixed: dict[str, float], columns: AbstractSet[str], where: str) -> None:
    from .errors import UsageError

    # The usual cases, checked at C speed (no set built when nothing is fixed).
    if not fixed:
        usual = columns == expr.variables.keys()
    else:
        usual = not columns & fixed.keys() and columns | fixed.keys() == expr.variables.keys()
    if usual:
        return

    for name in columns:
        if name not in expr.variables:
            raise UsageError(f"{where}: no variable '{name}' in the expression")
        if name in fixed:
            raise UsageError(f"value for '{name}' given twice (fixed and in {where})")
    missing = [n for n in expr.variables if n not in fixed and n not in columns]
    if missing:
        raise UsageError("missing value for " + ", ".join(f"'{n}'" for n in missing))


def _write_single(expr: Any, fmt: Format, point: dict[str, float]) -> None:
    import json
    import math

    from .output import point_data, render

    result = expr.evaluate(point, ieee=True)
    kept.append(result)
    if fmt is Format.json:
        text = json.dumps({"expression": expr.source, "points": [point_data(result, False)]}, ensure_ascii=False)
        sys.stdout.write(text + "\n")
    else:
        render(result, fmt, sys.stdout, title=expr.text(limit=70))
    for note in result.notes:
        diagnostic(f"note: {note}")
    if not all(map(math.isfinite, (result.value, *result.gradients.values()))):
        diagnostic("note: 1 of 1 points gave a non-finite value or gradient (written as IEEE results)")


def _run_arrays(expr: Any, fixed: dict[str, float], fmt: Format, grids: list[str], stream: Any,
                input_path: str | None) -> None:
    import itertools

    import numpy as np

    from .batch import ArrayProgram, file_points, grid_points, parse_grid
    from .errors import UsageError
    from .inputs import where
    from .progress import progress

    parsed = [parse_grid(g) for g in grids]
    names = [g.name for g in parsed]
    for name in names:
        if name not in expr.variables:
            raise UsageError(f"--grid {name}: no variable '{name}' in the expression")
        if name in fixed or names.count(name) > 1:
            raise UsageError(f"value for '{name}' given twice")
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
    writer = _BatchWriter(expr, fmt)
    failed = seen = 0
    kinks: dict[str, int] = {}
    with progress(total) as advance:
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
            advance(size)
    writer.close()
    for rule, count in kinks.items():
        diagnostic(f"note: {rule} used at {count:,} point(s) (PyTorch's convention)")
    if failed:
        diagnostic(f"note: {failed:,} of {seen:,} points gave a non-finite value or gradient "
                   "(written as IEEE results)")


class _BatchWriter:
    """Streams a batch in one output format; the table collects (up to a limit)."""

    def __init__(self, expr: Any, fmt: Format) -> None:
        self.expr, self.fmt = expr, fmt
        self.variables = list(expr.variables)
        self.header = [*self.variables, "value", *(f"grad_{n}" for n in self.variables)]
        self.delimiter = "," if fmt is Format.csv else "\t"
        self.first = True
        self.rows: list[list[str]] = []

    def _start(self) -> None:
        """What comes before the first point (once, even for no points)."""
        if self.fmt is Format.json:
            import json

            sys.stdout.write(f'{{"expression": {json.dumps(self.expr.source, ensure_ascii=False)}, "points": [\n')
        elif self.fmt in (Format.csv, Format.tsv):
            from .batch import stream_csv

            stream_csv(self.header, [], sys.stdout, self.delimiter, True)
        self.first = False

    def write(self, columns: dict, value: Any, gradients: dict) -> None:
        from .batch import json_points, stream_csv, text_column
        from .errors import UsageError

        out = sys.stdout
        separator = "" if self.first else ",\n"
        if self.first:
            self._start()
        if self.fmt in (Format.csv, Format.tsv):
            cols = [columns[n] for n in self.variables] + [value] + [gradients[n] for n in self.variables]
            stream_csv(self.header, cols, out, self.delimiter, False)
        elif self.fmt is Format.jsonl:
            out.write("\n".join(json_points(self.variables, columns, value, gradients)) + "\n")
        elif self.fmt is Format.json:
            out.write(separator + ",\n".join(json_points(self.variables, columns, value, gradients)))
        else:
            texts = [text_column(c) for c in (*(columns[n] for n in self.variables), value,
                                              *(gradients[n] for n in self.variables))]
            self.rows += [list(r) for r in zip(*texts, strict=True)]
            if len(self.rows) > TABLE_LIMIT:
                raise UsageError(f"more than {TABLE_LIMIT:,} points to show as a table: "
                                 "use --format csv, tsv, jsonl or json")

    def close(self) -> None:
        if self.first:
            self._start()
        if self.fmt is Format.json:
            sys.stdout.write("\n]}\n")
        elif self.fmt is Format.table:
            from rich import box
            from rich.console import Console
            from rich.table import Table

            title = f"{self.expr.text(limit=70)}: {len(self.rows):,} points"
            table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", min_width=len(title) + 2)
            for name in self.header:
                table.add_column(name, justify="right")
            for row in self.rows:
                table.add_row(*row)
            Console(file=sys.stdout, highlight=False, soft_wrap=False).print(table)
