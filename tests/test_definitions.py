"""Functions of one's own: a definition is called as if its body were written out. The
independent truth is the program written out by hand (parsed on its own), finite
differences and sympy; errors are usage errors with a caret."""

from __future__ import annotations

import json
import math
import random
import re

import pytest
import sympy

from autodiff_cli import parse
from autodiff_cli.symbolic.diff import diff

# (with definitions, the same written out by hand)
PROGRAMS = [
    ("neuron(x, w) = tanh(w*x + b); neuron(x1, w1) + neuron(x2, w2)",
     "tanh(w1*x1 + b) + tanh(w2*x2 + b)"),
    ("sq(u) = u*u; sq(a) + sq(b)", "a*a + b*b"),
    ("f(u) = u**2; g(v) = f(v) + f(2*v); g(x)", "x**2 + (2*x)**2"),
    ("f(x) = x*2; f(y) + x", "y*2 + x"),  # the parameter x is not the variable x
    ("f(u) = u*c; c = 3*d; f(x)", "x*(3*d)"),  # c is the name where f is called
    ("loss(p, t) = (p - t)**2; L = loss(sigmoid(w*x), y) + loss(relu(v*x), y)",
     "(sigmoid(w*x) - y)**2 + (relu(v*x) - y)**2"),
    ("soft(z) = log(1 + exp(z))\nlayer(a, b) = soft(a*w1 + b*w2)\nlayer(x, y)*layer(y, x)",
     "log(1 + exp(x*w1 + y*w2))*log(1 + exp(y*w1 + x*w2))"),
    ("one(u) = 1; one(x) + x", "1 + x"),
    ("id(u) = u; id(id(x))*y", "x*y"),
]


def _point(expr, seed: str) -> dict[str, float]:
    rng = random.Random(seed)
    return {n: rng.uniform(0.2, 1.5) for n in expr.variables}


@pytest.mark.parametrize(("program", "written"), PROGRAMS)
def test_a_call_is_its_body_written_out(program, written):
    mine, theirs = parse(program), parse(written)
    assert set(mine.variables) == set(theirs.variables)
    for k in range(5):
        at = _point(theirs, f"{written}{k}")
        a, b = mine.evaluate(at), theirs.evaluate(at)
        assert math.isclose(a.value, b.value, rel_tol=1e-15)
        for n in at:
            assert math.isclose(a.gradients[n], b.gradients[n], rel_tol=1e-14, abs_tol=1e-300), (program, n)
            h = 1e-6
            up, down = mine.forward({**at, n: at[n] + h}), mine.forward({**at, n: at[n] - h})
            assert math.isclose(a.gradients[n], (up - down) / (2 * h), rel_tol=1e-6, abs_tol=1e-8)


@pytest.mark.parametrize(("program", "written"), [p for p in PROGRAMS if "relu" not in p[1]])
def test_diff_of_a_program_with_definitions_equals_sympy(program, written):
    printed = diff(parse(program))
    symbols = {n: sympy.Symbol(n) for n in parse(written).variables}
    spaces = {**symbols, "sigmoid": lambda z: 1 / (1 + sympy.exp(-z))}
    truth = sympy.sympify(written, locals=spaces)
    at = {s: sympy.Rational(3, 7) + k for k, s in enumerate(symbols.values())}
    for n, text in printed.items():
        *where, text = text.split("; ")  # named intermediates first: t1 = ...; t2 = ...; the derivative
        names = dict(spaces)
        for definition in where:
            name, _, body = definition.partition(" = ")
            names[name] = sympy.sympify(body, locals=names)
        error = (sympy.sympify(text, locals=names) - sympy.diff(truth, symbols[n])).subs(at)
        assert abs(float(error)) < 1e-12, (program, n, text)


def test_diff_of_a_square_by_definition(cli):
    run = cli("diff", "sq(u) = u*u; sq(a) + sq(b)", "--wrt", "a")
    assert run.code == 0 and run.out == "2*a\n"


def test_a_batch_equals_its_points(cli):
    program = "neuron(x, w) = tanh(w*x + b); neuron(x1, w1) + neuron(x2, w2)"
    run = cli("eval", program, "--grid", "x1=-1:1:0.5", "w1=0.5", "x2=2", "w2=-1", "b=0.1", "--format", "jsonl")
    expr = parse(program)
    for line in run.out.splitlines():
        row = json.loads(line)
        one = expr.evaluate(row["variables"])
        assert math.isclose(row["value"], one.value, rel_tol=4e-16)  # numpy's tanh and math's: an ulp apart
        assert all(math.isclose(g, one.gradients[n], rel_tol=1e-15) for n, g in row["gradients"].items())


def test_the_trace_names_each_call(cli):
    run = cli("eval", "neuron(x, w) = tanh(w*x + b); neuron(x1, w1) + neuron(x2, w2)", "x1=1", "w1=0.5", "x2=2",
              "w2=-1", "b=0.1", "--trace", "--format", "json")
    steps = [s["node"] for s in json.loads(run.out)["trace"]]
    assert "neuron#1: tanh(w*x + b)" in steps and "neuron#2: tanh(w*x + b)" in steps
    assert steps.index("neuron#2: tanh(w*x + b)") < steps.index("neuron#1: tanh(w*x + b)")  # output first


def test_an_error_inside_a_call_names_the_call(cli):
    run = cli("eval", "f(u) = log(u); f(x) + f(y)", "x=1", "y=-1")
    assert run.code == 1 and run.err == (
        "error: log of a non-positive number in 'log(u)' (line 1, column 8, in f#2)\n")


def test_the_graph_groups_each_call_and_leaves_variables_outside(cli):
    dot = cli("graph", "neuron(x, w) = tanh(w*x + b); L = neuron(x1, w1) + neuron(x2, w2)", "-o", "-",
              "--format", "dot").out
    clusters = re.findall(r"subgraph cluster_\d+ \{(.*?)\n\t\}", dot, re.S)
    assert len(clusters) == 2
    assert "label=\"neuron(x1, w1)\"" in clusters[0] and "label=\"neuron(x2, w2)\"" in clusters[1]
    assert all("tanh" in c and not re.search(r"label=\"?(b|x1|w1|x2|w2)\b", c) for c in clusters), clusters


@pytest.mark.parametrize(("program", "message", "column"), [
    ("g(x) + 1; g(u) = u*2", "'g' is called before its definition: define it first", 1),
    ("f(x) = f(x) + 1; f(2)", "'f' calls itself: a function cannot be recursive", 8),
    ("f(x, y) = x*y; f(1)", "f() takes 2 arguments, got 1", 16),
    ("sin(x) = x; sin(2)", "cannot define 'sin': it is a built-in name", 1),
    ("f(x, x) = x; f(1, 2)", "parameter 'x' is named twice in 'f'", 1),
    ("f(2) = x; f(1)", "a parameter of 'f' is a name, as in f(x, y) = ...", 1),
    ("f(x) = x; f(x) = 2*x; f(1)", "'f' is defined twice", 11),
    ("f(x) = x*2", "the last statement defines a function: end with what to compute, as in f(...)", 11),
    ("f(x) = x; f + 1", "'f' is a function: call it as f(...)", 11),
    ("h(u) = u; k(x)", "unknown function 'k'", 11),
])
def test_a_wrong_definition_or_call_is_a_usage_error_with_a_caret(cli, program, message, column):
    run = cli("eval", program, "x=1")
    lines = run.err.splitlines()
    assert run.code == 2 and lines[0].startswith(f"error: {message}") and f"column {column}" in lines[0]
    assert lines[2].index("^") == column + 1  # under the column, past the two-space indent


def test_the_python_api_and_an_expression_file(tmp_path, cli):
    program = "# a layer of two neurons\nneuron(x, w) = tanh(w*x + b)\nL = neuron(x1, w1) + neuron(x2, w2)\n"
    (tmp_path / "net.ad").write_text(program)
    run = cli("eval", f"@{tmp_path / 'net.ad'}", "x1=1", "w1=0.5", "x2=2", "w2=-1", "b=0.1", "--format", "json")
    want = parse("tanh(w1*x1 + b) + tanh(w2*x2 + b)").evaluate({"x1": 1, "w1": 0.5, "x2": 2, "w2": -1, "b": 0.1})
    assert json.loads(run.out)["gradients"] == want.gradients
    expr = parse(program)
    assert list(expr.variables) == ["x1", "w1", "b", "x2", "w2"] and [c.name for c in expr.calls] == ["neuron#1",
                                                                                                  "neuron#2"]
    assert expr.copy().calls[1].text(program) == "neuron(x2, w2)"


def test_definitions_that_double_at_each_level_are_refused_in_seconds(cli):
    # 22 lines that would write out 4 million copies of h0: refused at the bound, not filling memory.
    program = "\n".join(["h0(x) = x + 1", *(f"h{i}(x) = h{i - 1}(x) + h{i - 1}(x)" for i in range(1, 22)), "h21(a)"])
    run = cli("eval", program, "a=1")
    assert run.code == 2 and "write out more than 2,000,000 nodes: the program is too large" in run.err


def test_a_function_name_cannot_be_assigned_either_way(cli):
    assert cli("eval", "f(x) = x*2; f = 3; f*2").err.startswith(
        "error: cannot assign to 'f': it is a function of the program")
    assert cli("eval", "f = 3; f(x) = x*2; f(y)", "y=1").err.startswith("error: cannot define 'f'")


def test_comments_stay_out_of_node_names(cli):
    run = cli("eval", "L = (a + # a note\n b) * c", "a=1", "b=2", "c=3", "--trace", "--format", "json")
    assert [s["node"] for s in json.loads(run.out)["trace"]] == ["L", "a + b"]
    dot = cli("graph", "L = (a + # a note\n b) * c", "a=1", "b=2", "c=3", "-o", "-", "--format", "dot").out
    assert "note" not in dot


def _chain(n: int) -> str:
    return "\n".join(["f1(x) = x*x", *(f"f{i}(x) = f{i - 1}(x) + 1" for i in range(2, n + 1)), f"f{n}(y)"])


def test_a_chain_of_definitions_is_linear_in_its_depth(monkeypatch):
    # Each definition calls the one before: a call of the last writes out 2n nodes, and making
    # them should take about 2n node constructions, not one copy of every body in every body (n**2).
    from autodiff_cli.core.engine import Value

    made = [0]
    for how in ("made", "leaf"):
        plain = getattr(Value, how)
        monkeypatch.setattr(Value, how, staticmethod(lambda *a, _plain=plain, **k: (made.__setitem__(0, made[0] + 1),
                                                                                    _plain(*a, **k))[1]))
    counts = {}
    for n in (500, 1000):
        made[0] = 0
        parse(_chain(n))
        counts[n] = made[0]
    assert counts[1000] < 2.2 * counts[500] and counts[1000] < 8 * 1000, counts


def test_a_chain_of_4000_definitions_is_its_body_written_out():
    result = parse(_chain(4000)).evaluate({"y": 1.5})
    assert result.value == 1.5**2 + 3999 and result.gradients == {"y": 3.0}  # y*y + 1 + 1 + ... (3,999 ones)
