"""Every machine format of ``eval`` in one place: one ``Format`` enum, one
writer per format serving a single point (:func:`write_evaluation`) and a
stream of batch chunks (:class:`BatchWriter`) alike, one CSV encoder
(:func:`csv_line`) and one rule for JSON numbers (:func:`json_number`).
The tables for people are :mod:`autodiff_cli.cli.tables`.

Machine formats print numbers in the shortest form that round-trips
(``repr(float)``), keys and columns in order of first appearance. Non-finite
numbers (``--ieee`` and batches only) are ``null`` in JSON and
``inf``/``-inf``/``nan`` in CSV/TSV.
"""

from __future__ import annotations

import json
import math
from enum import Enum

from ..base.errors import UsageError
from ..core.expression import Evaluation
from ..core.values import result_columns, unclaimed
from ..points.inputs import SUFFIXES as BATCH_SUFFIXES

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, TextIO


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"  # batches to a file only (--output)


class DiffFormat(str, Enum):
    """``diff``'s formats: a derivative is text, not numbers."""

    text = "text"
    json = "json"
    latex = "latex"


SUFFIXES = {suffix: Format(name) for suffix, name in BATCH_SUFFIXES.items()}
"""The formats a batch file (``--output FILE``) may have, by the file's suffix."""


def number(x: float) -> str:
    """Shortest round-trip text of a float: ``-8.0``, ``1e-05``, ``inf``, ``nan``."""
    return repr(float(x))


def json_number(x: float) -> float | None:
    """The JSON rule: a finite number as itself (``json`` writes its shortest
    round-trip text), anything else as ``null``."""
    return x if math.isfinite(x) else None


def csv_line(cells: Iterable[str], delimiter: str) -> str:
    """One RFC 4180 record: a cell quoted only where it must be, CRLF line ends
    (TSV: tabs and ``\\n``)."""
    quoted = ('"' + c.replace('"', '""') + '"' if any(ch in c for ch in (delimiter, '"', "\n", "\r")) else c
              for c in cells)
    return delimiter.join(quoted) + ("\r\n" if delimiter == "," else "\n")


def _json_numbers(numbers: dict[str, float]) -> dict[str, float | None]:
    if all(map(math.isfinite, numbers.values())):  # the usual case: nothing to replace
        return numbers  # type: ignore[return-value]
    return {k: json_number(v) for k, v in numbers.items()}


def point_data(ev: Evaluation, nodes: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variables": _json_numbers(ev.variables),
        "value": json_number(ev.value),
        "gradients": _json_numbers(ev.gradients),
    }
    if nodes:
        data["nodes"] = {k: {"value": json_number(v), "gradient": json_number(g)}
                         for k, (v, g) in ev.nodes.items()}
    if ev.hessian is not None:
        data["hessian"] = {r: {c: json_number(v) for c, v in row.items()} for r, row in ev.hessian.items()}
    if ev.trace is not None:
        data["trace"] = [
            {"node": step.node, "op": step.op, "gradient": json_number(step.gradient),
             "inputs": [{"node": i.node, "local": json_number(i.local), "contribution": json_number(i.contribution),
                         "accumulated": json_number(i.accumulated)} for i in step.inputs]}
            for step in ev.trace
        ]
    return data


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def write_json(ev: Evaluation, out: TextIO, nodes: bool) -> None:
    point = point_data(ev, nodes)
    data = {"expression": ev.expression, "value": point.pop("value"), **point}
    out.write(dumps(data) + "\n")


def write_jsonl(ev: Evaluation, out: TextIO, nodes: bool) -> None:
    out.write(dumps(point_data(ev, nodes)) + "\n")


def csv_header(ev: Evaluation, nodes: bool) -> list[str]:
    """The variables, ``value``, ``grad_NAME`` per variable, then (``--nodes``) each
    named node and its gradient, then ``hess_ROW_COL``; the results all with a
    ``_`` suffix if one of them is a name of the expression (``unclaimed``)."""
    named = list(ev.nodes) if nodes else []
    hessian = [f"hess_{r}_{c}" for r, row in ev.hessian.items() for c in row] if ev.hessian is not None else []
    grads = len(ev.gradients) + 1
    results = unclaimed(["value", *(f"grad_{n}" for n in [*ev.gradients, *named]), *hessian],
                        {*ev.variables, *named})
    header = [*ev.variables, *results[:grads]]
    for name, grad in zip(named, results[grads:], strict=False):
        header += [name, grad]
    return header + results[grads + len(named):]


def csv_row(ev: Evaluation, nodes: bool) -> list[str]:
    row = [*map(number, ev.variables.values()), number(ev.value), *map(number, ev.gradients.values())]
    if nodes:
        for value, grad in ev.nodes.values():
            row += [number(value), number(grad)]
    if ev.hessian is not None:
        row += [number(v) for r in ev.hessian.values() for v in r.values()]
    return row


def write_csv(ev: Evaluation, out: TextIO, nodes: bool, delimiter: str = ",") -> None:
    out.write(csv_line(csv_header(ev, nodes), delimiter) + csv_line(csv_row(ev, nodes), delimiter))


def write_checks(expr: Any, results: dict[str, tuple[float, dict]], fmt: Format, out: TextIO,
                 digits: int = 6) -> None:
    """The gradient check: per variable analytic, numeric, error, ok. ``results`` is
    (value, checks) by output: one, named "" (the last statement), or each of --of."""
    if fmt is Format.table:
        from .tables import write_check_table  # lazily: only a table needs Rich

        for output, (value, checks) in results.items():
            write_check_table(output or expr.text(), value, checks, out, digits)
        return

    def data(value: float, checks: dict) -> dict[str, Any]:
        return {"value": json_number(value), "ok": all(c.ok for c in checks.values()),
                "checks": {name: {"analytic": json_number(c.analytic), "numeric": json_number(c.numeric),
                                  "error": json_number(c.error), "ok": c.ok} for name, c in checks.items()}}

    if list(results) == [""]:
        out.write(dumps({"expression": expr.source, **data(*results[""])}) + "\n")
        return
    found = {output: data(*result) for output, result in results.items()}
    out.write(dumps({"expression": expr.source, "ok": all(d["ok"] for d in found.values()), "outputs": found})
              + "\n")


def write_evaluation(ev: Evaluation, fmt: Format, out: TextIO, nodes: bool = False, title: str = "",
                     digits: int = 6) -> None:
    """Write one evaluation to ``out`` in ``fmt``."""
    if fmt is Format.table:
        # Rich is imported by the table alone: machine formats do not pay its import time.
        from .tables import write_table  # lazily: only a table needs Rich

        write_table(ev, out, nodes, title or ev.expression, digits)
    elif fmt is Format.json:
        write_json(ev, out, nodes)
    elif fmt is Format.jsonl:
        write_jsonl(ev, out, nodes)
    else:
        write_csv(ev, out, nodes, "," if fmt is Format.csv else "\t")


def jacobian_columns(outputs: list[str], variables: list[str]) -> list[str]:
    """The result columns of several outputs: each output's value, then du/dx per
    output and variable, output-major (a name of the program holds no '/')."""
    return [*outputs, *(f"d{o}/d{n}" for o in outputs for n in variables)]


def jacobian_data(variables: dict[str, float], values: dict[str, float],
                  rows: dict[str, dict[str, float]]) -> dict[str, Any]:
    """One point of several outputs, as JSON: the variables, the values, the Jacobian by output."""
    return {"variables": _json_numbers(variables), "values": _json_numbers(values),
            "jacobian": {o: _json_numbers(row) for o, row in rows.items()}}


def write_jacobian(jac: Any, fmt: Format, out: TextIO, title: str = "", digits: int = 6) -> None:
    """Several outputs at one point (``--of``): the values, then the Jacobian."""
    if fmt is Format.table:
        from .tables import write_jacobian_table  # lazily: only a table needs Rich

        write_jacobian_table(jac, out, title or jac.expression, digits)
        return
    data = jacobian_data(jac.variables, jac.values, jac.jacobian)
    if fmt is Format.json:
        out.write(dumps({"expression": jac.expression, **data}) + "\n")
    elif fmt is Format.jsonl:
        out.write(dumps(data) + "\n")
    else:
        delimiter = "," if fmt is Format.csv else "\t"
        row = [*jac.variables.values(), *jac.values.values(), *(g for r in jac.jacobian.values() for g in r.values())]
        out.write(csv_line([*jac.variables, *jacobian_columns(list(jac.values), list(jac.variables))], delimiter)
                  + csv_line(map(number, row), delimiter))


TABLE_LIMIT = 10_000  # points a batch may show as a table; beyond, use csv or jsonl


def _with_members(points: Iterator[str], members: list[str]) -> Iterator[str]:
    """JSON objects of points, each with its kept columns first (none: as they are)."""
    return (("{" + m + ", " + p[1:]) for m, p in zip(members, points, strict=True)) if members else points


class BatchWriter:
    """Streams a batch, a chunk of points at a time, in one format; each chunk is
    written whole (rows are never split between writes). The table collects
    its rows (up to ``TABLE_LIMIT``) and prints them at the end."""

    def __init__(self, expr: Any, fmt: Format, out: TextIO, digits: int = 6, of: list[str] | None = None,
                 keep: dict[str, Any] | None = None) -> None:
        self.expr, self.fmt, self.out, self.digits = expr, fmt, out, digits
        self.keep = keep or {}  # the columns passed through, first, by their Parquet type
        self.variables = list(expr.variables)
        self.outputs = list(dict.fromkeys(of)) if of else []  # several outputs: their values, then the Jacobian
        self.header = [*self.keep, *self.variables, *(jacobian_columns(self.outputs, self.variables) if self.outputs
                                          else result_columns(self.variables))]
        self.delimiter = "," if fmt is Format.csv else "\t"
        # One dumps for every key: a name (the grammar's NAME) holds no comma, space or quote to split at.
        self.keys = json.dumps(self.variables, ensure_ascii=False)[1:-1].split(", ") if self.variables else []
        self.first = True
        self.rows: list[list[float]] = []
        self.sink: Any = None
        if fmt is Format.parquet:  # a binary ``out``; pyarrow only on this path
            from ..points.parquet import ParquetSink  # lazily: only Parquet output needs pyarrow

            self.sink = ParquetSink(out, self.header, self.keep, expr)  # no name twice: see result_columns

    def _start(self) -> None:
        """What comes before the first point (once, even for no points)."""
        if self.fmt is Format.json:
            self.out.write(f'{{"expression": {json.dumps(self.expr.source, ensure_ascii=False)}, "points": [')
        elif self.fmt in (Format.csv, Format.tsv):
            self.out.write(csv_line(self.header, self.delimiter))
        self.first = False

    def write(self, columns: dict, value: Any, gradients: dict, kept: dict | None = None) -> None:
        """One chunk of points (numpy arrays; or plain floats, one point of the
        scalar engine), written with one ``write`` call; ``kept``: the columns passed through."""
        from ..points.kept import csv_cells, json_members  # lazily: a small module, --keep's

        kept = kept or {}
        separator = "\n" if self.first else ",\n"
        if self.first:
            self._start()
        if self.outputs:  # by output: {u: values}, {u: {x: du/dx}}
            one = isinstance(next(iter(value.values())), float)
            cols = [*(columns[n] for n in self.variables), *(value[o] for o in self.outputs),
                    *(gradients[o][n] for o in self.outputs for n in self.variables)]
        else:
            one = isinstance(value, float)
            cols = [*(columns[n] for n in self.variables), value, *(gradients[n] for n in self.variables)]
        listed: Callable[[Any], list[float]] = (lambda c: [c]) if one else (lambda c: c.tolist())
        if self.sink is not None:
            self.sink.write([*kept.values(), *cols])
        elif self.fmt in (Format.csv, Format.tsv):
            # Numbers never need quoting: a row is the texts joined.
            end = "\r\n" if self.delimiter == "," else "\n"
            rows = zip(*(csv_cells(k, self.delimiter) for k in kept.values()), *(map(repr, listed(c)) for c in cols),
                       strict=True)
            self._write_rows("".join([self.delimiter.join(row) + end for row in rows]))
        elif self.fmt is Format.jsonl:
            points = self._json_points(columns, value, gradients)
            self._write_rows("".join([p + "\n" for p in _with_members(points, json_members(kept))]))
        elif self.fmt is Format.json:
            points = self._json_points(columns, value, gradients)
            self._write_rows(separator + ",\n".join(_with_members(points, json_members(kept))))
        else:
            self.rows += [list(r) for r in zip(*(listed(c) for c in cols), strict=True)]
            if len(self.rows) > TABLE_LIMIT:
                raise UsageError(f"more than {TABLE_LIMIT:,} points to show as a table: "
                                 "use --format csv, tsv, jsonl or json")

    def _write_rows(self, text: str) -> None:
        """Whole rows: an output that can stop between them (see :mod:`autodiff_cli.cli.rows`) may."""
        getattr(self.out, "write_rows", self.out.write)(text)

    def _json_points(self, columns: dict, value: Any, gradients: dict) -> Iterator[str]:
        """One JSON object per point, written by template (``json.dumps`` per point
        is slow); numbers by :func:`json_number`'s rule, as ``json`` writes them.
        One point of plain floats (perhaps of 20,000 variables) goes through
        json's C encoder instead: the same text, faster."""
        if self.outputs:  # as --of at one point writes it, point by point (json's encoder)
            yield from self._jacobian_points(columns, value, gradients)
            return
        if isinstance(value, float):
            yield dumps({"variables": _json_numbers({n: columns[n] for n in self.variables}),
                          "value": json_number(value),
                          "gradients": _json_numbers({n: gradients[n] for n in self.variables})})
            return
        var_cols = [columns[n].tolist() for n in self.variables]
        grad_cols = [gradients[n].tolist() for n in self.variables]
        values = value.tolist()
        finite = math.isfinite

        def num(x: float) -> str:  # json_number's rule, inline: a call per number counts here
            return repr(x) if finite(x) else "null"

        for k, v in enumerate(values):
            vs = ", ".join([f"{key}: {num(col[k])}" for key, col in zip(self.keys, var_cols, strict=True)])
            gs = ", ".join([f"{key}: {num(col[k])}" for key, col in zip(self.keys, grad_cols, strict=True)])
            yield f'{{"variables": {{{vs}}}, "value": {num(v)}, "gradients": {{{gs}}}}}'

    def _jacobian_points(self, columns: dict, value: dict, gradients: dict) -> Iterator[str]:
        one = isinstance(next(iter(value.values())), float)
        size = 1 if one else len(next(iter(value.values())))
        at = (lambda c, k: c) if one else (lambda c, k: float(c[k]))
        for k in range(size):
            yield dumps(jacobian_data({n: at(columns[n], k) for n in self.variables},
                                       {o: at(value[o], k) for o in self.outputs},
                                       {o: {n: at(gradients[o][n], k) for n in self.variables} for o in self.outputs}))

    def abort(self) -> None:
        """After a failure: let go of what the format holds open (nothing once closed)."""
        if self.sink is not None:
            self.sink.abort()

    def close(self) -> None:
        self.empty = self.first
        if self.first:
            self._start()
        if self.sink is not None:
            self.sink.close()
        elif self.fmt is Format.json:
            self.out.write("]}\n" if self.empty else "\n]}\n")
        elif self.fmt is Format.table:
            from .tables import write_batch_table  # lazily: only a table needs Rich

            write_batch_table(self.expr.text(), self.header, self.rows, self.out, self.digits)
