"""Every command's options, declared once.

Read by the argument parser (:mod:`.argv`, which runs every command without
Typer), by the help (:mod:`.help`), by "did you mean --format?", and by the
Typer program (:mod:`.typer_app`, for shell completion); a test runs the
parser and Typer on the same argument lists and requires the same result.
"""

from __future__ import annotations

from ..base.ops import CONSTANTS, FUNCTIONS
from ..draw.formats import GRAPH, PLOT, choices

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any


class Opt:
    """One option: ``--name`` (and ``short``), a flag or taking a value.

    ``kind`` is ``flag``, ``str``, ``int``, ``float`` or ``choice`` (``choices``,
    matched without case when ``fold``); ``many`` collects repeats in a list;
    ``low``/``high`` bound an int; ``old`` is a former name, still read but not
    shown (``--all`` for ``--nodes``).
    """

    def __init__(self, name: str, kind: str, help: str, *, default: Any = None, choices: tuple[str, ...] = (),
                 metavar: str = "", short: str = "", many: bool = False, required: bool = False,
                 low: int | None = None, high: int | None = None, fold: bool = True, dest: str = "",
                 old: str = "") -> None:
        self.name, self.kind, self.help, self.default = name, kind, help, default
        self.choices, self.metavar, self.short, self.many, self.required = choices, metavar, short, many, required
        self.low, self.high, self.fold = low, high, fold
        self.dest = dest or name.replace("-", "_")
        self.old_flags = (f"--{old}",) if old else ()
        if kind == "flag" and default is None:
            self.default = False
        if many and default is None:
            self.default = []

    @property
    def flags(self) -> tuple[str, ...]:
        return (f"--{self.name}", f"-{self.short}") if self.short else (f"--{self.name}",)

    def shown_metavar(self) -> str:
        if self.kind == "choice":
            return "[" + "|".join(self.choices) + "]"
        return self.metavar or {"int": "N", "float": "X", "str": "TEXT"}.get(self.kind, "")


class Command:
    def __init__(self, name: str, summary: str, help: str, examples: list[str], argument: str,
                 options: list[Opt]) -> None:
        self.name, self.summary, self.help, self.examples = name, summary, help, examples
        self.argument, self.options = argument, options

    def option(self, flag: str) -> Opt | None:
        for opt in self.options:
            if flag in opt.flags or flag in opt.old_flags:
                return opt
        return None


DIGITS = Opt("digits", "int", "Significant digits of the numbers in tables (machine formats are exact).",
             default=6, low=1, high=17)
IEEE = Opt("ieee", "flag", "Report inf and nan (null in JSON) instead of failing.")
OF = Opt("of", "str", "Outputs: named statements of EXPR (repeatable, or --of u,v); with several, the Jacobian.",
         metavar="NAME", many=True)
GRAPH_IEEE = Opt("ieee", "flag", "Show inf and nan in the graph instead of failing.")

EVAL = Command(
    "eval", "Compute the value of EXPR and its gradient with respect to every variable.",
    """Values are given as --a 2, --a=2 or a=2; a value may be a constant expression
(--x pi/4). EXPR may be - (standard input) or @FILE. --grid or --input evaluate a
batch of points, streamed (to standard output, or to --output FILE).""",
    ['autodiff eval "a*(b+c*d)" --a -2 --b 10 --c 2 --d -3',
     'autodiff eval "3*x**2 - 4*x + 5" x=3 --format json',
     'autodiff eval "e = c*d; f = b + e; L = a*f" a=-2 b=10 c=2 d=-3 --nodes',
     'autodiff eval --x 2 -- "-x**2"',
     "autodiff eval @model.txt --format csv w=0.5 x=1.5",
     'autodiff eval "u = x*y; v = x + y" x=2 y=3 --of u,v',
     'autodiff eval "3*x**2 - 4*x + 5" --grid x=-5:5:0.25 --format csv',
     'autodiff eval "a*(b+c*d)" --input points.csv b=10 --format jsonl',
     'autodiff eval "a*(b+c*d)" --input points.parquet -o results.parquet b=10',
     'autodiff eval "a*(b+c*d)" --input points/ -o results/ --dask local:2 b=10'],
    "EXPR [VALUES]...",
    [Opt("format", "choice", "Output format.", default="table", choices=("table", "json", "jsonl", "csv", "tsv"),
         dest="fmt"),
     DIGITS,
     Opt("nodes", "flag", "Also show every named intermediate node.", old="all"),
     OF,
     IEEE,
     Opt("trace", "flag", "Show the backward pass step by step (table, json, jsonl)."),
     Opt("hessian", "flag", "Also the matrix of second derivatives."),
     Opt("grid", "str", "Evaluate over a range (repeatable: the Cartesian product).",
         metavar="NAME=START:STOP:STEP", many=True),
     Opt("input", "str", "Evaluate at the points of a CSV, JSON Lines, JSON or Parquet file (- for standard "
         "input; with --dask, a Parquet dataset: a file, a directory or a glob).", metavar="FILE"),
     Opt("keep", "str", "Pass these input columns (keys such as an id) through to the output, before the "
         "results (repeatable, or COL,COL).", metavar="COL", many=True),
     Opt("output", "str", "Write the batch to FILE, its format by suffix (.csv, .tsv, .jsonl, .json, .parquet), "
         "atomically; with --dask, a directory of Parquet files, or one .parquet file.", metavar="FILE", short="o"),
     Opt("dask", "str", "Evaluate the Parquet dataset on the Dask cluster at ADDRESS (tcp://host:8786), or on "
         "local[:N] worker processes of this machine.", metavar="ADDRESS")],
)

CHECK = Command(
    "check", "Check the gradient of EXPR against finite differences, as the lecture does by hand.",
    """For every variable, the analytic gradient against (f(x+h) - f(x-h))/2h (or
(f(x+h) - f(x))/h with --method forward). By default h is chosen per variable,
relative to its value; --step H fixes h = H. Exit status 1 when any variable fails.""",
    ['autodiff check "a*(b+c*d)" --a -2 --b 10 --c 2 --d -3',
     'autodiff check "tanh(w*x + b)" w=0.5 x=2 b=-1 --method forward --format json'],
    "EXPR [VALUES]...",
    [Opt("method", "choice", "Finite difference: central or forward.", default="central",
         choices=("central", "forward")),
     Opt("step", "float", "The step h (default: chosen per variable)."),
     Opt("rtol", "float", "Relative tolerance (default 1e-5 central, 1e-3 forward)."),
     Opt("atol", "float", "Absolute tolerance (default 1e-8 central, 1e-6 forward)."),
     Opt("format", "choice", "Output format.", default="table", choices=("table", "json"), dest="fmt"),
     OF,
     DIGITS],
)

DIFF = Command(
    "diff", "Print the derivative of EXPR as an expression in the same language.",
    """Simplified, and autodiff itself can evaluate it. With one --wrt the output is just
that expression; otherwise one line per variable, d/dNAME = EXPR (with --order N:
d^N/dNAME^N = EXPR). A subexpression used more than once is printed once, as a
named intermediate, where that makes the text shorter. --format latex prints
LaTeX; --latex adds it to --format json.""",
    ['autodiff diff "3*x**2 - 4*x + 5"                  # 6*x - 4',
     'autodiff diff "a*(b + c*d)" --wrt a               # b + c*d',
     'autodiff diff "tanh(w*x + b)" --wrt w --order 2',
     'autodiff diff "sqrt(x**2 + y**2)" --wrt x --format latex',
     'autodiff diff "sin(x)*y" --format json --latex'],
    "EXPR",
    [Opt("wrt", "str", "Variable to differentiate by (repeatable; default: all).", metavar="NAME", many=True),
     Opt("order", "int", "Differentiate this many times (0: the function itself).", default=1, low=0, high=10),
     Opt("format", "choice", "Output format.", default="text", choices=("text", "json", "latex"), dest="fmt"),
     Opt("latex", "flag", "With --format json: also each derivative in LaTeX."),
     OF],
)

PLOT = Command(
    "plot", "Plot EXPR and its derivative with respect to the swept variable over a range.",
    """As the micrograd lecture plots f(x) = 3x^2 - 4x + 5. Other variables are fixed by
the usual value flags. Points where the function is undefined are gaps. The format
comes from the suffix of OUT (.svg, .png, .pdf) or --format; -o - writes to standard
output. --terminal draws in the terminal instead.""",
    ['autodiff plot "3*x**2 - 4*x + 5" --grid x=-5:5:0.25 -o quadratic.svg',
     'autodiff plot "3*x**2 - 4*x + 5" --grid x=-5:5 --at 3 -o tangent.png',
     'autodiff plot "tanh(w*x + b)" --grid x=-4:4 w=1.5 b=0.5 --terminal'],
    "EXPR [VALUES]...",
    [Opt("grid", "str", "The swept variable and its range (500 points without STEP).",
         metavar="NAME=START:STOP[:STEP]", required=True, many=True),
     Opt("output", "str", "The file to write, or - for standard output.", metavar="OUT", short="o"),
     Opt("format", "choice", "Output format (default: from the suffix of OUT).", choices=choices(PLOT),
         dest="fmt"),
     Opt("at", "str", "Draw the tangent line at X.", metavar="X"),
     Opt("terminal", "flag", "Draw in the terminal instead of a file.")],
)

GRAPH = Command(
    "graph", "Draw the computation graph of EXPR, each value with its data and gradient.",
    """Each operation sits between its inputs and its result. The format comes from the
suffix of OUT (.svg, .png, .pdf, .dot, .gv; .html: a page that steps through the
backward pass) or --format; -o - writes SVG (or the
--format) to standard output. Without values the graph shows the structure only. SVG and DOT
need nothing beyond pip install, nor does PNG; PDF needs Graphviz's dot program.""",
    ['autodiff graph "a*(b+c*d)" --a -2 --b 10 --c 2 --d -3 -o lecture.svg',
     'autodiff graph "e = c*d; f = b + e; L = a*f" -o structure.svg',
     'autodiff graph "tanh(w*x + b)" w=0.5 x=2 b=-1 --rankdir TB -o neuron.png',
     'autodiff graph "a*a" a=3 --format dot -o -'],
    "EXPR [VALUES]...",
    [Opt("output", "str", "The file to write, or - for standard output.", metavar="OUT", short="o", required=True),
     Opt("format", "choice", "Output format (default: from the suffix of OUT).",
         choices=choices(GRAPH), dest="fmt"),
     Opt("rankdir", "choice", "LR: left to right; TB: top to bottom.", default="LR", choices=("LR", "TB")),
     Opt("precision", "int", "Decimals shown for numbers.", default=4, low=0, high=17),
     GRAPH_IEEE,
     OF,
     Opt("force", "flag", "Lay out graphs however large (may take minutes).")],
)

COMMANDS = {c.name: c for c in (EVAL, CHECK, DIFF, PLOT, GRAPH)}
PROGRAM = "autodiff"
SUMMARY = "Differentiate math expressions: values, gradients, graphs."

LANGUAGE = ("Expressions: + - * / ** (or ^), unary minus, parentheses; the functions "
            + " ".join(op.usage for op in FUNCTIONS.values())
            + f"; the constant{'s' if len(CONSTANTS) > 1 else ''} {' '.join(CONSTANTS)}; "
            "statements as in e = c*d; L = a*e (the last one is the output).")
"""The language in one paragraph, from the op table: where a person looks for the functions."""
HELP_FLAGS = ("--help", "-h")
VERSION_FLAG = "--version"
COMPLETION_FLAGS = ("--install-completion", "--show-completion")
