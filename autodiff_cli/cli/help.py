"""``--help``, laid out as Typer programs lay theirs out (usage line, text,
option panels, in Typer's colours), drawn from the option specs with Rich
alone: Typer's own help path imports far more than the whole command costs.
Nothing is cut: descriptions wrap inside their panel, examples are printed
whole, and a command's summary is shown complete."""

from __future__ import annotations

from .spec import COMMANDS, COMPLETION_FLAGS, LANGUAGE, PROGRAM, SUMMARY, VERSION_FLAG, Command

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO

OPTION, SWITCH, METAVAR, DIM = "bold cyan", "bold green", "bold yellow", "dim"


def _panel(title: str, rows: list[tuple[Any, ...]], width: int) -> Any:
    """A titled panel of rows, every column but the last as wide as its widest
    cell; when that leaves the last (the description) under 24 characters, each
    description goes on its own line under its row instead (narrow terminals)."""
    from rich import box  # lazily: only --help needs Rich's panels
    from rich.padding import Padding  # lazily: only --help needs Rich's panels
    from rich.panel import Panel  # lazily: only --help needs Rich's panels
    from rich.table import Table  # lazily: only --help needs Rich's panels

    widest = [max(len(row[k]) for row in rows) for k in range(len(rows[0]) - 1)]
    table = Table(highlight=False, show_header=False, expand=True, box=None, padding=(0, 1), pad_edge=False)
    if width - 4 - sum(w + 1 for w in widest) >= 24:
        for w in widest:
            table.add_column(no_wrap=True, min_width=w)
        table.add_column(ratio=1)
        for row in rows:
            table.add_row(*row)
    else:
        table.add_column(ratio=1)
        for row in rows:
            head = _text()
            for cell in row[:-1]:
                if len(cell):
                    head.append_text(cell)
                    head.append("  ")
            table.add_row(head)
            table.add_row(Padding(row[-1], (0, 0, 0, 4)))
    return Panel(table, border_style=DIM, title=title, title_align="left", box=box.ROUNDED)


def _text(*parts: tuple[str, str]) -> Any:
    from rich.text import Text  # lazily: only --help needs Rich's panels

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
        rows.append((flags, _text((opt.shown_metavar(), METAVAR)), help_text))
    rows.append((_text(("--help", OPTION), ("  ", ""), ("-h", SWITCH)), _text(("", "")),
                 _text(("Show this message and exit.", ""))))
    return rows


def write_help(out: TextIO, command: Command | None = None) -> None:
    from rich.padding import Padding  # lazily: only --help needs Rich's panels

    from .console import make_console  # lazily: only --help needs Rich's console

    console = make_console(out)
    width = console.width

    def line(text: str, style: str = "") -> None:  # indented by one, and so when it wraps
        console.print(Padding(_text((text, style)), (0, 0, 0, 1)))

    if command is None:
        console.print()
        console.print(Padding(_text(("Usage: ", "yellow"), (PROGRAM, "bold"), (" [OPTIONS] COMMAND [ARGS]...", "bold")),
                              (0, 0, 0, 1)))
        console.print()
        line(SUMMARY)
        console.print()
        line(LANGUAGE, DIM)
        console.print()
        rows = [(_text((VERSION_FLAG, SWITCH)), _text(("Print the version and exit.", ""))),
                (_text((COMPLETION_FLAGS[0], SWITCH)), _text(("Install completion for the current shell.", ""))),
                (_text((COMPLETION_FLAGS[1], SWITCH)),
                 _text(("Show completion for the current shell, to copy it or customize the installation.", ""))),
                (_text(("--help", OPTION), ("  ", ""), ("-h", SWITCH)), _text(("Show this message and exit.", "")))]
        console.print(_panel("Options", rows, width))
        console.print(_panel("Commands", [(_text((c.name, "bold cyan")), _text((c.summary, "")))
                                          for c in COMMANDS.values()], width))
        line(f"Run '{PROGRAM} COMMAND --help' for a command's options and examples.", DIM)
        return
    console.print()
    console.print(Padding(_text(("Usage: ", "yellow"), (f"{PROGRAM} {command.name}", "bold"),
                                (f" [OPTIONS] {command.argument}", "bold")), (0, 0, 0, 1)))
    console.print()
    line(command.summary)
    console.print()
    for paragraph in command.help.split("\n\n"):
        console.print(Padding(_text((" ".join(paragraph.split()), DIM)), (0, 0, 1, 1)))
    console.print(_panel("Arguments", [(_text((command.argument, METAVAR)),
                                        _text(("The expression (text, - for standard input, or @FILE)"
                                               + (", then values as --a 2, --a=2 or a=2." if "VALUES"
                                                  in command.argument else "."), ""), (" [required]", "dim red")))],
                         width))
    console.print(_panel("Options", _option_rows(command), width))
    console.print(" Examples:", style="bold")
    for example in command.examples:
        console.print("   " + example, soft_wrap=True, highlight=False)
