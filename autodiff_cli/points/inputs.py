"""Reading batch points from a file or standard input: opening it, reading it
within the input bound (a file that never ends, ``/dev/zero``, is an error, not
a process that grows without bound), JSON the way points need it, and the
single-point shortcut (a file that holds one point is evaluated by the scalar
engine, without numpy)."""

from __future__ import annotations

import io
import json
import os
import sys

from ..base.errors import PATH_LIMIT, NotOneFileError, UsageError, quoted
from ..core.values import as_number, lenient_cells, max_input, not_a_name, number_text, plain_name, too_long

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any


SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "json",
            ".parquet": "parquet", ".parq": "parquet", ".pq": "parquet"}
"""The format of a batch file by its suffix: the one table, for input and output alike."""


def is_url(path: str | None) -> bool:
    """Whether ``path`` names an object store (``s3://bucket/key``) rather than a local file."""
    return bool(path) and "://" in path and path.split("://", 1)[0].replace("+", "").replace(".", "").replace(
        "-", "").isalnum()  # type: ignore[union-attr]


def where(path: str | None) -> str:
    return "standard input" if path == "-" else quoted(str(path), PATH_LIMIT)


def parquet_input(path: str) -> bool:
    """Whether the input is a Parquet file: by its name (``.parquet``, ``.parq``,
    ``.pq``) or its first four bytes (``PAR1``). Standard input cannot be one:
    a Parquet file's index is at its end."""
    magic = b"PAR1"
    if path == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is not None and hasattr(buffer, "peek") and buffer.peek(4)[:4] == magic:
            raise UsageError("standard input holds Parquet, which is read from a file only "
                             "(its index is at its end): give the file's name")
        return False
    if SUFFIXES.get(os.path.splitext(path)[1].lower()) == "parquet":
        return True
    if is_url(path):
        from .store import Store  # lazily: only an object store's URL needs pyarrow

        with Store(path).open_input() as f:
            return f.read(4) == magic
    try:
        with open(path, "rb") as f:
            return f.read(4) == magic
    except (OSError, ValueError):
        return False  # reported where the file is opened as text


def one_file(path: str) -> None:
    """Refuses a directory or a glob (a dataset): one process reads one file; and
    an object store's missing bucket or object, or its prefix (a dataset too)."""
    if is_url(path):
        from .store import Store  # lazily: only an object store's URL needs pyarrow

        store = Store(path)
        kind = store.kind()
        if kind == "missing":
            raise store.missing()
        if kind == "directory":
            raise NotOneFileError(f"{where(path)} is a prefix (a directory)")
        return
    if path == "-" or os.path.isfile(path):
        return
    if os.path.isdir(path):
        raise NotOneFileError(f"{where(path)} is a directory")
    if not os.path.exists(path) and any(c in path for c in "*?["):
        raise NotOneFileError(f"{where(path)} is a glob, which names no one file")


def open_input(path: str) -> Any:
    """The input as text: UTF-8, a byte-order mark skipped (on standard input too),
    line ends kept as they are (CSV needs them)."""
    if path == "-":
        if not hasattr(sys.stdin, "buffer"):
            return sys.stdin
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
    if is_url(path):
        from .store import Store  # lazily: only an object store's URL needs pyarrow

        return io.TextIOWrapper(Store(path).open_input(), encoding="utf-8-sig", newline="")
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise UsageError(f"cannot read {where(path)}: {getattr(exc, 'strerror', None) or exc}") from None


def read_line(stream: Any, where: str, number: int, limit: int) -> str:
    """Line ``number`` of the input (``""`` at its end), at most ``limit`` characters."""
    try:
        line = stream.readline(limit + 1)
    except UnicodeDecodeError:
        raise UsageError(f"{where}: not UTF-8 text (at or after line {number})") from None
    if len(line) > limit:
        raise too_long(f"{where}, line {number}", limit, "characters")
    return line


def read_rest(stream: Any, where: str, limit: int) -> str:
    """All that is left of the input, at most ``limit`` characters."""
    try:
        text = stream.read(limit + 1)
    except UnicodeDecodeError:
        raise UsageError(f"{where} is not UTF-8 text") from None
    if len(text) > limit:
        raise too_long(where, limit, "characters")
    return text


class DuplicateKeyError(ValueError):
    """A JSON object with a key twice (the point would silently take the last)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the name {quoted(name)} appears twice")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    point = dict(pairs)
    if len(point) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKeyError(key)
            seen.add(key)
    return point


def _cells(point: dict[str, str], where: str, text: str) -> None:
    """Refuses the first cell of a one-row CSV that is no number (``1_000``), naming its line and column."""
    line = [k for k, ln in enumerate(text.splitlines(), 1) if ln.strip()][1]
    for name, cell in point.items():
        try:
            number_text(cell)
        except ValueError as exc:
            raise UsageError(f"{where}, line {line}, column {quoted(name)}: {exc}") from None


RESULT_KEYS = {"variables", "value", "gradients"}
"""The keys of a point that ``--format jsonl`` writes: read back, its ``variables`` are the point."""


def _points(value: Any) -> Any:
    """A JSON value as points: an object autodiff wrote (``{"variables": {...},
    "value": ..., "gradients": {...}}``) is its variables, so that ``--format
    jsonl`` output is an input too (its results computed anew, as CSV's are)."""
    if type(value) is dict:
        if len(value) == 3 and value.keys() == RESULT_KEYS and type(value["variables"]) is dict:
            return value["variables"]
        return value
    if type(value) is list and value and type(value[0]) is dict and value[0].keys() == RESULT_KEYS:
        return [_points(row) for row in value]
    return value


def load_json(text: str, where: str) -> Any:
    """JSON as points need it: integers of any size read as floats (``1e400`` is
    inf, as in CSV), a key given twice refused (:class:`DuplicateKeyError`), nesting
    beyond the parser's depth a usage error. Invalid JSON raises JSONDecodeError."""
    try:
        if text.lstrip().startswith("{"):
            # The usual flat object: one colon per key, then no key was given twice
            # (checked at C speed; the hook below costs a fifth of the parse).
            value = json.loads(text, parse_int=float)
            if isinstance(value, dict) and text.count(":") == len(value):
                return value
        return _points(json.loads(text, parse_int=float, object_pairs_hook=_unique))
    except RecursionError:
        raise UsageError(f"{where}: JSON nested too deeply (a point is one object of numbers; "
                         "the bound is the JSON parser's, about 1,000 levels, fixed)") from None


class Replay:
    """A text stream whose first lines were already read: reads them again, then the rest."""

    def __init__(self, prefix: str, rest: Any) -> None:
        self.prefix, self.rest = prefix, rest

    def read(self, size: int = -1) -> str:
        if size < 0:
            text, self.prefix = self.prefix + self.rest.read(), ""
            return text
        text, self.prefix = self.prefix[:size], self.prefix[size:]
        return text + (self.rest.read(size - len(text)) if len(text) < size else "")

    def readline(self, size: int = -1) -> str:
        if not self.prefix:
            return self.rest.readline(size)
        end = self.prefix.find("\n") + 1 or len(self.prefix)
        if size >= 0:
            end = min(end, size)
        line, self.prefix = self.prefix[:end], self.prefix[end:]
        if line.endswith("\n") or self.prefix or len(line) == size:
            return line
        return line + self.rest.readline(size - len(line) if size >= 0 else -1)


def single_point(stream: Any, where: str) -> tuple[dict[str, float] | None, Any]:
    """The point, if the input holds exactly one (a JSON object, a one-object
    array, or a CSV header and one row), and a stream that reads the input again
    from its start (for the array path when it holds more)."""
    limit = max_input()
    text, at_end = _head(stream, where, limit)
    stripped = text.strip()
    if stripped.startswith("["):
        text += read_rest(stream, where, limit)
        stripped, at_end = text.strip(), True
    replay = Replay(text, stream)
    point, csv_row = _one_point(stripped, where) if at_end else (None, False)
    point = _named(point)
    if point is None:
        return None, replay  # the array path reads it again, and reports what is wrong
    try:
        kinds = set(map(type, point.values()))
        if kinds == {float}:  # JSON numbers: nothing to convert
            return point, replay
        if csv_row:  # converted at C speed (a million columns)
            if lenient_cells(point.values()):
                _cells(point, where, text)
            return dict(zip(point, map(float, point.values()), strict=True)), replay
    except (TypeError, ValueError):
        return None, replay  # the array path reports it, with its line number
    return _json_numbers(point, where, "line 1" if stripped.startswith("{") else "point 1"), replay


def _head(stream: Any, where: str, limit: int) -> tuple[str, bool]:
    """The input's first lines, up to its third that is not blank, and whether
    they are all of it (a point and a header at most: two such lines)."""
    lines: list[str] = []
    filled = 0  # lines that are not blank
    total = 0
    while filled < 3:
        line = read_line(stream, where, len(lines) + 1, limit)
        if not line:
            break
        lines.append(line)
        filled += not line.isspace()
        total += len(line)
        if total > limit:  # blank lines without end
            raise too_long(where, limit, "characters")
    return "".join(lines), filled < 3


def _one_point(stripped: str, where: str) -> tuple[Any, bool]:
    """The one point of a whole input (a one-line JSON object, a one-object array,
    a CSV header and one row), else None; and whether it is a CSV row (text cells,
    not JSON values). Anything invalid is None: the array path reports it."""
    import csv  # lazily: only a CSV input with one point comes here

    try:
        if stripped.startswith("{") and len(stripped.splitlines()) == 1:
            return load_json(stripped, where), False
        if stripped.startswith("["):
            rows = load_json(stripped, where)
            return (rows[0] if isinstance(rows, list) and len(rows) == 1 else None), False
        if stripped and not stripped.startswith("{"):
            rows = [ln for ln in stripped.splitlines() if ln.strip()]
            if len(rows) == 2:
                dialect = "excel-tab" if "\t" in rows[0] and "," not in rows[0] else "excel"
                header, values = csv.reader(rows, dialect=dialect)
                names = [h.strip() for h in header]
                if len(header) == len(values) and len(set(names)) == len(names):
                    return dict(zip(names, values, strict=True)), True
    except (ValueError, csv.Error):  # JSONDecodeError and DuplicateKeyError are ValueErrors
        pass
    return None, False


def _named(point: Any) -> dict[str, Any] | None:
    """The point with its names as the language reads them (a name ﬁ is the variable
    fi), or None when it is no non-empty object of names, or two keys are one name:
    the array path reports it."""
    if not isinstance(point, dict) or not point:
        return None
    if not_a_name(list(point)) is not None:
        return None  # a key that is no name (control characters, say)
    if not all(map(str.isascii, point)):
        plain = {plain_name(k): v for k, v in point.items()}
        if len(plain) != len(point):
            return None  # ﬁ and fi: one name twice
        return plain
    return point


def _json_numbers(point: dict[str, Any], where: str, place: str) -> dict[str, float]:
    """A JSON point's values as numbers: a string, a boolean or null is no number."""
    for name, v in point.items():
        try:
            as_number(v)
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{where}, {place}: values must be numbers ({quoted(name)}: {exc})") from None
    return {k: as_number(v) for k, v in point.items()}
