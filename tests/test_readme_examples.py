"""The documentation's console examples are what the tool prints: each
`$ autodiff ...` line of a ``console`` block, in the README and in every page of
docs/, is run (at 80 columns) and its output compared, line by line, with the
lines under it. Examples that pipe, redirect or elide (`...`) are left out."""

from __future__ import annotations

import itertools
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _examples() -> list[tuple[str, list[str]]]:
    found = []
    blocks = [b for page in PAGES for b in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.S)]
    for block in blocks:
        lines = block.rstrip("\n").split("\n")
        starts = [k for k, line in enumerate(lines) if line.startswith("$ ")] + [len(lines)]
        for a, b in itertools.pairwise(starts):
            command, shown = lines[a][2:], [line.rstrip() for line in lines[a + 1:b]]
            while shown and not shown[-1]:
                shown.pop()
            if command.startswith("autodiff ") and not re.search(r"[|<>]|\$\(", command) and "..." not in shown:
                found.append((command, shown))
    return found


EXAMPLES = _examples()


def test_the_documentation_has_examples():
    assert len(EXAMPLES) >= 25


@pytest.mark.parametrize(("command", "shown"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(cli, monkeypatch, command, shown):
    monkeypatch.setenv("COLUMNS", "80")
    run = cli(*shlex.split(command)[1:])
    out = [line.rstrip() for line in run.out.rstrip().split("\n")] if run.out.strip() else []
    err = [line.rstrip() for line in run.err.rstrip().split("\n")] if run.err.strip() else []
    assert shown in (err + out, out + err)


def _commands() -> list[str]:
    """The `autodiff ...` lines of the ``bash`` blocks: examples whose output is a file."""
    blocks = [b for page in PAGES for b in re.findall(r"```(?:bash|sh)\n(.*?)```", page.read_text(encoding="utf-8"),
                                                       re.S)]
    return sorted({line for block in blocks for line in block.splitlines() if line.startswith("autodiff ")})


COMMANDS = _commands()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A directory holding the files the examples read (points.parquet, orders.parquet, points/, sales/, ...)."""
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    root = tmp_path_factory.mktemp("examples")
    orders = pa.table({"id": [1, 2, 3], "a": [1.0, 2.0, 3.0], "c": [0.5, 1.0, 1.5], "d": [2.0, -1.0, 0.0]})
    pq.write_table(orders, root / "orders.parquet")
    pq.write_table(orders.drop(["id"]), root / "points.parquet")
    (root / "points").mkdir()
    pq.write_table(orders.drop(["id"]), root / "points" / "part-0.parquet")
    (root / "points.csv").write_text("a,c,d\n1,0.5,2\n2,1,-1\n")
    (root / "model.txt").write_text("y = tanh(w*x)  # a neuron without bias\n")
    (root / "sales" / "d=1" / "region=eu").mkdir(parents=True)
    pq.write_table(pa.table({"x": [1.0, 2.0]}), root / "sales" / "d=1" / "region=eu" / "part-0.parquet")
    (root / "docs").mkdir()
    return root


def test_the_documentation_has_file_examples():
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("command", COMMANDS)
def test_file_example_runs(workdir, command):
    # Each writes where it says (a fresh name each time: --output DIR must be new) and exits 0.
    args = shlex.split(command, comments=True)[1:]
    for flag in ("-o", "--output"):
        if flag in args and args[args.index(flag) + 1] != "-":
            out = Path(args[args.index(flag) + 1])
            (workdir / out).unlink(missing_ok=True) if (workdir / out).is_file() else shutil.rmtree(
                workdir / out, ignore_errors=True)
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=workdir, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, (command, run.stderr)
    assert "Traceback" not in run.stderr
    for flag in ("-o", "--output"):
        if flag in args and args[args.index(flag) + 1] != "-":
            assert (workdir / args[args.index(flag) + 1]).exists()
