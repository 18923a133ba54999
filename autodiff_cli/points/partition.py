"""What a Dask worker does with one partition of a dataset: the single-process
path on its rows (:func:`~autodiff_cli.points.parquet.batches`,
:func:`~autodiff_cli.points.columns.evaluate_arrays`, a
:class:`~autodiff_cli.points.parquet.ParquetSink`), so that the numbers are
the same bit for bit; and what it tells the client back, so that the notes of
the whole run are those of one process (:class:`Tally`)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..base.errors import PATH_LIMIT, UsageError, quoted
from ..core.values import plain_name, repeated
from .batch import Points
from .columns import as_float64, evaluate_arrays, program, result_names
from .hive import key_number, repeated_column
from .inputs import is_url


class Partition:
    """Row groups ``groups`` of the file ``path``, ``rows`` rows in all; ``keys``:
    the values of its Hive partition keys (``d=1/``), by name."""

    def __init__(self, path: str, groups: list[int], rows: int, keys: dict[str, Any] | None = None) -> None:
        self.path, self.groups, self.rows = path, groups, rows
        self.keys = keys or {}


class Tally:
    """What a batch's notes count: its points, those through each kink, and those
    with a non-finite value or gradient; summed over partitions."""

    def __init__(self, rows: int = 0) -> None:
        self.rows = rows
        self.kinks: dict[str, int] = {}
        self.failed = 0

    def add(self, other: Tally) -> None:
        self.rows += other.rows
        self.failed += other.failed
        for rule, count in other.kinks.items():
            self.kinks[rule] = self.kinks.get(rule, 0) + count

    def count(self, value: np.ndarray, grads: dict[str, np.ndarray], kinks: dict[str, int]) -> None:
        """A chunk's points through kinks and its points with a non-finite result (as one process counts them)."""
        bad = ~np.isfinite(value)
        for grad in grads.values():
            bad |= ~np.isfinite(grad)
        self.failed += int(np.count_nonzero(bad))
        for rule, count in kinks.items():
            self.kinks[rule] = self.kinks.get(rule, 0) + count


def plain_schema(schema: Any, where: str) -> Any:
    """A file's Arrow schema with each column named as the variable it is (``ｘ`` is
    ``x``, as :func:`~autodiff_cli.points.parquet.parquet_points` names them); a name
    twice (``ｘ`` and ``x``) is refused, as there."""
    names = [plain_name(n) for n in schema.names]
    twice = repeated(names)
    if twice is not None:
        raise UsageError(f"{where}: the column {quoted(twice)} appears twice")
    if names == schema.names:
        return schema
    import pyarrow as pa  # lazily: only Parquet comes here

    return pa.schema([f.with_name(n) for f, n in zip(schema, names, strict=True)], metadata=schema.metadata)


def _read(part: Partition) -> Iterator[Any]:
    """The partition's record batches; a failure to read is said as one (not as the write's)."""
    import pyarrow as pa  # lazily: only a worker reads Parquet
    import pyarrow.parquet as pq  # lazily: only a worker reads Parquet

    from .parquet import batches, reason  # lazily: only a worker reads Parquet (pyarrow)

    try:
        if is_url(part.path):
            from .store import Store  # lazily: only an object store's URL needs it

            source = pq.ParquetFile(Store(part.path).open_input(random=True))
        else:
            source = pq.ParquetFile(part.path)
        yield from batches(source, part.groups)
    except (OSError, pa.ArrowException) as exc:
        raise UsageError(f"cannot read {quoted(part.path, PATH_LIMIT)}: {reason(exc)}") from None


def evaluate_partition(text: str, fixed: dict[str, float], part: Partition | list[Partition], target: str,
                       keep: tuple[str, ...] = (), types: dict[str, Any] | None = None) -> Tally:
    """On a worker: the points of the partition (or of several, small ones gathered:
    see :func:`~autodiff_cli.points.cluster.coalesce`) evaluated and written to
    ``target`` as one file, the columns ``keep`` first (``types``: their Arrow
    types); what its notes count."""
    prog = program(text)
    parts = part if isinstance(part, list) else [part]
    tally = Tally(sum(p.rows for p in parts))
    if is_url(target):  # under the run's temporary prefix: a task run again replaces the object whole
        from .store import open_output  # lazily: only an object store's URL needs it

        with open_output(target) as out:
            _write(prog, fixed, parts, out, keep, types, tally)
        return tally
    tmp = f"{target}.{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "wb") as out:
            _write(prog, fixed, parts, out, keep, types, tally)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return tally


def _write(prog: Any, fixed: dict[str, float], parts: list[Partition], out: Any, keep: tuple[str, ...],
           types: dict[str, Any] | None, tally: Tally) -> None:
    """The partitions' points evaluated and written to the binary stream ``out`` as one Parquet file."""
    from .parquet import ParquetSink  # lazily: only a worker writes Parquet (pyarrow)

    variables = list(prog.expr.variables)
    sink = ParquetSink(out, [*keep, *variables, *result_names(prog)], types, prog.expr)
    try:
        for part in parts:
            constant = {n: np.float64(v) for n, v in fixed.items()}
            constant.update({n: key_number(n, v, part.path) for n, v in part.keys.items() if n in variables})
            for batch in _read(part):
                size = batch.num_rows
                index = {plain_name(n): k for k, n in enumerate(batch.schema.names)}  # a column ｘ is the variable x
                given = {n: as_float64(batch.column(index[n]), n, part.path) for n in variables if n not in constant}
                points = Points({**constant, **given}, size)
                value, grads, kinks = evaluate_arrays(prog, points, size)
                tally.count(value, grads, kinks)
                kept = [repeated_column(part.keys[k], (types or {})[k], size) if k in part.keys
                        else batch.column(index[k]) for k in keep]
                sink.write([*kept, *(np.broadcast_to(points[n], (size,)) for n in variables), value,
                            *grads.values()])
        sink.close()
    finally:
        sink.abort()
