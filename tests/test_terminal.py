"""The tool as a person runs it: with a terminal (a pseudo-terminal) on standard
error, on standard output, or both; and stopped with Ctrl-C in the middle of a
batch. Standard output must carry exactly the bytes of the run without a
terminal; tables must never cut a number; an interrupted batch leaves whole rows.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import tty
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
LECTURE = ["a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3"]


def _env(columns: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "PYTHONUNBUFFERED")}
    env["COLUMNS"] = str(columns)
    env["PYTHONPATH"] = str(ROOT)
    return env


def _drain(fds: dict[int, bytearray], proc: subprocess.Popen, timeout: float = 120) -> None:
    """Read every fd to its end (a pty's end is EIO once the child closed it)."""
    deadline = time.monotonic() + timeout
    while fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(fds), [], [], 0.5)
        for fd in ready:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            if data:
                fds[fd] += data
            else:
                del fds[fd]
        if not ready and proc.poll() is not None and not select.select(list(fds), [], [], 0)[0]:
            break


def run(args: list[str], *, stdout_tty: bool = False, stderr_tty: bool = False, columns: int = 80,
        stdin: bytes | None = None) -> tuple[int, bytes, bytes]:
    """``autodiff ARGS`` in a subprocess; the chosen streams on a pseudo-terminal
    in raw mode (no newline translation), the others on pipes."""
    streams: dict[str, int] = {}
    parents: dict[str, int] = {}
    for name, wanted in (("out", stdout_tty), ("err", stderr_tty)):
        if wanted:
            parent, child = pty.openpty()
            tty.setraw(child)
            os.set_blocking(parent, False)
            streams[name], parents[name] = child, parent
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=_env(columns),
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=streams.get("out", subprocess.PIPE), stderr=streams.get("err", subprocess.PIPE))
    for child in streams.values():
        os.close(child)
    if stdin is not None:
        proc.stdin.write(stdin)
        proc.stdin.close()
    fds = {parents.get("out") or proc.stdout.fileno(): bytearray(),
           parents.get("err") or proc.stderr.fileno(): bytearray()}
    out_fd, err_fd = list(fds)
    results = dict(fds)
    _drain(fds, proc)
    code = proc.wait(timeout=60)
    for fd in parents.values():
        os.close(fd)
    return code, bytes(results[out_fd]), bytes(results[err_fd])


COMMANDS = [
    ["eval", *LECTURE],
    ["eval", *LECTURE, "--format", "json"],
    ["eval", "o = tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432",
     "--trace", "--all", "--hessian"],
    ["eval", "x**2", "--grid", "x=0:3:1", "--format", "csv"],
    ["eval", "x*y + x", "--grid", "x=0:500:1", "--grid", "y=0:1:0.001", "--format", "csv"],
    ["eval", "relu(x)", "x=0"],
    ["check", *LECTURE],
    ["diff", "sin(x)*y"],
    ["graph", "a*b", "a=1", "b=2", "--format", "dot", "-o", "-"],
    ["plot", "3*x**2 - 4*x + 5", "--grid", "x=-5:5", "--terminal"],
    ["--help"],
    ["eval", "--help"],
    [],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a)[:40] or "(no arguments)")
def test_stdout_is_the_same_with_a_terminal_on_stderr(args):
    plain = run(args)
    with_tty = run(args, stderr_tty=True)
    assert with_tty[0] == plain[0]
    assert with_tty[1] == plain[1]  # every byte of standard output, whatever standard error is
    assert plain[1]


def test_a_million_points_with_a_terminal_on_stderr():
    args = ["eval", "x*y + x", "--grid", "x=0:1000:1", "--grid", "y=0:1:0.001", "--format", "csv"]
    plain = run(args)
    code, out, err = run(args, stderr_tty=True)
    assert code == plain[0] == 0
    assert out == plain[1]
    assert out.count(b"\r\n") == 1_000_001
    assert b"x,y,value,grad_x,grad_y" not in err  # nothing of the data leaked into the terminal


@pytest.mark.parametrize("args", [a for a in COMMANDS if a and "--format" not in a and "-o" not in a],
                         ids=lambda a: " ".join(a)[:40])
@pytest.mark.parametrize("columns", [80, 100, 160])
def test_tables_on_a_terminal_never_cut_a_number(args, columns):
    code, shown, _ = run(args, stdout_tty=True, stderr_tty=True, columns=columns)
    _, plain, _ = run(args, columns=columns)
    assert code == 0
    text = ANSI.sub(b"", shown)
    assert "…".encode() not in text
    # On a terminal only colours and the padding at the ends of lines are added: the same
    # characters as in a file, where lines end without spaces.
    assert re.sub(rb" +(\r?\n)", rb"\1", text) == plain
    assert not re.search(rb" \r?\n", plain)
    numbers = re.findall(rb"-?\d+\.\d+(?:e[-+]\d+)?", run(["eval", *args[1:], "--format", "json"])[1]) \
        if args[0] == "eval" and "--grid" not in args and "--help" not in args else []
    for number in numbers:  # each value and gradient shown whole, to six significant digits
        assert f"{float(number):.6g}".encode() in text


def test_progress_bar_appears_on_a_terminal_only():
    args = ["eval", "x*y", "--grid", "x=0:1000:1", "--grid", "y=0:2000:1", "--format", "csv"]
    code, out, err = run(args, stderr_tty=True)
    assert code == 0 and out.count(b"\r\n") == 2_000_001
    assert b"points" in ANSI.sub(b"", err)  # the bar's label, drawn on the terminal
    assert run(args)[2] == b""  # standard error not a terminal: no bar


def _rows_are_whole(out: bytes, fields: int) -> int:
    lines = out.split(b"\r\n")
    assert lines[-1] == b"", "the output ends in the middle of a row"
    for line in lines[1:-1]:
        cells = line.split(b",")
        assert len(cells) == fields and all(float(c) == float(c) for c in cells)
    return len(lines) - 2


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("stderr_tty", [False, True])
def test_an_interrupted_batch_leaves_whole_rows(signum, stderr_tty):
    args = ["eval", "x*y + x", "--grid", "x=0:100000:1", "--grid", "y=0:1:0.001", "--format", "csv"]
    parent = None
    err_target: int = subprocess.PIPE
    if stderr_tty:
        parent, err_target = pty.openpty()
        tty.setraw(err_target)
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=_env(80),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err_target)
    if parent is not None:
        os.close(err_target)
    out = bytearray()
    while len(out) < 3_000_000:  # well into the batch: the reader is slow, the pipe full
        out += os.read(proc.stdout.fileno(), 1 << 16)
    proc.send_signal(signum)
    fds = {proc.stdout.fileno(): out, parent if parent is not None else proc.stderr.fileno(): bytearray()}
    err = fds[list(fds)[1]]
    _drain(dict(fds), proc)
    code = proc.wait(timeout=60)
    if parent is not None:
        os.close(parent)
    written = _rows_are_whole(bytes(out), 5)
    assert 0 < written < 100_000_000
    assert code == 128 + signum
    message = ANSI.sub(b"", bytes(err)).decode()
    assert f"{written:,} points written, each a whole row" in message


def test_ctrl_c_in_a_pipeline_says_so_when_the_reader_goes_too():
    # Ctrl-C reaches every process of the pipeline: `autodiff ... | tail -3` loses its reader as well.
    args = ["eval", "x*y + x", "--grid", "x=0:100000:1", "--grid", "y=0:1:0.001", "--format", "csv"]
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=_env(80),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = 0
    while got < 1_000_000:
        got += len(os.read(proc.stdout.fileno(), 1 << 16))
    proc.send_signal(signal.SIGINT)
    proc.stdout.close()  # the reader dies with it
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 130
    assert re.search(r"error: interrupted: [\d,]+ points written, each a whole row", err), err


@pytest.mark.parametrize("args", [
    ["plot", "x", "--grid", "x=0:1", "--format", "png", "-o", "-"],
    ["graph", "a*b", "a=1", "b=2", "--format", "png", "-o", "-"],
])
def test_binary_output_goes_to_a_pipe_not_to_a_terminal(args):
    code, out, err = run(args, stdout_tty=True)
    assert code == 2 and out == b"" and b"would write PNG bytes to the terminal" in err
    code, out, err = run(args)
    assert code == 0 and out.startswith(b"\x89PNG\r\n\x1a\n")


def test_lines_lose_their_trailing_spaces_only_at_their_ends():
    # Spaces a write ends with are the line's padding only if a newline comes next.
    import io

    from autodiff_cli.cli.console import _Trimmed

    out = io.StringIO()
    trimmed = _Trimmed(out)
    for chunk in ["a   ", "b  \n", "  c  ", "", "\n", "x ", " y\n  \n"]:
        trimmed.write(chunk)
    assert out.getvalue() == "a   b\n  c\nx  y\n\n"


def test_messages_on_a_terminal_break_at_its_width_and_stay_one_line_elsewhere():
    args = ["check", "sin(x)", "x=1e16"]  # a long note: floats there are too coarse to judge
    code, _, piped = run(args)
    lines = piped.decode().splitlines()
    assert code == 0 and len(lines) == 1 and len(lines[0]) > 160  # one line into a pipe
    code, _, shown = run(args, stderr_tty=True, columns=80)
    shown_lines = ANSI.sub(b"", shown).decode().replace("\r", "").splitlines()
    assert code == 0 and all(len(line) <= 80 for line in shown_lines) and len(shown_lines) > 2
    assert all(line.startswith("  ") for line in shown_lines[1:])  # a message's further lines indented
    assert " ".join(line.strip() for line in shown_lines) == lines[0]
