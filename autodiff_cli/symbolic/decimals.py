"""Decimals as the decimals typed: exact rationals that print as decimals.

``0.1`` in the input is 1/10, not the float nearest it, so that sums and
products of decimals fold without binary noise (``0.1 + 0.2`` is ``0.3``, not
``0.30000000000000004``); a result prints as the shortest decimal that reads
back as the float nearest its value, so that ``eval`` of the printed text is
the engine's value to within float rounding. Where a result is not rational
(``sin(0.5)``, ``2.0**0.5``) it is a float, as the engine computes it.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

LARGEST = 2**1024 - 2**970
"""Decimals below this round to at most the largest float; from it on, to infinity."""

TINY = 2.2250738585072014e-308
"""The smallest normal float: a float product below it has lost digits, or all."""


class Dec(Fraction):
    """An exact rational that the input wrote as a decimal (``0.1`` is 1/10), or
    that arithmetic made of one: sums, products, quotients and integer powers
    with a decimal in them are decimals (``0.1 + 1/3``), so that they print as
    decimals (:func:`decimal_text`), never as ``p/q``. Where the result is not
    rational (``sin(0.5)``, ``2.0**0.5``) it is folded as a float, as before."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Dec({decimal_text(self)!r})"

    def __neg__(self) -> Dec:
        return Dec(Fraction.__neg__(self))

    def __pos__(self) -> Dec:
        return self

    def __abs__(self) -> Dec:
        return Dec(Fraction.__abs__(self))


def _decimal_operator(name: str) -> Callable[[Dec, Any], Any]:
    """``Fraction``'s operator ``name``, whose exact results stay decimals."""
    method = getattr(Fraction, name)

    def operator(self: Dec, other: Any) -> Any:
        r = method(self, other)
        return Dec(r) if isinstance(r, (int, Fraction)) and type(r) is not bool else r
    operator.__name__ = name
    return operator


for _name in ("add", "sub", "mul", "truediv", "pow"):
    setattr(Dec, f"__{_name}__", _decimal_operator(f"__{_name}__"))
    setattr(Dec, f"__r{_name}__", _decimal_operator(f"__r{_name}__"))


def decimal_text(x: Fraction) -> str:
    """A decimal as text: an integer as one (``8``, up to 15 digits), else the
    shortest decimal that reads back as the float nearest its value (``0.3``,
    ``5.333333333333333``, ``1e-08``): ``eval`` of the text is that float."""
    if x.denominator == 1 and abs(x.numerator) < 10**15:
        return str(x.numerator)
    return repr(float(x))


def is_decimal(x: object) -> bool:
    return type(x) is Dec


def literal(text: str, value: float) -> Any:
    """A decimal as written: the decimal typed (``0.1`` is 1/10), but below the
    normal floats (``4.9e-324``) the float it is, whose digits are fewer (the
    engine computes with that float); ``value`` where it is not finite."""
    if value != value or value in (float("inf"), float("-inf")):
        return value
    try:
        return Dec(text) if abs(value) >= TINY or value == 0 else Dec(value)
    except ValueError:
        return Dec(value)


def in_range(x: Any) -> bool:
    """Whether a decimal's nearest float is its value to a float's precision: not
    past the largest float (``1e200*1e200``), not below the smallest normal one
    (``1e-200*1e-200`` would print as 0) unless it is that float exactly. Other numbers: True."""
    if type(x) is not Dec:
        return True
    if not abs(x) < LARGEST:
        return False
    return abs(x) >= TINY or x == 0 or Fraction(float(x)) == x
