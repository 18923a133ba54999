"""The one place a Rich ``Console`` is made, for tables on standard output and
the progress bar on standard error.

Its width is the terminal's when the stream is one, else ``COLUMNS``, else 80,
and never below ``MIN_WIDTH``: ``COLUMNS=0`` or ``COLUMNS=1`` would otherwise
give a table no room at all. Tables that need more room than that are printed
wider (the terminal wraps the lines) rather than cut: see :func:`print_table`.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO

MIN_WIDTH = 40


def width_of(stream: TextIO) -> int:
    """The width to lay out for: ``COLUMNS`` if it is a positive number, else the
    terminal's, else 80; at least ``MIN_WIDTH``."""
    text = os.environ.get("COLUMNS", "").strip()
    width = int(text) if text.isdigit() and int(text) > 0 else 0
    if not width:
        try:
            width = os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 80
        except (AttributeError, OSError, ValueError):  # not a real file (StringIO), or closed
            width = 80
    return max(width or 80, MIN_WIDTH)


def make_console(stream: TextIO) -> Any:
    from rich.console import Console

    return Console(file=stream, width=width_of(stream), highlight=False, soft_wrap=False)


def print_table(console: Any, table: Any) -> None:
    """Print ``table`` with its number columns (indices in ``table.numbers``) as wide as their widest
    number, and its text columns sharing the rest of the width (their texts wrap);
    wider than the console when the numbers alone need more (never cut)."""
    from rich.measure import Measurement

    def longest_word(column: Any) -> int:
        return max((len(w) for w in str(column.header).split()), default=0)

    numbers = [c for k, c in enumerate(table.columns) if k in table.numbers]
    texts = [c for k, c in enumerate(table.columns) if k not in table.numbers]
    for column in numbers:
        column.width = max([longest_word(column), *(len(str(cell)) for cell in column._cells)])
    natural = {id(c): max([len(str(c.header)), *(len(str(cell)) for cell in c._cells)]) for c in texts}
    floor = {id(c): min(natural[id(c)], max(6, longest_word(c))) for c in texts}
    for column in texts:
        column.width = floor[id(column)]
    # Give the room left to the text columns, a character at a time to the one furthest from its natural width.
    room = console.width - Measurement.get(console, console.options.update_width(10**6), table).minimum
    while room > 0:
        short = [c for c in texts if c.width < natural[id(c)]]
        if not short:
            break
        widest_gap = max(short, key=lambda c: natural[id(c)] - c.width)
        widest_gap.width += 1
        room -= 1
    needed = Measurement.get(console, console.options.update_width(10**6), table).minimum
    width = console.width
    console.width = max(width, needed)  # print(width=) cannot go beyond the console's width
    heading = getattr(table, "heading", None)
    if heading:
        from rich.text import Text

        console.print(Text(heading, overflow="fold"))
    console.print(table)
    console.width = width
