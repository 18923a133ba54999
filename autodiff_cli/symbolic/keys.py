"""The keys that order operands in sums and products.

A key is fixed when a node is made (:meth:`~autodiff_cli.symbolic.canonical.CanonicalBuilder._made`):
its kind decides the first fields (:data:`Prefix`), then come the node's shape,
whether it is the opposite of another, and a serial. Printing a form and
reading it back must give the same form, so ties are broken by shape, not by
which node was made first.
"""

from __future__ import annotations

import enum
import math
import zlib
from fractions import Fraction
from typing import NamedTuple

from .nodes import ADD, MUL, NUM, Node, Number


class Tier(enum.IntEnum):
    """The first part of a key: which operands come first in a sum or a product
    as printed (``pi*x*2**y*sin(x)*exp(x)*(x + 1)``). A power sorts with its base."""

    PI = 1
    VARIABLE = 2  # also a named intermediate (LET), which reads as a variable
    NUMBER = 3
    CALL = 4
    EXP = 5  # the base e of exp(u)
    SUM = 7


class Key(NamedTuple):
    """The order of operands in a sum or a product (compared as a tuple, field by field)."""

    tier: Tier
    stem: str
    """A name without its digits (``w`` of ``w10``), an op's name; a sum's first term's."""
    index: int
    """The digits of a name (``w2`` before ``w10``), -1 where there are none."""
    degree: Number
    """Higher powers first (minus the exponent); a sum's constant, sign-adjusted (``(y + 1)*(y + 2)``)."""
    shape: int
    """Operands tied so far are ordered by their shape (:func:`shape_of`), not by which was made first."""
    opposite: bool
    """A sum whose first term is negative (or a power of one) after its opposite: ``1/(y - x) + 1/(x - y)``."""
    serial: int
    """Which was made first: the last resort, unique."""


Prefix = tuple[Tier, str, int, Number]
"""The fields of a :class:`Key` a node's kind decides (tier, stem, index, degree); the builder adds the rest."""


def name_key(name: str) -> tuple[str, int]:
    """Natural order for names: w2 before w10."""
    stem = name.rstrip("0123456789")
    digits = name[len(stem):]
    return (stem, int(digits)) if digits and stem else (name, -1)


def shape_of(node: Node) -> int:
    """The shape slot of a node's key, after its kind's (tier, stem, index, degree;
    a sum's degree is its constant): operands whose keys tie there are ordered by
    it, not by which was made first, so that printing a form and reading it back
    gives the same form again. It is a 64-bit digest (:func:`tuple_digest`, the
    same in every process and every Python) of the node's shape from its parts'
    (names by CRC-32). A sum's is taken with its first term positive: a printer
    may move a product's sign into a sum (``-(y - 2)*(y + 1)`` is ``(2 - y)*(y + 1)``),
    and the sum read back must sort the same."""
    kind, args = node.kind, node.args
    if kind == ADD:
        sign = -1 if args[0][1] < 0 else 1
        return digest((ADD, _code(sign * node.coeff), tuple([t.key.shape for t, _ in args]),
                       tuple([_code(sign * c) for _, c in args])))
    if kind == MUL:
        if len(args) == 1:  # a power, the commonest
            return digest((MUL, _code(node.coeff), args[0][0].key.shape, args[0][1].key.shape))
        return digest((MUL, _code(node.coeff), tuple([f.key.shape for f, _ in args]),
                       tuple([e.key.shape for _, e in args])))
    if kind == NUM:
        return digest((NUM, _code(node.value)))
    name = _NAMES.get(node.name)
    if name is None:
        name = _NAMES[node.name] = zlib.crc32(node.name.encode("utf-8", "surrogatepass"))
    return digest((kind, name, *[a.key.shape for a in args]))


_NAMES: dict[str, int] = {}  # names' CRC-32, once each


def _code(x: Number) -> int:
    """A number's digest for a shape: one of ``x`` and ``x + 1``, as the number
    digest alone has ``-1`` and ``-2`` equal, and ``y - z`` and ``y - 2*z`` must differ.
    (A NaN, whose hash in Python is its address, as 0.)"""
    return digest((x, x + 1)) if x == x else digest((0, 1))


# The digest is CPython's (3.8 on, 64 bits) hash of a tuple, written out so that
# the order of operands, and so the printed text, does not depend on the
# interpreter that runs it: xxHash's 64-bit lane step over the parts' digests.
_MASK = (1 << 64) - 1
_PRIME_1, _PRIME_2, _PRIME_5 = 11400714785074694791, 14029467366897019727, 2870177450012600261
_LENGTH = _PRIME_5 ^ 3527539  # the length is mixed in last (this constant keeps CPython's digest of ())
MODULUS = (1 << 61) - 1
"""Numbers are digested modulo this prime (Python's numeric hash, the same for 2, 2.0 and Fraction(2))."""
_INF = 314159  # the digest of an infinity (and of a fraction whose denominator is a multiple of the prime)


def number_digest(x: Number) -> int:
    """An exact number's residue modulo :data:`MODULUS`, signed as ``x`` (-1 as -2):
    Python's documented numeric hash. Floats by their exact value; a NaN is 0."""
    if type(x) is float:
        if x != x:
            return 0
        if x in (math.inf, -math.inf):
            return _INF if x > 0 else -_INF
        m, n = x.as_integer_ratio()
    elif isinstance(x, Fraction):  # a Dec too
        m, n = x.numerator, x.denominator
    else:
        m, n = int(x), 1
    if n == 1:
        digest = abs(m) % MODULUS
    elif n % MODULUS == 0:
        digest = _INF
    else:
        digest = abs(m) % MODULUS * pow(n, MODULUS - 2, MODULUS) % MODULUS
    digest = -digest if m < 0 else digest
    return -2 if digest == -1 else digest


def tuple_digest(parts: tuple) -> int:
    """The digest of a tuple of numbers and such tuples: a signed 64-bit integer."""
    acc = _PRIME_5
    for x in parts:
        lane = (tuple_digest(x) if type(x) is tuple else number_digest(x)) & _MASK
        acc = (acc + lane * _PRIME_2) & _MASK
        acc = (((acc << 31) | (acc >> 33)) * _PRIME_1) & _MASK  # rotated left by 31 bits, times a prime
    acc = (acc + (len(parts) ^ _LENGTH)) & _MASK
    if acc == _MASK:  # -1 is reserved (an error) in CPython
        return 1546275796
    return acc - (1 << 64) if acc >> 63 else acc


_SAMPLES = [(), (0,), (1,), (-1,), (-2,), (ADD, MUL), (MODULUS - 1, MODULUS, MODULUS + 1, -MODULUS, -MODULUS - 1),
            ((1 << 63) - 1, -(1 << 63), 1 << 64, -(1 << 200)), ((1, 2), (), ((3,), -4)),
            (Fraction(1, 3), Fraction(-7, 2), 0.5, -1.5, 1e300, 5e-324, -0.0, math.inf, -math.inf),
            tuple(range(-40, 40)), (Fraction(1, MODULUS), 2.5e-310, 12345678901234567890)]

digest = hash if all(hash(s) == tuple_digest(s) for s in _SAMPLES) else tuple_digest
"""The digest of a shape. Where the interpreter's own tuple hash is the same
function (CPython from 3.8 on 64 bits: checked above on numbers at its edges), it
computes it in C; elsewhere the digest written out does, and the order is the same."""
