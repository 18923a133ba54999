"""The order of operands does not depend on the interpreter.

Operands that tie on their kind's key are ordered by a digest of their shape.
The digest is written out (``symbolic/keys.py``) with the arithmetic of
Python's documented numeric hash and of CPython's tuple hash, so that the
printed order stays what it was: the truth here is the interpreter's own
``hash``, which the digest must equal on 64-bit CPython, and the order must be
the same whichever of the two computes it.
"""

from __future__ import annotations

import math
import platform
import sys
import zlib
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_cli import parse
from autodiff_cli.symbolic import canonical, keys
from autodiff_cli.symbolic.diff import diff
from autodiff_cli.symbolic.keys import Key, number_digest, tuple_digest
from autodiff_cli.symbolic.nodes import ADD, MUL, NUM

from conftest import examples

CPYTHON_64 = platform.python_implementation() == "CPython" and sys.hash_info.width == 64

integers = st.one_of(st.integers(-5, 5), st.integers(-(2**64), 2**64), st.integers(-(2**200), 2**200),
                     st.sampled_from([(2**61 - 1) * k + d for k in (-2, -1, 1, 2) for d in (-1, 0, 1)]))
numbers = st.one_of(integers, st.fractions(), st.floats(allow_nan=False),
                    st.builds(lambda n, k: Fraction(n, (2**61 - 1) * k), st.integers(-9, 9), st.integers(1, 3)))


@settings(max_examples=examples(500), deadline=None)
@given(numbers)
def test_number_digest_is_pythons_numeric_hash(x):
    # The numeric hash is part of the language (it is the same for 2, 2.0 and Fraction(2)).
    assert number_digest(x) == hash(x)


nested = st.recursive(st.lists(numbers, max_size=6).map(tuple), lambda inner: st.lists(inner, max_size=4).map(tuple),
                      max_leaves=20)


@pytest.mark.skipif(not CPYTHON_64, reason="the digest is CPython's 64-bit tuple hash")
@settings(max_examples=examples(500), deadline=None)
@given(nested)
def test_tuple_digest_is_cpythons_tuple_hash(parts):
    assert tuple_digest(parts) == hash(parts)


def _shape_by_hash(node) -> int:
    """A node's shape as it was computed before: Python's hash of tuples of its parts."""
    def code(x):
        return hash((x, x + 1))

    kind, args = node.kind, node.args
    if kind == ADD:
        sign = -1 if args[0][1] < 0 else 1
        return hash((ADD, code(sign * node.coeff), tuple(t.key.shape for t, _ in args),
                     tuple(code(sign * c) for _, c in args)))
    if kind == MUL:
        if len(args) == 1:
            return hash((MUL, code(node.coeff), args[0][0].key.shape, args[0][1].key.shape))
        return hash((MUL, code(node.coeff), tuple(f.key.shape for f, _ in args), tuple(e.key.shape for _, e in args)))
    if kind == NUM:
        return hash((NUM, code(node.value)))
    return hash((kind, zlib.crc32(node.name.encode("utf-8", "surrogatepass")), *[a.key.shape for a in args]))


TEXTS = ("(x - 1)*(1 - x)*(y + 2)*(y - 2)", "exp(-x**2/2)/sqrt(2*pi)", "1/(y - x) + 1/(x - y) + 2.5*x/3",
         "tanh(w0*x0 + w1*x1 + b)**2 + log(x0**(1/3))", "xlogy(x, y) + pow(x, y) + sigmoid(-x)*relu(y)",
         "(z - y)*(y + 1)*(y - 2)*(2 - y) + (y - 2*z)/(y - z)")


def _made_nodes(monkeypatch) -> tuple[list, dict]:
    """Every node made while differentiating :data:`TEXTS` twice, and the printed derivatives."""
    builders = []
    init = canonical.CanonicalBuilder.__init__

    def recording(self):
        init(self)
        builders.append(self)

    monkeypatch.setattr(canonical.CanonicalBuilder, "__init__", recording)
    printed = {text: diff(parse(text), order=order) for text in TEXTS for order in (1, 2)}
    return [n for b in builders for n in b._table.values()], printed


@pytest.mark.skipif(not CPYTHON_64, reason="the shapes were CPython's 64-bit tuple hashes")
def test_shapes_are_what_the_tuple_hash_made(monkeypatch):
    """Every node has the shape it had when shapes were Python's tuple hashes,
    so every printed order is what it was, also where the digest is written out
    (as on an interpreter whose tuple hash is another function)."""
    monkeypatch.setattr(keys, "digest", tuple_digest)
    nodes, _ = _made_nodes(monkeypatch)
    assert len(nodes) > 200
    for node in nodes:
        assert isinstance(node.key, Key)
        assert node.key.shape == _shape_by_hash(node), node


def test_printed_order_does_not_depend_on_the_interpreters_hash(monkeypatch):
    _, native = _made_nodes(monkeypatch)
    monkeypatch.setattr(keys, "digest", tuple_digest)
    _, written_out = _made_nodes(monkeypatch)
    assert written_out == native


def test_digest_of_special_floats():
    # Infinities have the fixed digest of the numeric hash; a NaN (whose hash is its id) is 0.
    assert number_digest(math.inf) == hash(math.inf) and number_digest(-math.inf) == hash(-math.inf)
    assert number_digest(math.nan) == number_digest(float("nan")) == 0
    assert keys._code(math.nan) == keys._code(float("nan"))
