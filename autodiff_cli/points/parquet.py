"""Parquet files of points, read as chunks of points a run of row groups at a
time and written a chunk at a time (gathered into row groups), so that memory
stays bounded whatever the size. (Which input is Parquet: ``inputs.parquet_input``.)

Every column is float64, as in the other formats; columns of integers or
booleans are read as numbers, and missing values (null) as nan. pyarrow is the
``cluster`` extra's, imported here only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import numpy as np

from ..base.errors import UsageError, quoted, shortened
from ..core.values import repeated
from .batch import CHUNK, Points
from .columns import as_float64, require

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


def parquet_points(path: str, where: str, chunk: int = CHUNK) -> Iterator[Points]:
    """The file's points, ``chunk`` at a time; a file of no rows still gives one
    (empty) chunk, so that its columns are checked."""
    source = _open(path, where)
    import pyarrow as pa  # lazily: pyarrow costs start-up time; only Parquet needs it

    names = list(source.schema_arrow.names)
    twice = repeated(names)
    if twice is not None:
        raise UsageError(f"{where}: the column {quoted(twice)} appears twice")
    seen = 0
    try:
        for batch in batches(source, range(source.num_row_groups), chunk):
            if batch.num_rows:
                seen += batch.num_rows
                yield Points({n: as_float64(batch.column(k), n, where) for k, n in enumerate(names)},
                             batch.num_rows)
    except (pa.ArrowException, OSError) as exc:
        raise UsageError(f"cannot read {where}: {reason(exc)}") from None
    if not seen:
        yield Points({n: np.empty(0) for n in names}, 0)


class ParquetSink:
    """Writes chunks of float64 columns to a binary stream as one Parquet file,
    ``ROW_GROUP`` rows to a row group; the footer is written by :meth:`close`."""

    def __init__(self, out: BinaryIO, names: list[str]) -> None:
        pq = require("pyarrow.parquet", "Writing Parquet")
        import pyarrow as pa  # lazily: pyarrow costs start-up time; only Parquet needs it

        self.pa = pa
        self.schema = pa.schema([pa.field(n, pa.float64()) for n in names])
        self.writer = pq.ParquetWriter(out, self.schema)
        self.pending: list[Any] = []
        self.rows = 0

    def write(self, columns: list[Any]) -> None:
        pa = self.pa
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

    def abort(self) -> None:
        """Close without complaint after a failure (the file is being discarded):
        left open, pyarrow would close it when collected and print that it could not."""
        try:
            self.writer.close()
        except (OSError, ValueError, self.pa.ArrowException):
            pass
