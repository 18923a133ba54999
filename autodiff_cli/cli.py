"""The Typer program: every command's options and help, each a thin shell
over the library. ``autodiff_cli.main`` runs it and turns errors into exit
statuses."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Any

import typer

from . import __version__
from .errors import ExitStatus, diagnostic
from .evaluate import load, run_eval
from .output import Format

_FREE_ARGS = {"ignore_unknown_options": True, "allow_extra_args": False, "allow_interspersed_args": True}

app = typer.Typer(
    name="autodiff",
    help="Differentiate math expressions: values, gradients, graphs.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(flag: bool) -> None:
    if flag:
        sys.stdout.write(f"autodiff {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Differentiate math expressions: values, gradients, graphs."""


EVAL_HELP = """Compute the value of EXPR and its gradient with respect to every variable.

Values are given as --a 2, --a=2 or a=2; a value may be a constant
expression (--x pi/4). EXPR may be - (standard input) or @FILE.

\b
Examples:
  autodiff eval "a*(b+c*d)" --a -2 --b 10 --c 2 --d -3
  autodiff eval "3*x**2 - 4*x + 5" x=3 --format json
  autodiff eval "e = c*d; f = b + e; L = a*f" a=-2 b=10 c=2 d=-3 --all
  autodiff eval --x 2 -- "-x**2"
  autodiff eval @model.txt --format csv w=0.5 x=1.5
  autodiff eval "3*x**2 - 4*x + 5" --grid x=-5:5:0.25 --format csv
  autodiff eval "a*(b+c*d)" --input points.csv b=10 --format jsonl
"""


@app.command("eval", help=EVAL_HELP, context_settings=_FREE_ARGS)
def eval_command(
    ctx: typer.Context,
    tokens: list[str] | None = typer.Argument(None, metavar="EXPR [VALUES]...", show_default=False),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format.", case_sensitive=False),
    intermediates: bool = typer.Option(False, "--all", help="Also show every named intermediate node."),
    ieee: bool = typer.Option(False, "--ieee", help="Report inf/nan (null in JSON) instead of failing."),
    trace: bool = typer.Option(False, "--trace", help="Show the backward pass step by step (table, json, jsonl)."),
    hessian: bool = typer.Option(False, "--hessian", help="Also the matrix of second derivatives."),
    grid: list[str] | None = typer.Option(None, "--grid", metavar="NAME=START:STOP:STEP",
                                          help="Evaluate over a range (repeatable: Cartesian product)."),
    input_file: str | None = typer.Option(None, "--input", metavar="FILE",
                                          help="Evaluate at the points of a CSV, JSON Lines or JSON file (- : stdin)."),
) -> None:
    run_eval(tokens or [], fmt, intermediates, ieee, trace, hessian, grid, input_file)


def _load(tokens: list[str] | None, ieee: bool, ctx: typer.Context) -> tuple[Any, dict[str, float]]:
    """The parsed expression and the values given for it, checked by name."""
    options = [opt[2:] for param in ctx.command.params for opt in param.opts if opt.startswith("--")]
    return load(tokens or [], ieee, options)


CHECK_HELP = """Check the gradient of EXPR against finite differences, as the lecture does
by hand: for every variable, the analytic gradient against (f(x+h) - f(x-h))/2h
(or (f(x+h) - f(x))/h with --method forward). By default h is chosen per
variable, relative to its value; --step H fixes h = H. Exit status 1 when any
variable fails.

\b
Examples:
  autodiff check "a*(b+c*d)" --a -2 --b 10 --c 2 --d -3
  autodiff check "tanh(w*x + b)" w=0.5 x=2 b=-1 --method forward --format json
"""


class CheckFormat(str, Enum):
    table = "table"
    json = "json"


class Method(str, Enum):
    central = "central"
    forward = "forward"


@app.command("check", help=CHECK_HELP, context_settings=_FREE_ARGS)
def check_command(
    ctx: typer.Context,
    tokens: list[str] | None = typer.Argument(None, metavar="EXPR [VALUES]...", show_default=False),
    method: Method = typer.Option(Method.central, "--method", help="Finite difference: central or forward."),
    step: float | None = typer.Option(None, "--step", help="The step h (default: chosen per variable).",
                                      show_default=False),
    rtol: float | None = typer.Option(None, "--rtol", help="Relative tolerance (default 1e-5 central, 1e-3 forward).",
                                      show_default=False),
    atol: float | None = typer.Option(None, "--atol", help="Absolute tolerance (default 1e-8 central, 1e-6 forward).",
                                      show_default=False),
    fmt: CheckFormat = typer.Option(CheckFormat.table, "--format", help="Output format."),
) -> None:
    from .check import check_gradients
    from .errors import UsageError
    from .output import Format, write_checks

    if step is not None and not 0 < step < float("inf"):
        raise UsageError("--step must be a finite number greater than 0")
    for name, x in (("--rtol", rtol), ("--atol", atol)):
        if x is not None and not 0 <= x < float("inf"):
            raise UsageError(f"{name} must be a finite number, 0 or more")
    expr, values = _load(tokens, False, ctx)
    value, checks = check_gradients(expr, values, method.value, step, rtol, atol)
    for name, c in checks.items():
        if c.method not in (method.value, "none"):
            diagnostic(f"note: '{name}': the function is undefined on one side; used a {c.method} difference")
    write_checks(expr.text(limit=70), value, checks, Format(fmt.value), sys.stdout)
    failed = [name for name, c in checks.items() if not c.ok]
    if failed:
        names = ", ".join(f"'{n}'" for n in failed)
        diagnostic(f"error: the gradient check failed for {names}")
        raise typer.Exit(ExitStatus.FAILURE)


DIFF_HELP = """Print the derivative of EXPR as an expression in the same language,
simplified, which autodiff itself can evaluate. With one --wrt the output is
just that expression; otherwise one line per variable, d/dNAME = EXPR (with
--order N: d^N/dNAME^N = EXPR). A subexpression used more than once is printed
once, as a named intermediate, where that makes the text shorter. --format
latex prints LaTeX; --latex adds it to --format json.

\b
Examples:
  autodiff diff "3*x**2 - 4*x + 5"                  # 6*x - 4
  autodiff diff "a*(b + c*d)" --wrt a               # b + c*d
  autodiff diff "tanh(w*x + b)" --wrt w --order 2
  autodiff diff "sqrt(x**2 + y**2)" --wrt x --format latex
  autodiff diff "sin(x)*y" --format json --latex
"""


class DiffFormat(str, Enum):
    text = "text"
    json = "json"
    latex = "latex"


@app.command("diff", help=DIFF_HELP, context_settings=_FREE_ARGS)
def diff_command(
    tokens: list[str] | None = typer.Argument(None, metavar="EXPR", show_default=False),
    wrt: list[str] | None = typer.Option(None, "--wrt", metavar="NAME", help="Variable (repeatable; default: all)."),
    order: int = typer.Option(1, "--order", min=1, max=10, help="Differentiate this many times."),
    fmt: DiffFormat = typer.Option(DiffFormat.text, "--format", help="Output format."),
    latex: bool = typer.Option(False, "--latex", help="With --format json: also each derivative in LaTeX."),
) -> None:
    from .arguments import read_expression
    from .errors import UsageError
    from .output import write_derivatives
    from .parser import parse
    from .symbolic import derivatives, no_cycle_collection, taken_names

    if not tokens or len(tokens) > 1:
        raise UsageError("diff takes one expression" if tokens else "missing expression (try 'autodiff diff --help')")
    if latex and fmt is not DiffFormat.json:
        raise UsageError("--latex adds LaTeX to --format json; for LaTeX alone use --format latex")
    expr = parse(read_expression(tokens[0]))
    with no_cycle_collection():
        found = derivatives(expr, list(dict.fromkeys(wrt)) if wrt else None, order)
        if not found:
            raise UsageError("the expression has no variables to differentiate by")
        write_derivatives(expr.source, found, fmt.value, sys.stdout, order, taken_names(expr), latex)


PLOT_HELP = """Plot EXPR and its derivative with respect to the swept variable over a
range, as the micrograd lecture plots f(x) = 3x^2 - 4x + 5. Other variables are
fixed by the usual value flags. Points where the function is undefined are
gaps. The format comes from the suffix of OUT (.svg, .png, .pdf); files need
the plot extra (pip install "autodiff-cli[plot]"). --terminal draws in the
terminal instead, with nothing extra.

\b
Examples:
  autodiff plot "3*x**2 - 4*x + 5" --grid x=-5:5:0.25 -o quadratic.svg
  autodiff plot "3*x**2 - 4*x + 5" --grid x=-5:5 --at 3 -o tangent.png
  autodiff plot "tanh(w*x + b)" --grid x=-4:4 w=1.5 b=0.5 --terminal
"""


PLOT_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def _output_format(output: str, fmt: Enum | None, by_suffix: dict[str, str]) -> str:
    """The format named by --format, else by the suffix of OUT."""
    from pathlib import Path

    from .errors import UsageError

    kind = fmt.value if fmt else by_suffix.get(Path(output).suffix.lower())
    if kind is None:
        suffixes = ", ".join(by_suffix)
        raise UsageError(f"cannot tell the format of '{output}': use a suffix ({suffixes}) or --format")
    return kind


class PlotFormat(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"


@app.command("plot", help=PLOT_HELP, context_settings=_FREE_ARGS)
def plot_command(
    ctx: typer.Context,
    tokens: list[str] | None = typer.Argument(None, metavar="EXPR [VALUES]...", show_default=False),
    grid: str = typer.Option(..., "--grid", metavar="NAME=START:STOP[:STEP]",
                             help="The swept variable and its range (500 points without STEP)."),
    output: str | None = typer.Option(None, "--output", "-o", metavar="OUT", help="The file to write."),
    fmt: PlotFormat | None = typer.Option(None, "--format", help="Output format (default: from the suffix)."),
    at: str | None = typer.Option(None, "--at", metavar="X", help="Draw the tangent line at X."),
    terminal: bool = typer.Option(False, "--terminal", help="Draw in the terminal instead of a file."),
) -> None:

    from .arguments import parse_value
    from .batch import parse_grid
    from .errors import UsageError
    from .files import write_atomic
    from .plot import DEFAULT_POINTS, draw, draw_terminal, sample, tangent

    if terminal == (output is not None):
        raise UsageError("give -o OUT (a file) or --terminal" if not terminal else "-o and --terminal: choose one")
    kind = _output_format(output, fmt, PLOT_FORMATS) if output is not None else None
    expr, fixed = _load(tokens, True, ctx)
    spec = parse_grid(grid, points=DEFAULT_POINTS)
    if spec.name not in expr.variables:
        raise UsageError(f"--grid {spec.name}: no variable '{spec.name}' in the expression")
    if spec.name in fixed:
        raise UsageError(f"value for '{spec.name}' given twice")
    if spec.count > 10_000_000:
        raise UsageError(f"--grid {grid}: {spec.count:,} points is more than a plot can show (at most 10,000,000)")
    expr.check_values({**fixed, spec.name: 0.0})
    curves = sample(expr, spec, fixed)
    line = tangent(curves, expr, fixed, parse_value("--at", at)) if at is not None else None
    title = expr.text(limit=80)
    if curves.gaps:
        diagnostic(f"note: undefined at {curves.gaps:,} of {len(curves.x):,} points (drawn as gaps)")
    if terminal:
        sys.stdout.write(draw_terminal(curves, title, line) + "\n")
    else:
        write_atomic(output, draw(curves, title, kind, line))


GRAPH_HELP = """Draw the computation graph of EXPR: each value with its data and gradient,
each operation between its inputs and its result.

The format comes from the suffix of OUT (.svg, .png, .pdf, .dot, .gv) or
--format; -o - writes SVG (or DOT) to standard output. Without values the
graph shows the structure only. SVG and DOT need nothing beyond pip install;
PNG and PDF need Graphviz's dot program.

\b
Examples:
  autodiff graph "a*(b+c*d)" --a -2 --b 10 --c 2 --d -3 -o lecture.svg
  autodiff graph "e = c*d; f = b + e; L = a*f" -o structure.svg
  autodiff graph "tanh(w*x + b)" w=0.5 x=2 b=-1 --rankdir TB -o neuron.png
  autodiff graph "a*a" a=3 --format dot -o -
"""

GRAPH_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class GraphFormat(str, Enum):
    svg = "svg"
    png = "png"
    pdf = "pdf"
    dot = "dot"
    gv = "gv"


class RankDir(str, Enum):
    LR = "LR"
    TB = "TB"


@app.command("graph", help=GRAPH_HELP, context_settings=_FREE_ARGS)
def graph_command(
    ctx: typer.Context,
    tokens: list[str] | None = typer.Argument(None, metavar="EXPR [VALUES]...", show_default=False),
    output: str = typer.Option(..., "--output", "-o", metavar="OUT", help="File to write, or - for stdout."),
    fmt: GraphFormat | None = typer.Option(None, "--format", help="Output format (default: from the suffix)."),
    rankdir: RankDir = typer.Option(RankDir.LR, "--rankdir", help="LR: left to right; TB: top to bottom."),
    precision: int = typer.Option(4, "--precision", min=0, max=17, help="Decimals shown for numbers."),
    ieee: bool = typer.Option(False, "--ieee", help="Show inf/nan instead of failing."),
    force: bool = typer.Option(False, "--force", help="Lay out graphs however large (may take minutes)."),
) -> None:

    from .errors import UsageError
    from .files import write_atomic
    from .graph import MAX_LAYOUT_NODES, graph_size, to_dot
    from .render import render

    kind = _output_format(output, fmt, GRAPH_FORMATS) if output != "-" or fmt else "svg"
    kind = "dot" if kind == "gv" else kind
    if output == "-" and kind not in ("svg", "dot"):
        raise UsageError(f"-o - writes SVG or DOT; write {kind.upper()} to a file")
    expr, values = _load(tokens, ieee, ctx)
    with_values = bool(values) or not expr.variables
    if with_values:
        result = expr.evaluate(values, ieee=ieee)
        for note in result.notes:
            diagnostic(f"note: {note}")
    size = graph_size(expr)
    if kind != "dot" and size > MAX_LAYOUT_NODES and not force:
        raise UsageError(f"the graph has {size:,} nodes; laying out more than {MAX_LAYOUT_NODES:,} takes "
                         "Graphviz minutes: write .dot instead, or pass --force")
    data = render(to_dot(expr, with_values, precision, rankdir.value), kind)
    if output == "-":
        sys.stdout.buffer.write(data) if hasattr(sys.stdout, "buffer") else sys.stdout.write(data.decode())
    else:
        write_atomic(output, data)



