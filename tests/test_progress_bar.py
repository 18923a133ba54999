"""The progress bar on a real terminal (a pseudo-terminal), shared with other
writers as a person's terminal is: what ends up on the screen is worked out
from the bytes by a small terminal model, and must be exactly the other
writers' lines, with nothing of the bar left behind (not glued to a line, not
a line erased, not a hidden cursor) whether the run ends, is interrupted, or
loses the reader of its output."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import tty

import pytest
from test_terminal import ROOT, _drain, _env

TOKENS = re.compile(rb"\x1b\[([0-9;?]*)([A-Za-z])|\r|\n|[^\x1b\r\n]+")
CSV = ["eval", "x**2", "--grid", "x=0:3e6:1", "--format", "csv"]


def screen(data: bytes, width: int = 80) -> tuple[list[str], bool]:
    """The lines a terminal ``width`` columns wide shows after ``data`` (with
    trailing blanks dropped), and whether its cursor is visible."""
    lines: list[list[str]] = [[]]
    row = col = 0
    visible = True
    for m in TOKENS.finditer(data):
        token = m.group(0)
        if token == b"\r":
            col = 0
        elif token == b"\n":
            row += 1
        elif m.group(2) is not None:
            arg, code = m.group(1).decode(), m.group(2).decode()
            if code == "K":  # erase in line: to its end (0) or all of it (2)
                lines[row][0 if arg == "2" else col:] = []
            elif code == "A":
                row = max(0, row - int(arg or 1))
            elif code in "hl" and arg == "?25":
                visible = code == "h"
            elif code != "m":
                raise AssertionError(f"unexpected control sequence {token!r}")
        else:
            for char in token.decode():
                if col == width:  # the line is full: the next character goes on the next
                    row, col = row + 1, 0
                while len(lines) <= row:
                    lines.append([])
                line = lines[row]
                line += [" "] * (col - len(line))
                line[col:col + 1] = [char]
                col += 1
        while len(lines) <= row:
            lines.append([])
    text = ["".join(line).rstrip() for line in lines]
    while text and not text[-1]:
        text.pop()
    return text, visible


def _start(args: list[str], stdout_tty: bool = False) -> tuple[subprocess.Popen, int]:
    """``autodiff ARGS`` with standard error (and standard output if asked) on a
    pseudo-terminal; its parent end is returned."""
    parent, child = pty.openpty()
    tty.setraw(child)
    os.set_blocking(parent, False)
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=_env(80),
                            stdin=subprocess.DEVNULL, stdout=child if stdout_tty else subprocess.PIPE, stderr=child)
    os.close(child)
    return proc, parent


def _read_available(fd: int) -> bytes:
    data = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def test_the_reader_of_the_output_going_leaves_only_its_lines_on_the_terminal():
    # `autodiff eval ... | head -3` in a terminal: head prints three lines to the terminal and goes.
    proc, parent = _start(CSV)
    got = b""
    while got.count(b"\r\n") < 3:
        got += os.read(proc.stdout.fileno(), 1 << 16)
    head = b"".join(line + b"\r\n" for line in got.split(b"\r\n")[:3])  # the terminal adds the \r
    terminal = _read_available(parent) + head
    proc.stdout.close()
    fds = {parent: bytearray()}
    _drain(dict(fds), proc)
    assert proc.wait(timeout=60) == 0
    os.close(parent)
    lines, visible = screen(terminal + bytes(fds[parent]))
    assert lines == ["x,value,grad_x", "0.0,0.0,0.0", "1.0,1.0,2.0"]
    assert visible


@pytest.mark.parametrize("signum", [None, signal.SIGINT, signal.SIGTERM])
def test_the_bar_is_shown_then_erased_whole_when_the_run_ends_or_is_stopped(signum):
    proc, parent = _start(CSV)
    out = bytearray()
    shown = bytearray()
    while b"points" not in shown and proc.poll() is None:  # the bar is up
        out += os.read(proc.stdout.fileno(), 1 << 16)
        shown += _read_available(parent)
    assert b"points" in shown
    frames = screen(bytes(shown))[0]
    assert len(frames) == 1 and len(frames[0]) < 80  # one line, narrower than the terminal
    assert re.fullmatch(r"points [━╸╺]+ +\d+/3000000 \d:\d\d:\d\d", frames[0]), frames[0]
    if signum is not None:
        proc.send_signal(signum)
    fds = {proc.stdout.fileno(): out, parent: shown}
    _drain(dict(fds), proc)
    code = proc.wait(timeout=60)
    os.close(parent)
    lines, visible = screen(bytes(shown))
    if signum is None:
        assert code == 0 and lines == [] and out.count(b"\r\n") == 3_000_001
    else:
        assert code == 128 + signum
        assert len(lines) == 1 and re.fullmatch(r"error: (interrupted|terminated): [\d,]+ points written, each a "
                                                r"whole row", lines[0]), lines
    assert visible


def test_no_bar_among_rows_written_to_the_same_terminal():
    # Rows going to the terminal show the progress themselves; a frame among them would break a row.
    proc, parent = _start(["eval", "x**2", "--grid", "x=0:4e5:1", "--format", "csv"], stdout_tty=True)
    fds = {parent: bytearray()}
    data = fds[parent]
    _drain(dict(fds), proc)
    assert proc.wait(timeout=60) == 0
    os.close(parent)
    lines, visible = screen(bytes(data))
    assert len(lines) == 400_001 and lines[0] == "x,value,grad_x" and visible
    for k in (0, 1, 199_999, 399_999):
        assert lines[k + 1] == f"{float(k)},{float(k * k)},{float(2 * k)}"
    assert all(re.fullmatch(r"[\d.]+,[\d.e+]+,[\d.]+", line) for line in lines[1:])


def test_the_terminal_model_reads_what_terminals_do():
    # The model itself, against what a VT100 does with these bytes.
    assert screen(b"abc\r\x1b[2Kd") == (["d"], True)
    assert screen(b"abc\rd\x1b[K\r\n\x1b[?25lx") == (["d", "x"], False)
    assert screen(b"a\r\nb\x1b[1A\x1b[2K") == (["", "b"], True)
    assert screen(b"12345x", width=5) == (["12345", "x"], True)
