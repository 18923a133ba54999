"""The op table: every operation's name, symbol, arity, forward rule and
local-derivative rules, side by side so they cannot drift apart.

Rules are written once against a *math namespace* ``m`` (``m.exp``, ``m.log``,
...) and plain arithmetic operators, so the same rule serves every
interpretation: floats with :data:`SCALAR`, numpy arrays (batches and IEEE
fallbacks) and, later, graph nodes for symbolic derivatives. A local rule
receives ``(m, out, *inputs)`` and returns the partial derivative of the op's
result with respect to one input; rules are per input so that a partial nobody
needs (``x**2`` with respect to the constant ``2``) is never computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

Rule = Callable[..., object]


SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5
"""Precedence tiers, as the grammar's ``?sum``, ``?product``, ``?unary``,
``?power`` and ``?atom``: a printer wraps an operand in parentheses when its
tier is below what its place needs."""


class Op:
    """One primitive operation.

    ``kind`` says how it is written: ``infix`` (``a + b``), ``prefix``
    (``-a``), ``call`` (``exp(a)``) or ``leaf``; ``tier`` is its precedence and
    ``text`` how a printer writes it (``" + "`` with spaces, ``"*"`` without).
    ``kink`` flags inputs at which the op is not differentiable (a test of all
    its inputs, floats or arrays) and the convention we use there (PyTorch's),
    about the slopes of the inputs ``kink_of`` (all if None: only the exponent's
    for a power); ``written``: whether a printed derivative can follow that
    convention (``sign(x)`` is abs's slope, 0 at 0; no readable form is 0 at
    ``0**0``); ``domain`` says what a math error in its forward rule means
    (a function of the inputs where that depends on them: ``0**-1`` is a division
    by zero, ``(-8)**0.5`` a power with no real result).
    """

    __slots__ = ("arity", "domain", "forward", "grads", "kind", "kink", "kink_of", "name", "roles", "symbol", "text",
                 "tier", "written")

    def __init__(self, name: str, symbol: str, kind: str, arity: int, forward: Rule, grads: tuple[Rule, ...] = (),
                 kink: tuple[Callable[..., Any], str] | None = None, roles: tuple[str, ...] = (),
                 tier: int = ATOM, text: str = "", domain: str | Callable[..., str] = "",
                 kink_of: tuple[int, ...] | None = None, written: bool = True) -> None:
        self.name, self.symbol, self.kind, self.arity = name, symbol, kind, arity
        self.forward, self.grads, self.kink, self.kink_of, self.written = forward, grads, kink, kink_of, written
        self.roles = roles  # what each input is, where order matters (graph edge labels)
        self.tier, self.text = tier, text or symbol
        self.domain = domain or f"{name} outside its domain"

    def domain_error(self, *inputs: float) -> str:
        """What a math error of the forward rule at these inputs means."""
        return self.domain(*inputs) if callable(self.domain) else self.domain


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows: finite for any finite x.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


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


def _zero_to_zero(x: Any, y: Any) -> Any:
    # Where d(x**y)/dy is PyTorch's 0 and no slope: 0**0 (for y > 0, 0**y is 0 all along).
    # A constant exponent other than 0 costs no test per point.
    if isinstance(y, float) and y != 0.0:
        return False
    return (x == 0.0) & (y == 0.0)


def _sign(x: float) -> float:
    # numpy's sign: nan stays nan (x != x), as every other op keeps it.
    return x if x != x else (x > 0) - (x < 0) + 0.0


def _relu(x: float) -> float:
    # numpy's maximum(x, 0): nan stays nan, where x > 0 alone would make it 0.
    return x if x > 0 or x != x else 0.0


TRANSCENDENTAL = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")
"""The namespace's names that ``math`` and numpy both provide under the same name."""

SCALAR = SimpleNamespace(
    **{name: getattr(math, name) for name in TRANSCENDENTAL},
    sigmoid=_sigmoid, relu=_relu, abs=abs, sign=_sign,
    pow=_pow, pow_dbase=_pow_dbase, pow_dexp=_pow_dexp, xlogy=_xlogy, xlogy_dx=_xlogy_dx, xlogy_dy=_xlogy_dy,
)
"""The float interpretation of the math namespace (Python's ``math``)."""


def _call(name: str, grad: Rule, kink: tuple[Callable[..., Any], str] | None = None, domain: str = "") -> Op:
    """A one-argument function op whose forward rule is ``m.<name>``."""
    return Op(name, name, "call", 1, lambda m, x: getattr(m, name)(x), (grad,), kink, domain=domain)


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
           written=False),
        Op("neg", "-", "prefix", 1, lambda m, a: -a, (lambda m, o, a: -1.0,), tier=UNARY),
        _call("exp", lambda m, o, x: o),
        _call("log", lambda m, o, x: 1.0 / x, domain="log of a non-positive number"),
        _call("sqrt", lambda m, o, x: 0.5 / o, (lambda x: x == 0.0, "sqrt'(0) = inf"),
              domain="sqrt of a negative number"),
        _call("sin", lambda m, o, x: m.cos(x)),
        _call("cos", lambda m, o, x: -m.sin(x)),
        _call("tan", lambda m, o, x: 1.0 + o * o, domain="tan at a pole"),
        _call("tanh", lambda m, o, x: 1.0 - o * o),
        _call("sigmoid", lambda m, o, x: o * (1.0 - o)),
        _call("relu", lambda m, o, x: m.relu(m.sign(x)), (lambda x: x == 0.0, "relu'(0) = 0")),
        _call("abs", lambda m, o, x: m.sign(x), (lambda x: x == 0.0, "abs'(0) = 0")),
        # 0 wherever sign is defined (at +-inf too, and +0: not 0 * x, which is -0 for x < 0), nan at nan.
        _call("sign", lambda m, o, x: 0.0 * m.abs(m.sign(x))),
        Op("xlogy", "xlogy", "call", 2, lambda m, x, y: m.xlogy(x, y),
           (lambda m, o, x, y: m.xlogy_dx(x, y), lambda m, o, x, y: m.xlogy_dy(x, y)),
           (lambda x, y: (x == 0.0) & (y <= 0.0), "xlogy'(0, <= 0) = 0"), roles=("factor", "log"),
           domain="xlogy of a non-positive number", written=False),
    )
}
"""Every op by name. The grammar's aliases and the parser's function names are these names."""

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
