"""Several outputs at once: the values of some statements of a program and the
gradient of each, the Jacobian, from one forward pass over the shared graph and
one backward pass per output (reverse mode: a row per output, whatever the number
of variables)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..base.errors import UsageError, listed, quoted
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


def jacobian(expr: Expression, values: Mapping[str, float], names: Iterable[str], ieee: bool = False) -> Jacobian:
    """The values of the statements ``names`` and each one's gradient at ``values``:
    one forward pass, then one backward pass per output over its part of the graph."""
    names = [view.output_name or "" for view in outputs(expr, names)]  # checked, each once
    below = _below(expr, names)
    expr.forward(values, ieee)
    found: dict[str, dict[str, float]] = {}
    notes: dict[str, None] = {}
    at = {id(n): i for i, n in enumerate(expr.nodes) if n.op == "var"}
    variables = [(n, v, below[at[id(v)]]) for n, v in expr.variables.items()]
    everywhere = -1  # the outputs every variable is below: their rows need no test per variable
    for _, _, mask in variables:
        everywhere &= mask
    for k, name in enumerate(names):
        bit = 1 << k
        view = expr.with_output(name, [n for n, mask in zip(expr.nodes, below, strict=True) if mask & bit],
                                _Indices(below, bit))
        view.backward(ieee)
        # A variable no path from this output reaches has gradient 0, not one left by another output.
        if everywhere & bit:
            found[name] = {n: v.grad for n, v in expr.variables.items()}
        else:
            found[name] = {n: v.grad if mask & bit else 0.0 for n, v, mask in variables}
        notes.update(dict.fromkeys(view.notes()))
    return Jacobian(expr.source, {n: v.data for n, v in expr.variables.items()},
                    {name: expr.names[name].data for name in names}, found, notes=list(notes))


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
