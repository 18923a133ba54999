"""`--dask` against what it does not control: malformed addresses, servers that
are not Dask (one that announces a 2 GB message), a scheduler without workers,
an output it cannot write or would read back. Each is one error line, said
before any work where it can be, with nothing left behind. Servers here are
real, on 127.0.0.1; the cluster-free cases use a closed port as the address,
so that what they check is shown to come before any connection."""

from __future__ import annotations

import glob
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
distributed = pytest.importorskip("distributed")

from autodiff_cli.points import cluster  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FORMS = "the forms are local, local:N (N worker processes here), tcp://HOST:PORT, HOST:PORT or tls://HOST:PORT\n"


def dataset(directory: Path, rows: int = 10) -> Path:
    directory.mkdir()
    pq.write_table(pa.table({n: [float(k + 1) for k in range(rows)] for n in "abcd"}), directory / "f0.parquet")
    return directory


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def autodiff(*args: str, script: str = "", timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
    """``autodiff eval ARGS`` in a process of its own; ``script`` runs first."""
    code = f"import sys\n{script}\nfrom autodiff_cli.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, "eval", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("address", ["inproc://x", "ws://127.0.0.1:8786", "tcp://127.0.0.1", "tcp://127.0.0.1:99999",
                                     ":::", "tcp://[zz]:1", "tcp://a b:1", "foo"])
def test_a_malformed_address_says_the_accepted_forms(cli, tmp_path, address):
    src = dataset(tmp_path / "points")
    run = cli("eval", "a+b+c+d", "--input", str(src), "--output", str(tmp_path / "out"), "--dask", address)
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"error: '{address}' is not a Dask address (") and run.err.endswith(FORMS)
    assert len(run.err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]


class Server:
    """A TCP server on 127.0.0.1 that answers each connection with ``answer``
    (bytes, or a function given the connection) and keeps it open."""

    def __init__(self, answer) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.answer, self.held = answer, []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            threading.Thread(target=self.reply, args=(conn,), daemon=True).start()

    def reply(self, conn: socket.socket) -> None:
        try:
            self.answer(conn) if callable(self.answer) else conn.sendall(self.answer)
        except OSError:
            pass  # the client went away

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def huge(conn: socket.socket) -> None:
    """Dask's framing says 2e9 bytes follow; 400 MB of them do, as fast as they are read."""
    conn.sendall(struct.pack("Q", 2_000_000_000))
    block = bytes(1 << 20)
    for _ in range(400):
        conn.sendall(block)


MAX_RSS = """
import atexit, os
# The peak of this program's memory (KiB): VmHWM, not getrusage's ru_maxrss, which
# keeps the peak of the process that forked this one (pytest's, after other tests).
peak = lambda: next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
atexit.register(lambda: open(os.environ["RSS_FILE"], "w").write(str(peak())))
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="the peak memory is read from /proc (Linux)")
@pytest.mark.parametrize("answer, why", [
    (huge, "something else answers there (it announces a message of 2,000,000,000 bytes)"),
    (struct.pack("Q", 64) + b"\xff" * 64, "something else answers there (not Dask's framing)"),
    (struct.pack("QQQ", 24, 1, 8) + b"\xc1" * 8, "something else answers there (not Dask's messages: "),
], ids=["2 GB announced", "garbage frames", "not msgpack"])
def test_a_server_that_is_not_dask_is_one_error_line_and_no_large_allocation(tmp_path, answer, why):
    src = dataset(tmp_path / "points")
    server = Server(answer)
    rss = tmp_path / "rss"
    try:
        run = autodiff("a+b+c+d", "--input", str(src), "--output", str(tmp_path / "out"), "--dask",
                       f"tcp://127.0.0.1:{server.port}", script=MAX_RSS, env={"RSS_FILE": str(rss)})
    finally:
        server.close()
    assert int(rss.read_text()) < 250_000  # KiB: the process's peak, importing Dask included (about 100 MiB)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith(f"error: cannot reach the Dask scheduler at 'tcp://127.0.0.1:{server.port}': {why}")
    assert len(run.stderr.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points", "rss"]


@pytest.fixture(scope="module")
def lonely_scheduler():
    """A real Dask scheduler on 127.0.0.1 that no worker ever joins, in a thread's event loop."""
    import asyncio

    started = threading.Event()
    box: dict = {}

    async def serve() -> None:
        async with distributed.Scheduler(host="127.0.0.1", port=0, dashboard_address=":0") as scheduler:
            box["address"], box["stop"] = scheduler.address, asyncio.Event()
            started.set()
            await box["stop"].wait()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(60)
    yield box["address"]
    loop.call_soon_threadsafe(box["stop"].set)
    thread.join(30)


SHORT_WAIT = "from autodiff_cli.points import scheduler\nscheduler.WORKERS_NOTE = 1"


def test_a_scheduler_without_workers_is_a_note_then_an_error(tmp_path, lonely_scheduler):
    src = dataset(tmp_path / "points")
    start = time.monotonic()
    run = autodiff("a+b+c+d", "--input", str(src), "--output", str(tmp_path / "out"), "--dask", lonely_scheduler,
                   script=SHORT_WAIT, env={"AUTODIFF_DASK_TIMEOUT": "4"})
    took = time.monotonic() - start
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (f"note: the Dask scheduler at '{lonely_scheduler}' has no workers: waiting up to 4 s for "
                          f"one\nerror: the Dask scheduler at '{lonely_scheduler}' has had no workers for 4 s "
                          "(set AUTODIFF_DASK_TIMEOUT to wait longer)\n")
    assert took < 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]


def test_a_dask_worker_is_not_taken_for_a_scheduler(tmp_path, lonely_scheduler):
    import asyncio

    src = dataset(tmp_path / "points")
    # A worker's own address, as someone may give by mistake (it registers with the scheduler for this test only).
    ready, box = threading.Event(), {}

    async def work() -> None:
        async with distributed.Worker(lonely_scheduler, host="127.0.0.1", nthreads=1, dashboard=False) as worker:
            box["address"], box["stop"] = worker.address, asyncio.Event()
            ready.set()
            await box["stop"].wait()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(work(),), daemon=True)
    thread.start()
    try:
        assert ready.wait(60)
        run = autodiff("a+b+c+d", "--input", str(src), "--output", str(tmp_path / "out"), "--dask", box["address"])
    finally:
        loop.call_soon_threadsafe(box["stop"].set)
        thread.join(30)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (f"error: cannot reach the Dask scheduler at '{box['address']}': a Dask Worker answers "
                          "there, not a scheduler\n")


@pytest.mark.parametrize("name, why", [
    ("x" * 300, "File name too long"),
    ("missing/out", "no directory '{tmp}/missing'"),
    ("afile/out", "Not a directory"),
])
def test_an_output_that_cannot_be_written_is_said_before_any_connection(cli, tmp_path, name, why):
    # The address is a closed port: the error is about the output, so it came first.
    src = dataset(tmp_path / "points")
    (tmp_path / "afile").write_text("")
    out = tmp_path / name
    run = cli("eval", "a+b+c+d", "--input", str(src), "--output", str(out), "--dask", f"127.0.0.1:{closed_port()}")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("error: cannot write '") and run.err.endswith(f": {why.format(tmp=tmp_path)}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "points"]


@pytest.mark.parametrize("given, output", [
    ("points", "points/out"),
    ("points/", "points/sub/out"),
    ("points/**/*.parquet", "out"),
    ("points/**/*.parquet", "points/out"),
    ("points/*/*.parquet", "points/out"),
])
def test_an_output_the_dataset_would_read_back_is_refused(cli, tmp_path, monkeypatch, given, output):
    monkeypatch.chdir(tmp_path)
    dataset(tmp_path / "points")
    dataset(tmp_path / "points" / "p")  # for points/*/*.parquet
    if given == "points/**/*.parquet" and output == "out":
        output = "points/../points/x/out"  # the same directory by another name
    run = cli("eval", "a+b+c+d", "--input", given, "--output", output, "--dask", f"127.0.0.1:{closed_port()}")
    assert run.code == 2 and run.out == ""
    assert run.err.startswith(f"error: the output directory '{output}' is ")
    assert run.err.endswith(f"'{given}': a later run would read its results back as points; write it elsewhere\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]
    assert sorted(p.name for p in (tmp_path / "points").iterdir()) == ["f0.parquet", "p"]


TREE = ["d/f.parquet", "d/s/f.parquet", "d/s/t/f.parquet", "d/.h/f.parquet", "d/_u/f.parquet", "e/f.parquet",
        "d/s/.f.parquet", "d/f.csv"]


@pytest.mark.parametrize("pattern", ["d/*", "d/*.parquet", "d/**", "d/**/*.parquet", "d/*/*.parquet", "**/f.*",
                                     "d/.*/*", "d/[s_]*/*.parquet", "d/s/**/f.parquet", "?/f.parquet", "d/**/.*"])
def test_the_read_back_check_agrees_with_glob(tmp_path, pattern):
    # The truth is glob itself: for every file of a tree, whether glob(pattern) finds it.
    for name in TREE:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    found = {os.path.relpath(p, tmp_path) for p in glob.glob(str(tmp_path / pattern), recursive=True)}
    for name in TREE:
        predicted = cluster._glob_matches(str(tmp_path / pattern).split(os.sep), str(tmp_path / name).split(os.sep))
        assert predicted == (name in found), name


HIDDEN = """
import sys
class Hidden:  # as in a Python environment where autodiff is not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "autodiff_cli":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Hidden())
"""
OLDER = "import autodiff_cli\nautodiff_cli.__version__ = '0.0.1'\n"
HANGS = """
import sys, time
class Hangs:  # an import that never ends (a file system that does not answer)
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "autodiff_cli":
            time.sleep(600)
sys.meta_path.insert(0, Hangs())
"""


def dask_process(tmp_path: Path, name: str, setup: str, *args: str) -> subprocess.Popen:
    """``dask scheduler`` or ``dask worker`` in a process of its own, run by a Python
    that executes ``setup`` at start (a ``sitecustomize`` on its PYTHONPATH)."""
    site = tmp_path / f"site-{name}"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(setup)
    log = open(tmp_path / f"{name}.log", "w")
    return subprocess.Popen([sys.executable, "-m", f"distributed.cli.dask_{name}", *args], cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONPATH": str(site)})


@pytest.fixture
def foreign_cluster(tmp_path):
    """A real scheduler and worker, as separate processes, whose Python is set up by
    the setup text given (the scheduler cannot import autodiff either)."""
    procs: list[subprocess.Popen] = []

    def start(setup: str) -> str:
        port = closed_port()
        procs.append(dask_process(tmp_path, "scheduler", HIDDEN, "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"))
        address = f"tcp://127.0.0.1:{port}"
        procs.append(dask_process(tmp_path, "worker", setup, address, "--nthreads", "1", "--no-nanny",
                                  "--no-dashboard", "--host", "127.0.0.1"))
        deadline = time.monotonic() + 60
        while "Registered to:" not in (tmp_path / "worker.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            assert all(p.poll() is None for p in procs), (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
        return address

    yield start
    for proc in procs:
        proc.kill()
        proc.wait(30)


@pytest.mark.parametrize("setup, timeout, message", [
    (HIDDEN, "60", "error: the Dask worker at 'tcp://127.0.0.1:{port}' cannot run autodiff (ModuleNotFoundError: "
                   "No module named 'autodiff_cli'): install autodiff-cli {version} (with its \"cluster\" extra) "
                   "where the workers run\n"),
    (OLDER, "60", "error: the Dask worker at 'tcp://127.0.0.1:{port}' runs autodiff 0.0.1, this is autodiff "
                  "{version}: install autodiff-cli {version} where the workers run\n"),
    (HANGS, "3", "error: the workers of the Dask scheduler at '{address}' did not say within 3 s whether they can "
                 "run autodiff (set AUTODIFF_DASK_TIMEOUT to wait longer)\n"),
], ids=["cannot import", "another version", "import hangs"])
def test_a_worker_that_cannot_run_autodiff_is_one_line_in_bounded_time(tmp_path, foreign_cluster, setup, timeout,
                                                                       message):
    import autodiff_cli

    address = foreign_cluster(setup)
    src = dataset(tmp_path / "points")
    start = time.monotonic()
    run = autodiff("a+b+c+d", "--input", str(src), "--output", str(tmp_path / "out"), "--dask", address,
                   env={"AUTODIFF_DASK_TIMEOUT": timeout}, timeout=120)
    took = time.monotonic() - start
    assert run.returncode == 2 and run.stdout == ""
    worker = re.search(r"Start worker at: +tcp://127.0.0.1:(\d+)", (tmp_path / "worker.log").read_text())
    assert run.stderr == message.format(port=worker.group(1), version=autodiff_cli.__version__, address=address)
    assert took < 30
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".autodiff-*"))


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "1e9"])
def test_a_bad_dask_timeout_is_a_usage_error(tmp_path, value):
    src = dataset(tmp_path / "points")
    run = autodiff("a+b+c+d", "--input", str(src), "--output", str(tmp_path / "out"), "--dask", "local:1",
                   env={"AUTODIFF_DASK_TIMEOUT": value})
    assert run.returncode == 2
    assert run.stderr == ("error: AUTODIFF_DASK_TIMEOUT must be a number of seconds above 0 and up to 86400, "
                          f"not '{value}'\n")
