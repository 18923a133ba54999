"""The backward pass as a reader steps through it on the graph: the states of the
page of :mod:`autodiff_cli.draw.page`, from the engine's record of the pass (the
same record ``--trace`` prints), and the page itself."""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from ..base.ops import OPS
from ..draw.graph import fmt_number, to_dot
from .engine import Value, backward, topological_order

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:  # expressions are read by their methods: the expression module shows a page through this one
    from .expression import Expression


def backward_steps(nodes: Sequence[Value], output: Value, name: Callable[[int], str], precision: int = 4,
                   named: Collection[int] = ()) -> dict[str, Any]:
    """The steps of the backward pass over ``nodes`` (topologically ordered, ending in
    ``output``) as the page shows them: each record's ``gradient:`` text as the drawing
    writes it (so that the last state is the static graph's), and each step's ``--trace``
    rows. ``name(i)`` names ``nodes[i]`` in the panel; ``named`` holds the ``id`` of the
    constants drawn with a gradient (a = 2 in a program). Leaves every ``.grad`` as the pass sets it."""
    record: list[tuple[int, int, float, float, float]] = []
    backward(nodes, output, ieee=True, record=record)  # the evaluation before it raised where it must
    records = {f"n{i}": True for i, n in enumerate(nodes) if n.op != "const" or id(n) in named}
    position = {id(n): i for i, n in enumerate(nodes)}

    def text(x: float) -> str:
        return f"gradient: {fmt_number(x, precision)}"

    out = position[id(output)]
    states = [{"node": f"n{out}", "set": {f"n{out}": text(1.0)}, "rows": [],
               "what": f"The output <b>{html.escape(name(out))}</b> gets gradient 1: dL/dL = 1."}]
    for i, k, local, share, total in record:
        node = nodes[i]
        if states[-1]["node"] != f"n{i}" or len(states) == 1:
            op = OPS[node.op].symbol
            states.append({"node": f"n{i}", "set": {}, "rows": [],
                           "what": f"<b>{html.escape(name(i))}</b> ({html.escape(op)}), gradient "
                                   f"{node.grad:.6g}: each input gets the local derivative times {node.grad:.6g}."})
        j = position[id(node.children[k])]
        states[-1]["set"][f"n{j}"] = text(total)
        states[-1]["rows"].append([name(j), f"{local:.6g}", f"{share:.6g}", f"{total:.6g}"])
    return {"records": records, "before": "gradient: \u2014", "states": states,
            "start": "Before the backward pass: every value is computed, no gradient yet. "
                     "Press \u2192 (or next) for the first step."}


def expression_steps(expr: Expression, precision: int = 4) -> dict[str, Any]:
    """The steps of the backward pass of ``expr`` at its last evaluation, its nodes
    named as ``--trace`` names them (a label, else the source text)."""
    nodes, where = expr.live()
    return backward_steps(nodes, expr.output, lambda i: expr.name_of(nodes[i], where[i] if where else i),
                          precision, {id(n) for n in expr.names.values()})


def value_name(node: Value, precision: int = 4) -> str:
    """How the page names a node of a ``Value`` graph (no source text to quote): its
    label, else its operation and value (``* -6.0000``), a leaf its value."""
    if node.label:
        return node.label
    number = fmt_number(node.data, precision)
    return f"{OPS[node.op].symbol} {number}" if node.children else number


def value_stepper_page(root: Value, precision: int = 4, rankdir: str = "LR") -> str:
    """The page for the graph below ``root`` at its values as they are (``Value.render_graph(steps=True)``).
    The pass runs on the graph itself but every ``.grad`` is put back after: showing it changes nothing."""
    from ..draw.graph import nodes_to_dot  # lazily: only the page needs it
    from ..draw.page import page
    from ..draw.render import render

    nodes = topological_order(root)
    kept = [n.grad for n in nodes]
    try:
        steps = backward_steps(nodes, root, lambda i: value_name(nodes[i], precision), precision)
        dot = nodes_to_dot(nodes, root, None, True, precision, rankdir, stacked=True)
    finally:
        for node, grad in zip(nodes, kept, strict=True):
            node.grad = grad
    svg = render(dot, "svg").decode("utf-8")
    return page(svg, steps, value_name(root, precision))


def stepper_page(expr: Expression, values: Mapping[str, float] | None = None, precision: int = 4,
                 rankdir: str = "LR", ieee: bool = False) -> str:
    """The self-contained page: the graph at ``values`` (or as last evaluated) and
    the backward pass step by step."""
    from ..draw.page import page  # lazily: only the page needs it
    from ..draw.render import render  # lazily: only a drawing needs Graphviz

    if values is not None:
        expr.evaluate(values, ieee=ieee)  # raises where eval does
    steps = expression_steps(expr, precision)
    svg = render(to_dot(expr, True, precision, rankdir), "svg").decode("utf-8")
    return page(svg, steps, expr.text(80))


class Stepper:
    """The page in a notebook: shown inline (in a frame of its own, so that its keys and
    script are its own), ``save(path)`` writes it."""

    def __init__(self, text: str) -> None:
        self.html = text

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width: 100%; height: 560px; '
                'border: 1px solid #e5e7eb;" sandbox="allow-scripts"></iframe>')

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.html)
