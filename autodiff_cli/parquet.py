"""Parquet files of points: recognised by name or by their first bytes, read a
row group's batches at a time as chunks of points, and written a chunk at a
time (each chunk a row group), so that memory stays bounded whatever the size.

Every column is float64, as in the other formats; columns of integers or
booleans are read as numbers, and missing values (null) as nan. pyarrow is the
``cluster`` extra's, imported here only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from .batch import CHUNK, Points
from .columns import as_float64, require
from .errors import UsageError, quoted


def _open(path: str, where: str) -> Any:
    pq = require("pyarrow.parquet", "Reading Parquet")
    import pyarrow as pa

    try:
        return pq.ParquetFile(path)
    except OSError as exc:
        raise UsageError(f"cannot read {where}: {getattr(exc, 'strerror', None) or exc}") from None
    except (pa.ArrowException, ValueError) as exc:
        raise UsageError(f"cannot read {where}: not a Parquet file ({str(exc).splitlines()[0]})") from None


def column_names(path: str, where: str) -> list[str]:
    """The names of the file's columns, from its footer alone."""
    return list(_open(path, where).schema_arrow.names)


def parquet_points(path: str, where: str, chunk: int = CHUNK) -> Iterator[Points]:
    """The file's points, ``chunk`` at a time; a file of no rows still gives one
    (empty) chunk, so that its columns are checked."""
    source = _open(path, where)
    import pyarrow as pa

    names = list(source.schema_arrow.names)
    twice = next((n for k, n in enumerate(names) if n in names[:k]), None)
    if twice is not None:
        raise UsageError(f"{where}: the column {quoted(twice)} appears twice")
    seen = 0
    try:
        for batch in source.iter_batches(batch_size=chunk):
            if batch.num_rows:
                seen += batch.num_rows
                yield Points({n: as_float64(batch.column(k), n, where) for k, n in enumerate(names)},
                             batch.num_rows)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"cannot read {where}: {str(exc).splitlines()[0]}") from None
    if not seen:
        import numpy as np

        yield Points({n: np.empty(0) for n in names}, 0)


ROW_GROUP = 1 << 20
"""Rows per row group written: chunks are gathered up to this many (72 MiB for
nine columns), since a row group per chunk writes 2.2 times slower."""


class ParquetSink:
    """Writes chunks of float64 columns to a binary stream as one Parquet file,
    ``ROW_GROUP`` rows to a row group; the footer is written by :meth:`close`."""

    def __init__(self, out: BinaryIO, names: list[str]) -> None:
        pq = require("pyarrow.parquet", "Writing Parquet")
        import pyarrow as pa

        self.pa = pa
        self.schema = pa.schema([pa.field(n, pa.float64()) for n in names])
        self.writer = pq.ParquetWriter(out, self.schema)
        self.pending: list[Any] = []
        self.rows = 0

    def write(self, columns: list[Any]) -> None:
        pa = self.pa
        import numpy as np

        arrays = [pa.array(np.ascontiguousarray(c)) for c in columns]
        self.pending.append(pa.RecordBatch.from_arrays(arrays, schema=self.schema))
        self.rows += len(arrays[0]) if arrays else 0
        if self.rows >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(self.pa.Table.from_batches(self.pending, schema=self.schema),
                                    row_group_size=ROW_GROUP)
        self.pending, self.rows = [], 0

    def close(self) -> None:
        self._flush()
        self.writer.close()
