"""Each command's body: its options (already read and converted, by name) in,
the library called, the result written. Errors are raised, never printed:
:mod:`autodiff_cli.cli.main` turns them into ``error:`` lines and exit statuses."""

from __future__ import annotations

import os.path
import sys

from ..base.errors import EULER_HINT, AutodiffError, ExitStatus, UsageError, did_you_mean, listed, plural, quoted
from ..core.parser import parse
from ..core.values import parse_value, plain_name
from ..draw.formats import GRAPH, PLOT, by_suffix
from . import process
from .arguments import read_expression
from .process import diagnostic
from .spec import COMMANDS

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any


def run(name: str, values: dict[str, Any], tokens: list[str]) -> int:
    """Run command ``name``; the exit status."""
    missing = [opt for opt in COMMANDS[name].options if opt.required and values.get(opt.dest) in (None, [])]
    return BODIES[name](values, tokens, missing) or ExitStatus.OK


def _eval(o: dict[str, Any], tokens: list[str], missing: list) -> int | None:
    from .evaluate import run_eval  # lazily: each command loads only its own modules
    from .output import Format  # lazily: only the commands that write results load the writers

    run_eval(tokens, Format(o["fmt"]), o["nodes"], o["ieee"], o["trace"], o["hessian"], o["grid"],
             o["input"], o["digits"], o["output"], o["dask"], outputs_named(o["of"]), outputs_named(o["keep"]))
    return None


def outputs_named(of: list[str]) -> list[str]:
    """The names of --of (repeated, or --of u,v), each once, in order; an empty one is a usage error."""
    names = [plain_name(n.strip()) for item in of for n in item.split(",")]
    if any(not n for n in names):
        raise UsageError("--of takes the names of statements, as in --of u,v: an empty name names none")
    return list(dict.fromkeys(names))


def _load(tokens: list[str], ieee: bool, name: str, missing: list) -> tuple[Any, dict[str, float]]:
    from .load import load  # lazily: diff reads no values; the other commands do

    command = COMMANDS[name]
    expr_values = load(tokens, ieee, command)
    if missing:  # the expression was there, an option was not
        opt = missing[0]
        raise UsageError(f"{name} needs {opt.flags[-1]} {opt.shown_metavar()} (see 'autodiff {name} --help')")
    return expr_values


def _check(o: dict[str, Any], tokens: list[str], missing: list) -> int | None:
    from ..points.check import check_gradients  # lazily: only check needs it
    from .output import Format, write_checks  # lazily: only the commands that write results load the writers

    step, rtol, atol = o["step"], o["rtol"], o["atol"]
    if step is not None and not 0 < step < float("inf"):
        raise UsageError("--step must be a finite number greater than 0")
    for name, x in (("--rtol", rtol), ("--atol", atol)):
        if x is not None and not 0 <= x < float("inf"):
            raise UsageError(f"{name} must be a finite number, 0 or more")
    expr, values = _load(tokens, False, "check", missing)
    if not expr.variables:  # nothing to check is not a check that passed
        raise UsageError("the expression has no variables to check")
    of = outputs_named(o["of"])
    views = {"": expr}
    if of:
        from ..core.jacobian import outputs  # lazily: only --of needs it

        views = {view.output_name: view for view in outputs(expr, of)}
    results = {}
    for output, view in views.items():
        _, checks = results[output] = check_gradients(view, values, o["method"], step, rtol, atol)
        prefix = f"{output}: " if output else ""
        for name, c in checks.items():
            if c.method not in (o["method"], "none") and not c.belongs:  # else the note says why
                diagnostic(f"note: {prefix}{quoted(name)}: the function is undefined on one side; used a {c.method} "
                           "difference")
            if c.note:
                diagnostic(f"note: {prefix}{quoted(name)} {c.note}")
    write_checks(expr, results, Format(o["fmt"]), sys.stdout, o["digits"])
    failed = [f"d{output}/d{name}" if output else name for output, (_, checks) in results.items()
              for name, c in checks.items() if not c.ok]
    if failed:
        diagnostic(f"error: the gradient check failed for {listed(failed)}")
        return ExitStatus.FAILURE
    return None


def _diff(o: dict[str, Any], tokens: list[str], missing: list) -> int | None:
    from ..symbolic.diff import derivatives, function, program_names, taken_names  # lazily: only diff needs it
    from .derivatives import write_derivatives  # lazily: only diff writes derivatives
    from .output import DiffFormat  # lazily: only the commands that write results load the writers

    if not tokens:
        raise UsageError("missing expression: autodiff diff EXPR (see 'autodiff diff --help')")
    if len(tokens) > 1:
        flag = next((t.partition("=")[0] for t in tokens[1:] if t.startswith("--")), "")
        hint = did_you_mean(flag[2:], [o.name for o in COMMANDS["diff"].options], prefix="--") if flag else ""
        if hint:  # --wrtt x
            raise UsageError(f"diff has no option {quoted(flag)}{hint}")
        raise UsageError(f"diff takes one expression, and no values (got {quoted(tokens[1])} too)")
    if o["latex"] and o["fmt"] != "json":
        raise UsageError("--latex adds LaTeX to --format json; for LaTeX alone use --format latex")
    wrt = [plain_name(w) for w in o["wrt"]]
    if wrt and o["order"] == 0:
        raise UsageError("--order 0 prints the function itself, by no variable: leave out --wrt")
    with process.paused_collector():
        expr = parse(read_expression(tokens[0]))
        if any(n.op == "pow" and n.children[0].op == "var" and n.children[0].label == "e" for n in expr.live()[0]):
            diagnostic(f"note: {EULER_HINT}")  # e**x, with e a variable: whoever wrote it meant exp(x)
        of = outputs_named(o["of"])
        views = {"": expr}
        if of:
            from ..core.jacobian import outputs  # lazily: only --of needs it

            views = {view.output_name: view for view in outputs(expr, of)}
        if o["order"] == 0:  # the function itself, in the form its derivatives have
            found = {output: {"": function(view)} for output, view in views.items()}
        else:
            found = {output: derivatives(view, list(dict.fromkeys(wrt)) if wrt else None, o["order"])
                     for output, view in views.items()}
        if not any(found.values()):
            raise UsageError("the expression has no variables to differentiate by")
        write_derivatives(expr.source, found if of else found[""], DiffFormat(o["fmt"]), sys.stdout, o["order"],
                          taken_names(expr), o["latex"], several=bool(of), names=program_names(expr),
                          output=expr.output_name)
    return None


def drawing_format(output: str, fmt: str | None, formats: tuple[str, ...], stdout_default: str) -> str:
    """The format named by --format, else by the suffix of OUT (``stdout_default``
    for ``-``), among ``formats`` (the drawing formats' table). A suffix that
    names another format than --format is an error: PNG bytes in ``x.svg``
    would be a file no program opens."""
    named = by_suffix(formats)
    by_name = named.get(os.path.splitext(output)[1].lower())
    if fmt:
        fmt = named.get(f".{fmt}", fmt)  # --format gv is DOT, as .gv is
        if output != "-" and by_name and by_name != fmt:
            raise UsageError(f"--format {fmt} does not match the name '{output}': write {fmt.upper()} to a "
                             f"file ending in .{fmt}, or leave out --format")
        return fmt
    if output == "-":
        return stdout_default
    if by_name is None:
        suffixes = ", ".join(named)
        raise UsageError(f"cannot tell the format of '{output}': give it a suffix ({suffixes}) or --format")
    return by_name


def _write(output: str, data: bytes, kind: str) -> None:
    """``data`` to the file ``output``, atomically, or to standard output for ``-``
    (binary formats only when it is not a terminal: PNG bytes would garble it).
    A signal while the file is written is noted: the file is whole then, new or
    old, and the command says which."""
    if output != "-":
        from ..base import files  # lazily: only a graph written to a file needs it

        process.on_abrupt_exit(files.cleanup)
        with process.deferred() as signals:
            files.write_atomic(output, data)
        if signals.received:
            diagnostic(f"note: {process.interrupted_name(signals.received)} while {quoted(output)} was being "
                       "written: it is complete")
        return
    binary = kind in ("png", "pdf")
    if binary and sys.stdout.isatty():
        raise UsageError(f"-o - would write {kind.upper()} bytes to the terminal: redirect standard output "
                         f"(> out.{kind}) or give a file name")
    sys.stdout.flush()
    if hasattr(sys.stdout, "buffer"):
        sys.stdout.buffer.write(data)
    elif binary:
        raise UsageError(f"this standard output takes text only: write {kind.upper()} to a file")
    else:
        sys.stdout.write(data.decode("utf-8"))


def _plot(o: dict[str, Any], tokens: list[str], missing: list) -> int | None:
    from ..points.batch import parse_grid  # lazily: only plot needs it (numpy)
    from ..points.plot import DEFAULT_POINTS, draw, draw_terminal, sample, tangent_line  # lazily: only plot needs it
    from .load import EMPTY_RANGE, check_grids  # lazily: only plot needs it

    output, terminal = o["output"], o["terminal"]
    if terminal and output is not None:
        raise UsageError("-o and --terminal: choose one")
    expr, fixed = _load(tokens, True, "plot", missing)
    if len(o["grid"]) > 1:
        raise UsageError("plot sweeps one variable: give one --grid, and fix the others with NAME=VALUE")
    grid = o["grid"][0]
    if not terminal and output is None:
        raise UsageError("plot needs -o OUT (a file, or - for standard output) or --terminal")
    kind = drawing_format(output, o["fmt"], PLOT, "svg") if output is not None else None
    spec = parse_grid(grid, points=DEFAULT_POINTS)
    check_grids(expr, fixed, [spec])
    if spec.count == 0:
        raise UsageError(f"--grid {grid} holds no points ({EMPTY_RANGE})")
    if spec.count > 10_000_000:
        raise UsageError(f"--grid {grid}: {spec.count:,} points is more than a plot can show (at most 10,000,000)")
    expr.check_values({**fixed, spec.name: 0.0})
    curves = sample(expr, spec, fixed)
    if curves.gaps == len(curves.x):
        raise AutodiffError(f"the function or its derivative is undefined at every point of --grid {grid}: "
                            "nothing to draw")
    line = None
    if o["at"] is not None:
        at = parse_value("--at", o["at"])
        low, high = sorted((float(curves.x[0]), float(curves.x[-1])))
        if not low <= at <= high:
            raise UsageError(f"--at {o['at']} is outside the plotted range {low:g} .. {high:g}")
        line = tangent_line(curves, expr, fixed, at)
        for note in line.notes:
            diagnostic(f"note: {note}")
    title = expr.text(limit=80)
    if curves.gaps:
        diagnostic(f"note: the function or its derivative is undefined at {curves.gaps:,} of "
                   f"{plural(len(curves.x), 'point')} (drawn as gaps)")
    if terminal:
        from .console import width_of  # lazily: only a terminal plot needs Rich's console

        sys.stdout.write(draw_terminal(curves, title, line, width=max(20, width_of(sys.stdout) - 13)) + "\n")
    else:
        process.matplotlib_config_dir()
        _write(output, draw(curves, title, kind, line), kind)
    return None


def _graph(o: dict[str, Any], tokens: list[str], missing: list) -> int | None:
    from ..draw.graph import MAX_LAYOUT_NODES, graph_size, to_dot  # lazily: only graph needs it
    from ..draw.render import render, rendering  # lazily: only graph needs it

    ieee = o["ieee"]
    expr, values = _load(tokens, ieee, "graph", missing)
    output = o["output"]
    kind = drawing_format(output, o["fmt"], GRAPH, "svg")
    with_values = bool(values) or not expr.variables
    of = outputs_named(o["of"])
    if of:
        from ..core.jacobian import jacobian, outputs  # lazily: only --of needs it

        drawn = outputs(expr, of)
        if with_values:  # each value; a gradient is one output's, so none is shown
            for note in jacobian(expr, values, of, ieee).notes:
                diagnostic(f"note: {note}")
    elif with_values:
        result = expr.evaluate(values, ieee=ieee)
        for note in result.notes:
            diagnostic(f"note: {note}")
    size = graph_size(expr)
    if kind != "dot" and size > MAX_LAYOUT_NODES and not o["force"]:
        raise UsageError(f"the graph has {size:,} nodes; laying out more than {MAX_LAYOUT_NODES:,} takes "
                         "Graphviz minutes: write .dot instead, or pass --force")
    process.leave_at_once_if(rendering)
    if kind == "html":
        if not with_values or of:
            raise UsageError("the page steps through the backward pass of one output: give the values of the "
                             "variables" + (" and leave out --of" if of else ""))
        from ..core.steps import stepper_page  # lazily: only the page needs it

        page = stepper_page(expr, values, o["precision"], o["rankdir"], ieee)
        _write(output, page.encode("utf-8"), kind)
        return None
    dot = to_dot(expr, with_values, o["precision"], o["rankdir"], outputs=[v.output for v in drawn] if of else None)
    _write(output, render(dot, kind), kind)
    return None


BODIES = {"eval": _eval, "check": _check, "diff": _diff, "plot": _plot, "graph": _graph}
