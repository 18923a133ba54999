"""Claims of the documentation that no other test held, each checked as the page
states it (the page named beside each): messages, bounds and shapes a user relies on."""

from __future__ import annotations

import json
import re

import pytest


def test_arctan_gets_its_hint(cli):  # language.md
    run = cli("eval", "arctan(x)", "x=1")
    assert run.code == 2 and "'arctan' is not supported (write atan(...))" in run.err


def test_diff_order_0_in_json_is_the_function(cli):  # derivatives.md
    run = cli("diff", "a = x*y; L = a**2", "--order", "0", "--format", "json")
    assert json.loads(run.out) == {"expression": "a = x*y; L = a**2", "order": 0, "function": "x**2*y**2"}


def test_a_batch_table_holds_at_most_10000_points(cli):  # pipelines.md
    assert cli("eval", "x", "--grid", "x=0:10000:1").code == 0
    run = cli("eval", "x", "--grid", "x=0:10001:1")
    assert run.code == 2 and "more than 10,000 points" in run.err


@pytest.mark.parametrize("flag", ["--nodes", "--hessian"])
def test_nodes_and_hessian_are_for_single_points(cli, flag):  # pipelines.md
    run = cli("eval", "x", "--grid", "x=0:2:1", flag)
    assert run.code == 2 and f"{flag} is for single points" in run.err


@pytest.mark.parametrize("flag", ["--nodes", "--hessian"])
def test_one_output_options_refuse_of(cli, flag):  # eval.md
    run = cli("eval", "u = x*y; v = x + y", "x=2", "y=3", "--of", "u,v", flag)
    assert run.code == 2 and f"{flag} takes one output" in run.err


def test_check_formats_are_table_and_json(cli):  # check.md
    run = cli("check", "x", "x=1", "--format", "csv")
    assert run.code == 2 and run.err.strip() == "error: --format is table or json, not 'csv'"


def test_keep_refuses_a_table(cli, tmp_path):  # pipelines.md
    (tmp_path / "k.csv").write_text("id,x\np1,1\n")
    run = cli("eval", "x*2", "--input", str(tmp_path / "k.csv"), "--keep", "id")
    assert run.code == 2 and "--keep" in run.err and "--format" in run.err


def test_a_latex_line_is_labelled_with_the_outputs_name(cli):  # derivatives.md
    run = cli("diff", "a = x**2; L = a*y", "--format", "latex", "--wrt", "x", "--wrt", "y")
    assert run.out.splitlines()[0] == r"\frac{\partial L}{\partial x} = 2 x y"


@pytest.mark.parametrize(("text", "latex"), [
    ("w1*w_1", r"w_{1} \cdot \mathrm{w\_1}"),  # the second name whose short form is taken: its literal name
    ("log_2*x", r"\mathrm{log\_2} \cdot x"),  # a name that would read as a function
    ("xlogy(a, b)", r"a \log\left(b\right)"),
])
def test_latex_names_as_the_page_writes_them(cli, text, latex):  # derivatives.md
    assert cli("diff", text, "--order", "0", "--format", "latex").out.strip() == latex


@pytest.mark.parametrize(("text", "printed"), [
    ("sqrt(exp(u))", "exp(u/2)"),
    ("cos(x)*sin(x) - sin(x)*cos(x) + y", "y"),
    ("x**2*y + x**3", "x**2*(x + y)"),
])
def test_rewrites_the_page_lists(cli, text, printed):  # derivatives.md
    assert cli("diff", text, "--order", "0").out.strip() == printed


def test_graph_numbers_switch_to_scientific_form_and_colours(cli):  # drawing.md
    dot = cli("graph", "x*1e20 + c", "x=1", "c=2", "--format", "dot", "-o", "-").out
    assert "gradient: 1.0000e+20" in dot
    fills = dict(re.findall(r'label="\{ ?(\w+) \|[^"]*"[^\]]*fillcolor="(#\w+)"', dot))
    assert fills["x"] == fills["c"] == "#dbeafe"  # inputs blue
    assert "#fef9c3" in dot  # operations pale yellow


def test_graph_with_ieee_draws_inf(cli, tmp_path):  # drawing.md
    out = tmp_path / "ie.dot"
    assert cli("graph", "log(x)", "x=0", "--ieee", "-o", str(out)).code == 0
    assert "-inf" in out.read_text()


def test_a_drawing_is_not_saved_as_a_page_and_the_page_is_saved_whole(tmp_path):  # api.md
    from autodiff_cli import Value
    from autodiff_cli.base.errors import UsageError

    a = Value(2.0, label="a")
    b = a * a
    b.backward()
    with pytest.raises(UsageError, match=r"render_graph\(steps=True\)"):
        b.render_graph().save(tmp_path / "g.html")
    with pytest.raises(UsageError, match=r"use \.svg, \.png, \.pdf or \.dot,"):
        b.render_graph().save(tmp_path / "g.xyz")
    b.render_graph(steps=True).save(str(tmp_path / "p.html"))
    assert (tmp_path / "p.html").read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["p.html"]  # no temporary file left
