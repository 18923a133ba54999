"""`autodiff check`: finite differences against the engine, and a wrong rule caught."""

from __future__ import annotations

import json

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


def test_where_floats_are_too_coarse_a_note_says_so(cli):
    # Near 1e12 floats are 2**-13 apart, wider than the 6e-6 step sin needs: the check fails, and says why.
    run = cli("check", "sin(x)", "x=1e12")
    assert run.code == 1 and run.err.splitlines() == [
        f"note: 'x' sits at 1e+12, where floats are {2.0**-13:.3g} apart: too coarse for a difference to follow "
        "a function that turns on a scale of 1 (sin, cos), which needs a step near 6.06e-06",
        "error: the gradient check failed for 'x'"]
    assert cli("check", "sin(x)", "x=1e9").code == 0  # fine below that: no note
    assert cli("check", "x**2", "x=1e12").err == ""  # and none where the check passes
