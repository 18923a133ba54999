"""Every function of the language against an independent truth: mpmath at 50 digits for the
value, the gradient and the second derivatives at random points of each domain (the derivatives
by mpmath's own numerical differentiation, not by the op table's rules); PyTorch's conventions
at kinks, written out by hand from its derivative formulas; a batch equal to its points; the
printed derivative read back; domain errors that name the function and the value."""

from __future__ import annotations

import json
import math
import random

import mpmath as mp
import numpy as np
import pytest

from autodiff_cli import parse
from autodiff_cli.points.columns import evaluate_columns
from autodiff_cli.symbolic.diff import diff, hessian

mp.mp.dps = 50


def _cbrt(x):
    return mp.sign(x) * mp.cbrt(abs(x))


# name: (expression, mpmath function of the same variables, a range per variable)
FUNCTIONS = {
    "asin": ("asin(x)", mp.asin, [(-0.99, 0.99)]),
    "acos": ("acos(x)", mp.acos, [(-0.99, 0.99)]),
    "atan": ("atan(x)", mp.atan, [(-20, 20)]),
    "sinh": ("sinh(x)", mp.sinh, [(-20, 20)]),
    "cosh": ("cosh(x)", mp.cosh, [(-20, 20)]),
    "asinh": ("asinh(x)", mp.asinh, [(-50, 50)]),
    "acosh": ("acosh(x)", mp.acosh, [(1.001, 50)]),
    "atanh": ("atanh(x)", mp.atanh, [(-0.999, 0.999)]),
    "sec": ("sec(x)", mp.sec, [(-1.5, 1.5)]),
    "csc": ("csc(x)", mp.csc, [(0.05, 3.1)]),
    "cot": ("cot(x)", mp.cot, [(0.05, 3.1)]),
    "log2": ("log2(x)", lambda x: mp.log(x, 2), [(1e-3, 1e3)]),
    "log10": ("log10(x)", mp.log10, [(1e-3, 1e3)]),
    "log1p": ("log1p(x)", lambda x: mp.log(1 + x), [(-0.999, 50)]),
    "expm1": ("expm1(x)", mp.expm1, [(-20, 20)]),
    "exp2": ("exp2(x)", lambda x: mp.power(2, x), [(-30, 30)]),
    "cbrt": ("cbrt(x)", _cbrt, [(-50, -0.01)]),
    "erf": ("erf(x)", mp.erf, [(-4, 4)]),
    "erfc": ("erfc(x)", mp.erfc, [(-4, 8)]),
    "softplus": ("softplus(x)", lambda x: mp.log(1 + mp.exp(x)), [(-30, 30)]),
    "atan2": ("atan2(y, x)", mp.atan2, [(-5, 5), (-5, 5)]),
    "hypot": ("hypot(x, y)", mp.hypot, [(-5, 5), (-5, 5)]),
    "log(x, b)": ("log(x, b)", lambda x, b: mp.log(x) / mp.log(b), [(0.01, 100), (1.5, 20)]),
    "max": ("max(x, y, z)", lambda x, y, z: max(x, y, z), [(-5, 5), (-5, 5), (-5, 5)]),
    "min": ("min(x, y)", lambda x, y: min(x, y), [(-5, 5), (-5, 5)]),
    "clamp": ("clamp(x, lo, hi)", lambda x, lo, hi: min(max(x, lo), hi), [(-5, 5), (-2, -1), (1, 2)]),
}


def _points(name: str, count: int = 25) -> list[list[float]]:
    rng = random.Random(name)
    return [[rng.uniform(*r) for r in FUNCTIONS[name][2]] for _ in range(count)]


def _close(got: float, want, rel: float) -> bool:
    want = float(want)
    return math.isclose(got, want, rel_tol=rel, abs_tol=rel * 1e-3)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_value_and_gradient_equal_high_precision_maths(name):
    text, f, _ = FUNCTIONS[name]
    expr = parse(text)
    names = list(expr.variables)
    for point in _points(name):
        at = dict(zip(names, point, strict=True))
        result = expr.evaluate(at)
        exact = [mp.mpf(p) for p in point]
        assert _close(result.value, f(*exact), 1e-13), (text, at)
        for k, var in enumerate(names):
            order = [int(j == k) for j in range(len(names))]
            want = mp.diff(f, exact, order) if len(names) > 1 else mp.diff(f, exact[0])
            assert _close(result.gradients[var], want, 1e-11), (text, at, var)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_second_derivatives_equal_high_precision_maths(name):
    text, f, _ = FUNCTIONS[name]
    expr = parse(text)
    names = list(expr.variables)
    for point in _points(name, 6):
        at = dict(zip(names, point, strict=True))
        found = hessian(expr, at)
        exact = [mp.mpf(p) for p in point]
        for a in range(len(names)):
            for b in range(len(names)):
                order = [int(j == a) + int(j == b) for j in range(len(names))]
                want = mp.diff(f, exact, order) if len(names) > 1 else mp.diff(f, exact[0], 2)
                assert _close(found[names[a]][names[b]], want, 1e-9), (text, at, names[a], names[b])


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_batch_equals_its_points(name):
    text = FUNCTIONS[name][0]
    expr = parse(text)
    names = list(expr.variables)
    points = _points(name, 200)
    columns = {n: np.array([p[k] for p in points]) for k, n in enumerate(names)}
    batch = evaluate_columns(text, columns)
    for j, point in enumerate(points):
        one = expr.evaluate(dict(zip(names, point, strict=True)))
        assert math.isclose(batch["value"][j], one.value, rel_tol=4e-16 * 4, abs_tol=1e-300)
        for n in names:
            assert math.isclose(batch[f"grad_{n}"][j], one.gradients[n], rel_tol=1e-15 * 8, abs_tol=1e-300), (
                text, point, n)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_printed_derivative_reads_back_as_the_gradient(name):
    text = FUNCTIONS[name][0]
    expr = parse(text)
    names = list(expr.variables)
    printed = diff(expr)
    for point in _points(name, 10):
        at = dict(zip(names, point, strict=True))
        gradients = expr.evaluate(at).gradients
        for n in names:
            back = parse(printed[n])
            value = back.forward({k: v for k, v in at.items() if k in back.variables})
            assert math.isclose(value, gradients[n], rel_tol=1e-11, abs_tol=1e-14), (text, printed[n], at)


@pytest.mark.parametrize(("text", "at", "value", "gradients"), [
    # torch.maximum/minimum give each of two tied inputs half; max over a tensor splits evenly.
    ("max(x, y)", {"x": 1.0, "y": 1.0}, 1.0, {"x": 0.5, "y": 0.5}),
    ("min(x, y)", {"x": -2.0, "y": -2.0}, -2.0, {"x": 0.5, "y": 0.5}),
    ("max(x, y, z)", {"x": 3.0, "y": 3.0, "z": 3.0}, 3.0, {"x": 1 / 3, "y": 1 / 3, "z": 1 / 3}),
    ("max(x, y, z)", {"x": 3.0, "y": 3.0, "z": 1.0}, 3.0, {"x": 0.5, "y": 0.5, "z": 0.0}),
    ("min(x, y, z)", {"x": 3.0, "y": 1.0, "z": 1.0}, 1.0, {"x": 0.0, "y": 0.5, "z": 0.5}),
    # torch.clamp: x's slope where lo <= x <= hi (bounds included), lo's where x < lo < hi,
    # hi's where x > hi or hi < lo (then the result is hi).
    ("clamp(x, lo, hi)", {"x": 0.0, "lo": 0.0, "hi": 1.0}, 0.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    ("clamp(x, lo, hi)", {"x": 1.0, "lo": 0.0, "hi": 1.0}, 1.0, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    ("clamp(x, lo, hi)", {"x": -1.0, "lo": 0.0, "hi": 1.0}, 0.0, {"x": 0.0, "lo": 1.0, "hi": 0.0}),
    ("clamp(x, lo, hi)", {"x": 2.0, "lo": 0.0, "hi": 1.0}, 1.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    ("clamp(x, lo, hi)", {"x": 0.5, "lo": 1.0, "hi": 0.0}, 0.0, {"x": 0.0, "lo": 0.0, "hi": 1.0}),
    # floor and ceil: slope 0, at integers too.
    ("floor(x)", {"x": 2.0}, 2.0, {"x": 0.0}),
    ("ceil(x)", {"x": -2.5}, -2.0, {"x": 0.0}),
    # Where PyTorch's slope is 0/0: the subgradient 0.
    ("atan2(y, x)", {"y": 0.0, "x": 0.0}, 0.0, {"y": 0.0, "x": 0.0}),
    ("hypot(x, y)", {"x": 0.0, "y": 0.0}, 0.0, {"x": 0.0, "y": 0.0}),
    # The real cube root, and softplus finite for any finite x.
    ("cbrt(x)", {"x": -8.0}, -2.0, {"x": 1 / 12}),
    ("softplus(x)", {"x": 1000.0}, 1000.0, {"x": 1.0}),
    ("softplus(x)", {"x": -1000.0}, 0.0, {"x": 0.0}),
    ("log(x, b)", {"x": 8.0, "b": 2.0}, 3.0, {"x": 1 / (8 * math.log(2)), "b": -3 / (2 * math.log(2))}),
])
def test_conventions_at_kinks_follow_pytorch(text, at, value, gradients):
    result = parse(text).evaluate(at)
    assert math.isclose(result.value, value, rel_tol=1e-15)
    assert all(math.isclose(result.gradients[n], g, rel_tol=1e-15, abs_tol=1e-300) for n, g in gradients.items())


@pytest.mark.parametrize(("text", "at", "note"), [
    ("max(x, y)", ["x=1", "y=1"], "max'(tie) = 1/n to each of n tied"),
    ("clamp(x, 0, 1)", ["x=1"], "clamp'(x at a bound) = 1"),
    ("floor(x)", ["x=3"], "floor'(integer) = 0"),
    ("hypot(x, y)", ["x=0", "y=0"], "hypot'(0, 0) = 0"),
])
def test_a_kink_prints_a_note(cli, text, at, note):
    run = cli("eval", text, *at, "--format", "json")
    assert run.code == 0 and f"note: {note} used at" in run.err


def test_no_note_away_from_a_kink(cli):
    run = cli("eval", "max(x, y, z) + floor(x) + clamp(x, 0, 1)", "x=0.5", "y=0.25", "z=0.25")
    assert run.code == 0 and run.err == ""


@pytest.mark.parametrize(("text", "value", "message"), [
    ("asin(x)", "1.5", "error: asin of 1.5 (outside -1 <= x <= 1) in 'asin(x)'"),
    ("acosh(x)", "0.5", "error: acosh of 0.5 (below 1) in 'acosh(x)'"),
    ("atanh(x)", "1", "error: atanh of 1.0 (outside -1 < x < 1) in 'atanh(x)'"),
    ("log(x, 1)", "2", "error: log to base 1.0 (a base is positive and not 1) in 'log(x, 1)'"),
    ("log10(x)", "-1", "error: log10 of -1.0 (not positive) in 'log10(x)'"),
])
def test_a_domain_error_names_the_function(cli, text, value, message):
    run = cli("eval", text, f"x={value}")
    assert run.code == 1 and run.out == "" and run.err.startswith(message)
    ieee = json.loads(cli("eval", text, f"x={value}", "--ieee", "--format", "json").out)
    assert ieee["value"] is None or not math.isfinite(ieee["value"])


def test_an_infinite_slope_at_the_edge_of_a_domain(cli):
    run = cli("eval", "asin(x)", "x=1")
    assert run.code == 1 and "infinite gradient, asin'(+-1) = inf" in run.err
    assert parse("acosh(x)").evaluate({"x": 1.0}, ieee=True).gradients["x"] == math.inf


@pytest.mark.parametrize(("text", "want"), [
    ("atan(x)", "1/(x**2 + 1)"), ("cosh(x)", "sinh(x)"), ("asin(x)", "1/sqrt(1 - x**2)"),
    ("erf(x)", "2*exp(-x**2)/sqrt(pi)"), ("softplus(x)", "sigmoid(x)"), ("log10(x)", "1/(x*log(10))"),
    ("expm1(x)", "exp(x)"), ("log1p(x)", "1/(x + 1)"),
])
def test_derivatives_print_as_a_textbook_does(cli, text, want):
    run = cli("diff", text)
    assert run.code == 0 and run.out == want + "\n"


@pytest.mark.parametrize(("text", "command"), [
    ("x*atan(x)", r"\arctan"), ("sinh(x)**2", r"\sinh"), ("erf(x)*x", r"\operatorname{erf}"),
    ("log10(x)*x", r"\log_{10}"), ("max(x, y)*x", r"\max"), ("floor(x)*x", r"\lfloor"), ("log(x, b)*x", r"\log_{b}"),
])
def test_latex_writes_each_function_as_on_paper(cli, text, command):
    run = cli("diff", text, "--format", "latex")
    assert run.code == 0 and command in run.out


@pytest.mark.parametrize(("text", "hint"), [
    ("2x", "unexpected 'x'; to multiply, write 2*x"),
    ("3 sin(x)", "unexpected 'sin'; to multiply, write 3*sin"),
    ("|x|", "unexpected character '|' (for an absolute value, write abs(x))"),
    ("max(x)", "max() takes 2 or more arguments, got 1"),
    ("log(x, 2, 3)", "log() takes 1 or 2 arguments, got 3"),
])
def test_what_the_language_lacks_gets_a_hint(cli, text, hint):
    run = cli("eval", text, "x=1")
    assert run.code == 2 and run.err.startswith(f"error: {hint} at line 1")


def test_e_is_a_variable_and_says_so(cli):
    run = cli("diff", "e**x")
    assert run.code == 0 and run.err.startswith("note: 'e' is a variable here: Euler's number is exp(1)")
    run = cli("eval", "e**x", "x=1")
    assert run.code == 2 and "Euler's number is exp(1), and e**x is exp(x)" in run.err
    assert cli("eval", "e**x", "x=1", "e=2").code == 0


def test_methods_in_the_lectures_style():
    from autodiff_cli import Value

    x = Value(0.5)
    y = x.atan() + x.cosh() + x.max(0.25) + x.log(2.0)
    y.backward()
    want = 1 / (1 + 0.25) + math.sinh(0.5) + 1.0 + 1 / (0.5 * math.log(2))
    assert math.isclose(x.grad, want, rel_tol=1e-15)
    with pytest.raises(TypeError, match=r"max\(\) takes 1 or more arguments, got 0"):
        x.max()


def test_the_language_page_lists_every_function_with_its_domain():
    from pathlib import Path

    from autodiff_cli.base.ops import FUNCTIONS

    page = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text(encoding="utf-8")
    rows = [line for line in page.splitlines() if line.startswith("| `") and line.count("|") == 4]
    listed = {name for row in rows for name in row.split("|")[1].replace("`", " ").replace("(", " ").split()}
    assert set(FUNCTIONS) <= listed, set(FUNCTIONS) - listed


@pytest.mark.parametrize(("text", "at", "jump"), [("floor(x)", "x=2", "1"), ("ceil(x)*x", "x=-3", "3")])
def test_check_at_a_jump_says_no_finite_difference_exists(cli, text, at, jump):
    # floor jumps by 1 at an integer: a finite difference there grows as the step shrinks, no slope.
    run = cli("check", text, at)
    assert run.code == 1 and "sits on a jump: " in run.err and f"(the function jumps by {jump} there)" in run.err
    assert "average of the slopes" not in run.err


@pytest.mark.parametrize(("text", "at", "gradients"), [
    # A tie at infinity is a tie: inf - inf is nan, but the shares are PyTorch's.
    ("max(x, y)", {"x": math.inf, "y": math.inf}, {"x": 0.5, "y": 0.5}),
    ("min(x, y)", {"x": -math.inf, "y": -math.inf}, {"x": 0.5, "y": 0.5}),
    ("clamp(x, lo, hi)", {"x": math.inf, "lo": 0.0, "hi": math.inf}, {"x": 1.0, "lo": 0.0, "hi": 0.0}),
    # Slopes of huge arguments: 1/x, where 1/sqrt(x*x + 1) would overflow to 0.
    ("asinh(x)", {"x": 1e200}, {"x": 1e-200}),
    ("acosh(x)", {"x": 1e200}, {"x": 1e-200}),
    ("asinh(x)", {"x": -3.5445584638987753e+173}, {"x": 1 / 3.5445584638987753e+173}),
])
def test_ties_at_infinity_and_slopes_at_huge_arguments(text, at, gradients):
    for ieee in (False, True):
        if any(map(math.isinf, at.values())) and not ieee:
            continue
        found = parse(text).evaluate(at, ieee=ieee).gradients
        assert all(math.isclose(found[n], g, rel_tol=1e-15) for n, g in gradients.items()), found
    columns = {n: np.array([v, v]) for n, v in at.items()}  # a batch: the same
    batch = evaluate_columns(text, columns)
    assert all(math.isclose(batch[f"grad_{n}"][0], g, rel_tol=1e-15) for n, g in gradients.items())


def test_floor_at_nan_is_nan_as_every_slope_is():
    assert math.isnan(parse("floor(x)").evaluate({"x": math.nan}, ieee=True).gradients["x"])
    assert math.isnan(evaluate_columns("ceil(x)", {"x": np.array([math.nan, 1.5])})["grad_x"][0])


@pytest.mark.parametrize(("text", "values", "message"), [
    ("log2(x)", ["x=0"], "error: log2 of 0.0 (not positive) in 'log2(x)'"),
    ("cot(x)", ["x=0"], "error: cot of 0.0 (a pole) in 'cot(x)'"),
    ("log(x, b)", ["x=2", "b=-2"], "error: log to base -2.0 (a base is positive and not 1) in 'log(x, b)'"),
])
def test_a_domain_error_names_the_value(cli, text, values, message):
    run = cli("eval", text, *values)
    assert run.code == 1 and run.err.startswith(message)


def test_methods_are_listed_and_name_themselves():
    from autodiff_cli import Value

    assert {"atan", "max", "clamp", "erf"} <= set(dir(Value(0.5)))
    with pytest.raises(TypeError, match=r"^Value\.log\(\) got an unexpected keyword argument 'b'"):
        Value(0.5).log(b=2)


def test_an_empty_range_says_why_whatever_made_it_empty(cli):
    # START equal to STOP is empty (STOP is left out), not a STEP leading away.
    run = cli("eval", "x", "--grid", "x=1:1:1", "--format", "csv")
    assert run.code == 0 and "START equal to STOP, or a STEP leading away from STOP, gives none" in run.err


def test_sigmoid_slope_at_large_x_is_not_rounded_to_zero():
    # sigmoid'(40) = sigmoid(40)*sigmoid(-40) = e**-40/(1 + e**-40)**2, where 1 - sigmoid(40) rounds to 0.
    want = float(mp.exp(-40) / (1 + mp.exp(-40)) ** 2)
    assert math.isclose(parse("sigmoid(x)").evaluate({"x": 40.0}).gradients["x"], want, rel_tol=1e-14)
    batch = evaluate_columns("sigmoid(x)", {"x": np.array([40.0, -40.0])})
    assert math.isclose(batch["grad_x"][0], want, rel_tol=1e-14) and math.isclose(batch["grad_x"][1], want,
                                                                                     rel_tol=1e-14)


def test_a_batch_max_of_many_arguments_equals_its_points():
    # The tie count is remembered across a node's inputs: right for every input, ties and nan included.
    text = "max(" + ", ".join(f"{i % 7}*x" for i in range(300)) + ") + min(x, y, x, y)"
    x = np.array([-1.0, 0.0, 0.5, math.nan, 2.0])
    y = np.array([-1.0, 0.0, 1.0, 1.0, math.inf])
    batch = evaluate_columns(text, {"x": x, "y": y})
    expr = parse(text)
    for j in range(len(x)):
        one = expr.evaluate({"x": float(x[j]), "y": float(y[j])}, ieee=True)
        for n in ("x", "y"):
            got, want = batch[f"grad_{n}"][j], one.gradients[n]
            assert (math.isnan(got) and math.isnan(want)) or math.isclose(got, want, rel_tol=1e-14), (j, n, got, want)


HYPOT_POINTS = [(5e-324, 5e-324), (3e-320, 4e-320), (1e-310, 2e-312), (-2e-315, 7e-317), (2.2e-308, 1e-309),
                (-1.7e308, 3.0), (3.0, -4.0)]


def test_hypot_slopes_keep_their_digits_at_subnormal_inputs():
    # d hypot(x, y)/dx = x/hypot(x, y): at subnormal (x, y), hypot(x, y) itself is subnormal
    # and has lost digits (x/hypot(x, y) came out 1.0 at x = y = 5e-324, not 0.7071...).
    # The truth is mpmath at 50 digits; both engines, a point and a batch, within 2 ulps.
    import mpmath
    import numpy as np

    from autodiff_cli.points.columns import evaluate_columns

    mpmath.mp.dps = 50
    xs, ys = (np.array(c) for c in zip(*HYPOT_POINTS, strict=True))
    batch = evaluate_columns("hypot(x, y)", {"x": xs, "y": ys})
    for j, (x, y) in enumerate(HYPOT_POINTS):
        h = mpmath.hypot(mpmath.mpf(x), mpmath.mpf(y))
        truth = {"x": float(mpmath.mpf(x) / h), "y": float(mpmath.mpf(y) / h)}
        point = parse("hypot(x, y)").evaluate({"x": x, "y": y}).gradients
        for n in ("x", "y"):
            for g in (float(batch[f"grad_{n}"][j]), point[n]):
                assert abs(g - truth[n]) <= 2 * math.ulp(truth[n]), (x, y, n, g, truth[n])


def _max_of_powers(n: int) -> str:
    return "max(" + ", ".join(["x", *(f"x**{k}" for k in range(2, n + 1))]) + ")"


def test_diff_of_a_max_of_many_arguments_is_linear_and_has_one_flat_denominator(monkeypatch):
    # Each input's share is its mark over the sum of all marks: the sum is made once for the
    # node, in one step, not once per input by n additions (n**3 work: 300 arguments took 14 s).
    from autodiff_cli.symbolic.canonical import CanonicalBuilder
    from autodiff_cli.symbolic.diff import diff

    printed = diff(_max_of_powers(60))["x"]
    assert printed.count("/(") == 1 and "/(60 - " in printed  # one denominator, the tie count, flat
    # The printed derivative is a program of the language: at x = 1.5 the largest input is
    # x**60, whose slope is 60*x**59; at x = 0.5 it is x, whose slope is 1.
    assert math.isclose(parse(printed).evaluate({"x": 1.5}).value, 60 * 1.5**59, rel_tol=1e-12)
    assert parse(printed).evaluate({"x": 0.5}).value == 1.0
    sums = [0]
    plain = CanonicalBuilder.add
    monkeypatch.setattr(CanonicalBuilder, "add", lambda self, ops: (sums.__setitem__(0, sums[0] + 1),
                                                                   plain(self, ops))[1])
    counts = {}
    for n in (40, 80):
        sums[0] = 0
        diff(_max_of_powers(n))
        counts[n] = sums[0]
    assert counts[80] < 2.5 * counts[40], counts  # linear in the arguments: n**2 or more would be 4x
