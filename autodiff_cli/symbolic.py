"""Symbolic derivatives: the op table's local-derivative rules run on graph
nodes instead of floats, then the result is simplified and printed back in
autodiff's own language.

Nodes are built by a :class:`Builder` that simplifies as it builds (constant
folding, the identities of 0 and 1, double negation, ``x - x``, collected numeric
factors) and shares structurally equal nodes, so a derivative is a small DAG.
The printer names shared subexpressions (``t1 = tanh(...); (1 - t1**2)*w0``) so
the text stays within a small factor of the input's size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import partial
from types import SimpleNamespace
from typing import Any

from .engine import Value, all_finite_grads, backward, forward, topological_order
from .errors import DomainError, UsageError
from .expression import Expression
from .ops import OPS, SCALAR


class Term:
    """A node in the making: Python operators on Terms build simplified nodes."""

    __slots__ = ("builder", "node")

    def __init__(self, builder: Builder, node: Value) -> None:
        self.builder = builder
        self.node = node

    def __add__(self, o: Any) -> Term:
        return self.builder.term("add", self, o)

    def __radd__(self, o: Any) -> Term:
        return self.builder.term("add", o, self)

    def __sub__(self, o: Any) -> Term:
        return self.builder.term("sub", self, o)

    def __rsub__(self, o: Any) -> Term:
        return self.builder.term("sub", o, self)

    def __mul__(self, o: Any) -> Term:
        return self.builder.term("mul", self, o)

    def __rmul__(self, o: Any) -> Term:
        return self.builder.term("mul", o, self)

    def __truediv__(self, o: Any) -> Term:
        return self.builder.term("div", self, o)

    def __rtruediv__(self, o: Any) -> Term:
        return self.builder.term("div", o, self)

    def __neg__(self) -> Term:
        return self.builder.term("neg", self)


def _is_const(node: Value, value: float | None = None) -> bool:
    return node.op == "const" and (value is None or node.data == value)


class Builder:
    """Builds simplified, shared (hash-consed) nodes."""

    def __init__(self) -> None:
        self._table: dict[tuple, Value] = {}
        b = self
        self.math = SimpleNamespace(
            **{name: partial(b.term, name) for name, op in OPS.items() if op.kind == "call"},
            pow=lambda x, y: b.term("pow", x, y),
            pow_dbase=lambda x, y: y * b.term("pow", x, y - 1.0),
            pow_dexp=lambda out, x: out * b.term("log", x),
        )
        """The symbolic interpretation of the op table's math namespace."""

    # -- leaves -------------------------------------------------------------
    def const(self, value: float, label: str = "") -> Value:
        value = float(value)
        key = ("const", value, math.copysign(1.0, value))
        node = self._table.get(key)
        if node is None:
            node = self._table[key] = Value(value, (), "const", label)
        return node

    def var(self, name: str) -> Value:
        node = self._table.get(("var", name))
        if node is None:
            node = self._table[("var", name)] = Value(0.0, (), "var", name)
        return node

    # -- operations ---------------------------------------------------------
    def term(self, op: str, *args: Any) -> Term:
        return Term(self, self.make(op, *(a.node if isinstance(a, Term) else self.const(a) for a in args)))

    def make(self, op: str, *xs: Value) -> Value:
        """The node for ``op(*xs)``, simplified, shared with any equal node built before."""
        simpler = self._simplify(op, xs)
        if simpler is not None:
            return simpler
        key = (op, *map(id, xs))
        node = self._table.get(key)
        if node is None:
            node = self._table[key] = Value(0.0, tuple(xs), op)
        return node

    def _simplify(self, op: str, xs: tuple[Value, ...]) -> Value | None:
        if all(x.op == "const" for x in xs):
            try:
                value = OPS[op].forward(SCALAR, *(x.data for x in xs))
            except (ArithmeticError, ValueError):
                return None
            return self.const(value) if math.isfinite(value) else None
        c = self.const
        if op == "add":
            a, b = xs
            if _is_const(a, 0.0):
                return b
            if _is_const(b, 0.0):
                return a
            if a.op == "const":  # constants last: 6*x - 4, not -4 + 6*x
                return self.make("add", b, a)
            if b.op == "const" and b.data < 0:
                return self.make("sub", a, c(-b.data))
            if b.op == "neg":
                return self.make("sub", a, b.children[0])
            if a.op == "neg":
                return self.make("sub", b, a.children[0])
        elif op == "sub":
            a, b = xs
            if _is_const(b, 0.0):
                return a
            if _is_const(a, 0.0):
                return self.make("neg", b)
            if a is b:
                return c(0.0)
            if b.op == "const" and b.data < 0:
                return self.make("add", a, c(-b.data))
            if b.op == "neg":
                return self.make("add", a, b.children[0])
        elif op == "mul":
            a, b = xs
            if _is_const(a, 0.0) or _is_const(b, 0.0):
                return c(0.0)
            if _is_const(a, 1.0):
                return b
            if _is_const(b, 1.0):
                return a
            if b.op == "const":  # constants first: 6*x
                return self.make("mul", b, a)
            if a.op == "const":
                if a.data == -1.0:
                    return self.make("neg", b)
                if b.op == "mul" and b.children[0].op == "const":  # collect factors: 3*(2*x) = 6*x
                    return self.make("mul", c(a.data * b.children[0].data), b.children[1])
                if b.op == "neg":
                    return self.make("mul", c(-a.data), b.children[0])
            if b.op == "mul" and b.children[0].op == "const":  # hoist constants: x*(2*y) = 2*(x*y)
                return self.make("mul", b.children[0], self.make("mul", a, b.children[1]))
            if a.op == "mul" and a.children[0].op == "const":  # (2*x)*y = 2*(x*y)
                return self.make("mul", a.children[0], self.make("mul", a.children[1], b))
            if a.op == "neg" and b.op == "neg":
                return self.make("mul", a.children[0], b.children[0])
            if a.op == "neg":
                return self.make("neg", self.make("mul", a.children[0], b))
            if b.op == "neg":
                return self.make("neg", self.make("mul", a, b.children[0]))
            if a is b:
                return self.make("pow", a, c(2.0))
            if a.op == "div" and _is_const(a.children[0], 1.0):  # (1/x)*y = y/x
                return self.make("div", b, a.children[1])
            if b.op == "div" and _is_const(b.children[0], 1.0):
                return self.make("div", a, b.children[1])
        elif op == "div":
            a, b = xs
            if _is_const(b, 1.0):
                return a
            if _is_const(a, 0.0):
                return c(0.0)
            if a is b and a.op == "exp":  # never zero, so x/x = 1 is safe
                return c(1.0)
            if a.op == "neg":
                return self.make("neg", self.make("div", a.children[0], b))
        elif op == "pow":
            a, b = xs
            if _is_const(b, 1.0):
                return a
            if _is_const(b, 0.0):
                return c(1.0)
        elif op == "neg":
            (a,) = xs
            if a.op == "neg":
                return a.children[0]
            if a.op == "sub":
                return self.make("sub", a.children[1], a.children[0])
            if a.op == "mul" and a.children[0].op == "const":
                return self.make("mul", c(-a.children[0].data), a.children[1])
        return None

    # -- whole graphs -------------------------------------------------------
    def rebuild(self, expr: Expression) -> Value:
        """The expression's output rebuilt through this builder (simplified, shared)."""
        nodes, _ = expr.live()
        new: dict[int, Value] = {}
        labels = {id(n): name for name, n in expr.names.items()}
        for node in nodes:
            if node.op == "var":
                made = self.var(node.label)
            elif node.op == "const":
                made = self.const(node.data, node.label if node.label == "pi" else "")
            else:
                made = self.make(node.op, *(new[id(ch)] for ch in node.children))
                name = node.label or labels.get(id(node), "")
                if name and made.children and not made.label:
                    made.label = name
            new[id(node)] = made
        return new[id(expr.output)]

    def gradients(self, root: Value) -> dict[int, Value]:
        """d root / d node for every node below ``root``, as nodes: reverse mode
        with each op's local-derivative rule applied to nodes."""
        order = topological_order(root)
        grads: dict[int, Value] = {id(root): self.const(1.0)}
        for node in reversed(order):
            g = grads.get(id(node))
            if g is None or not node.children or not node.needs_grad:
                continue
            out = Term(self, node)
            args = [Term(self, ch) for ch in node.children]
            for rule, child in zip(OPS[node.op].grads, node.children, strict=False):
                if not child.needs_grad:
                    continue
                local = rule(self.math, out, *args)
                local_node = local.node if isinstance(local, Term) else self.const(local)
                share = self.make("mul", g, local_node)
                prev = grads.get(id(child))
                grads[id(child)] = share if prev is None else self.make("add", prev, share)
        return grads


def derivative(builder: Builder, root: Value, name: str, order: int = 1) -> Value:
    """The ``order``-th derivative of ``root`` with respect to variable ``name``, as a node."""
    var = builder.var(name)
    for _ in range(order):
        root = builder.gradients(root).get(id(var), builder.const(0.0))
    return root


# -- printing -----------------------------------------------------------------
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_ATOM = 5


def _prec(node: Value, names: dict[int, str]) -> int:
    if id(node) in names or node.op == "var":
        return _ATOM
    if node.op == "const":
        return 3 if node.data < 0 or (node.data == 0 and math.copysign(1, node.data) < 0) else _ATOM
    return _PREC.get(node.op, _ATOM)


def format_const(x: float, label: str = "") -> str:
    if label == "pi" or x == math.pi:
        return "pi"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x)) if x != 0 or math.copysign(1, x) > 0 else "-0"
    return repr(x)


def _emit(root: Value, names: dict[int, str], out: list[str]) -> None:
    """Append the text of ``root`` to ``out`` with the fewest parentheses; iterative."""
    stack: list[Value | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node = item
        if node is not root and id(node) in names:
            out.append(names[id(node)])
            continue
        op = node.op
        if op == "var":
            out.append(node.label)
        elif op == "const":
            out.append(format_const(node.data, node.label))
        elif op == "neg":
            (a,) = node.children
            stack += _wrap(a, _prec(a, names) < 3)
            out.append("-")
        elif op in _PREC:
            a, b = node.children
            p = _PREC[op]
            if op == "pow":  # the base is an atom; the exponent a unary (right-associative)
                left, right = _prec(a, names) < _ATOM, _prec(b, names) < 3
            else:  # left-associative: a right operand of the same tier needs parentheses
                left, right = _prec(a, names) < p, _prec(b, names) <= p
            symbol = {"add": " + ", "sub": " - "}.get(op, OPS[op].symbol)
            stack += _wrap(b, right)
            stack.append(symbol)
            stack += _wrap(a, left)
        else:  # a function call
            stack.append(")")
            for k, child in enumerate(reversed(node.children)):
                if k:
                    stack.append(", ")
                stack.append(child)
            out.append(f"{op}(")


def _wrap(node: Value, parens: bool) -> list[Value | str]:
    # Pushed onto a stack, so in reverse order.
    return [")", node, "("] if parens else [node]


def to_text(root: Value, taken: Iterable[str] = ()) -> str:
    """Print ``root`` in autodiff's language. A subexpression used more than
    once is printed once, as a named intermediate ``t1 = ...;`` before the result."""
    order = topological_order(root)
    uses: dict[int, int] = {}
    for node in order:
        for child in node.children:
            uses[id(child)] = uses.get(id(child), 0) + 1
    variables = {n.label for n in order if n.op == "var"}
    taken = set(taken) | variables | {n.label for n in order if n.label}
    names: dict[int, str] = {}
    used: set[str] = set()
    counter = 0
    for node in order:
        if node is root or not node.children or uses.get(id(node), 0) < 2:
            continue
        if node.op == "neg" and not node.children[0].children:
            continue  # -x is as short as a name
        # The user's own name for the node where it has one; t1, t2, ... otherwise.
        name = node.label if node.label and node.label not in variables | used else ""
        while not name:
            counter += 1
            name = f"t{counter}" if f"t{counter}" not in taken | used else ""
        used.add(name)
        names[id(node)] = name
    parts: list[str] = []
    for node in order:
        if id(node) in names:
            parts += [names[id(node)], " = "]
            _emit(node, names, parts)
            parts.append("; ")
    _emit(root, names, parts)
    return "".join(parts)


def hessian(expr: Expression, values: Mapping[str, float], ieee: bool = False) -> dict[str, dict[str, float]]:
    """Second derivatives of the output at a point, rows and columns in variable order.

    Each row is one numeric backward pass over the symbolic gradient graph of
    one variable (reverse over reverse)."""
    builder = Builder()
    grads = builder.gradients(builder.rebuild(expr))
    leaves = {name: builder.var(name) for name in expr.variables}
    for name, leaf in leaves.items():
        leaf.data = float(values[name])
    rows: dict[str, dict[str, float]] = {}
    for name, leaf in leaves.items():
        root = grads.get(id(leaf), builder.const(0.0))
        order = topological_order(root)
        inside = {id(n) for n in order}
        where = f"the derivative with respect to '{name}'"
        forward(order, strict=not ieee, describe=lambda i, where=where: where)
        backward(order, root, ieee=ieee, describe=lambda i, where=where: where)
        if not ieee and not all_finite_grads(order):
            raise DomainError("second derivatives are not finite", 0, lambda i, where=where: where)
        rows[name] = {col: (v.grad if id(v) in inside else 0.0) for col, v in leaves.items()}
    return rows


def diff(expr: Expression, wrt: list[str] | None = None, order: int = 1) -> dict[str, str]:
    """Printed derivatives of the output, by variable (all variables unless ``wrt``)."""
    names = wrt or list(expr.variables)
    unknown = [n for n in names if n not in expr.variables]
    if unknown:
        raise UsageError(f"no variable '{unknown[0]}' in the expression")
    builder = Builder()
    root = builder.rebuild(expr)
    taken = set(expr.variables) | set(expr.names)
    return {name: to_text(derivative(builder, root, name, order), taken) for name in names}
