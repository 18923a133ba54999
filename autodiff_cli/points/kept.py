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
    return str(cell)  # a date, a decimal: its usual text


def json_text(cell: Any) -> str:
    """A cell as a JSON value (a non-finite number is null, as in every JSON output)."""
    if isinstance(cell, float) and not math.isfinite(cell):
        return "null"
    return json.dumps(cell, ensure_ascii=False, default=str)


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
