"""Several outputs at once: the values of some statements of a program and the
gradient of each, the Jacobian, from one forward pass over the shared graph and
one backward pass per output (reverse mode: a row per output, whatever the number
of variables)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from ..base.errors import UsageError, listed, quoted
from ..base.ops import OPS
from ..base.scalar import SCALAR
from .expression import Expression


class Jacobian:
    """The result of :func:`jacobian`: ``values[u]`` and ``jacobian[u][x]`` = du/dx,
    in the order the outputs were asked for and the variables first appear."""

    def __init__(self, expression: str, variables: dict[str, float], values: dict[str, float],
                 jacobian: dict[str, dict[str, float]], notes: list[str]) -> None:
        self.expression, self.variables, self.values, self.jacobian = expression, variables, values, jacobian
        self.notes = notes

    def __repr__(self) -> str:
        return f"Jacobian({self.expression!r}, values={self.values!r}, jacobian={self.jacobian!r})"


def statement_names(expr: Expression) -> list[str]:
    """What ``--of`` may name: the program's assigned statements, in order."""
    return list(expr.names)


def outputs(expr: Expression, names: Iterable[str]) -> list[Expression]:
    """A view of ``expr`` per name, with that statement as its output (nodes shared);
    an unknown name is a :class:`UsageError` listing the statements."""
    views = []
    for name in dict.fromkeys(names):
        node = expr.names.get(name)
        if node is None:
            have = statement_names(expr)
            hint = f"its statements: {listed(have)}" if have else "it has no named statements (write u = ...)"
            raise UsageError(f"no statement {quoted(name)} in the expression ({hint})")
        views.append(expr.with_output(name))
    return views


ONE_SWEEP_FROM = 12
"""Outputs from which the Jacobian is one reverse sweep carrying a vector per node
(numpy: a few array operations a node, whatever the outputs; about the cost of a dozen
passes one by one, measured by bench/jacobian.py) rather than a pass per output."""


def jacobian(expr: Expression, values: Mapping[str, float], names: Iterable[str], ieee: bool = False,
             one_sweep: bool | None = None) -> Jacobian:
    """The values of the statements ``names`` and each one's gradient at ``values``:
    one forward pass, then the backward pass of every output over its part of the
    graph: one sweep for them all (``one_sweep``; by default from :data:`ONE_SWEEP_FROM`
    outputs on), else one pass per output. Both give the same numbers, bit for bit:
    where one sweep meets anything but finite numbers, the passes are made one by one."""
    names = [view.output_name or "" for view in outputs(expr, names)]  # checked, each once
    below = _below(expr, names)
    expr.forward(values, ieee)
    at = {id(n): i for i, n in enumerate(expr.nodes) if n.op == "var"}
    variables = [(n, v, below[at[id(v)]]) for n, v in expr.variables.items()]
    swept = None
    if one_sweep or (one_sweep is None and len(names) >= ONE_SWEEP_FROM):
        swept = _one_sweep(expr, names, below)
    found: dict[str, dict[str, float]] = {}
    notes: dict[str, None] = {}
    everywhere = -1  # the outputs every variable is below: their rows need no test per variable
    for _, _, mask in variables:
        everywhere &= mask
    columns = [(n, swept[id(v)].tolist() if id(v) in swept else None, mask) for n, v, mask in variables] \
        if swept is not None else []
    for k, name in enumerate(names):
        bit = 1 << k
        if swept is not None:
            if everywhere & bit:
                found[name] = {n: column[k] for n, column, _ in columns}
            else:
                found[name] = {n: column[k] if mask & bit else 0.0 for n, column, mask in columns}
            if not expr.kinked:
                continue
        view = expr.with_output(name, [n for n, mask in zip(expr.nodes, below, strict=True) if mask & bit],
                                _Indices(below, bit))
        if swept is None:
            view.backward(ieee)
            # A variable no path from this output reaches has gradient 0, not one left by another output.
            if everywhere & bit:
                found[name] = {n: v.grad for n, v in expr.variables.items()}
            else:
                found[name] = {n: v.grad if mask & bit else 0.0 for n, v, mask in variables}
        notes.update(dict.fromkeys(view.notes()))
    return Jacobian(expr.source, {n: v.data for n, v in expr.variables.items()},
                    {name: expr.names[name].data for name in names}, found, notes=list(notes))


def _one_sweep(expr: Expression, names: list[str], below: list[int]) -> dict[int, Any] | None:
    """Every output's gradients in one reverse sweep: a node's gradient is a vector, an
    entry per output, and each edge adds its share to all of them at once (the pass of
    :func:`~autodiff_cli.core.engine.backward`, the same arithmetic entry by entry, in
    the same order). A node below only some outputs adds into those entries alone, so
    that no other output's entry sees a share its own pass would not make (not even
    0 * inf, nor -0.0 + 0.0). None where a rule fails or a number is not finite: then
    the passes one by one say where, as they would alone."""
    import numpy as np  # lazily: only a Jacobian of many outputs needs it

    count = len(names)
    every = (1 << count) - 1
    grads: dict[int, Any] = {}
    for k, name in enumerate(names):
        node = expr.names[name]
        grads.setdefault(id(node), np.full(count, -0.0))[k] = 1.0
    picks: dict[int, Any] = {}  # a mask's entries, for the nodes below only some outputs
    total = np.zeros(count)
    for node, mask in zip(reversed(expr.nodes), reversed(below), strict=True):
        g = grads.get(id(node))
        if g is None or not node.children or not node.needs_grad:
            continue
        total += g  # any nan or inf on the way shows in the sum
        op, args = OPS[node.op], [c.data for c in node.children]
        some = None
        if mask != every:
            some = picks.get(mask)
            if some is None:
                some = picks[mask] = np.array([k for k in range(count) if mask >> k & 1])
        for rule, child in zip(op.grads, node.children, strict=False):
            if not child.needs_grad:
                continue
            try:
                local = rule(SCALAR, node.data, *args)
            except (ArithmeticError, ValueError):
                return None
            if not math.isfinite(local):
                return None
            into = grads.get(id(child))
            if into is None:
                into = grads[id(child)] = np.full(count, -0.0)
            if some is None:
                into += g * local
            else:
                into[some] += g[some] * local
    return grads if np.isfinite(total).all() and all(
        np.isfinite(grads[id(v)]).all() for v in expr.variables.values() if id(v) in grads) else None


class _Indices:
    """The positions in ``expr.nodes`` of one output's nodes, found when first asked
    for: only a message needs them (:meth:`Expression.describe`), not the pass."""

    def __init__(self, below: list[int], bit: int) -> None:
        self._below, self._bit = below, bit
        self._found: list[int] | None = None

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, i: int) -> int:
        if self._found is None:
            self._found = [k for k, mask in enumerate(self._below) if mask & self._bit]
        return self._found[i]


def _below(expr: Expression, names: list[str]) -> list[int]:
    """Per node, a bit per output it is below (the output itself included): every
    output's part of the graph in one sweep, where one per output would cost as much
    as its backward pass."""
    nodes = expr.nodes
    index = {id(n): i for i, n in enumerate(nodes)}
    masks = [0] * len(nodes)
    for k, name in enumerate(names):
        masks[index[id(expr.names[name])]] |= 1 << k
    for i in range(len(nodes) - 1, -1, -1):
        mask = masks[i]
        if mask:
            for child in nodes[i].children:
                masks[index[id(child)]] |= mask
    return masks
