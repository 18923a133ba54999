"""Every output format in one place: one ``Format`` enum and one writer per format.

Machine formats print numbers in the shortest form that round-trips
(``repr(float)``), keys and columns in order of first appearance. Non-finite
numbers (``--ieee`` only) are ``null`` in JSON and ``inf``/``-inf``/``nan`` in
CSV/TSV.
"""

from __future__ import annotations

import json
import math
from enum import Enum

from .expression import Evaluation

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"


def number(x: float) -> str:
    """Shortest round-trip text of a float: ``-8.0``, ``1e-05``, ``inf``, ``nan``."""
    return repr(float(x))


def json_number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _json_numbers(numbers: dict[str, float]) -> dict[str, float | None]:
    if all(map(math.isfinite, numbers.values())):  # the usual case: nothing to replace
        return numbers  # type: ignore[return-value]
    return {k: json_number(v) for k, v in numbers.items()}


def point_data(ev: Evaluation, intermediates: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variables": _json_numbers(ev.variables),
        "value": json_number(ev.value),
        "gradients": _json_numbers(ev.gradients),
    }
    if intermediates:
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


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def write_json(ev: Evaluation, out: TextIO, intermediates: bool) -> None:
    point = point_data(ev, intermediates)
    data = {"expression": ev.expression, "value": point.pop("value"), **point}
    out.write(_dumps(data) + "\n")


def write_jsonl(ev: Evaluation, out: TextIO, intermediates: bool) -> None:
    out.write(_dumps(point_data(ev, intermediates)) + "\n")


def csv_header(ev: Evaluation, intermediates: bool) -> list[str]:
    header = [*ev.variables, "value", *(f"grad_{k}" for k in ev.gradients)]
    if intermediates:
        for name in ev.nodes:
            header += [name, f"grad_{name}"]
    if ev.hessian is not None:
        header += [f"hess_{r}_{c}" for r, row in ev.hessian.items() for c in row]
    return header


def csv_row(ev: Evaluation, intermediates: bool) -> list[str]:
    row = [*map(number, ev.variables.values()), number(ev.value), *map(number, ev.gradients.values())]
    if intermediates:
        for value, grad in ev.nodes.values():
            row += [number(value), number(grad)]
    if ev.hessian is not None:
        row += [number(v) for r in ev.hessian.values() for v in r.values()]
    return row


def write_csv(ev: Evaluation, out: TextIO, intermediates: bool, delimiter: str = ",") -> None:
    # RFC 4180: CRLF line ends, quoting only where needed (a name never needs it, but be safe).
    import csv

    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if delimiter == "," else "\n")
    writer.writerow(csv_header(ev, intermediates))
    writer.writerow(csv_row(ev, intermediates))


def write_checks(expression: str, value: float, checks: dict, fmt: Format, out: TextIO, digits: int = 6) -> None:
    """The gradient check: per variable analytic, numeric, error, ok."""
    if fmt is Format.table:
        from .tables import write_check_table

        write_check_table(expression, value, checks, out, digits)
        return
    ok = all(c.ok for c in checks.values())
    data = {"expression": expression, "value": json_number(value), "ok": ok,
            "checks": {name: {"analytic": json_number(c.analytic), "numeric": json_number(c.numeric),
                              "error": json_number(c.error), "ok": c.ok} for name, c in checks.items()}}
    out.write(_dumps(data) + "\n")


def write_derivatives(expression: str, derivatives: dict[str, str], fmt: str, out: TextIO) -> None:
    """Symbolic derivatives: the bare expression for one variable, else ``d/dNAME = EXPR`` lines."""
    if fmt == "json":
        out.write(_dumps({"expression": expression, "derivatives": derivatives}) + "\n")
    elif len(derivatives) == 1:
        out.write(next(iter(derivatives.values())) + "\n")
    else:
        out.writelines(f"d/d{name} = {text}\n" for name, text in derivatives.items())


def render(ev: Evaluation, fmt: Format, out: TextIO, intermediates: bool = False, title: str = "",
           digits: int = 6) -> None:
    """Write one evaluation to ``out`` in ``fmt``."""
    if fmt is Format.table:
        # Rich is imported by the table alone: machine formats do not pay its import time.
        from .tables import write_table

        write_table(ev, out, intermediates, title or ev.expression, digits)
    elif fmt is Format.json:
        write_json(ev, out, intermediates)
    elif fmt is Format.jsonl:
        write_jsonl(ev, out, intermediates)
    else:
        write_csv(ev, out, intermediates, "," if fmt is Format.csv else "\t")


TABLE_LIMIT = 10_000  # points a batch may show as a table; beyond, use csv or jsonl


class BatchWriter:
    """Streams a batch, a chunk of points at a time, in one format; each chunk is
    written whole (rows are never split between writes). The table collects
    its rows (up to ``TABLE_LIMIT``) and prints them at the end."""

    def __init__(self, expr: Any, fmt: Format, out: TextIO, digits: int = 6) -> None:
        self.expr, self.fmt, self.out, self.digits = expr, fmt, out, digits
        self.variables = list(expr.variables)
        self.header = [*self.variables, "value", *(f"grad_{n}" for n in self.variables)]
        self.delimiter = "," if fmt is Format.csv else "\t"
        self.first = True
        self.rows: list[list[float]] = []

    def _start(self) -> None:
        """What comes before the first point (once, even for no points)."""
        if self.fmt is Format.json:
            self.out.write(f'{{"expression": {json.dumps(self.expr.source, ensure_ascii=False)}, "points": [\n')
        elif self.fmt in (Format.csv, Format.tsv):
            from .batch import stream_csv

            stream_csv(self.header, [], self.out, self.delimiter, True)
        self.first = False

    def write(self, columns: dict, value: Any, gradients: dict) -> None:
        from .batch import json_points, stream_csv

        out = self.out
        separator = "" if self.first else ",\n"
        if self.first:
            self._start()
        cols = [*(columns[n] for n in self.variables), value, *(gradients[n] for n in self.variables)]
        if self.fmt in (Format.csv, Format.tsv):
            stream_csv(self.header, cols, out, self.delimiter, False)
        elif self.fmt is Format.jsonl:
            out.write("\n".join(json_points(self.variables, columns, value, gradients)) + "\n")
        elif self.fmt is Format.json:
            out.write(separator + ",\n".join(json_points(self.variables, columns, value, gradients)))
        else:
            from .errors import UsageError

            self.rows += [list(r) for r in zip(*(c.tolist() for c in cols), strict=True)]
            if len(self.rows) > TABLE_LIMIT:
                raise UsageError(f"more than {TABLE_LIMIT:,} points to show as a table: "
                                 "use --format csv, tsv, jsonl or json")

    def close(self) -> None:
        if self.first:
            self._start()
        if self.fmt is Format.json:
            self.out.write("\n]}\n")
        elif self.fmt is Format.table:
            from .tables import write_batch_table

            write_batch_table(self.expr.text(limit=70), self.header, self.rows, self.out, self.digits)
