"""micrograd's own tests, run against this project's ``Value``.

The two tests below are ``test/test_engine.py`` of https://github.com/karpathy/micrograd
(commit c911406), MIT licence, Copyright (c) 2020 Andrej Karpathy. Their micrograd half
is unchanged except the import line. Their PyTorch half is replaced: this project does
not install torch, so the same lines are computed with sympy instead, exactly (rational
inputs, relu as a piecewise function), and the values and derivatives it gives are the
numbers torch's float64 gives (micrograd's README lists them: 24.7041, 138.8338, 645.5773).
The assertions are unchanged; the reference objects answer ``.data.item()`` and
``.grad.item()`` as torch's tensors do.
"""

import sympy

from autodiff_cli import Value


def relu(z):
    """What torch's ``z.relu()`` computes, exactly."""
    return sympy.Piecewise((z, z > 0), (0, True))


class _Number:
    def __init__(self, x):
        self.x = float(x)

    def item(self):
        return self.x


class _Reference:
    """A tensor as torch would hold it after ``output.backward()``: its ``.data`` at the
    point and (for a variable) its ``.grad``, d output / d variable there."""

    def __init__(self, expr, at, output=None):
        self.data = _Number(expr.subs(at))
        self.grad = _Number(sympy.diff(output, expr).subs(at)) if output is not None else None


def test_sanity_check():

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    # (torch's half, in sympy)
    x = sympy.Symbol("x")
    at = {x: sympy.Integer(-4)}
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    y = h + q + q * x
    xpt, ypt = _Reference(x, at, y), _Reference(y, at)

    # forward pass went well
    assert ymg.data == ypt.data.item()
    # backward pass went well
    assert xmg.grad == xpt.grad.item()


def test_more_ops():

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    # (torch's half, in sympy)
    a, b = sympy.symbols("a b")
    at = {a: sympy.Integer(-4), b: sympy.Integer(2)}
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2
    g = g + 10 / f
    apt, bpt, gpt = _Reference(a, at, g), _Reference(b, at, g), _Reference(g, at)

    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - gpt.data.item()) < tol
    # backward pass went well
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol
