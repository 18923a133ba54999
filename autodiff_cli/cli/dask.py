"""The work of ``eval --dask``: a Parquet dataset evaluated partition by
partition on a Dask cluster (:mod:`autodiff_cli.points.cluster`) into a
directory, checked as one process checks its input, and all or nothing."""

from __future__ import annotations

import os

from ..base.errors import UsageError
from ..core.values import result_columns
from ..points.inputs import where
from . import process
from .load import check_sources, load, note_results
from .process import diagnostic
from .spec import EVAL


def run_dask(tokens: list[str], grids: list[str], input_path: str | None, output: str | None, address: str) -> None:
    """``--dask``: the Parquet dataset at ``input_path`` evaluated on a cluster into the directory ``output``;
    the address, the dataset and the output's directory checked before the cluster starts."""
    from .output import SUFFIXES  # lazily: only --dask comes here; the writers are not loaded for it otherwise
    from .progress import progress  # lazily: only --dask comes here, and a progress bar needs Rich
    if grids or input_path in (None, "-") or output in (None, "-"):
        raise UsageError("--dask evaluates a Parquet dataset: give --input DATASET (a file, a directory or a glob) "
                         "and --output DIR")
    from ..points import cluster, scheduler  # lazily: only a valid --dask call needs them

    scheduler.parse_address(address, os.cpu_count() or 1)  # a malformed address is said before any work
    if os.path.splitext(output.rstrip("/" + os.sep))[1].lower() in SUFFIXES:
        raise UsageError(f"--output {where(output)} names a file, but --dask writes a directory (one Parquet file "
                         "per partition): give a directory name")
    if os.path.exists(output) and (not os.path.isdir(output) or os.listdir(output)):
        raise UsageError(f"--output {where(output)} exists: --dask writes a new directory (or an empty one)")
    expr, fixed = load(tokens, True, EVAL)
    parts = []
    results: set[str] = set()
    for part, names in cluster.partitions(cluster.dataset_files(input_path)):
        results.update(check_sources(expr, fixed, dict.fromkeys(names).keys(), where(part.path)))
        parts.append(part)
    note_results([n for n in result_columns(expr.variables) if n in results], where(input_path))
    cluster.refuse_read_back(input_path, output)
    total = sum(p.rows for p in parts)
    # Signals are noted from before the cluster starts until it is gone: the
    # dataset is all or nothing, decided by whether its directory was renamed
    # into place (then an interrupt stops nothing more and the status is 0).
    # A second one is noted too: the run is stopping already (its local workers
    # killed, not closed in order), and a cluster left half closed would be
    # closed again at exit, where a Ctrl-C is a traceback. A third acts at once.
    complete = False
    with process.deferred(noted=2) as signals, cluster.staged(output) as staging, progress(total) as bar:
        def stopped() -> bool:
            return signals.received is not None

        def notice(text: str) -> None:  # above the bar, which stays
            bar.bar.console.print(f"note: {text}", markup=False) if bar.bar else diagnostic(f"note: {text}")

        try:
            with cluster.connect(address, stopped) as client:
                complete = not stopped() and cluster.run(client, expr.source, fixed, parts, output, bar.advance,
                                                         stopped, staging=staging, notice=notice, address=address)
        except UsageError:
            if not stopped():
                raise
    if signals.received and not complete:
        raise process.BatchInterruptedError(signals.received, bar.done, output)
    if signals.received:
        diagnostic(f"note: the interrupt came after the last partition: {where(output)} is complete")
