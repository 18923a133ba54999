"""The reverse sweep on canonical nodes: a first derivative for every variable
at once, by the op table's local-derivative rules applied to :class:`Term` s.

A :class:`SymbolicGraph` keeps the canonical form (:mod:`autodiff_cli.symbolic.canonical`) of each node of a graph
of op-table nodes (:class:`~autodiff_cli.core.engine.Value`), made only when a rule asks for it; a chain of
``+``/``-`` (or ``*``/``/``) is gathered into one n-ary node at its top instead of node by node. It also
lowers canonical nodes back to such a graph (for numbers: the Hessian).
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

from ..base.ops import OPERATORS, OPS
from ..core.engine import Value
from ..core.expression import Expression
from .canonical import CanonicalBuilder
from .decimals import literal
from .limits import EXPONENT_NODES
from .nodes import ADD, CALL, LET, MUL, NUM, SYM, VAR, Node, fold, postorder
from .products import product_shares

_SUMS = ("add", "sub", "neg")
_PRODUCTS = ("mul", "div")


class Term:
    """A canonical node for the op table's rules: Python operators on Terms build
    canonical nodes. The node is made when first needed (``source`` is the
    graph node it stands for), so rules that never read an input (``+``) never
    make one."""

    __slots__ = ("_node", "graph", "source")

    def __init__(self, graph: SymbolicGraph, node: Node | None = None, source: Value | None = None) -> None:
        self.graph, self._node, self.source = graph, node, source

    @property
    def node(self) -> Node:
        if self._node is None:
            self._node = self.graph.canon(self.source)
        return self._node

    def _wrap(self, node: Node) -> Term:
        return Term(self.graph, node)

    def _of(self, x: Any) -> Node:
        return x.node if isinstance(x, Term) else self.graph.b.num(_exact_rule_number(x))

    def __neg__(self) -> Term:
        return self._wrap(self.graph.b.neg(self.node))


_BUILD = {"add": lambda b, x, y: b.add([x, y]), "sub": lambda b, x, y: b.sub(x, y),
          "mul": lambda b, x, y: b.mul([x, y]), "div": lambda b, x, y: b.div(x, y), "pow": lambda b, x, y: b.pow(x, y)}
"""How the canonical builder makes each binary op of the table."""


def _operator(op: str, reflected: bool) -> Any:
    """``term <op> other``, or reflected (``1.0 - term``) ``other <op> term``."""
    build = _BUILD[op]
    if reflected:
        return lambda self, o: self._wrap(build(self.graph.b, self._of(o), self.node))
    return lambda self, o: self._wrap(build(self.graph.b, self.node, self._of(o)))


for _op, _dunder in OPERATORS.items():  # as Value has them (autodiff_cli.core.engine)
    setattr(Term, f"__{_dunder}__", _operator(_op, reflected=False))
    setattr(Term, f"__r{_dunder}__", _operator(_op, reflected=True))


def _exact_rule_number(x: float | int) -> Fraction | int:
    """A number written in a rule (``1.0``, ``0.5``) is meant exactly: every
    float is a dyadic rational, so this is lossless."""
    return Fraction(x) if isinstance(x, float) else x


def _vanishes_with(power: Node, base: Node) -> bool:
    """Whether ``power`` is ``base**e`` with ``e`` 0 wherever ``base`` is (``x**x``,
    ``x**abs(2*x)``): there ``base**e`` is 1, not 0, so xlogy would not make
    ``base**e*log(base)`` defined at ``base == 0``, and ``log`` reads better.
    Only small exponents are looked into (xlogy is right for the others too), so
    that nested powers stay linear."""
    if not (power.kind == MUL and power.coeff == 1 and len(power.args) == 1 and power.args[0][0] is base):
        return False
    exponent = power.args[0][1]
    seen, stack = set(), [exponent]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            if len(seen) > EXPONENT_NODES:
                return False
            stack += node.children()
    vanishes: dict[int, bool] = {}
    for node in postorder(exponent, lambda n: n.children()):
        kind = node.kind
        if node is base:
            found = True
        elif kind == MUL:
            found = any(vanishes[id(f)] and e.kind == NUM and e.value > 0 for f, e in node.args)
        elif kind == ADD:
            found = node.coeff == 0 and all(vanishes[id(t)] for t, _ in node.args)
        elif kind == CALL:
            if node.name == "xlogy":  # 0 wherever its factor is
                found = vanishes[id(node.args[0])]
            else:
                found = all(vanishes[id(a)] for a in node.args) and fold(node.name, *[0] * len(node.args)) == 0
        else:
            found = kind == LET and vanishes[id(node.args[0])]
        vanishes[id(node)] = found
    return vanishes[id(exponent)]


class SymbolicGraph:
    """Canonical forms of the nodes of :class:`Value` graphs, made on demand and
    kept; the builder and the symbolic math namespace the op table's rules run in."""

    def __init__(self, builder: CanonicalBuilder | None = None) -> None:
        self.b = b = builder or CanonicalBuilder()
        self._canon: dict[int, Node] = {}
        self._keep: list[Value] = []  # the graphs whose ids are keys above stay alive
        self._uses: dict[int, int] = {}
        self._lowered: dict[int, Value] = {}
        self._vars: dict[str, Value] = {}
        self.named = False  # whether a sweep made named intermediates (a long product's, products.py)

        def call(name: str) -> Any:
            if OPS[name].arity.stop == 2:  # one argument
                return lambda x: Term(self, b.call(name, _node(x)))
            return lambda *xs: Term(self, b.call(name, *map(_node, xs)))

        def _node(x: Any) -> Node:
            return x.node if isinstance(x, Term) else b.num(_exact_rule_number(x))

        def pow_dexp(out: Term, x: Term) -> Any:
            # The engine's convention: 0 where the base is 0 (then out is 0 or 1 wherever defined).
            # xlogy(out, x) is that wherever out is 0; a number base is never 0 where it matters.
            base = _node(x)
            if base.kind == NUM and base.value == 0:
                return 0.0
            if base.kind in (NUM, SYM) or _vanishes_with(_node(out), base):
                return out * Term(self, b.call("log", base))
            return Term(self, b.call("xlogy", _node(out), base))

        self.math = SimpleNamespace(
            **{name: call(name) for name, op in OPS.items() if op.kind == "call"},
            pow=lambda x, y: Term(self, b.pow(_node(x), _node(y))),
            pow_dbase=lambda x, y: y * Term(self, b.pow(_node(x), b.add([_node(y), b.minus_one]))),
            pow_dexp=pow_dexp,
            # xlogy's slopes as written by hand: at x = 0, y <= 0 the engine's conventions give 0.
            xlogy_dx=lambda x, y: Term(self, b.call("log", _node(y))),
            xlogy_dy=lambda x, y: x / y,
            # The forms the numbers compute another way (without cancellation, 0 at a 0/0), as written.
            one_minus_square=lambda x: 1 - x * x, root_square_minus_one=lambda x: (x * x - 1) ** 0.5,
            root_square_plus_one=lambda x: (x * x + 1) ** 0.5,
            one_minus_sigmoid=lambda x: 1 - self.math.sigmoid(x),
            to_zero=lambda num, den: num / den, over_hypot=lambda num, x, y, h: num / h,
            atan2_dy=lambda y, x: x / (x * x + y * y),
            atan2_dx=lambda y, x: -y / (x * x + y * y), pi=Term(self, b.pi),
        )
        """The symbolic interpretation of the op table's math namespace."""
        self.math.tied_share = lambda k, largest, out, *xs: _tied_share(self, k, largest, out, *xs)
        self.math.above = lambda a, b: self.math.relu(self.math.sign(a - b))  # 1 where a > b: as written

    # -- Value graph -> canonical -------------------------------------------------
    def add_input(self, expr: Expression) -> list[Value]:
        """Register a parsed expression; returns its nodes in topological order."""
        nodes, _ = expr.live()
        uses = self._uses
        for node in nodes:
            for child in node.children:
                key = id(child)
                uses[key] = uses.get(key, 0) + 1
        self._keep.append(expr.output)
        return nodes

    def _gather(self, root: Value) -> list[tuple[int, Value]]:
        """The operands of ``root``: for a chain of + - (or * /) the signed (or
        exponent +-1) leaves of the whole chain, else the plain children."""
        op = root.op
        kinds = _SUMS if op in _SUMS else _PRODUCTS if op in _PRODUCTS else None
        if kinds is None:
            return [(1, c) for c in root.children]
        children = root.children
        if op == "neg":
            if children[0].op not in kinds:
                return [(-1, children[0])]
        elif children[0].op not in kinds and children[1].op not in kinds:  # the commonest case: w*x
            return [(1, children[0]), (1 if op in ("add", "mul") else -1, children[1])]
        out: list[tuple[int, Value]] = []
        stack = [(root, 1)]
        canon, uses = self._canon, self._uses
        while stack:
            node, s = stack.pop()
            if node is not root and (node.op not in kinds or id(node) in canon or uses.get(id(node), 1) > 1
                                     or node.label):
                out.append((s, node))
                continue
            op = node.op
            if op == "neg":
                stack.append((node.children[0], -s))
            elif op in ("sub", "div"):
                stack.append((node.children[1], -s))
                stack.append((node.children[0], s))
            else:
                stack.append((node.children[1], s))
                stack.append((node.children[0], s))
        return out

    def canon(self, value: Value) -> Node:
        """The canonical node of a graph node (made once; iterative, any depth)."""
        canon = self._canon
        got = canon.get(id(value))
        if got is not None:
            return got
        stack: list[list] = [[value, None]]
        while stack:
            entry = stack[-1]
            node = entry[0]
            if id(node) in canon:
                stack.pop()
                continue
            if entry[1] is None:
                entry[1] = operands = self._gather(node)
                for _, c in operands:
                    if id(c) not in canon:
                        if c.children:
                            stack.append([c, None])
                        else:  # a leaf: made now, without a trip through the stack
                            canon[id(c)] = self._build(c, ())
                continue
            stack.pop()
            canon[id(node)] = made = self._build(node, entry[1])
            if node.label and node.children and not made.label and made.kind in (ADD, MUL, CALL):
                made.label = node.label
        return canon[id(value)]

    def _build(self, node: Value, operands: list[tuple[int, Value]]) -> Node:
        b, canon = self.b, self._canon
        op = node.op
        if op == "var":
            return b.var(node.label)
        if op == "const":
            if node.label == "pi":
                return b.pi
            text = node.label
            return b.num(int(text) if text.lstrip("-").isdigit() else literal(text, node.data))  # 0.1 is 1/10
        if op in _SUMS:
            return b.add([canon[id(c)] if s > 0 else b.neg(canon[id(c)]) for s, c in operands])
        if op in _PRODUCTS:
            return b.mul([canon[id(c)] if s > 0 else b.pow(canon[id(c)], b.minus_one) for s, c in operands])
        args = [canon[id(c)] for _, c in operands]
        if op == "pow":
            return b.pow(*args)
        return b.call(op, *args)

    def term(self, node: Node) -> Term:
        """``node`` for the op table's rules."""
        return Term(self, node)

    def _made(self, share: Any) -> Node:
        """A share as a node: the product of its factors, made at once."""
        factors = []
        while type(share) is tuple:
            share, factor = share
            factors.append(factor)
        if not factors:
            return share
        factors.append(share)
        return self.b.mul(factors)

    # -- canonical -> Value graph -------------------------------------------------
    def lower(self, root: Node) -> Value:
        """A graph of binary op-table nodes computing ``root``: the Hessian's
        numbers, and the first sweep over a canonical node
        (:func:`autodiff_cli.symbolic.diff.derivative`). Variables are one node per
        name across calls."""
        lowered = self._lowered
        for node in postorder(root, lambda n: n.children()):
            if id(node) not in lowered:
                lowered[id(node)] = value = self._lower_one(node)
                self._canon[id(value)] = node
                self._keep.append(value)
        return lowered[id(root)]

    def _lower_one(self, node: Node) -> Value:
        low, kind = self._lowered, node.kind
        if kind == NUM:
            return Value(float(node.value), (), "const")
        if kind == SYM:
            return Value(3.141592653589793, (), "const", "pi") if node.name == "pi" else \
                Value(2.718281828459045, (), "const", "e")
        if kind == VAR:
            var = self._vars.get(node.name)
            if var is None:
                var = self._vars[node.name] = Value(0.0, (), "var", node.name)
            return var
        if kind == CALL:
            return Value(0.0, tuple(low[id(a)] for a in node.args), node.name)
        if kind == LET:
            return low[id(node.args[0])]
        parts: list[Value] = []
        if kind == MUL and node.coeff != 1:
            parts.append(self._number(node.coeff))
        for item, e in node.args:
            if kind == ADD:
                t = low[id(item)]
                parts.append(t if e == 1 else Value(0.0, (self._number(e), t), "mul"))
            elif item is self.b.e:
                parts.append(Value(0.0, (low[id(e)],), "exp"))
            else:
                parts.append(low[id(item)] if e is self.b.one else Value(0.0, (low[id(item)], low[id(e)]), "pow"))
        if kind == ADD and node.coeff != 0:
            parts.append(self._number(node.coeff))
        out = parts[0]
        for part in parts[1:]:
            out = Value(0.0, (out, part), "add" if kind == ADD else "mul")
        return out

    def _number(self, x: Any) -> Value:
        value = Value(float(x), (), "const")
        self._canon[id(value)] = self.b.num(x)
        self._keep.append(value)
        return value

    # -- the sweep ------------------------------------------------------------------
    def gradients(self, order: list[Value], names: Iterable[str]) -> dict[str, Node]:
        """d root / d variable for the variables ``names``, as canonical nodes:
        reverse mode with each op's local-derivative rule applied to Terms.
        ``order`` is the graph in topological order, ending with the root."""
        b = self.b
        wanted = dict.fromkeys(names)  # in the caller's order, not a set's (which follows the string hash seed)
        root = order[-1]
        leads: set[int] = set()  # nodes with a wanted variable below them
        for node in order:
            children = node.children
            if not children:
                if node.op == "var" and node.label in wanted:
                    leads.add(id(node))
                continue
            for c in children:
                if id(c) in leads:
                    leads.add(id(node))
                    break
        # A share is a node, or (share, factor): a product not made yet. Down a
        # chain (sin(sin(...))) the product grows a factor per step; made once,
        # at the end, it is one n-ary product in linear time.
        shares: dict[int, list[Any]] = {id(root): [b.one]} if id(root) in leads else {}
        result = dict.fromkeys(wanted, b.zero)
        done: set[int] = set()  # inner nodes of short product chains (products.product_shares)
        for node in reversed(order):
            mine = shares.pop(id(node), None)
            if mine is None:
                continue
            g = mine[0] if len(mine) == 1 else b.add([self._made(share) for share in mine])
            if node.op == "var":
                result[node.label] = self._made(g)
                continue
            spread = product_shares(self, node, g, leads, done) if node.op in _PRODUCTS else None
            if spread is not None:
                for child, share in spread:
                    shares.setdefault(id(child), []).append(share)
                continue
            out = Term(self, source=node)
            args = [Term(self, source=c) for c in node.children]
            for rule, child in zip(OPS[node.op].grads, node.children, strict=False):
                if id(child) not in leads:
                    continue
                local = rule(self.math, out, *args)
                if isinstance(local, Term):
                    share = (g, local.node)
                else:
                    share = g if local == 1 else (g, b.num(_exact_rule_number(local)))
                shares.setdefault(id(child), []).append(share)
        return result


def _tied_share(graph: SymbolicGraph, k: int, largest: bool, out: Any, *xs: Any) -> Any:
    """max's (or min's) slope in its k-th input as written: of two, ``(1 + sign(a - b))/2``;
    of more, [x_k is the extreme], ``1 - sign(out - x_k)`` (``1 - sign(x_k - out)`` for min),
    over the sum of them all: made once per node, the sum in one step (n marks, not n**2; one flat sum)."""
    m = graph.math
    if len(xs) == 2:
        d = xs[k] - xs[1 - k]
        return (1.0 + m.sign(d if largest else -d)) * 0.5
    last = getattr(graph, "_ties", ())  # the last node's marks and sum, for its other inputs
    if not (last and last[0] is out and last[1] == largest and last[2] == xs):  # Terms compare as themselves
        marks = [1 - m.sign(out - x if largest else x - out) for x in xs]
        total = Term(graph, graph.b.add([node_of(graph.b, mark) for mark in marks]))
        graph._ties = last = (out, largest, xs, marks, total)
    return last[3][k] / last[4]


def node_of(b: CanonicalBuilder, x: Any) -> Node:
    """A rule's result as a node (rules may return plain numbers)."""
    return x.node if isinstance(x, Term) else b.num(_exact_rule_number(x))
