"""Shared helpers: run the CLI in-process through its real entry point."""

from __future__ import annotations

import io
import os
import shutil
import sys
from dataclasses import dataclass

import pytest
from hypothesis import settings

from autodiff_cli.cli.main import main

# CI runs the same examples every time (a failure there is a bug, never bad luck);
# elsewhere each run explores new ones. AUTODIFF_FUZZ_SCALE=N runs N times as many.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")
SCALE = max(1, int(os.environ.get("AUTODIFF_FUZZ_SCALE", "1")))


def examples(n: int) -> int:
    """How many examples a property test runs: ``n``, times the fuzz scale."""
    return n * SCALE


def need_dot(why: str = "PNG/PDF") -> str:
    """The path of Graphviz's ``dot``, for a test that truly needs the system
    Graphviz. Without it the test is skipped, saying why, so that the suite
    passes with nothing but Python; under CI (which installs Graphviz) it fails
    instead, as a skip there would hide a break."""
    program = shutil.which("dot")
    if program is None:
        reason = f"needs Graphviz's dot ({why}); CI installs it"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, but it is not on PATH")
        pytest.skip(reason)
    return program


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, stdin: bytes = b"") -> Run:
    """Call ``autodiff ARGS`` through ``main`` with captured standard streams."""
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    sys.stdout, sys.stderr = out, err
    try:
        code = main(list(args))
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    return Run(int(code), out.getvalue(), err.getvalue())


@pytest.fixture
def cli():
    return run_cli


FUZZ_COUNTS: dict[str, int] = {}


def count(kind: str, n: int = 1) -> None:
    """Tally fuzz and differential cases, reported at the end of the run."""
    FUZZ_COUNTS[kind] = FUZZ_COUNTS.get(kind, 0) + n


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if FUZZ_COUNTS:
        failed = len(terminalreporter.stats.get("failed", []))
        parts = ", ".join(f"{n:,} {kind}" for kind, n in sorted(FUZZ_COUNTS.items()))
        terminalreporter.write_line(f"fuzz and differential cases run: {parts}; failing tests: {failed}")
