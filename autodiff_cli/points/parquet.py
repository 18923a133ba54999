"""Parquet files of points, read as chunks of points a run of row groups at a
time and written a chunk at a time (gathered into row groups), so that memory
stays bounded whatever the size. (Which input is Parquet: ``inputs.parquet_input``.)

Every column is float64, as in the other formats; columns of integers or
booleans are read as numbers, and missing values (null) as nan. pyarrow is the
``cluster`` extra's, imported here only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from typing import Any, BinaryIO

import numpy as np

from ..base.errors import UsageError, quoted, shortened
from ..core.values import plain_name, repeated
from .batch import CHUNK, Points, check_kept
from .columns import arrow_numbers, as_float64, require
from .hive import dataset_keys, key_number, repeated_column
from .inputs import is_url
from .kept import STRING, text_column

READ_RUN = 1 << 20
"""Rows read per run of row groups (see :func:`batches`)."""
ROW_GROUP = 1 << 20
"""Rows per row group written: chunks are gathered up to this many (72 MiB for
nine columns), since a row group per chunk writes 2.2 times slower."""


def reason(exc: BaseException, limit: int = 200) -> str:
    """What went wrong, for a one-line message: an OS error's own words, else the
    first line of pyarrow's (which may run to several, blank ones too), shortened."""
    text = getattr(exc, "strerror", None) or next((ln.strip() for ln in str(exc).splitlines() if ln.strip()),
                                                  type(exc).__name__)
    return shortened(text, limit)


def _open(path: str, where: str) -> Any:
    pq = require("pyarrow.parquet", "Reading Parquet")
    import pyarrow as pa  # lazily: pyarrow costs start-up time; only Parquet needs it

    try:
        if is_url(path):
            from .store import Store  # lazily: only an object store's URL comes here

            return pq.ParquetFile(Store(path).open_input(random=True))
        return pq.ParquetFile(path)
    except OSError as exc:
        raise UsageError(f"cannot read {where}: {reason(exc)}") from None
    except (pa.ArrowException, ValueError) as exc:
        raise UsageError(f"cannot read {where}: not a Parquet file ({reason(exc)})") from None


def batches(source: Any, groups: Iterable[int], chunk: int = CHUNK) -> Iterator[Any]:
    """The record batches of row groups ``groups`` of a ``ParquetFile``, a run
    of row groups (about ``READ_RUN`` rows) at a time: one reader over the
    whole file holds on to what it read (300 MiB after 6 million points of four
    columns, 156 MiB this way), and small row groups still give whole chunks."""
    run: list[int] = []
    rows = 0
    for group in groups:
        run.append(group)
        rows += source.metadata.row_group(group).num_rows
        if rows >= READ_RUN:
            yield from source.iter_batches(batch_size=chunk, row_groups=run)
            run, rows = [], 0
    if run:
        yield from source.iter_batches(batch_size=chunk, row_groups=run)


def parquet_points(path: str, where: str, chunk: int = CHUNK, keep: tuple[str, ...] = (),
                   check: Callable[[list[str]], None] | None = None, wanted: Container[str] = ()) -> Iterator[Points]:
    """The file's points, ``chunk`` at a time; a file of no rows still gives one
    (empty) chunk. The columns ``keep`` stay Arrow arrays, of their own type;
    ``check`` is given the others' names before any is read. The ``key=value``
    directories of the file's path (Hive partitions) that name a variable or a
    column to keep (``wanted``) are columns too."""
    source = _open(path, where)
    keys, types = path_keys(path, wanted)
    numbers = {n: key_number(n, v, path) for n, v in keys.items() if n not in keep}
    import pyarrow as pa  # lazily: pyarrow costs start-up time; only Parquet needs it

    schema = source.schema_arrow
    plain = [plain_name(n) for n in schema.names]  # a column ﬁ is the variable fi
    index = {n: k for k, n in enumerate(plain)}
    names = [*plain, *keys]
    twice = repeated(names)
    if twice is not None:
        raise UsageError(f"{where}: the column {quoted(twice)} appears twice")
    check_kept(names, list(keep), where)
    numeric = [(k, n) for k, n in enumerate(plain) if n not in keep]
    if check is not None:
        check([*(n for _, n in numeric), *numbers])
    if wanted:  # only the variables are read as numbers: a result column (ignored) may hold anything
        numeric = [(k, n) for k, n in numeric if n in wanted]
    seen = 0
    try:
        for batch in batches(source, range(source.num_row_groups), chunk):
            if batch.num_rows:
                seen += batch.num_rows
                yield Points({**{n: as_float64(batch.column(k), n, where) for k, n in numeric}, **numbers},
                             batch.num_rows, {n: repeated_column(keys[n], types[n], batch.num_rows) if n in keys
                                              else batch.column(index[n]) for n in keep})
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"cannot read {where}: {reason(exc)}") from None
    if not seen:
        yield Points({n: np.empty(0) for n in [*(n for _, n in numeric), *numbers]}, 0,
                     {n: pa.array([], type=types[n] if n in keys else schema.field(index[n]).type) for n in keep})


def kept_types(path: str, keep: tuple[str, ...]) -> dict[str, Any]:
    """The Arrow types of the columns ``keep`` of the Parquet file at ``path`` (from
    its footer, or its path's ``key=value`` directories)."""
    if not keep:
        return {}
    schema = _open(path, quoted(path)).schema_arrow
    _, types = path_keys(path, keep)
    index = {plain_name(n): k for k, n in enumerate(schema.names)}  # as parquet_points names them
    return {n: types[n] if n in types else schema.field(index[n]).type for n in keep if n in types or n in index}


def path_keys(path: str, wanted: Container[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``key=value`` directories of a lone file's path that name one of ``wanted``
    (a variable, a column to keep), and their Arrow types; others are no columns:
    a file's path is not a dataset's layout."""
    keys = dataset_keys([path], None)
    found = {k: v for k, v in keys.of(path).items() if k in wanted}
    return found, {k: keys.types[k] for k in found}


def about(expr: Any) -> dict[str, str]:
    """What made a file, in its Parquet metadata: the expression, its variables and the
    tool's version (``pq.read_schema(path).metadata``)."""
    package = sys.modules[__name__.split(".")[0]]  # loaded before any of its modules: its version
    return {"autodiff.expression": expr.source, "autodiff.variables": json.dumps(list(expr.variables)),
            "autodiff.version": package.__version__}


class ParquetSink:
    """Writes chunks of float64 columns to a binary stream as one Parquet file,
    ``ROW_GROUP`` rows to a row group; the footer is written by :meth:`close`.
    ``kept``: the Arrow type of each column passed through (``STRING``: text
    read from CSV or JSON), written as it came."""

    def __init__(self, out: BinaryIO, names: list[str], kept: Mapping[str, Any] | None = None,
                 expression: Any = None) -> None:
        pq = require("pyarrow.parquet", "Writing Parquet")
        import pyarrow as pa  # lazily: pyarrow costs start-up time; only Parquet needs it

        self.pa = pa
        kept = {n: pa.string() if t == STRING else t for n, t in (kept or {}).items()}
        self.schema = pa.schema([pa.field(n, kept.get(n, pa.float64())) for n in names],
                                metadata=about(expression) if expression is not None else None)
        self.writer = pq.ParquetWriter(out, self.schema)
        self.pending: list[Any] = []
        self.rows = 0

    def write(self, columns: list[Any]) -> None:
        pa = self.pa
        arrays = [self._array(c, field) for c, field in zip(columns, self.schema, strict=True)]
        self.pending.append(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self.rows += len(arrays[0]) if arrays else 0
        if self.rows >= ROW_GROUP:
            self._flush()

    def _array(self, column: Any, field: Any) -> Any:
        pa, kind = self.pa, field.type
        if isinstance(column, pa.Array):  # a kept column of a Parquet input: as it was read
            if column.type == kind:
                return column
            try:  # another file of the dataset holds it as another type (int32, int64)
                return column.cast(kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise UsageError(f"the column {quoted(field.name)} to keep is {column.type} in one file and "
                                 f"{kind} in another") from None
        if kind == pa.float64():
            return arrow_numbers(column)
        return pa.array(text_column(column), type=kind)

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(self.pa.Table.from_batches(self.pending, schema=self.schema),
                                    row_group_size=ROW_GROUP)
        self.pending, self.rows = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()

    def abort(self) -> None:
        """Close without complaint after a failure (the file is being discarded):
        left open, pyarrow would close it when collected and print that it could not."""
        try:
            self.writer.close()
        except (OSError, ValueError, self.pa.ArrowException):
            pass
