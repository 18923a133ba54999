"""Sums written as one fraction, and products of sums multiplied out, where
that prints shorter: what a teacher does to a quotient rule's result.

``6*x/(x**3 + 2) - 3*x**2*(3*x**2 - 1)/(x**3 + 2)**2`` is one fraction over the
common denominator ``(x**3 + 2)**2``, whose numerator, multiplied out and its
like terms collected, is ``12*x + 3*x**2 - 3*x**4``; ``s*(1 - y) - y*(1 - s)``
multiplied out is ``s - y``. The factoring pass
(:func:`~autodiff_cli.symbolic.factoring.factored`) asks for it on each sum it
rewrites and keeps it only where the printed text is shorter.

Values: over the common denominator ``D``, a sum ``sum(t_i)`` is
``sum(t_i*D)/D``. Where every ``t_i`` is defined, so is ``D`` and it is not 0
(each of its bases is in some ``t_i``'s denominator), and the two are equal; the
new form may be defined where a ``t_i`` was not (``x/x`` is ``1`` too), which the
canonical form allows. Multiplying out is exact.

Work is bounded per sum (:data:`~autodiff_cli.symbolic.limits.TOGETHER_TERMS`,
:data:`~autodiff_cli.symbolic.limits.EXPANDED_TERMS`), so the pass stays linear.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .decimals import decimal_text, is_decimal
from .limits import BIG, DENOMINATORS, EXPANDED_POWER, EXPANDED_TERMS, EXPANDED_WORK, TOGETHER_TERMS
from .nodes import ADD, CALL, LET, MUL, NUM, SYM, VAR, Node, is_exact, is_integer, postorder

SMALL_SUM = 3
"""A sum multiplied out where it is a factor: ``y*(1 - s)`` is, a longer one rarely cancels."""


def _factors(t: Node) -> tuple:
    """A term's factors, (base, exponent) pairs."""
    return t.args if t.kind == MUL else ((t, t.owner.one),)


def _denominators(node: Node) -> list[tuple[Node, Any]] | None:
    """The bases under a ``/`` in the terms of a sum, each to the highest power
    a term has it (exact exponents only, differing by integers), or None where
    there are too many to be worth it."""
    found: dict[int, list] = {}
    for t, _ in node.args:
        for base, e in _factors(t):
            if e.kind != NUM or not is_exact(e.value) or e.value >= 0 or base.kind == NUM:
                continue
            entry = found.get(id(base))
            if entry is None:
                found[id(base)] = [base, -e.value, True]
            else:
                entry[2] = entry[2] and Fraction(entry[1] + e.value).denominator == 1
                entry[1] = max(entry[1], -e.value)
    kept = [(base, m) for base, m, fits in found.values() if fits]
    return kept if len(kept) <= DENOMINATORS else None


def expanded(node: Node, budget: list[int], limit: int = EXPANDED_TERMS) -> list[Node] | None:
    """``node`` multiplied out: the terms whose sum it is (sums to small
    positive integer powers distributed, in sums and products, at any depth),
    or None where that would make more than ``limit`` terms, or take more
    products than ``budget[0]`` (spent as it goes: a bound on the work however
    deep the sums are nested)."""
    b = node.owner
    budget[0] -= 1
    if budget[0] < 0:
        return None
    if node.kind == ADD:
        if len(node.args) > limit:
            return None
        out: list[Node] = [b.num(node.coeff)] if node.coeff != 0 else []
        for t, c in node.args:
            inner = expanded(t, budget, limit)
            if inner is None:
                return None
            out += [b.scale(c, x) for x in inner]
            if len(out) > limit:
                return None
        return out
    if node.kind != MUL:
        return [node]
    if len(node.args) > TOGETHER_TERMS:
        return None  # a long product: not what a quotient rule makes
    terms: list[Node] = [b.num(node.coeff)]
    for base, e in node.args:
        if base.kind == ADD and e.kind == NUM and is_integer(e.value) and 0 < e.value <= EXPANDED_POWER:
            inner = expanded(base, budget, limit)
            if inner is None or len(terms) * len(inner) ** int(e.value) > limit:
                return None
            for _ in range(int(e.value)):
                budget[0] -= len(terms) * len(inner)
                if budget[0] < 0:
                    return None
                terms = [b.mul([x, y]) for x in terms for y in inner]
        else:
            power = b.power(base, e)
            terms = [b.mul([x, power]) for x in terms]
    return terms


def _expandable(node: Node) -> bool:
    """Whether some term of a sum has a sum among its factors (to a power
    :func:`expanded` multiplies out)."""
    return any(base.kind == ADD and len(base.args) <= SMALL_SUM and e.kind == NUM and is_integer(e.value)
               and 0 < e.value <= EXPANDED_POWER for t, _ in node.args for base, e in _factors(t))


def combined(node: Node) -> Node | None:
    """A sum as one fraction over its terms' common denominator, the numerator
    multiplied out (see the module's docstring), or None where there is nothing
    to do or it would be too big. The caller keeps it where it prints shorter."""
    if node.kind != ADD or len(node.args) > TOGETHER_TERMS:
        return None
    denominators = _denominators(node)
    # A quotient rule's result has a sum under its "/": without one, only multiplying out may help.
    if denominators is None or (not any(base.kind == ADD for base, _ in denominators) and not _expandable(node)):
        return None
    b = node.owner
    common = [b.power(base, b.num(m)) for base, m in denominators]
    numerator: list[Node] = []
    budget = [EXPANDED_WORK]
    for t, c in [*node.args, (b.one, node.coeff)]:
        if c == 0:
            continue
        inner = expanded(b.mul([b.num(c), t, *common]), budget)
        if inner is None:
            return None
        numerator += inner
        if len(numerator) > EXPANDED_TERMS:
            return None
    whole = b.add(numerator)
    return b.mul([whole, *(b.power(base, b.num(-m)) for base, m in denominators)])


def _number_length(x: Any) -> int:
    if is_decimal(x):
        return len(decimal_text(abs(x)))
    return len(str(abs(x))) if is_exact(x) else len(repr(abs(x)))


def text_length(root: Node, lengths: dict[int, int]) -> int:
    """About how long ``root`` prints as plain text, closer than the factoring
    plans' estimate where it matters here: a ``/`` for a negative power, the
    parentheses a sum needs as a factor (``lengths`` keeps what was measured)."""
    for node in postorder(root, lambda n: [c for c in n.children() if id(c) not in lengths]):
        kind = node.kind
        if kind == NUM:
            size = _number_length(node.value) + (node.value < 0)
        elif kind in (VAR, SYM):
            size = len(node.name) if kind == VAR else 2 if node.name == "pi" else 6
        elif kind == CALL:
            size = len(node.name) + 2 * len(node.args) + sum(lengths[id(a)] for a in node.args)
        elif kind == LET:
            size = lengths[id(node.args[0])]
        elif kind == ADD:
            size = sum(lengths[id(t)] + 3 + (0 if c in (1, -1) else _number_length(c) + 1) for t, c in node.args)
            size += _number_length(node.coeff) + 3 if node.coeff != 0 else 0
        else:
            size = _product_length(node, lengths)
        lengths[id(node)] = min(size, BIG)
    return lengths[id(root)]


def _product_length(node: Node, lengths: dict[int, int]) -> int:
    """A product's length: its coefficient, ``*`` between factors, one ``/`` before its denominator."""
    size = 0 if node.coeff in (1, -1) else _number_length(node.coeff) + 1
    below = 0
    for base, e in node.args:
        part = lengths[id(base)] + (2 if base.kind == ADD or (base.kind == MUL and len(node.args) > 1) else 0)
        if base.kind == SYM and base.name == "e":
            part = lengths[id(e)] + 5
        elif e.kind != NUM:
            part += 2 + lengths[id(e)]
        elif e.value in (1, -1):
            pass
        elif abs(e.value) == Fraction(1, 2):
            part = lengths[id(base)] + 6
        else:
            part += 2 + _number_length(e.value) + (0 if is_integer(e.value) else 2)
        if e.kind == NUM and e.value < 0:
            below += 1
        size += part + 1
    return size + (2 if below > 1 else 0)
