"""`autodiff diff`: printed derivatives, checked against the engine, against
sympy, and for their size."""

from __future__ import annotations

import math
import time

import pytest
import sympy
from hypothesis import assume, given, settings

from autodiff_cli import DomainError, parse
from autodiff_cli.symbolic.diff import SymbolicGraph, derivatives, diff
from autodiff_cli.symbolic.printer import to_text

from conftest import examples
from strategies import SYMBOLS, conditioning, evaluate_point, expressions, pairs, points


def to_sympy(text: str) -> sympy.Expr:
    """autodiff text -> sympy, through autodiff's parser (no Python eval)."""
    expr = parse(text)
    built: dict[int, sympy.Expr] = {}
    funcs = {"exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos,
             "tan": sympy.tan, "tanh": sympy.tanh, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)),
             "relu": lambda a: sympy.Max(0, a), "abs": sympy.Abs, "sign": sympy.sign,
             "xlogy": lambda a, b: a * sympy.log(b), "sec": sympy.sec}
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
        # The examples of issue 15 (autodiff before, sympy's diff in the comments).
        ("sin(x)**2 + cos(x)**2", "x", "0"),  # 0
        ("x*x*x*x", "x", "4*x**3"),  # 4*x**3
        ("(x + y)*(x - y)", "x", "2*x"),  # 2*x
        ("log(x**2)", "x", "2/x"),  # 2/x
        ("x*log(x) - x", "x", "log(x)"),  # log(x)
        ("sqrt(x**2 + y**2)", "x", "x/sqrt(x**2 + y**2)"),  # x/sqrt(x**2 + y**2)
        ("1/(1 + exp(-x))", "x", "sigmoid(x)*sigmoid(-x)"),  # 1/(1 + exp(-x)) is sigmoid(x)
        ("x*y*x", "x", "2*x*y"),  # 2*x*y
        ("x**(1/2) + x**(1/3)", "x", "1/(2*sqrt(x)) + 1/(3*x**(2/3))"),  # 1/(2*sqrt(x)) + 1/(3*x**(2/3))
        ("2**x", "x", "2**x*log(2)"),  # 2**x*log(2)
        ("sqrt(x)*sqrt(x)", "x", "1"),  # 1
        # Exact numbers; functions of exact numbers stay symbolic; decimals stay floats.
        ("x/3", "x", "1/3"),
        ("x**(5/3)", "x", "5*x**(2/3)/3"),
        ("pi*x/4", "x", "pi/4"),
        ("log(3)*x", "x", "log(3)"),
        ("0.5*x**2", "x", "x"),
        ("x**0.5", "x", "0.5/sqrt(x)"),
        ("2*(0.5*x*y)", "x", "y"),
        # The printer: no + -, no -(-...), negative powers as division, fewest parentheses.
        ("x - y*x**2", "x", "1 - 2*x*y"),
        ("-(-(x*y))", "x", "y"),
        ("1/(x*y)", "x", "-1/(x**2*y)"),
        ("a*b*c*x", "x", "a*b*c"),
        ("exp(x)*x", "x", "exp(x)*(x + 1)"),
        ("t = exp(x*y); t*t + t", "x", "t = exp(x*y); y*t*(2*t + 1)"),
    ],
)
def test_simplified_text(text, wrt, expected):
    assert diff(parse(text), [wrt]) == {wrt: expected}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("t1 + t1", "2*t1"),
        ("a - a", "0"),
        ("x*x**2", "x**3"),
        ("x/x**2", "1/x"),
        ("t1*t2 - t2*t1", "0"),
        ("2*(0.5*y)", "y"),
        ("x/x", "1"),
        ("(x**2)**(1/2)", "sqrt(x**2)"),  # abs(x): not x
        ("(x**3)**(1/3)", "x"),
        ("(x*y)**(1/2)", "sqrt(x*y)"),  # not split: sqrt(x)*sqrt(y) is undefined at x = y = -1
        ("(4*x)**(1/2)", "2*sqrt(x)"),
        ("4**(1/2) + 8**(1/3) + 2**(1/2)", "sqrt(2) + 4"),
        ("exp(x)*exp(y)", "exp(x + y)"),
        ("log(exp(x))", "x"),
        ("2*x - 2*y", "2*x - 2*y"),
        ("(2*x - 2*y)*z", "2*z*(x - y)"),
        ("(-x - 1)*z", "-z*(x + 1)"),
        ("1 - 2 + 3/6", "-1/2"),
        ("0.1 + 0.2", "0.3"),  # decimals folded as the decimals typed
        ("sin(0) + cos(0) + sigmoid(0)", "3/2"),
        ("sin(1) + abs(-3)", "sin(1) + 3"),
        ("10**400", "10**400"),
    ],
)
def test_canonical_form(text, expected):
    graph = SymbolicGraph()
    expr = parse(text)
    graph.add_input(expr)
    assert to_text(graph.canon(expr.output)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a - b - c", "a - b - c"), ("a - (b - c)", "a - b + c"), ("a/b/c", "a/(b*c)"), ("a/(b/c)", "a*c/b"),
     ("a*(b*c)", "a*b*c"), ("2**3**2", "512"), ("(2**3)**2", "64"), ("-a**2", "-a**2"), ("(-a)**2", "a**2"),
     ("a**-b", "a**-b"), ("-(a*b)", "-a*b"), ("a*-b", "-a*b"), ("-(a + b)", "-a - b"), ("a - -b", "a + b"),
     ("exp(-x)**2", "exp(-2*x)"), ("pow(a, b)**c", "(a**b)**c"), ("-2**x", "-2**x"), ("(-2)**x", "(-2)**x"),
     ("a/(b*c)", "a/(b*c)"), ("(a + b)*(c - d)", "(a + b)*(c - d)"), ("tanh(a)**(b + c)", "tanh(a)**(b + c)"),
     ("a**b**c**d", "a**b**c**d"), ("(a**b)**c", "(a**b)**c"), ("a**(b*c)", "a**(b*c)"), ("x**(2/3)", "x**(2/3)"),
     ("2**(x/3)", "2**(x/3)"), ("(1/2)**x", "(1/2)**x"), ("(x + 1)**-2", "1/(x + 1)**2"),
     ("-x/(y*z)", "-x/(y*z)"), ("x/sqrt(y)", "x/sqrt(y)"), ("sqrt(x + 1)/(x*y)**(1/3)", "sqrt(x + 1)/(x*y)**(1/3)"),
     ("1 - x", "1 - x"), ("-x + 1", "1 - x"), ("-x - 1", "-x - 1"), ("x**y*x", "x**(y + 1)"),
     ("y*x**(y - 1)", "x**(y - 1)*y"), ("1e200*1e200*x", "1e+200*x*1e+200")],
)
def test_printer_writes_the_fewest_parentheses_and_keeps_meaning(text, expected):
    # The canonical form printed, parsed and made canonical again is the same node.
    graph = SymbolicGraph()
    expr = parse(text)
    graph.add_input(expr)
    node = graph.canon(expr.output)
    printed = to_text(node)
    assert printed == expected
    again = parse(printed)
    graph.add_input(again)
    assert graph.canon(again.output) is node, (text, printed)
    values = {name: 1.5 + i / 7 for i, name in enumerate(expr.variables)}
    want, got = expr.evaluate(values, ieee=True).value, again.evaluate(values, ieee=True).value
    assert math.isclose(got, want, rel_tol=1e-14) or (math.isnan(got) and math.isnan(want))


def test_shared_subexpressions_are_named():
    # tanh' = 1 - tanh**2 shares the tanh node; printed once.
    printed = diff(parse("tanh(w*x + b)"), ["w"], order=2)["w"]
    assert printed == "t1 = tanh(b + w*x); 2*x**2*t1*(t1**2 - 1)"
    # ... only where that is shorter: x*(1 - tanh(..)**2) has tanh once.
    assert diff(parse("tanh(w*x + b)"), ["w"])["w"] == "x*(1 - tanh(b + w*x)**2)"


def test_user_names_label_shared_intermediates():
    printed = diff(parse("t = exp(x*y); t*t + t"), ["x"])["x"]
    assert printed.startswith("t = exp(x*y); ")
    # A generated name never takes one of the input's names.
    printed = diff(parse("t1 = tanh(w*x + b); t1 + y"), ["w"], order=2)["w"]
    assert printed.startswith("t1 = tanh(b + w*x); ")
    printed = diff(parse("t1 = w*x; tanh(t1 + b) + t1"), ["w"], order=2)["w"]
    assert "t2 = tanh" in printed and "t1 = " not in printed


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
    assume(not sym.has(sympy.nan))  # no oracle: sympy refused to build it
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
    # The lower-level API the README documents.
    from autodiff_cli.symbolic.diff import Builder, derivative
    from autodiff_cli.symbolic.diff import to_text as printed

    builder = Builder()
    root = builder.rebuild(parse("x**3*y"))
    assert printed(derivative(builder, root, "x", 2)) == "6*x*y"
    assert printed(derivative(builder, root, "y")) == "x**3"
    assert to_text(derivatives(parse("x**3"), ["x"], 2)["x"]) == "6*x"


@settings(max_examples=examples(300), deadline=None)
@given(expressions, points)
def test_canonical_form_prints_parses_back_and_keeps_values(text, at):
    # Printing is a fixed point, and the printed form has the input's value wherever the
    # input is defined: a rewrite may make an expression defined where it was not (x/x is 1),
    # never undefined or different where it was defined.
    expr, values, result = evaluate_point(text, at, smooth=False)
    graph = SymbolicGraph()
    graph.add_input(expr)
    printed = to_text(graph.canon(expr.output))
    again = parse(printed)
    graph.add_input(again)
    assert to_text(graph.canon(again.output)) == printed, text
    got = again.evaluate({k: v for k, v in values.items() if k in again.variables}).value
    assert abs(got - result.value) <= 1e-9 * max(conditioning(expr), abs(result.value), 1.0), (text, printed)


@settings(max_examples=examples(100), deadline=None)
@given(pairs, points)
def test_second_derivatives_against_sympy(pair, at):
    text, sym = pair
    expr, values, _ = evaluate_point(text, at)
    assume(expr.variables)
    name = next(iter(expr.variables))
    printed = diff(expr, [name], order=2)[name]
    try:
        mine = _evaluate_printed(printed, values)
    except DomainError:
        assume(False)
    subs = {SYMBOLS[k]: sympy.Float(v, 30) for k, v in values.items()}
    try:
        exact = complex(sympy.diff(sym, SYMBOLS[name], 2).evalf(30, subs=subs))
    except (TypeError, ValueError, ArithmeticError, AttributeError):  # sympy's evalf of NaN raises AttributeError
        assume(False)
    assume(math.isfinite(exact.real) and exact.imag == 0 and abs(exact.real) < 1e8)
    assert abs(mine - exact.real) <= 1e-7 * max(1.0, abs(exact.real), conditioning(expr) ** 2), (text, printed)
