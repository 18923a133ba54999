"""The micrograd lecture's worked examples, derived by hand."""

import html
import itertools
import json
import math
import re

import pytest
from test_notebook import LECTURE_NOTEBOOK, executed_lecture, literal, result, tagged  # noqa: F401 (the fixture)

from autodiff_cli import DomainError, parse

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


# The lecture as typed with its numbers in statements: a = Value(2.0), b = Value(-3.0), ...
CONSTANTS = "a = 2; b = -3; c = 10; e = a*b; d = e + c; f = -2; L = d*f"
# L = (a*b + c)*f = -8; dL/dd = f = -2, dL/df = d = 4, dL/de = dL/dc = -2, dL/da = -2*b = 6, dL/db = -2*a = -4
CONSTANT_GRADS = {"a": 6.0, "b": -4.0, "c": -2.0, "e": -2.0, "d": -2.0, "f": 4.0, "L": 1.0}


def test_named_numbers_have_their_gradients(cli):
    # No variable lies below them, so backward skipped them: --all showed 0.0 for each.
    data = json.loads(cli("eval", CONSTANTS, "--all", "--format", "json").out)
    assert data["value"] == -8.0 and {k: v["gradient"] for k, v in data["nodes"].items()} == CONSTANT_GRADS
    # The graph draws them too, a named number as the lecture's leaf Value.
    dot = cli("graph", CONSTANTS, "-o", "-", "--format", "dot").out
    for name, grad in CONSTANT_GRADS.items():
        assert f"{name} | value: " in dot and f"gradient: {grad:.4f} }}" in dot, name
    # b = -3 is the number -3, a leaf as the lecture's Value(-3.0): no "-" applied to a 3.
    assert 'label="-"' not in dot and dot.count("shape=circle") == 3  # the three operations: *, +, *
    # With variables too; a named number's gradient is held to what a variable's is: inf is an error,
    # unless --ieee, and a kink on the way says which convention was used.
    expr = parse("a = 0; s = sqrt(a); t = 3; s*x + t*x")
    with pytest.raises(DomainError, match=r"infinite gradient, sqrt'\(0\) = inf, in 'sqrt\(a\)'"):
        expr.evaluate({"x": 2.0})
    result = expr.evaluate({"x": 2.0}, ieee=True, intermediates=True)
    assert result.gradients == {"x": 3.0}
    assert result.nodes == {"a": (0.0, float("inf")), "s": (0.0, 2.0), "t": (3.0, 2.0)}
    run = cli("eval", "a = 0; b = relu(a); L = x + b", "x=1", "--all", "--format", "json")
    assert json.loads(run.out)["nodes"]["a"] == {"value": 0.0, "gradient": 0.0}
    assert run.err == "note: relu'(0) = 0 used at 'relu(a)' (line 1, column 12) (PyTorch's convention)\n"
    # The trace is the lecture's pass by hand, named numbers included.
    steps = json.loads(cli("eval", CONSTANTS, "--trace", "--format", "json").out)["trace"]
    assert [(s["node"], [i["node"] for i in s["inputs"]]) for s in steps] == [
        ("L", ["d", "f"]), ("d", ["e", "c"]), ("e", ["a", "b"])]
    # Without --nodes there is no variable to show; a note says where the gradients are.
    run = cli("eval", CONSTANTS)
    assert run.err == ("note: no variables (every name is given a number): --nodes shows the gradient with "
                       "respect to each named node\n")
    assert run.out.splitlines() == [f"{CONSTANTS} = -8.0"]
    assert cli("check", CONSTANTS).err == "error: the expression has no variables to check\n"


def test_an_evaluations_graph_draws_the_named_numbers_gradients():
    # Evaluation.render_graph draws a copy of the expression: the copy kept no gradient for a = 2 (0.0000).
    result = parse(CONSTANTS).evaluate({}, intermediates=True)
    source = result.render_graph().source
    for name, grad in CONSTANT_GRADS.items():
        assert f"{name} | value: " in source and f"gradient: {grad:.4f}" in source, name


def test_diff_by_a_named_number_says_it_is_not_a_variable(cli):
    run = cli("diff", "a = 2; a*x", "--wrt", "a")
    assert (run.code, run.err) == (2, "error: 'a' is assigned in the expression, not a variable: diff "
                                      "differentiates by the variables ('x')\n")


# ---------------------------------------------------------------------------
# The rest of the lecture in examples/lecture.ipynb, run by a real kernel

# The neuron: n = x1*w1 + x2*w2 + b = 2*(-3) + 0*1 + 6.8813735870195432 = 0.8814, o = tanh(n) = 0.7071.
# do/dn = 1 - o**2 = 0.5; + passes it on; x1 gets w1*0.5, w1 gets x1*0.5, x2 gets w2*0.5, w2 gets x2*0.5.
NEURON_GRADS = {"o": 1.0, "n": 0.5, "b": 0.5, "x1*w1 + x2*w2": 0.5, "x1*w1": 0.5, "x2*w2": 0.5,
                "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}


def _executed(request):
    """The lecture notebook as a kernel ran it (test_notebook's fixture, run once per module)."""
    return request.getfixturevalue("executed_lecture")[0]


def test_notebook_neuron_backward_by_hand_and_by_backward(request):
    notebook = _executed(request)
    o = math.tanh(2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432)
    assert abs(o - math.sqrt(0.5)) < 1e-12 and abs((1 - o * o) - 0.5) < 1e-12  # the hand-derived do/dn
    shown = result(tagged(notebook, "neuron"))
    assert shown["text/plain"].startswith("Value(o, data=0.70710678")
    assert "<svg" in shown["text/html"]  # a bare Value this small shows its graph too
    assert literal(tagged(notebook, "manual-backward")) == NEURON_GRADS
    assert literal(tagged(notebook, "auto-backward")) == NEURON_GRADS


def test_notebook_tanh_written_with_exp_has_the_same_gradients(request):
    notebook = _executed(request)
    value = float(re.search(r"data=([-0-9.e]+)", result(tagged(notebook, "tanh-exp"))["text/plain"]).group(1))
    assert abs(value - math.sqrt(0.5)) < 1e-12
    grads = literal(tagged(notebook, "tanh-exp-gradients"))
    assert grads == {k: NEURON_GRADS[k] for k in ("n", "b", "x1", "w1", "x2", "w2")}


def test_notebook_stepper_is_the_backward_pass_page(request):
    notebook = _executed(request)
    frame = result(tagged(notebook, "stepper"))["text/html"]
    assert frame.startswith("<iframe srcdoc=")
    page = html.unescape(frame)
    assert "The backward pass of <code>o</code>" in page and '"gradient: 0.5000"' in page  # n's step: 1 - o**2


def test_notebook_mlp_trains_and_the_loss_falls(request):
    notebook = _executed(request)
    assert literal(tagged(notebook, "mlp")) == 3 * 4 + 4 + 4 * 4 + 4 + 4 * 1 + 1  # MLP(3, [4, 4, 1]): w and b
    printed = "".join(o.text for o in tagged(notebook, "training").outputs if o.output_type == "stream")
    losses = [float(x) for x in re.findall(r"loss ([0-9.]+)", printed)]
    assert len(losses) >= 5 and all(b < a for a, b in itertools.pairwise(losses))
    assert losses[-1] < losses[0] / 10
    predictions = literal(tagged(notebook, "predictions"))
    assert [math.copysign(1.0, y) for y in predictions] == [1.0, -1.0, -1.0, 1.0]  # the targets ys
    assert sum((y - t) ** 2 for y, t in zip(predictions, [1.0, -1.0, -1.0, 1.0], strict=True)) < 0.1
    bare = result(tagged(notebook, "loss-value"))  # the loss's graph: hundreds of values, not drawn
    assert list(bare) == ["text/plain"] and ".render_graph()" in bare["text/plain"]
    assert bare["text/plain"].startswith("Value(data=")


def test_notebook_is_saved_small():
    assert LECTURE_NOTEBOOK.stat().st_size < 300_000
