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

Rule = Callable[..., object]


class Op:
    """One primitive operation.

    ``kind`` says how it is written: ``infix`` (``a + b``), ``prefix``
    (``-a``), ``call`` (``exp(a)``) or ``leaf``. ``kink`` flags inputs at which
    the op is not differentiable and the convention we use there (PyTorch's).
    """

    __slots__ = ("arity", "forward", "grads", "kind", "kink", "name", "roles", "symbol")

    def __init__(self, name: str, symbol: str, kind: str, arity: int, forward: Rule, grads: tuple[Rule, ...] = (),
                 kink: tuple[Callable[[float], bool], str] | None = None, roles: tuple[str, ...] = ()) -> None:
        self.name, self.symbol, self.kind, self.arity = name, symbol, kind, arity
        self.forward, self.grads, self.kink = forward, grads, kink
        self.roles = roles  # what each input is, where order matters (graph edge labels)


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


def _sign(x: float) -> float:
    return (x > 0) - (x < 0) + 0.0


TRANSCENDENTAL = ("exp", "log", "sqrt", "sin", "cos", "tan", "tanh")
"""The namespace's names that ``math`` and numpy both provide under the same name."""

SCALAR = SimpleNamespace(
    **{name: getattr(math, name) for name in TRANSCENDENTAL},
    sigmoid=_sigmoid, relu=lambda x: x if x > 0 else 0.0, abs=abs, sign=_sign,
    pow=_pow, pow_dbase=_pow_dbase, pow_dexp=_pow_dexp,
)
"""The float interpretation of the math namespace (Python's ``math``)."""


def _call(name: str, grad: Rule, kink: tuple[Callable[[float], bool], str] | None = None) -> Op:
    """A one-argument function op whose forward rule is ``m.<name>``."""
    return Op(name, name, "call", 1, lambda m, x: getattr(m, name)(x), (grad,), kink)


_ZERO = "{op}'(0) = 0"

OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op("var", "", "leaf", 0, lambda m: None),
        Op("const", "", "leaf", 0, lambda m: None),
        Op("add", "+", "infix", 2, lambda m, a, b: a + b, (lambda m, o, a, b: 1.0, lambda m, o, a, b: 1.0)),
        Op("sub", "-", "infix", 2, lambda m, a, b: a - b, (lambda m, o, a, b: 1.0, lambda m, o, a, b: -1.0),
           roles=("+", "-")),
        Op("mul", "*", "infix", 2, lambda m, a, b: a * b, (lambda m, o, a, b: b, lambda m, o, a, b: a)),
        Op("div", "/", "infix", 2, lambda m, a, b: a / b,
           (lambda m, o, a, b: 1.0 / b, lambda m, o, a, b: -a / (b * b)), roles=("num", "den")),
        Op("pow", "**", "infix", 2, lambda m, a, b: m.pow(a, b),
           (lambda m, o, a, b: m.pow_dbase(a, b), lambda m, o, a, b: m.pow_dexp(o, a)), roles=("base", "exp")),
        Op("neg", "-", "prefix", 1, lambda m, a: -a, (lambda m, o, a: -1.0,)),
        _call("exp", lambda m, o, x: o),
        _call("log", lambda m, o, x: 1.0 / x),
        _call("sqrt", lambda m, o, x: 0.5 / o, (lambda x: x == 0.0, "sqrt'(0) = inf")),
        _call("sin", lambda m, o, x: m.cos(x)),
        _call("cos", lambda m, o, x: -m.sin(x)),
        _call("tan", lambda m, o, x: 1.0 + o * o),
        _call("tanh", lambda m, o, x: 1.0 - o * o),
        _call("sigmoid", lambda m, o, x: o * (1.0 - o)),
        _call("relu", lambda m, o, x: m.relu(m.sign(x)), (lambda x: x == 0.0, "relu'(0) = 0")),
        _call("abs", lambda m, o, x: m.sign(x), (lambda x: x == 0.0, "abs'(0) = 0")),
        _call("sign", lambda m, o, x: 0.0 * x),
    )
}
"""Every op by name. The grammar's aliases and the parser's function names are these names."""

FUNCTIONS: dict[str, Op] = {op.name: op for op in OPS.values() if op.kind == "call"}
FUNCTIONS["pow"] = OPS["pow"]  # pow(x, y) is the call form of x ** y

CONSTANTS: dict[str, float] = {"pi": math.pi}

DOMAIN_MESSAGES: dict[str, str] = {
    "div": "division by zero",
    "log": "log of a non-positive number",
    "sqrt": "sqrt of a negative number",
    "pow": "power with no real result",
    "tan": "tan at a pole",
}
"""What a math error in an op's forward rule means, for error messages."""
