"""The op table: every operation's name, symbol, arity, forward rule and
local-derivative rules, side by side so they cannot drift apart.

Rules are written once against a *math namespace* ``m`` (``m.exp``, ``m.log``,
...) and plain arithmetic operators, so the same rule serves every
interpretation: floats (:mod:`autodiff_cli.base.scalar`), numpy arrays
(:mod:`autodiff_cli.base.arrays`: batches and IEEE fallbacks) and canonical
nodes for symbolic derivatives (:mod:`autodiff_cli.symbolic.reverse`). A local rule
receives ``(m, out, *inputs)`` and returns the partial derivative of the op's
result with respect to one input; rules are per input so that a partial nobody
needs (``x**2`` with respect to the constant ``2``) is never computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from itertools import count
from typing import Any

Rule = Callable[..., object]


SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
"""Precedence tiers, as the grammar's ``?sum``, ``?product``, ``?unary``,
``?power`` and ``?atom``: a printer wraps an operand in parentheses when its
tier is below what its place needs."""


class EachInput:
    """The slope rules of an op that takes any number of inputs (``max``): item ``k``
    is input ``k``'s rule, ``make(k)``; iterating gives them in order, without end,
    so that zipping with a node's inputs takes as many as it has."""

    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[int], Rule]) -> None:
        self._make, self._made = make, {}

    def __getitem__(self, k: int) -> Rule:
        rule = self._made.get(k)
        if rule is None:
            rule = self._made[k] = self._make(k)
        return rule

    def __iter__(self) -> Iterator[Rule]:
        return map(self.__getitem__, count())


class Op:
    """One primitive operation.

    ``kind`` says how it is written: ``infix`` (``a + b``), ``prefix``
    (``-a``), ``call`` (``exp(a)``) or ``leaf``; ``arity`` how many inputs it
    takes (a range: ``log(x)`` and ``log(x, b)``, ``max`` of two or more);
    ``tier`` is its precedence and ``text`` how a printer writes it (``" + "``
    with spaces, ``"*"`` without). ``kink`` flags inputs at which the op is not
    differentiable (a test ``(m, *inputs)`` in a math namespace, floats or
    arrays) and the convention we use there (PyTorch's), about the slopes of the
    inputs ``kink_of`` (all if None: only the exponent's for a power);
    ``written``: whether a printed derivative can follow that convention
    (``sign(x)`` is abs's slope, 0 at 0; no readable form is 0 at ``0**0``);
    ``domain`` says what a math error in its forward rule means (a function of
    the inputs where that depends on them: ``0**-1`` is a division by zero,
    ``(-8)**0.5`` a power with no real result).
    """

    __slots__ = ("arity", "domain", "forward", "grads", "kind", "kink", "kink_of", "name", "roles", "symbol", "text",
                 "tier", "usage", "written")

    def __init__(self, name: str, symbol: str, kind: str, arity: int | range, forward: Rule,
                 grads: tuple[Rule, ...] | EachInput = (), kink: tuple[Callable[..., Any], str] | None = None,
                 roles: tuple[str, ...] = (), tier: int = ATOM, text: str = "", domain: str | Callable[..., str] = "",
                 kink_of: tuple[int, ...] | None = None, written: bool = True, usage: str = "") -> None:
        self.name, self.symbol, self.kind = name, symbol, kind
        self.arity = range(arity, arity + 1) if isinstance(arity, int) else arity
        self.forward, self.grads, self.kink, self.kink_of, self.written = forward, grads, kink, kink_of, written
        self.roles = roles  # what each input is, where order matters (graph edge labels)
        self.tier, self.text = tier, text or symbol
        self.domain = domain or f"{name} outside its domain"
        # How a call is written in help: exp, atan2(y, x), max(a, b, ...).
        self.usage = usage or (name if self.arity.stop == 2 else f"{name}({', '.join(roles or ('x', 'y'))})")

    def domain_error(self, *inputs: float) -> str:
        """What a math error of the forward rule at these inputs means."""
        return self.domain(*inputs) if callable(self.domain) else self.domain

    def takes(self, besides: int = 0) -> str:
        """How many arguments it takes, in words (``1 or 2 arguments``), ``besides`` some given."""
        low, high = self.arity.start - besides, self.arity.stop - 1 - besides
        word = "argument" if high == 1 else "arguments"
        if high == low:
            return f"{low} {word}"
        return f"{low} or more {word}" if self.arity.stop >= MANY_ARGUMENTS else f"{low} or {high} {word}"


MANY_ARGUMENTS = 1 << 30
"""No limit on the arguments of ``max`` and ``min`` but memory's."""


def _zero_to_zero(m: Any, x: Any, y: Any) -> Any:
    # Where d(x**y)/dy is PyTorch's 0 and no slope: 0**0 (for y > 0, 0**y is 0 all along).
    # A constant exponent other than 0 costs no test per point.
    if isinstance(y, float) and y != 0.0:
        return False
    return (x == 0.0) & (y == 0.0)


def _outside(name: str, where: str) -> Callable[..., str]:
    """A domain message naming the function and the value: ``asin of 1.5 (outside -1 <= x <= 1)``."""
    return lambda x, *more: f"{name} of {x!r} ({where})"


def _call(name: str, grad: Rule, kink: tuple[Callable[..., Any], str] | None = None,
          domain: str | Callable[..., str] = "") -> Op:
    """A one-argument function op whose forward rule is ``m.<name>``."""
    return Op(name, name, "call", 1, lambda m, x: getattr(m, name)(x), (grad,), kink, domain=domain)


def _integer(m: Any, x: Any) -> Any:
    """Whether x is an integer, for floats and arrays alike (inf is not: its finiteness by a comparison)."""
    return (x == m.floor(x)) & (abs(x) <= 1.7976931348623157e308)


def _step(m: Any, d: Any) -> Any:
    """1 where ``d > 0``, else 0 (nan at nan), written as the language can: relu(sign(d))."""
    return m.relu(m.sign(d))


def _extreme_slope(k: int, largest: bool) -> Rule:
    """Input ``k``'s slope in max (``largest``) or min: 1 where it alone is the extreme, shared
    evenly among the inputs tied there (PyTorch's convention), infinite ties included."""
    return lambda m, out, *xs: m.tied_share(k, largest, out, *xs)


def _tie(largest: bool) -> Callable[..., Any]:
    """Whether two or more inputs tie for the largest (or the smallest) value."""
    def tie(m: Any, *xs: Any) -> Any:
        return m.ties(largest, *xs) > 1.0  # a batch counts them once, for the slopes and this

    return tie


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("var", "", "leaf", 0, lambda m: None),
        Op("const", "", "leaf", 0, lambda m: None),
        Op("add", "+", "infix", 2, lambda m, a, b: a + b, (lambda m, o, a, b: 1.0, lambda m, o, a, b: 1.0),
           tier=SUM, text=" + "),
        Op("sub", "-", "infix", 2, lambda m, a, b: a - b, (lambda m, o, a, b: 1.0, lambda m, o, a, b: -1.0),
           roles=("+", "-"), tier=SUM, text=" - "),
        Op("mul", "*", "infix", 2, lambda m, a, b: a * b, (lambda m, o, a, b: b, lambda m, o, a, b: a),
           tier=PRODUCT),
        Op("div", "/", "infix", 2, lambda m, a, b: a / b,
           (lambda m, o, a, b: 1.0 / b, lambda m, o, a, b: -a / (b * b)), roles=("num", "den"), tier=PRODUCT,
           domain="division by zero"),
        Op("pow", "**", "infix", 2, lambda m, a, b: m.pow(a, b),
           (lambda m, o, a, b: m.pow_dbase(a, b), lambda m, o, a, b: m.pow_dexp(o, a)),
           (_zero_to_zero, "d(x**y)/dy = 0 at 0**0"), roles=("base", "exp"), tier=POWER,
           domain=lambda x, y: "division by zero" if x == 0.0 else "power with no real result", kink_of=(1,),
           written=False, usage="pow(x, y)"),
        Op("neg", "-", "prefix", 1, lambda m, a: -a, (lambda m, o, a: -1.0,), tier=UNARY),
        _call("exp", lambda m, o, x: o),
        # log(x) and log(x, b), the log of x to base b: log(x)/log(b).
        Op("log", "log", "call", range(1, 3), lambda m, x, *b: m.log(x) / m.log(b[0]) if b else m.log(x),
           (lambda m, o, x, *b: 1.0 / (x * m.log(b[0])) if b else 1.0 / x,
            lambda m, o, x, b: -o / (b * m.log(b))), roles=("x", "base"),
           domain=lambda x, *b: ("log of a non-positive number" if not b or x <= 0 else
                                 f"log to base {b[0]!r} (a base is positive and not 1)"),
           usage="log log(x, b)"),
        _call("sqrt", lambda m, o, x: 0.5 / o, (lambda m, x: x == 0.0, "sqrt'(0) = inf"),
              domain="sqrt of a negative number"),
        _call("sin", lambda m, o, x: m.cos(x)),
        _call("cos", lambda m, o, x: -m.sin(x)),
        _call("tan", lambda m, o, x: 1.0 + o * o, domain="tan at a pole"),
        _call("tanh", lambda m, o, x: 1.0 - o * o),
        # sigmoid(x)*(1 - sigmoid(x)), where 1 - sigmoid(x) is sigmoid(-x): exact for large x (at 40, 1 - o is 0).
        _call("sigmoid", lambda m, o, x: o * m.one_minus_sigmoid(x)),
        _call("relu", lambda m, o, x: _step(m, x), (lambda m, x: x == 0.0, "relu'(0) = 0")),
        _call("abs", lambda m, o, x: m.sign(x), (lambda m, x: x == 0.0, "abs'(0) = 0")),
        # 0 wherever sign is defined (at +-inf too, and +0: not 0 * x, which is -0 for x < 0), nan at nan.
        _call("sign", lambda m, o, x: 0.0 * m.abs(m.sign(x))),
        Op("xlogy", "xlogy", "call", 2, lambda m, x, y: m.xlogy(x, y),
           (lambda m, o, x, y: m.xlogy_dx(x, y), lambda m, o, x, y: m.xlogy_dy(x, y)),
           (lambda m, x, y: (x == 0.0) & (y <= 0.0), "xlogy'(0, <= 0) = 0"), roles=("factor", "log"),
           domain="xlogy of a non-positive number", written=False, usage="xlogy(x, y)"),
        # The inverse trigonometric and the hyperbolic functions; one_minus_square(x) is 1 - x**2
        # and root_square_minus_one(x) is sqrt(x**2 - 1), each computed without cancellation near 1;
        # root_square_plus_one(x) is sqrt(x**2 + 1); none overflows at huge x.
        _call("asin", lambda m, o, x: 1.0 / m.sqrt(m.one_minus_square(x)),
              (lambda m, x: (x == 1.0) | (x == -1.0), "asin'(+-1) = inf"), _outside("asin", "outside -1 <= x <= 1")),
        _call("acos", lambda m, o, x: -1.0 / m.sqrt(m.one_minus_square(x)),
              (lambda m, x: (x == 1.0) | (x == -1.0), "acos'(+-1) = -inf"), _outside("acos", "outside -1 <= x <= 1")),
        _call("atan", lambda m, o, x: 1.0 / (1.0 + x * x)),
        _call("sinh", lambda m, o, x: m.cosh(x)),
        _call("cosh", lambda m, o, x: m.sinh(x)),
        _call("asinh", lambda m, o, x: 1.0 / m.root_square_plus_one(x)),
        _call("acosh", lambda m, o, x: 1.0 / m.root_square_minus_one(x), (lambda m, x: x == 1.0, "acosh'(1) = inf"),
              _outside("acosh", "below 1")),
        _call("atanh", lambda m, o, x: 1.0 / m.one_minus_square(x), domain=_outside("atanh", "outside -1 < x < 1")),
        _call("sec", lambda m, o, x: o * m.tan(x)),
        _call("csc", lambda m, o, x: -o * m.cot(x), domain=_outside("csc", "a pole")),
        _call("cot", lambda m, o, x: -1.0 - o * o, domain=_outside("cot", "a pole")),
        # Logarithms and exponentials to other bases, and near 0.
        _call("log2", lambda m, o, x: 1.0 / (x * m.log(2.0)), domain=_outside("log2", "not positive")),
        _call("log10", lambda m, o, x: 1.0 / (x * m.log(10.0)), domain=_outside("log10", "not positive")),
        _call("log1p", lambda m, o, x: 1.0 / (1.0 + x), domain=_outside("log1p", "at or below -1")),
        _call("expm1", lambda m, o, x: m.exp(x)),
        _call("exp2", lambda m, o, x: o * m.log(2.0)),
        _call("cbrt", lambda m, o, x: 1.0 / (3.0 * o * o), (lambda m, x: x == 0.0, "cbrt'(0) = inf")),
        _call("erf", lambda m, o, x: 2.0 / m.sqrt(m.pi) * m.exp(-x * x)),
        _call("erfc", lambda m, o, x: -2.0 / m.sqrt(m.pi) * m.exp(-x * x)),
        _call("softplus", lambda m, o, x: m.sigmoid(x)),
        # 0 wherever floor is defined, nan at nan (as sign's slope).
        _call("floor", lambda m, o, x: 0.0 * m.abs(m.sign(x)), (lambda m, x: _integer(m, x), "floor'(integer) = 0")),
        _call("ceil", lambda m, o, x: 0.0 * m.abs(m.sign(x)), (lambda m, x: _integer(m, x), "ceil'(integer) = 0")),
        # Functions of several arguments.
        Op("atan2", "atan2", "call", 2, lambda m, y, x: m.atan2(y, x),
           (lambda m, o, y, x: m.atan2_dy(y, x), lambda m, o, y, x: m.atan2_dx(y, x)),
           (lambda m, y, x: (y == 0.0) & (x == 0.0), "atan2'(0, 0) = 0"), roles=("y", "x"), written=False),
        Op("hypot", "hypot", "call", 2, lambda m, x, y: m.hypot(x, y),
           (lambda m, o, x, y: m.over_hypot(x, x, y, o), lambda m, o, x, y: m.over_hypot(y, x, y, o)),
           (lambda m, x, y: (x == 0.0) & (y == 0.0), "hypot'(0, 0) = 0"), written=False),
        Op("max", "max", "call", range(2, MANY_ARGUMENTS), lambda m, *xs: m.max(*xs),
           EachInput(lambda k: _extreme_slope(k, largest=True)),
           (_tie(largest=True), "max'(tie) = 1/n to each of n tied"),
           usage="max(a, b, ...)"),
        Op("min", "min", "call", range(2, MANY_ARGUMENTS), lambda m, *xs: m.min(*xs),
           EachInput(lambda k: _extreme_slope(k, largest=False)),
           (_tie(largest=False), "min'(tie) = 1/n to each of n tied"),
           usage="min(a, b, ...)"),
        # clamp(x, lo, hi) = min(max(x, lo), hi), PyTorch's: x's slope is 1 from lo to hi, bounds included;
        # lo's where x < lo < hi; hi's where x > hi or hi < lo (then the result is hi).
        Op("clamp", "clamp", "call", 3, lambda m, x, lo, hi: m.min(m.max(x, lo), hi),
           (lambda m, o, x, lo, hi: (1.0 - m.above(lo, x)) * (1.0 - m.above(x, hi)),
            lambda m, o, x, lo, hi: m.above(lo, x) * m.above(hi, lo),
            lambda m, o, x, lo, hi: 1.0 - (1.0 - m.above(x, hi)) * (1.0 - m.above(lo, hi))),
           (lambda m, x, lo, hi: (x == lo) | (x == hi), "clamp'(x at a bound) = 1"), roles=("x", "lo", "hi")),
    )
}
"""Every op by name. The grammar's aliases and the parser's function names are these names."""


_OWN = frozenset(("atan2'(0, 0) = 0", "hypot'(0, 0) = 0"))
"""Conventions of our own: where PyTorch's slope is nan (0/0), the subgradient 0, as abs'(0)."""


def whose(rule: str) -> str:
    """Whose convention a kink's rule is, as a note says it."""
    return "(a subgradient; PyTorch gives nan)" if rule in _OWN else "(PyTorch's convention)"


def kink_matters(node: Any) -> bool:
    """Whether a node's op has a convention that can reach a gradient: a slope it is
    about is needed (``pow(x, 0)`` at 0 needs no slope in its constant exponent)."""
    op = OPS[node.op]
    if op.kink is None:
        return False
    inputs = node.children if op.kink_of is None else [node.children[k] for k in op.kink_of]
    return any(c.needs_grad for c in inputs)


FUNCTIONS: dict[str, Op] = {op.name: op for op in OPS.values() if op.kind == "call"}
FUNCTIONS["pow"] = OPS["pow"]  # pow(x, y) is the call form of x ** y

CONSTANTS: dict[str, float] = {"pi": math.pi}

OPERATORS: dict[str, str] = {"add": "add", "sub": "sub", "mul": "mul", "div": "truediv", "pow": "pow"}
"""The Python operator that builds each binary op (``__add__`` and the
reflected ``__radd__``), for every class whose objects the rules combine."""
