"""Graphs in Jupyter: ``Value.render_graph()`` and the rich display of
``Value``, ``Expression`` and ``Evaluation``.

A cell whose result is one of them shows its computation graph as SVG, drawn
as the micrograd lecture draws it (:func:`autodiff_cli.graph.nodes_to_dot`:
left to right, each value a record of its label, value and gradient one above
another, each operation a node between its inputs and its result), by
Graphviz's ``dot`` when it is on PATH and otherwise by the WebAssembly Graphviz
(:func:`autodiff_cli.render.render`): nothing to install beyond pip. The
stacked records keep the lecture's graph 700 points wide, where side by side
(``autodiff graph``'s layout) it is 1,150 and a notebook shrinks it to fit.
A graph too big to lay out quickly shows a one-line summary instead, so a
stray ``y`` after a 100,000-step loop does not hang the kernel.

Nothing here is imported by the command line or the engine's passes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .engine import Value, topological_order
from .errors import AutodiffError, UsageError
from .expression import Evaluation, Expression
from .graph import MAX_LAYOUT_NODES, fmt_number, nodes_size, nodes_to_dot, to_dot

DISPLAY_LIMIT = 2000
"""Graphviz nodes (values plus operations) beyond which a cell shows a summary,
not a drawing. At the limit a drawing takes 1 to 3 s (a 330-input neuron: 1.4 s
with ``dot``, 3.0 s with the WebAssembly Graphviz, 1.5 s of it compiling it on
first use), and a chain as deep as the limit allows (2,000 levels) is within
the WebAssembly Graphviz's stack, which runs out at a few thousand."""
RENDER_TIMEOUT = 60.0
"""Seconds ``dot`` may take for one drawing in a notebook."""
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


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
        from .render import render

        if format not in ("svg", "png", "pdf", "dot"):
            raise UsageError(f"unknown format '{format}' (svg, png, pdf or dot)")
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
        from .files import write_atomic

        path = Path(path)
        fmt = format or FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise UsageError(f"cannot tell the format of '{path}' from its suffix: use .svg, .png, .pdf or .dot, "
                             "or pass format=")
        if fmt != "dot" and self.size > MAX_LAYOUT_NODES and not force:
            raise UsageError(f"the graph has {self.size:,} nodes; laying out more than {MAX_LAYOUT_NODES:,} "
                             "takes minutes: save it as .dot, or pass force=True")
        data = self.svg().encode("utf-8") if fmt == "svg" else self.pipe(fmt)
        write_atomic(path, data)
        return path

    def to_graphviz(self):  # -> graphviz.Source
        """The same DOT as a ``graphviz.Source`` (``.render()``, ``.view()``, ...: these need ``dot``)."""
        import graphviz

        return graphviz.Source(self.source)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        if self.size > DISPLAY_LIMIT:
            return {"text/plain": _too_big(self.summary, self.size)}
        try:
            return {"image/svg+xml": self.svg(), "text/plain": repr(self)}
        except AutodiffError as exc:
            return {"text/plain": f"{self.summary}: not drawn, {exc}"}


def draw(root: Value, precision: int = 4, rankdir: str = "LR") -> Graph:
    """The graph below ``root`` with every node's value and gradient (``Value.render_graph``)."""
    nodes = topological_order(root)
    return Graph(lambda: nodes_to_dot(nodes, root, None, True, precision, rankdir, stacked=True),
                 *_counts(nodes), _value_summary(nodes, root))


def draw_expression(expr: Expression, with_values: bool = False, precision: int = 4, rankdir: str = "LR") -> Graph:
    """An expression's graph: its structure, or (``with_values``) the values and
    gradients of its last evaluation."""
    nodes, _ = expr.live()
    return Graph(lambda: to_dot(expr, with_values, precision, rankdir, stacked=True), *_counts(nodes),
                 f"graph of {expr.text(60)!r}")


def draw_evaluation(result: Evaluation, precision: int = 4, rankdir: str = "LR",
                    expr: Expression | None = None) -> Graph:
    """The graph of an evaluation at its point: the expression is parsed (unless
    ``expr`` is that parse) and evaluated again (IEEE), so the drawing holds this
    evaluation's numbers even after its expression has been evaluated elsewhere."""
    if expr is None:
        expr = _parse(result.expression)
    expr.evaluate(result.variables, ieee=True)
    graph = draw_expression(expr, True, precision, rankdir)
    graph.summary = _evaluation_summary(result)
    return graph


def mimebundle(obj: Value | Expression | Evaluation) -> dict[str, str]:
    """What a notebook shows for ``obj``: its graph as SVG, or a summary when the
    graph is too big to lay out. The size is found before any DOT is made."""
    if isinstance(obj, Value):
        nodes = topological_order(obj)
        size = nodes_size(nodes)
        if size > DISPLAY_LIMIT:
            return {"text/plain": _too_big(_value_summary(nodes, obj), size)}
        graph = draw(obj)
    elif isinstance(obj, Expression):
        size = nodes_size(obj.live()[0])
        if size > DISPLAY_LIMIT:
            return {"text/plain": _too_big(f"graph of {obj.text(60)!r}", size)}
        graph = draw_expression(obj)
    else:
        if len(obj.variables) > DISPLAY_LIMIT:  # each variable is a node: too big, known without parsing
            return {"text/plain": _too_big(_evaluation_summary(obj), len(obj.variables), "more than ")}
        expr = _parse(obj.expression)
        size = nodes_size(expr.live()[0])
        if size > DISPLAY_LIMIT:
            return {"text/plain": _too_big(_evaluation_summary(obj), size)}
        graph = draw_evaluation(obj, expr=expr)
    bundle = graph._repr_mimebundle_()
    if "image/svg+xml" in bundle:  # the object's own text beside its picture
        bundle["text/plain"] = _evaluation_summary(obj) if isinstance(obj, Evaluation) else repr(obj)
    return bundle


def _counts(nodes: list[Value]) -> tuple[int, int]:
    operations = sum(1 for n in nodes if n.children)
    return len(nodes), operations


def _value_summary(nodes: list[Value], root: Value) -> str:
    values, operations = _counts(nodes)
    name = f"{root.label} = " if root.label else ""
    return (f"{_plural(values, 'value')}, {_plural(operations, 'operation')}; "
            f"output {name}{fmt_number(root.data, 4)} (gradient {fmt_number(root.grad, 4)})")


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _evaluation_summary(result: Evaluation) -> str:
    grads = ", ".join(f"{n}: {g!r}" for n, g in list(result.gradients.items())[:8])
    more = ", ..." if len(result.gradients) > 8 else ""
    return f"Evaluation: value {result.value!r}, gradients {{{grads}{more}}}"


def _too_big(summary: str, size: int, more: str = "") -> str:
    return (f"{summary}\n(not drawn: {more}{size:,} Graphviz nodes, more than the {DISPLAY_LIMIT:,} a notebook "
            "lays out; render_graph().save('graph.dot') writes the DOT, .save('graph.svg', force=True) lays it out)")


def _parse(source: str) -> Expression:
    from .parser import parse

    return parse(source)
