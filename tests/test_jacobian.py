"""Several outputs at once (--of): each row of the Jacobian equals the gradient of that
statement written as a program of its own, and central finite differences; a batch
equals its points; diff, check and graph name each output; errors list the statements."""

from __future__ import annotations

import json
import math
import random
import re

import pytest

from autodiff_cli import parse
from autodiff_cli.core.jacobian import jacobian

PROGRAM = "h = tanh(w1*x + b1); g = sigmoid(w2*x + b2); u = h*g; v = h + g**2; s = log(1 + exp(u - v))"
ALONE = {  # each output written out alone: an independent parse and evaluation
    "u": "tanh(w1*x + b1)*sigmoid(w2*x + b2)",
    "v": "tanh(w1*x + b1) + sigmoid(w2*x + b2)**2",
    "s": "log(1 + exp(tanh(w1*x + b1)*sigmoid(w2*x + b2) - tanh(w1*x + b1) - sigmoid(w2*x + b2)**2))",
}
POINT = {"x": 0.7, "w1": -1.3, "b1": 0.4, "w2": 2.1, "b2": -0.5}


def test_each_row_is_that_output_alone_and_its_finite_differences():
    expr = parse(PROGRAM)
    for k in range(5):
        rng = random.Random(k)
        at = {n: rng.uniform(-2, 2) for n in POINT}
        found = jacobian(expr, at, ["u", "v", "s"])
        assert list(found.values) == ["u", "v", "s"] and list(found.variables) == list(expr.variables)
        for name, text in ALONE.items():
            alone = parse(text).evaluate(at)
            assert math.isclose(found.values[name], alone.value, rel_tol=1e-15)
            for var, g in found.jacobian[name].items():
                assert math.isclose(g, alone.gradients[var], rel_tol=1e-13, abs_tol=1e-300), (name, var)
                h = 1e-6
                f = parse(text)
                diff = (f.forward({**at, var: at[var] + h}) - f.forward({**at, var: at[var] - h})) / (2 * h)
                assert math.isclose(g, diff, rel_tol=1e-6, abs_tol=1e-8)


def test_a_variable_no_path_reaches_has_gradient_zero_not_a_stale_one():
    expr = parse("u = x*y; v = z*2")
    found = jacobian(expr, {"x": 2.0, "y": 3.0, "z": 5.0}, ["u", "v"])
    assert found.jacobian == {"u": {"x": 3.0, "y": 2.0, "z": 0.0}, "v": {"x": 0.0, "y": 0.0, "z": 2.0}}


def test_eval_json_csv_and_table(cli):
    run = cli("eval", "u = x*y; v = x + y", "x=2", "y=3", "--of", "u,v", "--format", "json")
    assert json.loads(run.out) == {"expression": "u = x*y; v = x + y", "variables": {"x": 2.0, "y": 3.0},
                                   "values": {"u": 6.0, "v": 5.0},
                                   "jacobian": {"u": {"x": 3.0, "y": 2.0}, "v": {"x": 1.0, "y": 1.0}}}
    run = cli("eval", "u = x*y; v = x + y", "x=2", "y=3", "--of", "u", "--of", "v", "--format", "csv")
    assert run.out == "x,y,u,v,du/dx,du/dy,dv/dx,dv/dy\r\n2.0,3.0,6.0,5.0,3.0,2.0,1.0,1.0\r\n"
    table = cli("eval", "u = x*y; v = x + y", "x=2", "y=3", "--of", "u,v").out
    rows = [line.split() for line in table.splitlines()]
    assert ["u", "3.0", "2.0"] in rows and ["v", "1.0", "1.0"] in rows and ["x", "y"] in rows


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_batch_equals_its_points(cli, fmt):
    run = cli("eval", PROGRAM, "--grid", "x=-1:1:0.5", "--grid", "w1=-1:1:1", "b1=0.4", "w2=2.1", "b2=-0.5",
              "--of", "u,v,s", "--format", fmt)
    assert run.code == 0
    expr = parse(PROGRAM)
    if fmt == "csv":
        header, *lines = [line.split(",") for line in run.out.splitlines()]
        names = list(expr.variables)  # in order of first appearance: w1, x, b1, w2, b2
        assert header == [*names, "u", "v", "s", *(f"d{o}/d{n}" for o in "uvs" for n in names)]
        points = [dict(zip(header, map(float, line), strict=True)) for line in lines]
    else:
        points = [json.loads(line) for line in run.out.splitlines()]
    assert len(points) == 8  # 4 x by 2 w1 (STOP is not included)
    for row in points:
        at = {n: row[n] for n in POINT} if fmt == "csv" else row["variables"]
        one = jacobian(expr, at, ["u", "v", "s"])
        for o in "uvs":
            got = row[o] if fmt == "csv" else row["values"][o]
            assert math.isclose(got, one.values[o], rel_tol=1e-15)
            for n in POINT:
                got = row[f"d{o}/d{n}"] if fmt == "csv" else row["jacobian"][o][n]
                assert math.isclose(got, one.jacobian[o][n], rel_tol=1e-14, abs_tol=1e-300)


def test_diff_labels_each_output(cli):
    run = cli("diff", "u = x*y; v = sin(x) + y", "--of", "u,v")
    assert run.out == "du/dx = y\ndu/dy = x\ndv/dx = cos(x)\ndv/dy = 1\n"
    data = json.loads(cli("diff", "u = x*y; v = sin(x) + y", "--of", "u,v", "--format", "json").out)
    assert data["derivatives"] == {"u": {"x": "y", "y": "x"}, "v": {"x": "cos(x)", "y": "1"}}
    latex = cli("diff", "u = x*y; v = sin(x) + y", "--of", "v", "--format", "latex").out
    assert latex.startswith(r"\frac{\partial v}{\partial x} = \cos\left(x\right)")


def test_check_checks_every_output_and_fails_if_one_fails(cli, monkeypatch):
    data = json.loads(cli("check", "u = x*y; v = sin(x) + y", "x=1", "y=2", "--of", "u,v", "--format", "json").out)
    assert data["ok"] and set(data["outputs"]) == {"u", "v"} and data["outputs"]["v"]["checks"]["x"]["ok"]
    from autodiff_cli.base import ops

    sin = ops.OPS["sin"]  # a wrong rule: check must catch it in v, not only in the last statement
    monkeypatch.setitem(ops.OPS, "sin", ops.Op("sin", "sin", "call", 1, sin.forward, (lambda m, o, x: -m.cos(x),)))
    run = cli("check", "v = sin(x) + y; u = x*y", "x=1", "y=2", "--of", "u,v")
    assert run.code == 1 and "error: the gradient check failed for 'dv/dx'" in run.err


def test_graph_draws_every_output_as_one(cli):
    dot = cli("graph", "u = x*y; v = sin(x) + y", "x=1", "y=2", "--of", "u,v", "-o", "-", "--format", "dot").out
    assert dot.count("#dcfce7") == 2 and "gradient" not in dot  # two outputs; a gradient is one output's


@pytest.mark.parametrize(("args", "message"), [
    (["u = x*y; v = x + y", "x=1", "y=2", "--of", "w"], "error: no statement 'w' in the expression (its statements: "
                                                         "'u', 'v')"),
    (["x*y", "x=1", "y=2", "--of", "u"], "error: no statement 'u' in the expression (it has no named statements"),
    (["u = x*y; v = x + y", "x=1", "y=2", "--of", "u,v", "--trace"], "error: --trace takes one output, not --of"),
    (["u = x*y; v = x + y", "--grid", "x=0:1:0.5", "y=2", "--of", "u,q"], "error: no statement 'q'"),
])
def test_a_wrong_of_is_a_usage_error(cli, args, message):
    run = cli("eval", *args)
    assert run.code == 2 and run.err.startswith(message) and run.out == ""


def _expand(text: str, definitions: dict[str, tuple[list[str], str]]) -> str:
    """Calls written out by hand, as text: each ``f(a, b)`` (arguments without parentheses
    or commas, as the programs below make them) becomes f's body (itself written out,
    with no call left), a parameter replaced by its argument in parentheses."""
    import re as regex

    while True:
        found = False
        for name, (params, body) in definitions.items():
            def one(m, params=params, body=body):
                args = [a.strip() for a in m.group(1).split(",")]
                out = regex.sub(r"\b(" + "|".join(params) + r")\b", lambda p: f"({args[params.index(p[1])]})", body)
                return f"({out})"

            new = regex.sub(rf"\b{name}\(([^()]*)\)", one, text)
            found, text = found or new != text, new
        if not found:
            return text


@pytest.mark.parametrize("seed", range(12))
def test_random_programs_with_definitions_and_several_outputs(seed):
    rng = random.Random(seed)
    names = ["x", "y", "z"]

    def term(free: list[str]) -> str:
        return rng.choice([*free, f"{rng.uniform(0.5, 2):.2f}", f"{rng.choice(free)}*{rng.choice(free)}"])

    def body(free: list[str], calls: list[str]) -> str:
        parts = []
        for _ in range(rng.randint(2, 4)):
            t = term(free)
            if calls and rng.random() < 0.4:
                f = rng.choice(calls)
                t = f"{f}({', '.join(term(free) for _ in range(arity[f]))})"
            parts.append(rng.choice(["sin({})", "tanh({})", "({})**2", "exp(-({})**2)", "{}"]).format(t))
        return rng.choice([" + ", " - ", "*"]).join(parts)

    arity, definitions, lines = {}, {}, []
    for f in ("f", "g"):
        params = ["p", "q"][: rng.randint(1, 2)]
        arity[f] = len(params)
        text = body([*params, "c"], list(definitions))  # c: a variable of the program, inside a body
        definitions[f] = (params, _expand(text, definitions))  # written out already: no call inside
        lines.append(f"{f}({', '.join(params)}) = {text}")
    outs = {}
    for o in ("u", "v", "w"):
        outs[o] = body(names, list(definitions))
        lines.append(f"{o} = {outs[o]}")
    program = "; ".join(lines)
    expr = parse(program)
    at = {n: rng.uniform(-1, 1) for n in expr.variables}
    found = jacobian(expr, at, ["u", "v", "w"])
    swept = jacobian(expr, at, ["u", "v", "w"], one_sweep=True)  # one sweep for all: the same bits
    assert _bits(swept.jacobian) == _bits(found.jacobian) and swept.values == found.values, program
    for o, text in outs.items():
        alone = parse(_expand(text, definitions))
        one = alone.evaluate({n: at[n] for n in alone.variables})
        assert math.isclose(found.values[o], one.value, rel_tol=1e-13, abs_tol=1e-15), (program, o)
        for n in expr.variables:
            want = one.gradients.get(n, 0.0)
            assert math.isclose(found.jacobian[o][n], want, rel_tol=1e-12, abs_tol=1e-14), (program, o, n)


def _bits(rows: dict[str, dict[str, float]]) -> dict[str, dict[str, str]]:
    """Each number as its bits (nan any nan): -0.0 and 0.0 apart."""
    return {o: {n: "nan" if math.isnan(g) else g.hex() for n, g in row.items()} for o, row in rows.items()}


@pytest.mark.parametrize(("program", "at"), [
    ("u = x*y; v = z*2; w = -0.0*x", {"x": 2.0, "y": 3.0, "z": 5.0}),  # zeros keep their signs
    ("u = relu(x)*y; v = abs(x) + max(x, y); w = sqrt(y)", {"x": 0.0, "y": 0.0}),  # conventions, and sqrt'(0)
    ("u = log(x); v = x*y; w = y**2; t = x + y", {"x": -1.0, "y": 2.0}),  # u undefined: nan in ieee
])
def test_one_sweep_and_one_pass_per_output_agree_bit_for_bit(program, at):
    names = [n for n in parse(program).names]
    for ieee in (True, False):
        try:
            alone = jacobian(parse(program), at, names, ieee=ieee, one_sweep=False)
        except Exception as exc:  # noqa: BLE001 - strict mode fails where it must: the sweep fails alike
            with pytest.raises(type(exc), match=re.escape(str(exc))):
                jacobian(parse(program), at, names, ieee=ieee, one_sweep=True)
            continue
        swept = jacobian(parse(program), at, names, ieee=ieee, one_sweep=True)
        assert _bits(swept.jacobian) == _bits(alone.jacobian) and swept.notes == alone.notes


def test_of_names_no_empty_statement_and_keep_no_result_column(cli, tmp_path):
    run = cli("eval", "u = x", "x=1", "--of", "")
    assert run.code == 2 and run.err.startswith("error: --of takes the names of statements")
    (tmp_path / "p.csv").write_text("x,u,dv/dx\n1,a,b\n")
    for kept in ("u", "dv/dx"):
        run = cli("eval", "u = x*2; v = u + 1", "--input", str(tmp_path / "p.csv"), "--of", "u,v", "--keep", kept,
                  "--format", "csv")
        assert run.code == 2 and f"the output has a column '{kept}' of its own" in run.err and run.out == ""
