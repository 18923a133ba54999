"""The work of ``eval --dask``: a Parquet dataset evaluated partition by
partition on a Dask cluster (:mod:`autodiff_cli.points.cluster`) into a
directory, checked as one process checks its input, and all or nothing."""

from __future__ import annotations

import os
from typing import Any

from ..base.errors import UsageError, quoted
from ..core.values import result_columns
from ..points import hive
from ..points.batch import check_kept
from ..points.inputs import is_url, where
from ..points.partition import Tally
from . import process
from .load import batch_notes, check_keep, check_sources, load, note_results
from .process import diagnostic
from .spec import EVAL


def run_dask(tokens: list[str], grids: list[str], input_path: str | None, output: str | None, address: str,
             keep: tuple[str, ...] = ()) -> None:
    """``--dask``: the Parquet dataset at ``input_path`` evaluated on a cluster into the directory ``output``
    (the columns ``keep`` passed through); the address, the dataset and the output's directory checked
    before the cluster starts; the notes those of one process."""
    from .progress import progress  # lazily: only --dask comes here, and a progress bar needs Rich
    if grids or input_path in (None, "-") or output in (None, "-"):
        raise UsageError("--dask evaluates a Parquet dataset: give --input DATASET (a file, a directory or a glob) "
                         "and --output DIR")
    from ..points import cluster, scheduler, staging  # lazily: only a valid --dask call needs them

    scheduler.parse_address(address, os.cpu_count() or 1)  # a malformed address is said before any work
    scheduler.dask_timeout()  # so is a malformed AUTODIFF_DASK_TIMEOUT
    _check_output(output)
    expr, fixed = load(tokens, True, EVAL)
    check_keep(expr, keep)
    parts, types, results = _partitions(expr, fixed, input_path, keep)
    note_results([n for n in result_columns(expr.variables) if n in results], where(input_path))
    staging.refuse_read_back(input_path, output)
    total = sum(p.rows for p in parts)
    # Signals are noted from before the cluster starts until it is gone: the
    # dataset is all or nothing, decided by whether its directory was renamed
    # into place (then an interrupt stops nothing more and the status is 0).
    # A second one is noted too: the run is stopping already (its local workers
    # killed, not closed in order), and a cluster left half closed would be
    # closed again at exit, where a Ctrl-C is a traceback. A third acts at once.
    complete = False
    tally = Tally()
    with process.deferred(noted=2) as signals, staging.staged(output) as staged, \
            progress(total) as bar:
        def stopped() -> bool:
            return signals.received is not None

        def notice(text: str) -> None:  # above the bar, which stays
            bar.bar.console.print(f"note: {text}", markup=False) if bar.bar else diagnostic(f"note: {text}")

        try:
            with cluster.connect(address, stopped) as client:
                complete = not stopped() and cluster.run(client, expr.source, fixed, parts, output, bar.advance,
                                                         stopped, staging=staged, notice=notice, address=address,
                                                         keep=keep, types=types, tally=tally)
        except UsageError:
            if not stopped():
                raise
    if signals.received and not complete:
        raise process.BatchInterruptedError(signals.received, bar.done, output)
    batch_notes(tally.kinks, tally.failed, tally.rows, where(input_path))
    if signals.received:
        diagnostic(f"note: the interrupt came after the last partition: {where(output)} is complete")


def _check_output(output: str) -> None:
    """``--output``: a new (or empty) directory or prefix, or one Parquet file (replaced if there, as one
    process replaces it); a name with another format's suffix is refused."""
    from ..points.staging import one_file  # lazily: only --dask comes here
    from .output import SUFFIXES  # lazily: only --dask comes here; the writers are not loaded for it otherwise

    single = one_file(output) and not output.endswith(("/", os.sep))
    if not single and os.path.splitext(output.rstrip("/" + os.sep))[1].lower() in SUFFIXES:
        raise UsageError(f"--output {where(output)} names a file of another format, but --dask writes Parquet: "
                         "give a directory name (one Parquet file per partition) or a .parquet file")
    if is_url(output):
        from ..points.store import Store, existing_output  # lazily: only an object store's URL needs it

        if single and Store(output).kind() == "directory":
            raise UsageError(f"cannot write {where(output)}: it is a prefix (a directory)")
        if not single and existing_output(output):
            raise UsageError(f"--output {where(output)} exists: --dask writes a new prefix (or an empty one)")
    elif single and os.path.isdir(output):
        raise UsageError(f"cannot write {where(output)}: it is a directory")
    elif not single and os.path.exists(output) and (not os.path.isdir(output) or os.listdir(output)):
        raise UsageError(f"--output {where(output)} exists: --dask writes a new directory (or an empty one)")


def _partitions(expr: Any, fixed: dict[str, float], source: str, keep: tuple[str, ...],
                ) -> tuple[list[Any], dict[str, Any], set[str]]:
    """The dataset's partitions, each with its Hive keys (``d=1/``), checked as one
    process checks its input; the Arrow types of the columns kept; the result
    columns it holds (ignored). A lone file's path is no dataset layout: of its
    ``key=value`` directories, only those naming a variable or a kept column count."""
    from ..points import cluster  # lazily: only a valid --dask call needs it

    files = cluster.dataset_files(source)
    base = hive.base_of(source)
    keys = hive.dataset_keys(files, base)
    parts, types, results = [], {}, set()
    for part, schema in cluster.partitions(files):
        names = list(schema.names)
        part.keys = {k: v for k, v in keys.of(part.path).items()
                     if base is not None or k in expr.variables or k in keep}
        for k, v in part.keys.items():  # here, so that a key's text is blamed on the directory that made it so
            if k in expr.variables and k not in keep:
                keys.number(k, v, part.path)
        both = next((k for k in part.keys if k in names), None)
        if both is not None:
            raise UsageError(f"{where(part.path)}: the column {quoted(both)} is in the file and in its directory "
                             f"name ({both}=...)")
        columns = [*names, *part.keys]
        check_kept(columns, list(keep), where(part.path))
        results.update(check_sources(expr, fixed, dict.fromkeys(n for n in columns if n not in keep).keys(),
                                     where(part.path)))
        for k in keep:
            types.setdefault(k, keys.types[k] if k in part.keys else schema.field(k).type)
        parts.append(part)
    return parts, types, results
