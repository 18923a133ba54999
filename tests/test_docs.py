"""The README documents every command, every option and every exit status, and
its Quick start is the two commands the contract asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from autodiff_cli.base.errors import ExitStatus
from autodiff_cli.cli.typer_app import build_app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMAND = typer.main.get_command(build_app())


@pytest.mark.parametrize("name", sorted(COMMAND.commands))
def test_every_command_and_option_is_documented(name):
    assert f"## `autodiff {name}" in README
    for param in COMMAND.commands[name].params:
        for opt in param.opts:
            if opt.startswith("--") and opt not in ("--help", "--version"):
                assert f"`{opt}" in README, f"{name} {opt} is not in the README"


def test_quick_start_is_two_commands():
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash)?\n(.*?)```", section, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && autodiff eval ")
    assert lines[1] == 'pip install ".[test]" && python -m pytest'
    assert lines[1] in (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()


def test_every_exit_status_is_in_the_errors_table():
    section = README.split("## Errors and exit status", 1)[1].split("\n## ", 1)[0]
    documented = {int(n) for cell in re.findall(r"^\| ([\d, ]+) \|", section, re.M) for n in cell.split(",")}
    assert documented == {int(status) for status in ExitStatus}
