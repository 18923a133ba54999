"""The micrograd lecture's own names on ``Value``: ``_prev``, ``_op``,
``_backward()`` (one node's step, done by hand) and ``draw_dot(root)``."""

from __future__ import annotations

import math

import pytest

from autodiff_cli import Value, draw_dot


def lecture_neuron() -> dict[str, Value]:
    """The lecture's neuron, as its cells build it: o = tanh(x1*w1 + x2*w2 + b)."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"  # noqa: E702 (as the lecture writes it)
    x2w2 = x2 * w2; x2w2.label = "x2*w2"  # noqa: E702
    x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"  # noqa: E702
    n = x1w1x2w2 + b; n.label = "n"  # noqa: E702
    o = n.tanh(); o.label = "o"  # noqa: E702
    return locals()


def test_backward_by_hand_gives_the_lectures_numbers():
    v = lecture_neuron()
    v["o"].grad = 1.0
    for name in ("o", "n", "b", "x1w1x2w2", "x2w2", "x1w1"):
        v[name]._backward()
    # By hand: o = tanh(n) = sqrt(2)/2, so do/dn = 1 - o**2 = 0.5, which + passes on to
    # both its inputs; then x1*w1's gradient 0.5 gives x1 0.5*w1 = -1.5 and w1 0.5*x1 = 1.
    assert v["o"].data == pytest.approx(math.sqrt(0.5))
    expected = {"n": 0.5, "b": 0.5, "x1w1x2w2": 0.5, "x1w1": 0.5, "x2w2": 0.5,
                "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}
    assert {name: v[name].grad for name in expected} == pytest.approx(expected)


def test_backward_by_hand_in_topological_order_equals_backward():
    # The lecture's next cell: its own topological sort over _prev, then _backward() on each node.
    v = lecture_neuron()
    o = v["o"]
    topo, visited = [], set()

    def build_topo(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build_topo(child)
            topo.append(node)

    build_topo(o)
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    by_hand = {name: v[name].grad for name in ("x1", "x2", "w1", "w2", "b")}
    o.backward()
    assert by_hand == {name: v[name].grad for name in ("x1", "x2", "w1", "w2", "b")}


def test_a_node_used_twice_gets_both_shares_and_a_leaf_does_nothing():
    a = Value(3.0, label="a")
    b = a * a
    b.grad = 1.0
    b._backward()
    assert a.grad == 6.0  # d(a*a)/da = 2a
    a._backward()  # a leaf: nothing below it
    assert a.grad == 6.0
    assert a._prev == set() and a._op == ""


def test_prev_and_op_are_micrograds():
    a, b = Value(2.0), Value(-3.0)
    assert (a + b)._prev == {a, b} and (a + b)._op == "+"
    assert (a * b)._op == "*" and a.tanh()._op == "tanh" and a.relu()._op == "relu"
    assert (a * a)._prev == {a}  # a set, as micrograd's
    c = a - b
    assert c._op == "-" and isinstance(c._prev, set)


def test_backward_by_hand_with_a_constant_exponent():
    # x**2 at x = -3: the exponent is a constant, whose slope (log of a negative) is never asked for.
    x = Value(-3.0)
    y = x**2
    y.grad = 1.0
    y._backward()
    assert x.grad == -6.0


def test_draw_dot_is_render_graph():
    o = lecture_neuron()["o"]
    o.backward()
    graph = draw_dot(o)
    assert graph.source == o.render_graph().source
    assert "o | value: 0.7071 | gradient: 1.0000" in graph.source
    assert "x1 | value: 2.0000 | gradient: -1.5000" in graph.source


def test_draw_dot_is_importable_from_the_package():
    import autodiff_cli

    assert "draw_dot" in dir(autodiff_cli) and autodiff_cli.draw_dot is draw_dot
