"""A Parquet dataset evaluated on a Dask cluster, a task per output file.

A partition is a run of one file's row groups (at most ``PARTITION_ROWS``
rows), so one big file still spreads over the workers; small files are
gathered (:func:`coalesce`), so that a thousand tiny files do not make a
thousand tiny outputs. Each task runs the
single-process path on its rows (:func:`~autodiff_cli.points.parquet.parquet_points`,
:func:`~autodiff_cli.points.columns.evaluate_arrays`, a
:class:`~autodiff_cli.points.parquet.ParquetSink`), so the results are the same bit
for bit, and writes its own file, ``part-NNNNN.parquet`` in dataset order,
under a temporary name renamed into place: a task that Dask runs again after
its worker was lost replaces the file, never appends to it.

The directory is built beside the target and renamed into place at the end,
so a failed or interrupted run leaves no partial dataset. Workers and the
client must see the same file system (and have autodiff installed).
"""

from __future__ import annotations

import glob
import os
import pickle
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..base.errors import PATH_LIMIT, NotParquetError, UsageError, quoted
from .columns import require
from .inputs import is_url
from .partition import Partition, Tally, evaluate_partition, plain_schema
from .scheduler import (
    Address,
    Workers,
    cannot_run,
    check_scheduler,
    check_workers,
    checked,
    dask_timeout,
    foreign,
    parse_address,
    shipped,
    version,
)
from .staging import _glob_matches, gather, one_file, publish, remove_tree, staged, target  # noqa: F401 - _glob_matches: its tests'

PARTITION_ROWS = 1 << 21
FILE_ROWS = 1 << 16
"""What a file costs a task beside its rows, in rows (its opening, its footer;
a request to an object store): Spark's ``openCostInBytes`` rule, in rows."""
CONNECT_TIMEOUT = 5  # seconds: an unreachable scheduler is reported, not waited for


def dataset_files(source: str) -> list[str]:
    """The Parquet files of a dataset: a file, a directory (its files, recursively,
    in name order, hidden and ``_`` files skipped) or a glob; or an object store's object or prefix."""
    if is_url(source):
        found = _stored_files(source)
    elif os.path.isdir(source):
        found = []
        for root, dirs, files in os.walk(source):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
            found += [os.path.join(root, f) for f in sorted(files) if not f.startswith((".", "_"))]
    elif os.path.exists(source):
        found = [source]
    else:
        found = sorted(p for p in glob.glob(source, recursive=True) if os.path.isfile(p))
    if not found:
        raise UsageError(f"no Parquet files at {quoted(source, PATH_LIMIT)}")
    list(_in_order(_parquet_or_refuse, found))
    return found


def _in_order(func: Callable[[str], Any], paths: list[str]) -> Iterator[Any]:
    """``map(func, paths)``; objects of a store several at a time (each a request that waits on the store)."""
    if not paths or not is_url(paths[0]):
        return map(func, paths)
    from concurrent.futures import ThreadPoolExecutor  # lazily: only an object store's dataset needs it

    with ThreadPoolExecutor(8, thread_name_prefix="autodiff-footer") as pool:
        return iter(list(pool.map(func, paths)))  # the first failure in dataset order is the one said


def _stored_files(source: str) -> list[str]:
    """The objects of a dataset in an object store (one, or those below a prefix), as URLs."""
    from .store import Store  # lazily: only an object store's URL needs it

    store = Store(source)
    kind = store.kind()
    if kind == "file":
        return [source]
    if kind == "missing" and store.scheme == "s3" and store.kind(store.path.split("/", 1)[0]) == "missing":
        raise store.missing()
    return [store.url_of(p) for p in store.files()] if kind == "directory" else []


def _head(path: str) -> bytes:
    """The first four bytes of a file or an object."""
    if is_url(path):
        from .store import Store  # lazily: only an object store's URL needs it

        with Store(path).open_input() as f:
            return f.read(4)
    with open(path, "rb") as f:
        return f.read(4)


def _parquet_or_refuse(path: str) -> None:
    """A file of the dataset that is not Parquet (by its first bytes, as pyarrow
    would find out with a message of its own) is a usage error, to which the
    command line adds what reads a dataset."""
    try:
        head = _head(path)
    except OSError as exc:
        raise UsageError(f"cannot read {quoted(path, PATH_LIMIT)}: {exc.strerror or exc}") from None
    if head != b"PAR1":
        raise NotParquetError(f"{quoted(path, PATH_LIMIT)} is not a Parquet file")


def partitions(files: list[str], rows: int = PARTITION_ROWS) -> Iterator[tuple[Partition, Any]]:
    """The partitions of the files, each with its file's Arrow schema (read from
    footers only); their paths absolute, so that a worker in another directory
    reads the same file."""
    pq = require("pyarrow.parquet", "Reading Parquet")
    import pyarrow as pa  # lazily: pyarrow costs start-up time; the checks before it need none

    def footer(path: str) -> Any:
        try:
            return pq.ParquetFile(_random_access(path)).metadata
        except (OSError, pa.ArrowException) as exc:
            raise UsageError(f"cannot read {quoted(path, PATH_LIMIT)}: {str(exc).splitlines()[0]}") from None

    for path, meta in zip(files, _in_order(footer, files), strict=True):
        schema = plain_schema(meta.schema.to_arrow_schema(), quoted(path, PATH_LIMIT))  # a column ｘ is x
        path = path if is_url(path) else os.path.abspath(path)
        groups: list[int] = []
        count = 0
        for g in range(meta.num_row_groups):
            size = meta.row_group(g).num_rows
            if groups and count + size > rows:
                yield Partition(path, groups, count), schema
                groups, count = [], 0
            groups.append(g)
            count += size
        if groups or meta.num_row_groups == 0:
            yield Partition(path, groups, count), schema


def coalesce(parts: list[Partition], rows: int | None = None, cost: int = FILE_ROWS) -> list[list[Partition]]:
    """The partitions gathered into tasks, one output file each: consecutive
    ones, in dataset order, while a task holds at most ``rows`` rows
    (``PARTITION_ROWS``), each partition counting at least ``cost`` rows (so
    at most 32 files a task, as Spark gathers small files). A big file's
    partitions stay one to a task."""
    rows = PARTITION_ROWS if rows is None else rows
    tasks: list[list[Partition]] = []
    load = 0
    for part in parts:
        weight = max(part.rows, cost)
        if not tasks or load + weight > rows:
            tasks.append([])
            load = 0
        tasks[-1].append(part)
        load += weight
    return tasks


def _random_access(path: str) -> Any:
    """A path, or an object store's URL opened for random access (a Parquet footer)."""
    if not is_url(path):
        return path
    from .store import Store  # lazily: only an object store's URL needs it

    return Store(path).open_input(random=True)


def _local_cluster(distributed: Any, scratch: str) -> Any:
    """A scheduler in this process, for worker processes on loopback, with
    ``scratch`` as Dask's temporary directory (its locks and the workers'
    spill space), so that nothing of the cluster outlives it.

    The workers must not see the terminal's Ctrl-C (it reaches every process of
    the group, and the command, not each worker, decides how the run stops), yet
    the command must see it from its first second. So SIGINT is blocked, not
    ignored, while the cluster's event loop thread is made: that thread, the
    threads it makes and the worker processes they start inherit the blocked
    signal, and the command's main thread unblocks it at once (a Ctrl-C that
    came meanwhile is delivered then). SIGHUP likewise (a closed terminal hangs
    up the group), for multiprocessing's resource tracker too: it ignores SIGINT
    and SIGTERM itself, but a SIGHUP killed it, and its successor did not know
    the shared memory it was told to let go of (tracebacks). No worker is
    started here: the caller asks for them (``scale``) and does not wait, so
    that they start while the command watches for signals (see :func:`run`).
    """
    import logging  # lazily: only a cluster's start needs it; the address checks come first
    import signal  # lazily: only a local cluster's start needs it
    from multiprocessing import resource_tracker  # lazily: only a local cluster's start needs it

    import dask  # lazily: only a cluster's start imports Dask (a second)

    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    try:  # the tracker first (started by the loop thread, it would unblock SIGINT there); it unblocks SIGINT
        resource_tracker.ensure_running()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        # Failures come back as the command's error line, not worker logs. The dashboard on a free port: None
        # still means 8787 (dask/distributed#8136), and a second run beside a first would warn that it is taken.
        with dask.config.set({"temporary-directory": scratch}):  # the scheduler's locks
            cluster = distributed.LocalCluster(n_workers=0, threads_per_worker=1, processes=True, host="127.0.0.1",
                                               dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL,
                                               local_directory=scratch)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return cluster


def _kill_workers(cluster: Any) -> None:
    """Ends the local cluster's worker processes at once, once the run is over
    (its files are written, or discarded): left to the cluster's orderly close,
    each winds its interpreter down first (0.2 s after a task), and one still
    starting up lives on for seconds, as it only notices that its parent is
    gone once started. Each nanny is told first, so that it does not start its
    worker again. The workers are the children that multiprocessing started
    (``--multiprocessing-fork``): this command starts no other."""
    import psutil  # lazily: a dependency of distributed; only a local cluster's workers are killed

    for nanny in list(cluster.workers.values()):
        getattr(nanny, "close_gracefully", lambda: None)()
    for child in psutil.Process().children(recursive=True):
        try:
            if "--multiprocessing-fork" in child.cmdline():
                child.kill()
        except psutil.Error:
            pass  # gone already


def _remote_client(distributed: Any, address: Address) -> Any:
    """``distributed.Client(address)``, once :func:`check_scheduler` has found a
    scheduler there, bounded in time: its own timeout bounds the connection only."""
    if address.scheme == "tcp":
        check_scheduler(address, CONNECT_TIMEOUT)
    box: dict[str, Any] = {}

    def connect() -> None:
        try:
            box["client"] = distributed.Client(address.text, timeout=CONNECT_TIMEOUT)
        except BaseException as exc:  # noqa: BLE001 - handed to the command below
            box["error"] = exc

    thread = threading.Thread(target=connect, name="autodiff-connect", daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT * 2)
    if thread.is_alive():
        raise TimeoutError(f"no answer as a Dask scheduler in {CONNECT_TIMEOUT * 2:g} s")
    error = box.get("error")
    if isinstance(error, OSError | TimeoutError | ValueError):
        raise error
    if error is not None and address.scheme == "tls":  # TLS not configured, say: Dask's message says what to do
        raise OSError(str(error).splitlines()[0] if str(error) else type(error).__name__)
    if error is not None:
        raise OSError(f"not a Dask scheduler's answer ({type(error).__name__})")
    return box["client"]


@contextmanager
def connect(address: str, stopped: Callable[[], bool] = lambda: False) -> Iterator[Any]:
    """A Dask client of the scheduler at ``address``, or of a new cluster of
    worker processes on this machine's loopback (``local`` or ``local:N``).
    When the block ends, the local workers are killed rather than closed in
    order (their work is over, or discarded after an error, a signal raised as
    ``KeyboardInterrupt`` included); the local cluster's temporary directory goes with it.
    The client is None when ``stopped()`` came true before it was made (a local
    cluster takes seconds to start: a signal meanwhile need not wait for it)."""
    where = parse_address(address, os.cpu_count() or 1)
    distributed = require("distributed", "Running on Dask")
    import logging  # lazily: only a cluster's start needs it; the address checks come first
    import tempfile  # lazily: only a cluster's start needs it; the address checks come first

    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = client = scratch = None
    try:
        try:
            if stopped():
                pass
            elif where.scheme == "local":
                scratch = _scratch(tempfile)
                cluster = _local_cluster(distributed, scratch)
                if not stopped():
                    client = distributed.Client(cluster, timeout=CONNECT_TIMEOUT * 6)
                    cluster.scale(where.port)  # made a client first: once workers start, the loop is busy for seconds
                    _wait_for_workers(client, address, where.port, stopped)
            else:
                client = _remote_client(distributed, where)
        except (OSError, TimeoutError, ValueError) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).split("\n")[0]
            why = why or type(exc).__name__
            raise UsageError(f"cannot reach the Dask scheduler at {quoted(address)}: {why}") from None
        yield client
    finally:
        if cluster is not None:  # their work is done or discarded: an orderly close waits 0.2 s more for them
            _kill_workers(cluster)
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
        if scratch is not None:
            remove_tree(scratch)


def _wait_for_workers(client: Any, address: str, count: int, stopped: Callable[[], bool]) -> None:
    """Returns once the local cluster's ``count`` workers have all come (or
    ``stopped()``; or some have, after :func:`dask_timeout`; with none by then,
    :class:`Workers` says so). Tasks sent before would all go to the first
    worker to come (Dask hands a worker of one thread two tasks at once, and a
    small dataset makes few) and run one after the other while the others wait."""
    watch = Workers(client, address, None, CONNECT_TIMEOUT)
    deadline = time.monotonic() + watch.wait
    while not stopped():
        now = time.monotonic()
        have = len(client.nthreads(callback_timeout=CONNECT_TIMEOUT))
        if have >= count or (have and now > deadline):
            return
        watch.check(now)
        time.sleep(0.02)


def _scratch(tempfile: Any) -> str:
    """A new temporary directory for a local cluster's scratch space."""
    try:
        return tempfile.mkdtemp(prefix="autodiff-dask-")
    except OSError as exc:
        raise UsageError(f"cannot make a temporary directory for the local cluster in "
                         f"{quoted(tempfile.gettempdir(), PATH_LIMIT)}: {exc.strerror or exc}") from None


def run(client: Any, text: str, fixed: dict[str, float], parts: list[Partition], directory: str,
        done: Callable[[int], None], stop: Callable[[], bool] = lambda: False, *, staging: str | None = None,
        notice: Callable[[str], None] | None = None, address: str = "local", keep: tuple[str, ...] = (),
        types: dict[str, Any] | None = None, tally: Tally | None = None) -> bool:
    """Every partition evaluated on the cluster into ``directory``, built in
    ``staging`` (:func:`staged`; one of its own if not given) and renamed into
    place; ``done(rows)`` after each partition. ``stop()`` is asked every tenth
    of a second, even while no task ends (its workers may be gone): True cancels
    every task and leaves nothing behind. A cluster without workers is watched
    (:class:`~autodiff_cli.points.scheduler.Workers`: ``notice`` is told when
    a remote one has none for a while). The columns ``keep`` (``types``: their
    Arrow types) go first; ``tally`` sums what the notes count. Whether it ran to the end."""
    if staging is None:
        with staged(directory) as own:
            return run(client, text, fixed, parts, directory, done, stop, staging=own, notice=notice, address=address,
                       keep=keep, types=types, tally=tally)
    futures = []
    try:
        check_workers(client, address, dask_timeout())
        tasks = coalesce(parts)
        width = max(5, len(str(len(tasks) - 1)))
        targets = [target(staging, f"part-{k:0{width}d}.parquet") for k in range(len(tasks))]
        ours, run_id = version(), uuid.uuid4().hex[:12]
        calls = [shipped(checked, ours, evaluate_partition, text, fixed, task, path, keep, types)
                 for task, path in zip(tasks, targets, strict=True)]
        futures = client.map(pickle.loads, calls, key=[f"autodiff-partition-{run_id}-{k}" for k in range(len(tasks))])
        pending = list(futures)
        ended = threading.Event()  # a task that ends is seen at once, not at the next tenth of a second
        for future in futures:
            future.add_done_callback(lambda _: ended.set())
        workers = Workers(client, address, notice, CONNECT_TIMEOUT)
        while pending:
            if stop():
                client.cancel(futures)
                return False
            ended.clear()  # before looking: a task that ends after the look sets it again
            finished = [f for f in pending if f.done()]
            if not finished:
                workers.check(time.monotonic())
                ended.wait(0.1)
                continue
            for future in finished:
                pending.remove(future)
                result = _result(future)
                if tally is not None:
                    tally.add(result)
                done(result.rows)
        (gather if one_file(directory) else publish)(staging, directory)
        return True
    except BaseException:
        client.cancel(futures)
        raise


def _result(future: Any) -> Any:
    """A task's result; a worker that could not import autodiff (one that joined
    after :func:`~.scheduler.check_workers`) is said as such."""
    try:
        return future.result()
    except (ImportError, AttributeError) as exc:
        if foreign(exc):
            raise cannot_run("a Dask worker", exc) from None
        raise
