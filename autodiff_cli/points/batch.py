"""Batch evaluation: one graph, many points, evaluated with numpy a chunk at a
time (forward and backward over arrays), so that millions of points stream
through in bounded memory.

Points come from grids (a Cartesian product of ranges, the first grid the
outermost loop, each range like ``numpy.arange``) or from an input file (CSV
with a header, JSON Lines, or a JSON array of objects). Failing points get
IEEE results (inf, nan); the caller reports how many.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from ..base.arrays import ARRAY
from ..base.errors import GridError, NotFiniteError, UsageError, listed, plural, quoted
from ..base.ops import OPS, kink_matters
from ..core.expression import Expression
from ..core.values import (
    NAME,
    as_number,
    lenient_cells,
    max_input,
    not_a_name,
    number_text,
    parse_value,
    plain_name,
    repeated,
    too_long,
)
from .inputs import DuplicateKeyError, load_json, read_line, read_rest

CHUNK = 65_536


class Points(dict):
    """One chunk of points: a column (numpy array) per variable, and how many
    points there are (points with no variables, ``{}``, have no columns);
    ``kept``: the columns passed through to the output as they were read
    (a list of cells, or an Arrow array), which are no variables."""

    def __init__(self, columns: Mapping[str, np.ndarray], size: int, kept: Mapping[str, Any] | None = None) -> None:
        super().__init__(columns)
        self.size = size
        self.kept = dict(kept or {})


def check_kept(names: list[str], keep: list[str], where: str) -> None:
    """Each column to keep is one of the input's ``names``."""
    missing = next((k for k in keep if k not in names), None)
    if missing is not None:
        raise UsageError(f"{where} has no column {quoted(missing)} to keep")


@dataclass
class Grid:
    """``name=start:stop:step``: the points ``start + i*step`` before ``stop``, as
    ``numpy.arange``; or, given ``points``, that many from ``start`` to ``stop``
    itself, as ``numpy.linspace`` (a range divided evenly, STOP the last)."""

    name: str
    start: float
    stop: float
    step: float
    points: int = 0

    @property
    def count(self) -> int:
        if self.points:
            return self.points
        span = (self.stop - self.start) / self.step
        if not math.isfinite(span):  # the span overflowed (-1e308:1e308): divide first
            span = self.stop / self.step - self.start / self.step
        if not math.isfinite(span):  # a step that small is more points than any limit
            return 2**64
        return max(0, math.ceil(span))

    def values(self, index: np.ndarray) -> np.ndarray:
        """The points at ``index``: ``start + index*step``, halved and doubled
        where that overflows though the point itself is a float64."""
        with np.errstate(over="ignore", invalid="ignore"):
            x = self.start + index * self.step
            bad = ~np.isfinite(x)
            if bad.any():
                x[bad] = 2 * (self.start / 2 + index[bad] * (self.step / 2))
        x[index == 0] = self.start  # -0.0 + 0*step is 0.0: numpy.arange keeps -0.0
        if self.points:  # rounding must not step past STOP, nor miss it (0.9999999999999999)
            x[index == self.points - 1] = self.stop
            np.clip(x, min(self.start, self.stop), max(self.start, self.stop), out=x)
        return x


def parse_grid(text: str, points: int | None = None) -> Grid:
    """Read ``x=-5:5:0.25`` (the parts may be constant expressions: ``t=0:2*pi:pi/8``).
    Without a STEP, ``points`` (if given) divide the range evenly, STOP the last."""
    name, eq, spec = text.partition("=")
    name = plain_name(name.strip())
    parts = spec.split(":")
    if not eq or not NAME.fullmatch(name) or len(parts) not in (2, 3):
        raise GridError(f"{quoted(text)}: a grid is NAME=START:STOP[:STEP]")
    try:
        start, stop = (parse_value(name, p.strip()) for p in parts[:2])
        step = parse_value(name, parts[2].strip()) if len(parts) == 3 else None
    except NotFiniteError:
        raise GridError(f"{quoted(text)}: START, STOP and STEP must be finite") from None
    if step is None and not points:
        raise GridError(f"{quoted(text)}: give a step, START:STOP:STEP")
    if step is None:
        if start == stop:
            raise GridError(f"{quoted(text)}: START and STOP must differ")
        step = (stop - start) / (points - 1)
        if not math.isfinite(step):  # the span overflowed (-1e308:1e308): divide first
            step = stop / (points - 1) - start / (points - 1)
        if step == 0:  # 0:1e-321 holds fewer floats than points
            raise GridError(f"{quoted(text)}: too narrow for {points} points; give a STEP")
        return Grid(name, start, stop, step, points)
    if step == 0:
        raise GridError(f"{quoted(text)}: the step must not be 0")
    grid = Grid(name, start, stop, step)
    if grid.count > 10**12:
        many = f"{grid.count:,}" if grid.count < 2**64 else "more than 10^19"
        raise GridError(f"{quoted(text)} has {many} points; the limit is 10^12 (fixed)")
    return grid


def grid_points(grids: list[Grid], chunk: int = CHUNK) -> Iterator[Points]:
    """The Cartesian product of the grids, first grid outermost, a chunk at a time."""
    counts = [g.count for g in grids]
    total = math.prod(counts)
    for begin in range(0, total, chunk):
        flat = np.arange(begin, min(begin + chunk, total), dtype=np.int64)
        columns: dict[str, np.ndarray] = {}
        for grid, count in zip(reversed(grids), reversed(counts), strict=True):
            flat, index = np.divmod(flat, count)
            columns[grid.name] = grid.values(index)
        yield Points({g.name: columns[g.name] for g in grids}, len(index))


def _lines(stream: TextIO, where: str, limit: int, number: int = 1) -> Iterator[tuple[int, str]]:
    """The input's lines from line ``number`` on, with their numbers, each within the bound."""
    while line := read_line(stream, where, number, limit):
        yield number, line
        number += 1


def file_points(stream: TextIO, where: str, chunk: int = CHUNK, keep: tuple[str, ...] = (),
                check: Callable[[list[str]], None] | None = None) -> Iterator[Points]:
    """Points from CSV (a header of names), JSON Lines, or a JSON array of objects
    (a single object may also be spread over several lines); the columns
    ``keep`` are read as they are (text, JSON values), not as numbers.
    ``check`` is given the other names as soon as they are known (the header, the
    first object), before any value is read as a number."""
    limit = max_input()
    lines = _lines(stream, where, limit)
    found = next(((n, line) for n, line in lines if line.strip()), None)
    if found is None:
        return
    number, first = found
    head = first.lstrip()[0]
    if head == "[":
        rows = _json_value(first + read_rest(stream, where, limit), where, number, document=True)
        if not isinstance(rows, list):
            raise UsageError(f"{where}: a JSON array of objects was expected")
        yield from _object_chunks(enumerate(rows, 1), where, chunk, "point", keep, check)
    elif head == "{":
        try:
            row = load_json(first, where)
        except DuplicateKeyError as exc:
            raise UsageError(f"{where}, line {number}: {exc}") from None
        except json.JSONDecodeError as exc:
            if exc.pos < len(first.rstrip()):
                raise UsageError(f"{where}, line {number}: not valid JSON ({exc.msg})") from None
            # An object not closed on its line: one object over several lines.
            row = _json_value(first + read_rest(stream, where, limit), where, number, document=True)
            yield from _object_chunks(iter([(number, row)]), where, chunk, "line", keep, check)
            return
        rest = ((n, _json_value(line, where, n)) for n, line in lines if line.strip())
        yield from _object_chunks(itertools.chain([(number, row)], rest), where, chunk, "line", keep, check)
    else:
        yield from _csv_chunks(itertools.chain([(number, first)], lines), where, chunk, limit, keep, check)


def _json_value(text: str, where: str, line: int, document: bool = False) -> Any:
    """A line of JSON Lines (numbered ``line``), or (``document``) a JSON text
    starting at line ``line``, whose messages name the line of the fault."""
    place = where if document else f"{where}, line {line}"
    try:
        return load_json(text, where)
    except DuplicateKeyError as exc:
        raise UsageError(f"{place}: a point where {exc}" if document else f"{place}: {exc}") from None
    except json.JSONDecodeError as exc:
        at = f", line {exc.lineno + line - 1}" if document else ""
        raise UsageError(f"{place}: not valid JSON ({exc.msg}{at})") from None


def _object_chunks(rows: Iterator[tuple[int, Any]], where: str, chunk: int, unit: str,
                   keep: tuple[str, ...] = (), check: Callable[[list[str]], None] | None = None) -> Iterator[Points]:
    """Objects of values as chunks; ``unit`` is what a number counts in messages:
    ``line`` (JSON Lines) or ``point`` (a JSON array)."""
    names: list[str] | None = None
    numeric: list[str] = []
    block: list[list[float]] = []
    kept: list[list[Any]] = []
    for number, row in rows:
        if not isinstance(row, dict):
            raise UsageError(f"{where}, {unit} {number}: an object of variable values was expected")
        if not all(map(str.isascii, row)):  # a key ﬁ is the variable fi (each key is a name, or an error below)
            plain = {plain_name(k): v for k, v in row.items()}
            if len(plain) != len(row):
                raise UsageError(f"{where}, {unit} {number}: the name {quoted(repeated(list(map(plain_name, row))))} "
                                 "appears twice")
            row = plain
        if names is None:
            names = list(row)
            check_kept(names, list(keep), f"{where}, {unit} {number}")
            numeric = [n for n in names if n not in keep]
            bad = not_a_name(numeric)
            if bad is not None:
                raise UsageError(f"{where}, {unit} {number}: {quoted(bad)} is not a variable name")
            if check is not None:
                check(numeric)
        if row.keys() != set(names):
            raise UsageError(f"{where}, {unit} {number}: has names [{listed(sorted(row), 10)}], "
                             f"the first point [{listed(sorted(names), 10)}]")
        try:
            block.append([as_number(row[n]) for n in numeric])
        except (TypeError, ValueError):
            raise _not_numbers(row, numeric, f"{where}, {unit} {number}") from None
        if keep:
            kept.append([row[k] for k in keep])
        if len(block) == chunk:
            yield _columns(numeric, block, keep, kept)
            block, kept = [], []
    if block and names is not None:
        yield _columns(numeric, block, keep, kept)


def _not_numbers(row: dict[str, Any], names: list[str], place: str) -> UsageError:
    """The error for a JSON point with a value that is no number: its key and why, as for one point."""
    for name in names:
        try:
            as_number(row[name])
        except (TypeError, ValueError) as exc:
            return UsageError(f"{place}: values must be numbers ({quoted(name)}: {exc})")
    return UsageError(f"{place}: values must be numbers")


def _csv_chunks(lines: Iterator[tuple[int, str]], where: str, chunk: int, limit: int,
                keep: tuple[str, ...] = (), check: Callable[[list[str]], None] | None = None) -> Iterator[Points]:
    number, sample = next(lines)
    dialect = "excel-tab" if "\t" in sample and "," not in sample else "excel"
    csv.field_size_limit(limit)
    reader = csv.reader((line for _, line in itertools.chain([(number, sample)], lines)), dialect=dialect)
    offset = number - 1  # blank lines before the header
    try:
        names = [plain_name(n.strip()) for n in next(reader)]  # a column ﬁ is the variable fi
        check_kept(names, list(keep), where)
        bad = not_a_name([n for n in names if n not in keep] if keep else names) if names else ""
        if bad is not None:
            raise UsageError(f"{where}: the first line must name the variables (got {quoted(bad)})")
        # One table of the names: it finds a name given twice, and is the columns of a
        # header alone (one empty array shared: a million views cost half a second).
        alone = Points(dict.fromkeys(names, np.empty(0)), 0, {k: [] for k in keep})
        if len(alone) != len(names):
            raise UsageError(f"{where}: the column {quoted(repeated(names) or '')} appears twice")
        for k in keep:
            del alone[k]
        unchecked = [check] if check is not None else []  # checked at the first whole row, before its cells
        block: list[list[str]] = []
        seen = 0
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                raise UsageError(f"{where}, line {offset + reader.line_num}: {plural(len(row), 'value')} "
                                 f"for {plural(len(names), 'name')}")
            block.append(row)
            while unchecked:
                unchecked.pop()(list(alone))
            if len(block) == chunk:
                yield _csv_columns(names, block, where, offset + reader.line_num - len(block), keep)
                seen += len(block)
                block = []
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise too_long(f"{where}, line {offset + reader.line_num + 1}: a field", limit, "characters") from None
        raise UsageError(f"{where}, line {offset + reader.line_num}: not valid CSV ({exc})") from None
    if block:
        yield _csv_columns(names, block, where, offset + reader.line_num - len(block), keep)
    elif not seen:  # a header alone still names the columns
        while unchecked:
            unchecked.pop()(list(alone))
        yield alone


def _csv_columns(names: list[str], block: list[list[str]], where: str, first_line: int,
                 keep: tuple[str, ...] = ()) -> Points:
    """A block of CSV rows as columns: numbers read as a value on the command line
    is (numpy alone also reads ``1_000``: a cheap scan finds such cells first)."""
    kept: dict[str, list[str]] = {}
    if keep:
        at = {n: j for j, n in enumerate(names)}
        kept = {k: [row[at[k]] for row in block] for k in keep}
        numeric = [j for j, n in enumerate(names) if n not in kept]
        block, names = [[row[j] for j in numeric] for row in block], [names[j] for j in numeric]
    try:
        if lenient_cells(itertools.chain.from_iterable(block)):
            raise ValueError("a cell float reads and a value may not hold")
        values = np.array(block, dtype=np.float64).reshape(len(block), len(names))
    except ValueError:
        for k, row in enumerate(block):
            for cell in row:
                try:
                    number_text(cell)
                except ValueError as exc:
                    raise UsageError(f"{where}, line {first_line + k + 1}: {exc}") from None
        raise
    return Points({name: values[:, j] for j, name in enumerate(names)}, len(block), kept)


def _columns(names: list[str], block: list[list[float]], keep: tuple[str, ...] = (),
             kept: list[list[Any]] | None = None) -> Points:
    values = np.array(block, dtype=np.float64).reshape(len(block), len(names))
    cells = {k: [row[i] for row in kept or []] for i, k in enumerate(keep)}
    return Points({name: values[:, j] for j, name in enumerate(names)}, len(block), cells)


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
        self.kinks = [(i, n.op) for i, n in enumerate(nodes) if kink_matters(n)]

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
            # None until a first share, which is taken as it is (a lone -0.0 stays -0.0, as
            # in the scalar engine); later ones are summed (0.0 + -0.0 is 0.0).
            grads: list[Any] = [None] * len(self.ops)
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
                        grads[k] = share if before is None else before + share
        hit: dict[str, Any] = {}  # by rule, the points where some node used it (counted once each)
        for i, op in self.kinks:
            at, rule = OPS[op].kink
            mask = np.broadcast_to(at(ARRAY, *[data[k] for k in self.children[i]]), (size,))
            hit[rule] = mask if rule not in hit else hit[rule] | mask
        kinks = {rule: n for rule, mask in hit.items() if (n := int(np.count_nonzero(mask)))}
        value = np.broadcast_to(np.asarray(data[self.output], dtype=np.float64), (size,))
        gradients = {name: np.broadcast_to(np.asarray(grads[i], dtype=np.float64), (size,))
                     for name, i in self.leaves.items()}
        return value, gradients, kinks
