"""The command-line layer: its own argument reader and the Typer app, both built
from the one option spec, read every command line alike. (That the library
never imports this layer is held by test_architecture.py.)"""

from __future__ import annotations

import pytest
import typer

from autodiff_cli.base.errors import UsageError
from autodiff_cli.cli.argv import parse_argv
from autodiff_cli.cli.spec import COMMANDS
from autodiff_cli.cli.typer_app import build_app

ARGVS = [
    ["eval", "a*b", "a=1", "b=2"],
    ["eval", "--format", "json", "a*b", "--a", "1", "b=2"],
    ["eval", "--format=CSV", "x", "x=1"],
    ["eval", "x", "--grid", "x=0:1:0.1", "--grid=y=0:1:1"],
    ["eval", "--x", "2", "--", "-x**2"],
    ["eval", "-x**2", "--x", "2"],
    ["eval", "x", "--digits", "3", "x=1", "--all", "--ieee", "--trace", "--hessian"],
    ["eval", "x", "--digits", "0"],
    ["eval", "x", "--digits", "18"],
    ["eval", "x", "--digits", "two"],
    ["eval", "x", "--format"],
    ["eval", "x", "--format", "yaml"],
    ["eval", "x", "--all=1"],
    ["eval", "x", "--input", "-", "--format", "jsonl", "--format", "tsv"],
    ["eval", "x", "--fromat", "json"],
    ["eval", "x", "--b", "-3", "--b=-4"],
    ["eval", "x", "--input", "p.parquet", "--output", "out.parquet", "--dask", "local:2"],
    ["eval", "x", "--input=p.parquet", "-oout.csv", "--dask=tcp://127.0.0.1:8786", "-o", "o.tsv"],
    ["eval", "x", "--grid", "x=0:1:0.5", "--output"],
    ["eval", "x", "--dask"],
    ["check", "x", "x=1", "--method", "forward", "--step", "1e-3", "--rtol", "0.1", "--atol=0"],
    ["check", "x", "--step", "abc"],
    ["check", "x", "--method", "backward"],
    ["check", "x", "--format", "JSON", "--digits", "17"],
    ["diff", "x*y", "--wrt", "x", "--wrt", "y", "--order", "2"],
    ["diff", "x", "--order", "11"],
    ["diff", "x", "--format", "json"],
    ["plot", "x", "--grid", "x=0:1", "-o", "f.svg", "--at", "-0.5"],
    ["plot", "x", "--grid", "x=0:1", "-of.svg", "--format", "png"],
    ["plot", "x", "--grid", "x=0:1", "--terminal", "--output=-"],
    ["graph", "a*b", "-o", "-", "--rankdir", "tb", "--precision", "2", "--ieee", "--force"],
    ["graph", "a*b", "--output=g.dot", "--format", "gv"],
    ["graph", "a", "-o", "x", "-o", "y"],
    ["graph", "a", "-o", "x", "--precision", "-1"],
    ["graph", "a", "-o"],
]


def _ours(argv: list[str]) -> tuple | str:
    try:
        parsed = parse_argv(argv)
    except UsageError:
        return "usage error"
    if parsed.missing:
        return "usage error"  # a required option is missing (reported once the expression is read)
    return parsed.command.name, parsed.values, parsed.tokens


def _typers(argv: list[str]) -> tuple | str:
    seen: list[tuple] = []

    def capture(name: str, values: dict, tokens: list[str]) -> int:
        seen.append((name, values, tokens))
        return 0

    try:
        typer.main.get_command(build_app(capture)).main(args=argv, prog_name="autodiff", standalone_mode=False)
    except Exception as exc:  # noqa: BLE001 - Typer's usage errors, whatever their class
        assert hasattr(exc, "exit_code") and exc.exit_code == 2, repr(exc)
        return "usage error"
    return seen[0]


@pytest.mark.parametrize("argv", ARGVS, ids=lambda a: " ".join(a))
def test_the_reader_and_typer_agree(argv):
    assert _ours(argv) == _typers(argv)


def test_the_reader_reads_values():
    # Independent of Typer: what the option texts mean.
    name, values, tokens = _ours(["graph", "a", "-o", "x", "--precision", "2", "--rankdir", "tb", "-oy"])
    assert (name, values["output"], values["precision"], values["rankdir"], tokens) == ("graph", "y", 2, "TB", ["a"])


def test_help_and_version_are_found_anywhere_before_the_double_dash():
    assert parse_argv(["eval", "x", "-h"]).action == "help"
    assert parse_argv(["check", "x", "--help"]).command.name == "check"
    assert parse_argv(["eval", "x", "--version"]).action == "version"
    assert parse_argv(["eval", "--", "--help"]).tokens == ["--help"]
    assert parse_argv([]).action == "help" and parse_argv([]).command is None


def test_every_option_has_help_and_a_unique_destination():
    for command in COMMANDS.values():
        dests = [opt.dest for opt in command.options]
        assert len(dests) == len(set(dests))
        assert all(opt.help.endswith(")") or opt.help.endswith(".") for opt in command.options)


