"""The numpy interpretation of the op table's math namespace.

Imported only when needed (batches, and IEEE results for a single point), so
that ``autodiff eval`` does not pay numpy's import time.
"""

from __future__ import annotations

from _thread import _local  # threading's local, without importing threading
from types import SimpleNamespace
from typing import Any

import numpy as np

from .scalar import NORMAL_NORM, NUMPY_NAMES, SAME_NAMES, SMALLEST_NORMAL
from .special import erf, erfc

Array = Any  # numpy array or float64 scalar


def _sigmoid(x: Array) -> Array:
    # Stable for any finite x: exp of a non-positive number never overflows.
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus(x: Array) -> Array:
    # As the scalar rule: max(x, 0) + log1p(exp(-|x|)), finite for any finite x.
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _largest(*xs: Array) -> Array:
    top = xs[0]
    for x in xs[1:]:
        top = np.maximum(top, x)  # nan wins, as in the scalar rule
    return top


def _smallest(*xs: Array) -> Array:
    low = xs[0]
    for x in xs[1:]:
        low = np.minimum(low, x)
    return low


def _tied_share(k: int, largest: bool, out: Array, *xs: Array) -> Array:
    # As the scalar rule: [x_k is the extreme] / how many are (0/0, nan, where out is nan).
    # The count is the same for every input of one node: counted once, then remembered for
    # the node's other inputs (per thread: a cluster's worker may run several batches at once),
    # so that max of n arguments costs n array operations, not n**2.
    count, single = _count(largest, out, xs)
    mark = xs[k] == out
    return mark if single else mark / count  # no ties anywhere (the usual case): the marks are the shares


def _count(largest: bool, out: Array | None, xs: tuple[Array, ...]) -> tuple[Array, bool]:
    """How many of ``xs`` are the extreme ``out`` (computed when None) at each point, and whether
    that is 1 at every point; remembered for the node (its inputs, and its note's check of ties)."""
    memo = getattr(_ties, "last", None)
    if memo is not None and memo[1] == largest and (out is None or memo[0] is out) and len(memo[2]) == len(xs) \
            and all(a is b for a, b in zip(memo[2], xs, strict=True)):
        return memo[3], memo[4]
    if out is None:
        out = _largest(*xs) if largest else _smallest(*xs)
    count = np.add(xs[0] == out, xs[1] == out, dtype=np.float64)
    for x in xs[2:]:
        count += x == out
    single = bool(np.min(count) == 1.0 == np.max(count))  # 0 where out is nan: not single
    _ties.last = (out, largest, xs, count, single)
    return count, single


def _ties_at(largest: bool, *xs: Array) -> Array:
    # How many inputs tie for the extreme at each point (the note's check): the slopes' count.
    return _count(largest, None, xs)[0]


_ties = _local()
"""The last node's tie count (see :func:`_tied_share`), kept for its other inputs."""


def _above(a: Array, b: Array) -> Array:
    # 1 where a > b, else 0, nan at nan (the scalar rule): one comparison where no input is
    # nan, which two sums tell (an infinity of each sign also sends here: it is rare, and exact).
    # The comparison's booleans are the 1s and 0s: every rule that uses them does arithmetic
    # with a float on them (1.0 - above, g*above), which makes them floats, without a pass of its own.
    if np.isnan(np.sum(a) + np.sum(b)):
        return np.where(a == b, 0.0, np.maximum(np.sign(a - b), 0.0))
    return np.greater(a, b)


def _to_zero(num: Array, den: Array) -> Array:
    # num/den, 0 where den is 0 (the scalar rule's convention for hypot and atan2 at (0, 0)).
    out = num / den
    return out if np.all(den != 0) else np.where(den == 0, 0.0, out)  # a mask only where it is needed


def _over_hypot(num: Array, x: Array, y: Array, h: Array) -> Array:
    # num/h with h = hypot(x, y), as the scalar rule: where h is subnormal (or overflowed while
    # x and y are finite), with num, x and y scaled into the normal range first; 0 at (0, 0).
    out = num / h
    if SMALLEST_NORMAL <= np.min(h) and np.max(h) < np.inf:  # the usual case: two reductions, no mask
        return out
    odd = (h < SMALLEST_NORMAL) | (np.isinf(h) & np.isfinite(x) & np.isfinite(y))
    scale = np.where(h < 1.0, 2.0**600, 2.0**-600)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = num * scale / np.hypot(x * scale, y * scale)
    return np.where(h == 0, 0.0, np.where(odd, scaled, out))


def _over_square_norm(num: Array, y: Array, x: Array) -> Array:
    # num/(x**2 + y**2), as the scalar rule: directly where the square norm is a normal float,
    # else as num/h/h with h = hypot(x, y) (no underflow at tiny (x, y)), 0 at (0, 0).
    norm = x * x + y * y
    out = num / norm
    odd = ~((norm > NORMAL_NORM[0]) & (norm < NORMAL_NORM[1]))
    if np.any(odd):
        h = np.hypot(x, y)
        out = np.where(odd, np.where(h == 0, 0.0, num / h / h), out)
    return out


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
    **{name: getattr(np, name) for name in SAME_NAMES},
    **{name: getattr(np, numpy_name) for name, numpy_name in NUMPY_NAMES.items()},
    erf=erf, erfc=erfc, floor=np.floor, ceil=np.ceil, max=_largest, min=_smallest, softplus=_softplus,
    sec=lambda x: 1.0 / np.cos(x), csc=lambda x: 1.0 / np.sin(x), cot=lambda x: 1.0 / np.tan(x),
    one_minus_square=lambda x: (1.0 - x) * (1.0 + x),
    root_square_minus_one=lambda x: np.sqrt(x - 1.0) * np.sqrt(x + 1.0),
    root_square_plus_one=lambda x: np.hypot(x, 1.0),
    above=_above,
    pi=np.pi, tied_share=_tied_share, ties=_ties_at, to_zero=_to_zero, over_hypot=_over_hypot,
    atan2_dy=lambda y, x: _over_square_norm(x, y, x),
    atan2_dx=lambda y, x: _over_square_norm(-y, y, x),
    sigmoid=_sigmoid, one_minus_sigmoid=lambda x: _sigmoid(-x), relu=lambda x: np.maximum(x, 0.0), abs=np.abs,
    sign=np.sign,
    pow=_pow, pow_dbase=_pow_dbase, pow_dexp=_pow_dexp, xlogy=_xlogy, xlogy_dx=_xlogy_dx, xlogy_dy=_xlogy_dy,
)

__all__ = ["ARRAY", "np"]
