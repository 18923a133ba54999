"""`autodiff diff`: printed derivatives, checked against the engine, against
sympy, and for their size."""

from __future__ import annotations

import math
import time

import pytest
import sympy
from hypothesis import assume, given, settings

from autodiff_cli import DomainError, parse
from autodiff_cli.symbolic import Builder, derivative, diff, to_text

from conftest import examples
from strategies import SYMBOLS, conditioning, evaluate_point, pairs, points


def to_sympy(text: str) -> sympy.Expr:
    """autodiff text -> sympy, through autodiff's parser (no Python eval)."""
    expr = parse(text)
    built: dict[int, sympy.Expr] = {}
    funcs = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
             "tan": sympy.tan, "tanh": sympy.tanh, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
             "relu": lambda a: sympy.Max(0, a), "abs": sympy.Abs, "sign": sympy.sign}
    for node in expr.nodes:
        args = [built[id(c)] for c in node.children]
        if node.op == "var":
            value = SYMBOLS.get(node.label) or sympy.Symbol(node.label, real=True)
        elif node.op == "const":
            value = sympy.pi if node.label == "pi" else sympy.Float(node.data, 30)
        else:
            value = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
                     "div": lambda a, b: a / b, "pow": lambda a, b: a**b, "neg": lambda a: -a,
                     **funcs}[node.op](*args)
        built[id(node)] = value
    return built[id(expr.output)]


@pytest.mark.parametrize(
    ("text", "wrt", "expected"),
    [
        ("x*1 + 0", "x", "1"),
        ("3*x**2 - 4*x + 5", "x", "6*x - 4"),
        ("a*(b + c*d)", "a", "b + c*d"),
        ("x - x + y", "x", "0"),
        ("--x", "x", "1"),
        ("x**1 + 0*y", "x", "1"),
        ("sin(x)", "x", "cos(x)"),
        ("exp(2*x)", "x", "2*exp(2*x)"),
    ],
)
def test_simplified_text(text, wrt, expected):
    assert diff(parse(text), [wrt]) == {wrt: expected}


@pytest.mark.parametrize(
    "text",
    ["a - b - c", "a - (b - c)", "a/b/c", "a/(b/c)", "a*(b*c)", "2**3**2", "(2**3)**2", "-a**2", "(-a)**2",
     "a**-b", "-(a*b)", "a*-b", "-(a + b)", "a - -b", "exp(-x)**2", "pow(a, b)**c", "-2**x", "(-2)**x",
     "a/(b*c)", "(a + b)*(c - d)", "tanh(a)**(b + c)", "a**b**c**d"],
)
def test_printer_keeps_meaning_with_fewest_parentheses(text):
    # Printing the parsed graph and parsing it again gives the same graph.
    expr = parse(text)
    printed = to_text(expr.output)
    again = parse(printed)
    assert [n.op for n in again.nodes if n.op != "var"] == [n.op for n in expr.nodes if n.op != "var"]
    assert printed.count("(") <= text.count("(")  # no more parentheses than the minimal source
    values = {name: 1.5 + i / 7 for i, name in enumerate(expr.variables)}
    assert repr(again.evaluate(values, ieee=True).value) == repr(expr.evaluate(values, ieee=True).value)


def test_shared_subexpressions_are_named():
    # tanh' = 1 - tanh**2 shares the tanh node; printed once.
    printed = diff(parse("tanh(w*x + b)"), ["w"], order=2)["w"]
    assert printed.startswith("t1 = tanh(w*x + b); ")
    assert printed.count("tanh") == 1


def test_user_names_label_shared_intermediates():
    printed = diff(parse("t = exp(x*y); t*t + t"), ["x"])["x"]
    assert printed.startswith("t = exp(x*y); ")


def test_output_stays_small_for_repeated_squaring():
    # Written out, d/dx of 20 nested squarings is exponentially long; named intermediates keep it linear.
    lines = ["v0 = x*x + 0.1"] + [f"v{i} = v{i - 1}*v{i - 1}*0.5 + x" for i in range(1, 20)]
    text = "\n".join(lines)
    printed = diff(parse(text), ["x"])["x"]
    assert len(printed) < 10 * len(text)
    value = parse(printed).evaluate({"x": 0.1}).value
    assert math.isclose(value, parse(text).evaluate({"x": 0.1}).gradients["x"], rel_tol=1e-12)


def test_neuron_with_1000_inputs():
    n = 1000
    text = "tanh(" + " + ".join(f"w{i}*x{i}" for i in range(n)) + " + b)"
    expr = parse(text)
    start = time.perf_counter()
    printed = diff(expr, ["w7"])["w7"]
    elapsed = time.perf_counter() - start
    assert len(printed) < 10 * len(text)
    values = {name: 0.5 / math.sqrt(n) * (1 + i % 3) for i, name in enumerate(expr.variables)}
    got = parse(printed).evaluate({k: v for k, v in values.items() if k != "w7" or "w7" in printed}).value
    assert math.isclose(got, expr.evaluate(values).gradients["w7"], rel_tol=1e-12)
    print(f"d/dw7 of a {n}-input neuron: {len(printed)} characters ({len(printed) / len(text):.2f}x), "
          f"{elapsed:.3f} s")


def test_second_order():
    assert diff(parse("3*x**2 - 4*x + 5"), ["x"], order=2) == {"x": "6"}
    printed = diff(parse("tanh(x)"), ["x"], order=2)["x"]
    for x in (-1.3, 0.2, 2.0):
        t = math.tanh(x)
        assert math.isclose(parse(printed).evaluate({"x": x}).value, -2 * t * (1 - t * t), rel_tol=1e-14)


def _evaluate_printed(printed: str, values: dict[str, float]) -> float:
    expr = parse(printed)
    return expr.evaluate({k: v for k, v in values.items() if k in expr.variables}).value


@settings(max_examples=examples(200), deadline=None)
@given(pairs, points)
def test_round_trip_against_engine_and_sympy(pair, at):
    text, sym = pair
    expr, values, result = evaluate_point(text, at)
    scale = conditioning(expr)
    printed = diff(expr)
    for name, grad in result.gradients.items():
        try:
            again = _evaluate_printed(printed[name], values)
        except DomainError:
            assume(False)
        # The printed derivative evaluates to the engine's gradient ...
        assert abs(again - grad) <= 1e-9 * max(scale, abs(grad), 1.0), (text, name, printed[name])
        # ... and sympy agrees it is the derivative of the input (30 digits, at this point).
        subs = {SYMBOLS[k]: sympy.Float(v, 30) for k, v in values.items()}
        try:
            exact = complex(sympy.diff(sym, SYMBOLS[name]).evalf(30, subs=subs))
            mine = complex(to_sympy(printed[name]).evalf(30, subs=subs))
        except (TypeError, ValueError, ArithmeticError):
            assume(False)
        assume(math.isfinite(exact.real) and exact.imag == 0)
        assert abs(mine - exact) <= 1e-20 * max(1.0, abs(exact)) + 1e-9 * scale, (text, name, printed[name])


def test_derivative_api():
    builder = Builder()
    root = builder.rebuild(parse("x**3"))
    assert to_text(derivative(builder, root, "x", 2)) == "6*x"
