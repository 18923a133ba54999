"""The keys that order operands in sums and products.

A key is fixed when a node is made (:meth:`~autodiff_cli.symbolic.canonical.Builder._made`):
its kind decides the first parts (:class:`Prefix`), then come the node's shape,
whether it is the opposite of another, and a serial. Printing a form and
reading it back must give the same form, so ties are broken by shape, not by
which node was made first.
"""

from __future__ import annotations

import enum
import zlib
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
    gives the same form again. It is a hash of the node's shape from its parts'
    (Python's hash of a tuple of numbers, the same in every process; names by
    CRC-32). A sum's is taken with its first term positive: a printer may move a
    product's sign into a sum (``-(y - 2)*(y + 1)`` is ``(2 - y)*(y + 1)``), and
    the sum read back must sort the same."""
    kind, args = node.kind, node.args
    if kind == ADD:
        sign = -1 if args[0][1] < 0 else 1
        return hash((ADD, _code(sign * node.coeff), tuple([t.key.shape for t, _ in args]),
                     tuple([_code(sign * c) for _, c in args])))
    if kind == MUL:
        if len(args) == 1:  # a power, the commonest
            return hash((MUL, _code(node.coeff), args[0][0].key.shape, args[0][1].key.shape))
        return hash((MUL, _code(node.coeff), tuple([f.key.shape for f, _ in args]),
                     tuple([e.key.shape for _, e in args])))
    if kind == NUM:
        return hash((NUM, _code(node.value)))
    name = _NAMES.get(node.name)
    if name is None:
        name = _NAMES[node.name] = zlib.crc32(node.name.encode("utf-8", "surrogatepass"))
    if len(args) == 1:
        return hash((kind, name, args[0].key.shape))
    return hash((kind, name, *[a.key.shape for a in args]))


_NAMES: dict[str, int] = {}  # names' CRC-32, once each


def _code(x: Number) -> int:
    """A number's hash for a shape: ``hash(-1) == hash(-2)`` in Python, ``y - z`` and ``y - 2*z`` must differ."""
    return hash((x, x + 1))
