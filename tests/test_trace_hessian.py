"""`eval --trace` (the backward pass by hand) and `eval --hessian`."""

from __future__ import annotations

import csv
import io
import json
import math

import sympy
from hypothesis import assume, given, settings

from autodiff_cli import parse
from autodiff_cli.symbolic.diff import hessian

from conftest import examples
from strategies import SYMBOLS, conditioning, evaluate_point, expressions, pairs, points

LECTURE = ["e = c*d; f = b + e; L = a*f", "a=-2", "b=10", "c=2", "d=-3"]


def test_trace_of_the_lecture(cli):
    run = cli("eval", *LECTURE, "--trace", "--format", "json")
    assert run.code == 0, run.err
    trace = json.loads(run.out)["trace"]
    # Reverse topological order, as the lecture does it: L, then f, then e.
    assert [(s["node"], s["op"], s["gradient"]) for s in trace] == [("L", "*", 1.0), ("f", "+", -2.0),
                                                                    ("e", "*", -2.0)]
    # L = a*f: dL/da = f = 4, dL/df = a = -2; f = b + e: local 1; e = c*d: de/dc = d = -3, de/dd = c = 2.
    assert [(i["node"], i["local"], i["contribution"]) for s in trace for i in s["inputs"]] == [
        ("a", 4.0, 4.0), ("f", -2.0, -2.0), ("b", 1.0, -2.0), ("e", 1.0, -2.0), ("c", -3.0, 6.0), ("d", 2.0, -4.0)]


def test_trace_accumulates_a_variable_used_twice(cli):
    run = cli("eval", "a*a + a", "a=3", "--trace", "--format", "json")
    data = json.loads(run.out)
    contributions = [i for s in data["trace"] for i in s["inputs"] if i["node"] == "a"]
    assert [i["contribution"] for i in contributions] == [1.0, 3.0, 3.0]  # from +, then both edges of *
    assert contributions[-1]["accumulated"] == data["gradients"]["a"] == 7.0  # 2a + 1


@settings(max_examples=examples(150), deadline=None)
@given(expressions, points)
def test_last_contribution_is_the_gradient(text, at):
    _, _, result = evaluate_point(text, at, smooth=False, trace=True)
    last: dict[str, float] = {}
    total: dict[str, float] = {}
    for step in result.trace:
        for inp in step.inputs:
            if inp.node in result.gradients:
                last[inp.node] = inp.accumulated
                total[inp.node] = total.get(inp.node, 0.0) + inp.contribution
                assert inp.contribution == step.gradient * inp.local
    for name, grad in result.gradients.items():
        if name in last:
            assert last[name] == grad and total[name] == grad
        else:
            assert grad == (1.0 if parse(text).output.op == "var" else 0.0)


def test_trace_table_and_csv_refusal(cli):
    run = cli("eval", *LECTURE, "--trace")
    assert run.code == 0 and "backward pass, step by step" in run.out
    run = cli("eval", *LECTURE, "--trace", "--format", "csv")
    assert run.code == 2 and "--trace" in run.err


def test_hessian_of_the_lecture(cli):
    run = cli("eval", *LECTURE, "--hessian", "--format", "json")
    hessian = json.loads(run.out)["hessian"]
    # L = a*(b + c*d): by hand, d2L/dadb = 1, d2L/dadc = d, d2L/dadd = c, d2L/dcdd = a; the rest 0.
    assert list(hessian) == ["c", "d", "b", "a"] and all(list(row) == ["c", "d", "b", "a"] for row in hessian.values())
    assert hessian == {"c": {"c": 0.0, "d": -2.0, "b": 0.0, "a": -3.0}, "d": {"c": -2.0, "d": 0.0, "b": 0.0, "a": 2.0},
                       "b": {"c": 0.0, "d": 0.0, "b": 0.0, "a": 1.0}, "a": {"c": -3.0, "d": 2.0, "b": 1.0, "a": 0.0}}


def test_hessian_csv_and_table(cli):
    run = cli("eval", "x**2*y", "x=3", "y=2", "--hessian", "--format", "csv")
    rows = list(csv.reader(io.StringIO(run.out, newline="")))
    assert rows[0][-4:] == ["hess_x_x", "hess_x_y", "hess_y_x", "hess_y_y"]
    assert [float(v) for v in rows[1][-4:]] == [4.0, 6.0, 6.0, 0.0]  # 2y, 2x, 2x, 0
    run = cli("eval", "x**2*y", "x=3", "y=2", "--hessian")
    assert "Hessian" in run.out


@settings(max_examples=examples(100), deadline=None)
@given(pairs, points)
def test_hessian_matches_sympy(pair, at):
    text, sym = pair
    expr, values, _ = evaluate_point(text, at)
    scale = conditioning(expr)
    subs = {SYMBOLS[k]: sympy.Float(v, 30) for k, v in values.items()}
    for r, row in hessian(expr, values).items():
        for c, value in row.items():
            try:
                exact = complex(sympy.diff(sym, SYMBOLS[r], SYMBOLS[c]).evalf(30, subs=subs))
            except (TypeError, ValueError, ArithmeticError):
                assume(False)
            assume(math.isfinite(exact.real) and exact.imag == 0)
            assert abs(value - exact.real) <= 1e-8 * max(1.0, abs(exact.real), scale * scale), (text, r, c)


def test_the_library_hessian_takes_text_and_checks_its_values():
    from autodiff_cli.base.errors import UsageError
    from autodiff_cli.symbolic.diff import diff

    # d2(x**2*y): [[2y, 2x], [2x, 0]] at x=3, y=2, by hand.
    assert hessian("x**2*y", {"x": 3.0, "y": 2.0}) == {"x": {"x": 4.0, "y": 6.0}, "y": {"x": 6.0, "y": 0.0}}
    assert diff("x**2*y") == {"x": "2*x*y", "y": "x**2"}
    try:
        hessian(parse("x**2*y"), {"x": 3.0})
    except UsageError as exc:
        assert str(exc) == "missing value for 'y'"
    else:
        raise AssertionError("a missing value must be a UsageError")
