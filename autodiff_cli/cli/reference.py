"""The command reference of the documentation, written from the option spec.

The spec (:mod:`.spec`) is the one source of the options: the argument reader,
the help and the Typer app read it, and so does this page, so the page cannot
describe an option the program does not have. ``python -m
autodiff_cli.cli.reference`` writes ``docs/reference.md``; a test holds the file
equal to what this module writes.
"""

from __future__ import annotations

import sys

from .spec import COMMANDS, HELP_FLAGS, LANGUAGE, PROGRAM, SUMMARY, VERSION_FLAG, Command, Opt

PAGE = "docs/reference.md"


def _plain(text: str) -> str:
    """The spec's plain text as Markdown: ``*`` and ``_`` (``c*d``, ``x_1``) must not turn into emphasis."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def _listed(words: tuple[str, ...]) -> str:
    quoted = [f"`{w}`" for w in words]
    return ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)


def _default(opt: Opt) -> str:
    if opt.required:
        return "required"
    if opt.kind == "flag" or opt.many or opt.default in (None, ""):
        return ""
    return f"`{opt.default}`"


def _option_row(opt: Opt) -> str:
    # A choice's values go in the text: a "|" in the first column would split the table's cell.
    metavar = opt.name.upper() if opt.kind == "choice" else opt.shown_metavar()
    names = ", ".join(f"`{flag}{' ' + metavar if metavar else ''}`" for flag in opt.flags)
    choices = f" One of {_listed(opt.choices)}." if opt.kind == "choice" else ""
    bounds = f" From {opt.low} to {opt.high}." if opt.low is not None and opt.high is not None else ""
    return f"| {names} | {_plain(opt.help)}{choices}{bounds} | {_default(opt)} |"


def _command(command: Command) -> list[str]:
    lines = [f"## `{PROGRAM} {command.name}`", "", _plain(command.summary), "", "```text",
             f"{PROGRAM} {command.name} {command.argument} [OPTIONS]", "```", "",
             _plain(command.help), "", "| option | meaning | default |", "|---|---|---|"]
    lines += [_option_row(opt) for opt in command.options]
    helps = ", ".join(f"`{flag}`" for flag in HELP_FLAGS)
    lines += [f"| {helps} | Show this message and exit. | |", "", "Examples:", "",
              "```bash", *command.examples, "```", ""]
    return lines


def markdown() -> str:
    """The whole page."""
    lines = ["# Command reference", "",
             "<!-- Written by `python -m autodiff_cli.cli.reference` from the option spec "
             "(autodiff_cli/cli/spec.py); do not edit by hand. -->", "",
             f"{SUMMARY} Every command takes its values as `--a 2`, `--a=2` or `a=2`; "
             f"`{PROGRAM} {VERSION_FLAG}` prints the version, `{PROGRAM} COMMAND --help` these options.", "",
             _plain(LANGUAGE), ""]
    for command in COMMANDS.values():
        lines += _command(command)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else PAGE
    with open(target, "w", encoding="utf-8", newline="\n") as page:
        page.write(markdown())
