"""The engine: micrograd's ``Value`` plus forward and backward passes over a
topologically ordered list of nodes.

Every loop here is iterative, never recursive, so a graph 100,000 levels deep
works under Python's default recursion limit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from ..base.errors import DomainError, NotANumberError, NotFiniteError
from ..base.ops import OPERATORS, OPS
from ..base.scalar import SCALAR

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from ..draw.notebook import Graph
    from .stepper import Stepper


class Value:
    """A scalar node: its data, the gradient of the output with respect to it,
    its inputs *in order* (``a*a`` keeps both edges), the op that made it and a
    label. ``needs_grad`` is true when a variable lies below it: backward skips
    partials into constant subgraphs (``x**2`` never asks for d/d2).

    The micrograd lecture's names work too: ``value`` is ``data``, ``gradient``
    is ``grad`` and ``operation`` is ``op`` (the op's name: ``"mul"``, ``"add"``;
    ``"var"`` for an input, ``"const"`` for a number), the same fields under a
    second name. micrograd's own names work as well: ``_prev`` (the inputs as a
    set), ``_op`` (the op's symbol, ``''`` for a leaf) and ``_backward()`` (this
    node's step of the backward pass, for doing it by hand). ``render_graph()`` draws the graph below the node
    (``steps=True``: steps through its backward pass); a notebook shows its repr and a small graph's drawing.
    """

    __slots__ = ("children", "data", "grad", "label", "needs_grad", "op")
    # The aliases (set below the class: the slots' own descriptors, so no call and no field).
    value: float
    gradient: float
    operation: str

    def __init__(self, data: float = 0.0, children: tuple[Value, ...] = (), op: str = "var",
                 label: str = "", gradient: float = 0.0) -> None:
        # The one place that sets a Value's fields: made, leaf and copied call it; only
        # the parser's two inline copies (core/parser.py) repeat it, held to it by a test.
        self.data = data if type(data) is float else _number(data)
        self.grad = float(gradient) if gradient else 0.0
        self.children = children
        self.op = op
        self.label = label
        needs = op == "var"
        for child in children:  # a plain loop: any() with a generator costs more per node
            if child.needs_grad:
                needs = True
                break
        self.needs_grad = needs

    @classmethod
    def made(cls, children: tuple[Value, ...], op: str) -> Value:
        """A node whose data the next forward pass computes (a function's body copied at a call)."""
        return cls(0.0, children, op)

    @classmethod
    def leaf(cls, op: str, data: float, label: str) -> Value:
        """A variable or constant (a function's body copied at a call)."""
        return cls(data, (), op, label)

    @classmethod
    def copied(cls, data: float, grad: float, children: tuple[Value, ...], op: str, label: str,
               needs_grad: bool) -> Value:
        """A node made again as it was (a copy, an unpickled graph): the constructor's,
        with the gradient it had (-0.0 too) and its ``needs_grad`` (a named number's is the parser's)."""
        node = cls(data, children, op, label)
        node.grad, node.needs_grad = grad, needs_grad
        return node

    @classmethod
    def apply(cls, op: str, *inputs: Value | float) -> Value:
        """Build the node for ``op`` over ``inputs`` and compute its data now (micrograd style)."""
        children = tuple(x if isinstance(x, Value) else cls(x, op="const") for x in inputs)
        node = cls(0.0, children, op)
        forward([node], strict=True)
        return node

    def __reduce__(self) -> tuple[Callable[..., Value], tuple[list[tuple], ...]]:
        # The graph below, flat, children first: pickle's own way recurses into the
        # children and overflows the stack on a 100,000-deep chain. Sharing inside
        # the graph (a*a) is kept; each pickled Value carries its own graph.
        order = topological_order(self)
        index = {id(n): i for i, n in enumerate(order)}
        return _rebuild, ([(n.data, n.grad, n.op, n.label, n.needs_grad, tuple([index[id(c)] for c in n.children]))
                           for n in order],)

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data!r}, grad={self.grad!r})"

    def __neg__(self) -> Value:
        return Value.apply("neg", self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return Value.apply("abs", self)

    def __getattr__(self, name: str) -> Callable[..., Value]:
        # v.exp(), v.tanh(), ... for every function in the op table; v.xlogy(y), as PyTorch has it.
        op = OPS.get(name)
        if op is None or op.kind != "call":
            raise AttributeError(name)

        def method(*more: Value | float) -> Value:
            if len(more) + 1 not in op.arity:  # self is the first argument: x.log(2) is log(x, 2)
                raise TypeError(f"{name}() takes {op.takes(besides=1)}, got {len(more)}")
            return Value.apply(name, self, *more)

        method.__name__, method.__qualname__ = name, f"Value.{name}"  # in a TypeError: Value.log(), not a lambda's
        return method

    def __dir__(self) -> list[str]:  # the function methods too (x.atan()): tab completion shows them
        return sorted({*super().__dir__(), *(name for name, op in OPS.items() if op.kind == "call")})

    @property
    def _prev(self) -> set[Value]:
        """micrograd's name for the inputs: a set, as the lecture's (``children`` keeps their order)."""
        return set(self.children)

    @property
    def _op(self) -> str:
        """micrograd's name for the operation: its symbol (``'+'``, ``'*'``, ``'tanh'``; ``''`` for a leaf)."""
        return OPS[self.op].symbol

    def _backward(self) -> None:
        """This node's own step of the backward pass, as the lecture does it by hand
        (``o.grad = 1.0; o._backward(); n._backward(); ...``): add ``grad * local
        derivative`` to each input's ``.grad``, by the op table's rules. A leaf's does nothing."""
        if self.children and self.needs_grad:
            _push([self], self, 0, False, False, None, None)

    def backward(self) -> None:
        """Fill ``.grad`` of every node below with d(self)/d(node).

        Gradients are reset first, so calling it twice gives the same result
        (micrograd accumulates into stale gradients the second time).
        """
        backward(topological_order(self), self)

    def render_graph(self, precision: int = 4, rankdir: str = "LR", steps: bool = False) -> Graph | Stepper:
        """The graph below this node as the lecture draws it (records ``label | value | gradient``, an
        operation between its inputs and result): a :class:`~autodiff_cli.draw.notebook.Graph`, SVG in a notebook;
        ``steps``: the page that steps through its backward pass (:class:`~autodiff_cli.core.stepper.Stepper`)."""
        if steps:
            from .stepper import Stepper, value_stepper_page  # lazily: only the page needs it
            return Stepper(value_stepper_page(topological_order(self), self, backward, precision, rankdir))
        from ..draw.notebook import draw  # lazily: the drawing's imports cost start-up time

        return draw(topological_order(self), self, precision, rankdir)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        from ..draw.notebook import value_bundle  # lazily: only a notebook shows it
        return value_bundle(topological_order(self), self)


def draw_dot(root: Value, rankdir: str = "LR") -> Graph:
    """micrograd's ``draw_dot(root)``: the graph below ``root``, as ``root.render_graph()`` draws it."""
    return root.render_graph(rankdir=rankdir)


def _number(data: object) -> float:
    """A Value's data as a float: None and text are no numbers (``float('2')``
    would read the text), and an integer beyond float64's range is not finite."""
    if data is None or isinstance(data, (str, bytes, bytearray)):
        raise NotANumberError(f"a Value holds a real number, not {type(data).__name__}")
    try:
        return float(data)  # type: ignore[arg-type]
    except OverflowError:
        raise NotFiniteError("a Value's number must be within float64's range (about +-1.8e308)") from None
    except (TypeError, ValueError):
        raise NotANumberError(f"a Value holds a real number, not {type(data).__name__}") from None


def _rebuild(rows: list[tuple]) -> Value:
    """A pickled Value's graph made again (see ``Value.__reduce__``): the last row is the Value."""
    nodes: list[Value] = []
    for data, grad, op, label, needs, kids in rows:
        nodes.append(Value.copied(data, grad, tuple([nodes[k] for k in kids]), op, label, needs))
    return nodes[-1]


def _operator(op: str, reflected: bool) -> Callable[[Value, Value | float], Value]:
    """``self <op> other``, or reflected (``2 * v`` calls ``v.__rmul__(2)``) ``other <op> self``."""
    if reflected:
        return lambda self, other: Value.apply(op, other, self)
    return lambda self, other: Value.apply(op, self, other)


# + - * / ** and their reflected forms, each one node of the op table's binary op.
for _op, _dunder in OPERATORS.items():
    setattr(Value, f"__{_dunder}__", _operator(_op, reflected=False))
    setattr(Value, f"__r{_dunder}__", _operator(_op, reflected=True))


# The lecture's attribute names: the slot descriptors themselves under a second
# name, so reading or setting ``v.value`` costs what ``v.data`` does.
Value.value = Value.data  # type: ignore[misc]
Value.gradient = Value.grad  # type: ignore[misc]
Value.operation = Value.op  # type: ignore[misc]


def topological_order(root: Value) -> list[Value]:
    """Nodes below ``root``, children before parents, each once.

    Iterative depth-first search with an explicit stack: a recursive sort
    raises RecursionError on deep graphs.
    """
    order: list[Value] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Value, int]] = [(root, 0)]
    while stack:
        node, i = stack.pop()
        if i < len(node.children):
            stack.append((node, i + 1))
            child = node.children[i]
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, 0))
        else:
            order.append(node)
    return order


Describe = Callable[[int], str]


def _describe_default(nodes: Sequence[Value]) -> Describe:
    return lambda i: nodes[i].label or OPS[nodes[i].op].symbol or repr(nodes[i].data)


def _ieee(rule: Callable[..., float], *args: float) -> float:
    """Recompute a rule with numpy float64, which gives IEEE results (inf, nan)
    where ``math`` raises. Only reached on the rare failing path."""
    from ..base.arrays import ARRAY, np  # lazily: only --ieee needs numpy (tens of ms)

    with np.errstate(all="ignore"):
        return float(rule(ARRAY, *(np.float64(a) for a in args)))


def forward(nodes: Sequence[Value], strict: bool = True, describe: Describe | None = None) -> None:
    """Recompute ``data`` of every non-leaf node, in order.

    Strict mode raises :class:`DomainError` naming the first node whose value is
    not finite; otherwise results are IEEE (inf, nan).
    """
    for node in nodes:  # no enumerate: the index is found again on the failing path only
        children = node.children
        if not children:
            continue
        # The commonest ops inline (the table's rules; a test holds them equal):
        # float + - * cannot raise, and strict mode checks finiteness below.
        name = node.op
        if name == "add":
            node.data = children[0].data + children[1].data
            continue
        if name == "mul":
            node.data = children[0].data * children[1].data
            continue
        if name == "sub":
            node.data = children[0].data - children[1].data
            continue
        op = OPS[name]
        args = [c.data for c in children]
        try:
            node.data = op.forward(SCALAR, *args)
        except (ArithmeticError, ValueError) as exc:
            if strict:
                why = "overflow" if isinstance(exc, OverflowError) else op.domain_error(*args)
                raise DomainError(why, nodes.index(node), describe or _describe_default(nodes)) from None
            node.data = _ieee(op.forward, *args)
    if strict and not all(map(math.isfinite, [n.data for n in nodes])):
        i = next(i for i, n in enumerate(nodes) if not math.isfinite(n.data))
        node = nodes[i]
        why = "overflow" if math.isinf(node.data) else "not a number"
        if node.op == "const":
            why = "number too large"
        raise DomainError(why, i, describe or _describe_default(nodes))


_START = (0.0, -0.0)
"""A node's gradient before the backward pass, by ``needs_grad``: -0.0 where shares
arrive, as it is the sum's identity (-0.0 + s is s for every s, where 0.0 + -0.0
is 0.0), so that a single share keeps its sign as in PyTorch and the array
engine (d(x*y)/dx at y = -0.0 is -0.0); 0.0 where none arrives (constants)."""


def backward(nodes: Sequence[Value], output: Value, ieee: bool = False, check: bool = False,
             describe: Describe | None = None, record: list[tuple[int, int, float, float, float]] | None = None
             ) -> None:
    """Reverse-mode sweep: ``nodes`` is topologically ordered and ends in ``output``.

    Each node pushes ``grad * local_derivative`` into each child that needs a
    gradient; ``+=`` because a node used twice (``a*a``) gets both shares.
    Unless ``ieee``, a math error in a rule raises :class:`DomainError` at its
    node; ``check`` also tests every share, to name the node where a
    non-finite gradient first arises (a slower pass, run only after a failure).
    ``record`` receives one ``(node index, input index, local derivative,
    contribution, input's gradient so far)`` per edge: the pass as done by hand.
    """
    # -0.0, not 0.0: it is the sum's identity (-0.0 + s is s for every s, where 0.0 + -0.0
    # is 0.0), so that a single share keeps its sign, as in PyTorch and the array engine
    # (d(x*y)/dx at y = -0.0 is -0.0). A constant, which no share reaches, is set to 0.0
    # when the pass meets it (a test per node here would cost a tenth of the pass).
    for node in nodes:
        node.grad = -0.0
    output.grad = 1.0
    if record is not None or check:
        for i in range(len(nodes) - 1, -1, -1):
            node = nodes[i]
            if not node.needs_grad:
                node.grad = 0.0
            elif node.children:
                _push(nodes, node, i, ieee, check, describe, record)
        output.grad = 1.0  # a constant output too
        return
    # The usual pass: the commonest ops inline (their shares cannot raise), as in
    # forward, and no index kept (the rare failing rule finds its node's again).
    for node in reversed(nodes):
        if not node.needs_grad:
            node.grad = 0.0
            continue
        children = node.children
        if not children:
            continue
        name = node.op
        if name == "mul":
            a, b = children
            g = node.grad
            if a.needs_grad:
                a.grad += g * b.data
            if b.needs_grad:
                b.grad += g * a.data
        elif name == "add" or name == "sub":
            a, b = children
            g = node.grad
            if a.needs_grad:
                a.grad += g
            if b.needs_grad:
                b.grad += g if name == "add" else -g
        else:
            _push(nodes, node, -1, ieee, check, describe, record)
    output.grad = 1.0  # a constant output too


def _push(nodes: Sequence[Value], node: Value, i: int, ieee: bool, check: bool, describe: Describe | None,
          record: list[tuple[int, int, float, float, float]] | None) -> None:
    """One node's step of :func:`backward` by the op table's rules (``i`` is its
    index in ``nodes``, or -1 for: find it if a message needs it)."""
    g = node.grad
    children = node.children
    grads = OPS[node.op].grads
    out = node.data
    args = [c.data for c in children]
    for k, (rule, child) in enumerate(zip(grads, children, strict=False)):
        if not child.needs_grad:
            continue
        try:
            local = rule(SCALAR, out, *args)
            share = g * local
        except (ArithmeticError, ValueError):
            local = _ieee(rule, out, *args)
            share = g * local
            if not ieee:
                raise DomainError(_gradient_message(node, share), i if i >= 0 else nodes.index(node),
                                  describe or _describe_default(nodes)) from None
        if check and not (math.isfinite(share) and math.isfinite(child.grad + share)):  # or a sum of them overflows
            raise DomainError(_gradient_message(node, child.grad + share), i, describe or _describe_default(nodes))
        child.grad += share
        if record is not None:
            record.append((i, k, local, share, child.grad))


def _gradient_message(node: Value, share: float) -> str:
    what = "undefined gradient (nan)" if math.isnan(share) else "infinite gradient"
    kink = OPS[node.op].kink
    if kink and kink[0](SCALAR, *[c.data for c in node.children]):
        what += f", {kink[1]},"
    return what


def all_finite_grads(nodes: Iterable[Value]) -> bool:
    return all(map(math.isfinite, [n.grad for n in nodes]))
