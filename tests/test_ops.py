"""Every row of the op table: its gradient against central finite differences at
many points of its domain, its value against Python's own math, and the table's
agreement with the grammar and the parser."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import numpy as np
import pytest

from autodiff_cli import parse
from autodiff_cli.base.arrays import ARRAY
from autodiff_cli.base.ops import OPS
from autodiff_cli.base.scalar import SCALAR
from autodiff_cli.core.parser import _GraphBuilder

GRAMMAR = Path(__file__).resolve().parent.parent / "grammars" / "expr.lark"

# Where each op is smooth; two-argument ops take (x, y) from the two ranges.
DOMAINS: dict[str, list[tuple[float, float]]] = {
    "add": [(-5, 5), (-5, 5)],
    "sub": [(-5, 5), (-5, 5)],
    "mul": [(-5, 5), (-5, 5)],
    "div": [(-5, 5), (0.2, 5)],
    "pow": [(0.1, 3), (-2.5, 2.5)],
    "neg": [(-5, 5)],
    "exp": [(-5, 5)],
    "log": [(0.05, 20)],
    "sqrt": [(0.05, 20)],
    "sin": [(-6, 6)],
    "cos": [(-6, 6)],
    "tan": [(-1.4, 1.4)],
    "tanh": [(-4, 4)],
    "sigmoid": [(-10, 10)],
    "relu": [(0.01, 5)],
    "abs": [(0.01, 5)],
    "sign": [(0.01, 5)],
    "xlogy": [(-5, 5), (0.05, 20)],
    "asin": [(-0.99, 0.99)], "acos": [(-0.99, 0.99)], "atan": [(-5, 5)], "sinh": [(-5, 5)], "cosh": [(-5, 5)],
    "asinh": [(-5, 5)], "acosh": [(1.01, 20)], "atanh": [(-0.99, 0.99)], "sec": [(-1.4, 1.4)], "csc": [(0.1, 3)],
    "cot": [(0.1, 3)], "log2": [(0.05, 20)], "log10": [(0.05, 20)], "log1p": [(-0.95, 20)], "expm1": [(-5, 5)],
    "exp2": [(-5, 5)], "cbrt": [(0.05, 20)], "erf": [(-3, 3)], "erfc": [(-3, 3)], "softplus": [(-10, 10)],
    "floor": [(-5, 5)], "ceil": [(-5, 5)], "atan2": [(-5, 5), (0.2, 5)], "hypot": [(0.2, 5), (-5, -0.2)],
    "max": [(-5, 5), (-5, 5)], "min": [(-5, 5), (-5, 5)], "clamp": [(-5, 5), (-6, -5.5), (5.5, 6)],
}
# The same ops by Python's math, written independently of the op table.
REFERENCE = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y, "pow": lambda x, y: x**y, "neg": lambda x: -x, "exp": math.exp,
    "log": math.log, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    "tanh": math.tanh, "sigmoid": lambda x: 1 / (1 + math.exp(-x)), "relu": lambda x: max(x, 0.0),
    "abs": abs, "sign": lambda x: math.copysign(1.0, x), "xlogy": lambda x, y: x * math.log(y),
    "asin": math.asin, "acos": math.acos, "atan": math.atan, "sinh": math.sinh, "cosh": math.cosh,
    "asinh": math.asinh, "acosh": math.acosh, "atanh": math.atanh, "sec": lambda x: 1 / math.cos(x),
    "csc": lambda x: 1 / math.sin(x), "cot": lambda x: 1 / math.tan(x), "log2": math.log2, "log10": math.log10,
    "log1p": math.log1p, "expm1": math.expm1, "exp2": lambda x: 2.0**x, "cbrt": lambda x: x ** (1 / 3),
    "erf": math.erf, "erfc": math.erfc,
    "softplus": lambda x: math.log1p(math.exp(x)) if x < 30 else x + math.log1p(math.exp(-x)),
    "floor": lambda x: float(math.floor(x)), "ceil": lambda x: float(math.ceil(x)), "atan2": math.atan2,
    "hypot": math.hypot, "max": max, "min": min, "clamp": lambda x, lo, hi: min(max(x, lo), hi),
}
COMPUTED = [name for name, op in OPS.items() if op.kind != "leaf"]


def source(name: str) -> str:
    op = OPS[name]
    if op.kind == "infix":
        return f"x {op.symbol} y"
    if op.kind == "prefix":
        return f"{op.symbol}x"
    return f"{name}({', '.join('xyz'[:len(DOMAINS[name])])})"


def points(name: str, count: int = 60) -> list[dict[str, float]]:
    rng = random.Random(name)
    ranges = DOMAINS[name]
    points = [{v: rng.uniform(*r) for v, r in zip("xyz", ranges, strict=False)} for _ in range(count)]
    if name in ("relu", "abs", "sign"):  # the other side of the kink too
        points += [{"x": -p["x"]} for p in points]
    return points


def central_difference(expr, at: dict[str, float], var: str) -> float:
    h = 1e-6 * max(1.0, abs(at[var]))
    hi = expr.forward({**at, var: at[var] + h})
    lo = expr.forward({**at, var: at[var] - h})
    return (hi - lo) / (2 * h)


def test_every_op_has_a_domain_and_a_reference():
    assert set(COMPUTED) == set(DOMAINS) == set(REFERENCE)


@pytest.mark.parametrize("name", COMPUTED)
def test_gradient_matches_finite_difference(name):
    expr = parse(source(name))
    for at in points(name):
        result = expr.evaluate(at)
        for var, grad in result.gradients.items():
            numeric = central_difference(expr, at, var)
            assert math.isclose(grad, numeric, rel_tol=1e-6, abs_tol=1e-7), (name, at, var, grad, numeric)


@pytest.mark.parametrize("name", COMPUTED)
def test_value_matches_math(name):
    expr = parse(source(name))
    for at in points(name):
        expected = REFERENCE[name](*at.values())
        assert math.isclose(expr.forward(at), expected, rel_tol=1e-14, abs_tol=1e-300), (name, at)


@pytest.mark.parametrize("name", COMPUTED)
def test_array_rules_agree_with_scalar_rules(name):
    # numpy (batches, IEEE results) and math (single points) give the same numbers.
    op = OPS[name]
    for at in points(name, 20):
        args = list(at.values())
        out = op.forward(SCALAR, *args)
        assert math.isclose(float(op.forward(ARRAY, *map(np.float64, args))), out, rel_tol=1e-14)
        for rule, _ in zip(op.grads, args, strict=False):
            scalar = rule(SCALAR, out, *args)
            array = float(rule(ARRAY, np.float64(out), *map(np.float64, args)))
            assert math.isclose(array, scalar, rel_tol=1e-13, abs_tol=1e-300), (name, at)


@pytest.mark.parametrize(
    ("text", "at", "grad"),
    [
        ("relu(x)", 0.0, 0.0),  # PyTorch: relu'(0) = 0
        ("abs(x)", 0.0, 0.0),  # PyTorch: abs'(0) = 0
        ("x**y", 0.0, 0.0),  # d/dy 0**y = 0 at y = 2 (PyTorch masks x == 0)
    ],
)
def test_conventions_at_kinks(text, at, grad):
    expr = parse(text)
    values = {"x": at, "y": 2.0} if "y" in text else {"x": at}
    result = expr.evaluate(values)
    assert result.gradients[list(result.gradients)[-1]] == grad


def test_sqrt_at_zero_is_infinite_in_ieee_mode():
    result = parse("sqrt(x)").evaluate({"x": 0.0}, ieee=True)
    assert result.gradients["x"] == math.inf
    assert any("sqrt'(0) = inf" in note for note in result.notes)


def test_sigmoid_is_finite_everywhere():
    expr = parse("sigmoid(x)")
    for x in (-1e308, -745.0, -50.0, 0.0, 50.0, 745.0, 1e308):
        result = expr.evaluate({"x": x})
        assert 0.0 <= result.value <= 1.0 and math.isfinite(result.gradients["x"])
    assert expr.evaluate({"x": -800.0}).value == pytest.approx(math.exp(-800.0), rel=1e-12, abs=0)


def test_grammar_aliases_transformer_methods_and_ops_line_up():
    aliases = set(re.findall(r"->\s*(\w+)", GRAMMAR.read_text()))
    actions = {"number", "name", "call", "group", "pos", "assign", "header", "define"}
    written_ops = {n for n, op in OPS.items() if op.kind in ("infix", "prefix")}
    # Every infix and prefix op is a grammar alias, and every alias is an op or a parser action.
    assert written_ops <= aliases
    assert aliases <= set(OPS) | actions
    # Each alias is exactly one builder method.
    assert all(callable(getattr(_GraphBuilder, alias, None)) for alias in aliases)
    # Functions are called by their op-table name.
    for name, op in OPS.items():
        if op.kind == "call":
            assert parse(source(name)).output.op == name
    assert parse("pow(x, y)").output.op == "pow"


INFIX = [op for op in OPS.values() if op.kind == "infix"]


@pytest.mark.parametrize("first", INFIX, ids=lambda op: op.name)
@pytest.mark.parametrize("second", INFIX, ids=lambda op: op.name)
def test_the_tables_precedence_is_the_grammars(first, second):
    # `a P b Q c` groups to the left when P binds at least as tightly as Q
    # (to the right for the power, which is right-associative), as the op
    # table's tiers say; the printer relies on them for its parentheses.
    out = parse(f"a{first.text}b{second.text}c").output
    left = first.tier > second.tier or (first.tier == second.tier and first.name != "pow")
    top, inner = (second, first) if left else (first, second)
    assert out.op == top.name
    assert out.children[0 if left else 1].op == inner.name


@pytest.mark.parametrize("op", INFIX, ids=lambda op: op.name)
def test_the_tables_unary_tier_is_the_grammars(op):
    # -a P b: the minus applies to a alone unless P binds tighter than it.
    neg = OPS["neg"]
    out = parse(f"{neg.text}a{op.text}b").output
    assert out.op == ("neg" if op.tier > neg.tier else op.name)

