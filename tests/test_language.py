"""The expression language, row by row of the contract's table."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings

from autodiff_cli import ExprSyntaxError, UsageError, parse

from conftest import examples
from strategies import expressions


def value(text: str, **values: float) -> float:
    return parse(text).evaluate(values).value


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", 2.0), ("2.5", 2.5), (".5", 0.5), ("5.", 5.0), ("1e-3", 0.001), ("2E+10", 2e10), ("1.5e2", 150.0)],
)
def test_numbers(text, expected):
    assert value(text) == expected


@pytest.mark.parametrize("name", ["a", "x1", "learning_rate", "θ", "_private", "Δx", "e"])
def test_identifiers(name):
    result = parse(f"2*{name}").evaluate({name: 3.0})
    assert result.value == 6.0 and result.gradients == {name: 2.0}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2*3", 7.0),
        ("(1 + 2)*3", 9.0),
        ("8 / 4 / 2", 1.0),  # left-associative
        ("8 - 4 - 2", 2.0),
        ("2**3**2", 512.0),  # right-associative
        ("2^3^2", 512.0),  # ^ is the same operator
        ("-2**2", -4.0),  # ** binds tighter than unary minus
        ("2**-1", 0.5),  # a**-b is allowed
        ("-(2)**2", -4.0),
        ("(-2)**2", 4.0),
        ("--3", 3.0),
        ("+-+3", -3.0),
        ("2*-3", -6.0),
        ("pi", math.pi),
        ("pow(2, 10)", 1024.0),
        ("2 ** 0.5", math.sqrt(2)),
    ],
)
def test_precedence_and_associativity(text, expected):
    assert value(text) == expected


def test_power_binds_tighter_than_unary_minus_on_variables():
    result = parse("-a**2").evaluate({"a": 3.0})
    assert result.value == -9.0 and result.gradients == {"a": -6.0}


def test_e_is_a_variable_not_a_constant():
    assert parse("e*2").evaluate({"e": 5.0}).value == 10.0


def test_statements_comments_and_newlines():
    text = """
    # the lecture, by hand
    e = c*d      # first step
    f = (b +
         e)      ; L = a*f
    """
    result = parse(text).evaluate({"c": 2, "d": -3, "b": 10, "a": -2}, intermediates=True)
    assert result.value == -8.0
    assert list(result.nodes) == ["e", "f", "L"]
    assert list(result.variables) == ["c", "d", "b", "a"]  # order of first appearance


def test_variable_used_twice_accumulates():
    assert parse("a*a").evaluate({"a": 3.0}).gradients == {"a": 6.0}
    assert parse("a + a").evaluate({"a": 3.0}).gradients == {"a": 2.0}
    expr = parse("a*a")
    assert expr.output.children[0] is expr.output.children[1]  # one leaf, two edges


def test_alias_of_a_variable():
    result = parse("y = x; y*y").evaluate({"x": 3.0}, intermediates=True)
    assert result.value == 9.0 and result.gradients == {"x": 6.0} and result.nodes == {"y": (3.0, 6.0)}


def test_unused_statement_does_not_touch_gradients():
    # f is never used by the output; its infinite local derivative must not leak (0 * inf).
    result = parse("f = sqrt(x); x*2").evaluate({"x": 0.0})
    assert result.gradients == {"x": 2.0}


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("a*(b+)", "unexpected ')'", 1, 6),
        ("a +* 2", "unexpected '*'", 1, 4),
        ("(a", "unexpected end of input", 1, 3),
        ("a)", "unexpected ')'", 1, 2),
        ("a = 1\nb = $", "unexpected character '$'", 2, 5),
        ("tahn(x)", "did you mean 'tanh'?", 1, 1),
        ("x + sigmod(x)", "did you mean 'sigmoid'?", 1, 5),
        ("sin(x, y)", "sin() takes 1 argument, got 2", 1, 1),
        ("pow(x)", "pow() takes 2 arguments, got 1", 1, 1),
        ("exp + 1", "'exp' is a function", 1, 1),
        ("a = 1; a = 2", "'a' is assigned twice", 1, 8),
        ("b = a*2; a = 1", "'a' is assigned after it is used", 1, 10),
        ("pi = 3", "cannot assign to 'pi'", 1, 1),
        ("a*b; c", "only the last statement may be a bare expression", 1, 1),
        ("", "empty expression", 1, 1),
        ("# only a comment", "empty expression", 1, 17),
        ("2x", "unexpected 'x'", 1, 2),
        ("a +\nb", "unexpected newline", 1, 4),
        ("__import__('os')", "unexpected character \"'\"", 1, 12),
    ],
)
def test_syntax_errors_have_positions(text, message, line, column):
    with pytest.raises(ExprSyntaxError) as info:
        parse(text)
    assert message in str(info.value)
    assert (info.value.line, info.value.column) == (line, column)
    source_line, caret = info.value.details()
    assert caret.index("^") - 2 == column - 1
    lines = text.splitlines() or [""]  # the empty text has one empty line
    assert source_line.strip() == lines[line - 1].strip()


def test_unknown_python_function_is_an_unknown_function():
    with pytest.raises(ExprSyntaxError, match="unknown function '__import__'"):
        parse("__import__(os)")


def test_values_are_checked_by_name():
    expr = parse("e = c*d; L = a*e")
    with pytest.raises(UsageError, match="missing value for 'a'"):
        expr.evaluate({"c": 1, "d": 2})
    with pytest.raises(UsageError, match=r"no variable 'cc'.*did you mean 'c'"):
        expr.evaluate({"cc": 1, "c": 1, "d": 2, "a": 1})
    with pytest.raises(UsageError, match="'e' is assigned"):
        expr.evaluate({"e": 1, "c": 1, "d": 2, "a": 1})


def test_deep_parentheses_parse_and_differentiate():
    depth = 100_000
    result = parse("(" * depth + "x*x" + ")" * depth).evaluate({"x": 3.0})
    assert result.value == 9.0 and result.gradients == {"x": 6.0}


def test_deep_unary_chain():
    result = parse("-" * 100_001 + "x").evaluate({"x": 2.0})
    assert result.value == -2.0 and result.gradients == {"x": -1.0}


def test_deep_statement_chain():
    n = 20_000
    lines = ["v0 = x"] + [f"v{i} = v{i - 1} + x" for i in range(1, n)]
    result = parse("\n".join(lines)).evaluate({"x": 1.5})
    assert result.value == 1.5 * n and result.gradients == {"x": float(n)}


@settings(max_examples=examples(300), deadline=None)
@given(expressions)
def test_each_node_span_is_the_text_that_computes_it(text):
    # Spans are found by a second parse when a message needs them; each one
    # must be the source text of its node: parsed alone, it computes the same value.
    expr = parse(f"  {text}  # note")
    values = {"x": 0.7, "y": -1.3, "z": 2.1}
    ev = expr.evaluate({k: v for k, v in values.items() if k in expr.variables}, ieee=True)
    assert len(expr.spans) == len(expr.nodes)
    for node, (start, end) in zip(expr.nodes, expr.spans, strict=True):
        alone = parse(expr.source[start:end])
        got = alone.evaluate({k: v for k, v in values.items() if k in alone.variables}, ieee=True).value
        assert got == node.data or (math.isnan(got) and math.isnan(node.data)), (text, expr.source[start:end])
    assert ev.value == expr.output.data or math.isnan(ev.value)


def test_statement_error_positions_come_from_the_second_parse():
    with pytest.raises(ExprSyntaxError) as caught:
        parse("a = 1\n  b*2\nc = a; c")
    assert (caught.value.line, caught.value.column) == (2, 3)


# Names are NFKC-normalised, as Python's identifiers are (PEP 3131): the ligature 'ﬁ'
# (U+FB01) is 'fi', the script 'ℯ' (U+212F) is 'e', a full-width 'ｘ' is 'x'.
@pytest.mark.parametrize(("written", "plain"), [("ﬁ", "fi"), ("ℯ", "e"), ("ｘ", "x"), ("𝑥", "x")])
def test_compatibility_letters_are_the_plain_name(written, plain):
    import unicodedata

    assert unicodedata.normalize("NFKC", written) == plain  # the independent truth: Python's own rule
    result = parse(f"{written}*{plain} + {written}").evaluate({plain: 3.0})
    assert result.value == 12.0 and result.gradients == {plain: 7.0}  # one variable, not two


def test_compatibility_names_reach_functions_and_assignments():
    assert value("ｅｘｐ(0) + ｐｉ") == 1.0 + math.pi  # full-width built-in names are the built-ins
    expr = parse("ﬁx = 2*x; ﬁx + 1")
    assert list(expr.names) == ["fix"] and expr.evaluate({"x": 1.0}).value == 3.0
    assert value("x² + 1", **{"x²": 2.0}) == 3.0  # no Python name holds '²': kept as written, not 'x2'


def test_caret_of_a_normalised_name_points_at_the_text_as_written():
    with pytest.raises(ExprSyntaxError) as info:
        parse("ﬁﬁ + ﬁﬁ(1)")  # 'fifi' is a variable here, and called: the error is at the second 'ﬁﬁ'
    assert str(info.value).startswith("unknown function 'fifi'")
    assert info.value.column == 6  # 1-based, counted in the text as written (8 in 'fifi + fifi(1)')
    assert info.value.details()[-2:] == ["  ﬁﬁ + ﬁﬁ(1)", "       ^"]


def test_compatibility_names_on_the_command_line(cli, tmp_path):
    import json

    run = cli("eval", "ﬁ*x", "--ﬁ", "3", "x=2", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["gradients"] == {"fi": 2.0, "x": 3.0}
    run = cli("eval", "fi*x", "ﬁ=3", "--x", "2", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["variables"] == {"fi": 3.0, "x": 2.0}
    run = cli("diff", "ﬁ*x**2", "--wrt", "ﬁ")
    assert run.code == 0 and run.out.strip() == "x**2"
    run = cli("eval", "u = ﬁ*x; u + 1", "--of", "u", "--ﬁ", "2", "--x", "5", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["jacobian"] == {"u": {"fi": 5.0, "x": 2.0}}
    table = tmp_path / "points.csv"
    table.write_text("ﬁ,x,ｉｄ\n1,2,a\n3,4,b\n", encoding="utf-8")
    run = cli("eval", "fi*x", "--input", str(table), "--keep", "ｉｄ", "--format", "csv")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["id,fi,x,value,grad_fi,grad_x", "a,1.0,2.0,2.0,2.0,1.0", "b,3.0,4.0,12.0,4.0,3.0"]
    lines = tmp_path / "points.jsonl"
    lines.write_text('{"ﬁ": 2, "x": 1}\n{"ﬁ": 3, "x": 1}\n', encoding="utf-8")
    run = cli("eval", "fi*x", "--input", str(lines), "--format", "csv")
    assert run.code == 0 and run.out.splitlines()[1:] == ["2.0,1.0,2.0,1.0,2.0", "3.0,1.0,3.0,1.0,3.0"]
    lines.write_text('{"ﬁ": 2, "fi": 1}\n{"ﬁ": 3, "fi": 1}\n', encoding="utf-8")
    run = cli("eval", "fi*x", "--input", str(lines), "--x", "1")
    assert run.code == 2 and "'fi' appears twice" in run.err


# Python's identifiers (PEP 3131) are the truth: every one is a name, with its
# combining marks (NFD 'é', 'x̃'), spacing vowel signs (Devanagari 'गति'), connector
# punctuation ('x‿y'), U+00B7 MIDDLE DOT and the Other_ID_Start letters '℘', '℮'.
IDENTIFIERS = ["e\u0301", "x\u0303", "गति", "x·y", "x‿y", "℘", "℮"]


@pytest.mark.parametrize("name", IDENTIFIERS)
def test_every_python_identifier_is_a_name(name):
    import unicodedata

    assert name.isidentifier()
    plain = unicodedata.normalize("NFKC", name)
    result = parse(f"{name}*{name} + 2*{name}").evaluate({plain: 3.0})
    assert result.value == 15.0 and result.gradients == {plain: 8.0}


def test_python_identifiers_as_values_and_columns(cli, tmp_path):
    import json

    names = [n for n in IDENTIFIERS if n != "e\u0301"]
    expr = "+".join(f"{k + 1}*{n}" for k, n in enumerate(names)) + " + é"  # é composed here, decomposed below
    run = cli("eval", expr, *(f"{n}=1" for n in names[:3]), *(a for n in names[3:] for a in (f"--{n}", "2")),
              "e\u0301=5", "--format", "json")
    assert run.code == 0, run.err
    assert json.loads(run.out)["value"] == 1 + 2 + 3 + 2 * (4 + 5 + 6) + 5
    run = cli("eval", "x̃*é", "--e\u0301", "1", "--x̃", "3", "--format", "json")
    assert run.code == 0 and json.loads(run.out)["variables"] == {"é": 1.0, "x̃": 3.0}
    table = tmp_path / "points.csv"
    table.write_text("गति,x‿y\n1,2\n3,4\n", encoding="utf-8")
    run = cli("eval", "गति*x‿y", "--input", str(table), "--format", "csv")
    assert run.code == 0 and run.out.splitlines()[1:] == ["1.0,2.0,2.0,2.0,1.0", "3.0,4.0,12.0,4.0,3.0"]
