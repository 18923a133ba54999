"""The micrograd lecture's worked examples, derived by hand."""

import json

import pytest

from autodiff_cli import parse

LECTURE = {"a": -2.0, "b": 10.0, "c": 2.0, "d": -3.0}
# L = a*(b + c*d): dL/da = b + c*d = 4, dL/db = a = -2, dL/dc = a*d = 6, dL/dd = a*c = -4
LECTURE_GRADS = {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}


def test_quadratic():
    # f = 3x^2 - 4x + 5 at 3: 27 - 12 + 5 = 20; f' = 6x - 4 = 14
    result = parse("3*x**2 - 4*x + 5").evaluate({"x": 3})
    assert result.value == 20.0
    assert result.gradients == {"x": 14.0}


@pytest.mark.parametrize("text", ["a*(b+c*d)", "e = c*d; f = b + e; L = a*f", "e = c*d\nf = b + e\nL = a*f"])
def test_lecture_expression(text):
    result = parse(text).evaluate(LECTURE)
    assert result.value == -8.0
    assert result.gradients == LECTURE_GRADS


def test_statement_form_intermediates():
    result = parse("e = c*d; f = b + e; L = a*f").evaluate(LECTURE, intermediates=True)
    # e = -6, f = 4; dL/de = dL/df = a = -2; dL/dL = 1
    assert result.nodes == {"e": (-6.0, -2.0), "f": (4.0, -2.0), "L": (-8.0, 1.0)}


def test_lecture_through_cli(cli):
    run = cli("eval", "a*(b+c*d)", "--a", "-2", "--b", "10", "--c", "2", "--d", "-3", "--format", "json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data == {"expression": "a*(b+c*d)", "value": -8.0, "variables": LECTURE, "gradients": LECTURE_GRADS}
    assert list(data) == ["expression", "value", "variables", "gradients"]
