"""`autodiff eval` through the real entry point: value forms, formats, errors."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys

import pytest

LECTURE_ARGS = ["a*(b+c*d)", "--a", "-2", "--b", "10", "--c", "2", "--d", "-3"]


@pytest.mark.parametrize(
    "values",
    [
        ["--a", "-2", "--b", "10", "--c", "2", "--d", "-3"],
        ["--a=-2", "--b=10", "--c=2", "--d=-3"],
        ["a=-2", "b=10", "c=2", "d=-3"],
        ["a=-2", "--b", "10", "--c=2", "d=-3"],
        ["--a", "-4/2", "--b", "5*2", "--c", "(1+1)", "--d", "-3"],
    ],
)
def test_value_forms(cli, values):
    run = cli("eval", "a*(b+c*d)", *values, "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["gradients"] == {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}


def test_constant_expression_value(cli):
    run = cli("eval", "sin(x)", "--x", "pi/4", "--format", "json")
    assert json.loads(run.out)["variables"]["x"] == math.pi / 4


def test_expression_starting_with_minus(cli):
    for args in (["eval", "-x**2", "--x", "2"], ["eval", "--x", "2", "--", "-x**2"]):
        run = cli(args[0], "--format", "json", *args[1:])
        assert run.code == 0, run.err
        assert json.loads(run.out)["value"] == -4.0 and json.loads(run.out)["gradients"] == {"x": -4.0}


def test_variable_named_like_an_option(cli):
    run = cli("eval", "format*2", "format=3", "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["gradients"] == {"format": 2.0}


def test_expression_from_stdin_and_file(cli, tmp_path):
    run = cli("eval", "-", "x=3", "--format", "json", stdin=b"3*x**2 - 4*x + 5\n")
    assert json.loads(run.out)["value"] == 20.0
    path = tmp_path / "model.txt"
    path.write_text("# a file\ne = c*d\nf = b + e\nL = a*f\n", encoding="utf-8")
    run = cli("eval", f"@{path}", "a=-2", "b=10", "c=2", "d=-3", "--format", "json")
    assert json.loads(run.out)["value"] == -8.0


def test_json_with_nodes(cli):
    run = cli("eval", "e = c*d; f = b + e; L = a*f", "a=-2", "b=10", "c=2", "d=-3", "--nodes", "--format", "json")
    data = json.loads(run.out)
    assert list(data["variables"]) == ["c", "d", "b", "a"]
    assert data["nodes"] == {"e": {"value": -6.0, "gradient": -2.0}, "f": {"value": 4.0, "gradient": -2.0},
                             "L": {"value": -8.0, "gradient": 1.0}}


@pytest.mark.parametrize("fmt", ["table", "json", "jsonl", "csv"])
def test_the_flag_is_named_as_the_json_key_and_the_old_name_still_works(cli, fmt):
    args = ["eval", "e = c*d; L = a*e", "a=2", "c=3", "d=4", "--format", fmt]
    nodes, old = cli(*args, "--nodes"), cli(*args, "--all")
    assert nodes.code == old.code == 0 and nodes.out == old.out and nodes.out != cli(*args).out
    if fmt == "json":
        assert json.loads(nodes.out)["nodes"]["e"] == {"value": 12.0, "gradient": 2.0}  # dL/de = a


def test_the_old_flag_is_not_shown_in_help(cli):
    shown = cli("eval", "--help").out
    assert "--nodes" in shown and "--all" not in shown


@pytest.mark.parametrize(("fmt", "delimiter"), [("csv", ","), ("tsv", "\t")])
def test_csv_and_tsv(cli, fmt, delimiter):
    run = cli("eval", *LECTURE_ARGS, "--format", fmt)
    rows = list(csv.reader(io.StringIO(run.out, newline=""), delimiter=delimiter))
    assert rows[0] == ["a", "b", "c", "d", "value", "grad_a", "grad_b", "grad_c", "grad_d"]
    assert [float(x) for x in rows[1]] == [-2, 10, 2, -3, -8, 4, -2, 6, -4]
    assert len(rows) == 2
    if fmt == "csv":
        assert run.out.endswith("\r\n")  # RFC 4180 line ends


def test_jsonl(cli):
    run = cli("eval", *LECTURE_ARGS, "--format", "jsonl")
    lines = run.out.splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {"variables": {"a": -2.0, "b": 10.0, "c": 2.0, "d": -3.0}, "value": -8.0,
                                    "gradients": {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}}


def test_table(cli):
    run = cli("eval", *LECTURE_ARGS)
    assert run.code == 0
    assert "a*(b+c*d) = -8.0" in run.out
    rows = {line.split()[0]: line.split()[1:] for line in run.out.splitlines()[1:] if line.strip()[:1].isalpha()}
    assert rows["a"] == ["-2.0", "4.0"] and rows["d"] == ["-3.0", "-4.0"]


def test_table_with_all_lists_nodes(cli):  # --all: the flag's former name
    run = cli("eval", "e = c*d; L = a*e", "a=2", "c=3", "d=4", "--all")
    assert "e (node)" in run.out and "L (node)" in run.out


@pytest.mark.parametrize("x", ["1e308", "-0.0", "5e-324", "0.1", "1.7976931348623157e308", "-2.2250738585072014e-308"])
def test_numbers_round_trip_exactly(cli, x):
    for fmt in ("json", "csv"):
        run = cli("eval", "x", "--x", x, "--format", fmt)
        assert run.code == 0, run.err
        text = json.loads(run.out)["value"] if fmt == "json" else float(run.out.splitlines()[1].split(",")[1])
        assert math.copysign(1, text) == math.copysign(1, float(x)) and text == float(x)


def test_domain_error_exit_1_names_subexpression(cli):
    run = cli("eval", "a + log(x - 1)", "--x", "1", "--a", "0")
    assert run.code == 1
    assert run.err == "error: log of a non-positive number in 'log(x - 1)' (line 1, column 5)\n"
    assert run.out == ""


@pytest.mark.parametrize(
    ("text", "value"),
    [("1/x", "division by zero"), ("sqrt(x - 1)", "sqrt of a negative number"), ("exp(x*1000)", "overflow"),
     # 0 to a negative power is 1/0, not a power with no real result as (-8)**0.5 is.
     ("x**(x - 1)", "division by zero"), ("pow(x, -0.5)", "division by zero"),
     ("(x - 8)**0.5", "power with no real result")],
)
def test_domain_errors(cli, text, value):
    run = cli("eval", text, "x=1" if text == "exp(x*1000)" else "x=0.5" if text == "sqrt(x - 1)" else "x=0")
    assert run.code == 1 and value in run.err and "Traceback" not in run.err


def test_ieee_mode(cli):
    run = cli("eval", "log(x) + 1/y", "x=0", "y=0", "--ieee", "--format", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["value"] is None and data["gradients"] == {"x": None, "y": None}
    run = cli("eval", "log(x)", "x=0", "--ieee", "--format", "csv")
    assert run.out.splitlines()[1] == "0.0,-inf,inf"


def test_note_at_kink(cli):
    run = cli("eval", "relu(x)", "x=0", "--format", "json")
    assert run.code == 0
    assert json.loads(run.out)["gradients"] == {"x": 0.0}
    assert "note: relu'(0) = 0" in run.err and "PyTorch" in run.err


def test_gradient_infinite_is_error_in_strict_mode(cli):
    run = cli("eval", "sqrt(x)", "x=0")
    assert run.code == 1 and "infinite gradient" in run.err and "sqrt(x)" in run.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "x*y", "--x", "1"], "error: missing value for 'y'"),
        (["eval", "x", "--x", "1", "--z", "2"], "error: no variable 'z' in the expression (its variables: 'x')"),
        # One letter is too short for a "did you mean" by edits; one in another case is not.
        (["eval", "X**2", "x=3"], "error: no variable 'x' in the expression (did you mean 'X'?)"),
        (["eval", "2 + 3", "x=3"], "error: no variable 'x' in the expression (it has no variables)"),
        (["eval", "a + b + c + d + f + g + h + k", "q=1"], "(its variables: 'a', 'b', 'c', 'd', 'f', 'g' and 2 more)"),
        (["diff", "X**2", "--wrt", "x"], "error: no variable 'x' in the expression (did you mean 'X'?)"),
        (["eval", "X**2", "--grid", "x=0:1:0.5"], "error: --grid x: no variable 'x' in the expression (did you"),
        (["eval", "SIN(x)", "x=1"], "unknown function 'SIN' (did you mean 'sin'?)"),
        # A decimal comma, as many locales write 3.5.
        (["eval", "x", "x=3,5"], "error: value for 'x': '3,5' is not a number (write 3.5: the decimal point is '.'"),
        (["eval", "x", "x=1,000"], "error: value for 'x': '1,000' is not a number (write it without ','"),
        (["eval", "a = 2; a*x", "x=1", "a=3"], "error: 'a' is assigned in the expression and cannot be given a"),
        (["eval", "x", "x=3,5,6"], "expected '+', '-', ';', a newline or the end at line 1, column 2"),
        (["diff", "x*y", "--wrtt", "x"], "error: diff has no option '--wrtt' (did you mean '--wrt'?)"),
        (["eval", "x", "--x", "1", "--fromat", "json"], "did you mean '--format'?"),
        (["eval", "e = 2*x; e", "--x", "1", "--e", "2"], "'e' is assigned in the expression"),
        (["eval", "x", "--x"], "--x needs a value (--x VALUE sets the variable 'x'"),
        (["eval", "x", "--x", "1", "--x", "2"], "value for 'x' given twice"),
        (["eval", "x", "--x", "y"], "value for 'x' must be a number or a constant expression"),
        (["eval", "x", "--x", "1/0"], "value for 'x': division by zero"),
        (["eval", "x", "--x", "1e999"], "value for 'x' is not finite"),
        (["eval", "x", "--x", "1", "--format", "xml"], "error: "),
        (["eval"], "missing expression"),
        (["eval", "@/no/such/file"], "cannot read '/no/such/file'"),
        (["eval", "x", "1", "2"], "unexpected argument '1'"),
        (["eval", "a*(b+)"], "unexpected ')'"),
    ],
)
def test_usage_errors_exit_2(cli, args, message):
    run = cli(*args)
    assert run.code == 2, (run.out, run.err)
    assert message in run.err
    assert run.err.startswith("error: ") and "Traceback" not in run.err
    assert run.out == ""


def test_syntax_error_shows_caret(cli):
    run = cli("eval", "a*(b+)")
    assert run.err.splitlines() == [
        "error: unexpected ')'; expected '(', '+', '-', a name or a number at line 1, column 6",
        "  a*(b+)",
        "       ^",
    ]


def test_help_and_version(cli):
    from autodiff_cli import __version__

    run = cli("eval", "--help")
    assert run.code == 0 and "Examples:" in run.out and "--format" in run.out
    run = cli("--version")
    assert run.code == 0 and run.out.strip() == f"autodiff {__version__}"


def test_real_subprocess():
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", *LECTURE_ARGS, "--format", "json"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["value"] == -8.0
    proc = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", "log(x)", "x=-1"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")


def test_closed_pipe_is_quiet():
    code = "import sys; from autodiff_cli.cli.main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, "eval", "x", "x=1", "--format", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader goes away before anything is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err


def _entry_point(*args: str, setup: str = "") -> subprocess.CompletedProcess:
    """Run the command line's entry point (``autodiff_cli.cli.main:run``) in a new process, after ``setup``."""
    code = f"import sys\n{setup}\nfrom autodiff_cli.cli.main import run\nsys.argv[1:] = {list(args)!r}\nrun()\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as users run it
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


def test_entry_point_writes_everything_before_it_leaves(tmp_path):
    # The entry point ends the process without the interpreter's teardown: all
    # of a large output must still arrive, and the exit status be the contract's.
    n = 3000
    expr = tmp_path / "expr.txt"
    expr.write_text(" + ".join(f"w{i}*x{i}" for i in range(n)))
    values = {**{f"w{i}": i + 0.5 for i in range(n)}, **{f"x{i}": 1 / (i + 1) for i in range(n)}}
    (tmp_path / "values.json").write_text(json.dumps(values))
    proc = _entry_point("eval", f"@{expr}", "--input", str(tmp_path / "values.json"), "--format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["value"] == pytest.approx(sum((i + 0.5) / (i + 1) for i in range(n)))
    for i in range(n):  # d/dw_i = x_i, d/dx_i = w_i
        assert result["gradients"][f"w{i}"] == values[f"x{i}"]
        assert result["gradients"][f"x{i}"] == values[f"w{i}"]
    proc = _entry_point("eval", "log(x)", "x=-1")
    assert proc.returncode == 1 and proc.stderr.startswith("error: ") and proc.stdout == ""
    proc = _entry_point("eval", "x +", "x=1")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")


def test_entry_point_runs_exit_hooks_when_there_are_any():
    # Skipping the teardown is only for when nothing is registered to run at exit.
    setup = "import atexit\natexit.register(lambda: print('hook ran', file=sys.stderr))"
    proc = _entry_point("eval", "x*y", "x=2", "y=3", "--format", "json", setup=setup)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["gradients"] == {"x": 3.0, "y": 2.0}
    assert proc.stderr == "hook ran\n"


def test_entry_point_keeps_the_points_written_before_an_error(tmp_path):
    # A batch streams: the chunks written before a bad line stay written (and
    # flushed) when the entry point ends the process.
    from autodiff_cli.points.batch import CHUNK

    rows = [f"{i / 1000!r}" for i in range(CHUNK + 5)]
    (tmp_path / "points.csv").write_text("x\n" + "\n".join(rows) + "\nnot-a-number\n")
    proc = _entry_point("eval", "x*x", "--input", str(tmp_path / "points.csv"), "--format", "csv")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and f"line {CHUNK + 7}" in proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "x,value,grad_x" and len(lines) == 1 + CHUNK
    x = float(lines[-1].split(",")[0])
    assert lines[-1] == f"{x!r},{x * x!r},{2 * x!r}" and x == (CHUNK - 1) / 1000


def test_entry_point_delivers_pending_output_on_an_error():
    # Whatever sits in standard output's buffer when a command fails is still written.
    proc = _entry_point("eval", "log(x)", "x=-1", setup="sys.stdout.write('written before\\n')")
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")
    assert proc.stdout == "written before\n"


def test_the_title_is_the_statements_without_empty_ones(cli):
    # "x**2;" ends in an empty statement: the title was "x**2; = 1.0".
    assert cli("eval", "x**2;", "x=1").out.splitlines()[0] == "x**2 = 1.0"
    assert cli("eval", "a=x*2;b=a+1 # b\nb*3", "x=1").out.splitlines()[0] == "a=x*2; b=a+1; b*3 = 9.0"


def test_a_column_for_an_assigned_name_says_so(cli):
    # Was "no variable 'a' in the expression (its variables: 'x')": it is there, assigned.
    run = cli("eval", "a = 2; L = a*x", "--input", "-", "--format", "csv", stdin=b"x,a\n1,2\n")
    assert (run.code, run.err) == (
        2, "error: standard input: 'a' is assigned in the expression and cannot be given a value\n")
