"""Symbolic derivatives, printed: the front of the modules that make them.

- :mod:`autodiff_cli.symbolic.nodes` and :mod:`autodiff_cli.symbolic.canonical`: expressions in a
  canonical form (flat sums and products, like terms collected, exact numbers);
- :mod:`autodiff_cli.symbolic.reverse`: first derivatives, for every variable in one
  reverse sweep, by the op table's local-derivative rules run on canonical nodes;
- :mod:`autodiff_cli.symbolic.forward`: each further order, by forward mode over the
  printed previous one;
- :mod:`autodiff_cli.symbolic.printer` (with :mod:`autodiff_cli.symbolic.layout`) and
  :mod:`autodiff_cli.symbolic.latex`: the text a person would write, or LaTeX.

Everything is linear in the size of its input and iterative (any depth).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..base.errors import DomainError, UsageError, quoted
from ..core.engine import all_finite_grads, backward, forward, topological_order
from ..core.expression import Expression
from ..core.parser import parse
from .factoring import factored
from .forward import dissolved, next_derivative, settle
from .limits import TIDY_PASSES
from .nodes import Node
from .printer import TextPrinter
from .printer import to_text as printed
from .reverse import SymbolicGraph, Term, node_of

__all__ = ["Builder", "SymbolicGraph", "Term", "derivative", "derivatives", "diff", "function", "hessian", "node_of",
           "program_names", "to_text"]


def _check_constants(expr: Expression) -> None:
    """Raise as ``eval`` would where a part without variables is not a number:
    ``x + 1/0`` has no derivative, and ``1e309`` printed would read ``inf``, a name."""
    constant: set[int] = set()
    parts, at = [], []
    for i, node in enumerate(expr.nodes):  # every statement, as eval runs them
        if node.op != "var" and all(id(c) in constant for c in node.children):
            constant.add(id(node))
            parts.append(node)
            at.append(i)
    forward(parts, strict=True, describe=lambda k: expr.describe(at[k]))


def derivatives(expr: Expression, wrt: list[str] | None = None, order: int = 1,
                graph: SymbolicGraph | None = None) -> dict[str, Node]:
    """The ``order``-th derivative of the output by each variable (all unless
    ``wrt``), as canonical nodes. First derivatives come from one sweep."""
    if order < 1:  # the 0th would be the function for every variable: function() is it once
        raise ValueError(f"order must be at least 1, not {order}")
    names = wrt or list(expr.variables)
    unknown = [n for n in names if n not in expr.variables]
    if unknown and unknown[0] in expr.names:
        raise UsageError(f"{quoted(unknown[0])} is assigned in the expression, not a variable: diff "
                         f"differentiates by the variables{f' ({expr.listed()})' if expr.variables else ''}")
    if unknown:
        raise expr.no_variable(unknown[0])
    _check_constants(expr)
    graph = graph or SymbolicGraph()
    found = graph.gradients(graph.add_input(expr), names)
    if order > 1:
        for _ in range(order - 1):
            found = {name: next_derivative(graph, node, name) for name, node in found.items()}
        found = {name: settle(node) for name, node in found.items()}
    elif graph.named:  # a long product's shares are named products: those used once written in place
        found = {name: dissolved(node) for name, node in found.items()}
    # Sums with a common factor factored in the node itself, so that a product
    # around such a sum merges with the factor: x*((a + b)/c)/c is x*(a + b)/c**2.
    # Again on what that made (a factor taken out of some terms is a new product
    # with a new sum in it), until nothing changes: (u + 1)*(x**x + x**x*u) is
    # x**x*(u + 1)**2.
    tidy = TextPrinter()
    return {name: _tidy(found[name], tidy) for name in names}


def _tidy(node: Node, tidy: TextPrinter) -> Node:
    """``node`` with sums that have a common factor factored, again on what that made."""
    for _ in range(TIDY_PASSES):
        again = factored(node, tidy, combine=True)
        if again is node:
            break
        node = again
    return node


def function(expr: Expression) -> Node:
    """The output itself as a canonical node, tidied as a derivative is: what the
    derivatives are derivatives of, in the same form (the 0th derivative)."""
    _check_constants(expr)
    return _tidy(Builder().rebuild(expr), TextPrinter())


def program_names(expr: Expression) -> list[str]:
    """The program's variables and assigned names in the order it first uses them,
    which decides who keeps a symbol two names would share (``alpha`` and ``α``)."""
    assigned: dict[int, list[str]] = {}
    for name, node in expr.names.items():
        assigned.setdefault(id(node), []).append(name)
    out: list[str] = []
    for node in expr.nodes:
        if node.op == "var":
            out.append(node.label)
        out += assigned.get(id(node), [])
    return list(dict.fromkeys(out))


def taken_names(expr: Expression) -> set[str]:
    """Names a printed intermediate must not take: the input's, and those that
    read the same in LaTeX (a variable ``t_1`` is ``t_{1}``, as ``t1`` is)."""
    names = set(expr.variables) | set(expr.names)
    return names | {name.replace("_", "") for name in names}


class Builder(SymbolicGraph):
    """The lower-level API the documentation gives (Python API): ``Builder().rebuild(expr)`` is
    the expression's canonical node, ``derivative(builder, root, name, order)``
    a derivative of it, ``to_text(node)`` its printed form."""

    def rebuild(self, expr: Expression) -> Node:
        self.add_input(expr)
        return self.canon(expr.output)


def derivative(builder: SymbolicGraph, root: Node, name: str, order: int = 1) -> Node:
    """The ``order``-th derivative of a canonical node with respect to variable ``name``."""
    node = builder.gradients(topological_order(builder.lower(root)), [name])[name]
    if order > 1:
        for _ in range(order - 1):
            node = next_derivative(builder, node, name)
        node = settle(node)
    return node


def _parsed(expr: Expression | str) -> Expression:
    return parse(expr) if isinstance(expr, str) else expr


def to_text(node: Node, taken: Iterable[str] = ()) -> str:
    """``node`` printed in autodiff's language (see :mod:`autodiff_cli.symbolic.printer`)."""
    return printed(node, taken)


def diff(expr: Expression | str, wrt: list[str] | None = None, order: int = 1) -> dict[str, str]:
    """Printed derivatives of the output, by variable (all variables unless ``wrt``);
    ``expr`` parsed or its text."""
    expr = _parsed(expr)
    taken = taken_names(expr)
    return {name: to_text(node, taken) for name, node in derivatives(expr, wrt, order).items()}


def hessian(expr: Expression | str, values: Mapping[str, float], ieee: bool = False) -> dict[str, dict[str, float]]:
    """Second derivatives of the output at a point, rows and columns in variable
    order; ``expr`` parsed or its text, ``values`` checked as ``evaluate`` checks them.

    Each row is one numeric backward pass over the symbolic gradient of one
    variable, lowered to a graph of op-table nodes (reverse over reverse)."""
    expr = _parsed(expr)
    expr.check_values(values)
    graph = SymbolicGraph()
    grads = derivatives(expr, graph=graph)
    roots = {name: graph.lower(node) for name, node in grads.items()}
    leaves = {name: graph._vars.get(name) for name in expr.variables}
    for name, leaf in leaves.items():
        if leaf is not None:
            leaf.data = float(values[name])
    rows: dict[str, dict[str, float]] = {}
    for name, root in roots.items():
        order = topological_order(root)
        inside = {id(n) for n in order}
        where = f"the derivative with respect to '{name}'"
        forward(order, strict=not ieee, describe=lambda i, where=where: where)
        backward(order, root, ieee=ieee, describe=lambda i, where=where: where)
        if not ieee and not all_finite_grads(order):
            raise DomainError("second derivatives are not finite", 0, lambda i, where=where: where)
        rows[name] = {col: (v.grad if v is not None and id(v) in inside else 0.0) for col, v in leaves.items()}
    return rows
