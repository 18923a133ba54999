"""The work of `autodiff eval`: a single point, or a batch streamed a chunk at a
time (to standard output or a file); a Parquet dataset on a Dask cluster is
:mod:`autodiff_cli.cli.dask`'s."""

from __future__ import annotations

import io
import itertools
import math
import os.path
import stat
import sys
from contextlib import contextmanager

from ..base.errors import DomainError, UsageError, quoted
from ..points.inputs import is_url, one_file, open_input, parquet_input, single_point, where
from . import process
from .load import batch_notes, check_grids, check_keep, check_sources, load, note_results
from .output import SUFFIXES, BatchWriter, Format, write_evaluation, write_jacobian
from .process import diagnostic
from .spec import EVAL

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


def run_eval(tokens: list[str], fmt: Format, nodes: bool, ieee: bool, trace: bool, hessian: bool,
             grid: list[str] | None = None, input: str | None = None, digits: int = 6, output: str | None = None,
             dask: str | None = None, of: list[str] | None = None, keep: list[str] | None = None) -> None:
    _check_keep_and_of(input, keep, of, nodes, trace, hessian, dask)
    if grid or input is not None:
        _run_points(tokens, fmt, nodes, trace, hessian, grid or [], input, digits, output, dask, of or [],
                    tuple(keep or ()))
        return
    _check_single_point(fmt, trace, output, dask)
    expr, values = load(tokens, ieee, EVAL)
    if of:
        _run_outputs(expr, values, of, ieee, fmt, digits)
        return
    _run_point(expr, values, fmt, nodes, ieee, trace, hessian, digits)


def _check_keep_and_of(input: str | None, keep: list[str] | None, of: list[str] | None, nodes: bool, trace: bool,
                       hessian: bool, dask: str | None) -> None:
    """Refuses ``--keep`` without an input and ``--of`` with a flag that takes one
    output: before anything is read, for a batch and a point alike."""
    if keep and input is None:
        raise UsageError("--keep passes columns of --input through to the output: give --input too")
    if of:
        used = [flag for flag, on in (("--nodes", nodes), ("--trace", trace), ("--hessian", hessian),
                                      ("--dask", dask is not None)) if on]
        if used:
            raise UsageError(f"{used[0]} takes one output, not --of: leave out --of (the last statement is the "
                             "output) or make the statement you want the last")


def _run_points(tokens: list[str], fmt: Format, nodes: bool, trace: bool, hessian: bool, grid: list[str],
                input: str | None, digits: int, output: str | None, dask: str | None, of: list[str],
                keep: tuple[str, ...]) -> None:
    """A batch (``--grid``, ``--input``): streamed, or a Parquet dataset on a Dask
    cluster; the flags for single points refused first."""
    used = [flag for flag, on in (("--nodes", nodes), ("--trace", trace), ("--hessian", hessian)) if on]
    if used:
        raise UsageError(f"{used[0]} is for single points, not batches (--grid, --input)")
    if dask is not None:
        if fmt is not Format.table:
            raise UsageError(f"--dask writes a Parquet dataset: leave out --format {fmt.value}")
        from .dask import run_dask  # lazily: only --dask needs it

        run_dask(tokens, grid, input, output, dask, keep)
        return
    run_batch(tokens, batch_format(output, fmt), grid, input, digits, output, of, keep)


def _check_single_point(fmt: Format, trace: bool, output: str | None, dask: str | None) -> None:
    """Refuses the flags that need a batch, and a trace in a format that cannot show it."""
    if dask is not None:
        raise UsageError("--dask evaluates a Parquet dataset: give --input DATASET and --output DIR")
    if output is not None:
        raise UsageError("--output is for batches: give --grid or --input too")
    if trace and fmt in (Format.csv, Format.tsv):
        raise UsageError("--trace is shown as a table or in JSON: use --format table, json or jsonl")


def _run_outputs(expr: Any, values: dict[str, float], of: list[str], ieee: bool, fmt: Format, digits: int) -> None:
    """One point, several outputs (``--of``): their values and the Jacobian."""
    from ..core.jacobian import jacobian  # lazily: only --of needs it

    with process.paused_collector():  # a row of floats per output: nothing for the collector to find
        several = jacobian(expr, values, of, ieee)
    for note in several.notes:
        diagnostic(f"note: {note}")
    write_jacobian(several, fmt, sys.stdout, title=expr.text() if fmt is Format.table else "", digits=digits)


def _run_point(expr: Any, values: dict[str, float], fmt: Format, nodes: bool, ieee: bool, trace: bool,
               hessian: bool, digits: int) -> None:
    """One point: the value and gradients (the nodes', the trace, the Hessian if asked), and the notes."""
    result = expr.evaluate(values, ieee=ieee, intermediates=nodes, trace=trace)
    if hessian:
        result.hessian = _hessian(expr, values, ieee)
    process.keep(result)
    for note in result.notes:
        diagnostic(f"note: {note}")
    if not expr.variables and expr.names and not nodes:  # the lecture's a = 2; b = -3; ...
        diagnostic("note: no variables (every name is given a number): --nodes shows the gradient with respect "
                   "to each named node")
    write_evaluation(result, fmt, sys.stdout, nodes, title=expr.text() if fmt is Format.table else "",
                     digits=digits)


def _hessian(expr: Any, values: dict[str, float], ieee: bool) -> Any:
    """The second derivatives at the point (``--hessian``); undefined where eval's
    gradient is a convention, which the error then says."""
    from ..symbolic.diff import hessian as second_derivatives  # lazily: only --hessian needs the symbolic layer

    try:
        return second_derivatives(expr, values, ieee)
    except DomainError as exc:
        # The derivative of a convention (0 at 0**0) is the printed derivative's, undefined there.
        rules = ", ".join(expr.conventions(unwritten=True))
        if not rules:
            raise
        place = f"{exc.where}, at a point where eval's gradient is a convention ({rules}) with no derivative"
        raise DomainError(exc.why, exc.index, lambda _: place) from None


def batch_format(output: str | None, fmt: Format) -> Format:
    """The format of a batch: by the suffix of ``--output FILE`` (which must agree
    with a ``--format`` other than the default table), else ``--format``."""
    if output is None or output == "-":
        return fmt
    if not is_url(output) and os.path.isdir(output):
        raise UsageError(f"cannot write {quoted(output)}: it is a directory (a file name, or --dask for a dataset)")
    by_name = SUFFIXES.get(os.path.splitext(output)[1].lower())
    if by_name is None:
        if fmt is Format.table:
            raise UsageError(f"cannot tell the format of {quoted(output)}: give it a suffix "
                             f"({', '.join(SUFFIXES)}) or a --format other than table (tables are for the terminal)")
        return fmt
    if fmt not in (Format.table, by_name):
        raise UsageError(f"--format {fmt.value} does not match the name {quoted(output)}: write {fmt.value} to a "
                         f"file ending in .{fmt.value}, or leave out --format")
    return by_name


def run_batch(tokens: list[str], fmt: Format, grids: list[str], input_path: str | None, digits: int = 6,
              output: str | None = None, of: list[str] | None = None, keep: tuple[str, ...] = ()) -> None:
    """Evaluate at every point of the grids or the input file, streaming the output;
    the columns ``keep`` of the input pass through to it."""
    if input_path == "-" and "-" in tokens:
        raise UsageError("standard input can hold the expression (-) or the points (--input -), not both")
    if input_path is not None:
        one_file(input_path)
    expr, fixed = load(tokens, True, EVAL)
    if of:
        from ..core.jacobian import outputs  # lazily: only --of needs it

        outputs(expr, of)  # an unknown name fails before any point is read
    if input_path is not None and grids:
        raise UsageError("give the points with --grid or with --input, not both")
    check_keep(expr, keep, of)
    if keep and fmt is Format.table:
        raise UsageError("--keep passes columns through to a file's rows: give --format csv, tsv, json or jsonl, "
                         "or --output FILE (a table shows the variables and results only)")
    if input_path is not None and parquet_input(input_path):
        from ..points.parquet import kept_types, parquet_points  # lazily: only a Parquet input needs pyarrow

        _run_arrays(expr, fixed, fmt, [], parquet_points(input_path, where(input_path), keep=keep,
                                                  check=_columns_check(expr, fixed, where(input_path)),
                                                  wanted={*expr.variables, *keep}), input_path,
                    digits, output, of, kept_types(input_path, keep))
        return
    stream = open_input(input_path) if input_path is not None else None
    single = None
    if stream is not None and fmt is not Format.parquet and not keep:
        single, stream = single_point(stream, where(input_path))
    if single is not None:
        # One point (thousands of values for one big expression): the scalar
        # engine, without numpy, which would only slow a single point down;
        # the rest of the way is every batch's.
        results = check_sources(expr, fixed, single.keys(), where(input_path))
        note_results(results, where(input_path))
        for name in results:
            del single[name]
        _run_rows(expr, fmt, iter([single]), _OnePoint(expr, fixed, of), 1, where(input_path), digits, output, of)
        return
    _run_arrays(expr, fixed, fmt, grids, stream, input_path, digits, output, of, dict.fromkeys(keep, "string"))


class _OnePoint:
    """The scalar engine for a batch of one point, giving what :class:`_Arrays` gives."""

    def __init__(self, expr: Any, fixed: dict[str, float], of: list[str] | None = None) -> None:
        self.expr, self.fixed, self.of = expr, fixed, of

    def __call__(self, chunk: dict[str, float]) -> tuple[int, dict, Any, dict, dict[str, int], int]:
        point = {**self.fixed, **chunk}
        if self.of:  # several outputs: their values and the Jacobian, by output
            from ..core.jacobian import jacobian  # lazily: only --of needs it

            several = jacobian(self.expr, point, self.of, ieee=True)
            numbers = [*several.values.values(), *(g for row in several.jacobian.values() for g in row.values())]
            kinks = {rule: 1 for view in map(self.expr.with_output, self.of) for rule in view.conventions()}
            return 1, point, several.values, several.jacobian, kinks, int(not all(map(math.isfinite, numbers)))
        ev = self.expr.evaluate(point, ieee=True)
        failed = not all(map(math.isfinite, (ev.value, *ev.gradients.values())))
        # Plain floats: the writer takes them as one point (no wrapper per column of 20,000).
        return 1, point, float(ev.value), ev.gradients, dict.fromkeys(self.expr.conventions(), 1), int(failed)


class _Arrays:
    """The numpy engine: a chunk of points at a time, as size, the variables'
    columns, the value, the gradients, the points through each kink, and how
    many points gave a non-finite value or gradient."""

    def __init__(self, expr: Any, fixed: dict[str, float], of: list[str] | None = None) -> None:
        import numpy as np  # lazily: a one-point batch needs neither it nor the program

        from ..points.batch import ArrayProgram  # lazily: numpy's, as above
        from ..points.columns import evaluate_arrays  # lazily: numpy's, as above

        self.np, self.expr, self.fixed = np, expr, fixed
        # One program per output (--of), each over its part of the shared graph.
        self.programs = {name: ArrayProgram(expr.with_output(name)) for name in of} if of else None
        self.program = ArrayProgram(expr) if not of else None
        self.evaluate = evaluate_arrays  # imported once, not once a chunk

    def __call__(self, chunk: Any) -> tuple[int, dict, Any, dict, dict[str, int], int]:
        np, size = self.np, chunk.size  # points with no variables ({}) still count
        point = {**self.fixed, **chunk}
        columns = {n: np.broadcast_to(np.asarray(point[n], dtype=np.float64), (size,)) for n in self.expr.variables}
        if self.programs is not None:
            return self._several(point, size, columns)
        value, gradients, hits = self.evaluate(self.program, point, size)
        bad = ~np.isfinite(value)
        for grad in gradients.values():
            bad |= ~np.isfinite(grad)
        return size, columns, value, gradients, hits, int(np.count_nonzero(bad))

    def _several(self, point: dict, size: int, columns: dict) -> tuple[int, dict, Any, dict, dict[str, int], int]:
        """The values of the outputs and the Jacobian, by output (a variable no path
        from an output reaches has gradient 0 in its row)."""
        np = self.np
        values, rows, kinks = {}, {}, {}
        bad = np.zeros(size, dtype=bool)
        zero = np.zeros(size)
        for name, program in self.programs.items():  # type: ignore[union-attr]
            value, gradients, hits = self.evaluate(program, point, size)
            values[name] = value
            rows[name] = {n: gradients.get(n, zero) for n in self.expr.variables}
            for rule, count in hits.items():  # a node below two outputs: its points once
                kinks[rule] = max(kinks.get(rule, 0), count)
            bad |= ~np.isfinite(value)
            for grad in rows[name].values():
                bad |= ~np.isfinite(grad)
        return size, columns, values, rows, kinks, int(np.count_nonzero(bad))


@contextmanager
def destination(output: str | None, fmt: Format) -> Iterator[Any]:
    """Where a batch goes: standard output, or the file ``output`` written
    atomically (nothing of it appears unless the block ends well; an object
    store's URL is uploaded once the batch is complete); binary for Parquet,
    UTF-8 text otherwise."""
    if output is None or output == "-":
        yield sys.stdout
        return
    from ..base import files  # lazily: only --output FILE needs it

    process.on_abrupt_exit(files.cleanup)
    if is_url(output):
        from ..points.store import upload_when_done  # lazily: only an object store's URL needs pyarrow

        opened = upload_when_done(output)
    else:
        opened = files.open_atomic(output)
    with opened as f:
        if fmt is Format.parquet:
            yield f
            return
        # write_through: every chunk is one big write already, no second buffer needed
        text = io.TextIOWrapper(f, encoding="utf-8", newline="", write_through=True)
        try:
            yield text
        finally:
            text.detach()  # the binary file is closed by open_atomic, not by the wrapper


def _written_through(out: Any) -> bool:
    """Whether the output file ``out`` is written through (a FIFO, a device, ``/dev/stdout``
    to a pipe): rows arrive as written, not in a file that appears whole or not at all."""
    try:
        return not stat.S_ISREG(os.fstat(out.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):  # no descriptor: an object store's upload, made whole
        return False


def _run_arrays(expr: Any, fixed: dict[str, float], fmt: Format, grids: list[str], source: Any,
                input_path: str | None, digits: int, output: str | None = None, of: list[str] | None = None,
                keep: dict[str, Any] | None = None) -> None:
    """A batch by the numpy engine: ``source`` is the input's text stream, or
    an iterator of chunks (Parquet); or the grids. ``keep``: the columns passed
    through, by their type in Parquet output."""

    from ..points.batch import file_points, grid_points, parse_grid  # lazily: only the numpy engine needs it

    parsed = [parse_grid(g) for g in grids]
    check_grids(expr, fixed, parsed)
    if parsed:
        total: int | None = 1
        for g in parsed:
            total *= g.count
        chunks = grid_points(parsed)
        origin = "--grid"
    else:
        total = None
        check = _columns_check(expr, fixed, where(input_path))
        chunks = file_points(source, where(input_path), keep=tuple(keep or ()), check=check) \
            if hasattr(source, "readline") else source
        origin = where(input_path)
    first = next(chunks, None)
    if first is not None and parsed:
        note_results(check_sources(expr, fixed, first.keys(), origin), origin)
    chunks = itertools.chain([first] if first is not None else [], chunks)
    empty = f"--grid {' --grid '.join(grids)}" if grids else origin
    _run_rows(expr, fmt, chunks, _Arrays(expr, fixed, of), total, empty, digits, output, of, keep)


def _columns_check(expr: Any, fixed: dict[str, float], origin: str) -> Any:
    """What an input's columns (other than those kept) are checked by, as soon as
    they are known: before any cell is read as a number."""
    return lambda names: note_results(check_sources(expr, fixed, dict.fromkeys(names).keys(), origin), origin)


def _run_rows(expr: Any, fmt: Format, chunks: Any, engine: Any, total: int | None, origin: str, digits: int,
              output: str | None, of: list[str] | None = None, keep: dict[str, Any] | None = None) -> None:
    """Every batch's way, whatever its row count: each chunk evaluated by
    ``engine`` and written whole; the notes at the end (``origin``: where the
    points came from); a signal noted and stopping the batch between two whole rows."""
    from .progress import progress  # lazily: only a batch needs it

    failed = seen = 0
    kinks: dict[str, int] = {}
    written = 0
    complete = False
    # Signals are noted from before the output is opened until it is closed (a
    # file renamed into place): a batch stops between two whole rows, and one
    # written whole stays so.
    with process.deferred() as signals, destination(output, fmt) as out, \
            progress(total, on_stdout=output in (None, "-")) as bar:
        streamed = out is sys.stdout or _written_through(out)  # rows go out as they come, not a file made whole
        if streamed and fmt not in (Format.table, Format.parquet):
            from .rows import rows_out  # lazily: only a batch to standard output, a FIFO or a device needs it

            out = rows_out(out, "points" if fmt is Format.json else "lines", signals)
        writer = BatchWriter(expr, fmt, out, digits, of, keep)
        try:
            for chunk in chunks:
                size, columns, value, gradients, hits, bad = engine(chunk)
                if not size:
                    continue
                for rule, count in hits.items():
                    kinks[rule] = kinks.get(rule, 0) + count
                failed += bad
                seen += size
                writer.write(columns, value, gradients, getattr(chunk, "kept", None))
                cut = getattr(out, "cut", None)  # the rows that went out of a chunk a signal stopped
                written += size if cut is None else cut
                bar.advance(size)
                if signals.received:
                    break
            else:
                complete = True  # every point written: a signal from here on stops nothing
            signals.settle()  # a signal noted decides from here: another changes nothing
            if signals.received and not (complete or (streamed and fmt is not Format.parquet)):
                # The file is all or nothing: leaving the block by this error removes it.
                raise process.BatchInterruptedError(signals.received, written, output)
            writer.close()
            out.flush()
        except BrokenPipeError:
            if signals.received:  # Ctrl-C in a pipeline: the reader went with it
                raise process.BatchInterruptedError(signals.received, written) from None
            raise
        except UsageError as exc:  # a bad line of the input, met after `written` points
            if written and streamed and fmt not in (Format.table, Format.parquet):
                writer.close()  # what went out stays whole: a JSON document closed, whole rows
                out.flush()
                raise UsageError(f"{exc} ({written:,} points before it written, each a whole row)") from None
            raise
        finally:
            writer.abort()
    batch_notes(kinks, failed, seen, origin)
    if signals.received and complete:
        diagnostic("note: the interrupt came after the last point: the output is complete")
    elif signals.received:
        raise process.BatchInterruptedError(signals.received, written)
