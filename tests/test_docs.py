"""The documentation: a short README whose Quick start is the contract's two
commands, every command and option in the reference written from the option spec
(and that page current), every exit status in the errors table, one version in
the package, pyproject.toml and the changelog, and every picture drawn by the
script that makes them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from autodiff_cli import __version__
from autodiff_cli.base.errors import ExitStatus
from autodiff_cli.cli import reference, spec
from autodiff_cli.cli.typer_app import build_app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
COMMAND = typer.main.get_command(build_app())


def test_the_readme_is_short_and_links_to_what_a_newcomer_looks_for_first():
    assert len(README.encode()) <= 10 * 1024
    top = README.split("## Quick start", 1)[0]  # the first screen: the notebook, the language, the reference
    for target in ("examples/lecture.ipynb", "docs/language.md", "docs/reference.md", "docs/tutorial.md"):
        assert f"]({target})" in top, target


def test_every_link_of_the_readme_reaches_a_file():
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README):
        if "://" not in target:
            assert (ROOT / target).exists(), target


def test_quick_start_is_two_commands():
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```(?:bash)?\n(.*?)```", section, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert len(lines) == 2
    assert lines[0].startswith("pip install . && autodiff eval ")
    assert lines[1] == 'pip install ".[test]" && python -m pytest'
    assert lines[1] in (ROOT / ".ci" / "run").read_text()


def test_the_reference_page_is_what_the_spec_writes():
    # Written by `python -m autodiff_cli.cli.reference`: a stale page fails here.
    assert (DOCS / "reference.md").read_text(encoding="utf-8") == reference.markdown()


def test_the_reference_page_changes_when_an_option_changes(monkeypatch):
    opt = spec.Opt("frobnicate", "int", "Frobnicate N times.", default=3, low=1, high=9)
    before = reference.markdown()
    monkeypatch.setattr(spec.DIFF, "options", [*spec.DIFF.options, opt])
    after = reference.markdown()
    assert "`--frobnicate N`" not in before
    section = after.split("## `autodiff diff`", 1)[1].split("\n## ", 1)[0]
    assert "| `--frobnicate N` | Frobnicate N times. From 1 to 9. | `3` |" in section


@pytest.mark.parametrize("name", sorted(COMMAND.commands))
def test_every_command_and_option_is_in_the_reference(name):
    # Typer's reading of the program (a separate path from the spec's own reader) against the page.
    page = (DOCS / "reference.md").read_text(encoding="utf-8")
    section = page.split(f"## `autodiff {name}`", 1)[1].split("\n## ", 1)[0]
    former = {flag for opt in spec.COMMANDS[name].options for flag in opt.old_flags}  # still read, not shown
    for param in COMMAND.commands[name].params:
        for opt in param.opts:
            if opt.startswith("-") and opt != "--version" and opt not in former:
                assert f"`{opt}" in section, f"{name} {opt} is not in the reference"


def test_every_exit_status_is_in_the_errors_table():
    page = (DOCS / "errors.md").read_text(encoding="utf-8")
    section = page.split("## Errors and exit status", 1)[1].split("\n## ", 1)[0]
    documented = {int(n) for cell in re.findall(r"^\| ([\d, ]+) \|", section, re.M) for n in cell.split(",")}
    assert documented == {int(status) for status in ExitStatus}


def test_one_version_in_the_package_pyproject_and_changelog(cli):
    project = {"version": re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1)}
    latest = re.search(r"^## (\d+\.\d+\.\d+) - \d{4}-\d{2}-\d{2}$", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert project["version"] == __version__ == latest.group(1)
    assert cli("--version").out == f"autodiff {__version__}\n"


def test_every_page_is_in_the_site_and_every_picture_has_its_maker():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {p.name for p in DOCS.glob("*.md")}
    assert pages == set(re.findall(r"^\s+- (?:.+: )?(\w+\.md)$", config, re.M))
    shown = set(re.findall(r"!\[[^\]]*\]\((?:docs/)?([^)]+)\)", README))
    for page in DOCS.glob("*.md"):
        shown |= set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text(encoding="utf-8")))
    made = subprocess.run([sys.executable, str(DOCS / "pictures.py"), "--list"], capture_output=True, text=True,
                          check=True).stdout.split()
    assert shown <= set(made), shown - set(made)
    assert all((DOCS / name).stat().st_size > 1000 for name in made)
