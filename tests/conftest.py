"""Shared helpers: run the CLI in-process through its real entry point."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass

import pytest

from autodiff_cli.main import main


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
