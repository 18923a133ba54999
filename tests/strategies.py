"""Hypothesis strategies: random expression trees, written out as autodiff text
and, separately, built in sympy (the independent oracle)."""

from __future__ import annotations

from typing import Any

import sympy
from hypothesis import assume
from hypothesis import strategies as st

from autodiff_cli import DomainError, parse
from autodiff_cli.base.ops import OPS

VARIABLES = ("x", "y", "z")
SYMBOLS = {name: sympy.Symbol(name, real=True) for name in VARIABLES}

Tree = Any  # a leaf text, or (op, child, ...)

UNARY_TEXT = {
    "neg": "-({})", "exp": "exp({})", "log": "log({})", "sqrt": "sqrt({})", "sin": "sin({})",
    "cos": "cos({})", "tan": "tan({})", "tanh": "tanh({})", "sigmoid": "sigmoid({})", "relu": "relu({})",
    "abs": "abs({})", "square": "({})**2", "cube": "({})^3", "inverse": "({})**-1",
}
BINARY_TEXT = {"+": "({}) + ({})", "-": "({}) - ({})", "*": "({})*({})", "/": "({})/({})", "pow": "pow({}, {})",
               "xlogy": "xlogy({}, {})"}

UNARY_SYMPY = {
    "neg": lambda a: -a, "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin,
    "cos": sympy.cos, "tan": sympy.tan, "tanh": sympy.tanh, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
    "relu": lambda a: sympy.Max(0, a), "abs": sympy.Abs,
    # Unevaluated, as pow below: (9**(9**9))**3 would be built as an exact integer.
    "square": lambda a: sympy.Pow(a, 2, evaluate=False), "cube": lambda a: sympy.Pow(a, 3, evaluate=False),
    "inverse": lambda a: sympy.Pow(a, -1, evaluate=False),
}
BINARY_SYMPY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
                "/": lambda a, b: a / b,
                # Unevaluated: 9**(9**9) as an exact integer would take sympy forever to build.
                "pow": lambda a, b: sympy.Pow(a, b, evaluate=False),
                "xlogy": lambda a, b: a * sympy.log(b)}  # away from a == 0 (see evaluate_point)
LEAVES_SYMPY = {"pi": sympy.pi}

leaves = st.one_of(
    st.sampled_from(VARIABLES),
    st.integers(1, 9).map(str),
    st.sampled_from(["0.5", "1.5", "2.25", "pi"]),
)


def _extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    return st.tuples(st.sampled_from(sorted(UNARY_TEXT)), children) | st.tuples(
        st.sampled_from(sorted(BINARY_TEXT)), children, children)


trees = st.recursive(leaves, _extend, max_leaves=8)


def to_text(tree: Tree) -> str:
    if isinstance(tree, str):
        return tree
    op, *args = tree
    return (UNARY_TEXT.get(op) or BINARY_TEXT[op]).format(*map(to_text, args))


def to_sympy(tree: Tree) -> sympy.Expr:
    """The tree in sympy; ``nan`` where sympy itself refuses (``Max(0, zoo)``)."""
    if isinstance(tree, str):
        if tree in SYMBOLS:
            return SYMBOLS[tree]
        return LEAVES_SYMPY.get(tree) or sympy.Rational(tree)
    op, *args = tree
    operands = [to_sympy(a) for a in args]
    if len(operands) == 2 and any(map(_huge_power, operands)):
        return sympy.nan  # 9**(9**9) times 9 is 9**(9**9 + 1), built as an exact integer: forever
    try:
        return (UNARY_SYMPY.get(op) or BINARY_SYMPY[op])(*operands)
    except (ValueError, TypeError, ArithmeticError):
        return sympy.nan


def _huge_power(expr: sympy.Expr) -> bool:
    """Whether an integer is raised to a constant exponent that is not a small number in it (9**(9**9))."""
    return any(isinstance(p, sympy.Pow) and p.base.is_Integer and abs(p.base) > 1 and p.exp.is_number
               and not abs(complex(p.exp.evalf(15))) <= 64 for p in sympy.preorder_traversal(expr))  # 2**pi is small


expressions = trees.map(to_text)
"""Expression texts, up to eight leaves."""

pairs = trees.map(lambda t: (to_text(t), to_sympy(t)))
"""(text, sympy expression) pairs."""

points = st.fixed_dictionaries({v: st.floats(-3, 3, allow_nan=False).map(lambda f: round(f, 3)) for v in VARIABLES})


def evaluate_point(text: str, at: dict[str, float], smooth: bool = True, **options: Any):
    """Parse and evaluate ``text`` at ``at``; the example is discarded where the
    engine reports a domain error and, if ``smooth``, where an oracle cannot
    judge it: at (or within rounding of) a kink of the op table (relu, abs, sqrt, xlogy) or 0**y
    (the conventions, relu'(0) = 0, sqrt'(0) = inf, xlogy(0, y) = 0, 0**0 = 1,
    differ from sympy's and from a symmetric difference by design, and are
    tested on their own) or with huge values (exp(exp(9)) makes sympy crawl)."""
    expr = parse(text)
    values = {name: at[name] for name in expr.variables}
    try:
        result = expr.evaluate(values, **options)
    except DomainError:
        assume(False)
    if smooth:
        # "At" includes a rounding of an exact zero: sin(pi) is 1.2e-16 in floats, 0 for sympy.
        assume(not any((OPS[n.op].kink or n.op == "pow") and abs(n.children[0].data) < 1e-12 for n in expr.nodes))
        assume(all(abs(n.data) < 1e6 for n in expr.nodes))
    return expr, values, result


def conditioning(expr: Any) -> float:
    """The magnitude of the terms a value or gradient is summed from (values,
    gradients, and their products): the error of a floating-point result is
    relative to this, not to the result (1 - cos(0) sums terms of size 1)."""
    return max(max(abs(n.data), abs(n.grad), abs(n.data * n.grad)) for n in expr.nodes)
