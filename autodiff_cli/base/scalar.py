"""The float interpretation of the op table's math namespace (Python's ``math``).

The op table (:mod:`autodiff_cli.base.ops`) writes each rule once against a
namespace ``m``; this one serves single points. Each function follows numpy's
IEEE semantics wherever ``math`` has no opinion (nan stays nan, -0.0 keeps its
sign), so that a point and a batch (:mod:`autodiff_cli.base.arrays`) agree, and
raises where ``math`` does (``asin(2)``), which the engine turns into a
domain error or, with ``--ieee``, recomputes with numpy.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

SAME_NAMES = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh", "log2", "log10", "log1p", "expm1",
              "hypot")
"""The namespace's names that ``math`` and numpy both provide under the same name."""

NUMPY_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh", "acosh": "arccosh",
               "atanh": "arctanh", "atan2": "arctan2", "exp2": "exp2", "cbrt": "cbrt"}
"""The namespace's names that numpy spells its own way (``math.asin`` is ``np.arcsin``)."""


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: finite for any finite x.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): exp never overflows, finite for any finite x.
    if x != x:
        return x
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _pow(x: float, y: float) -> float:
    # math.pow rather than ** : ** on a negative base returns a complex number.
    return math.pow(x, y)


def _pow_dexp(out: float, x: float) -> float:
    # d(x**y)/dy = x**y * log(x); PyTorch defines it as 0 where x == 0 and y >= 0
    # (then out is 0 or 1 and the limit from the right is 0).
    if x == 0.0 and out in (0.0, 1.0):
        return 0.0
    return out * math.log(x)


def _pow_dbase(x: float, y: float) -> float:
    # d(x**y)/dx = y * x**(y-1); PyTorch defines it as 0 where y == 0 (x**0 is constant).
    return 0.0 if y == 0.0 else y * math.pow(x, y - 1.0)


def _xlogy(x: float, y: float) -> float:
    # x*log(y), 0 where x == 0 whatever y is (SciPy's and PyTorch's xlogy): what
    # d(x**y)/dy = x**y*log(x) needs to be defined where the engine's rule is (0 at x = 0).
    return 0.0 if x == 0.0 and y == y else x * math.log(y)  # y == y: not nan, which stays nan


def _xlogy_dx(x: float, y: float) -> float:
    # d xlogy(x, y)/dx = log(y); PyTorch defines it as 0 where x == 0 and y <= 0.
    return 0.0 if x == 0.0 and y <= 0.0 else math.log(y)


def _xlogy_dy(x: float, y: float) -> float:
    # d xlogy(x, y)/dy = x/y; 0 where x == 0, as xlogy(0, y) is 0 for every y (PyTorch: nan at y == 0).
    return 0.0 if x == 0.0 and y == y else x / y


def _sign(x: float) -> float:
    # numpy's sign: nan stays nan (x != x), as every other op keeps it.
    return x if x != x else (x > 0) - (x < 0) + 0.0


def _relu(x: float) -> float:
    # numpy's maximum(x, 0): nan stays nan, where x > 0 alone would make it 0.
    return x if x > 0 or x != x else 0.0


def _rounded(to_integer: object) -> object:
    """``math.floor``/``ceil`` as numpy has them: a float, inf and nan kept, the sign of a zero
    kept (``ceil(-0.5)`` is -0.0), where ``math`` returns an int and raises at inf and nan."""
    def rounded(x: float) -> float:
        if not math.isfinite(x):
            return x
        r = float(to_integer(x))  # type: ignore[operator]
        return math.copysign(r, x) if r == 0.0 else r

    return rounded


def _largest(*xs: float) -> float:
    # numpy's maximum over the arguments: nan wins (Python's max depends on the order),
    # and of two equal ones the later (max(0.0, -0.0) is -0.0).
    top = xs[0]
    for x in xs:
        if x != x:
            return x
        top = top if top > x else x
    return top


def _smallest(*xs: float) -> float:
    low = xs[0]
    for x in xs:
        if x != x:
            return x
        low = low if low < x else x
    return low


def _tied_share(k: int, largest: bool, out: float, *xs: float) -> float:
    # max's (or min's) slope in its k-th input: 1 where it alone is the extreme, 1/n to each of n tied.
    if xs[k] != out:
        return 0.0 if out == out else math.nan  # out is nan where an input is
    return 1.0 / sum([x == out for x in xs])


def _ties(largest: bool, *xs: float) -> float:
    # How many of xs are the extreme (max's, or min's): 2 or more is a tie.
    extreme = _largest(*xs) if largest else _smallest(*xs)
    return float(sum([x == extreme for x in xs]))


def _cbrt(x: float) -> float:
    # math.cbrt (Python 3.11+) is correctly signed: cbrt(-8) = -2, not a complex root.
    cbrt = getattr(math, "cbrt", None)
    return cbrt(x) if cbrt is not None else math.copysign(abs(x) ** (1.0 / 3.0), x)


def _exp2(x: float) -> float:
    exp2 = getattr(math, "exp2", None)  # Python 3.11+
    return exp2(x) if exp2 is not None else math.pow(2.0, x)


def _cot(x: float) -> float:
    # 1/tan(x): numpy's tan is several times faster than its sin and cos, and the engines agree.
    return 1.0 / math.tan(x)


def _one_minus_square(x: float) -> float:
    # 1 - x**2 as (1 - x)*(1 + x): exact steps near +-1, where 1 - x*x loses the digits.
    return (1.0 - x) * (1.0 + x)


def _root_square_minus_one(x: float) -> float:
    # sqrt(x**2 - 1) as sqrt(x - 1)*sqrt(x + 1): exact steps near 1, no overflow at huge x.
    return math.sqrt(x - 1.0) * math.sqrt(x + 1.0)


def _above(a: float, b: float) -> float:
    # 1 where a > b, else 0 (nan at nan): relu(sign(a - b)), but 0 where a == b, infinities too.
    return 0.0 if a == b else _relu(_sign(a - b))


def _to_zero(num: float, den: float) -> float:
    # num/den, 0 where den is 0: the slopes of hypot and atan2 at (0, 0) (a subgradient, as abs'(0)).
    return 0.0 if den == 0.0 else num / den


SMALLEST_NORMAL = 2.0**-1022


def _over_hypot(num: float, x: float, y: float, h: float) -> float:
    # num/h with h = hypot(x, y) (hypot's slopes), 0 at (0, 0). A subnormal h has lost digits
    # (x/hypot(x, y) at x = y = 5e-324 is 1.0, not 0.7071), and an overflowed one all of them:
    # there num, x and y are scaled by a power of two into the normal range (exactly) first.
    if SMALLEST_NORMAL <= h < math.inf:
        return num / h
    if h == 0.0:
        return 0.0
    if h < SMALLEST_NORMAL or (math.isfinite(x) and math.isfinite(y)):
        scale = 2.0**600 if h < 1.0 else 2.0**-600
        return num * scale / math.hypot(x * scale, y * scale)
    return num / h  # nan, or an infinite x or y: as IEEE division has it


NORMAL_NORM = (1e-290, 1e290)
"""Where ``x**2 + y**2`` is computed as it is written: in between, neither square over- nor underflows."""


def _over_square_norm(num: float, y: float, x: float) -> float:
    # num/(x**2 + y**2) (atan2's slopes); outside NORMAL_NORM as num/h/h with h = hypot(x, y), 0 at (0, 0).
    norm = x * x + y * y
    if NORMAL_NORM[0] < norm < NORMAL_NORM[1]:
        return num / norm
    h = math.hypot(x, y)
    return _to_zero(_to_zero(num, h), h)


SCALAR = SimpleNamespace(
    **{name: getattr(math, name) for name in SAME_NAMES},
    **{name: getattr(math, name) for name in ("asin", "acos", "atan", "asinh", "acosh", "atanh", "atan2")},
    erf=math.erf, erfc=math.erfc, cbrt=_cbrt, exp2=_exp2, sec=lambda x: 1.0 / math.cos(x),
    csc=lambda x: 1.0 / math.sin(x), cot=_cot, one_minus_square=_one_minus_square,
    root_square_minus_one=_root_square_minus_one, root_square_plus_one=lambda x: math.hypot(x, 1.0), above=_above,
    floor=_rounded(math.floor), ceil=_rounded(math.ceil),
    max=_largest, min=_smallest, sigmoid=_sigmoid, one_minus_sigmoid=lambda x: _sigmoid(-x), softplus=_softplus,
    relu=_relu, abs=abs, sign=_sign,
    pi=math.pi, tied_share=_tied_share, ties=_ties, to_zero=_to_zero, over_hypot=_over_hypot,
    atan2_dy=lambda y, x: _over_square_norm(x, y, x),
    atan2_dx=lambda y, x: _over_square_norm(-y, y, x),
    pow=_pow, pow_dbase=_pow_dbase, pow_dexp=_pow_dexp, xlogy=_xlogy, xlogy_dx=_xlogy_dx, xlogy_dy=_xlogy_dy,
)
"""The float interpretation of the math namespace."""
