"""The documentation's console examples are what the tool prints: each
`$ autodiff ...` line of a ``console`` block, in the README and in every page of
docs/, is run (at 80 columns) and its output compared, line by line, with the
lines under it. Examples that pipe, redirect or elide (`...`) are left out."""

from __future__ import annotations

import itertools
import re
import shlex
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
