"""Whole rows under real signals into real pipes: a batch streams into a pipe
whose reader is slow or fast, a SIGINT or SIGTERM comes at a random instant
(or the reader goes away), and what the reader got must be whole rows, every
one of them right and none missing, and the count in the message must be the
rows that arrived. ``AUTODIFF_FUZZ_SCALE`` multiplies the trials (20 of them
by default; the README gives the figure of a longer run)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import count

ROOT = Path(__file__).resolve().parent.parent
TRIALS = 20 * int(os.environ.get("AUTODIFF_FUZZ_SCALE", "1"))
COMMAND = [sys.executable, "-m", "autodiff_cli", "eval", "x*2", "--grid", "x=0:3000000:1"]
COUNT = re.compile(r"^error: (interrupted|terminated|hung up): ([\d,]+) points written, each a whole row$")
NAMES = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated", signal.SIGHUP: "hung up"}


def _reader(fd: int, slow: bool, got: list[bytes], leave_after: float | None) -> None:
    """Reads the pipe to its end: 4 KiB at a time with a pause (slow) or as fast as it can;
    ``leave_after``: closes it that many seconds in (the reader that goes away)."""
    start = time.monotonic()
    try:
        while True:
            if leave_after is not None and time.monotonic() - start > leave_after:
                return
            chunk = os.read(fd, 4096 if slow else 1 << 20)
            if not chunk:
                return
            got.append(chunk)
            if slow:
                time.sleep(0.0005)
    finally:
        os.close(fd)


def _trial(rng: random.Random, fmt: str, sig: int | None, extra: tuple[str, ...] = ()) -> tuple[int, bytes, str]:
    """One run: the exit status, what the reader got, and standard error; ``extra``: more arguments."""
    read_end, write_end = os.pipe()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if rng.random() < 0.5:  # the text layer over an unbuffered file once lost a cut write's rest
        env["PYTHONUNBUFFERED"] = "1"
    else:
        env.pop("PYTHONUNBUFFERED", None)
    proc = subprocess.Popen([*COMMAND, "--format", fmt, *extra], stdout=write_end, stderr=subprocess.PIPE, env=env,
                            cwd=ROOT)
    os.close(write_end)
    got: list[bytes] = []
    leave_after = rng.uniform(0.05, 0.8) if sig is None else None
    reader = threading.Thread(target=_reader, args=(read_end, rng.random() < 0.6, got, leave_after), daemon=True)
    reader.start()
    if sig is not None:
        deadline = time.monotonic() + 60
        while not got and reader.is_alive() and time.monotonic() < deadline:  # the batch has begun
            time.sleep(0.001)
        time.sleep(rng.uniform(0.0, 0.6))
        proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    reader.join(30)
    return proc.returncode, b"".join(got), err.decode()


def _csv_rows(data: bytes) -> int:
    """The rows of a CSV stream, each checked whole and right, in order from x = 0."""
    if not data:
        return 0
    assert data.endswith(b"\r\n"), f"a cut row: {data[-60:]!r}"
    lines = data.decode().split("\r\n")[:-1]
    assert lines[0] == "x,value,grad_x"
    for k, line in enumerate(lines[1:]):
        assert line == f"{float(k)!r},{float(2 * k)!r},2.0", f"row {k}: {line!r}"
    return len(lines) - 1


def _json_points(data: bytes) -> int:
    """The points of a JSON document, which must parse, each right, in order from x = 0."""
    if not data:
        return 0
    doc = json.loads(data)
    for k, point in enumerate(doc["points"]):
        assert point == {"variables": {"x": float(k)}, "value": float(2 * k), "gradients": {"x": 2.0}}
    return len(doc["points"])


@pytest.mark.parametrize("extra", [(), ("-o", "/dev/stdout")], ids=["stdout", "output-written-through"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_signal_into_a_pipe_leaves_whole_rows_and_a_true_count(fmt, extra):
    # -o /dev/stdout into a pipe is written through, as a FIFO or a device is: the same contract as standard output.
    rng = random.Random(f"pipe-{fmt}")
    for _ in range(TRIALS if not extra else max(4, TRIALS // 4)):
        sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
        status, data, err = _trial(rng, fmt, sig, extra)
        rows = _csv_rows(data) if fmt == "csv" else _json_points(data)
        assert status in (0, 128 + sig), err
        if status == 0:  # the batch ended before the signal came
            assert err in ("", "note: the interrupt came after the last point: the output is complete\n")
            continue
        line = err.strip()
        assert "\n" not in line and "Traceback" not in line
        found = COUNT.match(line)
        assert found and found.group(1) == NAMES[sig], line
        assert int(found.group(2).replace(",", "")) == rows  # the count is what the reader got
    count("pipe signal trials", TRIALS)


def test_a_signal_into_a_fifo_output_stops_between_rows_at_once(tmp_path):
    # -o FIFO with a slow reader: the batch stops at the end of the row in flight, not
    # after the whole chunk (seconds of writing), and the JSON document is closed.
    fifo = tmp_path / "points.json"
    os.mkfifo(fifo)
    proc = subprocess.Popen([*COMMAND, "-o", str(fifo), "--format", "json"], stderr=subprocess.PIPE, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    got: list[bytes] = []
    reader = threading.Thread(target=_reader, args=(os.open(fifo, os.O_RDONLY), True, got, None), daemon=True)
    reader.start()
    while not got:
        time.sleep(0.001)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    sent = time.monotonic()
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    took = time.monotonic() - sent
    reader.join(30)
    points = _json_points(b"".join(got))
    assert (proc.returncode, err.decode()) == (143, f"error: terminated: {points:,} points written, each a whole row\n")
    assert took < 2  # a slow reader takes a 65,536-point chunk in seconds


LOADING = """
import os, sys
sys.argv = ["autodiff", "eval", "x*2", "--grid", "x=0:200000:1", "--format", "csv"]
from autodiff_cli.cli import start  # the console script's first instruction: signals are caught from here on
os.write(1, b"up\\n")
start.run()
"""


def test_a_signal_while_the_command_loads_is_one_line():
    # From autodiff's first instruction on (the console script's, cli/start.py):
    # a signal at a random instant while it imports, parses or writes gives one
    # error line and 128 + the signal's number (or 0 once the batch is done).
    rng = random.Random("loading")
    for _ in range(TRIALS):
        sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
        proc = subprocess.Popen([sys.executable, "-c", LOADING], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdout.readline() == b"up\n"
        time.sleep(rng.uniform(0.0, 0.05))
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, 128 + sig), err
        if not proc.returncode:  # the work was done before the signal could stop it: said so, or nothing
            assert err.decode() in ("", f"note: {NAMES[sig]} as the command ended: its output is complete\n",
                                    "note: the interrupt came after the last point: the output is complete\n"), err
        if proc.returncode:
            line = rf"error: {NAMES[sig]}(: [\d,]+ points written, each a whole row)?\n"
            assert re.fullmatch(line, err.decode()), err
        assert not out or out.endswith(b"\r\n")
    count("signals while loading", TRIALS)


def test_a_reader_that_goes_away_ends_the_batch_quietly():
    rng = random.Random("pipe-gone")
    for _ in range(max(4, TRIALS // 4)):
        status, _, err = _trial(rng, "csv", None)
        assert (status, err) == (0, "")
    count("pipe reader-gone trials", max(4, TRIALS // 4))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP], ids=["SIGINT", "SIGHUP"])
def test_an_ignored_signal_stays_ignored(sig):
    # `cmd &` in a script starts it with SIGINT ignored, nohup with SIGHUP ignored:
    # the batch runs to its end, its output whole.
    proc = subprocess.Popen([*COMMAND[:-1], "x=0:300000:1", "--format", "csv"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            preexec_fn=lambda: signal.signal(sig, signal.SIG_IGN))
    assert proc.stdout.read(4096)  # the batch has begun
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, b"")
    assert out.endswith(b"599998.0,2.0\r\n")  # to the last row


@pytest.mark.parametrize("args", [["eval", "x*2", "--grid", "x=0:5000:1"], ["graph", "+".join(["sin(x)"] * 3000), "-o",
                                                                              "-", "--format", "dot"]],
                         ids=["table", "graph"])
def test_a_non_blocking_pipe_gets_the_whole_output(args):
    # A descriptor another program left non-blocking (node does) once cut the output at the pipe's
    # 64 KiB, with exit status 0: the slow reader here gets every byte the blocking one gets.
    def output(non_blocking: bool) -> bytes:
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, not non_blocking)
        proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", *args], stdout=write_end,
                                stderr=subprocess.PIPE, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        os.close(write_end)
        got: list[bytes] = []
        reader = threading.Thread(target=_reader, args=(read_end, True, got, None), daemon=True)
        reader.start()
        _, err = proc.communicate(timeout=120)
        reader.join(60)
        assert (proc.returncode, err) == (0, b"")
        return b"".join(got)

    whole = output(False)
    assert len(whole) > 1 << 17 and output(True) == whole
