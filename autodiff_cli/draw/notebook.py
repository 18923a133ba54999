"""Graphs in Jupyter: ``Value.render_graph()`` and the rich display of
``Value``, ``Expression`` and ``Evaluation``.

A cell whose result is one of them shows its computation graph as SVG, drawn
as the micrograd lecture draws it (:func:`autodiff_cli.draw.graph.nodes_to_dot`:
left to right, each value a record of its label, value and gradient one above
another, each operation a node between its inputs and its result), by
Graphviz's ``dot`` when it is on PATH and otherwise by the WebAssembly Graphviz
(:func:`autodiff_cli.draw.render.render`): nothing to install beyond pip. The
stacked records keep the lecture's graph 700 points wide, where side by side
(``autodiff graph``'s layout) it is 1,150 and a notebook shrinks it to fit.
A graph too big to lay out quickly shows a one-line summary instead, so a
stray ``y`` after a 100,000-step loop does not hang the kernel.

Nothing here is imported by the command line or the engine's passes. It knows
``Value``, ``Expression`` and ``Evaluation`` by their fields only (the classes
call in here, so importing them back would make a cycle): each class hands over
what it is drawn from (a node list, an expression, a fresh copy to evaluate).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

from ..base.errors import AutodiffError, UsageError, plural
from .formats import GRAPH, by_suffix, either
from .graph import MAX_LAYOUT_NODES, fmt_number, nodes_size, nodes_to_dot, to_dot

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from ..core.engine import Value
    from ..core.expression import Evaluation, Expression

DISPLAY_LIMIT = 2000
"""Graphviz nodes (values plus operations) beyond which a cell shows a summary,
not a drawing. At the limit a drawing takes 1 to 3 s (a 330-input neuron: 1.4 s
with ``dot``, 3.0 s with the WebAssembly Graphviz when it was compiled on first
use in each process, which it no longer is: see ``render.cache_directory``), and
a chain as deep as the limit allows (2,000 levels) is within the WebAssembly
Graphviz's stack, which runs out at a few thousand."""
VALUE_DRAWN = 60
"""Values below a bare ``Value`` up to which a cell's result draws its graph beside its
repr (the lecture's neuron has 10, with ``tanh`` written with ``exp`` 20; a small
network's loss has hundreds, whose drawing made a notebook megabytes)."""
RENDER_TIMEOUT = 60.0
"""Seconds ``dot`` may take for one drawing in a notebook."""


class Graph:
    """A computation graph drawn as DOT, taken when it was made: a later
    ``backward()`` does not change it. (Beyond the 8,000 Graphviz nodes that
    are laid out without ``force``, the DOT is written when first needed, from
    the values then: making it takes 40 s for a graph of 400,000 values.)

    In a notebook it shows as SVG. ``save(path)`` writes SVG, PNG, PDF or DOT
    by the suffix; ``pipe(format)`` returns the bytes and ``source`` the DOT, as
    the ``graphviz`` package's objects do, and :meth:`to_graphviz` gives one of
    those for the rest of that package's API.
    """

    def __init__(self, source: str | Callable[[], str], values: int, operations: int, summary: str) -> None:
        self.values, self.operations = values, operations
        self.summary = summary
        self._svg: str | None = None
        self._source, self._make = (source, None) if isinstance(source, str) else (None, source)
        if self._source is None and self.size <= MAX_LAYOUT_NODES:
            self._source = self.source

    @property
    def source(self) -> str:
        """The DOT source."""
        if self._source is None:
            assert self._make is not None
            self._source, self._make = self._make(), None
        return self._source

    @property
    def size(self) -> int:
        """Graphviz nodes in the drawing (values plus operations)."""
        return self.values + self.operations

    def __repr__(self) -> str:
        return f"<Graph: {self.summary}>"

    def __str__(self) -> str:
        return self.source  # as graphviz.Digraph's str()

    def pipe(self, format: str = "svg") -> bytes:
        """The drawing as ``format`` (svg, png, pdf or dot) bytes."""
        from .render import render  # lazily: only a drawing rendered to bytes needs it

        if format not in GRAPH:
            raise UsageError(f"unknown format '{format}' ({either(GRAPH)})")
        return render(self.source, format, timeout=RENDER_TIMEOUT)

    def svg(self) -> str:
        """The drawing as SVG text (drawn once, then kept)."""
        if self._svg is None:
            self._svg = self.pipe("svg").decode("utf-8")
        return self._svg

    def save(self, path: str | Path, format: str | None = None, force: bool = False) -> Path:
        """Write the drawing to ``path`` (atomically), as ``format`` or by its
        suffix (``.svg .png .pdf .dot .gv``). Graphs larger than the command's
        limit (8,000 Graphviz nodes) are laid out only with ``force``; DOT has no limit."""
        from ..base.files import write_atomic  # lazily: only a drawing saved to a file needs it

        path = Path(path)
        drawings = tuple(f for f in GRAPH if f != "html")  # the page steps through a pass: a drawing has none
        fmt = format or by_suffix(GRAPH).get(path.suffix.lower())
        if fmt == "html":
            raise UsageError("a drawing has no steps to page through: render_graph(steps=True).save(path) writes "
                             "the page that steps through the backward pass")
        if fmt is None:
            raise UsageError(f"cannot tell the format of '{path}' from its suffix: use {either(drawings, '.')}, "
                             "or pass format=")
        if fmt != "dot" and self.size > MAX_LAYOUT_NODES and not force:
            raise UsageError(f"the graph has {self.size:,} nodes; laying out more than {MAX_LAYOUT_NODES:,} "
                             "takes minutes: save it as .dot, or pass force=True")
        data = self.svg().encode("utf-8") if fmt == "svg" else self.pipe(fmt)
        write_atomic(path, data)
        return path

    def to_graphviz(self):  # -> graphviz.Source
        """The same DOT as a ``graphviz.Source`` (``.render()``, ``.view()``, ...: these need ``dot``)."""
        import graphviz  # lazily: only to_graphviz() needs the graphviz package

        return graphviz.Source(self.source)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        if self.size > DISPLAY_LIMIT:
            return {"text/plain": _too_big(self.summary, self.size)}
        try:
            return {"image/svg+xml": self.svg(), "text/plain": repr(self)}
        except AutodiffError as exc:
            return {"text/plain": f"{self.summary}: not drawn, {exc}"}


def draw(nodes: Sequence[Value], root: Value, precision: int = 4, rankdir: str = "LR") -> Graph:
    """The graph of ``nodes`` (topologically ordered, ending at ``root``) with every
    node's value and gradient (``Value.render_graph``)."""
    return Graph(lambda: nodes_to_dot(nodes, root, None, True, precision, rankdir, stacked=True),
                 *_counts(nodes), _value_summary(nodes, root))


def draw_expression(expr: Expression, with_values: bool = False, precision: int = 4, rankdir: str = "LR") -> Graph:
    """An expression's graph: its structure, or (``with_values``) the values and
    gradients of its last evaluation."""
    nodes, _ = expr.live()
    return Graph(lambda: to_dot(expr, with_values, precision, rankdir, stacked=True), *_counts(nodes),
                 f"graph of {expr.text(60)!r}")


def draw_evaluation(result: Evaluation, expr: Expression, precision: int = 4, rankdir: str = "LR") -> Graph:
    """The graph of an evaluation at its point. ``expr`` is a copy of the
    expression that made it, evaluated here again (IEEE), so the drawing holds
    this evaluation's numbers even after the expression was evaluated elsewhere."""
    expr.evaluate(result.variables, ieee=True)
    graph = draw_expression(expr, True, precision, rankdir)
    graph.summary = _evaluation_summary(result)
    return graph


def value_bundle(nodes: Sequence[Value], root: Value) -> dict[str, str]:
    """What a notebook shows for a bare ``Value`` at the end of a cell: its repr, with
    the drawing of the graph below it (``nodes``) when that has at most
    :data:`VALUE_DRAWN` values; a bigger one only says how to draw it, so that a
    notebook that shows its values as it goes stays small."""
    text = repr(root)
    if len(nodes) > VALUE_DRAWN:
        return {"text/plain": f"{text}\n({plural(len(nodes), 'value')} below it, more than the {VALUE_DRAWN} a "
                              "cell draws: .render_graph() draws them)"}
    bundle = draw(nodes, root)._repr_mimebundle_()
    if "image/svg+xml" not in bundle:
        return {"text/plain": f"{text}\n{bundle['text/plain']}"}
    svg = bundle["image/svg+xml"]
    return {"text/plain": text,
            "text/html": f"<pre>{html.escape(text)}</pre>\n{svg[svg.index('<svg'):]}"}  # both seen, one SVG


def expression_bundle(expr: Expression) -> dict[str, str]:
    """What a notebook shows for an ``Expression``: its structure."""
    size = nodes_size(expr.live()[0])
    if size > DISPLAY_LIMIT:
        return {"text/plain": _too_big(f"graph of {expr.text(60)!r}", size)}
    return _with_text(draw_expression(expr), repr(expr))


def evaluation_bundle(result: Evaluation, copy: Callable[[], Expression]) -> dict[str, str]:
    """What a notebook shows for an ``Evaluation``: the graph at its point
    (``copy`` makes the expression to evaluate again). The size is found before
    any DOT is made."""
    if len(result.variables) > DISPLAY_LIMIT:  # each variable is a node: too big, known without copying
        return {"text/plain": _too_big(_evaluation_summary(result), len(result.variables), "more than ")}
    expr = copy()
    size = nodes_size(expr.live()[0])
    if size > DISPLAY_LIMIT:
        return {"text/plain": _too_big(_evaluation_summary(result), size)}
    return _with_text(draw_evaluation(result, expr), _evaluation_summary(result))


def _with_text(graph: Graph, text: str) -> dict[str, str]:
    bundle = graph._repr_mimebundle_()
    if "image/svg+xml" in bundle:  # the object's own text beside its picture
        bundle["text/plain"] = text
    return bundle


def _counts(nodes: list[Value]) -> tuple[int, int]:
    operations = sum(1 for n in nodes if n.children)
    return len(nodes), operations


def _value_summary(nodes: list[Value], root: Value) -> str:
    values, operations = _counts(nodes)
    name = f"{root.label} = " if root.label else ""
    return (f"{plural(values, 'value')}, {plural(operations, 'operation')}; "
            f"output {name}{fmt_number(root.data, 4)} (gradient {fmt_number(root.grad, 4)})")


def _evaluation_summary(result: Evaluation) -> str:
    grads = ", ".join(f"{n}: {g!r}" for n, g in list(result.gradients.items())[:8])
    more = ", ..." if len(result.gradients) > 8 else ""
    return f"Evaluation: value {result.value!r}, gradients {{{grads}{more}}}"


def _too_big(summary: str, size: int, more: str = "") -> str:
    return (f"{summary}\n(not drawn: {more}{size:,} Graphviz nodes, more than the {DISPLAY_LIMIT:,} a notebook "
            "lays out; render_graph().save('graph.dot') writes the DOT, .save('graph.svg', force=True) lays it out)")

