"""The order of operands does not depend on the interpreter.

Operands that tie on their kind's key are ordered by a digest of their shape.
The digest is written out (``symbolic/keys.py``) with the arithmetic of
Python's documented numeric hash and of CPython's tuple hash, so that today's
printed order stays as it was: the truth here is the interpreter's own
``hash``, which the digest must equal on 64-bit CPython, and which no key may
call any more.
"""

from __future__ import annotations

import ast
import math
import platform
import sys
import zlib
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff_cli import parse
from autodiff_cli.symbolic import canonical
from autodiff_cli.symbolic.diff import diff
from autodiff_cli.symbolic.keys import Key, mix, number_digest
from autodiff_cli.symbolic.nodes import ADD, MUL, NUM

from conftest import examples

SYMBOLIC = Path(__file__).resolve().parent.parent / "autodiff_cli" / "symbolic"
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


@pytest.mark.skipif(not CPYTHON_64, reason="the digest is CPython's 64-bit tuple hash")
@settings(max_examples=examples(500), deadline=None)
@given(st.lists(integers, max_size=8))
def test_mix_is_cpythons_tuple_hash(parts):
    assert mix(*parts) == hash(tuple(parts))


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


@pytest.mark.skipif(not CPYTHON_64, reason="the digest is CPython's 64-bit tuple hash")
def test_shapes_are_what_the_tuple_hash_made(monkeypatch):
    """Every node made while differentiating these has the shape it had when
    shapes were tuple hashes, so every printed order is what it was."""
    builders = []
    init = canonical.Builder.__init__

    def recording(self):
        init(self)
        builders.append(self)

    monkeypatch.setattr(canonical.Builder, "__init__", recording)
    for text in ("(x - 1)*(1 - x)*(y + 2)*(y - 2)", "exp(-x**2/2)/sqrt(2*pi)", "1/(y - x) + 1/(x - y) + 2.5*x/3",
                 "tanh(w0*x0 + w1*x1 + b)**2 + log(x0**(1/3))", "xlogy(x, y) + pow(x, y) + sigmoid(-x)*relu(y)"):
        diff(parse(text), order=2)
    nodes = [n for b in builders for n in b._table.values()]
    assert len(nodes) > 200
    for node in nodes:
        assert isinstance(node.key, Key)
        assert node.key.shape == _shape_by_hash(node), node


def test_no_key_calls_the_builtin_hash():
    """What orders operands must not be the interpreter's ``hash`` (its tuple hash is not a language rule)."""
    for path in SYMBOLIC.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n.lineno for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "hash"]
        assert not calls, (path.name, calls)


def test_digest_of_special_floats():
    # Infinities have the fixed digest of the numeric hash; a NaN (whose hash is its id) is 0.
    assert number_digest(math.inf) == hash(math.inf) and number_digest(-math.inf) == hash(-math.inf)
    assert number_digest(math.nan) == number_digest(float("nan")) == 0
