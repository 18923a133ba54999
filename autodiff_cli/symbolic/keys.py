"""The keys that order operands in sums and products.

A key is fixed when a node is made (:meth:`~autodiff_cli.symbolic.canonical.Builder._made`):
its kind decides the first parts (:class:`Prefix`), then come the node's shape,
whether it is the opposite of another, and a serial. Printing a form and
reading it back must give the same form, so ties are broken by shape, not by
which node was made first.
"""

from __future__ import annotations

import enum
import functools
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


class Prefix(NamedTuple):
    """The part of a :class:`Key` a node's kind decides; the builder adds the rest."""

    tier: Tier
    stem: str
    index: int
    degree: Number




def name_key(name: str) -> tuple[str, int]:
    """Natural order for names: w2 before w10."""
    stem = name.rstrip("0123456789")
    digits = name[len(stem):]
    return (stem, int(digits)) if digits and stem else (name, -1)


def shape_of(node: Node) -> int:
    """The shape slot of a node's key, after its kind's (tier, stem, index, degree;
    a sum's degree is its constant): operands whose keys tie there are ordered by
    it, not by which was made first, so that printing a form and reading it back
    gives the same form again. It is a 64-bit digest of the node's shape from its
    parts' (:func:`mix`, the same in every process and every Python; names by
    CRC-32). A sum's is taken with its first term positive: a printer may move a
    product's sign into a sum (``-(y - 2)*(y + 1)`` is ``(2 - y)*(y + 1)``), and
    the sum read back must sort the same."""
    kind, args = node.kind, node.args
    if kind == ADD:
        sign = -1 if args[0][1] < 0 else 1
        # The parts of a sequence are digested as one lane (a tuple in a tuple, in Python's terms).
        return mix_lanes(ADD, number_digest(_code(sign * node.coeff)), mix(*[t.key.shape for t, _ in args]),
                         mix(*[_code(sign * c) for _, c in args]))
    if kind == MUL:
        if len(args) == 1:  # a power, the commonest
            return mix(MUL, _code(node.coeff), args[0][0].key.shape, args[0][1].key.shape)
        return mix_lanes(MUL, number_digest(_code(node.coeff)), mix(*[f.key.shape for f, _ in args]),
                         mix(*[e.key.shape for _, e in args]))
    if kind == NUM:
        return mix(NUM, _code(node.value))
    name = _NAMES.get(node.name)
    if name is None:
        name = _NAMES[node.name] = zlib.crc32(node.name.encode("utf-8", "surrogatepass"))
    return mix(kind, name, *[a.key.shape for a in args])


_NAMES: dict[str, int] = {}  # names' CRC-32, once each


@functools.lru_cache(maxsize=4096)  # coefficients repeat (1, -1, 2): equal numbers have one digest
def _code(x: Number) -> int:
    """A number's digest for a shape: one of ``x`` and ``x + 1``, as the number
    digest alone has ``-1`` and ``-2`` equal, and ``y - z`` and ``y - 2*z`` must differ."""
    return mix_lanes(number_digest(x), number_digest(x + 1))


# The digest is CPython's (3.8 on) hash of a tuple of integers, written out so
# that the order of operands, and so the printed text, does not depend on the
# interpreter that runs it: xxHash's 64-bit lane step over the numbers' digests.
_MASK = (1 << 64) - 1
_PRIME_1, _PRIME_2, _PRIME_5 = 11400714785074694791, 14029467366897019727, 2870177450012600261
_LENGTH = _PRIME_5 ^ 3527539  # the length is mixed in last, so that the digest of () is CPython's
MODULUS = (1 << 61) - 1
"""Numbers are digested modulo this prime (Python's numeric hash, the same for 2, 2.0 and Fraction(2))."""
_INF = 314159  # the digest of an infinity (and of a fraction whose denominator is a multiple of the prime)


def number_digest(x: Number) -> int:
    """An exact number's residue modulo :data:`MODULUS`, signed as ``x`` (-1 as -2):
    Python's documented numeric hash. Floats by their exact value; a NaN is 0."""
    if type(x) is int:  # the commonest: shapes and kinds
        digest = x % MODULUS if x >= 0 else -(-x % MODULUS)
        return -2 if digest == -1 else digest
    if type(x) is float:
        if x != x:
            return 0
        if x in (math.inf, -math.inf):
            return _INF if x > 0 else -_INF
        m, n = x.as_integer_ratio()
    elif type(x) is Fraction:
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


def mix(*parts: int) -> int:
    """The digest of a sequence of integers (:func:`number_digest` of each, mixed
    as :func:`mix_lanes` does; written out in one loop, as it runs for every node made)."""
    mask, modulus, prime_1, prime_2 = _MASK, MODULUS, _PRIME_1, _PRIME_2
    acc = _PRIME_5
    for x in parts:
        if x >= 0:
            lane = x % modulus
        else:
            lane = -x % modulus
            lane = (-2 if lane == 1 else -lane) & mask
        acc = (acc + lane * prime_2) & mask
        acc = (((acc << 31) | (acc >> 33)) * prime_1) & mask  # rotated left by 31 bits, times a prime
    acc = (acc + (len(parts) ^ _LENGTH)) & mask
    if acc == mask:  # -1 is reserved (an error) in CPython
        return 1546275796
    return acc - (1 << 64) if acc >> 63 else acc


def mix_lanes(*lanes: int) -> int:
    """The digests ``lanes`` mixed into one signed 64-bit integer (a small
    non-negative integer, as a node's kind, is its own digest)."""
    acc = _PRIME_5
    for lane in lanes:
        acc = (acc + (lane & _MASK) * _PRIME_2) & _MASK
        acc = (((acc << 31) | (acc >> 33)) * _PRIME_1) & _MASK  # rotated left by 31 bits, times a prime
    acc = (acc + (len(lanes) ^ _LENGTH)) & _MASK
    if acc == _MASK:  # -1 is reserved (an error) in CPython
        return 1546275796
    return acc - (1 << 64) if acc >> 63 else acc
