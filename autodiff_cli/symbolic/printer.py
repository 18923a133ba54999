"""Canonical nodes printed as a person would write them, in autodiff's language.

Sums put a positive term first and write ``a - b``, never ``a + -b``; products
put numbers first and negative powers under one ``/`` (``x/(2*sqrt(y))``);
``u**(1/2)`` is ``sqrt(u)`` and ``e**u`` is ``exp(u)``; a factor common to
every term of a sum is written once in front where that is shorter
(``exp(x)*(x + 2)``); parentheses only where the grammar needs them. A
subexpression that appears more than once is printed once, as a named
intermediate (``t1 = ...; ``), only where that makes the text shorter; the
user's own name for it is used where the input has one.

Each node is described by a *template*: text pieces and references to child
nodes, each with the precedence the child needs there. :class:`Printer` decides
the shape (which factors go where, which sums are factored), its subclasses the
syntax: :class:`TextPrinter` here, ``LatexPrinter`` in :mod:`autodiff_cli.symbolic.latex`.
Everything is iterative, so a 100,000-deep derivative prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from ..base.ops import ATOM, OPS, POWER, PRODUCT, SUM, UNARY
from .decimals import decimal_text, is_decimal
from .factoring import Plan, factor_plan
from .layout import Piece, Template, choose_names, layout, write
from .limits import BIG
from .nodes import ADD, CALL, LET, MUL, NUM, SYM, VAR, Node, evaluable, is_exact, postorder, powers_folded

PLUS, MINUS, NEGATE, TIMES, OVER, TO_THE = (OPS[name].text for name in ("add", "sub", "neg", "mul", "div", "pow"))
"""The op table's spellings (``" + "``, ``"*"``, ...); precedence is its tiers, SUM to ATOM."""

Part = tuple[list[Piece], int, bool]  # a factor's pieces, its tier, whether it starts with a digit


def is_e(node: Node) -> bool:
    return node.kind == SYM and node.name == "e"


def is_power(node: Node) -> bool:
    """A MUL that is one power with a positive or symbolic exponent: ``x**2``, ``exp(u)``, ``sqrt(u)``."""
    if node.coeff != 1 or len(node.args) != 1:
        return False
    base, e = node.args[0]
    return e.kind != NUM or e.value > 0 or is_e(base)


def _number(e: Any) -> Any:
    return e.value if isinstance(e, Node) and e.kind == NUM else e


class Printer:
    """The shape of the printed form, shared by the syntaxes."""

    parens = ("(", ")")

    def __init__(self, plans: dict[int, Plan] | None = None) -> None:
        self.plans: dict[int, Plan] = plans if plans is not None else {}
        self._lengths: dict[int, int] = {}
        self.rewritten: dict[int, Node] = {}  # by factored()
        self.text_lengths: dict[int, int] = {}  # by factored(), choosing one fraction or not

    # -- syntax, by subclasses -----------------------------------------------------
    def number(self, x: Any) -> tuple[str, int]:
        raise NotImplementedError

    def leaf(self, node: Node) -> str:
        raise NotImplementedError

    def call(self, node: Node) -> Template:
        raise NotImplementedError

    def power(self, base: Node, e: Any) -> Template:
        raise NotImplementedError

    def join(self, num: list[Part], den: list[Part]) -> Template:
        raise NotImplementedError

    def name(self, name: str) -> str:
        return name

    # -- shape ---------------------------------------------------------------------
    def template(self, node: Node) -> Template:
        kind = node.kind
        if kind not in (ADD, MUL):
            return self._other(node)
        if kind == MUL:
            if is_power(node) and powers_folded(1, node.args)[1] is node.args:  # else 3**1200 as a float
                return self.power(*node.args[0])
            return self.signed(node.coeff, node.args)
        if (flipped := _sigmoid_flipped(node)) is not None:
            return self.call(flipped)
        plan = self.plan(node)
        while plan.regrouped is not None:  # rewritten as another sum (or not a sum any more)
            if plan.regrouped.kind != ADD:
                return self.template(plan.regrouped)
            node = plan.regrouped
            plan = self.plan(node)
        if plan.factored is not None:
            return self.signed(*plan.factored)
        pieces: list[Piece] = []
        for k, (negative, term, m) in enumerate(sum_terms(node)):
            if k or negative:
                pieces.append((MINUS if negative else PLUS) if k else NEGATE)
            if term is None:
                pieces.append(self.number(m)[0])
            elif m == 1:
                pieces.append((term, PRODUCT))
            elif term.kind == MUL and term.coeff == 1:
                pieces += self.product(m, term.args)[0]
            else:
                pieces += self.product(m, ((term, 1),))[0]
        return pieces, SUM

    def _other(self, node: Node) -> Template:
        """A number, a leaf, a call or a named intermediate: neither a sum nor a product."""
        kind = node.kind
        if kind == NUM:
            text, tier = self.number(node.value)
            return [text], tier
        if kind in (VAR, SYM):
            return [self.leaf(node)], ATOM
        if kind == CALL:
            return self.call(node)
        return [(node.args[0], 0)], ATOM  # LET: its definition; the layout gives it the definition's tier

    def signed(self, c: Any, factors: Iterable[tuple[Node, Any]]) -> Template:
        if c < 0:  # -(x - y)*z is (y - x)*z: the sign goes into a sum with terms of both signs
            factors = list(factors)
            for k, (base, e) in enumerate(factors):
                if base.kind == ADD and _number(e) == 1 and _mixed(base):
                    factors[k] = (base.owner.scale(-1, base), e)
                    c = -c
                    break
        pieces, tier = self.product(-c if c < 0 else c, factors)
        return ([NEGATE, *pieces], min(UNARY, tier)) if c < 0 else (pieces, tier)

    def product(self, coeff: Any, factors: Iterable[tuple[Node, Any]]) -> Template:
        """``coeff * prod(base**exp)`` for ``coeff >= 0``: the numerator's parts
        and the denominator's (negative powers). Each power is a reference to
        its own node, so that a power used twice can be named."""
        num: list[Part] = []
        den: list[Part] = []
        coeff, factors = powers_folded(coeff, list(factors))
        if is_exact(coeff) and not is_decimal(coeff):
            c = Fraction(coeff)
            if c.numerator != 1:
                num.append(([str(c.numerator)], ATOM, True))
            if c.denominator != 1:
                den.append(([str(c.denominator)], ATOM, True))
        elif coeff != 1:
            num.append(([self.number(coeff)[0]], ATOM, True))
        for base, e in factors:
            value = _number(e)
            digit = base.kind == NUM
            if value == 1:  # a product in a product needs no parentheses where it is written out, but
                # one whose number was not folded into ours (the product would overflow): 1e+308*(2*x)
                apart = bool(num) and base.kind == MUL and base.coeff != 1
                num.append(([(base, PRODUCT if self._plain_product(base) and not apart else POWER)], POWER, digit))
            elif isinstance(value, Node) or value > 0 or is_e(base):
                num.append(([(base.owner.power(base, e), POWER)], POWER, digit))
            else:
                den.append(([(base.owner.power(base, -value), POWER)], POWER, digit))
        return self.join(num, den)

    def _plain_product(self, node: Node) -> bool:
        """Whether ``node`` prints as a product with no sign and no denominator
        (``log(x)*(log(x) + 1)``, a sum printed with its common factors taken
        out, or a named product), which a product takes without parentheses."""
        if node.kind == LET:
            node = node.args[0]
        if node.kind == ADD:
            factored = self.plan(node).factored
            if factored is None:
                return False
            coeff, factors = factored
        elif node.kind == MUL:
            coeff, factors = node.coeff, node.args
        else:
            return node.kind == CALL and self._product_call(node)
        return coeff > 0 and all(isinstance(_number(e), Node) or _number(e) > 0 for _, e in factors)

    def _product_call(self, node: Node) -> bool:
        """Whether this printer writes a call as a plain product (LaTeX: xlogy as x log y)."""
        return False

    # -- common factors of a sum -------------------------------------------------
    def plan(self, node: Node) -> Plan:
        """How to write a sum shorter (see :func:`~autodiff_cli.symbolic.factoring.factor_plan`)."""
        key = id(node)
        if key not in self.plans:
            self.plans[key] = factor_plan(node, self.length)
        return self.plans[key]

    def length(self, root: Node) -> int:
        """About how long the plain text of ``root`` is (for the choice to factor)."""
        lengths = self._lengths
        if id(root) in lengths:
            return lengths[id(root)]
        for node in postorder(root, lambda n: [c for c in n.children() if id(c) not in lengths]):
            kind = node.kind
            if kind in (NUM, VAR, SYM):
                size = len(number_text(node.value)[0]) if kind == NUM else len(node.name)
            elif kind == CALL:
                size = len(node.name) + 2 * len(node.args) + sum(lengths[id(a)] for a in node.args)
            elif kind == LET:
                size = lengths[id(node.args[0])]
            elif kind == ADD:
                size = sum(lengths[id(t)] + 3 + (0 if c in (1, -1) else 3) for t, c in node.args) + 2
            else:
                size = sum(lengths[id(b)] + (1 if e.kind == NUM and e.value == 1 else 5) for b, e in node.args)
            lengths[id(node)] = min(size, BIG)
        return lengths[id(root)]


def _mixed(node: Node) -> bool:
    """Whether a sum has terms of both signs."""
    signs = {c < 0 for _, c in node.args}
    if node.coeff != 0:
        signs.add(node.coeff < 0)
    return len(signs) == 2


def sum_terms(node: Node) -> list[tuple[bool, Node | None, Any]]:
    """A sum's terms in the order printed: (negative, term or None for the constant, magnitude).
    Terms by their key, the constant last, and a positive term first where there is one."""
    terms = [(c < 0, t, -c if c < 0 else c) for t, c in node.args]
    if node.coeff != 0:
        terms.append((node.coeff < 0, None, -node.coeff if node.coeff < 0 else node.coeff))
    if terms[0][0]:
        first = next((k for k, t in enumerate(terms) if not t[0]), 0)
        terms.insert(0, terms.pop(first))
    return terms


def number_text(x: Any) -> tuple[str, int]:
    """A number as text and its tier: ``3``, ``-1/3``, ``0.5``."""
    x = evaluable(x)
    if is_decimal(x):
        return decimal_text(x), ATOM if x >= 0 else UNARY
    if not is_exact(x):
        return repr(x), ATOM if x >= 0 else UNARY
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator), ATOM if x >= 0 else UNARY
    return f"{x.numerator}/{x.denominator}", PRODUCT


class TextPrinter(Printer):
    """autodiff's own language."""

    def number(self, x: Any) -> tuple[str, int]:
        return number_text(x)

    def leaf(self, node: Node) -> str:
        if node.kind == VAR:
            return node.name
        return "pi" if node.name == "pi" else "exp(1)"

    def call(self, node: Node) -> Template:
        if len(node.args) == 1:
            return [f"{node.name}(", (node.args[0], 0), ")"], ATOM
        pieces: list[Piece] = [f"{node.name}("]
        for k, arg in enumerate(node.args):
            pieces += [", ", (arg, 0)] if k else [(arg, 0)]
        return [*pieces, ")"], ATOM

    def power(self, base: Node, e: Any) -> Template:
        """``base**e``: ``sqrt(u)``, ``exp(u)``, ``x**2``, ``x**(y - 1)``."""
        e = _number(e)
        if is_e(base):
            return ["exp(", (e, 0) if isinstance(e, Node) else number_text(e)[0], ")"], ATOM
        if isinstance(e, Node):  # right-associative, and a unary minus needs no parentheses: x**-y**2
            return [(base, ATOM), TO_THE, (e, UNARY)], POWER
        if e == 1:
            return [(base, POWER)], POWER
        if e == 0.5:
            return ["sqrt(", (base, 0), ")"], ATOM
        text, tier = number_text(e)
        return [(base, ATOM), TO_THE + (text if tier == ATOM else f"({text})")], POWER

    def join(self, num: list[Part], den: list[Part]) -> Template:
        if not num:
            num = [(["1"], ATOM, True)]
        pieces = _joined(num, TIMES)
        if not den:
            return pieces, PRODUCT if len(num) > 1 else num[0][1]
        if len(den) == 1 and den[0][1] >= POWER:
            return [*pieces, OVER, *den[0][0]], PRODUCT
        return [*pieces, OVER + "(", *_joined(den, TIMES), ")"], PRODUCT


def _joined(parts: list[Part], sep: str) -> list[Piece]:
    out: list[Piece] = []
    for k, (pieces, _, _) in enumerate(parts):
        if k:
            out.append(sep)
        out += pieces
    return out


def to_text(root: Node, taken: Iterable[str] = ()) -> str:
    """``root`` in autodiff's language; repeated subexpressions named where shorter."""
    return write(root, TextPrinter(), taken)


def text_and_names(root: Node, taken: Iterable[str] = ()) -> tuple[TextPrinter, dict[int, str]]:
    """The plain printer's decisions (factored sums, names), for another syntax to follow."""
    printer = TextPrinter()
    order, templates, repeated = layout(root, printer)
    return printer, choose_names(root, order, templates, taken, repeated)


def _sigmoid_flipped(node: Node) -> Node | None:
    """The sum ``1 - sigmoid(u)`` as ``sigmoid(-u)``: shorter, and exact where ``sigmoid(u)`` rounds to 1
    (``u = 40``); only where ``-u`` is a product with a minus sign, which reads back as ``1 - sigmoid(u)``
    (a printed form is a fixed point). Else None."""
    if node.coeff != 1 or len(node.args) != 1 or node.args[0][1] != -1:
        return None
    term = node.args[0][0]
    if term.kind != CALL or term.name != "sigmoid":
        return None
    negated = node.owner.neg(term.args[0])
    return node.owner.made_call("sigmoid", (negated,)) if negated.kind == MUL and negated.coeff < 0 else None
