"""The simplifier's thresholds, each with the reason for its value.

They bound work (so that building and printing stay linear on huge inputs) or
choose between two ways to write the same thing; none changes a value.
"""

from __future__ import annotations

FLAT = 256
"""The most operands of one sum or product merged into another, and the biggest
sum a number is distributed over: a bigger one stays one opaque operand, so
building stays linear on 100,000-deep inputs."""

FACTOR_TERMS = 512
"""The most terms of a sum the printer looks for common factors in (the search
is quadratic in the worst case; a longer sum is written term by term)."""

MANY = 6
"""A product with more factors than this that depend on the variables is
differentiated as one n-ary product (forward and reverse); up to this many,
``f1'*f2*f3 + ...`` written out is short and reads best."""

EXPONENT_NODES = 64
"""The most nodes of an exponent looked into to see whether it vanishes with its
base (xlogy is right for the others too), so that nested powers stay linear."""

TIDY_PASSES = 4
"""At most this many factoring passes over a printed derivative: each is linear,
and one or two reach the fixed point."""

NAMING_PASSES = 4
"""At most this many rounds of choosing which repeated subexpressions to name:
each round is linear, and naming settles after one or two."""

MAX_BITS = 1000
"""Exact powers whose result would be bigger than this many bits stay symbolic (``10**400``)."""

ROOT_BITS = 1000
"""Exact roots are looked for only in integers shorter than this (a float's
estimate of the root must be within one of it)."""

FOLD_BITS = 100_000
"""The most bits of an exact power folded into one float (``2**10**9`` stays as it is)."""

BIG = 10**15
"""Lengths and counts are capped here (a DAG written out can be exponentially long)."""

TOGETHER_TERMS = 8
"""The most terms of a sum written as one fraction (:mod:`~autodiff_cli.symbolic.rational`):
a quotient rule's result has two or three; a longer sum stays as it is."""

DENOMINATORS = 4
"""The most distinct bases in a common denominator: more, and one fraction reads worse."""

EXPANDED_TERMS = 24
"""The most terms a numerator multiplied out may have before like terms are
collected: bounds the work per sum, so that the pass stays linear."""

EXPANDED_POWER = 4
"""The highest power of a sum multiplied out (``(x + 1)**5`` stays as it is)."""

EXPANDED_WORK = 64
"""The most products and sums one sum's multiplying out may visit and make: however
deeply sums nest in it, the work per sum is bounded."""
