"""Rules of the canonical form for functions whose values are known in other
terms: each is exact in real numbers, and none makes an expression undefined
where it was defined (README, "What simplification may assume").

- ``exp(log(u))`` is ``u`` and ``exp(k*log(u))`` is ``u**k`` (defined for
  ``u > 0`` before, wherever ``u**k`` is after), as ``log(exp(u))`` is ``u``;
- ``log(1 - sigmoid(u))`` is ``log(sigmoid(u)) - u`` (and finite where the
  left side rounds to ``log(0)``);
- the log of an exact positive number that is a perfect power is a multiple
  of the log of its root, and of a number below 1 the opposite of the log of
  its reciprocal: ``log(4)`` is ``2*log(2)``, ``log(1/8)`` is ``-3*log(2)``, so that
  ``log(4) - 2*log(2)`` is 0;
- ``sigmoid(-u)`` is ``1 - sigmoid(u)``, and ``exp(u)/(exp(u) + 1)`` and
  ``1/(1 + exp(-u))`` are ``sigmoid(u)`` (everywhere defined, all of them).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from .decimals import is_decimal
from .limits import ROOT_BITS
from .nodes import ADD, CALL, MUL, NUM, SYM, Node, is_exact, perfect_root

if TYPE_CHECKING:
    from .canonical import CanonicalBuilder


def exp_of(b: CanonicalBuilder, exponent: Node) -> Node | None:
    """``exp(exponent)`` as a power of the argument of a log in it, else None."""
    k, inner = 1, exponent
    if inner.kind == MUL and len(inner.args) == 1 and inner.args[0][1] is b.one and is_exact(inner.coeff):
        k, inner = inner.coeff, inner.args[0][0]
    if inner.kind == CALL and inner.name == "log" and len(inner.args) == 1:
        return b.pow(inner.args[0], b.num(k))
    return None


def log_of(b: CanonicalBuilder, arg: Node) -> Node | None:
    """``log(arg)`` in other terms (a perfect power's, ``log(1 - sigmoid(u))`` as
    ``log(sigmoid(u)) - u``, both defined everywhere), else None."""
    if arg.kind == NUM:
        return log_of_number(b, arg.value) if is_exact(arg.value) and not is_decimal(arg.value) else None
    if arg.kind == ADD and arg.coeff == 1 and len(arg.args) == 1 and arg.args[0][1] == -1:
        s = arg.args[0][0]
        if s.kind == CALL and s.name == "sigmoid":
            return b.sub(b.call("log", s), s.args[0])
    return None


def log_of_number(b: CanonicalBuilder, value: Fraction | int) -> Node | None:
    """``log(value)`` for an exact ``value > 0`` as a multiple of a smaller log, else None."""
    q = Fraction(value)
    if q <= 0 or q == 1:
        return None
    if q < 1:
        return b.neg(b.call("log", b.num(1 / q)))
    n, d = q.numerator, q.denominator
    if max(n.bit_length(), d.bit_length()) >= ROOT_BITS:
        return None
    for k in range(max(n.bit_length(), 2), 1, -1):
        p, r = perfect_root(n, k), perfect_root(d, k)
        if p is not None and r is not None:
            return b.scale(k, b.call("log", b.num(Fraction(p, r))))
    return None


def sigmoid_of(b: CanonicalBuilder, arg: Node) -> Node | None:
    """``sigmoid(-u)`` as ``1 - sigmoid(u)`` where the argument is written with a minus sign, else None."""
    if arg.kind == MUL and arg.coeff < 0:
        return b.sub(b.one, b.call("sigmoid", b.neg(arg)))
    return None


def _sigmoid_power(b: CanonicalBuilder, kept: list) -> list | None:
    """``exp(-m*a)*sigmoid(a)**n`` as ``sigmoid(-a)**m*sigmoid(a)**(n - m)``, and
    ``exp(m*v)*(1 - sigmoid(v))**n`` as ``sigmoid(v)**m*(1 - sigmoid(v))**(n - m)``
    (``1 <= m <= n``): ``exp(-a)*sigmoid(a)`` is ``1/(exp(a) + 1)``. Else None."""
    at = next((i for i, (f, _) in enumerate(kept) if f is b.e), None)
    if at is None:
        return None
    w = kept[at][1]
    for j, (base, e) in enumerate(kept):
        if e.kind != NUM or type(e.value) is not int or e.value < 1:
            continue
        if base.kind == CALL and base.name == "sigmoid":
            a, flip = base.args[0], -1
        elif (base.kind == ADD and base.coeff == 1 and len(base.args) == 1 and base.args[0][1] == -1
              and base.args[0][0].kind == CALL and base.args[0][0].name == "sigmoid"):
            a, flip = base.args[0][0].args[0], 1
        else:
            continue
        m = next((m for m in range(1, e.value + 1) if b.scale(flip * m, a) is w), 0)
        if m:
            out = [f for i, f in enumerate(kept) if i not in (at, j)]
            other = b.call("sigmoid", b.scale(flip, a) if flip == 1 else b.neg(a))
            return [*out, (other, b.num(m)), (base, b.num(e.value - m))]
    return None


def logistic(b: CanonicalBuilder, kept: list) -> list | None:
    """The factors of a product with ``exp(m*v)*(exp(v) + 1)**-k`` (``1 <= m <= k``) as
    ``sigmoid(v)**m*sigmoid(-v)**(k - m)`` (``exp(x)/(exp(x) + 1)`` is ``sigmoid(x)``,
    ``exp(2*x)/(exp(x) + 1)**2`` is ``sigmoid(x)**2``), and with no such ``exp``
    ``(exp(-u) + 1)**-k`` as ``sigmoid(u)**k``; else None."""
    for j, (base, e) in enumerate(kept):
        if not (base.kind == ADD and base.coeff == 1 and len(base.args) == 1 and e.kind == NUM
                and type(e.value) is int and e.value < 0):
            continue
        t, c = base.args[0]
        if c != 1 or t.kind != MUL or t.coeff != 1 or len(t.args) != 1 or t.args[0][0] is not b.e:
            continue
        v, k = t.args[0][1], -e.value
        out = [f for i, f in enumerate(kept) if i != j]
        ours = next((i for i, (f, _) in enumerate(out) if f is b.e), None)
        m = 0 if ours is None else next((m for m in range(1, k + 1) if b.scale(m, v) is out[ours][1]), 0)
        if m:
            del out[ours]
            out.append((b.call("sigmoid", v), b.num(m)))
        elif not (v.kind == MUL and v.coeff < 0):
            continue
        if k > m:
            out.append((b.call("sigmoid", b.neg(v)), b.num(k - m)))
        return out
    return _sigmoid_power(b, kept)


def xlogy(b: CanonicalBuilder, x: Node, y: Node) -> Node:
    """``xlogy(x, y)``: ``x*log(y)`` where that is the same (``x`` a number
    other than 0, ``y`` a positive number or ``exp(u)``), else a node of its own."""
    if x.kind == NUM and x.value == 0:
        return b.zero
    log = b.call("log", y)
    if x.kind == NUM or y.kind == SYM or (y.kind == NUM and y.value > 0) or log.kind != CALL:
        return b.mul([x, log])  # log(exp(u)) is u, defined everywhere
    return b.made_call("xlogy", (x, y))
