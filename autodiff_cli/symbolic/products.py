"""The reverse sweep through a long product: every factor's share at once, in
time and printed size linear in the number of factors.

Taken binary node by binary node, ``f1*f2*...*fn`` gives each factor the
product of the n - 1 others, built flat: n products of n factors each, and a
printed derivative of n**2 factors (``(x+1)*...*(x+200)`` printed 98,313
characters). Here the chain is one n-ary product: a factor's share is the
upstream gradient times the product of the others, written as a prefix
product times a suffix product, each a named intermediate
(:data:`~autodiff_cli.symbolic.nodes.LET`) made from the one before it, so that
every piece is a product of two. Where the upstream gradient divides the whole
product out (``log(f1*...*fn)``), a factor's share is that quotient over the
factor alone (``1/(x + 1) + ...``), which is what the canonical form would make
of it, made in constant time.

Short products keep the binary sweep (what :data:`~autodiff_cli.symbolic.limits.MANY` says), so their
printed derivatives are what they were; a chain of more than
:data:`~autodiff_cli.symbolic.limits.FLAT` operands never does, however few of
them depend on the variables (``log(x*(y+1)*...*(y+300))`` is ``1/x``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..base.ops import OPS
from ..core.engine import Value
from .limits import FLAT, MANY
from .nodes import LET, MUL, NUM, SYM, Node

if TYPE_CHECKING:
    from .reverse import SymbolicGraph


Share = tuple[Value, Node]


def _chain(graph: SymbolicGraph, node: Value) -> tuple[list[tuple[int, Value]], list[Value]]:
    """The operands of a product chain (as the canonical form gathers them) and its inner nodes."""
    operands = graph._gather(node)
    leaves = {id(c) for _, c in operands}
    inner, stack = [], [node]
    while stack:
        for child in stack.pop().children:
            if id(child) not in leaves:
                inner.append(child)
                stack.append(child)
    return operands, inner


def product_shares(graph: SymbolicGraph, node: Value, g: Any, leads: set[int], done: set[int]) -> list[Share] | None:
    """The shares of the operands of the product chain ``node`` (upstream share
    ``g``), or None where the binary sweep is to take it: a short product, or an
    inner node of one (``done`` keeps those, so that a long chain is looked at once)."""
    if id(node) in done:
        return None
    operands, inner = _chain(graph, node)
    # Past FLAT operands, however few depend on the variables: the binary sweep's shares would be products too
    # long to merge, each a factor of its own, so log's 1/u no longer divides out (x*y1*...*y300 gave the whole
    # quotient, not 1/x).
    long = len(operands) > FLAT
    if not long and sum(id(c) in leads for _, c in operands) <= MANY:
        done.update(map(id, inner))
        return None
    b = graph.b
    graph.named = True  # (not always: enough to say where to look)
    constants: list[Node] = []
    groups: dict[int, list[Any]] = {}  # a base's first operand, the base, its exponent in the product
    for s, c in operands:
        base = graph.canon(c)
        if id(c) not in leads or base.kind in (NUM, SYM):
            constants.append(base if s > 0 else b.pow(base, b.minus_one))
            continue
        entry = groups.setdefault(id(base), [c, base, 0])
        entry[2] += s
    factors = [(c, base, e) for c, base, e in groups.values() if e != 0]  # x/x is 1
    if not long and len(factors) <= MANY:
        done.update(map(id, inner))
        return None
    dbase = OPS["pow"].grads[0]  # d(base**e)/d(base), by the op table's rule
    powers = [b.pow(base, b.num(e)) for _, base, e in factors]
    slopes = [dbase(graph.math, None, graph.term(base), e).node for _, base, e in factors]
    upstream, product = graph._made(g), b.mul([*constants, *powers])
    # The product as one node too: one of more than :data:`~autodiff_cli.symbolic.limits.FLAT` factors is a factor of
    # its own in another (log's 1/u is product**-1 then), divided out only whole.
    whole = b.mul([upstream, product])
    quotient = _small(b, whole)
    pairs = _pairs(whole)
    exponents = {id(f): e for f, e in pairs}
    # A product inside it (one too long to merge, a named one) may hide a factor: no quotients then.
    hidden = any(f.kind in (MUL, LET) and not _below(e) for f, e in pairs)
    out: list[Share] = []
    rest: list[int] = []
    for k, ((c, base, e), slope) in enumerate(zip(factors, slopes, strict=True)):
        over = b.mul([b.pow(base, b.num(-e)), slope])  # the share is whole*over, wherever both are defined
        if not hidden and (quotient is whole or all(
                _below(x) and _below(exponents.get(id(f))) for f, x in _pairs(over))):
            out.append((c, b.mul([quotient, over])))
        else:
            rest.append(k)
    if rest:  # whole*over would be undefined where the share is not (a zero factor): the others' product
        outside = _small(b, b.mul([upstream, *constants]))
        before, after = _running(b, powers), _running(b, powers[::-1])[::-1]
        out += [(factors[k][0], b.mul([outside, before[k], after[k], slopes[k]])) for k in rest]
    return out


def _pairs(node: Node) -> tuple[tuple[Node, Node], ...]:
    """A node as a product's (base, exponent) pairs."""
    return node.args if node.kind == MUL else ((node, node.owner.one),)


def _below(e: Node | None) -> bool:
    """Whether an exponent is absent (None) or a negative number: where both
    ``whole`` and ``over`` have ``f`` only so, ``whole*over`` is undefined at
    ``f = 0`` exactly where the share it stands for is."""
    return e is None or (e.kind == NUM and e.value < 0)


def _small(b: Any, node: Node) -> Node:
    """``node``, or a named intermediate for it where it is a product of many
    factors (so that the n products it goes into are made in constant time)."""
    return b.let(node) if node.kind == MUL and len(node.args) > MANY else node


def _running(b: Any, powers: list[Node]) -> list[Node]:
    """``out[k]``: the product of ``powers[:k]``, each a named intermediate made from the one before."""
    out = [b.one]
    for k, power in enumerate(powers[:-1]):
        made = b.mul([out[-1], power])
        out.append(made if k == 0 else b.let(made))
    return out
