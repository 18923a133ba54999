"""Reading batch points from a file or standard input: opening it, and the
single-point shortcut (a file that holds one point is evaluated by the scalar
engine, without numpy)."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any


def where(path: str | None) -> str:
    return "standard input" if path == "-" else str(path)


def open_input(path: str) -> Any:
    from .errors import UsageError

    if path == "-":
        return sys.stdin
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise UsageError(f"cannot read {path!r}: {getattr(exc, 'strerror', None) or exc}") from None


class Replay:
    """A text stream whose first lines were already read: reads them again, then the rest."""

    def __init__(self, prefix: str, rest: Any) -> None:
        self.prefix, self.rest = prefix, rest

    def read(self, size: int = -1) -> str:
        if size < 0:
            text, self.prefix = self.prefix + self.rest.read(), ""
            return text
        if not self.prefix:
            return self.rest.read(size)
        text, self.prefix = self.prefix[:size], self.prefix[size:]
        return text

    def readline(self) -> str:
        if self.prefix:
            line, nl, tail = self.prefix.partition("\n")
            self.prefix = tail
            return line + nl if nl else line + self.rest.readline()
        return self.rest.readline()

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def single_point(stream: Any, where: str) -> tuple[dict[str, float] | None, Any]:
    """The point, if the input holds exactly one (a JSON object, a one-object
    array, or a CSV header and one row), and a stream that reads the input again
    from its start (for the array path when it holds more)."""
    import json

    from .arguments import as_number
    from .errors import UsageError

    lines: list[str] = []
    filled = 0  # lines that are not blank
    try:
        while filled < 3:
            line = stream.readline()
            if not line:
                break
            lines.append(line)
            filled += not line.isspace()
        text = "".join(lines)
        stripped = text.strip()
        at_end = filled < 3
        if stripped.startswith("["):
            text += stream.read()
            stripped, at_end = text.strip(), True
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text") from None
    replay = Replay(text, stream)
    point: Any = None
    try:
        if at_end and stripped.startswith("{") and len(stripped.splitlines()) == 1:
            point = json.loads(stripped)
        elif at_end and stripped.startswith("["):
            rows = json.loads(stripped)
            point = rows[0] if isinstance(rows, list) and len(rows) == 1 else None
        elif at_end and stripped and not stripped.startswith(("{", "[")):
            rows = [ln for ln in stripped.splitlines() if ln.strip()]
            if len(rows) == 2:
                import csv

                dialect = "excel-tab" if "\t" in rows[0] and "," not in rows[0] else "excel"
                header, values = csv.reader(rows, dialect=dialect)
                if len(header) == len(values):
                    point = dict(zip((h.strip() for h in header), values, strict=True))
    except (json.JSONDecodeError, ValueError):
        point = None
    if not isinstance(point, dict) or not point:
        return None, replay
    try:
        if set(map(type, point.values())) == {float}:  # JSON numbers: nothing to convert
            return point, replay
        return {k: as_number(v) for k, v in point.items()}, replay
    except (TypeError, ValueError):
        return None, replay  # the array path reports it, with its line number
