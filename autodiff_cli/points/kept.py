"""Columns a batch passes through to its output unchanged (key columns: an
``id`` to join the results back on), which are no variables: their cells as
read (CSV text, JSON values, Arrow arrays of any type), written back in each
format. Only the variables are read as numbers."""

from __future__ import annotations

import json
import math
from typing import Any

STRING = "string"
"""The type of a kept column read from text (CSV, JSON): its Arrow type in Parquet output."""


def cells(column: Any) -> list[Any]:
    """A kept column's cells as Python values (an Arrow array's, null as None)."""
    to_pylist = getattr(column, "to_pylist", None)
    return to_pylist() if to_pylist is not None else list(column)


def _text(cell: Any) -> str:
    """A cell as CSV text: text as it is, null empty, a number as JSON writes it."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, bool | int | float | list | dict):
        return json_text(cell)
    return _other(cell)


def _other(cell: Any) -> str:
    """A value that neither CSV nor JSON has as such, as text: bytes in base64 (as
    BigQuery and Spark's JSON write them), a duration in ISO 8601 (``P1DT0H0M3.5S``,
    as pandas' ``Timedelta.isoformat``), a date, a time or a decimal as its usual text."""
    import datetime  # lazily: only such a cell needs it

    if isinstance(cell, bytes | bytearray | memoryview):
        import base64  # lazily: only a binary cell needs it

        return base64.b64encode(bytes(cell)).decode("ascii")
    if isinstance(cell, datetime.timedelta):
        return _iso_duration(cell)
    if isinstance(cell, datetime.datetime | datetime.date | datetime.time):
        return cell.isoformat()
    return str(cell)


def _iso_duration(cell: Any) -> str:
    """A duration in ISO 8601, to the nanosecond (pandas' form: every unit written)."""
    nanos = (cell.days * 86_400 + cell.seconds) * 10**9 + cell.microseconds * 1000 + getattr(cell, "nanoseconds", 0)
    sign, nanos = ("-", -nanos) if nanos < 0 else ("", nanos)
    days, nanos = divmod(nanos, 86_400 * 10**9)
    hours, nanos = divmod(nanos, 3_600 * 10**9)
    minutes, nanos = divmod(nanos, 60 * 10**9)
    seconds, fraction = divmod(nanos, 10**9)
    text = f"{seconds}.{fraction:09d}".rstrip("0").rstrip(".") if fraction else str(seconds)
    return f"{sign}P{days}DT{hours}H{minutes}M{text}S"


def json_text(cell: Any) -> str:
    """A cell as a JSON value (a non-finite number is null, as in every JSON output)."""
    if isinstance(cell, float) and not math.isfinite(cell):
        return "null"
    return json.dumps(cell, ensure_ascii=False, default=_other)


def csv_cells(column: Any, delimiter: str) -> list[str]:
    """A kept column as CSV (or TSV) cells, each quoted only where it must be (RFC 4180)."""
    texts = [_text(c) for c in cells(column)]
    return ['"' + t.replace('"', '""') + '"' if any(ch in t for ch in (delimiter, '"', "\n", "\r")) else t
            for t in texts]


def json_members(kept: dict[str, Any]) -> list[str]:
    """Per point, the kept columns as the members of a JSON object (``"id": 17``)."""
    columns = [[f"{json.dumps(name, ensure_ascii=False)}: {json_text(c)}" for c in cells(column)]
               for name, column in kept.items()]
    return [", ".join(members) for members in zip(*columns, strict=True)]


def text_column(column: Any) -> list[str | None]:
    """A kept column read from text, for Parquet: strings, null kept, other JSON values as JSON text."""
    return [c if c is None or isinstance(c, str) else json_text(c) for c in cells(column)]
