"""The documented limits hold: big and deep inputs work, and the edges of
float64 and Unicode survive every output format."""

from __future__ import annotations

import csv
import io
import json
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_cli import parse

from conftest import count, examples, run_cli
from strategies import expressions


def test_100000_deep_statement_chain(cli):
    n = 100_000
    text = "\n".join(["v0 = x"] + [f"v{i} = v{i - 1} + x" for i in range(1, n)])
    result = parse(text).evaluate({"x": 0.5})
    assert result.value == 0.5 * n and result.gradients == {"x": float(n)}


def test_100000_variables_from_input(cli, tmp_path):
    n = 100_000
    (tmp_path / "expr.txt").write_text(" + ".join(f"v{i}*v{i}" for i in range(n)))
    (tmp_path / "values.json").write_text(json.dumps({f"v{i}": i / n for i in range(n)}))
    run = cli("eval", f"@{tmp_path / 'expr.txt'}", "--input", str(tmp_path / "values.json"), "--format", "jsonl")
    assert run.code == 0, run.err
    point = json.loads(run.out)
    assert len(point["gradients"]) == n
    assert point["gradients"]["v12345"] == 2 * 12345 / n  # d(v*v)/dv = 2v


def test_million_node_graph():
    rng = random.Random(7)
    terms = 250_000  # each c*xi*xj term is 4 nodes (const, mul, mul, add)
    text = " + ".join(f"{rng.uniform(-1, 1):.2f}*x{rng.randrange(100)}*x{rng.randrange(100)}" for _ in range(terms))
    expr = parse(text)
    assert len(expr.nodes) > 1_000_000
    values = {name: 0.5 for name in expr.variables}
    result = expr.evaluate(values)
    # Independent truth: the polynomial's value and gradient computed term by term.
    value = 0.0
    grads = dict.fromkeys(values, 0.0)
    for term in text.split(" + "):
        c, a, b = term.split("*")
        value += float(c) * 0.25
        grads[a] += float(c) * 0.5
        grads[b] += float(c) * 0.5
    assert math.isclose(result.value, value, rel_tol=1e-9, abs_tol=1e-9)
    assert all(math.isclose(result.gradients[k], g, rel_tol=1e-9, abs_tol=1e-9) for k, g in grads.items())


def test_10_mb_expression(cli, tmp_path):
    path = tmp_path / "big.txt"
    text = "x" + " + x" * 2_500_000  # 10 MB
    path.write_text(text)
    assert path.stat().st_size >= 10_000_000
    run = cli("eval", f"@{path}", "x=2", "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["gradients"] == {"x": 2_500_001.0}


def test_a_million_nested_parentheses_fail_or_work_cleanly(cli):
    depth = 1_000_000
    run = cli("eval", "(" * depth + "x" + ")" * depth, "x=3", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["gradients"] == {"x": 1.0}
    run = cli("eval", "(" * depth + "x" + ")" * (depth - 1), "x=3")
    assert run.code == 2 and "unexpected end of input" in run.err


EDGE_NUMBERS = ["1e308", "-0.0", "5e-324", "1.7976931348623157e308", "-2.2250738585072014e-308", "0.1"]


@pytest.mark.parametrize("x", EDGE_NUMBERS)
@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "tsv"])
def test_edge_numbers_round_trip_in_every_format(cli, x, fmt):
    run = cli("eval", "x", "--x", x, "--format", fmt)
    assert run.code == 0, run.err
    if fmt in ("json", "jsonl"):
        data = json.loads(run.out)
        got = [data["variables"]["x"], data["value"]]
    else:
        rows = list(csv.reader(io.StringIO(run.out, newline=""), delimiter="," if fmt == "csv" else "\t"))
        got = [float(rows[1][0]), float(rows[1][1])]
    for value in got:
        assert value == float(x) and math.copysign(1, value) == math.copysign(1, float(x))


NAMES = ["θ", "λ_1", "x²" if "x²".isidentifier() else "xʹ", "δέλτα", "变量"]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "tsv", "table"])
def test_unicode_names_survive_every_format(cli, fmt):
    names = [n for n in NAMES if n.isidentifier()]
    text = " + ".join(f"{n}*{k + 1}" for k, n in enumerate(names))
    run = cli("eval", text, *(f"{n}=1" for n in names), "--format", fmt)
    assert run.code == 0, run.err
    for n in names:
        assert n in run.out
    if fmt == "json":
        assert list(json.loads(run.out)["gradients"]) == names


def test_unicode_names_in_graph_and_diff(cli):
    run = cli("graph", "θ*θ + λ_1", "θ=2", "λ_1=1", "--format", "dot", "-o", "-")
    assert run.code == 0 and "θ" in run.out and "λ_1" in run.out
    run = cli("diff", "θ*θ + λ_1", "--wrt", "θ")
    assert run.out.strip() == "2*θ"


@settings(max_examples=examples(400), deadline=None)
@given(expressions, st.sampled_from([0.0, -0.0, 1e-308, 5e-324, 1e308, -1e308, 1e154, 0.5, -3.0]))
def test_strict_mode_never_prints_non_finite_numbers(text, x):
    count("strict-mode edge evaluations")
    run = run_cli("eval", text, *(f"{v}={x!r}" for v in ("x", "y", "z") if v in text), "--format", "json")
    if run.code == 2:
        assert "no variable" in run.err or "missing" in run.err  # a name the text happens not to use
        return
    assert run.code in (0, 1), run.err
    if run.code == 0:
        assert "null" not in run.out and "inf" not in run.out.lower().replace("info", "")
        assert all(math.isfinite(v) for v in json.loads(run.out)["gradients"].values())
    else:
        assert run.err.startswith("error: ") and run.out == ""
