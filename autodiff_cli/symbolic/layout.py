"""Laying a printed expression out: which nodes it refers to, which repeated
subexpressions to name (``t1 = ...; ``), and the text itself. Shared by the
plain printer and the LaTeX printer; every pass is iterative.

A node's *template* (from a :class:`~autodiff_cli.symbolic.printer.Printer`) is a list
of text pieces and references to child nodes, each reference with the
precedence tier the child needs there, and the node's own tier.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from .limits import BIG, NAMING_PASSES
from .nodes import ADD, CALL, LET, MUL, VAR, Node

if TYPE_CHECKING:
    from .printer import Printer

Piece = Any  # a str, or (child node, tier needed)


class Template(NamedTuple):
    """A node's printed form (a printer's ``template`` returns one as a pair)."""

    pieces: list[Piece]
    tier: int
    """How tightly the whole binds (the op table's tiers): a child whose tier is below what its place needs is
    written in parentheses."""


def _refs(template: Template) -> list[tuple[Node, int]]:
    return [p for p in template.pieces if type(p) is tuple]


def layout(root: Node, printer: Printer) -> tuple[list[Node], dict[int, Template], bool]:
    """Templates of every node the printed ``root`` refers to, children first
    (iterative), and whether any composite node is referred to twice. A leaf
    (number, variable) is never named: its text goes straight into its parent's
    template, and runs of text are joined (a 10,000-term sum is 10,000 pieces)."""
    leaves: dict[int, tuple[str, int]] = {}

    def made(node: Node) -> Template:
        pieces, tier = printer.template(node)
        if node.kind <= VAR:
            return Template(pieces, tier)
        out: list[Piece] = []
        for p in pieces:
            if type(p) is tuple and p[0].kind <= VAR:
                leaf = leaves.get(id(p[0]))
                if leaf is None:
                    texts, leaf_tier = printer.template(p[0])
                    leaf = leaves[id(p[0])] = (texts[0], leaf_tier)
                p = leaf[0] if leaf[1] >= p[1] else f"{printer.parens[0]}{leaf[0]}{printer.parens[1]}"
            if type(p) is str and out and type(out[-1]) is str:
                out[-1] += p
            else:
                out.append(p)
        return Template(out, tier)

    templates: dict[int, Template] = {id(root): made(root)}
    order: list[Node] = []
    repeated = False
    stack = [(root, iter(_refs(templates[id(root)])))]
    while stack:
        node, it = stack[-1]
        for child, _ in it:
            if id(child) not in templates:
                templates[id(child)] = made(child)
                stack.append((child, iter(_refs(templates[id(child)]))))
                break
            repeated = repeated or child.kind >= ADD
        else:
            stack.pop()
            order.append(node)
            if node.kind == LET:  # written out where it is not named: as its definition
                templates[id(node)] = Template(templates[id(node)].pieces, templates[id(node.args[0])].tier)
    return order, templates, repeated


def choose_names(root: Node, order: list[Node], templates: dict[int, Template], taken: Iterable[str] = (),
                 repeated: bool = True) -> dict[int, str]:
    """Which repeated subexpressions to name, and their names: a node is named
    where writing it once plus its name at each use is shorter than writing it
    out at each use (no longer, for the user's own names)."""
    if not repeated:
        return {}
    mine = {n.name for n in order if n.kind == VAR}
    usable = {id(n): n.label for n in order if n.label and n.label not in mine}  # the user's names
    labels = set(usable.values())  # not for generated names
    taken = taken if isinstance(taken, (set, frozenset)) else set(taken)
    composite = (ADD, MUL, CALL, LET)
    # Nodes by index (children first); per node its own text's length and its
    # references (child index, whether the child needs parentheses there).
    index = {id(n): k for k, n in enumerate(order)}
    fixed = [sum(len(p) for p in templates[id(n)].pieces if type(p) is str) for n in order]
    refs = [[(index[id(c)], templates[id(c)].tier < need) for c, need in _refs(templates[id(n)])] for n in order]
    counts = [0] * len(order)
    for children in refs:
        for c, _ in children:
            counts[c] += 1
    generated = 1 + len(str(sum(1 for c in counts if c > 1)))  # t1 ... t9: 2 characters
    sizes = [len(usable[id(n)]) if id(n) in usable else generated for n in order]
    labelled = [id(n) in usable for n in order]
    varies: dict[int, bool] = {}  # whether a variable is below: a number (sqrt(2)) is never a t1
    for n in order:  # children first
        varies[id(n)] = n.kind == VAR or any(varies.get(id(c), c.kind == VAR) for c in n.children())
    varying = [varies[id(n)] for n in order]
    candidate = [counts[k] > 1 and n.kind in composite and n is not root and (varying[k] or labelled[k])
                 for k, n in enumerate(order)]
    least = [3 if _atom(n) else 2 for n in order]  # exp(x) twice reads better than t1 = exp(x)
    top = len(order) - 1
    named: list[int] = [0] * len(order)  # the name's length if named, else 0
    for _ in range(NAMING_PASSES):
        length = [0] * len(order)
        for k, children in enumerate(refs):
            total = fixed[k]
            for c, wrap in children:
                total += named[c] or length[c] + (2 if wrap else 0)
            length[k] = total if total < BIG else BIG
        seen = [0] * len(order)
        seen[top] = 1
        chosen = [0] * len(order)
        for k in range(top, -1, -1):
            a = seen[k]
            if a >= least[k] and candidate[k]:
                size = sizes[k]
                inline = a * length[k]
                once = size + 3 + length[k] + 2 + a * size
                if once < inline or (labelled[k] and once <= inline):
                    chosen[k] = size
                    a = 1
            if a:
                for c, _ in refs[k]:
                    seen[c] = min(seen[c] + a, BIG)
        if chosen == named:
            break
        named = chosen
    return _named([node for k, node in enumerate(order) if named[k]], usable, taken | mine | labels)


def _atom(node: Node) -> bool:
    """A function of a leaf or a leaf's power (``exp(x)``, ``cos(x)``, ``sqrt(2)``,
    ``x**2``): named only where it is used three times or more."""
    if node.kind == LET:
        node = node.args[0]
    if node.kind == CALL:
        return all(a.kind <= VAR for a in node.args)
    return node.kind == MUL and node.coeff == 1 and len(node.args) == 1 and all(p.kind <= VAR for p in node.args[0])


def _named(chosen: list[Node], usable: dict[int, str], taken: set[str]) -> dict[int, str]:
    """The names of the ``chosen`` nodes: the user's where it is free, else
    ``t1``, ``t2``, ... that are not ``taken`` (nor one of the user's)."""
    names: dict[int, str] = {}
    used: set[str] = set()
    counter = 0
    for node in chosen:
        name = usable.get(id(node), "")
        name = name if name not in used else ""
        while not name:
            counter += 1
            name = f"t{counter}"
            name = name if name not in taken and name not in used else ""
        used.add(name)
        names[id(node)] = name
    return names


def emit(node: Node, templates: dict[int, Template], names: dict[int, str], out: list[str],
         printer: Printer) -> None:
    """Append the text of ``node``'s template to ``out`` (named children by name)."""
    opening, closing = printer.parens
    stack: list[Any] = [node]
    top = True
    while stack:
        item = stack.pop()
        if type(item) is str:
            out.append(item)
            continue
        if not top and id(item) in names:
            out.append(printer.name(names[id(item)]))
            continue
        top = False
        for p in reversed(templates[id(item)].pieces):
            if type(p) is str:
                stack.append(p)
            else:
                child, need = p
                text, tier = templates[id(child)]
                if child.kind == LET and id(child.args[0]) in names:
                    tier = BIG  # written as its definition's name
                if child.kind <= VAR:  # a leaf: its text at once
                    stack.append(text[0] if tier >= need else f"{opening}{text[0]}{closing}")
                elif id(child) not in names and tier < need:
                    stack += [closing, child, opening]
                else:
                    stack.append(child)


def write(root: Node, printer: Printer, taken: Iterable[str], names: dict[int, str] | None = None,
          separator: str = "; ") -> str:
    """``root`` with its named intermediates first (``t1 = ...; ``)."""
    order, templates, repeated = layout(root, printer)
    if names is None:
        names = choose_names(root, order, templates, taken, repeated)
    out: list[str] = []
    for node in order:
        if id(node) in names:
            out += [printer.name(names[id(node)]), " = "]
            emit(node, templates, names, out, printer)
            out.append(separator)
    emit(root, templates, names, out, printer)
    return "".join(out)
