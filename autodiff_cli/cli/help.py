"""``--help``, laid out as Typer programs lay theirs out (usage line, text,
option panels, in Typer's colours), drawn from the option specs with Rich
alone: Typer's own help path imports far more than the whole command costs.
Nothing is cut: descriptions wrap inside their panel, examples are printed
whole, and a command's summary is shown complete."""

from __future__ import annotations

from .spec import COMMANDS, COMPLETION_FLAGS, PROGRAM, SUMMARY, VERSION_FLAG, Command

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO

OPTION, SWITCH, METAVAR, DIM = "bold cyan", "bold green", "bold yellow", "dim"


def _panel(title: str, rows: list[tuple[Any, ...]]) -> Any:
    """A titled panel of rows; every column but the last as wide as its widest cell."""
    from rich import box
    from rich.panel import Panel
    from rich.table import Table

    table = Table(highlight=False, show_header=False, expand=True, box=None, padding=(0, 1), pad_edge=False)
    for k in range(len(rows[0])):
        last = k == len(rows[0]) - 1
        widest = None if last else max(len(row[k]) for row in rows)
        table.add_column(no_wrap=not last, ratio=1 if last else None, min_width=widest)
    for row in rows:
        table.add_row(*row)
    return Panel(table, border_style=DIM, title=title, title_align="left", box=box.ROUNDED)


def _text(*parts: tuple[str, str]) -> Any:
    from rich.text import Text

    text = Text()
    for chunk, style in parts:
        text.append(chunk, style=style)
    return text


def _option_rows(command: Command) -> list[tuple[Any, ...]]:
    rows = []
    for opt in command.options:
        flags = _text((opt.flags[0], SWITCH if opt.kind == "flag" else OPTION))
        if opt.short:
            flags.append("  ")
            flags.append(opt.flags[1], style=SWITCH)
        help_text = _text((opt.help, ""))
        if opt.kind != "flag" and opt.default not in (None, []):
            help_text.append(f" [default: {opt.default}]", style=DIM)
        if opt.required:
            help_text.append(" [required]", style="dim red")
        if opt.many:
            help_text.append(" [repeatable]", style=DIM)
        rows.append((flags, _text((opt.shown_metavar(), METAVAR)), help_text))
    rows.append((_text(("--help", OPTION), ("  ", ""), ("-h", SWITCH)), _text(("", "")),
                 _text(("Show this message and exit.", ""))))
    return rows


def write_help(out: TextIO, command: Command | None = None) -> None:
    from ..console import make_console

    console = make_console(out)
    if command is None:
        console.print()
        console.print(_text((" Usage: ", "yellow"), (PROGRAM, "bold"), (" [OPTIONS] COMMAND [ARGS]...", "bold")))
        console.print()
        console.print(" " + SUMMARY)
        console.print()
        rows = [(_text((VERSION_FLAG, SWITCH)), _text(("Print the version and exit.", ""))),
                (_text((COMPLETION_FLAGS[0], SWITCH)), _text(("Install completion for the current shell.", ""))),
                (_text((COMPLETION_FLAGS[1], SWITCH)),
                 _text(("Show completion for the current shell, to copy it or customize the installation.", ""))),
                (_text(("--help", OPTION), ("  ", ""), ("-h", SWITCH)), _text(("Show this message and exit.", "")))]
        console.print(_panel("Options", rows))
        console.print(_panel("Commands", [(_text((c.name, "bold cyan")), _text((c.summary, "")))
                                          for c in COMMANDS.values()]))
        console.print(f" Run '{PROGRAM} COMMAND --help' for a command's options and examples.", style=DIM)
        return
    console.print()
    console.print(_text((" Usage: ", "yellow"), (f"{PROGRAM} {command.name}", "bold"),
                        (f" [OPTIONS] {command.argument}", "bold")))
    console.print()
    console.print(" " + command.summary)
    console.print()
    from rich.padding import Padding

    for paragraph in command.help.split("\n\n"):
        console.print(Padding(_text((" ".join(paragraph.split()), DIM)), (0, 0, 1, 1)))
    console.print(_panel("Arguments", [(_text((command.argument, METAVAR)),
                                        _text(("The expression (text, - for standard input, or @FILE)"
                                               + (", then values as --a 2, --a=2 or a=2." if "VALUES"
                                                  in command.argument else "."), ""), (" [required]", "dim red")))]))
    console.print(_panel("Options", _option_rows(command)))
    console.print(" Examples:", style="bold")
    for example in command.examples:
        console.print("   " + example, soft_wrap=True, highlight=False)
