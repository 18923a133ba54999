"""Tables for people: the ``table`` format of ``eval`` (a point, ``--all``,
``--hessian``, ``--trace``, a batch) and of ``check``.

Numbers are shown to ``digits`` significant digits (``--digits``; the machine
formats stay exact) and are never cut: number columns do not wrap and are
never narrower than their widest number; long node texts wrap instead, and a
text too long to be worth wrapping is shortened, with a line under the table
saying how to see it whole.
"""

from __future__ import annotations

import math

from .console import make_console, print_table

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO

    from .expression import Evaluation

DIGITS = 6  # like C's %g: enough to read a gradient, short enough to scan a column
LONG_TEXT = 48  # node texts longer than this are shortened in tables
SHORTENED = " ... "
FULL_TEXT_NOTE = "long node texts are shortened ( ... ): name a part (t = ...) to see it whole"


def figure(x: float, digits: int = DIGITS) -> str:
    """``x`` to ``digits`` significant digits, marked as a float: ``4.0``,
    ``0.226361``, ``1e-05``, ``-inf``."""
    if not math.isfinite(x):
        return repr(float(x))
    text = f"{x:.{digits}g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _short(text: str, shortened: list[bool]) -> str:
    """``text``, shortened in the middle if long; ``shortened`` notes that some text was."""
    if len(text) > LONG_TEXT:
        half = (LONG_TEXT - len(SHORTENED)) // 2
        text = f"{text[:half]}{SHORTENED}{text[-half:]}"
    if SHORTENED in text:
        shortened.append(True)
    return text


def _table(title: str, columns: list[tuple[str, str]], **style: Any) -> Any:
    """A table in the house style; ``columns`` are (header, kind), kind being
    ``number`` (right-aligned, never wrapped) or ``text`` (wraps)."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, **style)
    table.heading = title  # printed above the table, not as its title: a narrow table would wrap it word by word
    table.numbers = set()  # the columns print_table keeps as wide as their widest number
    for k, (header, kind) in enumerate(columns):
        if kind == "number":
            table.numbers.add(k)
            table.add_column(header, justify="right")
        else:
            table.add_column(header, justify="left", overflow="fold")
    return table


def write_table(ev: Evaluation, out: TextIO, intermediates: bool, title: str, digits: int = DIGITS) -> None:
    fig = lambda x: figure(x, digits)
    console = make_console(out)
    shortened: list[bool] = []
    table = _table(f"{title} = {fig(ev.value)}", [("variable", "text"), ("value", "number"), ("gradient", "number")])
    table.columns[0].style = "bold"
    table.columns[2].style = "cyan"
    for name, value in ev.variables.items():
        table.add_row(_short(name, shortened), fig(value), fig(ev.gradients[name]))
    if intermediates and ev.nodes:
        table.add_section()
        for name, (value, grad) in ev.nodes.items():
            table.add_row(f"{_short(name, shortened)} (node)", fig(value), fig(grad), style="dim")
    print_table(console, table)
    if ev.hessian is not None:
        columns = [(_short(n, shortened), "number") for n in ev.hessian]
        hess = _table("second derivatives (Hessian)", [("", "text"), *columns])
        hess.columns[0].style = "bold"
        for name, row in ev.hessian.items():
            hess.add_row(_short(name, shortened), *map(fig, row.values()))
        print_table(console, hess)
    if ev.trace is not None:
        steps = _table("backward pass, step by step", pad_edge=False, columns=[
            ("step", "number"), ("node", "text"), ("op", "text"), ("gradient", "number"), ("input", "text"),
            ("local", "number"), ("contribution", "number"), ("input's gradient", "number")])
        for k, step in enumerate(ev.trace, 1):
            for j, inp in enumerate(step.inputs):
                head = (str(k), _short(step.node, shortened), step.op, fig(step.gradient)) if j == 0 else ("",) * 4
                steps.add_row(*head, _short(inp.node, shortened), fig(inp.local), fig(inp.contribution),
                              fig(inp.accumulated))
        print_table(console, steps)
    if shortened:
        console.print(FULL_TEXT_NOTE, style="dim")


def write_check_table(expression: str, value: float, checks: dict, out: TextIO, digits: int = DIGITS) -> None:
    """The gradient check: per variable analytic, numeric, error, ok."""
    ok = all(c.ok for c in checks.values())
    fig = lambda x: figure(x, digits)
    table = _table(f"{expression} = {fig(value)}: {'ok' if ok else 'MISMATCH'}", [
        ("variable", "text"), ("analytic", "number"), ("numeric", "number"), ("error", "number"), ("ok", "text")])
    for name, c in checks.items():
        table.add_row(name, fig(c.analytic), fig(c.numeric), f"{c.error:.3g}", "ok" if c.ok else "FAIL",
                      style=None if c.ok else "bold red")
    print_table(make_console(out), table)


def write_batch_table(title: str, header: list[str], rows: list[list[float]], out: TextIO,
                      digits: int = DIGITS) -> None:
    """A batch as one table: a row per point (the caller bounds their number)."""
    table = _table(f"{title}: {len(rows):,} points", [(name, "number") for name in header])
    for row in rows:
        table.add_row(*(figure(x, digits) for x in row))
    print_table(make_console(out), table)
