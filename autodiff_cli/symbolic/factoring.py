"""Sums written shorter: a factor every term has taken out in front
(``exp(x)*(x + 2)``), else the factor the most terms have taken out of those
(Horner's scheme). The printer writes sums so, and a next derivative is taken
of what was written (:func:`factored`).

Taking a factor out never makes a sum undefined where it was defined: see
:func:`_common`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any, NamedTuple

from .decimals import decimal_text, is_decimal
from .identities import with_hyperbolics, with_identities
from .limits import FACTOR_TERMS
from .nodes import ADD, CALL, LET, MUL, NUM, Node, content, divided, is_exact, postorder
from .rational import combined, text_length

if TYPE_CHECKING:
    from .printer import Printer


def _integer(x: Any) -> bool:
    return x != 0 and is_exact(x) and Fraction(x).denominator == 1


class Exponent(NamedTuple):
    """An exponent as a symbolic part and an integer added to it: ``y - 1`` is (y, -1)."""

    symbolic: Node | None  # None for a number
    number: Any


class Power(NamedTuple):
    """A factor of a term: its base, and its exponent in parts."""

    base: Node
    symbolic: Node | None
    number: Any


def _exponent_parts(e: Node) -> Exponent:
    """An exponent in parts (see :class:`Exponent`)."""
    if e.kind == NUM:
        return Exponent(None, e.value)
    if e.kind == ADD and _integer(e.coeff):
        return Exponent(e.owner.add([e, e.owner.num(-e.coeff)]), e.coeff)
    return Exponent(e, 0)


def _common(a: Any, b: Any, symbolic: bool) -> Any:
    """The part of two exponents both terms have: ``x**2`` and ``x**3`` share
    ``x**2``, ``x**-1`` and ``x**-2`` share ``x**-1``. Taking it out never makes
    the sum undefined where it was defined. Nothing for exponents of opposite
    signs, for ``x**(1/2)`` and ``x**(1/3)`` (what would be left, ``x**(1/6)``,
    reads worse), and for symbolic exponents unless equal (``x**y`` taken out of
    ``x**(y - 1)`` leaves ``1/x``, undefined at 0 where ``x**(y - 1)`` may not be)."""
    if symbolic:
        return a if a == b else None
    if not float(a - b).is_integer():
        return None
    if a > 0 and b > 0:
        return min(a, b)
    if a < 0 and b < 0:
        return max(a, b)
    return None


class Factored(NamedTuple):
    """A sum written as ``coeff`` times ``factors`` (base, exponent), the rest of the sum among them."""

    coeff: Any
    factors: list[tuple[Node, Any]]


class Plan(NamedTuple):
    """How the printer writes a sum: with its common factors taken out, or
    as another sum (or not a sum any more) with a factor taken out of some
    terms, or as it is (both None)."""

    factored: Factored | None
    regrouped: Node | None


def factor_plan(node: Node, length: Any) -> Plan:
    """A shorter way to write a sum: the factors every term has (and the
    content of the coefficients) taken out in front (:func:`taken_out`); else
    the factor the most terms have taken out of those terms (:func:`grouped`).
    Applied again to what is left, the second is Horner's scheme: what keeps
    the derivatives of chains linear in size."""
    if len(node.args) < 2 or len(node.args) > FACTOR_TERMS:
        return Plan(None, None)
    factored = taken_out(node, length)
    return Plan(factored, None if factored is not None else grouped(node, length))


def taken_out(node: Node, length: Any) -> Factored | None:
    """The factors every term of a sum without a constant has, and the content
    of its coefficients, taken out in front where that is shorter, else None."""
    if node.coeff != 0:
        return None
    b = node.owner
    common = _common_factors(node)
    coeffs = [c for _, c in node.args]
    k: Any = (-1 if all(c < 0 for c in coeffs) else 1) * content(coeffs)
    factors = [(base, b.num(n) if sym is None else b.add([sym, b.num(n)])) for base, sym, n in common]
    size = sum(length(base) + (1 if e is b.one else 5) for base, e in factors)
    size += 0 if abs(k) == 1 else len(decimal_text(abs(k)) if is_decimal(k) else str(abs(k)))
    if (len(node.args) - 1) * size - 3 <= 0:
        return None
    inverse = [b.power(base, b.scale(-1, e)) for base, e in factors]
    rest = b.add([b.mul([b.num(divided(c, k)), t, *inverse])
                  for t, c in node.args])
    return Factored(k, sorted([*factors, (rest, b.one)], key=lambda pair: pair[0].key))


def grouped(node: Node, length: Any) -> Node | None:
    """The sum with the factor the most terms have taken out of those terms
    (``x*y + x*z + w`` is ``x*(y + z) + w``) where that is shorter, else None."""
    b = node.owner
    counts: dict[tuple[int, int], list[Any]] = {}
    for t, _ in node.args:
        for base, e in (t.args if t.kind == MUL else ((t, b.one),)):
            entry = counts.get((id(base), id(e)))
            if entry is None:
                counts[(id(base), id(e))] = [base, e, 1]
            else:
                entry[2] += 1
    best, gain = None, 0
    for base, e, count in counts.values():
        if count >= 2 and (count - 1) * (length(base) + (1 if e is b.one else 5)) - 3 > gain:
            best, gain = (base, e), (count - 1) * (length(base) + (1 if e is b.one else 5)) - 3
    if best is None:
        return None
    base, e = best
    inside, outside = [], []
    for t, c in node.args:
        has = any(f is base and x is e for f, x in (t.args if t.kind == MUL else ((t, b.one),)))
        (inside if has else outside).append((t, c))
    inverse = b.power(base, b.scale(-1, e))
    grouped = b.mul([b.power(base, e), b.add([b.mul([b.num(c), t, inverse]) for t, c in inside])])
    return b.add([grouped, b.num(node.coeff), *(b.scale(c, t) for t, c in outside)])


def _common_factors(node: Node) -> list[Power]:
    """The factors every term of a sum has, each to the power all the terms share."""
    b = node.owner
    common: dict[int, Power] | None = None
    parts: dict[int, Exponent] = {}  # by exponent: many factors share one (y - 1)
    for t, _ in node.args:
        pairs = t.args if t.kind == MUL else ((t, b.one),)
        mine = {}
        for base, e in pairs:
            if common is None or id(base) in common:  # only what can still be common
                found = parts.get(id(e))
                if found is None:
                    found = parts[id(e)] = _exponent_parts(e)
                mine[id(base)] = Power(base, *found)
        if common is None:
            common = mine
            continue
        kept = {}
        for key, (base, sym, n) in common.items():
            other = mine.get(key)
            if other is not None and other.symbolic is sym:
                shared = _common(n, other.number, sym is not None)
                if shared is not None:
                    kept[key] = Power(base, sym, shared)
        common = kept
        if not common:
            break
    return list((common or {}).values())


NO_PLAN = Plan(None, None)


def _planned(made: Node, printer: Printer) -> Node:
    """A sum as the printer writes it: regrouped, its common factors taken out."""
    b = made.owner
    plan = printer.plan(made) if made.kind == ADD else NO_PLAN
    while plan.regrouped is not None:
        made = plan.regrouped
        plan = printer.plan(made) if made.kind == ADD else NO_PLAN
    if plan.factored is not None:
        made = b.mul([b.num(plan.factored.coeff), *(b.power(base, e) for base, e in plan.factored.factors)])
    return made


def _shortest(made: Node, printer: Printer, combine: bool) -> Node:
    """A sum as printed (:func:`_planned`), or as one fraction or multiplied
    out (:func:`~autodiff_cli.symbolic.rational.combined`) where that is shorter."""
    if made.kind == ADD:
        made = with_identities(made)
    if made.kind == ADD:
        made = with_hyperbolics(made)
    planned = _planned(made, printer)
    other = combined(made) if combine and made.kind == ADD else None
    if other is None or other is made:
        return planned
    other = factored(other, printer)
    lengths = printer.text_lengths
    # Kept where clearly shorter: a product of sums reads as taught where the two are close.
    return other if 10 * text_length(other, lengths) < 9 * text_length(planned, lengths) else planned


def factored(root: Node, printer: Printer, combine: bool = False) -> Node:
    """``root`` with every sum that the printer writes factored (``t2/t3 - t1/t3``
    is ``(t2 - t1)/t3``) rewritten so: the form a next derivative is taken of,
    so that it is the derivative of what was printed. ``printer`` keeps what
    was rewritten before (each node is rewritten once). With ``combine``, for
    a derivative about to be printed, sums are also written as one fraction or
    multiplied out where that is shorter (not for the forms a next derivative
    is taken of: that would redo the work at every order)."""
    b = root.owner
    new = printer.rewritten
    if not root.sums:
        return root
    # Only what has a sum in it can change: nothing else is visited (the
    # 10,000 products w_i*x_i of a neuron's sum are not).
    for node in postorder(root, lambda n: [c for c in n.children() if c.sums and id(c) not in new]):
        if id(node) in new:
            continue
        kind = node.kind
        made = node
        if kind == ADD:
            terms = [(new.get(id(t), t), c) for t, c in node.args]
            if any(n is not t for (n, _), (t, _) in zip(terms, node.args, strict=True)):
                made = b.add([b.scale(c, t) for t, c in terms] + [b.num(node.coeff)])
            made = _shortest(made, printer, combine)
        elif kind == MUL and any(new.get(id(c), c) is not c for c in node.children()):
            made = b.mul([b.num(node.coeff), *(b.pow(new.get(id(f), f), new.get(id(e), e)) for f, e in node.args)])
        elif kind in (CALL, LET) and any(new.get(id(a), a) is not a for a in node.args):
            args = [new.get(id(a), a) for a in node.args]
            made = b.call(node.name, *args) if kind == CALL else b.let(args[0], node.label)
        new[id(node)] = made
    return new[id(root)]
