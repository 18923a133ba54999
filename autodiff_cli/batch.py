"""Batch evaluation: one graph, many points, evaluated with numpy a chunk at a
time (forward and backward over arrays), so that millions of points stream
through in bounded memory.

Points come from ``--grid`` ranges (a Cartesian product, the first grid the
outermost loop, each range like ``numpy.arange``) or from an input file (CSV
with a header, JSON Lines, or a JSON array of objects). Failing points get
IEEE results (inf, nan); the caller reports how many.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from .arguments import as_number
from .arrays import ARRAY
from .errors import UsageError
from .expression import Expression
from .ops import OPS

CHUNK = 65_536


@dataclass
class Grid:
    """``name=start:stop:step``: the points ``start + i*step`` before ``stop``."""

    name: str
    start: float
    stop: float
    step: float

    @property
    def count(self) -> int:
        return max(0, math.ceil((self.stop - self.start) / self.step))


def parse_grid(text: str, points: int | None = None) -> Grid:
    """Read ``x=-5:5:0.25`` (the parts may be constant expressions: ``t=0:2*pi:pi/8``).
    Without a STEP, ``points`` (if given) divide the range evenly."""
    from .arguments import parse_value

    name, eq, spec = text.partition("=")
    name = name.strip()
    parts = spec.split(":")
    if not eq or not name.isidentifier() or len(parts) not in (2, 3):
        raise UsageError(f"--grid takes NAME=START:STOP[:STEP], not '{text}'")
    start, stop = (parse_value(name, p.strip()) for p in parts[:2])
    if len(parts) == 3:
        step = parse_value(name, parts[2].strip())
    elif points:
        step = (stop - start) / points
        if step == 0:
            raise UsageError(f"--grid {text}: START and STOP must differ")
    else:
        raise UsageError(f"--grid {text}: give a step, START:STOP:STEP")
    if step == 0:
        raise UsageError(f"--grid {text}: the step must not be 0")
    grid = Grid(name, start, stop, step)
    if grid.count > 10**12:
        raise UsageError(f"--grid {text} has {grid.count:,} points; the limit is 10^12")
    return grid


def grid_points(grids: list[Grid], chunk: int = CHUNK) -> Iterator[dict[str, np.ndarray]]:
    """The Cartesian product of the grids, first grid outermost, a chunk at a time."""
    counts = [g.count for g in grids]
    total = math.prod(counts)
    for begin in range(0, total, chunk):
        flat = np.arange(begin, min(begin + chunk, total), dtype=np.int64)
        columns: dict[str, np.ndarray] = {}
        for grid, count in zip(reversed(grids), reversed(counts), strict=True):
            flat, index = np.divmod(flat, count)
            columns[grid.name] = grid.start + index * grid.step
        yield {g.name: columns[g.name] for g in grids}


def file_points(stream: TextIO, where: str, chunk: int = CHUNK) -> Iterator[dict[str, np.ndarray]]:
    """Points from CSV (a header of names), JSON Lines, or a JSON array of objects."""
    head = stream.read(1)
    while head and head.isspace():
        head = stream.read(1)
    if not head:
        return
    if head == "[":
        try:
            rows = json.loads(head + stream.read())
        except json.JSONDecodeError as exc:
            raise UsageError(f"{where}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(rows, list):
            raise UsageError(f"{where}: a JSON array of objects was expected")
        yield from _object_chunks(iter(enumerate(rows, 1)), where, chunk)
    elif head == "{":
        lines = ((n, line) for n, line in enumerate(_prepend(head + stream.readline(), stream), 1) if line.strip())
        yield from _object_chunks(((n, _json_line(line, where, n)) for n, line in lines), where, chunk)
    else:
        yield from _csv_chunks(_prepend(head + stream.readline(), stream), where, chunk)


def _json_line(line: str, where: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}, line {number}: not valid JSON ({exc.msg})") from None


def _object_chunks(rows: Iterator[tuple[int, Any]], where: str, chunk: int) -> Iterator[dict[str, np.ndarray]]:
    names: list[str] | None = None
    block: list[list[float]] = []
    for number, row in rows:
        if not isinstance(row, dict):
            raise UsageError(f"{where}, point {number}: an object of variable values was expected")
        if names is None:
            names = list(row)
        if set(row) != set(names):
            raise UsageError(f"{where}, point {number}: has names {sorted(row)}, the first point {sorted(names)}")
        try:
            block.append([as_number(row[n]) for n in names])
        except (TypeError, ValueError):
            raise UsageError(f"{where}, point {number}: values must be numbers") from None
        if len(block) == chunk:
            yield _columns(names, block)
            block = []
    if block and names is not None:
        yield _columns(names, block)


def _csv_chunks(lines: Iterator[str], where: str, chunk: int) -> Iterator[dict[str, np.ndarray]]:
    sample = next(lines)
    dialect = "excel-tab" if "\t" in sample and "," not in sample else "excel"
    reader = csv.reader(_prepend(sample, lines), dialect=dialect)
    names = [n.strip() for n in next(reader)]
    bad = [n for n in names if not n.isidentifier()]
    if bad or not names:
        raise UsageError(f"{where}: the first line must name the variables (got '{bad[0] if bad else ''}')")
    block: list[list[str]] = []
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            raise UsageError(f"{where}, line {reader.line_num}: {len(row)} values for {len(names)} names")
        block.append(row)
        if len(block) == chunk:
            yield _csv_columns(names, block, where, reader.line_num - len(block))
            block = []
    if block:
        yield _csv_columns(names, block, where, reader.line_num - len(block))


def _prepend(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_columns(names: list[str], block: list[list[str]], where: str, first_line: int) -> dict[str, np.ndarray]:
    try:
        values = np.array(block, dtype=np.float64)
    except ValueError:
        for k, row in enumerate(block):
            for cell in row:
                try:
                    float(cell)
                except ValueError:
                    raise UsageError(f"{where}, line {first_line + k + 1}: '{cell}' is not a number") from None
        raise
    return {name: values[:, j] for j, name in enumerate(names)}


def _columns(names: list[str], block: list[list[float]]) -> dict[str, np.ndarray]:
    values = np.array(block, dtype=np.float64)
    return {name: values[:, j] for j, name in enumerate(names)}


class ArrayProgram:
    """The expression's graph as flat lists, evaluated over numpy arrays."""

    def __init__(self, expr: Expression) -> None:
        nodes, _ = expr.live()
        position = {id(n): i for i, n in enumerate(nodes)}
        self.expr = expr
        self.ops = [OPS[n.op] for n in nodes]
        self.children = [[position[id(c)] for c in n.children] for n in nodes]
        self.needs = [n.needs_grad for n in nodes]
        # numpy scalars, not Python floats: 1/0 and (-8)**(1/3) among constants
        # must give IEEE results (inf, nan) as arrays do, not raise or go complex.
        self.constants = {i: np.float64(n.data) for i, n in enumerate(nodes) if n.op == "const"}
        self.leaves = {n.label: i for i, n in enumerate(nodes) if n.op == "var"}
        self.output = position[id(expr.output)]
        self.kinks = [(i, n.op) for i, n in enumerate(nodes) if OPS[n.op].kink and n.needs_grad]

    def run(self, values: Mapping[str, Any], size: int) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, int]]:
        """Value and gradients at ``size`` points (``values``: arrays or scalars per variable),
        and how many points passed through each kink."""
        data: list[Any] = [None] * len(self.ops)
        for i, c in self.constants.items():
            data[i] = c
        for name, i in self.leaves.items():
            data[i] = values[name]
        with np.errstate(all="ignore"):
            for i, (op, kids) in enumerate(zip(self.ops, self.children, strict=True)):
                if kids:
                    data[i] = op.forward(ARRAY, *[data[k] for k in kids])
            grads: list[Any] = [0.0] * len(self.ops)
            # A scalar seed: shares stay scalars until they meet an array
            # (3*x**2 pushes 3.0, not an array of threes, into x**2).
            grads[self.output] = np.float64(1.0)
            for i in range(len(self.ops) - 1, -1, -1):
                kids = self.children[i]
                if not kids or not self.needs[i]:
                    continue
                g = grads[i]
                args = [data[k] for k in kids]
                for rule, k in zip(self.ops[i].grads, kids, strict=False):
                    if self.needs[k]:
                        local = rule(ARRAY, data[i], *args)
                        # Skip work that changes nothing: g*1 and 0 + share (whole arrays each).
                        share = g if isinstance(local, float) and local == 1.0 else g * local
                        before = grads[k]
                        grads[k] = share if isinstance(before, float) and before == 0.0 else before + share
        kinks: dict[str, int] = {}
        for i, op in self.kinks:
            hits = int(np.count_nonzero(np.broadcast_to(data[self.children[i][0]] == 0, (size,))))
            if hits:
                kinks[OPS[op].kink[1]] = kinks.get(OPS[op].kink[1], 0) + hits
        value = np.broadcast_to(np.asarray(data[self.output], dtype=np.float64), (size,))
        gradients = {name: np.broadcast_to(np.asarray(grads[i], dtype=np.float64), (size,))
                     for name, i in self.leaves.items()}
        return value, gradients, kinks
