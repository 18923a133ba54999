"""The numpy interpretation of the op table's math namespace.

Imported only when needed (batches, and IEEE results for a single point), so
that ``autodiff eval`` does not pay numpy's import time.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from .ops import TRANSCENDENTAL

Array = Any  # numpy array or float64 scalar


def _sigmoid(x: Array) -> Array:
    # Stable for any finite x: exp of a non-positive number never overflows.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _pow_dexp(out: Array, x: Array) -> Array:
    # Same convention as the scalar rule: 0 where x == 0 and the exponent >= 0.
    return np.where((x == 0) & ((out == 0) | (out == 1)), 0.0, out * np.log(x))


def _pow(x: Array, y: Array) -> Array:
    # The ** operator has numpy's fast paths for scalar exponents (x**2 is x*x).
    # They give pow's IEEE results, but for x**0.5, which is sqrt(x): C's pow
    # (and math.pow) has (-inf)**0.5 = inf and (-0.0)**0.5 = +0.0.
    if not isinstance(y, float):
        return np.power(x, y)
    if y == 0.5:
        return np.where(x == -np.inf, np.inf, np.sqrt(x)) + 0.0  # + 0.0: -0.0 becomes +0.0
    return x**y


def _pow_dbase(x: Array, y: Array) -> Array:
    if isinstance(y, float):  # a constant exponent: no per-point test needed
        if y == 2.0:
            return 2.0 * x  # the common square: one array operation, not two
        # x**0 is 1 for every x, nan and inf too: its slope is 0 there as well (PyTorch's mask).
        return 0.0 if y == 0.0 else y * _pow(x, y - 1.0)
    return np.where(y == 0, 0.0, y * np.power(x, y - 1.0))


def _xlogy(x: Array, y: Array) -> Array:
    return np.where((x == 0) & (y == y), 0.0, x * np.log(y))


def _xlogy_dx(x: Array, y: Array) -> Array:
    return np.where((x == 0) & (y <= 0), 0.0, np.log(y))


def _xlogy_dy(x: Array, y: Array) -> Array:
    return np.where((x == 0) & (y == y), 0.0, x / y)


ARRAY = SimpleNamespace(
    **{name: getattr(np, name) for name in TRANSCENDENTAL},
    sigmoid=_sigmoid, relu=lambda x: np.maximum(x, 0.0), abs=np.abs, sign=np.sign,
    pow=_pow, pow_dbase=_pow_dbase, pow_dexp=_pow_dexp, xlogy=_xlogy, xlogy_dx=_xlogy_dx, xlogy_dy=_xlogy_dy,
)

__all__ = ["ARRAY", "np"]
