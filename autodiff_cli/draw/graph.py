"""The computation graph as DOT, drawn as the micrograd lecture draws it.

Each value is a record ``{ label | value: -2.0000 | gradient: 4.0000 }`` (in
a notebook the same fields one above another, as the lecture's own
``render_graph`` has them); each
operation is a small node showing its symbol between its inputs and its
result. Graphviz node names are topological indices, so the same expression
always gives the same DOT (and SVG).

It knows values and expressions by their fields only, so that the engine's
``Value.render_graph()`` can draw without an import cycle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ..base.errors import shortened
from ..base.ops import OPS

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:  # nodes and expressions are read by their fields: see docs/architecture.md
    from ..core.engine import Value
    from ..core.expression import Expression

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
    return nodes_size(nodes)


def nodes_size(nodes: Sequence[Value]) -> int:
    """How many Graphviz nodes drawing ``nodes`` takes (values plus operations)."""
    return len(nodes) + sum(1 for n in nodes if n.children)


LABEL = 200
"""Characters a record's label shows, shortened in the middle beyond: Graphviz refuses a label of 16,384."""

CHAINED = ("add", "mul")
"""Ops whose chains are drawn as one node with many inputs: ``a + b + c + d`` is one ``+``."""


def _chains(nodes: Sequence[Value], names: Mapping[int, str], outputs: set[int],
            group_of: Mapping[int, object]) -> tuple[set[int], dict[int, list[Value]]]:
    """A long sum or product as one node with all its terms as inputs, not a
    staircase of binary nodes (a 20-input neuron reads at a glance). An inner node
    of a chain is merged into the node above it when it is the same op, used once,
    unnamed, not an output and in the same box; the drawn node keeps the chain's
    top value and gradient. Returns the merged nodes' ids and, for each chain's
    top, its terms in order (the engine's graph stays binary)."""
    uses: dict[int, int] = {}
    for node in nodes:
        for child in node.children:
            uses[id(child)] = uses.get(id(child), 0) + 1
    absorbed: set[int] = set()
    terms: dict[int, list[Value]] = {}
    for node in reversed(nodes):  # from the top of each chain down
        if node.op not in CHAINED or id(node) in absorbed:
            continue
        found: list[Value] = []
        stack = list(reversed(node.children))  # iterative: a chain may be 100,000 long
        while stack:
            child = stack.pop()
            if (child.op == node.op and uses[id(child)] == 1 and not child.label and id(child) not in names
                    and id(child) not in outputs and group_of.get(id(child)) is group_of.get(id(node))):
                absorbed.add(id(child))
                stack.extend(reversed(child.children))
            else:
                found.append(child)
        if len(found) > len(node.children):
            terms[id(node)] = found
    return absorbed, terms


def to_dot(expr: Expression, with_values: bool, precision: int = 4, rankdir: str = "LR",
           stacked: bool = False, outputs: Sequence[Value] | None = None) -> str:
    """DOT source for the graph the output depends on.

    ``with_values`` shows each node's value and gradient (after evaluation);
    without it the graph shows the structure only. ``stacked``: see :func:`nodes_to_dot`.
    ``outputs``: several outputs drawn as outputs (their values only: a gradient is one output's).
    """
    nodes, _ = expr.live()
    if outputs:
        below = {id(n) for n in outputs}
        for node in reversed(expr.nodes):
            if id(node) in below:
                below.update(map(id, node.children))
        nodes = [n for n in expr.nodes if id(n) in below]
    names = {id(n): name for name, n in expr.names.items()}  # aliases: the first name wins
    if not outputs:  # the result is labelled: by its statement's name, or "output"
        names.setdefault(id(expr.output), "output")
    where = expr.live()[1]
    position = {id(n): k for k, n in enumerate(expr.nodes)} if outputs or where else None
    texts = {}  # an unnamed intermediate is labelled with its text (c*d, b + c*d), as the lecture's e, d
    for k, node in enumerate(nodes):
        if node.children and not node.label and id(node) not in names:
            texts[id(node)] = shortened(expr.text_of(position[id(node)] if position else k), 24, keep_end=9)
    groups = {}  # each call of a function of the program, boxed and labelled as written: neuron(x1, w1)
    for call in expr.calls:
        made = {id(n) for n in expr.nodes[call.start:call.end] if n.op != "var"}  # variables are shared
        groups[call.text(expr.source)] = {id(n) for n in nodes if id(n) in made}
    return nodes_to_dot(nodes, outputs or expr.output, names, with_values, precision, rankdir, stacked,
                        {label: ids for label, ids in groups.items() if ids}, gradients=not outputs, texts=texts)


def nodes_to_dot(nodes: Sequence[Value], output: Value | Sequence[Value], names: Mapping[int, str] | None = None,
                 with_values: bool = True, precision: int = 4, rankdir: str = "LR", stacked: bool = False,
                 groups: Mapping[str, set[int]] | None = None, gradients: bool = True,
                 texts: Mapping[int, str] | None = None) -> str:
    """DOT source for ``nodes`` (topologically ordered, every child among them),
    drawn as :func:`to_dot` draws an expression; ``names`` labels nodes by ``id``
    where they have no label of their own. ``stacked`` puts each record's label,
    value and gradient one above another, as the lecture's ``render_graph`` does
    (about half as wide a drawing); otherwise a left-to-right graph has them side
    by side, as micrograd's ``draw_dot`` does. ``groups`` boxes nodes (by ``id``)
    under a label: the calls of a function of the program. ``output`` may be
    several nodes; ``gradients``: whether records show them; ``texts`` labels the
    other nodes (by ``id``) without keeping a chain from being drawn as one node."""
    import graphviz  # lazily: only a graph too big to draw in-house asks graphviz

    names = names or {}
    # A record's fields run across the graph's direction; braces turn them.
    braces = not stacked or rankdir.upper() not in ("LR", "RL")
    index = {id(n): i for i, n in enumerate(nodes)}
    drawn_as_output = {id(n) for n in output} if isinstance(output, (list, tuple)) else {id(output)}
    dot = graphviz.Digraph("autodiff", graph_attr={"rankdir": rankdir, "bgcolor": "white", "nodesep": "0.3",
                                                   "ranksep": "0.35"},
                           node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "filled"},
                           edge_attr={"color": "#6b7280", "arrowsize": "0.7", "fontname": "Helvetica",
                                      "fontsize": "9", "fontcolor": "#6b7280"})
    clusters = [graphviz.Digraph(f"cluster_{k}", graph_attr={"label": label, "style": "rounded,dashed",
                                                             "color": "#9ca3af", "fontname": "Helvetica",
                                                             "fontsize": "10", "fontcolor": "#4b5563"})
                for k, label in enumerate(groups or {})]
    group_of = {i: clusters[k] for k, ids in enumerate((groups or {}).values()) for i in ids}
    absorbed, terms = _chains(nodes, names, drawn_as_output, group_of)
    for i, node in enumerate(nodes):
        if id(node) in absorbed:
            continue
        name = f"n{i}"
        place = group_of.get(id(node), dot)
        named = node.op == "const" and id(node) in names  # a = 2, as the lecture's a = Value(2.0)
        label = names[id(node)] if named else node.label or names.get(id(node), "") or (texts or {}).get(id(node), "")
        if not label and node.op == "const":  # a number mixed in by Value's operators (2 * a)
            label = f"{node.data:g}"
        kind = "var" if named or node.op == "var" else "const" if node.op == "const" else "value"
        kind = "output" if id(node) in drawn_as_output else kind
        fields = [_record_text(shortened(label, LABEL, keep_end=LABEL // 3))] if label else []
        if with_values and (node.op != "const" or named):
            fields += [f"value: {fmt_number(node.data, precision)}"]
            fields += [f"gradient: {fmt_number(node.grad, precision)}"] if gradients else []
        size = {}
        if not fields:  # an unnamed value in a structure-only graph: a small empty box
            fields, size = [" "], {"width": "0.3", "height": "0.25"}
        record = " | ".join(fields)
        place.node(name, "{ " + record + " }" if braces else record, shape="record", **size, **STYLE[kind])
        if node.children:
            op = OPS[node.op]
            place.node(f"{name}_op", op.symbol, **STYLE["op"])
            dot.edge(f"{name}_op", name)
            for k, child in enumerate(terms.get(id(node), node.children)):
                extra = {"label": op.roles[k]} if op.roles else {}
                dot.edge(f"n{index[id(child)]}", f"{name}_op", **extra)
    for cluster in clusters:
        dot.subgraph(cluster)
    return dot.source
