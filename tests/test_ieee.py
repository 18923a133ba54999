"""One semantics for IEEE edge cases: a point evaluated alone (the scalar engine,
Python's math) and in a batch (the array engine, numpy) gives the same value and
gradients at nan, +-inf, +-0.0, subnormal and huge inputs, for every op of the
table and every exponent numpy has a fast path for; plus the conventions at nan
and at signed zeros written out by hand."""

from __future__ import annotations

import itertools
import math
import struct

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from autodiff_cli import parse
from autodiff_cli.base.ops import OPS
from autodiff_cli.points.columns import evaluate_columns

from conftest import examples
from strategies import expressions

NAN, INF = math.nan, math.inf
SPECIAL = [NAN, INF, -INF, -0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, -1e-300, 1e-20,
           0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 3.0, 710.0, -710.0, 1e300, -1e300, 1.7976931348623157e308]
"""nan, both infinities and zeros, the smallest subnormal and normal, huge values,
and the small integers and halves where ops have special cases (0**y, 1**y, x**0.5)."""

# Ops whose float and numpy results are both correctly rounded: these agree to the bit
# everywhere. Elsewhere numpy's vectorised exp/pow/... may round a finite result one
# ulp away from libm's (numpy's pow(1/3, 2) is 0.11111111111111109): not an edge case.
EXACT = {"add", "sub", "mul", "div", "neg", "relu", "abs", "sign", "sqrt"}
ULPS = {"cbrt": 4, "erfc": 4}
"""libm's cbrt is within 1 ulp, numpy's correctly rounded: cbrt'(x) = 1/(3*cbrt(x)**2) triples that. The
C library's erfc and ours (numpy has none) are each within 2 ulp of the true value, so up to 4 apart."""


def sources() -> list[str]:
    """Every op of the table, and the power with each constant exponent or base numpy
    treats specially (x**0.5 is numpy's sqrt, x**2 its square, x**-1 its reciprocal)."""
    texts = []
    for name, op in OPS.items():
        if op.kind == "infix":
            texts.append(f"x {op.symbol} y")
        elif op.kind == "prefix":
            texts.append(f"{op.symbol}x")
        elif op.kind == "call":  # each count of arguments it takes, up to three (max(x, y, z))
            texts += [f"{name}({', '.join('xyz'[:n])})" for n in op.arity if n <= 3]
    for c in ("0", "1", "2", "3", "0.5", "1.5", "-0.5", "-1", "-2", "1/3"):
        texts += [f"x**({c})", f"({c})**x"]
    return texts


def bits(v: float) -> str:
    return "nan" if math.isnan(v) else struct.pack("<d", v).hex()


def agree(scalar: float, array: float, exact: bool, ulps: float = 2) -> bool:
    """The same bits (any nan equals any nan); or, for a finite non-zero result of an
    op numpy rounds its own way, within ``ulps`` with the same sign."""
    if bits(scalar) == bits(array):
        return True
    if exact or not (math.isfinite(scalar) and math.isfinite(array)) or scalar == 0 or array == 0:
        return False
    return math.copysign(1, scalar) == math.copysign(1, array) and abs(scalar - array) <= ulps * math.ulp(scalar)


def both_engines(text: str, points: list[tuple[float, ...]]) -> list[tuple[tuple, tuple, tuple]]:
    """Per point, (point, scalar engine's (value, *gradients), array engine's)."""
    expr = parse(text)
    names = list(expr.variables)
    columns = {n: np.array([p[k] for p in points], dtype=np.float64) for k, n in enumerate(names)}
    batch = evaluate_columns(text, columns)
    found = []
    for j, point in enumerate(points):
        one = expr.evaluate(dict(zip(names, point, strict=True)), ieee=True)
        found.append((point, (one.value, *(one.gradients[n] for n in names)),
                      (float(batch["value"][j]), *(float(batch[f"grad_{n}"][j]) for n in names))))
    return found


@pytest.mark.parametrize("text", sources())
def test_a_point_alone_and_in_a_batch_agree_on_every_special_input(text):
    expr = parse(text)
    exact = expr.output.op in EXACT
    points = list(itertools.product(SPECIAL, repeat=len(expr.variables)))
    ulps = ULPS.get(expr.output.op, 2)
    wrong = [(p, s, a) for p, s, a in both_engines(text, points)
             if not all(agree(x, y, exact, ulps) for x, y in zip(s, a, strict=True))]
    assert not wrong, f"{text}: {len(wrong)} of {len(points)} points differ, e.g. (point, alone, batch) {wrong[:3]}"


@settings(max_examples=examples(150), deadline=None)
@given(expressions, st.lists(st.sampled_from(SPECIAL), min_size=3, max_size=3))
@example("log(tanh(x))", [9.0, 9.0, 9.0])  # numpy's tanh(9) and the C library's are 1 ulp apart
def test_random_expressions_agree_at_special_points(text, at):
    # Compositions too: a nan, an infinity or a signed zero carried through several ops,
    # and the shares of a variable used twice summed alike. Finite results may differ
    # more than an op's ulp (numpy's pow of a subnormal base is off by a few hundred), and
    # relative to the terms they come from, not to themselves: log(tanh(9)) is -3e-8, from
    # a tanh near 1 that numpy and the C library round 1 ulp apart.
    expr = parse(text)
    point = tuple(at[: len(expr.variables)])
    [(_, scalar, array)] = both_engines(text, [point])
    expr.evaluate(dict(zip(expr.variables, point, strict=True)), ieee=True)
    terms = [abs(t) for n in expr.nodes for t in (n.data, n.grad, n.data * n.grad) if math.isfinite(t)]
    near = 2**12 * 2**-52 * max(terms, default=0.0)
    same = [agree(x, y, exact=False, ulps=2**12) or (math.isfinite(x) and math.isfinite(y) and abs(x - y) <= near)
            for x, y in zip(scalar, array, strict=True)]
    assert all(same), (text, point, scalar, array)


def evaluate_both(text: str, **values: float) -> list[tuple[float, ...]]:
    """(value, *gradients) from the scalar engine and from the array engine."""
    [(_, alone, batch)] = both_engines(text, [tuple(values.values())])
    return [alone, batch]


@pytest.mark.parametrize(("text", "x", "value", "gradient"), [
    # nan in, nan out: the value and the slope of relu, sign and abs (PyTorch keeps relu(nan)
    # and abs(nan) nan too; it makes sign(nan) 0, its open issue #41245, and so the slopes 1, 0, 0).
    ("relu(x)", NAN, NAN, NAN),
    ("sign(x)", NAN, NAN, NAN),
    ("abs(x)", NAN, NAN, NAN),
    # Defined at the infinities: relu' = 1, abs' = sign, sign' = 0 (PyTorch's zeros), +0.0 on both sides.
    ("relu(x)", INF, INF, 1.0),
    ("relu(x)", -INF, 0.0, 0.0),
    ("abs(x)", -INF, INF, -1.0),
    ("sign(x)", INF, 1.0, 0.0),
    ("sign(x)", -INF, -1.0, 0.0),
    ("sign(x)", -2.0, -1.0, 0.0),
    # x**0 is 1 for every x, nan and inf too (IEEE pow), so its slope is 0 there (PyTorch masks y == 0).
    ("x**0", NAN, 1.0, 0.0),
    ("x**0", INF, 1.0, 0.0),
    ("x**0", -INF, 1.0, 0.0),
    # x**0.5 is pow, not sqrt: (-inf)**0.5 = +inf and (-0.0)**0.5 = +0.0 (C99 Annex F).
    ("x**0.5", -INF, INF, 0.0),
    ("x**0.5", -0.0, 0.0, INF),
    ("x**1.5", -0.0, 0.0, 0.0),
    # A lone share keeps its sign: d cos(x)/dx = -sin(0) = -0.0, as PyTorch gives.
    ("cos(x)", 0.0, 1.0, -0.0),
    ("sqrt(x)", -0.0, -0.0, -INF),
])
def test_by_hand_at_nan_infinities_and_signed_zeros(text, x, value, gradient):
    for engine, got in zip(("alone", "batch"), evaluate_both(text, x=x), strict=True):
        assert (bits(got[0]), bits(got[1])) == (bits(value), bits(gradient)), (text, x, engine, got)


def test_a_lone_share_keeps_its_sign_and_two_shares_sum():
    # d(x*y)/dx = y = -0.0; d(x*y + x*z)/dx = y + z = -0.0 + 0.0 = +0.0 (IEEE sum).
    assert [bits(r[1]) for r in evaluate_both("x*y", x=2.0, y=-0.0)] == [bits(-0.0)] * 2
    assert [bits(r[1]) for r in evaluate_both("x*y + x*z", x=2.0, y=-0.0, z=0.0)] == [bits(0.0)] * 2
    # Shares that are numbers, not columns, in a batch: 0.0 then -0.0, summed to +0.0 too.
    assert [bits(r[1]) for r in evaluate_both("-(x*0) + x*0", x=2.0)] == [bits(0.0)] * 2


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_the_number_of_rows_does_not_change_a_row(cli, tmp_path, rows):
    # One row went through the scalar engine (relu turned nan into 0), more through numpy (nan).
    data = tmp_path / "points.csv"
    data.write_text("x\n" + "-1\n" * rows)
    run = cli("eval", "relu(sqrt(x))", "--input", str(data), "--format", "csv")
    assert run.out.splitlines() == ["x,value,grad_x"] + ["-1.0,nan,nan"] * rows, run.err


def test_relu_of_nan_from_the_command_line(cli):
    run = cli("eval", "relu(x)", "x=nan", "--ieee", "--format", "json")
    assert run.code == 0 and '"value": null' in run.out and '"gradients": {"x": null}' in run.out
