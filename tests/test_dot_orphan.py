"""A second signal ends the command at once, and the `dot` it started ends with it: the child holds
SIGINT and SIGTERM (this process stops it), so an exit that skips that stop left it running, orphaned."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_signals import alive, children

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_signal_ends_the_dot_it_started(tmp_path, signum):
    (tmp_path / "dot").write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 600\n")
    (tmp_path / "dot").chmod(0o755)
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", "graph", "a*b", "a=1", "b=2", "-o",
                             str(tmp_path / "g.svg")], cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (dots := children(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert dots, "dot never started"
        os.kill(proc.pid, signum)
        time.sleep(0.001)
        os.kill(proc.pid, signum)
        proc.communicate(timeout=30)
        deadline = time.monotonic() + 5
        while any(map(alive, dots)) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(map(alive, dots)), "dot left running"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in children(proc.pid):
            os.kill(pid, signal.SIGKILL)
