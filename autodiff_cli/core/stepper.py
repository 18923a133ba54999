"""The backward pass as a reader steps through it on the graph, for any graph of
``Value`` nodes: the states of the page of :mod:`autodiff_cli.draw.page`, from the
engine's record of the pass (the same record ``--trace`` prints), the page of a
``Value``'s graph, and the page in a notebook (:class:`Stepper`).

It imports nothing of the engine, which shows a ``Value``'s page through it: the
caller hands over the pass (``sweep``: the engine's ``backward``).
:mod:`autodiff_cli.core.steps` makes an expression's page with it."""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Sequence
from typing import Any

from ..base.ops import OPS
from ..draw.graph import fmt_number, nodes_to_dot

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from .engine import Value

Sweep = Callable[..., None]
"""The engine's backward pass: ``sweep(nodes, output, ieee=True, record=record)``."""


def backward_steps(nodes: Sequence[Value], output: Value, name: Callable[[int], str], sweep: Sweep,
                   precision: int = 4, named: Collection[int] = ()) -> dict[str, Any]:
    """The steps of the backward pass over ``nodes`` (topologically ordered, ending in
    ``output``) as the page shows them: each record's ``gradient:`` text as the drawing
    writes it (so that the last state is the static graph's), and each step's ``--trace``
    rows. ``name(i)`` names ``nodes[i]`` in the panel; ``named`` holds the ``id`` of the
    constants drawn with a gradient (a = 2 in a program); ``sweep`` is the engine's
    ``backward``. Leaves every ``.grad`` as the pass sets it."""
    record: list[tuple[int, int, float, float, float]] = []
    sweep(nodes, output, ieee=True, record=record)  # the evaluation before it raised where it must
    records = {f"n{i}": True for i, n in enumerate(nodes) if n.op != "const" or id(n) in named}
    position = {id(n): i for i, n in enumerate(nodes)}

    def text(x: float) -> str:
        return f"gradient: {fmt_number(x, precision)}"

    out = position[id(output)]
    states = [{"node": f"n{out}", "set": {f"n{out}": text(1.0)}, "rows": [], "notes": [],
               "what": f"The output <b>{html.escape(name(out))}</b> gets gradient 1: dL/dL = 1."}]
    for i, k, local, share, total in record:
        node = nodes[i]
        if states[-1]["node"] != f"n{i}" or len(states) == 1:
            op = OPS[node.op].symbol
            states.append({"node": f"n{i}", "set": {}, "rows": [], "notes": [],
                           "what": f"<b>{html.escape(name(i))}</b> ({html.escape(op)}), gradient "
                                   f"{node.grad:.6g}: each input gets the local derivative times {node.grad:.6g}."})
        j = position[id(node.children[k])]
        states[-1]["set"][f"n{j}"] = text(total)
        states[-1]["rows"].append([name(j), f"{local:.6g}", f"{share:.6g}", f"{total:.6g}"])
        # Beside the input's record on the graph: what this step adds to its gradient.
        states[-1]["notes"].append([f"n{j}", f"+= {local:.4g} \u00d7 {node.grad:.4g} = {share:.4g}"])
    return {"records": records, "before": "gradient: \u2014", "states": states,
            "start": "Before the backward pass: every value is computed, no gradient yet. "
                     "Press \u2192 (or next) for the first step."}


def value_name(node: Value, precision: int = 4) -> str:
    """How the page names a node of a ``Value`` graph (no source text to quote): its
    label, else its operation and value (``* -6.0000``), a leaf its value."""
    if node.label:
        return node.label
    number = fmt_number(node.data, precision)
    return f"{OPS[node.op].symbol} {number}" if node.children else number


def value_stepper_page(nodes: Sequence[Value], root: Value, sweep: Sweep, precision: int = 4,
                       rankdir: str = "LR") -> str:
    """The page for the graph ``nodes`` below ``root`` (topologically ordered) at its values as
    they are (``Value.render_graph(steps=True)``). The pass runs on the graph itself but every
    ``.grad`` is put back after: showing it changes nothing."""
    from ..draw.page import page  # lazily: only the page needs it
    from ..draw.render import render  # lazily: only a drawing needs Graphviz

    kept = [n.grad for n in nodes]
    try:
        steps = backward_steps(nodes, root, lambda i: value_name(nodes[i], precision), sweep, precision)
        dot = nodes_to_dot(nodes, root, None, True, precision, rankdir, stacked=True)
    finally:
        for node, grad in zip(nodes, kept, strict=True):
            node.grad = grad
    svg = render(dot, "svg").decode("utf-8")
    return page(svg, steps, value_name(root, precision))


class Stepper:
    """The page in a notebook: shown inline (in a frame of its own, so that its keys and
    script are its own), ``save(path)`` writes it."""

    def __init__(self, text: str) -> None:
        self.html = text

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width: 100%; height: 560px; '
                'border: 1px solid #e5e7eb;" sandbox="allow-scripts"></iframe>')

    def save(self, path: str) -> None:
        """Write the page to ``path``, whole or not at all (as ``graph -o page.html`` writes it)."""
        from ..base.files import write_atomic  # lazily: only a page saved to a file needs it

        write_atomic(path, self.html.encode("utf-8"))
