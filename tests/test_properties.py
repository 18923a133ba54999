"""Random expressions from the grammar: the engine against sympy (values and
gradients, 30-digit evaluation) and against finite differences."""

from __future__ import annotations

import math

import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autodiff_cli import DomainError

from conftest import count, examples
from strategies import SYMBOLS, conditioning, evaluate_point, expressions, pairs, points

SETTINGS = settings(max_examples=examples(1500), deadline=None)


def oracle(sym: sympy.Expr, values: dict[str, float]) -> float | None:
    subs = {SYMBOLS[k]: sympy.Float(v, 30) for k, v in values.items()}
    try:
        result = sym.evalf(30, subs=subs)
    except (ArithmeticError, ValueError, TypeError):  # a pole or 0**0 at the point itself
        return None
    if not result.is_real or result.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        return None
    return float(result)


@SETTINGS
@given(pairs, points)
def test_values_and_gradients_match_sympy(pair, at):
    text, sym = pair
    expr, values, result = evaluate_point(text, at)
    tol = 1e-9 * conditioning(expr)
    expected = oracle(sym, values)
    assume(expected is not None)
    count("sympy comparisons (value and gradients)")
    assert abs(result.value - expected) <= tol + 1e-12 * abs(expected), (text, values)
    for name, grad in result.gradients.items():
        exact = oracle(sympy.diff(sym, SYMBOLS[name]), values)
        assume(exact is not None)
        assert abs(grad - exact) <= tol + 1e-9 * abs(exact), (text, values, name, grad, exact)


@SETTINGS
@given(expressions, points)
def test_gradients_match_finite_differences(text, at):
    expr, values, result = evaluate_point(text, at)
    for name, grad in result.gradients.items():
        estimates = []
        for h in (1e-5, 5e-6):
            step = h * max(1.0, abs(values[name]))
            try:
                hi = expr.forward({**values, name: values[name] + step})
                lo = expr.forward({**values, name: values[name] - step})
            except DomainError:
                assume(False)
            estimates.append((hi - lo) / (2 * step))
        # Trust the difference only where two step sizes agree (smooth enough here).
        scale = max(1.0, abs(estimates[0]))
        assume(abs(estimates[0] - estimates[1]) <= 1e-6 * scale)
        assert math.isclose(grad, estimates[1], rel_tol=1e-5, abs_tol=1e-5), (text, values, name)
        count("finite-difference comparisons")


@settings(max_examples=examples(200), deadline=None)
@given(expressions, points, st.integers(1, 3))
def test_statement_form_equals_inline_form(text, at, split):
    # Naming a subexpression does not change value or gradients.
    named = f"t = {text}\nout = t*{split} + t"
    _, _, inline = evaluate_point(f"({text})*{split} + ({text})", at, smooth=False)
    _, _, stated = evaluate_point(named, at, smooth=False)
    assert math.isclose(stated.value, inline.value, rel_tol=1e-12, abs_tol=1e-12)
    for name in inline.gradients:
        assert math.isclose(stated.gradients[name], inline.gradients[name], rel_tol=1e-12, abs_tol=1e-12)
