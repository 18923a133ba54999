"""Identities between terms of a sum, wherever the sum is: ``k*sin(u)**2 +
k*cos(u)**2`` is ``k``, ``k*cosh(u)**2 - k*sinh(u)**2`` is ``k``, and
``k*tan(u)**2 + k`` is ``k*sec(u)**2`` (each ``k`` any common cofactor).

Values: the first two hold for every real ``u`` on both sides; ``tan(u)`` and
``sec(u)`` are defined at the same points (``cos(u) != 0``), so no rule changes
where a sum is defined. One pass over the terms, so the rules stay linear.
"""

from __future__ import annotations

from typing import Any

from .limits import FACTOR_TERMS
from .nodes import CALL, MUL, NUM, Node

_SQUARES = ("sin", "cos", "sinh", "cosh", "tan")
_PAIRS = (("sin", "cos", 1), ("cosh", "sinh", -1))
"""A square, the square it adds up with to the cofactor, and the sign the second has."""


def _squares(t: Node) -> list[tuple[str, Node, Node]]:
    """The squares of ``sin cos sinh cosh tan`` in a term, each as (name, argument, the rest of the term)."""
    b = t.owner
    factors = t.args if t.kind == MUL and t.coeff == 1 else None
    if factors is None:
        return []
    out = []
    for k, (base, e) in enumerate(factors):
        if base.kind == CALL and base.name in _SQUARES and e.kind == NUM and e.value == 2:
            rest = b.mul([b.power(f, x) for j, (f, x) in enumerate(factors) if j != k])
            out.append((base.name, base.args[0], rest))
    return out


def with_identities(node: Node) -> Node:
    """The sum ``node`` with the identities of the module's docstring applied (itself where none applies)."""
    if len(node.args) > FACTOR_TERMS or not any(t.kind == MUL for t, _ in node.args):
        return node
    found: dict[tuple[str, int, int], int] = {}
    squares: list[tuple[str, Node, Node, Any]] = []
    for k, (t, c) in enumerate(node.args):
        for name, arg, rest in _squares(t):
            found.setdefault((name, id(arg), id(rest)), k)
            squares.append((name, arg, rest, c))
    if not squares:
        return node
    b = node.owner
    terms = {k: (t, c) for k, (t, c) in enumerate(node.args)}
    plain = {id(t): k for k, (t, _) in enumerate(node.args)}
    const, added = node.coeff, []
    for name, arg, rest, c in squares:
        k = found.get((name, id(arg), id(rest)))
        if k not in terms or terms[k][1] != c:
            continue
        if name == "tan":  # k*tan(u)**2 + k is k*sec(u)**2
            j = plain.get(id(rest))
            if rest is b.one and const == c:
                const = 0
            elif j in terms and terms[j][1] == c and j != k:
                del terms[j]
            else:
                continue
            del terms[k]
            added.append(b.mul([b.num(c), rest, b.power(b.call("sec", arg), b.num(2))]))
            continue
        for first, second, sign in _PAIRS:
            if name == first:
                j = found.get((second, id(arg), id(rest)))
                if j in terms and j != k and terms[j][1] == sign * c:
                    del terms[k], terms[j]
                    added.append(b.scale(c, rest))
    if not added:
        return node
    return b.add([b.num(const), *(b.scale(c, t) for t, c in terms.values()), *added])
