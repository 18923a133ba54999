"""Every output format in one place: one ``Format`` enum and one writer per format.

Machine formats print numbers in the shortest form that round-trips
(``repr(float)``), keys and columns in order of first appearance. Non-finite
numbers (``--ieee`` only) are ``null`` in JSON and ``inf``/``-inf``/``nan`` in
CSV/TSV.
"""

from __future__ import annotations

import json
import math
from enum import Enum

from .expression import Evaluation

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any, TextIO


class Format(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    tsv = "tsv"


def number(x: float) -> str:
    """Shortest round-trip text of a float: ``-8.0``, ``1e-05``, ``inf``, ``nan``."""
    return repr(float(x))


def json_number(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _json_numbers(numbers: dict[str, float]) -> dict[str, float | None]:
    if all(map(math.isfinite, numbers.values())):  # the usual case: nothing to replace
        return numbers  # type: ignore[return-value]
    return {k: json_number(v) for k, v in numbers.items()}


def point_data(ev: Evaluation, intermediates: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variables": _json_numbers(ev.variables),
        "value": json_number(ev.value),
        "gradients": _json_numbers(ev.gradients),
    }
    if intermediates:
        data["nodes"] = {k: {"value": json_number(v), "gradient": json_number(g)}
                         for k, (v, g) in ev.nodes.items()}
    if ev.hessian is not None:
        data["hessian"] = {r: {c: json_number(v) for c, v in row.items()} for r, row in ev.hessian.items()}
    if ev.trace is not None:
        data["trace"] = [
            {"node": step.node, "op": step.op, "gradient": json_number(step.gradient),
             "inputs": [{"node": i.node, "local": json_number(i.local), "contribution": json_number(i.contribution),
                         "accumulated": json_number(i.accumulated)} for i in step.inputs]}
            for step in ev.trace
        ]
    return data


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, allow_nan=False)


def write_json(ev: Evaluation, out: TextIO, intermediates: bool) -> None:
    point = point_data(ev, intermediates)
    data = {"expression": ev.expression, "value": point.pop("value"), **point}
    out.write(_dumps(data) + "\n")


def write_jsonl(ev: Evaluation, out: TextIO, intermediates: bool) -> None:
    out.write(_dumps(point_data(ev, intermediates)) + "\n")


def csv_header(ev: Evaluation, intermediates: bool) -> list[str]:
    header = [*ev.variables, "value", *(f"grad_{k}" for k in ev.gradients)]
    if intermediates:
        for name in ev.nodes:
            header += [name, f"grad_{name}"]
    if ev.hessian is not None:
        header += [f"hess_{r}_{c}" for r, row in ev.hessian.items() for c in row]
    return header


def csv_row(ev: Evaluation, intermediates: bool) -> list[str]:
    row = [*map(number, ev.variables.values()), number(ev.value), *map(number, ev.gradients.values())]
    if intermediates:
        for value, grad in ev.nodes.values():
            row += [number(value), number(grad)]
    if ev.hessian is not None:
        row += [number(v) for r in ev.hessian.values() for v in r.values()]
    return row


def write_csv(ev: Evaluation, out: TextIO, intermediates: bool, delimiter: str = ",") -> None:
    # RFC 4180: CRLF line ends, quoting only where needed (a name never needs it, but be safe).
    import csv

    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if delimiter == "," else "\n")
    writer.writerow(csv_header(ev, intermediates))
    writer.writerow(csv_row(ev, intermediates))


def write_table(ev: Evaluation, out: TextIO, intermediates: bool, title: str) -> None:
    # Rich is imported here only: machine formats do not pay its import time.
    from rich import box
    from rich.console import Console
    from rich.table import Table

    heading = f"{title} = {number(ev.value)}"
    table = Table(title=heading, box=box.SIMPLE_HEAD, title_justify="left", min_width=min(len(heading) + 2, 100))
    table.add_column("variable", style="bold")
    table.add_column("value", justify="right")
    table.add_column("gradient", justify="right", style="cyan")
    for name, value in ev.variables.items():
        table.add_row(name, number(value), number(ev.gradients[name]))
    if intermediates and ev.nodes:
        table.add_section()
        for name, (value, grad) in ev.nodes.items():
            table.add_row(f"{name} (node)", number(value), number(grad), style="dim")
    console = Console(file=out, highlight=False, soft_wrap=False)
    console.print(table)
    if ev.hessian is not None:
        hess = Table(title="second derivatives (Hessian)", box=box.SIMPLE_HEAD, title_justify="left")
        hess.add_column("", style="bold")
        for name in ev.hessian:
            hess.add_column(name, justify="right")
        for name, row in ev.hessian.items():
            hess.add_row(name, *map(number, row.values()))
        console.print(hess)
    if ev.trace is not None:
        steps = Table(title="backward pass, step by step", box=box.SIMPLE_HEAD, title_justify="left")
        for col in ("step", "node", "op", "gradient", "input", "local", "contribution", "input's gradient"):
            steps.add_column(col, justify="left" if col in ("node", "op", "input") else "right")
        for k, step in enumerate(ev.trace, 1):
            for j, inp in enumerate(step.inputs):
                head = (str(k), step.node, step.op, number(step.gradient)) if j == 0 else ("", "", "", "")
                steps.add_row(*head, inp.node, number(inp.local), number(inp.contribution), number(inp.accumulated))
        console.print(steps)


def write_checks(expression: str, value: float, checks: dict, fmt: Format, out: TextIO) -> None:
    """The gradient check: per variable analytic, numeric, error, ok."""
    ok = all(c.ok for c in checks.values())
    if fmt is Format.json:
        data = {"expression": expression, "value": json_number(value), "ok": ok,
                "checks": {name: {"analytic": json_number(c.analytic), "numeric": json_number(c.numeric),
                                  "error": json_number(c.error), "ok": c.ok} for name, c in checks.items()}}
        out.write(_dumps(data) + "\n")
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{expression} = {number(value)}: {'ok' if ok else 'MISMATCH'}", box=box.SIMPLE_HEAD,
                  title_justify="left")
    for col in ("variable", "analytic", "numeric", "error", "ok"):
        table.add_column(col, justify="left" if col == "variable" else "right")
    for name, c in checks.items():
        table.add_row(name, number(c.analytic), number(c.numeric), f"{c.error:.3g}", "ok" if c.ok else "FAIL",
                      style=None if c.ok else "bold red")
    Console(file=out, highlight=False, soft_wrap=False).print(table)


def write_derivatives(expression: str, derivatives: dict, fmt: str, out: TextIO, order: int = 1,
                      taken: set[str] | None = None, latex: bool = False) -> None:
    """Symbolic derivatives (canonical nodes by variable): the bare expression for
    one variable, else ``d/dNAME = EXPR`` lines (``d^N/dNAME^N`` for order N); in
    LaTeX with ``fmt == "latex"``; JSON with the LaTeX too if ``latex``."""
    from .printer import to_text

    taken = taken if taken is not None else set()
    if fmt == "latex":
        from .latex import latex_name, to_latex

        texts = {name: to_latex(node, taken) for name, node in derivatives.items()}
        power = f"^{{{order}}}" if order > 1 else ""
        label = {name: f"\\frac{{\\partial{power} f}}{{\\partial {latex_name(name)}{power}}} = " for name in texts}
    else:
        texts = {name: to_text(node, taken) for name, node in derivatives.items()}
        power = f"^{order}" if order > 1 else ""
        label = {name: f"d{power}/d{name}{power} = " for name in texts}
    if fmt == "json":
        data = {"expression": expression, "order": order, "derivatives": texts}
        if latex:
            from .latex import to_latex

            data["latex"] = {name: to_latex(node, taken) for name, node in derivatives.items()}
        out.write(_dumps(data) + "\n")
    elif len(texts) == 1:
        out.write(next(iter(texts.values())) + "\n")
    else:
        out.writelines(f"{label[name]}{text}\n" for name, text in texts.items())


def render(ev: Evaluation, fmt: Format, out: TextIO, intermediates: bool = False, title: str = "") -> None:
    """Write one evaluation to ``out`` in ``fmt``."""
    if fmt is Format.table:
        write_table(ev, out, intermediates, title or ev.expression)
    elif fmt is Format.json:
        write_json(ev, out, intermediates)
    elif fmt is Format.jsonl:
        write_jsonl(ev, out, intermediates)
    else:
        write_csv(ev, out, intermediates, "," if fmt is Format.csv else "\t")
