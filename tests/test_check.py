"""`autodiff check`: finite differences against the engine, and a wrong rule caught."""

from __future__ import annotations

import json
import math

import pytest

from autodiff_cli import parse
from autodiff_cli.base import ops
from autodiff_cli.points.check import check_gradients

from test_ops import COMPUTED, points, source


@pytest.mark.parametrize("name", COMPUTED)
@pytest.mark.parametrize("method", ["central", "forward"])
def test_passes_on_every_function_in_its_domain(name, method):
    expr = parse(source(name))
    for at in points(name, 15):
        _, checks = check_gradients(expr, at, method)
        assert all(c.ok for c in checks.values()), (name, at, checks)


@pytest.mark.parametrize("x", ["1e-9", "1e-3", "1", "1e6", "-1e6"])
@pytest.mark.parametrize("text", ["sqrt(abs(x))*3 + 1", "log(abs(x))", "1 + x", "exp(x/abs(x))*x**2", "x**3"])
def test_trustworthy_at_every_magnitude(cli, text, x):
    run = cli("check", text, f"x={x}", "--format", "json")
    assert run.code == 0, (run.out, run.err)
    assert json.loads(run.out)["ok"] is True


def test_wrong_rule_is_caught(cli, monkeypatch):
    tanh = ops.OPS["tanh"]
    wrong = ops.Op(tanh.name, tanh.symbol, tanh.kind, tanh.arity, tanh.forward,
                   grads=(lambda m, o, x: 1.0 - o,), kink=tanh.kink)  # should be 1 - o**2
    monkeypatch.setitem(ops.OPS, "tanh", wrong)
    run = cli("check", "tanh(w*x + b)", "w=0.5", "x=2", "b=-0.5", "--format", "json")
    assert run.code == 1
    data = json.loads(run.out)
    assert data["ok"] is False and not any(c["ok"] for c in data["checks"].values())
    run = cli("check", "tanh(w*x + b)", "w=0.5", "x=2", "b=-0.5")
    assert run.code == 1 and "FAIL" in run.out and "MISMATCH" in run.out
    assert run.err.splitlines()[-1] == "error: the gradient check failed for 'w', 'x', 'b'"


def test_json_shape_and_lecture(cli):
    run = cli("check", "a*(b+c*d)", "--a", "-2", "--b", "10", "--c", "2", "--d", "-3", "--format", "json")
    data = json.loads(run.out)
    assert list(data) == ["expression", "value", "ok", "checks"]
    assert data["value"] == -8.0 and data["ok"] is True
    assert list(data["checks"]) == ["a", "b", "c", "d"]
    assert {k: v["analytic"] for k, v in data["checks"].items()} == {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}
    assert all(abs(v["numeric"] - v["analytic"]) == v["error"] for v in data["checks"].values())


def test_lecture_forward_difference_with_fixed_step(cli):
    # The lecture: h = 0.001 on 3x^2 - 4x + 5 at 3 gives (f(3.001) - f(3))/0.001 = 14.003.
    run = cli("check", "3*x**2 - 4*x + 5", "x=3", "--method", "forward", "--step", "0.001", "--format", "json")
    numeric = json.loads(run.out)["checks"]["x"]["numeric"]
    assert abs(numeric - 14.003) < 1e-9
    assert run.code == 0  # relative error 2e-4: within the forward default (1e-3)
    run = cli("check", "3*x**2 - 4*x + 5", "x=3", "--method", "forward", "--step", "0.001", "--rtol", "1e-5")
    assert run.code == 1 and "FAIL" in run.out


def test_one_sided_at_a_domain_edge(cli):
    # x - h < 0: only the forward difference exists (and with so large a step it is far off).
    run = cli("check", "sqrt(x)", "x=1e-7", "--step", "1e-6", "--format", "json")
    assert "used a forward difference" in run.err
    numeric = json.loads(run.out)["checks"]["x"]["numeric"]
    assert numeric == (1.1e-6**0.5 - 1e-7**0.5) / 1e-6 or abs(numeric / ((1.1e-6**0.5 - 1e-7**0.5) / 1e-6) - 1) < 1e-9
    assert run.code == 1
    # The default step adapts to x and stays on the defined side.
    run = cli("check", "sqrt(x)", "x=1e-7", "--format", "json")
    assert run.code == 0 and run.err == ""


@pytest.mark.parametrize(("args", "message"), [(["--step", "0"], "--step must be"), (["--rtol", "-1"], "--rtol must"),
                                                (["--method", "sideways"], "error: ")])
def test_bad_options(cli, args, message):
    run = cli("check", "x**2", "x=1", *args)
    assert run.code == 2 and message in run.err


def test_domain_error_at_the_point(cli):
    run = cli("check", "log(x)", "x=0")
    assert run.code == 1 and "log of a non-positive number" in run.err


def test_where_floats_are_too_coarse_a_note_says_so_and_nothing_fails(cli):
    # Near 1e16 floats are 2 apart: no step can follow sin, which turns on a scale of 1.
    run = cli("check", "sin(x)", "x=1e16", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["ok"] is True
    [note] = run.err.splitlines()
    assert note.startswith("note: 'x' cannot be checked at this point: floats near 1e+16 are 2 apart, too coarse")
    assert note.endswith("; not counted as a failure")
    # Near 1e12 (floats 2**-13 apart) a step of two of them follows it: checked, and right.
    run = cli("check", "sin(x)", "x=1e12", "--format", "json")
    checked = json.loads(run.out)["checks"]["x"]
    assert run.code == 0 and run.err == "" and abs(checked["numeric"] / math.cos(1e12) - 1) < 1e-6
    assert cli("check", "x**2", "x=1e16").err == ""  # and no note where the check passes


@pytest.mark.parametrize(("text", "x"), [("log(1+x)", "1e-16"), ("exp(x) - 1", "1e-20"), ("log(1 + x)", "-1e-17"),
                                         ("exp(x) - 1", "3.7e-300")])
def test_right_where_the_value_rounds_to_zero(cli, text, x):
    # f(x) is exactly 0, but 1 + x and exp(x) round at 1: d/dx is 1/(1+x) = exp(x) = 1 to 1e-16.
    run = cli("check", text, f"x={x}", "--format", "json")
    checked = json.loads(run.out)["checks"]["x"]
    assert run.code == 0 and run.err == "" and abs(checked["numeric"] - 1) < 1e-9, (run.out, run.err)


@pytest.mark.parametrize("text", ["log(1+x)", "exp(x) - 1", "log(1 + x) - x"])
def test_passes_from_1e_300_to_1_where_the_value_rounds_to_zero(text):
    # log(1+x) and exp(x) - 1 are 0 (or x) in float64 for |x| below 1e-16: every point is judged, and passes.
    expr = parse(text)
    tried = 0
    for k in range(-300, 1, 3):
        for x in (10.0**k, 3.7 * 10.0**k, -(10.0**k) / 2):
            for method in ("central", "forward"):
                _, checks = check_gradients(expr, {"x": x}, method)
                assert checks["x"].ok and checks["x"].judged, (text, x, method, checks)
                tried += 1
    assert tried > 500


def test_a_wrong_rule_is_still_caught_where_the_value_rounds_to_zero(cli, monkeypatch):
    # The same point as above, with exp's rule off by 0.1%: the mismatch is a failure, not "cannot be checked".
    exp = ops.OPS["exp"]
    monkeypatch.setitem(ops.OPS, "exp", ops.Op(exp.name, exp.symbol, exp.kind, exp.arity, exp.forward,
                                               grads=(lambda m, o, x: 1.001 * o,)))
    run = cli("check", "exp(x) - 1", "x=1e-20", "--format", "json")
    assert run.code == 1 and json.loads(run.out)["ok"] is False
    assert run.err == "error: the gradient check failed for 'x'\n"


def test_where_the_value_rounds_more_than_a_variable_moves_it(cli):
    # x**2 + y**2 at x = 1e8 is 1e16, whose floats are 2 apart; y**2 changes by far less over any
    # step that follows it: y cannot be judged (a note, not a failure); x is checked and passes.
    run = cli("check", "x**2 + y**2", "x=1e8", "y=-1.5", "--format", "json")
    data = json.loads(run.out)
    assert run.code == 0 and data["ok"] is True and data["checks"]["x"]["ok"] is True
    assert data["checks"]["y"]["analytic"] == -3.0
    [note] = run.err.splitlines()
    assert note.startswith("note: 'y' cannot be checked at this point: the expression's value rounds by about 4.44")
    _, checks = check_gradients(parse("x**2 + y**2"), {"x": 1e8, "y": -1.5})
    assert checks["x"].judged and not checks["y"].judged and checks["y"].ok


def test_a_subnormal_point(cli):
    # sqrt(x) at 1e-320: a step of two of x's last places (1e-323) is a relative step of 1e-3,
    # fine for a central difference (error ~ (h/x)**2/8); the slope is 0.5/sqrt(1e-320).
    run = cli("check", "sqrt(x)", "x=1e-320", "--format", "json")
    checked = json.loads(run.out)["checks"]["x"]
    assert run.code == 0 and run.err == ""
    assert abs(checked["numeric"] / (0.5 / math.sqrt(1e-320)) - 1) < 1e-5


@pytest.mark.parametrize("text", ["sin(x) + x", "x + cos(x)", "x*sin(x)"])
@pytest.mark.parametrize("method", ["central", "forward"])
def test_a_right_gradient_at_large_x_is_never_failed(text, method):
    # Steps that span many turns of sin average it away at both steps, and agree on the wrong slope: the
    # check must look again with a step the function can be followed over, or say it cannot judge.
    slope = {"sin(x) + x": lambda x: math.cos(x) + 1, "x + cos(x)": lambda x: 1 - math.sin(x),
             "x*sin(x)": lambda x: math.sin(x) + x * math.cos(x)}[text]
    expr = parse(text)
    for k in range(0, 21):
        for x in (10.0**k, -3.7 * 10.0**k):
            _, checks = check_gradients(expr, {"x": x}, method)
            c = checks["x"]
            assert c.ok, (text, x, method, c)
            if c.judged and abs(slope(x)) > 1e-3:  # judged: the difference itself agrees with the maths
                assert abs(c.numeric / slope(x) - 1) < 1e-2, (text, x, method, c)


def test_sin_plus_x_at_1e16_is_a_note_not_a_failure(cli):
    run = cli("check", "sin(x)+x", "x=1e16", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["ok"] is True, (run.out, run.err)
    assert json.loads(run.out)["checks"]["x"]["analytic"] == math.cos(1e16) + 1
    [note] = run.err.splitlines()
    assert note.startswith("note: 'x' cannot be checked at this point: floats near 1e+16 are 2 apart")
    # At 1e9 a step of a few thousandths follows sin through the rounding of f: judged, and right.
    run = cli("check", "sin(x)+x", "x=1e9", "--format", "json")
    checked = json.loads(run.out)["checks"]["x"]
    assert run.code == 0 and run.err == "" and abs(checked["numeric"] / (math.cos(1e9) + 1) - 1) < 1e-5


@pytest.mark.parametrize("x", ["1e9", "1e12", "3"])
def test_a_wrong_rule_is_still_caught_at_large_x(cli, monkeypatch, x):
    # sin's rule with the wrong sign: the slope 1 - cos(x) is not 1 + cos(x) at any of these points.
    sin = ops.OPS["sin"]
    monkeypatch.setitem(ops.OPS, "sin", ops.Op(sin.name, sin.symbol, sin.kind, sin.arity, sin.forward,
                                               grads=(lambda m, o, x: -m.cos(x),)))
    run = cli("check", "sin(x)+x", f"x={x}", "--format", "json")
    assert run.code == 1 and json.loads(run.out)["ok"] is False, (run.out, run.err)
    assert run.err == "error: the gradient check failed for 'x'\n"


@pytest.mark.parametrize(("y", "x", "slope", "side"), [(0.0, -1.0, -1.0, "forward"), (-0.0, -2.0, -0.5, "backward"),
                                                      (0.0, -4.0, -0.25, "forward")])
def test_atan2_on_its_branch_cut_is_checked_on_the_side_the_point_belongs_to(y, x, slope, side):
    # d atan2(y, x)/dy = x/(x**2 + y**2): -1/x... at y = 0, x < 0, where atan2 jumps by 2*pi
    # (atan2(+0.0, -1) = pi, atan2(-0.0, -1) = -pi): the sign of the zero says which side is the point's.
    _, checks = check_gradients(parse("atan2(y, x)"), {"y": y, "x": x})
    c = checks["y"]
    assert c.ok and c.judged and c.method == side and c.belongs
    assert c.analytic == slope and abs(c.numeric - slope) <= 1e-6
    assert "jump of the function (by 6.28319" in c.note


def test_a_kink_at_the_branch_cut_is_checked_on_the_points_side():
    # y*atan2(y, x) at y = +0, x = -1: the slope is atan2(+0, -1) + y*x/(x**2 + y**2) = pi on the
    # right, and -pi on the left, where atan2 is -pi: a kink no central difference sees (it gives 0).
    for y, slope, side in ((0.0, math.pi, "forward"), (-0.0, -math.pi, "backward")):
        _, checks = check_gradients(parse("y*atan2(y, x)"), {"y": y, "x": -1.0})
        c = checks["y"]
        assert c.ok and c.judged and c.method == side and abs(c.numeric - slope) < 1e-6
        assert f"slope on its {'left' if side == 'forward' else 'right'} is {-slope:.6g}" in c.note


@pytest.mark.parametrize(("text", "x", "truth"), [
    ("asin(x)", 1 - 1e-10, lambda x: 1 / math.sqrt((1 - x) * (1 + x))),  # asin' = 1/sqrt(1 - x**2)
    ("asin(x)", -1 + 1e-10, lambda x: 1 / math.sqrt((1 - x) * (1 + x))),
    ("acos(x)", 1 - 1e-9, lambda x: -1 / math.sqrt((1 - x) * (1 + x))),
    ("acosh(x)", 1 + 1e-10, lambda x: 1 / math.sqrt((x - 1) * (x + 1))),  # acosh' = 1/sqrt(x**2 - 1)
    ("log(x - 1)", 1 + 1e-10, lambda x: 1 / (x - 1)),  # x - 1 is exact (Sterbenz)
    ("sqrt(x - 2)", 2 + 1e-9, lambda x: 0.5 / math.sqrt(x - 2)),
])
def test_near_a_domain_edge_the_step_fits_inside_the_domain(text, x, truth):
    # The usual step (6e-6) leaves the domain: a one-sided difference over it spans the edge's
    # steep part (808 for asin's 70,711 at 1 - 1e-10). A central one over a step inside is right.
    _, checks = check_gradients(parse(text), {"x": x})
    c = checks["x"]
    assert c.ok and c.judged and c.method == "central"
    assert math.isclose(c.numeric, truth(x), rel_tol=1e-6) and math.isclose(c.analytic, truth(x), rel_tol=1e-12)


def test_too_near_a_domain_edge_the_note_names_the_edge():
    # acosh at 1 + 1e-14: the edge is 45 floats away, too few for a difference to follow 1/sqrt(x**2 - 1).
    _, checks = check_gradients(parse("acosh(x)"), {"x": 1 + 1e-14})
    c = checks["x"]
    assert c.ok and not c.judged and "domain edge" in c.note
