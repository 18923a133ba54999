"""Batch evaluation: grids, input files, fixed values, every output format, IEEE points."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from autodiff_cli import parse
from autodiff_cli.points.batch import grid_points, parse_grid


def rows(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


@pytest.mark.parametrize("spec", ["x=-5:5:0.25", "x=5:-5:-0.5", "x=0:1:0.3", "x=0:0:1", "x=1:0:1", "x=-2:2.5:0.7"])
def test_grid_follows_numpy_arange(cli, spec):
    start, stop, step = map(float, spec[2:].split(":"))
    run = cli("eval", "3*x**2 - 4*x + 5", "--grid", spec, "--format", "csv")
    assert run.code == 0, run.err
    table = rows(run.out)
    assert table[0] == ["x", "value", "grad_x"]
    xs = [float(r[0]) for r in table[1:]]
    assert xs == np.arange(start, stop, step).tolist()
    for r in table[1:]:
        x = float(r[0])
        assert float(r[1]) == pytest.approx(3 * x * x - 4 * x + 5, rel=1e-15, abs=1e-15)
        assert float(r[2]) == pytest.approx(6 * x - 4, rel=1e-15, abs=1e-15)


def test_grids_are_a_cartesian_product_first_outermost(cli):
    run = cli("eval", "x*10 + y", "--grid", "x=0:2:1", "--grid", "y=0:3:1", "--format", "csv")
    points = [(float(r[0]), float(r[1])) for r in rows(run.out)[1:]]
    assert points == [(x, y) for x in (0.0, 1.0) for y in (0.0, 1.0, 2.0)]


def test_grid_chunks_cover_every_point_once():
    grids = [parse_grid("a=0:7:1"), parse_grid("b=0:5:1"), parse_grid("c=0:3:1")]
    chunks = list(grid_points(grids, chunk=4))
    got = list(zip(*(np.concatenate([c[n] for c in chunks]).tolist() for n in "abc"), strict=True))
    assert got == [(a, b, c) for a in range(7) for b in range(5) for c in range(3)]


def test_grid_with_constant_expressions(cli):
    run = cli("eval", "sin(t)", "--grid", "t=0:2*pi:pi/2", "--format", "csv")
    assert [float(r[0]) for r in rows(run.out)[1:]] == (np.arange(4) * (math.pi / 2)).tolist()


def test_fixed_values_beside_a_grid(cli):
    run = cli("eval", "a*(b+c*d)", "--grid", "a=-2:0:1", "--b", "10", "c=2", "--d=-3", "--format", "jsonl")
    points = [json.loads(line) for line in run.out.splitlines()]
    assert points[0] == {"variables": {"a": -2.0, "b": 10.0, "c": 2.0, "d": -3.0}, "value": -8.0,
                         "gradients": {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}}
    assert len(points) == 2


@pytest.mark.parametrize(
    "content",
    [
        "a,c\n-2,2\n1,0.5\n",
        "a\tc\n-2\t2\n1\t0.5\n",
        '{"a": -2, "c": 2}\n{"a": 1, "c": 0.5}\n',
        '[{"a": -2, "c": 2}, {"a": 1, "c": 0.5}]',
    ],
)
def test_input_files(cli, tmp_path, content):
    path = tmp_path / "points"
    path.write_text(content)
    expected = [parse("a*(b+c*d)").evaluate({"a": a, "b": 10, "c": c, "d": -3}) for a, c in ((-2, 2), (1, 0.5))]
    for source, stdin in ((str(path), b""), ("-", content.encode())):
        run = cli("eval", "a*(b+c*d)", "--input", source, "b=10", "d=-3", "--format", "json", stdin=stdin)
        assert run.code == 0, run.err
        data = json.loads(run.out)
        assert data["expression"] == "a*(b+c*d)"
        assert [p["value"] for p in data["points"]] == [e.value for e in expected]
        assert [p["gradients"] for p in data["points"]] == [e.gradients for e in expected]


def test_every_format_agrees(cli):
    args = ["eval", "x*y - exp(y)", "--grid", "x=-1:1:0.5", "--grid", "y=0:1:0.5"]
    table = rows(cli(*args, "--format", "csv").out)
    tsv = rows(cli(*args, "--format", "tsv").out, "\t")
    jsonl = [json.loads(line) for line in cli(*args, "--format", "jsonl").out.splitlines()]
    whole = json.loads(cli(*args, "--format", "json").out)["points"]
    shown = cli(*args).out
    assert table == tsv and jsonl == whole and len(jsonl) == 8
    for r, p in zip(table[1:], jsonl, strict=True):
        assert [float(v) for v in r] == [p["variables"]["x"], p["variables"]["y"], p["value"],
                                         p["gradients"]["x"], p["gradients"]["y"]]
        assert f"{float(r[2]):.6g}" in shown  # tables show six significant digits
    assert "-2.148721270700128" in cli(*args, "--digits", "17").out  # all of them on request (17 round-trip)


def test_ieee_points_and_count(cli):
    run = cli("eval", "log(x)", "--grid", "x=-1:2:1", "--format", "csv")
    assert run.code == 0
    assert rows(run.out)[1:] == [["-1.0", "nan", "-1.0"], ["0.0", "-inf", "inf"], ["1.0", "0.0", "1.0"]]
    assert "2 of 3 points" in run.err
    run = cli("eval", "log(x)", "--grid", "x=-1:2:1", "--format", "jsonl")
    assert [json.loads(line)["value"] for line in run.out.splitlines()] == [None, None, 0.0]


def test_batch_values_match_single_points(cli):
    run = cli("eval", "sigmoid(x)*tanh(y) + relu(x - y)**2 / (1 + abs(y))", "--grid", "x=-3:3:0.7",
              "--grid", "y=-2:2:0.9", "--format", "jsonl")
    expr = parse("sigmoid(x)*tanh(y) + relu(x - y)**2 / (1 + abs(y))")
    for line in run.out.splitlines():
        point = json.loads(line)
        single = expr.evaluate(point["variables"])
        assert point["value"] == pytest.approx(single.value, rel=1e-14, abs=1e-300)
        for k, g in point["gradients"].items():
            assert g == pytest.approx(single.gradients[k], rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("text", ["x + 1/0", "x/0", "x*(-8)**(1/3)", "x*log(0) + 2", "x**2 * (0/0)", "x - sqrt(-1)"])
def test_failing_constants_in_a_batch_give_the_single_point_ieee_results(cli, text):
    # Constant sub-expressions that fail (1/0, (-8)**(1/3)) once made the batch
    # raise or take the real part of a complex number; each point must be what
    # --ieee gives for that point alone.
    run = cli("eval", text, "--grid", "x=-1:2:1", "--format", "jsonl")
    assert run.code == 0, run.err
    assert "3 of 3 points" in run.err and "Warning" not in run.err
    for line in run.out.splitlines():
        point = json.loads(line)
        single = cli("eval", text, f"x={point['variables']['x']}", "--ieee", "--format", "jsonl")
        alone = json.loads(single.out)
        assert (point["value"], point["gradients"]) == (alone["value"], alone["gradients"]), text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*y", "--grid", "x=0:1:0.5"], "missing value for 'y'"),
        (["x", "--grid", "z=0:1:1"], "no variable 'z'"),
        (["x", "--grid", "x=0:1"], "give a step"),
        (["x", "--grid", "x=0:1:0"], "must not be 0"),
        (["x", "--grid", "x=0:1:1", "x=2"], "given twice"),
        (["x", "--grid", "x=0:1:1", "--trace"], "--trace is for single points"),
        (["x", "--input", "/no/such/file"], "cannot read '/no/such/file'"),
        (["x", "--grid", "x=a:b:c"], "must be a number"),
    ],
)
def test_batch_usage_errors(cli, args, message):
    run = cli("eval", *args)
    assert run.code == 2 and message in run.err, run.err


@pytest.mark.parametrize(
    ("content", "message"),
    [("x\n1\nfoo\n", "line 3: 'foo' is not a number"), ("x,y\n1\n", "1 value for 2 names"),
     ('{"x": 1}\n{"y": 2}\n', "line 2"), ('{"x": "a"}\n', "values must be numbers"), ("[1, 2]", "point 1"),
     ("x\n1\n", None)],
)
def test_bad_input_files(cli, content, message):
    run = cli("eval", "x*y", "--input", "-", "y=1", "--format", "csv", stdin=content.encode())
    if message is None:
        assert run.code == 0
    else:
        assert run.code == 2 and message in run.err, run.err


def test_big_table_is_refused(cli):
    run = cli("eval", "x", "--grid", "x=0:20000:1")
    assert run.code == 2 and "--format csv" in run.err


@pytest.mark.parametrize("grid", ["x=0:nan:1", "x=-inf:1:1", "x=0:1e309:1", "x=0:1:inf"])
def test_a_grid_of_non_finite_bounds_is_refused_as_a_grid(cli, grid):
    # --ieee lets a value be nan or inf, not a range: the message must not send people to --ieee.
    run = cli("eval", "x", "--grid", grid, "--ieee")
    assert run.code == 2
    assert run.err == f"error: --grid '{grid}': START, STOP and STEP must be finite\n"


@pytest.mark.parametrize("fmt", ["json", "csv", "jsonl"])
def test_a_bad_line_after_whole_chunks_leaves_a_whole_document(cli, tmp_path, fmt):
    # The points before the bad line went out already: the JSON is closed, every
    # row is whole, and the error says how many there are.
    path = tmp_path / "late.csv"
    path.write_text("a,b\n" + "".join(f"{i},1\n" for i in range(100_000)) + "x,1\n")
    run = cli("eval", "a*b", "--input", str(path), "--format", fmt)
    assert run.code == 2
    written = int(run.err.split("(")[1].split(" points")[0].replace(",", ""))
    assert run.err == (f"error: '{path}', line 100002: 'x' is not a number ({written:,} points before it written, "
                       "each a whole row)\n")
    if fmt == "json":
        points = json.loads(run.out)["points"]
    elif fmt == "jsonl":
        points = [json.loads(line) for line in run.out.splitlines()]
    else:
        points = rows(run.out)[1:]
    assert 0 < len(points) == written < 100_000


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json", "jsonl"])
def test_one_row_is_a_batch_like_any_other(cli, tmp_path, fmt):
    # A file of one point takes the scalar engine (no numpy for one point of a big
    # expression), a one-point grid the array engine: the same output and notes.
    (tmp_path / "one.csv").write_text("x,y\n0,1\n")
    from_file = cli("eval", "relu(x)*y", "--input", str(tmp_path / "one.csv"), "--format", fmt)
    from_grid = cli("eval", "relu(x)*y", "--grid", "x=0:1:1", "y=1", "--format", fmt)
    assert from_file.code == from_grid.code == 0
    assert from_file.out == from_grid.out
    assert from_file.err == from_grid.err == "note: relu'(0) = 0 used at 1 point (PyTorch's convention)\n"


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_a_point_is_written_alike_alone_and_among_others(cli, tmp_path, fmt):
    # One point goes through json's encoder, several through a template: the same text, -0.0 and null included.
    (tmp_path / "one.csv").write_text("x,y\n7,nan\n")
    (tmp_path / "two.csv").write_text("x,y\n7,nan\n0.1,-0.0\n")
    alone = cli("eval", "log(x)*y", "--input", str(tmp_path / "one.csv"), "--format", fmt).out.splitlines()
    among = cli("eval", "log(x)*y", "--input", str(tmp_path / "two.csv"), "--format", fmt).out.splitlines()
    point = '{"variables": {"x": 7.0, "y": null}, "value": null, "gradients": {"x": null, "y": 1.9459101490553132}}'
    assert [line.rstrip(",") for line in alone] == ([point] if fmt == "jsonl" else [alone[0], point, "]}"])
    assert among[1 if fmt == "json" else 0].rstrip(",") == point
