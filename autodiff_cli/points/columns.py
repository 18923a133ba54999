"""A batch of columns in, the same batch with ``value`` and ``grad_NAME`` out:
the one function that data engines call (Dask's ``map_partitions``, Spark's
``mapInArrow``, Ray Data's ``map_batches``), and that the command's own
batches use too.

A batch is an Arrow ``RecordBatch`` or ``Table``, a pandas ``DataFrame``, or a
mapping of numpy arrays; the result is of the same kind, its columns the input's
followed by ``value`` and a gradient per variable of the expression. The work is
:class:`~autodiff_cli.points.batch.ArrayProgram`'s, a slice of ``CHUNK`` points at a
time (the temporaries of a slice stay in cache; a whole partition's would not).
Failing points get IEEE results (inf, nan), and so do missing values (null, NA).

pyarrow and pandas are imported only when a batch of theirs is given: the
caller already has them, and nobody else pays for them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..base.errors import UsageError, quoted
from ..core.expression import Expression
from ..core.parser import parse
from ..core.values import one_place, repeated, result_columns
from .batch import CHUNK, ArrayProgram
from .extras import EXTRA, MissingExtraError, require  # noqa: F401 - imported from here too


@functools.lru_cache(maxsize=32)
def _program_of_text(text: str) -> ArrayProgram:
    # An engine calls once per batch, often with the expression's text: parse it once per process.
    return ArrayProgram(parse(text))


def program(expr: Expression | str | ArrayProgram) -> ArrayProgram:
    """The array program of an expression, its text, or the program itself."""
    if isinstance(expr, ArrayProgram):
        return expr
    if isinstance(expr, str):
        return _program_of_text(expr)
    return ArrayProgram(expr)


def result_names(prog: ArrayProgram) -> list[str]:
    """The columns a batch gains: ``value``, then ``grad_NAME`` per variable in order of first appearance."""
    return result_columns(prog.expr.variables)


def evaluate_arrays(prog: ArrayProgram, columns: Mapping[str, Any], size: int,
                    ) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, int]]:
    """Value and gradients at ``size`` points (``columns``: a float64 array or a
    scalar per variable), a ``CHUNK`` at a time, and how many points passed
    through each kink. The results are new, contiguous arrays."""
    if size <= CHUNK:
        value, grads, kinks = prog.run(columns, size)
        return np.array(value), {n: np.array(g) for n, g in grads.items()}, kinks
    value = np.empty(size)
    grads = {n: np.empty(size) for n in prog.expr.variables}
    kinks: dict[str, int] = {}
    for begin in range(0, size, CHUNK):
        end = min(begin + CHUNK, size)
        part = {n: c[begin:end] if getattr(c, "ndim", 0) else c for n, c in columns.items()}
        v, g, k = prog.run(part, end - begin)
        value[begin:end] = v
        for n, out in grads.items():
            out[begin:end] = g[n]
        for rule, count in k.items():
            kinks[rule] = kinks.get(rule, 0) + count
    return value, grads, kinks


def as_float64(column: Any, name: str, where: str = "the batch") -> np.ndarray:
    """A column as float64 numbers: integers and booleans converted, missing
    values as nan; text or other kinds refused with the column named.

    An integer beyond 2**53 becomes the nearest float64, as the same number
    does in CSV or JSON (every value is a float64): 2**53 + 1 is 2**53."""
    kind = type(column).__module__.split(".")[0]
    try:
        if kind == "pyarrow":
            import pyarrow as pa  # lazily: only Parquet and Dask columns are Arrow's (pyarrow costs start-up time)

            if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)
                    or pa.types.is_boolean(column.type) or pa.types.is_decimal(column.type)
                    or pa.types.is_null(column.type)):
                raise TypeError(str(column.type))
            # safe=False: a safe cast refuses integers beyond 2**53 instead of rounding them.
            unsafe = pa.types.is_integer(column.type)
            column = _numbers(column.cast(pa.float64(), safe=not unsafe))
        elif kind == "pandas":
            column = column.to_numpy(dtype=np.float64, na_value=np.nan)
        array = np.asarray(column)
        if array.dtype.kind not in "fiub":
            raise TypeError(str(array.dtype))
        return np.ascontiguousarray(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        held = (str(exc).splitlines() or ["values"])[0]  # a type: struct<...> of 10,000 fields is long
        held = held if len(held) <= 60 else held[:56] + "...>"
        raise UsageError(f"{where}: the column {quoted(name)} holds {held}, not numbers") from None


def _numbers(column: Any) -> np.ndarray:
    """An Arrow float64 array (or chunked array) as numpy, nulls as nan: its buffers
    read as pyarrow's ``to_numpy`` reads them, without the import of pandas that
    ``to_numpy`` makes wherever pandas is installed (a quarter of a second)."""
    arrays = []
    for chunk in getattr(column, "chunks", [column]):
        valid, data = chunk.buffers()[:2]
        start, size = chunk.offset, len(chunk)
        values = np.frombuffer(data, np.float64, size, start * 8) if data is not None and size else np.zeros(size)
        if chunk.null_count:
            bits = np.unpackbits(np.frombuffer(valid, np.uint8), bitorder="little")[start:start + size]
            values = np.where(bits.astype(bool), values, np.nan) if valid is not None else np.full(size, np.nan)
        arrays.append(values)
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays) if arrays else np.empty(0)


def arrow_numbers(values: np.ndarray) -> Any:
    """Float64 numbers as an Arrow array on the same memory (as ``pa.array`` makes it,
    without the import of pandas that ``pa.array`` makes to look at its argument)."""
    import pyarrow as pa  # lazily: only Arrow output needs it (pyarrow costs start-up time)

    values = np.ascontiguousarray(values, dtype=np.float64)
    return pa.Array.from_buffers(pa.float64(), len(values), [None, pa.py_buffer(values)])


def _sources(prog: ArrayProgram, names: list[str], fixed: Mapping[str, float], where: str) -> list[str]:
    """The variables the batch gives (the rest are fixed); each variable from exactly one place."""
    twice = repeated(names)
    if twice is not None:
        raise UsageError(f"{where} has the column {quoted(twice)} twice")
    variables = prog.expr.variables
    for name in fixed:
        if name not in variables:
            raise prog.expr.no_variable(name)
    one_place(variables, fixed, names, where, f" ({where} has no such column)")
    taken = [n for n in result_names(prog) if n in names]
    if taken:
        raise UsageError(f"{where} already has a column {quoted(taken[0])}")
    return [n for n in variables if n not in fixed]


def _kept(prog: ArrayProgram, names: list[str], keep: list[str]) -> list[str]:
    """The batch's columns that go out (``keep`` first, then the variables'); a column
    neither a variable nor kept, or one to keep that is no column, is an error."""
    variables = prog.expr.variables
    for name in keep:
        if name not in names:
            raise UsageError(f"the batch has no column {quoted(name)} to keep")
        if name in variables:
            raise UsageError(f"{quoted(name)} is a variable of the expression, in the result already: "
                             "do not keep it as well")
    other = next((n for n in names if n not in variables and n not in keep), None)
    if other is not None:
        raise UsageError(f"the batch has the column {quoted(other)}, which is no variable of the expression: "
                         f"keep=[{quoted(other)}] passes it through")
    return [*keep, *(n for n in names if n in variables)]


def evaluate_columns(expr: Expression | str | ArrayProgram, batch: Any, /, *, keep: Sequence[str] | None = None,
                     **fixed: float) -> Any:
    """``batch`` with ``value`` and ``grad_NAME`` columns added, of the same kind.

    ``expr`` is an expression, its text (parsed once per process) or its
    :class:`~autodiff_cli.points.batch.ArrayProgram`; ``fixed`` gives values that are
    the same at every point. Every other variable is a column of ``batch``.
    Columns the expression does not use are kept as they are; given ``keep``,
    only those (key columns, first), and any other is an error, as in the command.
    """
    prog = program(expr)
    kind = type(batch).__module__.split(".")[0]
    if kind == "pyarrow":
        names = list(batch.schema.names)
        size = batch.num_rows
        column = batch.column
    elif kind == "pandas":
        names = [str(n) for n in batch.columns]
        size = len(batch)
        column = batch.__getitem__
    elif isinstance(batch, Mapping):
        names = list(batch)
        arrays = {n: np.asarray(c) for n, c in batch.items()}
        sizes = {a.shape[0] for a in arrays.values() if a.ndim}
        if len(sizes) > 1:
            raise UsageError(f"the columns have different lengths ({sorted(sizes)})")
        size = sizes.pop() if sizes else 1
        column = arrays.__getitem__
    else:
        raise TypeError(f"a batch is an Arrow RecordBatch or Table, a pandas DataFrame or a mapping of arrays, "
                        f"not {type(batch).__name__}")
    given = _sources(prog, names, fixed, "the batch")
    if keep is not None:
        names = _kept(prog, names, list(keep))
    values: dict[str, Any] = {n: np.float64(v) for n, v in fixed.items()}
    values.update({n: as_float64(column(n), n) for n in given})
    value, grads, _ = evaluate_arrays(prog, values, size)
    results = dict(zip(result_names(prog), [value, *grads.values()], strict=True))
    if kind == "pyarrow":
        import pyarrow as pa  # lazily: only Parquet and Dask columns are Arrow's (pyarrow costs start-up time)

        schema = pa.schema([batch.schema.field(n) for n in names], metadata=batch.schema.metadata)
        for name in results:
            schema = schema.append(pa.field(name, pa.float64()))
        arrays_out = [*map(batch.column, names), *map(arrow_numbers, results.values())]
        if isinstance(batch, pa.Table):
            return pa.Table.from_arrays(arrays_out, schema=schema)
        return pa.RecordBatch.from_arrays(arrays_out, schema=schema)
    if kind == "pandas":
        out = batch[names].copy(deep=False) if keep is not None else batch.copy(deep=False)
        for name, array in results.items():
            out[name] = array
        return out
    return {**{n: batch[n] for n in names}, **results}
