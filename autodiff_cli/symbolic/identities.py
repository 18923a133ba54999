"""Identities between terms of a sum, wherever the sum is: ``k*sin(u)**2 +
k*cos(u)**2`` is ``k``, ``k*cosh(u)**2 - k*sinh(u)**2`` is ``k``,
``k*tan(u)**2 + k`` is ``k*sec(u)**2``, ``k*cos(u)**2 - k*sin(u)**2`` is
``k*cos(2*u)``, and ``k*exp(u) + k*exp(-u)`` is ``2*k*cosh(u)`` (``-`` between
them: ``2*k*sinh(u)``), each ``k`` any common cofactor; and between the factors
of a product: ``sin(u)**n/cos(u)**n`` is ``tan(u)**n``, ``sinh(u)**n/cosh(u)**n``
is ``tanh(u)**n`` and ``2*m*sin(u)*cos(u)`` is ``m*sin(2*u)``.

Values: each holds for every real ``u`` on both sides, except that ``tan(u)``
and ``sec(u)`` are defined at the same points as ``1/cos(u)`` (``cos(u) != 0``),
so no rule changes where an expression is defined. Every rule makes the text
shorter. One pass over the terms or factors, so the rules stay linear.
"""

from __future__ import annotations

from typing import Any

from .limits import FACTOR_TERMS
from .nodes import ADD, CALL, MUL, NUM, Node, Number

_SQUARES = ("sin", "cos", "sinh", "cosh", "tan")
_PAIRS = (("sin", "cos", 1, ""), ("cosh", "sinh", -1, ""), ("cos", "sin", -1, "cos"), ("sin", "cos", -1, "-cos"))
"""A square, the square it adds up with, the sign the second has, and what the
two are times the cofactor: 1, or the function (its sign) of twice the argument."""
_TANGENTS = {"sin": ("cos", "tan"), "sinh": ("cosh", "tanh")}
"""A numerator's function: the denominator's, and their quotient's."""


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
        for first, second, sign, double in _PAIRS:
            if name == first and k in terms:
                j = found.get((second, id(arg), id(rest)))
                if j in terms and j != k and terms[j][1] == sign * c:
                    del terms[k], terms[j]
                    twice = b.call(double.lstrip("-"), b.scale(2, arg)) if double else b.one
                    added.append(b.mul([b.num(-c if double.startswith("-") else c), rest, twice]))
    if not added:
        return node
    return b.add([b.num(const), *(b.scale(c, t) for t, c in terms.values()), *added])


def _negative(u: Node) -> bool:
    """Whether ``u`` is written with a minus sign (``-x``, ``-2``, ``-a + b``)."""
    return (u.kind == MUL and u.coeff < 0) or (u.kind == NUM and u.value < 0) or (u.kind == ADD and u.args[0][1] < 0)


def _exponentials(node: Node) -> list[tuple[int, Node, Node]]:
    """The terms of a sum that are ``exp(u)`` times a cofactor: (index, u, cofactor)."""
    b = node.owner
    out = []
    for k, (t, _) in enumerate(node.args):
        if t.kind == MUL and t.coeff == 1:
            at = next((j for j, (f, _) in enumerate(t.args) if f is b.e), None)
            if at is not None:
                rest = b.mul([b.power(f, x) for j, (f, x) in enumerate(t.args) if j != at])
                out.append((k, t.args[at][1], rest))
    return out


def with_hyperbolics(node: Node) -> Node:
    """The sum ``node`` with ``k*exp(u) + k*exp(-u)`` as ``2*k*cosh(u)`` and
    ``k*exp(u) - k*exp(-u)`` as ``2*k*sinh(u)`` (itself where neither is in it)."""
    if len(node.args) < 2 or len(node.args) > FACTOR_TERMS:
        return node
    b = node.owner
    found = _exponentials(node)
    if len(found) < 2:
        return node
    where = {(id(u), id(rest)): k for k, u, rest in found}
    terms = dict(enumerate(node.args))
    added = []
    for k, u, rest in found:
        j = where.get((id(b.neg(u)), id(rest)))
        if j is None or k not in terms or j not in terms or _negative(u):
            continue
        c, d = terms[k][1], terms[j][1]
        if d not in (c, -c):
            continue
        del terms[k], terms[j]
        added.append(b.mul([b.num(2 * c), rest, b.call("cosh" if d == c else "sinh", u)]))
    if not added:
        return node
    return b.add([b.num(node.coeff), *(b.scale(c, t) for t, c in terms.values()), *added])


def trigonometric(b: Any, coeff: Number, kept: list) -> tuple[Number, list] | None:
    """A product's coefficient and factors with ``sin(u)**n/cos(u)**n`` as
    ``tan(u)**n``, ``sinh(u)**n/cosh(u)**n`` as ``tanh(u)**n`` (``n`` an integer),
    and ``2*m*sin(u)*cos(u)`` as ``m*sin(2*u)``; else None."""
    calls = {(f.name, id(f.args[0])): k for k, (f, e) in enumerate(kept)
             if f.kind == CALL and e.kind == NUM and type(e.value) is int and f.name in ("cos", "cosh")}
    if not calls:
        return None
    out: list = list(kept)
    for k, (f, e) in enumerate(kept):
        if f.kind != CALL or f.name not in _TANGENTS or e.kind != NUM or type(e.value) is not int:
            continue
        below, quotient = _TANGENTS[f.name]
        j = calls.get((below, id(f.args[0])))
        if j is None or out[j] is None:
            continue
        n = kept[j][1].value
        if n == -e.value:
            out[k], out[j] = (b.call(quotient, f.args[0]), e), None
        elif n == e.value == 1 and f.name == "sin" and type(coeff) is int and coeff % 2 == 0:
            out[k], out[j] = (b.call("sin", b.scale(2, f.args[0])), e), None
            coeff //= 2
    if None not in out:
        return None
    return coeff, [pair for pair in out if pair is not None]
