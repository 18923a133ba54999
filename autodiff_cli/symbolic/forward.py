"""Derivatives of derivatives: forward mode over canonical nodes, as one
differentiates a formula by hand (and as sympy's ``diff`` does).

A first derivative comes from the reverse sweep of :mod:`autodiff_cli.symbolic.diff`
(one sweep for every variable). Each further order differentiates the printed
result with respect to one variable: sums term by term, products by the
product rule, everything else by its op's rule from the op table. Of the
derivative of the form as built and of the form as printed (sums with a
common factor factored), the one that prints shorter is kept.
"""

from __future__ import annotations

from typing import Any

from ..base.ops import OPS
from .canonical import CanonicalBuilder
from .factoring import factored
from .layout import choose_names, layout
from .limits import FLAT, MANY
from .nodes import ADD, CALL, LET, MUL, NUM, SYM, VAR, Node, postorder
from .printer import TextPrinter, to_text
from .reverse import SymbolicGraph, Term, node_of


def _parts(b: CanonicalBuilder, node: Node) -> list[Node]:
    """What a node is made of, for forward mode: a product's powers, a power's base and exponent."""
    kind = node.kind
    if kind == ADD:
        return [t for t, _ in node.args]
    if kind == MUL:
        if node.coeff == 1 and len(node.args) == 1:
            return list(node.args[0])
        return [b.power(base, e) for base, e in node.args]
    return list(node.args) if kind in (CALL, LET) else []


def forward_derivative(graph: SymbolicGraph, root: Node, name: str, tidy: Any = None) -> Node:
    """d root / d ``name`` by forward mode over the canonical DAG, with the op
    table's rules: sums term by term, products by the product rule (the
    ``*`` rule with the other factors as its other operand, spread over a
    small sum, as one writes it out), everything else by its op's rule. With a
    printer ``tidy``, each part's derivative is factored as it would be printed."""
    b, zero = graph.b, graph.b.zero
    var = b.var(name)
    found: dict[int, Node] = {}
    order = postorder(root, lambda n: _parts(b, n))
    named = {id(n.args[0]): n for n in order if n.kind == LET}  # a rule's "out" is the name, where there is one
    for node in order:
        kind = node.kind
        if kind in (NUM, SYM) or kind == VAR:
            found[id(node)] = b.one if node is var else zero
            continue
        parts = _parts(b, node)
        d = [found[id(p)] for p in parts]
        if all(x is zero for x in d):
            found[id(node)] = zero
            continue
        out = Term(graph, named.get(id(node), node))
        args = [Term(graph, p) for p in parts]
        if kind == LET:  # the derivative of a named intermediate is one too
            result = b.let(d[0]) if d[0].kind in (ADD, MUL, CALL) else d[0]
        elif kind == ADD:
            result = b.add([b.scale(c, dt) for (_, c), dt in zip(node.args, d, strict=True)])
        elif kind == CALL:
            result = b.add([b.mul([node_of(b, rule(graph.math, out, *args)), dx])
                            for rule, dx in zip(OPS[node.name].grads, d, strict=False) if dx is not zero])
        elif node.coeff == 1 and len(node.args) == 1:  # one power
            if parts[0] is b.e:
                op, inputs, tangents = OPS["exp"], args[1:], d[1:]
            else:
                op, inputs, tangents = OPS["pow"], args, d
            result = b.add([b.mul([node_of(b, rule(graph.math, out, *inputs)), dx])
                            for rule, dx in zip(op.grads, tangents, strict=False) if dx is not zero])
        else:
            result = _product_rule(graph, node, args, d)
        if tidy is not None and result.kind == ADD:
            result = factored(result, tidy)
        found[id(node)] = result
    return found[id(root)]


def _product_rule(graph: SymbolicGraph, node: Node, args: list[Term], d: list[Node]) -> Node:
    """d(c * f1 * ... * fn) by the op table's * rule. With a few factors that
    depend on the variable, written out as one writes it (``f1'*f2 + f1*f2'``);
    with more, nested, ``d(f1*S2) = f1'*S2 + f1*d(S2)`` with ``S2 = f2*...*fn``,
    each ``S`` and ``d(S)`` a named intermediate: n terms of n factors each
    would make the derivatives of chains grow as the square of their length."""
    b, zero = graph.b, graph.b.zero
    rule_a, rule_b = OPS["mul"].grads  # d(a*b)/da = b, d(a*b)/db = a
    depends = [k for k, dk in enumerate(d) if dk is not zero]
    if len(depends) <= MANY:
        terms = []
        for k in depends:
            others = Term(graph, b.mul([b.num(node.coeff), *(p.node for j, p in enumerate(args) if j != k)]))
            terms.append(_spread(b, rule_b(graph.math, None, others, args[k]), d[k]))
        return b.add(terms)
    constant = b.mul([b.num(node.coeff), *(p.node for k, p in enumerate(args) if d[k] is zero)])
    rest, drest = Term(graph, b.one), zero
    for k in reversed(depends):
        made = Term(graph, b.mul([args[k].node, rest.node]))
        drest = b.add([b.mul([node_of(b, rule_a(graph.math, made, args[k], rest)), d[k]]),
                       b.mul([node_of(b, rule_b(graph.math, made, args[k], rest)), drest])])
        drest = b.let(drest)
        rest = Term(graph, b.let(made.node))
    return b.mul([constant, drest])


def next_derivative(graph: SymbolicGraph, node: Node, name: str) -> Node:
    """d node / d ``name``, taken of ``node`` as printed: sums factored as the
    printer writes them, and its named intermediates kept as named
    intermediates (each one's derivative is one more), so that the size of a
    derivative of a derivative stays in proportion. Where nothing is named, of
    that and the derivative of ``node`` as built, the one that prints shorter."""
    tidy = TextPrinter()
    program, named = as_program(node, tidy)
    other = dissolved(forward_derivative(graph, program, name, tidy))
    if named:
        return other
    plain = forward_derivative(graph, node, name)
    if other is plain:
        return plain
    return min(plain, other, key=lambda n: (len(to_text(n)), n is other))


def as_program(root: Node, printer: TextPrinter) -> tuple[Node, bool]:
    """``root`` as printed: sums factored, and the subexpressions the printer
    names made named intermediates (:data:`~autodiff_cli.symbolic.nodes.LET`). Also
    whether there are any. The input's own names stay; generated ones are
    made again when the result is printed (in order)."""
    root = factored(root, printer)
    order, templates, repeated = layout(root, printer)
    names = choose_names(root, order, templates, (), repeated)
    if not names:
        return root, False
    b = root.owner

    def named(node: Node, made: Node) -> Node:
        given = names.get(id(node))
        return made if given is None else b.let(made, given if given == node.label else "")

    return _rebuild(root, named), True


def dissolved(root: Node) -> Node:
    """``root`` with each named intermediate used only once written in place,
    where sums and products can merge it with what is around it."""
    b = root.owner
    uses: dict[int, int] = {}
    for node in postorder(root, lambda n: _parts(b, n)):
        for p in _parts(b, node):
            uses[id(p)] = uses.get(id(p), 0) + 1
    return _rebuild(root, lambda node, made: made.args[0] if made.kind == LET and uses.get(id(node), 0) <= 1
                    else made)


def settle(root: Node) -> Node:
    """A last derivative made ready to print: the named intermediates the printer
    would not name written in place (sums and products merge them)."""
    b = root.owner
    if not any(n.kind == LET for n in postorder(root, lambda n: _parts(b, n))):
        return root
    printer = TextPrinter()
    order, templates, repeated = layout(root, printer)
    names = choose_names(root, order, templates, (), repeated)
    return _rebuild(root, lambda node, made: made.args[0] if made.kind == LET and id(node) not in names else made)


def _rebuild(root: Node, change: Any) -> Node:
    """``root`` made again bottom up, each node through ``change(node, made)``
    (``made``: the node with its changed parts)."""
    b = root.owner
    new: dict[int, Node] = {}
    for node in postorder(root, lambda n: _parts(b, n)):
        parts = _parts(b, node)
        made = node
        if any(new[id(p)] is not p for p in parts):
            kind = node.kind
            if kind == ADD:
                made = b.add([b.num(node.coeff), *(b.scale(c, new[id(t)]) for t, c in node.args)])
            elif kind == MUL and node.coeff == 1 and len(node.args) == 1:
                made = b.pow(new[id(parts[0])], new[id(parts[1])])
            elif kind == MUL:
                made = b.mul([b.num(node.coeff), *(new[id(p)] for p in parts)])
            elif kind == CALL:
                made = b.call(node.name, *(new[id(p)] for p in parts))
            elif kind == LET:
                made = b.let(new[id(parts[0])], node.label)
        new[id(node)] = change(node, made)
    return new[id(root)]


def _spread(b: CanonicalBuilder, x: Any, s: Node) -> Node:
    """``x*s``, written out term by term where ``s`` is a (small) sum."""
    x = node_of(b, x)
    product = b.mul([x, s])
    if s.kind != ADD or len(s.args) > FLAT or not (product.kind == MUL and any(f is s for f, _ in product.args)):
        return product  # not a sum, or one that cancelled: (a + b)/(a + b) is 1
    return b.add([b.mul([x, b.num(s.coeff)]), *(b.mul([x, b.scale(c, t)]) for t, c in s.args)])
