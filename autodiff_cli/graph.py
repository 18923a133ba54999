"""The computation graph as DOT, drawn as the micrograd lecture draws it.

Each value is a record ``{ label | value: -2.0000 | gradient: 4.0000 }``; each
operation is a small node showing its symbol between its inputs and its
result. Graphviz node names are topological indices, so the same expression
always gives the same DOT (and SVG).
"""

from __future__ import annotations

import math

from .expression import Expression
from .ops import OPS

# Colours a reader takes in at a glance: inputs blue, constants grey,
# operations pale yellow circles, the output green, other values white.
STYLE = {
    "var": {"fillcolor": "#dbeafe", "color": "#1d4ed8"},
    "const": {"fillcolor": "#f3f4f6", "color": "#9ca3af", "fontcolor": "#4b5563"},
    "value": {"fillcolor": "#ffffff", "color": "#374151"},
    "output": {"fillcolor": "#dcfce7", "color": "#15803d", "penwidth": "2"},
    "op": {"fillcolor": "#fef9c3", "color": "#a16207", "shape": "circle", "fixedsize": "false",
           "margin": "0.02", "fontsize": "12"},
}
MAX_LAYOUT_NODES = 8000
"""Graphviz nodes beyond which laying out takes minutes: refused without --force.
(``dot`` lays out 7,500 in about 12 s on a 2-core machine; see bench/.)"""


def fmt_number(x: float, precision: int) -> str:
    """Fixed decimals as in the lecture (``-2.0000``); scientific where fixed would be unreadable."""
    if not math.isfinite(x):
        return repr(x)
    if x == 0 or 10.0 ** -precision <= abs(x) < 1e9:
        return f"{x:.{precision}f}"
    return f"{x:.{precision}e}"


def _record_text(text: str) -> str:
    # Characters with a meaning inside a Graphviz record label.
    for ch in "\\{}|<>\" ":
        text = text.replace(ch, "\\" + ch if ch != " " else "\\ ")
    return text


def graph_size(expr: Expression) -> int:
    """How many Graphviz nodes the drawing has (values plus operations)."""
    nodes, _ = expr.live()
    return len(nodes) + sum(1 for n in nodes if n.children)


def to_dot(expr: Expression, with_values: bool, precision: int = 4, rankdir: str = "LR") -> str:
    """DOT source for the graph the output depends on.

    ``with_values`` shows each node's value and gradient (after evaluation);
    without it the graph shows the structure only.
    """
    import graphviz

    nodes, _ = expr.live()
    index = {id(n): i for i, n in enumerate(nodes)}
    names = {id(n): name for name, n in expr.names.items()}  # aliases: the first name wins
    dot = graphviz.Digraph("autodiff", graph_attr={"rankdir": rankdir, "bgcolor": "white", "nodesep": "0.3",
                                                   "ranksep": "0.35"},
                           node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "filled"},
                           edge_attr={"color": "#6b7280", "arrowsize": "0.7", "fontname": "Helvetica",
                                      "fontsize": "9", "fontcolor": "#6b7280"})
    for i, node in enumerate(nodes):
        name = f"n{i}"
        label = node.label or names.get(id(node), "")
        kind = "output" if node is expr.output else {"var": "var", "const": "const"}.get(node.op, "value")
        fields = [_record_text(label)] if label else []
        if with_values and node.op != "const":
            fields += [f"value: {fmt_number(node.data, precision)}",
                       f"gradient: {fmt_number(node.grad, precision)}"]
        size = {}
        if not fields:  # an unnamed value in a structure-only graph: a small empty box
            fields, size = [" "], {"width": "0.3", "height": "0.25"}
        dot.node(name, "{ " + " | ".join(fields) + " }", shape="record", **size, **STYLE[kind])
        if node.children:
            op = OPS[node.op]
            dot.node(f"{name}_op", op.symbol, **STYLE["op"])
            dot.edge(f"{name}_op", name)
            for k, child in enumerate(node.children):
                extra = {"label": op.roles[k]} if op.roles else {}
                dot.edge(f"n{index[id(child)]}", f"{name}_op", **extra)
    return dot.source
