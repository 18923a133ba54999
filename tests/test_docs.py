"""The README documents every command and every option, and its Quick start is
the two commands the contract asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from autodiff_cli.cli import app
from autodiff_cli.evaluate import EVAL_OPTIONS
from autodiff_cli.main import _FLAGS, _VALUED

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMAND = typer.main.get_command(app)


@pytest.mark.parametrize("name", sorted(COMMAND.commands))
def test_every_command_and_option_is_documented(name):
    assert f"## `autodiff {name}" in README
    for param in COMMAND.commands[name].params:
        for opt in param.opts:
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in README, f"{name} {opt} is not in the README"


def test_fast_path_knows_exactly_the_eval_options():
    # main.fast_eval reads eval's arguments without Typer: it must know the same options.
    typer_options = {opt for p in COMMAND.commands["eval"].params for opt in p.opts if opt.startswith("--")}
    assert typer_options - {"--help"} == set(_FLAGS) | set(_VALUED)
    assert typer_options | {"--help"} == {f"--{name}" for name in EVAL_OPTIONS}


def test_quick_start_is_two_commands():
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash)?\n(.*?)```", section, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && autodiff eval ")
    assert lines[1] == 'pip install ".[test]" && python -m pytest'
    assert lines[1] in (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
