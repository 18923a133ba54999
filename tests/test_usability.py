"""What a person trips on: help, usage messages, tables read at a terminal's
width, plot's output choices. Each case was once wrong."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest

from autodiff_cli.cli.spec import COMMANDS


def test_no_arguments_prints_the_help_not_an_error(cli):
    run = cli()
    assert run.code == 0 and run.err == ""
    assert "Usage: autodiff [OPTIONS] COMMAND [ARGS]..." in run.out
    assert run.out == cli("--help").out == cli("-h").out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help(cli, name, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    run = cli(name, "-h")
    assert run.code == 0 and run.out == cli(name, "--help").out
    assert f"Usage: autodiff {name} [OPTIONS]" in run.out
    for opt in COMMANDS[name].options:
        assert f"--{opt.name}" in run.out
    for example in COMMANDS[name].examples:
        assert example in run.out  # whole, never cut
    for junk in ("<list[str]>", "<int range>", "…", "...]...", "Input should"):
        assert junk not in run.out


@pytest.mark.parametrize("columns", ["80", "160"])
def test_summaries_are_never_cut(cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", columns)
    text = " ".join(cli("--help").out.replace("│", " ").split())
    for command in COMMANDS.values():
        assert command.summary in text
    assert "…" not in text


def test_version_anywhere(cli):
    from autodiff_cli import __version__

    assert cli("--version").out == cli("eval", "--version").out == f"autodiff {__version__}\n"


@pytest.mark.parametrize(("args", "message"), [
    (["eval", "x", "x=1", "--format", "yaml"], "--format is table, json, jsonl, csv or tsv, not 'yaml'"),
    (["diff", "x", "--order", "-1"], "--order takes a whole number from 0 to 10, not '-1'"),
    (["diff", "x", "--order", "abc"], "--order takes a whole number from 0 to 10, not 'abc'"),
    (["graph", "a", "a=1", "-o", "-", "--rankdir", "XX"], "--rankdir is LR or TB, not 'XX'"),
    (["check"], "missing expression: autodiff check EXPR"),
    (["plot"], "missing expression: autodiff plot EXPR"),
    (["plot", "x"], "plot needs --grid NAME=START:STOP[:STEP]"),
    (["check", "x", "x=1", "--grid", "x=0:1:1"], "check has no option --grid (eval and plot have it)"),
    (["eval", "x", "--all=yes"], "--all is a switch and takes no value"),
    (["eval", "x", "--format"], "--format needs a value"),
    (["evl", "x"], "no command 'evl' (did you mean 'eval'?)"),
    (["--bogus"], "'--bogus' is not an option of autodiff"),
    (["eval", "x", "--digits", "0", "x=1"], "--digits takes a whole number from 1 to 17, not '0'"),
    (["eval", "x*y", "--x", "--y", "2"], "--x needs a value, not '--y'"),
    (["eval", "x", "x=1", "--foo"], "--foo needs a value (--foo VALUE sets the variable 'foo'"),
    (["plot", "x*y", "--grid", "x=0:1", "--grid", "y=0:1", "--terminal"], "plot sweeps one variable"),
    (["plot", "x", "--grid", "x=0:1:-0.1", "--terminal"], "--grid x=0:1:-0.1 holds no points"),
    (["eval", "--show-completion"], "--show-completion is an option of autodiff itself"),
    (["eval", "x", "--x", "abc"], "not 'abc': a value cannot name a variable"),
    (["eval", "x", "x=1", "--hesian"], "eval has no option '--hesian' (did you mean '--hessian'?)"),
])
def test_usage_errors_are_plain_sentences(cli, args, message):
    run = cli(*args)
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("error: ") and run.err.count("\n") == 1
    assert message in run.err, run.err
    assert "Value error" not in run.err and "Invalid value" not in run.err


def test_hessian_title_is_one_line(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for expression, values in (("x**3", ["x=2"]), ("x*y", ["x=2", "y=3"])):
        lines = cli("eval", expression, *values, "--hessian").out.splitlines()
        assert "second derivatives (Hessian)" in [line.strip() for line in lines]


def test_digits_choose_the_figures(cli):
    # 1/3 to 3, 6 and 17 significant digits; the machine format stays exact.
    for digits, shown in ((3, "0.333"), (6, "0.333333"), (17, "0.33333333333333331")):
        out = cli("eval", "x/3", "x=1", "--digits", str(digits)).out
        assert re.search(rf"\s{re.escape(shown)}\s", out), out
    exact = cli("eval", "x/3", "x=1", "--format", "csv").out.splitlines()[1]
    assert exact == "1.0,0.3333333333333333,0.3333333333333333"


def test_long_node_texts_are_shortened_and_say_how_to_see_them(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    long = " + ".join(f"x{k}*y{k}" for k in range(30))
    values = [f"x{k}=1" for k in range(30)] + [f"y{k}=2" for k in range(30)]
    out = cli("eval", f"s = {long}; s*s", *values, "--trace").out
    import json

    steps = json.loads(cli("eval", f"s = {long}; s*s", *values, "--trace", "--format", "json").out)["trace"]
    shortened = "x0*y0 + x1*y1 + x2 ... x27*y27 + x28*y28"  # 18 characters of each end kept
    assert shortened in [i["node"] for step in steps for i in step["inputs"]]
    assert "x2 ..." in out and "x27*y27 +" in out
    assert "name a part (t = ...) to see it whole" in out
    assert "…" not in out


def test_plot_to_standard_output(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = cli("plot", "x**2", "--grid", "x=-1:1", "-o", "-", "--format", "svg")
    assert run.code == 0
    assert ET.fromstring(run.out).tag.endswith("svg")
    assert list(tmp_path.iterdir()) == []  # no file named '-'


def test_plot_format_must_match_the_name(cli, tmp_path):
    out = tmp_path / "x.svg"
    run = cli("plot", "x**2", "--grid", "x=-1:1", "-o", str(out), "--format", "png")
    assert run.code == 2 and "does not match" in run.err and not out.exists()


def test_plot_in_the_terminal_follows_its_width_and_shows_the_slope(cli, monkeypatch):
    for columns in (60, 160):
        monkeypatch.setenv("COLUMNS", str(columns))
        out = cli("plot", "3*x**2 - 4*x + 5", "--grid", "x=-5:5", "--at", "3", "--terminal").out
        assert max(map(len, out.splitlines())) <= columns
        assert max(map(len, out.splitlines())) >= columns - 2
        assert "slope df/dx = 14" in out  # 6*3 - 4, by hand


@pytest.mark.parametrize(("args", "message", "code"), [
    (["3*x**2", "--grid", "x=0:1", "--at", "5", "--terminal"], "outside the plotted range", 2),
    (["log(x)", "--grid", "x=-3:-1", "--terminal"], "undefined at every point", 1),
])
def test_plot_refuses_what_would_show_nothing(cli, args, message, code):
    run = cli("plot", *args)
    assert run.code == code and message in run.err and run.out == ""


def test_a_batch_with_no_points_says_so(cli):
    run = cli("eval", "x", "--grid", "x=0:1:-1", "--format", "csv")
    assert run.code == 0 and run.out == "x,value,grad_x\r\n"
    assert "holds no points" in run.err


def test_an_expression_file_s_last_line_end_is_not_part_of_it(cli):
    import json

    run = cli("eval", "-", "x=3", "--format", "json", stdin=b"x**2\n")
    assert json.loads(run.out)["expression"] == "x**2"


def test_standard_input_is_one_thing(cli):
    run = cli("eval", "-", "--input", "-", stdin=b"x\n")
    assert run.code == 2 and "not both" in run.err


@pytest.mark.parametrize(("words", "expected"), [
    ("autodiff ev", {"eval"}),
    ("autodiff eval --fo", {"--format"}),
    ("autodiff graph x --rank", {"--rankdir"}),
])
def test_shell_completion(cli, monkeypatch, words, expected):
    monkeypatch.setenv("_AUTODIFF_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(words.split()) - 1))
    run = cli()
    assert run.code == 0 and set(run.out.split()) == expected


def test_completion_script_is_shown(cli, monkeypatch):
    monkeypatch.setenv("SHELL", "/bin/bash")
    run = cli("--show-completion", "bash")
    assert run.code == 0 and "_AUTODIFF_COMPLETE=complete_bash" in run.out


def test_python_api_as_a_person_meets_it():
    import autodiff_cli
    from autodiff_cli import Value, parse

    assert {"Value", "parse", "Expression", "Evaluation"} <= set(dir(autodiff_cli))
    v = Value(-3.0, label="v")
    w = abs(v)  # d|v|/dv = sign(v) = -1 at v = -3, by hand
    w.backward()
    assert (w.data, v.grad) == (3.0, -1.0)
    ev = parse("a*b").evaluate({"a": 2, "b": 3}, trace=True)
    assert repr(ev) == "Evaluation('a*b', value=6.0, gradients={'a': 3.0, 'b': 2.0})"
    assert repr(ev.trace[0]).startswith("TraceStep(node='a*b', op='*', gradient=1.0, inputs=[TraceInput(node='a'")
    assert " at 0x" not in repr(ev) + repr(ev.trace)


@pytest.mark.parametrize("columns", ["0", "1", "-5", "abc"])
def test_a_useless_columns_setting_still_shows_the_table(cli, monkeypatch, columns):
    # COLUMNS=0 printed nothing and COLUMNS=1 was an internal error: a table is laid out at least 40 wide.
    monkeypatch.setenv("COLUMNS", columns)
    for args in (["eval", "a*b", "a=1", "b=2"], ["check", "a*b", "a=1", "b=2"], ["eval", "x", "--grid", "x=0:2:1"]):
        run = cli(*args)
        assert run.code == 0 and run.err == ""
        assert "1.0" in run.out and "…" not in run.out


def test_table_texts_break_between_parts_not_inside_them(cli, monkeypatch):
    from autodiff_cli.cli.console import wrap

    # Was "b)*exp(-x1*" over "*2)": a line ended inside x1**2.
    assert wrap("tanh(w1*x1 + w2*x2 + b)*exp(-x1**2)", 11).splitlines() == [
        "tanh(w1*x1", "+ w2*x2 +", "b)*", "exp(-x1**2)"]
    assert wrap("w1*x1 + w2*x2", 11).splitlines() == ["w1*x1 +", "w2*x2"]  # at a space where one fits
    assert wrap("very_long_name*x", 6).splitlines() == ["very_l", "ong_na", "me*x"]  # a name wider than a line
    assert wrap("abcde**2*y", 6).splitlines() == ["abcde", "**2*y"]  # a cut never splits **
    # A CJK letter takes two cells of a terminal: lines are measured in cells.
    from rich.cells import cell_len

    lines = wrap("数值乙*数值丙*sin(数值乙)", 10).splitlines()
    assert lines == ["数值乙*", "数值丙*", "sin(", "数值乙)"] and all(cell_len(line) <= 10 for line in lines)
    monkeypatch.setenv("COLUMNS", "80")
    text = "tanh(w1*x1 + w2*x2 + b)*exp(-x1**2) + sin(lr*x2)"
    out = cli("eval", text, "w1=0.5", "w2=-1.5", "x1=1", "x2=2", "b=0.1", "lr=0.01", "--trace").out
    lines = out.splitlines()
    assert any(line.rstrip().endswith("exp(-x1**2)") for line in lines)
    assert not any(line.rstrip().endswith(("exp(-x1*", "x1**")) for line in lines), out


def test_tables_of_wide_letters_fit_the_terminal(cli, monkeypatch):
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", "50")
    text = "变量甲 = 数值乙**2*数值丙**3 + 数值乙*数值丙*sin(数值乙*数值丙*数值乙); 结果 = 变量甲*数值乙"
    run = cli("eval", text, "数值乙=0.5", "数值丙=0.25", "--trace", "--all")
    assert run.code == 0 and all(cell_len(line) <= 50 for line in run.out.splitlines()), run.out
    title = run.out.splitlines()[0]  # shortened in the middle, the value kept on its line
    assert " ... " in title and title.endswith(" = 0.00585683") and cell_len(title) <= 50


def test_messages_break_at_terminal_cells(monkeypatch):
    from rich.cells import cell_len

    from autodiff_cli.cli.process import to_width

    monkeypatch.setenv("COLUMNS", "40")  # the width, whatever the stream is
    line = "error: no variable '变量变量变量变量' in the expression (its variables: '数据数据数据数据数据', 'x')"
    lines = to_width(line, io.StringIO()).splitlines()
    assert len(lines) > 1 and all(cell_len(part) <= 40 for part in lines)
    assert " ".join(part.strip() for part in lines) == line


@pytest.mark.parametrize("text", ["sin(x", "pow(x, ", "a = ", "x*", "x/(", "(x))", "f(x,"])
def test_expected_tokens_are_written_as_the_user_types_them(cli, text):
    run = cli("eval", text, "x=1")
    line = run.err.splitlines()[0]
    assert run.code == 2 and line.startswith("error: unexpected")
    assert not re.search(r"'[A-Z_]{2,}'", line), line  # never a grammar's terminal name ('COMMA')


@pytest.mark.parametrize("name", ["gamma", "lgamma", "digamma", "sinc", "besselj", "heaviside", "round", "Gamma",
                                  "acot", "asec", "acoth", "arccot", "exp10"])
def test_a_maths_function_the_language_lacks_is_not_supported_never_another(cli, name):
    # "did you mean 'sin'?" for sinc would have a user differentiate another function.
    run = cli("eval", f"{name}(x)", "x=1")
    line = run.err.splitlines()[0]
    assert run.code == 2 and line.startswith(f"error: '{name}' is not supported (the functions: exp, log, ")
    assert "did you mean" not in line


@pytest.mark.parametrize(("name", "instead"), [("fabs", "abs"), ("arctan2", "atan2"), ("maximum", "max"),
                                               ("expit", "sigmoid")])
def test_numpys_and_cs_names_are_pointed_at_ours(cli, name, instead):
    run = cli("eval", f"{name}(x, x)", "x=2")
    assert run.code == 2 and run.err.startswith(f"error: '{name}' is not supported (write {instead}(")


def test_ln_is_pointed_at_log(cli):
    run = cli("eval", "ln(x)", "x=2")
    assert run.code == 2 and run.err.startswith("error: 'ln' is not supported (log is the natural logarithm: write "
                                                "log(...)) at line 1, column 1\n")
