"""Tables for people: the ``table`` format of ``eval`` (a point, ``--nodes``,
``--hessian``, ``--trace``, a batch) and of ``check``.

Numbers are shown to ``digits`` significant digits (``--digits``; the machine
formats stay exact) and are never cut: number columns do not wrap and are
never narrower than their widest number; long node texts wrap instead, and a
text too long to be worth wrapping is shortened, with a line under the table
saying how to see it whole.
"""

from __future__ import annotations

import math

from ..base.errors import plural, shortened
from .console import Sheet, keys_fit, make_console, print_table

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO

    from ..core.expression import Evaluation

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
    # A float that is a whole number says so (4.0); a rounded one (-304523 for -304522.6) does not.
    return text + ".0" if not any(c in text for c in ".en") and float(text) == x else text


def _short(text: str, cut: list[bool]) -> str:
    """``text``, shortened in the middle if long; ``cut`` notes that some text was."""
    text = shortened(text, LONG_TEXT, keep_end=(LONG_TEXT - len(SHORTENED)) // 2, mark=SHORTENED)
    if SHORTENED in text:
        cut.append(True)
    return text


def write_table(ev: Evaluation, out: TextIO, nodes: bool, title: str, digits: int = DIGITS) -> None:
    fig = lambda x: figure(x, digits)
    console = make_console(out)
    cut: list[bool] = []
    heading = f"{_title(title, console.width - 3 - len(fig(ev.value)))} = {fig(ev.value)}"
    sheet = Sheet(heading, [("variable", "text", "bold"), ("value", "number", None), ("gradient", "number", "cyan")],
                  {0})
    for name, value in ev.variables.items():
        sheet.add_row(_short(name, cut), fig(value), fig(ev.gradients[name]))
    if nodes:
        for k, (name, (value, grad)) in enumerate(ev.nodes.items()):
            sheet.add_row(f"{_short(name, cut)} (node)", fig(value), fig(grad), style="dim", gap=k == 0)
    if sheet.rows:
        print_table(console, sheet)
    else:  # 2 + 3: no variables, no empty table
        console.print(heading)
    if ev.hessian:
        hess = Sheet("second derivatives (Hessian)",
                     [("", "text", "bold"), *((_short(n, cut), "number", None) for n in ev.hessian)], {0})
        for name, row in ev.hessian.items():
            hess.add_row(_short(name, cut), *map(fig, row.values()))
        print_table(console, hess)
    if ev.trace is not None:
        steps = Sheet("backward pass, step by step", [
            ("step", "number", None), ("node", "text", None), ("op", "text", None), ("gradient", "number", None),
            ("input", "text", None), ("local", "number", None), ("contribution", "number", None),
            ("input's gradient", "number", None)], {0, 1, 2, 4}, {0, 4}, pad_edge=False)
        for k, step in enumerate(ev.trace, 1):
            for j, inp in enumerate(step.inputs):
                head = (str(k), _short(step.node, cut), step.op, fig(step.gradient)) if j == 0 else ("",) * 4
                steps.add_row(*head, _short(inp.node, cut), fig(inp.local), fig(inp.contribution),
                              fig(inp.accumulated))
        print_table(console, steps)
    if cut:
        console.print(FULL_TEXT_NOTE, style="dim")


def write_jacobian_table(jac: Any, out: TextIO, title: str, digits: int = DIGITS) -> None:
    """Several outputs at one point: the variables' values, each output's value, then
    the Jacobian as one table (a row per output, a column per variable)."""
    fig = lambda x: figure(x, digits)
    console = make_console(out)
    cut: list[bool] = []
    values = Sheet(_title(title, console.width), [("", "text", "bold"), ("value", "number", None)], {0})
    for name, value in jac.variables.items():
        values.add_row(_short(name, cut), fig(value))
    for k, (name, value) in enumerate(jac.values.items()):
        values.add_row(_short(name, cut), fig(value), style="bold", gap=k == 0)
    print_table(console, values)
    sheet = Sheet("the Jacobian: d(row)/d(column)",
                  [("", "text", "bold"), *((_short(n, cut), "number", None) for n in jac.variables)], {0})
    for name, row in jac.jacobian.items():
        sheet.add_row(_short(name, cut), *map(fig, row.values()))
    print_table(console, sheet)
    if cut:
        console.print(FULL_TEXT_NOTE, style="dim")


def _title(text: str, room: int) -> str:
    """The expression as a title, shortened in the middle to ``room`` cells (at least 20)."""
    room = max(room, 20)
    return shortened(text, room, keep_end=(room - len(SHORTENED)) // 2, mark=SHORTENED, cells=True)


def write_check_table(expression: str, value: float, checks: dict, out: TextIO, digits: int = DIGITS) -> None:
    """The gradient check: per variable analytic, numeric, error, ok."""
    ok = all(c.ok for c in checks.values())
    fig = lambda x: figure(x, digits)
    console = make_console(out)
    verdict = f" = {fig(value)}: {'ok' if ok else 'MISMATCH'}"
    sheet = Sheet(_title(expression, console.width - len(verdict)) + verdict, [
        ("variable", "text", None), ("analytic", "number", None), ("numeric", "number", None),
        ("error", "number", None), ("ok", "text", None)], {0})
    for name, c in checks.items():
        sheet.add_row(name, fig(c.analytic), fig(c.numeric), figure(c.error, 3), "ok" if c.ok else "FAIL",
                      style=None if c.ok else "bold red")
    print_table(console, sheet)


def write_batch_table(title: str, header: list[str], rows: list[list[float]], out: TextIO,
                      digits: int = DIGITS) -> None:
    """A batch as one table: a row per point (the caller bounds their number).
    The variables name a row, and each block of columns repeats them; where
    they leave no room beside them, a point number does instead."""
    console = make_console(out)
    count = f": {plural(len(rows), 'point')}"
    heading = _title(title, console.width - len(count)) + count
    variables = len(header) // 2  # the variables, value, a gradient per variable
    sheet = _batch_sheet(heading, header, rows, digits, variables, numbered=False)
    if not keys_fit(console, sheet):
        sheet = _batch_sheet(heading, header, rows, digits, variables, numbered=True)
    print_table(console, sheet)


def _batch_sheet(heading: str, header: list[str], rows: list[list[float]], digits: int, variables: int,
                 numbered: bool) -> Sheet:
    """The batch's sheet, its rows named by their variables or by a point number (from 1)."""
    first = [("point", "number", "dim")] if numbered else []
    sheet = Sheet(heading, [*first, *((name, "number", None) for name in header)],
                  {0} if numbered else set(range(variables)))
    for k, row in enumerate(rows, 1):
        sheet.add_row(*([str(k)] if numbered else []), *(figure(x, digits) for x in row))
    return sheet
