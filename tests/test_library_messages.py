"""The library never names a command-line flag in a message: it raises typed
errors that carry what the command line needs (a path, a range), and the command
line adds its options (``cli/main.py``'s ``_message``). Documentation may name
them: docstrings (a string standing alone as a statement) are not messages."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from autodiff_cli.cli.spec import COMMANDS

PACKAGE = Path(__file__).resolve().parent.parent / "autodiff_cli"
FLAGS = {flag for command in COMMANDS.values() for option in command.options for flag in option.flags
         if flag.startswith("--")}
FLAG = re.compile(r"--[a-z][a-z0-9-]*")
LIBRARY = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "cli")


def flags_in_messages(source: str) -> list[str]:
    """``line: flag`` for each of the command line's flags in a string literal
    (f-strings' parts too) that is not a docstring."""
    tree = ast.parse(source)
    documentation = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation:
            found += [f"line {node.lineno}: {m}" for m in FLAG.findall(node.value) if m in FLAGS]
    return sorted(found, key=lambda f: int(f.split()[1].rstrip(':')))


def test_the_scan_sees_flags_in_messages_only():
    assert {"--grid", "--input", "--dask", "--format"} <= FLAGS
    assert len(LIBRARY) >= 25
    source = '''"""Module: --grid here is documentation."""
def f(path):
    """--input in a docstring."""
    if path:
        raise ValueError(f"{path} is a directory: give --input FILE")
    return "read with --dask, " + "--multiprocessing-fork is not ours"
'''
    assert flags_in_messages(source) == ["line 5: --input", "line 6: --dask"]


@pytest.mark.parametrize("path", LIBRARY, ids=[str(p.relative_to(PACKAGE)) for p in LIBRARY])
def test_the_library_names_no_flag_in_a_message(path):
    found = flags_in_messages(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(PACKAGE)} names the command line's flags: {found}"
