"""Standard streams that fail: output full or closed, input closed, standard error
gone, a reader that leaves, an ASCII-only locale. Each ends as the README's
Errors table says: one `error:` line (or silence for a closed pipe), never a
traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    ["eval", "a*b", "a=1", "b=2"],
    ["eval", "a*b", "a=1", "b=2", "--format", "json"],
    ["check", "a*b", "a=1", "b=2"],
    ["diff", "x**2"],
    ["graph", "a*b", "a=1", "b=2", "--format", "dot", "-o", "-"],
    ["plot", "x**2", "--grid", "x=0:1", "--terminal"],
    ["--version"],
    ["--help"],
]


def _run(args: list[str], close: int | None = None, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    env.pop("PYTHONUNBUFFERED", None)
    env.update(kwargs.pop("env", {}))
    return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, env=env, timeout=120,
                          preexec_fn=(lambda: os.close(close)) if close is not None else None, **kwargs)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_output_device_full(args):
    with open("/dev/full", "wb") as full:
        proc = _run(args, stdout=full, stderr=subprocess.PIPE)
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert err == "error: cannot write the output: No space left on device\n"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_output_closed(args):
    proc = _run(args, close=1, stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert proc.stderr.decode() == "error: cannot write the output: standard output is closed\n"


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_reader_that_leaves_ends_quietly(args):
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # like `| head -0`: the reader is gone before anything is written
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and err == b""


@pytest.mark.parametrize("args", [["eval", "-"], ["eval", "x", "--input", "-"],
                                  ["eval", "x", "--input", "-", "--format", "csv"]], ids=" ".join)
def test_input_closed(args):
    proc = _run(args, close=0, capture_output=True)
    assert proc.returncode == 2 and proc.stderr.decode() == "error: standard input is closed\n"


def test_standard_error_gone_loses_notes_not_the_run():
    # relu'(0) = 0 gives a note on standard error; without standard error, the result still arrives whole.
    proc = _run(["eval", "relu(x)*y", "x=0", "y=2", "--format", "json"], close=2, stdout=subprocess.PIPE)
    assert proc.returncode == 0
    assert json.loads(proc.stdout) ["gradients"] == {"x": 0.0, "y": 0.0}
    with open("/dev/full", "wb") as full:
        proc = _run(["eval", "relu(x)*y", "x=0", "y=2", "--format", "json"], stdout=subprocess.PIPE, stderr=full)
    assert proc.returncode == 0 and json.loads(proc.stdout)["value"] == 0.0


def test_output_is_utf8_whatever_the_locale():
    for env in ({"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "LANG": "C"}):
        proc = _run(["eval", "θ*2", "θ=1", "--format", "json"], capture_output=True, env=env)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout.decode("utf-8"))["gradients"] == {"θ": 2.0}
