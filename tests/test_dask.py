"""Dask, for real: a local cluster of worker processes on loopback. Its results
must equal one process's bit for bit, a worker killed mid-run must not lose the
run, and an unreachable scheduler is one error line. Few tests, each bounded."""

from __future__ import annotations

import faulthandler
import os
import re
import signal
import socket
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import psutil
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from autodiff_cli.base.errors import UsageError  # noqa: E402
from autodiff_cli.points import cluster  # noqa: E402
from autodiff_cli.points.columns import evaluate_columns  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EXPR = "tanh(a*b) + exp(c)*log(d) + sqrt(a)"  # transcendental: the last bit differs if the work does
FINITE = "tanh(a*b) + exp(c)*d"  # finite at every point: no note of non-finite points


def same(x, y) -> bool:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    nan = np.isnan(x)
    return x.shape == y.shape and np.array_equal(nan, np.isnan(y)) and np.array_equal(
        x[~nan].view(np.int64), y[~nan].view(np.int64))


def same_tables(a, b) -> bool:
    return a.schema.names == b.schema.names and all(
        same(a.column(n).to_numpy(), b.column(n).to_numpy()) for n in a.schema.names)


def dataset(directory: Path, files: int, rows: int, seed: int = 0, names: str = "abcd") -> Path:
    directory.mkdir()
    rng = np.random.default_rng(seed)
    for k in range(files):
        cols = {n: rng.normal(size=rows) * 3 for n in names}  # negative a and d: nan points too
        pq.write_table(pa.table(cols), directory / f"f{k}.parquet", row_group_size=max(1, rows // 3))
    return directory


def single_process(src: Path, tmp_path: Path, *fixed: str) -> pa.Table:
    """The whole dataset through one process, as one file."""
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.concat_tables(pq.read_table(p) for p in sorted(src.iterdir())), whole)
    out = tmp_path / "single.parquet"
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", EXPR, "--input", str(whole), "-o", str(out),
                          *fixed], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return pq.read_table(out)


def parts(directory: Path) -> pa.Table:
    files = sorted(directory.iterdir())
    assert [f.name for f in files] == [f"part-{k:05d}.parquet" for k in range(len(files))]
    return pa.concat_tables(pq.read_table(f) for f in files)


def scratch(tmp_path: Path) -> dict[str, str]:
    """An environment whose temporary directory (TMPDIR, where Dask keeps its
    scratch space) is a new one under ``tmp_path``, to see what is left in it."""
    (tmp_path / "tmpdir").mkdir()
    return {**os.environ, "TMPDIR": str(tmp_path / "tmpdir")}


def test_dask_local_2_equals_one_process_bit_for_bit(tmp_path):
    src = dataset(tmp_path / "points", files=3, rows=40_000, names="acd")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", EXPR, "--input", str(src / "*.parquet"),
                          "--output", str(out), "--dask", "local:2", "b=0.5"],
                         cwd=ROOT, capture_output=True, text=True, timeout=180, env=scratch(tmp_path))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "", run.stdout
    assert list((tmp_path / "tmpdir").iterdir()) == []  # no dask-scratch-space left behind
    (tmp_path / "tmpdir").rmdir()
    expected = single_process(src, tmp_path, "b=0.5")
    got = parts(out)
    assert got.num_rows == 120_000 and np.isnan(got.column("value").to_numpy()).any()
    assert same_tables(got, expected)
    bad = np.zeros(120_000, dtype=bool)  # the notes are one process's: its points with a non-finite result
    for name in ("value", "grad_a", "grad_b", "grad_c", "grad_d"):
        bad |= ~np.isfinite(expected.column(name).to_numpy())
    assert run.stderr == (f"note: {int(bad.sum()):,} of 120,000 points gave a non-finite value or gradient "
                          "(written as IEEE results)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "points", "single.parquet", "whole.parquet"]


def test_a_second_local_cluster_beside_a_first_says_nothing(tmp_path):
    # Dask's dashboard port (8787) taken, as by another run or a notebook's cluster:
    # standard error stays empty.
    src = dataset(tmp_path / "points", files=1, rows=100)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", 8787))
        except OSError:
            pass  # taken already: the case itself
        else:
            s.listen()
        run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", FINITE, "--input", str(src), "--output",
                              str(tmp_path / "out"), "--dask", "local:1"], cwd=ROOT, capture_output=True, text=True,
                             timeout=180)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")


@pytest.mark.parametrize("name", ["results.csv", "r.JSONL/"])
def test_a_dataset_is_not_written_under_a_files_name(tmp_path, name):
    # -o results.csv would make a directory of Parquet files called results.csv.
    src = dataset(tmp_path / "points", files=1, rows=10)
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", EXPR, "--input", str(src), "--output",
                          str(tmp_path / name), "--dask", "local:1"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.endswith("names a file of another format, but --dask writes Parquet: give a directory name "
                               "(one Parquet file per partition) or a .parquet file\n")
    assert len(run.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]


def test_a_datasets_results_read_back_on_the_cluster(tmp_path):
    src = dataset(tmp_path / "points", files=2, rows=1_000)
    first, second = tmp_path / "first", tmp_path / "second"
    for given, out in ((src, first), (first, second)):
        run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", FINITE, "--input", str(given), "--output",
                              str(out), "--dask", "local:1"], cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr
    assert run.stderr == (f"note: '{first}': result columns ignored ('value', 'grad_a', 'grad_b' and 2 more): "
                          "computed anew\n")
    assert same_tables(parts(second), parts(first))


def test_an_unreachable_scheduler_is_one_error_line(tmp_path):
    src = dataset(tmp_path / "points", files=1, rows=10)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", "a+b+c+d", "--input", str(src),
                          "--output", str(tmp_path / "out"), "--dask", f"tcp://127.0.0.1:{port}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(f"error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}': ")
    assert len(run.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]


@pytest.mark.parametrize("answer", [None, b"HTTP/1.1 400 Bad Request\r\n\r\n" + b"garbage " * 64],
                         ids=["never answers", "answers as something else"])
def test_a_listener_that_is_not_a_scheduler_is_one_error_line(tmp_path, answer):
    # Accepts the connection, then says nothing (or not Dask's protocol): the
    # client's own timeout bounds the connection only, and an answer that is not
    # Dask's came back as a MemoryError.
    import threading

    src = dataset(tmp_path / "points", files=1, rows=10)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    held = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            if answer:
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    try:
        run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", "a+b+c+d", "--input", str(src),
                              "--output", str(tmp_path / "out"), "--dask", f"tcp://127.0.0.1:{port}"],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(f"error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:{port}': ")
    assert len(run.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]


def test_ctrl_c_stops_the_cluster_run_and_leaves_nothing(tmp_path):
    src = dataset(tmp_path / "points", files=4, rows=1_000_000)
    out = tmp_path / "out"
    # A session of its own: the signal goes to the whole group, workers included, as Ctrl-C in a terminal does.
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", "eval", EXPR, "--input", str(src), "-o", str(out),
                             "--dask", "local:2"], cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=scratch(tmp_path))
    writing(proc, tmp_path)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert err.startswith(f"error: interrupted: '{out}' not written (") and len(err.splitlines()) == 1
    assert nothing_left(tmp_path)


def writing(proc: subprocess.Popen, tmp_path: Path, timeout: float = 90) -> None:
    """Returns once a worker writes a partition into the dataset's directory (a
    hidden one beside the output, made before the cluster starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if any(any(p.iterdir()) for p in tmp_path.iterdir() if p.name.startswith(".autodiff-")):
            return
        time.sleep(0.02)
    raise AssertionError("no partition was being written")


def nothing_left(tmp_path: Path) -> bool:
    """Only the dataset remains: no output, no hidden directory beside it, and
    nothing of the cluster in its temporary directory (see :func:`scratch`)."""
    return sorted(p.name for p in tmp_path.iterdir()) == ["points", "tmpdir"] and not any(
        (tmp_path / "tmpdir").iterdir())


def start(*args: str, stderr=subprocess.PIPE, env: dict[str, str] | None = None, code: str = "") -> subprocess.Popen:
    """``autodiff eval ARGS`` in a session of its own: a signal to its group reaches
    the workers too, as Ctrl-C in a terminal does. ``code``: a ``python -c`` program instead."""
    how = ["-c", code] if code else ["-m", "autodiff_cli"]
    return subprocess.Popen([sys.executable, *how, "eval", *args], cwd=ROOT, stderr=stderr,
                            stdout=subprocess.PIPE, text=True, start_new_session=True, env=env)


def workers(proc: subprocess.Popen, timeout: float = 60) -> list[psutil.Process]:
    """The command's worker processes, once the first one is there (its cluster is starting up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            found = [p for p in psutil.Process(proc.pid).children(recursive=True)
                     if "--multiprocessing-fork" in p.cmdline()]
        except psutil.Error:
            found = []
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError("no worker process started")


def finish(proc: subprocess.Popen) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def still_running(procs: list[psutil.Process], within: float) -> list[psutil.Process]:
    """Those of ``procs`` still running after ``within`` seconds (a zombie has ended)."""
    deadline = time.monotonic() + within
    while True:
        left = []
        for p in procs:
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(p)
            except psutil.Error:
                pass
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@pytest.mark.parametrize("existing", [False, True], ids=["new output", "empty output directory"])
def test_ctrl_c_while_the_local_cluster_starts_stops_the_run(tmp_path, existing):
    src = dataset(tmp_path / "points", files=2, rows=1_000)
    out = tmp_path / "out"
    if existing:
        out.mkdir()
    proc = start(EXPR, "--input", str(src), "-o", str(out), "--dask", "local:2", env=scratch(tmp_path))
    started = workers(proc)  # the first worker process is starting: the cluster is not up yet
    os.killpg(proc.pid, signal.SIGINT)
    _, err = finish(proc)
    assert proc.returncode == 130, err
    assert err == f"error: interrupted: '{out}' not written (0 points were evaluated)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["out", "points", "tmpdir"] if existing
                                                          else ["points", "tmpdir"])
    assert list((tmp_path / "tmpdir").iterdir()) == []
    assert not existing or list(out.iterdir()) == []  # an empty directory given as --output is kept, empty
    assert still_running(started, within=1.0) == []


def test_a_second_ctrl_c_while_the_run_stops_is_the_same_one_line(tmp_path):
    src = dataset(tmp_path / "points", files=4, rows=1_000_000)
    out = tmp_path / "out"
    proc = start(EXPR, "--input", str(src), "-o", str(out), "--dask", "local:2", env=scratch(tmp_path))
    running = workers(proc)
    writing(proc, tmp_path)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.02)  # the run is stopping: its workers being killed, its cluster closed
    os.killpg(proc.pid, signal.SIGINT)
    _, err = finish(proc)
    assert proc.returncode == 130
    assert err.startswith(f"error: interrupted: '{out}' not written (") and len(err.splitlines()) == 1, err
    assert nothing_left(tmp_path)
    assert still_running(running, within=1.0) == []


def test_a_hang_up_to_the_whole_group_is_one_line(tmp_path):
    # A closed terminal hangs up every process of the group: the workers and
    # multiprocessing's resource tracker ignore it as they do Ctrl-C (the tracker
    # killed by it once left a warning and a dozen tracebacks behind).
    src = dataset(tmp_path / "points", files=4, rows=1_000_000)
    out = tmp_path / "out"
    proc = start(EXPR, "--input", str(src), "-o", str(out), "--dask", "local:2", env=scratch(tmp_path))
    running = workers(proc)
    writing(proc, tmp_path)
    os.killpg(proc.pid, signal.SIGHUP)
    _, err = finish(proc)
    assert proc.returncode == 129, err
    assert err.startswith(f"error: hung up: '{out}' not written (") and len(err.splitlines()) == 1, err
    assert nothing_left(tmp_path)
    assert still_running(running, within=1.0) == []


@pytest.mark.parametrize("when", ["starting", "running"])
@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_take_the_local_workers_with_them(tmp_path, when, name):
    # Each is noted and stops the run (SIGHUP as SIGTERM, with its own status):
    # no worker, no hidden directory, no scratch space stays.
    src = dataset(tmp_path / "points", files=4, rows=1_000_000 if when == "running" else 1_000)
    out = tmp_path / "out"
    proc = start(EXPR, "--input", str(src), "-o", str(out), "--dask", "local:2", env=scratch(tmp_path))
    running = workers(proc)  # when starting: a worker still importing does not yet watch its parent
    if when == "running":
        writing(proc, tmp_path)
    os.kill(proc.pid, getattr(signal, name))  # the command alone, as `kill PID` does
    _, err = finish(proc)
    said = "terminated" if name == "SIGTERM" else "hung up"
    assert proc.returncode == 128 + getattr(signal, name), err
    assert err.startswith(f"error: {said}: '{out}' not written (") and len(err.splitlines()) == 1, err
    assert nothing_left(tmp_path)
    assert still_running(running, within=1.0) == []


SIGNAL_AFTER_RENAME = """
import os, signal, sys
from autodiff_cli.points import cluster
from autodiff_cli.cli.main import main

real = cluster.run

def run(*args, **kwargs):
    whole = real(*args, **kwargs)
    os.kill(os.getpid(), signal.{name})  # the directory is in place; the cluster not yet closed
    return whole

cluster.run = run
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_once_the_dataset_is_in_place_is_a_note(tmp_path, name):
    src = dataset(tmp_path / "points", files=2, rows=1_000)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", SIGNAL_AFTER_RENAME.format(name=name), "eval", FINITE, "--input",
                          str(src), "-o", str(out), "--dask", "local:1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == f"note: the interrupt came after the last partition: '{out}' is complete\n"
    assert parts(out).num_rows == 2_000


def test_the_progress_bar_shows_while_the_cluster_starts(tmp_path):
    from test_terminal import ANSI
    from test_terminal import run as run_in_terminal

    src = dataset(tmp_path / "points", files=3, rows=100_000)
    out = tmp_path / "out"
    code, stdout, err = run_in_terminal(["eval", EXPR, "--input", str(src), "-o", str(out), "--dask", "local:2"],
                                        stderr_tty=True)
    shown = ANSI.sub(b"", err)
    assert code == 0 and stdout == b""
    assert b"points" in shown and re.search(rb"(?<![0-9])0/300000", shown)  # drawn before any partition was done
    assert parts(out).num_rows == 300_000


def test_dask_reads_parquet_only(cli, tmp_path):
    src = dataset(tmp_path / "points", files=1, rows=10)
    (src / "notes.csv").write_text("a,b,c,d\n1,2,3,4\n")
    for given in (src / "notes.csv", src, src / "*"):
        run = cli("eval", EXPR, "--input", str(given), "-o", str(tmp_path / "out"), "--dask", "local:1")
        assert run.code == 2 and run.out == ""
        assert run.err == (f"error: '{src / 'notes.csv'}' is not a Parquet file: --dask reads a Parquet dataset "
                           "(a file, a directory or a glob of Parquet files); CSV and JSON are read without --dask\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]


@pytest.fixture(scope="module")
def client():
    faulthandler.dump_traceback_later(240, exit=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local, distributed.Client(local) as c:
        yield c
    faulthandler.cancel_dump_traceback_later()


def test_evaluate_columns_in_map_partitions(client, tmp_path):
    src = dataset(tmp_path / "points", files=2, rows=5_000)
    frame = dd.read_parquet(str(src))
    result = frame.map_partitions(partial(evaluate_columns, EXPR)).compute()
    whole = pa.concat_tables(pq.read_table(p) for p in sorted(src.iterdir())).to_pandas()
    a, b, c, d = (whole[n].to_numpy() for n in "abcd")
    with np.errstate(all="ignore"):
        value = np.tanh(a * b) + np.exp(c) * np.log(d) + np.sqrt(a)
        grad_c = np.exp(c) * np.log(d)
    assert list(result.columns) == ["a", "b", "c", "d", "value", "grad_a", "grad_b", "grad_c", "grad_d"]
    assert np.allclose(result["value"].to_numpy(), value, rtol=1e-14, atol=0, equal_nan=True)
    assert np.allclose(result["grad_c"].to_numpy(), grad_c, rtol=1e-14, atol=0, equal_nan=True)
    local = evaluate_columns(EXPR, whole)
    assert all(same(result[n].to_numpy(), local[n].to_numpy()) for n in local.columns)


def test_a_worker_killed_mid_run_loses_nothing(client, tmp_path, monkeypatch):
    src = dataset(tmp_path / "points", files=4, rows=120_000, seed=7)
    monkeypatch.setattr(cluster, "PARTITION_ROWS", 20_000)  # many tasks: some run after the kill
    chosen = [p for p, _ in cluster.partitions(cluster.dataset_files(str(src)), 20_000)]
    assert len(chosen) == 12  # a row group (40,000 rows) each: none is split
    pids = client.run(os.getpid)
    killed: list[int] = []

    def done(rows: int) -> None:
        if not killed:
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    out = tmp_path / "out"
    assert cluster.run(client, EXPR, {}, chosen, str(out), done)
    assert killed
    assert same_tables(parts(out), single_process(src, tmp_path))
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_task_that_fails_is_the_commands_error_and_leaves_nothing(client, tmp_path):
    src = tmp_path / "points"
    src.mkdir()
    pq.write_table(pa.table({"a": ["x", "y"], "b": [1.0, 2.0]}), src / "s.parquet")
    chosen = [p for p, _ in cluster.partitions(cluster.dataset_files(str(src)))]
    with pytest.raises(UsageError, match="the column 'a' holds string, not numbers"):
        cluster.run(client, "a*b", {}, chosen, str(tmp_path / "out"), lambda rows: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]
