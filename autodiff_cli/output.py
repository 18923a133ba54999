"""Every output format in one place: one ``Format`` enum and one writer per format.

Machine formats print numbers in the shortest form that round-trips
(``repr(float)``), keys and columns in order of first appearance. Non-finite
numbers (``--ieee`` only) are ``null`` in JSON and ``inf``/``-inf``/``nan`` in
CSV/TSV.
"""

from __future__ import annotations

import csv
import json
import math
from enum import Enum
from typing import Any, TextIO

from .expression import Evaluation


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


def _point(ev: Evaluation, intermediates: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variables": {k: json_number(v) for k, v in ev.variables.items()},
        "value": json_number(ev.value),
        "gradients": {k: json_number(v) for k, v in ev.gradients.items()},
    }
    if intermediates:
        data["nodes"] = {k: {"value": json_number(v), "gradient": json_number(g)}
                         for k, (v, g) in ev.nodes.items()}
    return data


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def write_json(ev: Evaluation, out: TextIO, intermediates: bool) -> None:
    point = _point(ev, intermediates)
    data = {"expression": ev.expression, "value": point.pop("value"), **point}
    out.write(_dumps(data) + "\n")


def write_jsonl(ev: Evaluation, out: TextIO, intermediates: bool) -> None:
    out.write(_dumps(_point(ev, intermediates)) + "\n")


def csv_header(ev: Evaluation, intermediates: bool) -> list[str]:
    header = [*ev.variables, "value", *(f"grad_{k}" for k in ev.gradients)]
    if intermediates:
        for name in ev.nodes:
            header += [name, f"grad_{name}"]
    return header


def csv_row(ev: Evaluation, intermediates: bool) -> list[str]:
    row = [*map(number, ev.variables.values()), number(ev.value), *map(number, ev.gradients.values())]
    if intermediates:
        for value, grad in ev.nodes.values():
            row += [number(value), number(grad)]
    return row


def write_csv(ev: Evaluation, out: TextIO, intermediates: bool, delimiter: str = ",") -> None:
    # RFC 4180: CRLF line ends, quoting only where needed (a name never needs it, but be safe).
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if delimiter == "," else "\n")
    writer.writerow(csv_header(ev, intermediates))
    writer.writerow(csv_row(ev, intermediates))


def write_table(ev: Evaluation, out: TextIO, intermediates: bool, title: str) -> None:
    # Rich is imported here only: machine formats do not pay its import time.
    from rich import box
    from rich.console import Console
    from rich.table import Table

    heading = f"{title} = {number(ev.value)}"
    table = Table(title=heading, box=box.SIMPLE_HEAD, title_justify="left", min_width=min(len(heading) + 2, 100))
    table.add_column("variable", style="bold")
    table.add_column("value", justify="right")
    table.add_column("gradient", justify="right", style="cyan")
    for name, value in ev.variables.items():
        table.add_row(name, number(value), number(ev.gradients[name]))
    if intermediates and ev.nodes:
        table.add_section()
        for name, (value, grad) in ev.nodes.items():
            table.add_row(f"{name} (node)", number(value), number(grad), style="dim")
    Console(file=out, highlight=False, soft_wrap=False).print(table)


def render(ev: Evaluation, fmt: Format, out: TextIO, intermediates: bool = False, title: str = "") -> None:
    """Write one evaluation to ``out`` in ``fmt``."""
    if fmt is Format.table:
        write_table(ev, out, intermediates, title or ev.expression)
    elif fmt is Format.json:
        write_json(ev, out, intermediates)
    elif fmt is Format.jsonl:
        write_jsonl(ev, out, intermediates)
    else:
        write_csv(ev, out, intermediates, "," if fmt is Format.csv else "\t")
