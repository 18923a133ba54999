"""The micrograd-style Value API and the engine's passes."""

from __future__ import annotations

import math
import pickle
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_cli import DomainError, Value, parse
from autodiff_cli.base.errors import AutodiffError, NotANumberError, NotFiniteError
from autodiff_cli.base.ops import OPS
from autodiff_cli.base.scalar import SCALAR
from autodiff_cli.core.engine import backward, forward, topological_order

from conftest import examples
from strategies import expressions


def test_micrograd_example():
    # micrograd's README example, with gradients derived by hand:
    # c = a*b + b**3 with a = 2, b = -3: dc/da = b = -3, dc/db = a + 3b^2 = 29
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + b**3
    c.backward()
    assert c.data == -33.0
    assert (a.grad, b.grad) == (-3.0, 29.0)


def test_backward_twice_gives_the_same_gradients():
    a = Value(3.0)
    y = a * a + 2 * a
    y.backward()
    first = a.grad
    y.backward()
    assert first == a.grad == 8.0  # 2a + 2


def test_children_keep_order_and_both_edges():
    a, b = Value(1.0), Value(2.0)
    assert (a - b).children == (a, b)
    square = a * a
    assert square.children == (a, a)


def test_operators_with_plain_numbers():
    x = Value(4.0)
    y = 1 / x + 2 - x / 2 + 3 * x**0.5 + 2**x - (-x)
    y.backward()
    # y = 1/x + 2 - x/2 + 3 sqrt(x) + 2^x + x; y' = -1/x^2 - 1/2 + 1.5/sqrt(x) + 2^x ln 2 + 1
    expected = -1 / 16 - 0.5 + 1.5 / 2 + 16 * math.log(2) + 1
    assert math.isclose(x.grad, expected, rel_tol=1e-15)


def test_function_methods():
    x = Value(0.5)
    y = x.tanh() * x.exp() + x.sigmoid() - x.log()
    y.backward()
    t, s = math.tanh(0.5), 1 / (1 + math.exp(-0.5))
    expected = (1 - t * t) * math.exp(0.5) + t * math.exp(0.5) + s * (1 - s) - 1 / 0.5
    assert math.isclose(x.grad, expected, rel_tol=1e-14)
    with pytest.raises(AttributeError):
        x.not_an_op()


def test_domain_error_from_the_api():
    with pytest.raises(DomainError, match="log of a non-positive number"):
        Value(-1.0).log()


def test_deep_chain_without_recursion():
    depth = 100_000
    x = Value(0.5, label="x")
    y = x
    for _ in range(depth):
        y = y * 1.0 + 0.0
    assert sys.getrecursionlimit() < depth
    y.backward()
    assert x.grad == 1.0
    assert len(topological_order(y)) == 1 + 4 * depth  # x, then per step: const, mul, const, add


def test_topological_order_puts_children_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    order = topological_order(d)
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(child)] < position[id(node)] for child in node.children)
    assert order[-1] is d


@settings(max_examples=examples(300), deadline=None)
@given(expressions, st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3))
def test_inlined_ops_match_the_op_table(text, x, y, z):
    # forward/backward inline + - * for speed; the table's own rules run for
    # every op when the pass is recorded. Both must give the same bits.
    expr = parse(f"({text}) * x - y + z*({text})")
    values = {"x": x, "y": y, "z": z}
    nodes = expr.nodes
    expr.forward(values, ieee=True)
    for node in nodes:  # each node against its table rule, on the same inputs
        if node.children:
            try:
                want = OPS[node.op].forward(SCALAR, *(c.data for c in node.children))
            except (ArithmeticError, ValueError):
                continue  # the IEEE fallback (numpy), not an inlined op
            assert repr(node.data) == repr(float(want)), (text, node.op)
    backward(nodes, expr.output, ieee=True)
    fast = [n.grad for n in nodes]
    backward(nodes, expr.output, ieee=True, record=[])
    assert [repr(g) for g in fast] == [repr(n.grad) for n in nodes]


@settings(max_examples=examples(100), deadline=None)
@given(expressions)
def test_parsed_nodes_are_whole_values(text):
    # The parser builds nodes without Value's constructor (on its hot paths):
    # each must still have every field, set as the constructor would set it.
    expr = parse(f"q = {text}\nq*x + 2 - pi")
    for node in expr.nodes:
        fields = {slot: getattr(node, slot) for slot in Value.__slots__}  # raises if one is missing
        built = Value(fields["data"], fields["children"], fields["op"], fields["label"])
        if node is expr.names["q"]:  # a named number has a gradient, as the lecture's a = Value(2.0)
            built.needs_grad = True
        assert {slot: getattr(built, slot) for slot in Value.__slots__} == fields, node.op
        assert node.grad == 0.0 and type(node.data) is float
        if node.op == "var":
            assert expr.variables[node.label] is node


def test_a_copy_evaluates_on_its_own_nodes():
    # Expression.copy() is what an Evaluation is drawn from: same graph, new nodes.
    expr = parse("e = c*d; f = b + e; L = a*f + a")
    at = {"a": -2.0, "b": 10.0, "c": 2.0, "d": -3.0}
    first = expr.evaluate(at)
    twin = expr.copy()
    moved = twin.evaluate({"a": 1.0, "b": 1.0, "c": 1.0, "d": 1.0})
    assert moved.value == 1.0 * (1.0 + 1.0) + 1.0 and moved.gradients == {"a": 3.0, "b": 1.0, "c": 1.0, "d": 1.0}
    assert expr.output.data == first.value == -10.0  # the original's nodes are untouched
    assert {n: v.grad for n, v in expr.variables.items()} == first.gradients
    assert not {id(n) for n in expr.nodes} & {id(n) for n in twin.nodes}
    assert [(n.op, n.label, n.needs_grad) for n in twin.nodes] == [(n.op, n.label, n.needs_grad) for n in expr.nodes]
    assert twin.describe(len(twin.nodes) - 1) == expr.describe(len(expr.nodes) - 1)


@pytest.mark.parametrize("data", [None, "2", b"2", [1.0], 1j])
def test_a_value_is_made_of_a_real_number_only(data):
    # float("2") would read text and None used to become 0.0: both are mistakes, said as such.
    with pytest.raises(NotANumberError, match="a Value holds a real number, not") as caught:
        Value(data)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, AutodiffError)


def test_a_value_beyond_float64_is_the_librarys_error():
    with pytest.raises(NotFiniteError, match="float64's range"):
        Value(10**400)
    assert Value(10**300).data == 1e300 and Value(True).data == 1.0  # integers within range are numbers


def test_pickle_round_trip_of_a_deep_graph():
    x = Value(0.5, label="x")
    y = x
    for _ in range(100_000):
        y = y * 1.0
    square = y * y  # a node used twice: both edges must come back to one node
    square.backward()
    copy = pickle.loads(pickle.dumps(square))
    order, copied = topological_order(square), topological_order(copy)
    assert [(n.data, n.grad, n.op, n.label, n.needs_grad) for n in order] == \
        [(n.data, n.grad, n.op, n.label, n.needs_grad) for n in copied]
    assert copy.children[0] is copy.children[1]
    leaf = copied[0]
    assert leaf.label == "x" and leaf.grad == 2 * 0.5  # d(y*y)/dx = 2y with y = x
    leaf.data = 3.0
    forward(copied)
    copy.backward()
    assert copy.data == 9.0 and leaf.grad == 6.0 and x.data == 0.5  # the copy is a graph of its own


@pytest.mark.parametrize("copy_of", ["pickle", "deepcopy"])
def test_a_pickled_or_copied_expression_is_one_graph(copy_of):
    # Dask, Spark and Ray ship expressions by pickling: the copy must evaluate as the
    # original does at any point (hand-derived here), its variables and names in its graph.
    import copy
    import pickle

    text = "a = 2; e = a*x; L = sin(e) + y**2"
    original = parse(text)
    twin = pickle.loads(pickle.dumps(original)) if copy_of == "pickle" else copy.deepcopy(original)
    for x, y in ((0.5, 3.0), (1.25, -2.0)):
        got = twin.evaluate({"x": x, "y": y}, intermediates=True)
        assert got.value == math.sin(2 * x) + y**2
        assert got.gradients == {"x": 2 * math.cos(2 * x), "y": 2 * y}
        assert got.nodes["e"] == (2 * x, math.cos(2 * x)) and got.nodes["a"] == (2.0, x * math.cos(2 * x))
    assert original.evaluate({"x": 0.5, "y": 3.0}).value == math.sin(1.0) + 9.0  # the original untouched
