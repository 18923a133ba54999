"""The one place a Rich ``Console`` is made, for tables on standard output and
the progress bar on standard error.

Its width is the terminal's when the stream is one, else ``COLUMNS``, else 80,
and never below ``MIN_WIDTH``: ``COLUMNS=0`` or ``COLUMNS=1`` would otherwise
give a table no room at all. Tables are laid out here too (:func:`print_table`): split into blocks of
columns rather than cut.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO

MIN_WIDTH = 40
TEXT_FLOOR = 3  # cells: a text column (it wraps) narrower than this is unreadable
WORD = 8  # cells: a text column no wider than this is never wrapped (an op's name: softplus, not softpl/us)


def width_of(stream: TextIO, least: int = MIN_WIDTH) -> int:
    """The columns there are for ``stream``, the one rule for tables, help, the
    progress bar, terminal plots and messages: ``COLUMNS`` if it is a positive
    number, else the terminal's, else 80 (a pipe, a file, a terminal that does
    not say); at least ``least`` (a table needs ``MIN_WIDTH`` to be laid out at
    all; a message is broken at the terminal's true width)."""
    text = os.environ.get("COLUMNS", "").strip()
    width = int(text) if text.isdigit() and int(text) > 0 else 0
    if not width:
        try:
            width = os.get_terminal_size(stream.fileno()).columns if stream.isatty() else 80
        except (AttributeError, OSError, ValueError):  # not a real file (StringIO), or closed
            width = 80
    return max(width or 80, least)


def make_console(stream: TextIO) -> Any:
    from rich.console import Console  # lazily: Rich costs start-up time; JSON and CSV output never need it

    width = width_of(stream)
    try:
        terminal = stream.isatty()
    except (AttributeError, OSError, ValueError):
        terminal = False
    console = Console(file=stream if terminal else _Trimmed(stream), width=width, highlight=False, soft_wrap=False)
    # Rich exits with status 1 on a closed pipe; the entry point ends quietly with 0, as for every format.
    console.on_broken_pipe = _broken_pipe
    return console


def _broken_pipe() -> None:
    raise BrokenPipeError


class _Trimmed:
    """A stream that drops the spaces Rich pads each line with: a table written
    to a file or a pipe has no trailing whitespace (on a terminal it is invisible)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._spaces = ""  # the spaces a write ended with: written only if the line goes on

    def write(self, text: str) -> int:
        *lines, last = (self._spaces + text).split("\n")
        body = last.rstrip(" ")
        self._spaces = last[len(body):]
        self._stream.write("".join(line.rstrip(" ") + "\n" for line in lines) + body)
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, isatty, encoding, ...
        return getattr(self._stream, name)


class Sheet:
    """A table's content, before any layout: a heading, columns (header, kind,
    style) where kind is ``number`` (never wrapped, never cut) or ``text``
    (wraps), rows (cells, style, whether a gap comes before), and ``keys``: the
    columns that name a row and are repeated when the table is split;
    ``fewer_keys``, if given, are enough to name a row and replace ``keys`` when
    those leave no room for another column (a narrow terminal)."""

    def __init__(self, heading: str, columns: list[tuple[str, str, str | None]], keys: set[int],
                 fewer_keys: set[int] | None = None, **style: Any) -> None:
        self.heading, self.columns, self.keys, self.style = heading, columns, keys, style
        self.fewer_keys = fewer_keys
        self.rows: list[tuple[list[str], str | None, bool]] = []

    def add_row(self, *cells: str, style: str | None = None, gap: bool = False) -> None:
        self.rows.append((list(cells), style, gap))


def print_table(console: Any, sheet: Sheet) -> None:
    """Lay ``sheet`` out in the console's width: number columns as wide as their
    widest number, text columns sharing what is left (their texts wrap). When
    the numbers do not fit side by side, the table is printed in blocks of
    columns, each with the key columns, one under the other; a number is never
    cut, elided or wrapped (a single column wider than the console is printed
    wider than it)."""
    widths = [_natural(sheet, k) for k in range(len(sheet.columns))]
    keys, floors = _keys_and_floors(console, sheet, widths)
    others = [k for k in range(len(sheet.columns)) if k not in keys]
    blocks: list[list[int]] = []
    for k in others:  # greedy: as many columns per block as fit
        if blocks and _room(console, sheet, keys + blocks[-1] + [k], floors) >= 0:
            blocks[-1].append(k)
        else:
            blocks.append([k])
    for n, block in enumerate(blocks or [[]]):
        chosen = sorted(keys + block)
        heading = sheet.heading if len(blocks) <= 1 else f"{sheet.heading} ({n + 1} of {len(blocks)})"
        _print_block(console, sheet, heading, chosen, widths, floors)


def keys_fit(console: Any, sheet: Sheet) -> bool:
    """Whether ``sheet``'s key columns leave room for any other column beside them."""
    keys, floors = _keys_and_floors(console, sheet, [_natural(sheet, k) for k in range(len(sheet.columns))])
    return _key_room(console, sheet, keys, floors) >= 0


def _keys_and_floors(console: Any, sheet: Sheet, widths: list[int]) -> tuple[list[int], list[int]]:
    """The key columns to repeat in each block and the narrowest each column may
    be: a number's column its widest number, a text's (it wraps) less, and a
    text key's less again when the keys would leave no room beside them
    (``fewer_keys`` first, if the sheet has them)."""
    floors = [w if kind == "number" or w <= WORD else max(6, _longest_word(h))
              for w, (h, kind, _) in zip(widths, sheet.columns, strict=True)]
    keys = sorted(sheet.keys)
    if sheet.fewer_keys is not None and _key_room(console, sheet, keys, floors) < 0:
        keys = sorted(sheet.fewer_keys)
    texts = [k for k in keys if sheet.columns[k][1] == "text"]
    room = _key_room(console, sheet, keys, floors)
    while room < 0 and texts:  # narrow the widest text key, down to TEXT_FLOOR
        k = max(texts, key=lambda k: floors[k])
        if floors[k] <= TEXT_FLOOR:
            break
        floors[k] -= 1
        room += 1
    return keys, floors


def _key_room(console: Any, sheet: Sheet, keys: list[int], floors: list[int]) -> int:
    """The room left beside ``keys`` and the widest other column (negative: they
    do not fit side by side, and a block would be wider than the console)."""
    others = [k for k in range(len(sheet.columns)) if k not in keys]
    widest = [max(others, key=lambda k: floors[k])] if others else []
    return _room(console, sheet, keys + widest, floors)


def _natural(sheet: Sheet, k: int) -> int:
    header, kind, _ = sheet.columns[k]
    cells = [len(row[0][k]) for row in sheet.rows]
    return max([_longest_word(header) if kind == "number" else len(header), *cells])


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _room(console: Any, sheet: Sheet, chosen: list[int], widths: list[int]) -> int:
    """The console's width less what ``chosen`` columns take at ``widths`` (with
    padding and separators)."""
    edge = 0 if sheet.style.get("pad_edge") is False else 2
    return console.width - sum(widths[k] + 3 for k in chosen) + 1 - edge


def _print_block(console: Any, sheet: Sheet, heading: str, chosen: list[int], widths: list[int],
                 floors: list[int]) -> None:
    from rich import box  # lazily: only a table on a terminal needs Rich
    from rich.table import Table  # lazily: only a table on a terminal needs Rich
    from rich.text import Text  # lazily: only a table on a terminal needs Rich

    size = {k: floors[k] for k in chosen}
    room = _room(console, sheet, chosen, floors)
    while room > 0:  # the room left, a character at a time to the text column furthest from its natural width
        short = [k for k in chosen if size[k] < widths[k]]
        if not short:
            break
        k = max(short, key=lambda k: widths[k] - size[k])
        size[k] += 1
        room -= 1
    table = Table(box=box.SIMPLE_HEAD, **sheet.style)
    for k in chosen:
        header, kind, style = sheet.columns[k]
        table.add_column(header, justify="right" if kind == "number" else "left", overflow="fold", style=style,
                         width=size[k])
    texts = [k for k in chosen if sheet.columns[k][1] == "text"]
    for cells, style, gap in sheet.rows:
        if gap:
            table.add_section()
        row = {k: cells[k] for k in chosen}
        for k in texts:
            row[k] = wrap(row[k], size[k])
        table.add_row(*row.values(), style=style)
    width = console.width
    console.width = max(width, width - room)  # print(width=) cannot go beyond the console's width
    if heading:
        console.print(Text(heading, overflow="fold"))
    console.print(table)
    console.width = width


def wrap(text: str, width: int) -> str:
    """``text`` in lines of at most ``width`` cells (a CJK letter takes two),
    broken at spaces; a part too long for a line is broken after a ``*``, ``/``
    or ``,`` and, if still too long, after a ``(`` (``b)*`` over ``exp(-x1**2)``,
    never ``exp(-x1*`` over ``*2)``); a part still too long is cut where the
    line ends, but not inside a ``**``."""
    from rich.cells import cell_len  # lazily: only text wrapped for a terminal needs Rich

    if cell_len(text) <= width:
        return text
    parts = text.replace(" ", " \0").split("\0")  # each word with its space
    for marks in ("*/,", "("):
        parts = [piece for part in parts for piece in _split(part, marks, width, cell_len)]
    lines: list[str] = []
    line = ""
    for part in parts:
        if line and cell_len(line) + cell_len(part.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += part
        while cell_len(line.rstrip()) > width:
            cut = _cut(line, width, cell_len)
            lines.append(line[:cut])
            line = line[cut:]
    lines.append(line.rstrip())
    return "\n".join(lines)


def _split(word: str, marks: str, width: int, cell_len: Any) -> list[str]:
    """``word`` broken after each of ``marks`` if it is too long for a line (``**`` is not a ``*``)."""
    if cell_len(word.rstrip()) <= width:
        return [word]
    pieces, start = [], 0
    for i, c in enumerate(word):
        if c in marks and not (c == "*" and "*" in (word[i - 1:i], word[i + 1:i + 2])):
            pieces.append(word[start:i + 1])
            start = i + 1
    return [*pieces, word[start:]] if word[start:] else pieces


def _cut(line: str, width: int, cell_len: Any) -> int:
    """Where to cut ``line`` to fit ``width`` cells: as late as fits, not between two ``*``."""
    cut = 0
    while cut < len(line) and cell_len(line[:cut + 1]) <= width:
        cut += 1
    if 1 < cut < len(line) and line[cut - 1] == "*" == line[cut]:
        cut -= 1
    return max(cut, 1)
