"""Canonical nodes and the numbers in them.

A node is one mathematical form, made once by the builder of
:mod:`autodiff_cli.symbolic.canonical`: a number, a constant (``pi``, ``e``), a
variable, an n-ary sum or product, or an op of the op table applied to a node.
Numbers are exact: ``int`` and :class:`fractions.Fraction` where the input wrote
integers, :class:`Dec` (an exact rational too) where it wrote decimals, so that
``0.1 + 0.2`` is ``0.3``; floats are what functions of decimals fold to
(``sin(0.5)``), and what an irrational power of a decimal is (``2.0**0.5``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ..base.ops import OPS
from ..base.scalar import SCALAR
from .decimals import LARGEST, TINY, Dec, in_range, is_decimal
from .limits import FOLD_BITS, MAX_BITS, ROOT_BITS

if TYPE_CHECKING:
    from .keys import Key


class Kind(enum.IntEnum):
    """Node kinds. ``ADD``: ``coeff`` (the constant term) + sum of ``coeff*term``
    over ``args``; ``MUL``: ``coeff`` * product of ``base**exp`` over ``args`` (a
    power ``x**2`` is a MUL with one factor, ``exp(u)`` one with base ``e``);
    ``LET``: a named intermediate of a printed derivative, ``args == (definition,)``,
    which sums and products take as a whole (as they take a variable) so that a
    next derivative keeps the sharing the printed text has. Leaves come first
    (``kind <= VAR``), composite nodes after (``kind >= ADD``). The values are
    part of a node's shape (:func:`~autodiff_cli.symbolic.keys.shape_of`): they must not change."""

    NUM = 0
    SYM = 1
    VAR = 2
    ADD = 3
    MUL = 4
    CALL = 5
    LET = 6


NUM, SYM, VAR, ADD, MUL, CALL, LET = Kind



def content(coeffs: list[Number]) -> Number:
    """The gcd of exact coefficients over the lcm of their denominators, else 1
    (also where one is a decimal, so that ``2*x - 2.5`` keeps its decimal)."""
    if not all(type(c) in (int, Fraction) for c in coeffs):
        return 1
    fractions = [Fraction(c) for c in coeffs]
    k = Fraction(math.gcd(*(f.numerator for f in fractions)), math.lcm(*(f.denominator for f in fractions)))
    return exact(k)


def as_decimal(x: Number, *sources: Number) -> Number:
    """``x``, an exact result of ``sources``, as a decimal where one of them is."""
    return exact(Dec(x)) if is_exact(x) and any(type(s) is Dec for s in sources) else x


Number = int | Fraction | float


class Node:
    """One canonical node. Fields by kind (see :data:`NUM`): ``value`` (NUM),
    ``name`` (SYM, VAR: its name; CALL: the op's name), ``coeff`` and ``args``
    (ADD, MUL; CALL: ``(arg,)``). ``key`` (a :class:`~autodiff_cli.symbolic.keys.Key`) orders operands; ``label`` is the
    user's name for the node, if the input gave it one."""

    __slots__ = ("args", "coeff", "key", "kind", "label", "name", "owner", "sums", "value")

    def __init__(self, kind: Kind, key: Key | None, value: Number = 0, name: str = "", coeff: Number = 1,
                 args: tuple = ()) -> None:
        self.kind, self.key, self.value, self.name, self.coeff, self.args = kind, key, value, name, coeff, args
        self.label = ""
        self.owner: Any = None  # the CanonicalBuilder that made it
        self.sums = kind == ADD  # whether a sum is in it (set by the builder): where factoring looks

    def __repr__(self) -> str:
        # The node's own fields (its printed form is printer.to_text(node), a layer above).
        kind = self.kind.name
        if self.kind == NUM:
            return f"Node(NUM, {self.value!r})"
        if self.kind in (SYM, VAR):
            return f"Node({kind}, {self.name!r})"
        name = f"{self.name!r}, " if self.name else ""
        return f"Node({kind}, {name}coeff={self.coeff!r}, {len(self.args)} args)"

    def children(self) -> list[Node]:
        """The nodes this one is made of (numbers in exponents included)."""
        kind = self.kind
        if kind == ADD:
            return [t for t, _ in self.args]
        if kind == MUL:
            out = []
            for b, e in self.args:
                out.append(b)
                out.append(e)
            return out
        return list(self.args)


def exact(x: Number) -> Number:
    """A number in normal form: Fractions that are integers as ints; floats 0 and +-1 exact."""
    if type(x) is float:
        return int(x) if x in (0.0, 1.0, -1.0) else x
    if type(x) is Dec:  # a decimal 0 or +-1 is the number itself; others print as decimals
        return int(x) if x in (0, 1, -1) else x
    if type(x) is Fraction and x.denominator == 1:
        return x.numerator
    if type(x) is bool:
        return int(x)
    return x


def is_exact(x: Number) -> bool:
    return type(x) is not float


def is_integer(x: Number) -> bool:
    return type(x) is int or (type(x) is float and x.is_integer()) or (type(x) is Dec and x.denominator == 1)


def perfect_root(n: int, q: int) -> int | None:
    """The exact q-th root of n >= 0, if it is an integer."""
    r = round(n ** (1.0 / q)) if n.bit_length() < ROOT_BITS else None
    if r is None:
        return None
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**q == n:
            return c
    return None


def number_power(a: Number, b: Number) -> Number | None:
    """``a**b`` as a number if it is one: exact for exact inputs (None where the
    result is irrational, undefined or too big), float otherwise (None where not finite).
    With a decimal in it: a decimal where exact and within a float's range
    (``0.25**0.5`` is ``0.5``), else as floats (``2.0**0.5``)."""
    if is_exact(a) and is_exact(b) and (is_decimal(a) or is_decimal(b)):
        r = _exact_power(a, b)
        if r is not None:
            r = as_decimal(r, a, b)
            return r if in_range(r) else None
        a, b = float(a), float(b)
    elif is_exact(a) and is_exact(b):
        return _exact_power(a, b)
    try:
        r = math.pow(float(a), float(b))
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    if abs(r) < TINY and a != 0 and b != 1:  # underflowed: 1e-200**2 is not 0
        return None
    return exact(r) if math.isfinite(r) else None


def _exact_power(a: Number, b: Number) -> Number | None:
    """``a**b`` for exact numbers where it is rational and not too big, else None."""
    a, b = Fraction(a), Fraction(b)
    if b.denominator != 1:  # a rational root: exact only for perfect powers of a >= 0
        if a < 0:
            return None
        p, q = perfect_root(a.numerator, b.denominator), perfect_root(a.denominator, b.denominator)
        if p is None or q is None:
            return None
        a, b = Fraction(p, q), Fraction(b.numerator)
    n = b.numerator
    if a == 0 and n < 0:
        return None
    if a in (0, 1, -1):  # any power of these is small (0**0 = 1)
        return exact(a**n)
    if max(a.numerator.bit_length(), a.denominator.bit_length()) * abs(n) > MAX_BITS:
        return None
    return exact(a**n)


def fold_numbers(coeff: Number, factors: list[tuple[Node, Node]]) -> tuple[Number, list[tuple[Node, Node]]]:
    """A product's numbers raised to numbers folded into its coefficient where
    :func:`product` allows, or a division where the reciprocal alone would
    overflow (``1e-160/5e-324``); again after each fold, as one can make room for
    another (``1e-300*1e-200/1e-320``: ``1e-300/1e-320`` first). The coefficient
    comes back exact where it can be."""
    changed = True
    while changed:
        changed, rest = False, []
        for b, e in factors:
            if b.kind == NUM and e.kind == NUM:
                value = number_power(b.value, e.value)
                folded = product(coeff, value) if value is not None else None
                if folded is None and e.value == -1 and b.value != 0:
                    folded = product(coeff / b.value, 1)
                if folded is not None:
                    coeff, changed = folded, True
                    continue
            rest.append((b, e))
        factors = rest
    return exact(coeff), factors


def postorder(root: Any, children: Callable[[Any], Iterable[Any]]) -> list[Any]:
    """Nodes below ``root``, children first, each once (iterative, any depth)."""
    order: list[Any] = []
    seen = {id(root)}
    stack = [(root, iter(children(root)))]
    while stack:
        node, it = stack[-1]
        for child in it:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(children(child))))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def fold(name: str, *xs: Number) -> Number | None:
    """The op's value at numbers, by the op table's forward rule: folded for
    floats; for exact numbers only where the result is exact (``abs(-3)``,
    ``sin(0)``, ``max(1, 2)``), else None (``sin(1)`` stays symbolic)."""
    try:
        if any(map(is_decimal, xs)) and all(map(is_exact, xs)):  # exact where rational (abs(-2.5)), else floats
            r = OPS[name].forward(SCALAR, *map(Fraction, xs))
            if is_exact(r) or (r == 0 and name == "relu"):
                r = as_decimal(exact(Fraction(r)), *xs)
                return r if in_range(r) else None
            xs = tuple(map(float, xs))
        if all(map(is_exact, xs)):
            if any(x != 0 for x in xs):
                r = OPS[name].forward(SCALAR, *map(Fraction, xs))
                if r == 0 and name == "relu":  # relu(-1) is 0.0, a float, but exactly 0 (exp(-1000) is not)
                    return 0
                return exact(r) if is_exact(r) else None
            r = OPS[name].forward(SCALAR, *[0.0] * len(xs))
            # At 0 a float result is exact where it is a multiple of 1/2 (cos(0), sigmoid(0)),
            # not acos(0), which is pi/2 rounded.
            return exact(Fraction(r)) if math.isfinite(r) and (2 * r).is_integer() else None
        r = OPS[name].forward(SCALAR, *xs)
    except (ArithmeticError, ValueError, TypeError):
        return None
    return exact(r) if math.isfinite(r) else None


def evaluable(x: Number) -> Number:
    """``x`` as it can be printed and read back: an exact number with a numerator
    or a denominator a float cannot hold (``3**1200``) as the float nearest its
    value, which is what evaluating it would need; ``x`` itself where that too
    is out of a float's range."""
    if type(x) in (float, Dec):  # a decimal prints as the float nearest it
        return x
    q = Fraction(x)
    if max(q.numerator.bit_length(), q.denominator.bit_length()) < FLOAT_BITS:
        return x
    try:
        value = float(q)  # correctly rounded
    except OverflowError:
        return x
    return value if abs(value) >= TINY else x  # not 0: all its digits would be lost


def powers_folded(coeff: Number, factors: list) -> tuple[Number, list]:
    """A product's coefficient and numbers raised to integers, as one float
    where one of them alone would not evaluate (``3**1200/5**800`` overflows,
    its value does not), else as they are. ``factors`` are (base, exponent) nodes."""
    numbers = [k for k, (b, e) in enumerate(factors) if b.kind == NUM and e.kind == NUM and is_integer(e.value)]
    if evaluable(coeff) is coeff and all(_evaluates(*factors[k]) for k in numbers):
        return coeff, factors
    value = Fraction(coeff)
    for k in numbers:
        b, e = factors[k]
        q = Fraction(b.value)
        if max(q.numerator.bit_length(), q.denominator.bit_length()) * abs(e.value) > FOLD_BITS or q == 0:
            return coeff, factors
        value *= q ** int(e.value)
    folded = set(numbers)
    try:
        number = float(value)
    except OverflowError:  # out of range, whatever the form
        return coeff, factors
    if abs(number) < TINY:
        return coeff, factors
    return number, [f for k, f in enumerate(factors) if k not in folded]


def _evaluates(b: Node, e: Node) -> bool:
    """Whether ``b**e`` (numbers) computes in floats: no overflow, no underflow to 0."""
    try:
        r = math.pow(float(b.value), float(e.value))
    except (OverflowError, ValueError, ZeroDivisionError):
        return False
    return math.isfinite(r) and (r != 0 or b.value == 0)


FLOAT_BITS = 1024
"""Integers from 2**1024 on are beyond a float (its largest is just below)."""



def finite(x: Number) -> bool:
    """Whether ``x`` is a number as a float (a decimal past the largest float is not: ``1e308 + 1e308``)."""
    if type(x) is Dec:
        return abs(x) < LARGEST
    return is_exact(x) or math.isfinite(x)




def product(a: Number, b: Number) -> Number | None:
    """``a*b`` as a fold may make it: None where the float product is not a number
    (1e200*1e200 is inf) or underflowed (1e-200*1e-200 is 0, not 1e-400: folded,
    ``1/(x*1e-200)`` would have a derivative over 0)."""
    r = a * b
    if is_exact(r):
        return r if in_range(r) else None
    if not math.isfinite(r):
        return None
    if abs(r) < TINY and Fraction(r) != Fraction(a) * Fraction(b):
        return None
    return r


def merged_power_of_product(kept: list, k: int) -> list | None:
    """``(L/g)**(-1/2) * L/g**2`` is ``(L/g)**(1/2)/g``: the factors of a
    power's base present in the product go into the power, as whole powers
    of the base (exact: an integer power of a product is the product of powers)."""
    base, e = kept[k]
    where = {id(b): j for j, (b, _) in enumerate(kept)}
    ratios = []
    for b, f in base.args:
        j = where.get(id(b))
        if j is None or f.kind != NUM or kept[j][1].kind != NUM:
            return None
        ratios.append(kept[j][1].value / f.value)
    m = math.floor(min(ratios)) if min(ratios) >= 1 else math.ceil(max(ratios)) if max(ratios) <= -1 else 0
    if m == 0:
        return None
    out = list(kept)
    for b, f in base.args:
        j = where[id(b)]
        out[j] = (b, base.owner.num(out[j][1].value - m * f.value))
    out[k] = (base, base.owner.num(e.value + m))
    return [(b, e) for b, e in out if e.kind != NUM or e.value != 0]  # exp(y): e**y stays


def divided(c: Number, k: Number) -> Number:
    """``c/k`` exactly where both are exact (``4/2`` is ``2``, not ``2.0``)."""
    return exact(as_decimal(Fraction(c) / Fraction(k), c, k) if is_exact(c) and is_exact(k) else c / k)
