"""`autodiff plot`: the written files, gaps, the tangent, the terminal drawing."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autodiff_cli import parse
from autodiff_cli.points.batch import parse_grid
from autodiff_cli.points.plot import sample, tangent_line

SVG = "{http://www.w3.org/2000/svg}"


def groups(svg: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def path_moves(group: ET.Element) -> int:
    """How many separate pieces a drawn line has (each starts with an M)."""
    return sum(len(re.findall(r"M\s", p.get("d", ""))) for p in group.iter(f"{SVG}path"))


def test_svg_has_both_curves_and_the_range(cli, tmp_path):
    out = tmp_path / "q.svg"
    run = cli("plot", "3*x**2 - 4*x + 5", "--grid", "x=-5:5:0.25", "-o", str(out))
    assert run.code == 0, run.err
    found = groups(out.read_bytes())
    assert "function" in found and "derivative" in found and "tangent" not in found
    texts = {t.text for t in ET.fromstring(out.read_bytes()).iter(f"{SVG}text")}
    assert {"f(x) = 3*x**2 - 4*x + 5", "df/dx", "f", "x"} <= texts  # real text, not glyph outlines
    curves = sample(parse("3*x**2 - 4*x + 5"), parse_grid("x=-5:5:0.25"), {})
    assert curves.x.tolist() == np.arange(-5, 5, 0.25).tolist()  # the axis range, like numpy.arange
    assert curves.y.tolist() == [3 * x * x - 4 * x + 5 for x in curves.x.tolist()]
    assert curves.dy.tolist() == [6 * x - 4 for x in curves.x.tolist()]


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF-")])
def test_png_and_pdf(cli, tmp_path, suffix, magic):
    out = tmp_path / f"plot{suffix}"
    run = cli("plot", "tanh(w*x + b)", "--grid", "x=-4:4", "w=1.5", "b=0.5", "-o", str(out))
    assert run.code == 0, run.err
    assert out.read_bytes().startswith(magic)


def test_default_is_500_points_from_start_to_stop():
    # As numpy.linspace(-5, 5, 500): STOP is the last point (it was 4.98, before STOP, as arange).
    for spec, (start, stop) in (("x=-5:5", (-5.0, 5.0)), ("x=0:1", (0.0, 1.0)), ("x=1:0", (1.0, 0.0)),
                                ("x=0:0.3", (0.0, 0.3)), ("x=-1e308:1e308", (-1e308, 1e308))):
        curves = sample(parse("x*x" if "e308" not in spec else "x"), parse_grid(spec, points=500), {})
        assert len(curves.x) == 500 and curves.x[0] == start and curves.x[-1] == stop
        # (linspace itself overflows over -1e308:1e308; halved, it does not.)
        assert np.allclose(curves.x, 2 * np.linspace(start / 2, stop / 2, 500), rtol=1e-12, atol=0)


def test_narrow_ranges_hold_500_points_up_to_stop():
    # A range a few floats wide: rounding gave 507 or 513 points; they never pass STOP.
    for spec in ("x=0:1e-320", "x=1e16:10000000000000002", "x=1:1.0000000000000002", "x=2:1.9999999999999998"):
        grid = parse_grid(spec, points=500)
        x = grid.values(np.arange(grid.count))
        assert grid.count == 500 and x[0] == grid.start and x[-1] == grid.stop, spec
        assert (np.diff(x) * np.sign(grid.stop - grid.start) >= 0).all(), spec


def test_a_grid_from_minus_zero_starts_at_minus_zero():
    grid = parse_grid("x=-0.0:1:0.5")  # as numpy.arange(-0.0, 1, 0.5): 1/x there is -inf, not inf
    assert np.array_equal(np.signbit(grid.values(np.arange(grid.count))), [True, False])


def test_a_range_too_narrow_or_empty_says_so(cli):
    run = cli("plot", "x", "--grid", "x=0:1e-321", "--terminal")
    assert (run.code, run.err) == (2, "error: --grid 'x=0:1e-321': too narrow for 500 points; give a STEP\n")
    run = cli("plot", "x", "--grid", "x=1:1", "--terminal")
    assert (run.code, run.err) == (2, "error: --grid 'x=1:1': START and STOP must differ\n")


def test_a_tangent_at_a_kink_notes_the_convention_and_overflow_is_quiet(cli):
    run = cli("plot", "relu(x)", "--grid", "x=-2:2", "--at", "0", "--terminal")
    assert run.code == 0
    assert run.err == "note: relu'(0) = 0 used at 'relu(x)' (line 1, column 1) (PyTorch's convention)\n"
    # The line f(1) + f'(1)(x - 1) overflows at x = -1: no numpy warning on stderr.
    for args in (["x*1e308", "--grid", "x=-1:1", "--at", "1"],
                 ["x", "--grid", "x=-1.7e308:1.7e308", "--at", "1.7e308"]):
        run = cli("plot", *args, "--terminal")
        assert run.code == 0 and run.err == "", run.err


def test_a_long_title_is_two_lines_within_the_figure(cli, tmp_path):
    text = "sigmoid(very_long_variable_name*x) + relu(x - 1)*exp(-x/10) - log(1 + exp(x))"
    out = tmp_path / "long.svg"
    run = cli("plot", text, "--grid", "x=-5:5", "very_long_variable_name=2", "-o", str(out))
    assert run.code == 0, run.err
    texts = [t.text or "" for t in ET.fromstring(out.read_bytes()).iter(f"{SVG}text")]
    first = next(i for i, t in enumerate(texts) if t.startswith("f(x) = "))
    cut = text.index(" log(")  # broken at a space, not in a name, within 68 characters
    assert texts[first:first + 2] == [f"f(x) = {text[:cut]}", text[cut + 1:]] and len(texts[first]) <= 68


def test_the_tangent_at_stop(cli):
    # STOP is plotted, so --at STOP is inside the range (it was "outside 0 .. 0.998").
    run = cli("plot", "x**2", "--grid", "x=0:1", "--at", "1", "--terminal")
    assert run.code == 0 and "tangent at x = 1 (dots): f = 1, slope df/dx = 2" in run.out, (run.out, run.err)


def test_undefined_points_are_gaps(cli, tmp_path):
    curves = sample(parse("log(x**2 - 1)"), parse_grid("x=-3:3:0.01"), {})
    inside = np.abs(curves.x) <= 1
    assert np.isnan(curves.y[inside]).all() and np.isfinite(curves.y[np.abs(curves.x) > 1.01]).all()
    assert np.isnan(curves.dy[inside]).all()  # no slope where there is no function
    assert not (curves.y == 0).any()  # gaps, not zeros
    out = tmp_path / "gap.svg"
    run = cli("plot", "log(x**2 - 1)", "--grid", "x=-3:3:0.01", "-o", str(out))
    assert run.code == 0 and "drawn as gaps" in run.err
    found = groups(out.read_bytes())
    assert path_moves(found["function"]) == 2  # two separate pieces, either side of the gap


def test_tangent(cli, tmp_path):
    expr = parse("3*x**2 - 4*x + 5")
    curves = sample(expr, parse_grid("x=-5:5:0.5"), {})
    line = tangent_line(curves, expr, {}, 3.0)
    # By hand: f(3) = 20, f'(3) = 14, so the tangent is 20 + 14 (x - 3).
    assert (line.value, line.slope) == (20.0, 14.0)
    assert line.y.tolist() == [20 + 14 * (x - 3) for x in curves.x.tolist()]
    out = tmp_path / "t.svg"
    assert cli("plot", "3*x**2 - 4*x + 5", "--grid", "x=-5:5", "--at", "3", "-o", str(out)).code == 0
    assert "tangent" in groups(out.read_bytes())


def test_other_variables_fixed(cli):
    curves = sample(parse("a*x + b"), parse_grid("x=0:3:1"), {"a": 2.0, "b": 1.0})
    assert curves.y.tolist() == [1.0, 3.0, 5.0] and curves.dy.tolist() == [2.0, 2.0, 2.0]
    run = cli("plot", "a*x + b", "--grid", "x=0:3:1", "a=2", "--terminal")
    assert run.code == 2 and "missing value for 'b'" in run.err


def test_terminal(cli):
    run = cli("plot", "log(x)", "--grid", "x=-1:3", "--terminal")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0] == "log(x)" and "*" in run.out and "df/dx" in run.out
    first_panel = lines[1:15]
    left = [row.split("|", 1)[1][:15] for row in first_panel]  # x from -1 to 3 over 72 columns: x < 0
    assert all(set(chunk) <= {" ", "-"} for chunk in left)  # x < 0: nothing drawn there


def test_hundred_thousand_points(cli, tmp_path):
    out = tmp_path / "many.png"
    assert cli("plot", "sin(x)*exp(-x/5)", "--grid", "x=0:20:0.0002", "-o", str(out)).code == 0
    assert out.stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["x", "--grid", "x=0:1", "-o", "p.txt"], "cannot tell the format", 2),
        (["x", "--grid", "x=0:1"], "plot needs -o OUT", 2),
        (["x", "--grid", "y=0:1", "--terminal"], "no variable 'y'", 2),
        (["x", "--grid", "x=1:1", "--terminal"], "must differ", 2),
        (["log(x)", "--grid", "x=-1:2", "--at", "-0.5", "--terminal"], "log of a non-positive number", 1),
    ],
)
def test_plot_errors(cli, args, message, code):
    run = cli("plot", *args)
    assert run.code == code and message in run.err, run.err


def test_missing_matplotlib_says_how_to_install_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    run = cli("plot", "x", "--grid", "x=0:1", "-o", str(tmp_path / "p.svg"))
    assert run.code == 2 and "pip install matplotlib" in run.err


def test_eval_imports_nothing_heavy():
    code = ("import sys; from autodiff_cli.cli.main import main; "
            "main(['eval', 'a*(b+c*d)', 'a=1', 'b=2', 'c=3', 'd=4', "
            "'--format', 'json']); print(sorted(m for m in ('matplotlib', 'numpy', 'rich', 'typer', 'lark', "
            "'graphviz', 'pydantic', 'pyarrow', 'dask', 'distributed', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("args", [["x*1e308", "--grid", "x=-1.7:1.7"], ["x", "--grid", "x=-1.7e308:1.7e308"]])
def test_ranges_near_the_float64_limit(cli, tmp_path, args):
    assert cli("plot", *args, "--terminal").code == 0
    out = tmp_path / "big.svg"
    run = cli("plot", *args, "-o", str(out))
    assert run.code == 0, run.err
    texts = {t.text for t in ET.fromstring(out.read_bytes()).iter(f"{SVG}text")}
    assert "f / 1e+308" in texts  # the axis is scaled, as its label says
    curves = sample(parse(args[0]), parse_grid(args[2], points=500), {})
    assert np.isfinite(curves.x).all() and np.isfinite(curves.y).all()
