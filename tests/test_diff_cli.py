"""`autodiff diff` from the command line: the labels of higher derivatives, the
formats, and where a printed derivative is defined (where the engine's gradient
is, but for the documented 0**y cases)."""

from __future__ import annotations

import json
import math
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autodiff_cli import DomainError, parse
from autodiff_cli.symbolic.diff import diff, hessian, taken_names

from conftest import examples
from strategies import evaluate_point, expressions


def test_higher_derivatives_say_their_order(cli):
    # Was: d/dx = 6*y for the third derivative.
    run = cli("diff", "x**3*y", "--order", "3")
    assert run.code == 0 and run.out == "d^3/dx^3 = 6*y\nd^3/dy^3 = 0\n"
    run = cli("diff", "x**3*y", "--order", "2", "--wrt", "x", "--wrt", "y")
    assert run.out == "d^2/dx^2 = 6*x*y\nd^2/dy^2 = 0\n"
    assert cli("diff", "x**3*y").out == "d/dx = 3*x**2*y\nd/dy = x**3\n"
    assert cli("diff", "x**3*y", "--order", "3", "--wrt", "x").out == "6*y\n"
    data = json.loads(cli("diff", "x**3*y", "--order", "3", "--format", "json").out)
    assert data == {"expression": "x**3*y", "order": 3, "derivatives": {"x": "6*y", "y": "0"}}
    assert json.loads(cli("diff", "x*y", "--format", "json").out)["order"] == 1


def test_printed_derivatives_evaluate_back(cli):
    run = cli("diff", "tanh(w*x + b)", "--wrt", "w", "--order", "2")
    printed = run.out.strip()
    assert printed == "t1 = tanh(b + w*x); 2*x**2*t1*(t1**2 - 1)"
    run = cli("eval", printed, "w=0.5", "x=2", "b=-0.5", "--format", "json")
    t = math.tanh(0.5)
    assert math.isclose(json.loads(run.out)["value"], -2 * 4 * t * (1 - t * t), rel_tol=1e-14)


def test_power_conventions():
    # d/dz 0**tanh(z): the engine's 0 (0**u is 0 or 1 wherever it is defined), not 0**u*log(0).
    assert diff(parse("pow(0, tanh(z))")) == {"z": "0"}
    assert diff(parse("0**x + 2**x")) == {"x": "2**x*log(2)"}
    # d/dy x**y was x**y*log(x): undefined at x = 0, where the engine's gradient is 0.
    printed = diff(parse("x**y"), ["y"])["y"]
    assert printed == "xlogy(x**y, x)"
    for x, y in ((0.0, 2.0), (0.0, 0.5), (2.0, 3.0), (0.5, -1.5)):
        want = parse("x**y").evaluate({"x": x, "y": y}, ieee=True).gradients["y"]  # d/dx is inf at (0, 0.5)
        assert parse(printed).forward({"x": x, "y": y}) == want == (0.0 if x == 0 else x**y * math.log(x))
    # A negative base: log(x) is undefined in both.
    assert math.isnan(parse("x**y").evaluate({"x": -2.0, "y": 3.0}, ieee=True).gradients["y"])
    assert math.isnan(parse(printed).evaluate({"x": -2.0, "y": 3.0}, ieee=True).value)
    # At 0**0, the one point left, both are PyTorch's 0 in the engine and undefined printed.
    assert parse("x**y").evaluate({"x": 0.0, "y": 0.0}).gradients == {"x": 0.0, "y": 0.0}
    for printed in diff(parse("x**y")).values():
        try:
            parse(printed).forward({"x": 0.0, "y": 0.0})
        except DomainError:
            continue
        raise AssertionError(f"the README says {printed} is undefined at 0**0")
    # Where the base is 0 the exponent is too (x**x): xlogy would not help, log reads better.
    assert diff(parse("x**x")) == {"x": "x**x*(log(x) + 1)"}
    assert diff(parse("(x + 1)**y"), ["y"]) == {"y": "xlogy((x + 1)**y, x + 1)"}


def test_xlogy_is_x_log_y_and_0_at_x_0():
    # By hand: 2*log(3); 0 where x == 0 whatever y is (SciPy's and PyTorch's xlogy).
    at = parse("xlogy(x, y)").evaluate({"x": 2.0, "y": 3.0})
    assert at.value == 2.0 * math.log(3.0) and at.gradients == {"x": math.log(3.0), "y": 2.0 / 3.0}
    for y in (0.0, -1.0, 5.0):
        at = parse("xlogy(x, y)").evaluate({"x": 0.0, "y": y})
        assert at.value == 0.0 and at.gradients == {"x": math.log(y) if y > 0 else 0.0, "y": 0.0}
    try:
        parse("xlogy(x, y)").forward({"x": 1.0, "y": 0.0})
    except DomainError as exc:
        assert "xlogy" in str(exc)
    else:
        raise AssertionError("xlogy(1, 0) is log(0)")
    assert diff(parse("xlogy(x, y)")) == {"x": "log(y)", "y": "x/y"}
    assert diff(parse("xlogy(3, y) + xlogy(x, 2) + xlogy(0, y)")) == {"y": "3/y", "x": "log(2)"}


def _convention_noted(result) -> bool:
    """Whether eval said it used a convention no printed closed form reproduces: 0**0, or
    xlogy(0, y <= 0) (the README's two exceptions)."""
    return any("0**0" in note or "xlogy" in note for note in result.notes)


@settings(max_examples=examples(300), deadline=None)
@given(expressions, st.fixed_dictionaries({v: st.sampled_from([0.0, 1.0, -1.0, 0.5, -2.0, 2.5]) for v in "xyz"}))
def test_printed_derivative_is_defined_where_the_engines_gradient_is(text, at):
    # Simplification may only make a derivative defined where it was not (x/x is 1);
    # where the engine's gradient is defined, so is the printed one, and they agree,
    # unless eval's own note says it used the convention at 0**0 or at xlogy(0, y <= 0).
    # relu'(0) = 0 and abs'(0) = 0 are printed as they are used: relu(sign(x)), sign(x).
    expr, values, result = evaluate_point(text, at, smooth=False)
    assume(all(math.isfinite(g) for g in result.gradients.values()) and expr.variables)
    for name, printed in diff(expr).items():
        again = parse(printed)
        try:
            # Its value only: the printed derivative's own gradient may overflow where it is finite.
            got = again.forward({k: v for k, v in values.items() if k in again.variables})
        except DomainError:
            assert _convention_noted(result), (text, name, printed, values)
            continue
        want = result.gradients[name]
        if not _convention_noted(result):
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, abs(want))), (text, name, printed)


def test_printing_is_a_fixed_point_where_operands_tie():
    # Was: (z - y)*(y + 1), read back, printed (y + 1)*(z - y): both sums start with y,
    # and the tie went to whichever was made first.
    from autodiff_cli.symbolic.diff import to_text
    from autodiff_cli.symbolic.reverse import SymbolicGraph

    for text, want in (("((y) - (z))*((1) - ((y) + (2)))", "(z - y)*(y + 1)"),
                       ("(y + 2)*(y + 1)", "(y + 1)*(y + 2)"), ("(y + 1)*(y + 2)", "(y + 1)*(y + 2)"),
                       # hash(-1) == hash(-2) in Python: the shapes of y - z and y - 2*z were one.
                       ("(y + y)*(y + -z)*(y + -z + -z)", "2*y*(y - 2*z)*(y - z)")):
        graph = SymbolicGraph()
        expr = parse(text)
        graph.add_input(expr)
        printed = to_text(graph.canon(expr.output))
        again = parse(printed)
        graph.add_input(again)
        assert printed == want and to_text(graph.canon(again.output)) == printed, text


def test_second_derivatives_at_a_zero_base_as_the_readme_says():
    # --hessian follows the conventions (0 at x = 0, y = 2); the printed d2/dy2 does not.
    assert parse("x**y").evaluate({"x": 0.0, "y": 2.0}).gradients["y"] == 0.0
    assert hessian("x**y", {"x": 0.0, "y": 2.0})["y"]["y"] == 0.0
    printed = diff(parse("x**y"), ["y"], order=2)["y"]
    assert printed == "log(x)*xlogy(x**y, x)"
    assert math.isclose(parse(printed).forward({"x": 2.0, "y": 3.0}), 8 * math.log(2.0) ** 2, rel_tol=1e-15)
    try:
        parse(printed).forward({"x": 0.0, "y": 2.0})
    except DomainError:
        return
    raise AssertionError("the README says log(x)*xlogy(x**y, x) is undefined at x = 0")


def test_no_factor_is_lost_where_a_power_of_a_product_merges():
    # Was: -(y/z)**(1/3)/(3*z), without exp(y): merging y/z into (y/z)**(-2/3) dropped
    # every factor with a symbolic exponent (exp(y), 2**y, 0**y).
    cases = [("(y/z)**(1/3)*exp(y)", "z", {"y": 2.0, "z": 1.0}), ("(y/z)**(1/3)*2**y", "z", {"y": 2.0, "z": 1.5}),
             ("w*x*y*sqrt(x*y)*exp(y)", "w", {"w": 1.0, "x": 2.0, "y": 3.0}),
             ("((y*y)**(x**3))**sqrt(x*y)", "y", {"x": 1.0, "y": 2.0}),
             ("(y/z)**(1/3)*0**y", "z", {"y": 2.0, "z": 1.0})]
    for text, name, at in cases:
        printed = diff(parse(text), [name])[name]
        want = parse(text).evaluate(at).gradients[name]
        got = parse(printed).forward({k: v for k, v in at.items() if k in parse(printed).variables})
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-300), (text, printed, got, want)
    assert diff(parse("(y/z)**(1/3)*exp(y)"), ["z"])["z"] == "-(y/z)**(1/3)*exp(y)/(3*z)"


sums = st.lists(st.tuples(st.booleans(), st.sampled_from(["y", "z", "1", "2", "y**2", "exp(y)", "log(y)", "y**z"])),
                min_size=2, max_size=3).map(lambda terms: "(" + " + ".join(("-" if neg else "") + t for neg, t in terms)
                                            + ")")


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(sums, min_size=2, max_size=3))
def test_products_of_sums_print_as_a_fixed_point(factors):
    # Was: (-2 + y)*(-1 + -y) printed (2 - y)*(y + 1), which printed (y + 1)*(2 - y): the
    # printer moved the product's sign into a sum after the order was decided.
    from autodiff_cli.symbolic.diff import to_text
    from autodiff_cli.symbolic.reverse import SymbolicGraph

    def printed(text: str) -> str:
        graph = SymbolicGraph()
        expr = parse(text)
        graph.add_input(expr)
        return to_text(graph.canon(expr.output))

    once = printed("*".join(factors))
    assert printed(once) == once, ("*".join(factors), once)


def test_a_sum_and_its_opposite_are_one_base():
    # (z - 1)*(1 - z) printed (z - 1)*(z - 1), which reads back as (z - 1)**2.
    assert diff(parse("w*(z - 1)*(1 - z)"), ["w"]) == {"w": "-(z - 1)**2"}
    assert diff(parse("w*(z - 1)**3*(1 - z)**2"), ["w"]) == {"w": "(z - 1)**5"}


def test_xlogy_edges_check_nan_and_the_python_api(cli):
    from autodiff_cli import Value

    # 0 where x == 0, but nan stays nan (SciPy, PyTorch).
    data = json.loads(cli("eval", "xlogy(x, y)", "x=0", "y=nan", "--ieee", "--format", "json").out)
    assert data["value"] is None
    # check: at xlogy(0, 0) no finite difference exists for x; a note says why it fails.
    run = cli("check", "xlogy(x, y)", "x=0", "y=0")
    assert run.code == 1 and "no finite difference exists" in run.err and "xlogy'(0, <= 0) = 0 used" in run.err
    # --hessian differentiates the printed log(y): undefined at y <= 0 (the README says so).
    run = cli("eval", "xlogy(x, y)", "x=0", "y=-1", "--hessian")
    assert run.code == 1 and run.out == "" and run.err.splitlines() == [
        "error: log of a non-positive number in the derivative with respect to 'x', at a point where eval's "
        "gradient is a convention (xlogy'(0, <= 0) = 0) with no derivative"]
    # So does x**x at 0: the error names the convention, as eval's note does.
    run = cli("eval", "x**x", "x=0", "--hessian")
    assert run.code == 1 and run.err.endswith("a convention (d(x**y)/dy = 0 at 0**0) with no derivative\n")
    # Elsewhere a failing second derivative says nothing of conventions.
    run = cli("eval", "abs(x)**1.5", "x=0", "--hessian")
    assert run.code == 1 and run.err == "error: undefined gradient (nan) in the derivative with respect to 'x'\n"
    # The graph says which input is in the log.
    dot = cli("graph", "xlogy(y, x)", "-o", "-", "--format", "dot").out
    assert "n1 -> n2_op [label=log]" in dot and "n0 -> n2_op [label=factor]" in dot
    # v.xlogy(y), as PyTorch has it; a wrong count is a TypeError, not a lambda's.
    assert Value(2.0).xlogy(3.0).data == 2.0 * math.log(3.0)
    try:
        Value(2.0).xlogy()
    except TypeError as exc:
        assert "xlogy() takes 1 argument, got 0" in str(exc)
    else:
        raise AssertionError("xlogy needs its y")


def test_labelled_lines_put_named_intermediates_after_the_expression(cli):
    # Was: d^2/dw^2 = t1 = tanh(b + w*x); ..., which reads as d^2/dw^2 = t1.
    run = cli("diff", "tanh(w*x + b)", "--order", "2", "--wrt", "w", "--wrt", "b")
    assert run.out == ("d^2/dw^2 = 2*x**2*t1*(t1**2 - 1), where t1 = tanh(b + w*x)\n"
                       "d^2/db^2 = 2*t1*(t1**2 - 1), where t1 = tanh(b + w*x)\n")
    latex = cli("diff", "tanh(w*x + b)", "--order", "2", "--wrt", "w", "--wrt", "b", "--format", "latex").out
    first = r"\frac{\partial^{2} f}{\partial w^{2}} = 2 x^{2} t_{1} \left(t_{1}^{2} - 1\right), "
    assert latex.splitlines()[0] == first + r"\quad\text{where } t_{1} = \tanh\left(b + w x\right)"
    # One variable: still the program autodiff reads back.
    one = cli("diff", "tanh(w*x + b)", "--order", "2", "--wrt", "w").out
    assert one == "t1 = tanh(b + w*x); 2*x**2*t1*(t1**2 - 1)\n"


def test_the_functions_are_listed_where_a_person_looks(cli):
    from autodiff_cli.base.ops import FUNCTIONS

    text = " ".join(cli("--help").out.split())  # as wrapped to the width
    assert all(name in text for name in FUNCTIONS) and "xlogy(x, y)" in text and "pow(x, y)" in text
    run = cli("eval", "foo(x)", "x=1")
    assert run.code == 2 and f"(the functions: {', '.join(FUNCTIONS)})" in run.err.splitlines()[0]
    assert "did you mean 'tanh'?" in cli("eval", "tanhh(x)", "x=1").err


def test_a_note_at_0_to_the_0_where_the_exponent_varies(cli):
    # d(x**y)/dy = 0 at 0**0 is PyTorch's convention (0**y is 1 at y = 0, 0 for y > 0);
    # it was silent, and check "x**x" x=0 failed with no word on why.
    note = "note: d(x**y)/dy = 0 at 0**0 used at 'x**x' (line 1, column 1) (PyTorch's convention)"
    run = cli("eval", "x**x", "x=0", "--format", "json")
    assert json.loads(run.out)["gradients"] == {"x": 0.0} and run.err.splitlines() == [note]
    assert cli("eval", "x**y", "x=0", "y=2").err == ""  # 0**y for y > 0 is 0 all along: a true slope
    assert cli("eval", "x**2", "x=0").err == "" and cli("eval", "x**0", "x=0").err == ""  # constant exponents
    run = cli("eval", "x**y", "--grid", "x=0:2:1", "--grid", "y=0:2:1", "--format", "csv")
    assert run.err.splitlines() == ["note: d(x**y)/dy = 0 at 0**0 used at 1 point (PyTorch's convention)"]
    run = cli("check", "x**x", "x=0")
    assert run.code == 1 and "sits where the expression is defined on one side only" in run.err


def _reprinted(text: str) -> str:
    from autodiff_cli.symbolic.diff import to_text
    from autodiff_cli.symbolic.reverse import SymbolicGraph

    graph = SymbolicGraph()
    expr = parse(text)
    graph.add_input(expr)
    return to_text(graph.canon(expr.output), taken_names(expr))


def test_a_sum_comes_before_its_opposite():
    # Was: -sign(y)*(1/(tan(x) - abs(y)) + 1/(abs(y) - tan(x))) printed again with the two
    # terms swapped: a sum and its opposite tied, and the first made went first.
    # The two fractions now cancel over their common denominator (the input is 1): the
    # derivative is 0; the old text still reads back as itself.
    assert diff(parse("((tan(x)) - (abs(y)))/((tan(x)) - (abs(y)))"), ["y"])["y"] == "0"
    printed = "-sign(y)*(1/(abs(y) - tan(x)) + 1/(tan(x) - abs(y)))"
    assert _reprinted(printed) == printed


@settings(max_examples=examples(300), deadline=None)
@given(expressions)
def test_printed_derivatives_read_back_print_a_fixed_point(text):
    # A derivative is printed from its own form, so read back it may print otherwise (a sum
    # over a common divisor, (a + 3*b)/3, reads back as the sum a/3 + b); once read back, the
    # printed text is a fixed point.
    try:
        printed = diff(parse(text))
    except DomainError:
        return
    for derivative in printed.values():
        once = _reprinted(derivative)
        assert _reprinted(once) == once, (text, derivative, once)


def test_coefficients_that_would_overflow_are_not_folded(cli):
    # Was: x*inf, where inf reads back as a variable; eval's gradient is 5e+307.
    for text, at in (("y*(1e308*x + 1e308*x - 1e308*x)", {"x": 0.5, "y": 1.0}),
                     ("y*(1e308*x + 1e308*x - (1e308*x + 1e308*x))", {"x": 0.5, "y": 1.0})):
        printed = diff(parse(text), ["y"])["y"]
        assert "inf" not in printed
        want = parse(text).evaluate(at, ieee=True).gradients["y"]  # d/dx overflows in the second
        assert parse(printed).forward({"x": at["x"]}) == want, (text, printed)
    run = cli("diff", "y*1e309", "--wrt", "y")  # as eval says, not a printed "inf"
    assert run.code == 1 and run.out == "" and run.err.startswith("error: number too large in '1e309'")
    # A gradient that is a sum of finite shares overflowing: an error, not a silent -inf.
    run = cli("eval", "y*(1e308*x+1e308*x - (1e308*x+1e308*x))", "x=0.5", "y=1", "--format", "json")
    assert run.code == 1 and run.out == "" and run.err.startswith("error: infinite gradient")


def test_the_0_to_the_0_note_counts_points_and_needs_a_varying_exponent(cli, tmp_path):
    for text in ("pow(x, 0)", "x**(1 - 1)", "x**(2*0)"):  # no slope in a constant exponent
        assert cli("eval", text, "x=0").err == "", text
    data = tmp_path / "points.csv"
    data.write_text("x,y\n0,0\n1,1\n")
    run = cli("eval", "x**y + y**x", "--input", str(data), "--format", "csv")
    assert run.err.splitlines() == ["note: d(x**y)/dy = 0 at 0**0 used at 1 point (PyTorch's convention)"]


def test_a_named_intermediate_never_reads_like_a_variable_in_latex(cli):
    # Was: the variable t_1 and the intermediate t1 both t_{1}.
    run = cli("diff", "t_1*tanh(w*x+b)", "--order", "2", "--wrt", "w", "--format", "latex")
    assert run.out == r"t_{2} = \tanh\left(b + w x\right);\quad 2 t_{1} x^{2} t_{2} \left(t_{2}^{2} - 1\right)" + "\n"


def test_a_constant_called_as_a_function_says_so(cli):
    run = cli("eval", "pi(x)", "x=1")
    assert run.code == 2 and run.err.splitlines()[0] == (
        "error: 'pi' is a constant, not a function: to multiply, write pi*(...) at line 1, column 1")


def test_float_folds_that_would_underflow_are_not_made(cli):
    # 1e-200*1e-200 is 0 in floats: folded, d/dx 1/(x*1e-200) printed -1e-200/0, everywhere undefined.
    for text, at in (("1/(x*1e-200)", 1e100),
                     ("x*1e-300*1e-300", 1.0), ("(x*1e-200)**2", 1e150), ("x*2*5e-324", 1.0),
                     # A division where the reciprocal alone overflows; one fold making room for another.
                     ("-1e-160/4.9e-324*log(x)", 0.001), ("x*1e-300*(1e-200/1e-320)", 1.0),
                     ("x*5e-324*(1e-200/1e-320)", 1.0)):
        printed = diff(parse(text))["x"]
        assert "/0" not in printed and printed != "0", (text, printed)
        want = parse(text).evaluate({"x": at}).gradients["x"]
        got = parse(printed).forward({"x": at} if "x" in parse(printed).variables else {})
        assert math.isclose(got, want, rel_tol=1e-12), (text, printed, got, want)
    # relu of a negative number is exactly 0, so x**relu(-1) is 1 and its derivative 0, also at x = 0.
    assert diff(parse("x**relu(-1)")) == {"x": "0"}
    assert diff(parse("x*exp(-1000)")) == {"x": "exp(-1000)"}  # 0 in floats, not in fact: not folded


def test_diff_fails_where_eval_fails_without_variables(cli):
    # x + 1/0 is nowhere defined: diff said 1.
    for text in ("x + 1/0", "x*sqrt(-1)", "a = log(0); x", "x*exp(1000)", "x*1e309"):
        want = cli("eval", text, "x=1")
        run = cli("diff", text)
        assert (run.code, run.out, run.err) == (want.code, "", want.err) and want.code == 1, (text, run, want)


HUGE = [  # (expression, point, d/dx by hand in exact rationals)
    ("x*3**600/5**400*3**600/5**400", 0.5, lambda x: Fraction(3) ** 1200 / Fraction(5) ** 800),
    ("x**2*3**600/5**400*3**600/5**400 + x", 0.5, lambda x: 2 * x * Fraction(3) ** 1200 / Fraction(5) ** 800 + 1),
    ("x**2/2 + x*7**300/2**700*7**300/2**700", 1.5, lambda x: x + Fraction(7) ** 600 / Fraction(2) ** 1400),
    ("y*x*3**500*(3**500/2**1000)*(3**500/2**900)", 0.25, lambda x: Fraction(3) ** 1500 / Fraction(2) ** 1900),
]


def test_printed_numbers_too_big_for_a_float_still_evaluate(cli):
    # Was: `diff "x*3**600/5**400*3**600/5**400"` printed a 573-digit integer over a
    # 560-digit one, which eval reads as an overflow; eval's own gradient is 2.3e13.
    for text, x, want in HUGE:
        printed = cli("diff", text, "--wrt", "x").out.strip()
        assert len(printed) < 60, printed
        values = [f"{name}={ {'x': x, 'y': 2}[name]!r}" for name in parse(printed).variables]
        run = cli("eval", printed, *values, "--format", "json")
        assert run.code == 0, (printed, run.err)
        got = json.loads(run.out)["value"]
        exact = float(want(Fraction(x)) * (2 if "y" in text else 1))
        assert math.isclose(got, exact, rel_tol=1e-14), (text, got, exact)
        given = [f"x={x!r}"] + (["y=2"] if "y" in text else [])
        gradient = json.loads(cli("eval", text, *given, "--format", "json").out)["gradients"]["x"]
        assert math.isclose(got, gradient, rel_tol=1e-12)
