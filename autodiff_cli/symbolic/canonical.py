"""The canonical form of symbolic expressions, as computer-algebra systems keep one.

Every expression is built through a :class:`CanonicalBuilder`, which returns one shared
node per mathematical form it recognises as equal:

- sums and products are n-ary and flat; like terms are collected with their
  coefficients (``t + t`` is ``2*t``, ``a - a`` is ``0``) and powers of one base
  combined (``x*x**2`` is ``x**3``, ``x/x**2`` is ``x**-1``);
- operands are kept in one order (by a key fixed when a node is made), so that
  ``t1*t2`` and ``t2*t1`` are the same node;
- numbers written as integers stay exact (:class:`fractions.Fraction`): ``1/3``,
  ``x**(2/3)``; functions of exact numbers stay symbolic (``log(2)``,
  ``2**(1/2)``); decimals are exact too (:class:`~autodiff_cli.symbolic.nodes.Dec`,
  ``0.1 + 0.2`` is ``0.3``) and print as decimals; functions of decimals are folded as floats;
- ``a - b`` is ``a + (-1)*b``, ``a/b`` is ``a*b**-1``, ``sqrt(u)`` is
  ``u**(1/2)`` and ``exp(u)`` is ``e**u``, so the rules above see through them;
  functions known in other terms are so (:mod:`~autodiff_cli.symbolic.calls`).

What the rules may assume is in the README (``autodiff diff``): a rewrite may
make an expression defined where it was not (``x/x`` is ``1``, also at ``x = 0``),
never change a value where both forms are defined. That is why ``(x**2)**(1/2)``
stays as it is (it is ``abs(x)``), and ``(x*y)**(1/2)`` is not split.

Sums and products flatten, and distribute a number, only up to a size
(:data:`~autodiff_cli.symbolic.limits.FLAT`), so building stays linear.
"""

from __future__ import annotations

from fractions import Fraction

from .calls import exp_of, log_of, logistic, sigmoid_of, xlogy
from .identities import trigonometric
from .keys import Key, Prefix, Tier, name_key, shape_of
from .limits import FLAT
from .nodes import (
    ADD,
    CALL,
    LET,
    MUL,
    NUM,
    SYM,
    VAR,
    Kind,
    Node,
    Number,
    content,
    divided,
    exact,
    finite,
    fold,
    fold_numbers,
    is_exact,
    is_integer,
    merged_power_of_product,
    number_power,
    product,
)

_new_key, _NUMBER = tuple.__new__, (Tier.NUMBER, "", 0, 0)  # a Key from one tuple: half Key(...)'s time


class CanonicalBuilder:
    """Makes canonical nodes, each once (hash-consed)."""

    def __init__(self) -> None:
        self._table: dict[tuple, Node] = {}
        self._serial = 0
        self.zero, self.one, self.minus_one, self.half = map(self.num, (0, 1, -1, Fraction(1, 2)))
        self.pi = self._leaf(SYM, "pi", (Tier.PI, "pi", 0, 0))
        self.e = self._leaf(SYM, "e", (Tier.EXP, "exp", 0, 0))

    # -- leaves ---------------------------------------------------------------
    def power(self, base: Node, exp: Number | Node) -> Node:
        """The node ``base**exp`` for a factor of a product, as it stands (no rewriting)."""
        exp = exp if isinstance(exp, Node) else self.num(exp)
        return base if exp.kind == NUM and exp.value == 1 else self._mul_node(1, ((base, exp),))

    def _made(self, table_key: tuple, kind: Kind, prefix: Prefix, value: Number = 0, name: str = "",
              coeff: Number = 1, args: tuple = ()) -> Node:
        """The node for ``table_key``, made the first time: its key is ``prefix``,
        its shape (:func:`~autodiff_cli.symbolic.keys.shape_of`), whether a sum's first term
        is negative, or a power's base's (a sum before its opposite, ``1/(y - x) +
        1/(x - y)``), and a serial."""
        node = self._table.get(table_key)
        if node is None:
            node = self._table[table_key] = Node(kind, None, value, name, coeff, args)
            self._serial += 1
            opposite = args[0][1] < 0 if kind == ADD else args[0][0].key.opposite if kind == MUL else False
            node.key = _new_key(Key, (*prefix, shape_of(node), opposite, self._serial))
            node.owner = self
            if kind == MUL:
                node.sums = any(b.sums or e.sums for b, e in args)
            elif kind in (CALL, LET):
                node.sums = any(a.sums for a in args)
        return node

    def _leaf(self, kind: Kind, name: str, prefix: Prefix) -> Node:
        return self._made((kind, name), kind, prefix, name=name)

    def num(self, value: Number) -> Node:
        value = exact(value)
        return self._made((NUM, type(value), value), NUM, _NUMBER, value=value)

    def var(self, name: str) -> Node:
        stem, index = name_key(name)
        return self._leaf(VAR, name, (Tier.VARIABLE, stem, index, -1))  # -1: degree 1, as x in x**2 + x

    # -- compound nodes -------------------------------------------------------
    def _mul_node(self, coeff: Number, factors: tuple) -> Node:
        """The MUL node of already canonical, sorted factors."""
        b, e = factors[0]
        degree = -e.value if e.kind == NUM and b.kind != NUM and b is not self.e else 0
        # Exponents are nodes: 2 and 2.0 differ. A power sorts with its base.
        base = b.key
        return self._made((MUL, type(coeff), coeff, factors), MUL,
                          (base.tier, base.stem, base.index, degree), coeff=coeff, args=factors)

    def _add_node(self, const: Number, terms: tuple) -> Node:
        # A sum among factors sorts by its first term, (a + b)*(c - d), then by its constant,
        # (y + 1)*(y + 2), taken with the first term positive (see keys.shape_of).
        first = terms[0][0].key
        degree = -const if terms[0][1] < 0 else const
        return self._made((ADD, type(const), const, *[(id(t), type(c), c) for t, c in terms]),
                          ADD, (Tier.SUM, first.stem, first.index, degree), coeff=const, args=terms)

    def scale(self, c: Number, node: Node) -> Node:
        """``c*node`` for a number ``c``."""
        if c == 1:
            return node
        return self.mul([self.num(c), node])

    def add(self, operands: list[Node]) -> Node:
        """The sum of ``operands``: flat, like terms collected, sorted."""
        const: Number = 0
        terms: dict[int, list] = {}  # [term, coefficient] by the term's id
        apart: list[list] = []  # like terms whose coefficients would not add up to a number
        one = self.one
        for op in operands:
            kind = op.kind
            if kind == NUM:
                total = const + op.value
                if finite(total):
                    const = total
                    continue
                pairs = ((op, 1),)  # 1e308 + 1e308 stays as it is: folded, it is not a number
            elif kind == ADD and len(op.args) <= FLAT and finite(const + op.coeff):
                const += op.coeff
                pairs = op.args
            elif kind == MUL and op.coeff != 1:
                args = op.args
                rest = args[0][0] if len(args) == 1 and args[0][1] is one else self._mul_node(1, args)
                pairs = ((rest, op.coeff),)
            else:
                pairs = ((op, 1),)
            for t, c in pairs:
                entry = terms.get(id(t))
                if entry is None:
                    terms[id(t)] = [t, c]
                elif finite(entry[1] + c):
                    entry[1] += c
                else:  # 1e308*x + 1e308*x stays two terms: folded, its coefficient is not a number
                    apart.append([t, c])
        items = [(t, exact(c)) for t, c in [*terms.values(), *apart] if c != 0]
        const = exact(const)
        if not items:
            return self.num(const)
        if len(items) == 1 and const == 0:
            t, c = items[0]
            return self.scale(c, t)
        items.sort(key=_key)
        return self._add_node(const, tuple(items))

    def mul(self, operands: list[Node]) -> Node:
        """The product of ``operands``: flat, powers of one base combined, sorted."""
        if len(operands) == 2:  # the commonest case, two plain factors (w*x), made directly
            a, b = operands
            if a.kind not in (NUM, MUL, ADD) and b.kind not in (NUM, MUL, ADD) and a is not b:
                one = self.one
                pair = ((a, one), (b, one)) if a.key < b.key else ((b, one), (a, one))
                return self._mul_node(1, pair)
        coeff, factors = self._gathered(operands)
        kept: list[tuple[Node, Node]] = []
        again: list[Node] = []  # factors that came back to be flattened again
        for b, e in factors.values():
            if e.kind == NUM:
                if e.value == 0:
                    continue
                if b.kind == NUM:
                    value = number_power(b.value, e.value)
                    if value is not None and product(coeff, value) is not None:
                        coeff *= value
                        continue
                else:
                    flat = self._flattened(b, e)
                    if flat is not None:
                        again.append(flat)
                        continue
            kept.append((b, e))
        if again:
            return self.mul([*again, self.num(exact(coeff)), *(self.pow(b, e) for b, e in kept)])
        coeff, kept = fold_numbers(coeff, kept)
        return self._product_of(coeff, kept)

    def _gathered(self, operands: list[Node]) -> tuple[Number, dict[int, list]]:
        """A product's coefficient, and its factors ``[base, exponent]`` by base id (exponents added)."""
        coeff: Number = 1
        factors: dict[int, list] = {}
        one = self.one
        sums = 0  # sums among the factors: two may be opposites
        for op in reversed(operands):
            kind = op.kind
            if kind == NUM:
                folded = product(coeff, op.value)
                if folded is not None:
                    coeff = folded
                    continue
                pairs = ((op, one),)  # 1e200*1e200 and 1e-200*1e-200 stay as they are
            elif kind == MUL and len(op.args) <= FLAT and product(coeff, op.coeff) is not None:
                coeff *= op.coeff
                pairs = op.args
            elif kind == ADD:
                k, rest = self.primitive(op)  # 2*x - 2*y is 2*(x - y)
                if product(coeff, k) is not None:
                    coeff, op = coeff * k, rest
                pairs = ((op, one),)
            else:
                pairs = ((op, one),)
            for b, e in pairs:
                if b.kind == ADD:
                    sums += 1
                entry = factors.get(id(b))
                if entry is None:
                    factors[id(b)] = [b, e]
                elif entry[1].kind == NUM and e.kind == NUM:
                    entry[1] = self.num(entry[1].value + e.value)
                else:
                    entry[1] = self.add([entry[1], e])
        if sums > 1:
            coeff = self._pair_opposites(factors, coeff)
        return coeff, factors

    def _flattened(self, b: Node, e: Node) -> Node | None:
        """``b**e`` (``e`` a number) to flatten again, else None: ``(x*y)**(1/2)`` twice is ``(x*y)**1``."""
        if not (b.kind == MUL and is_integer(e.value) and e is not self.one and len(b.args) <= FLAT):
            return None
        flat = self.pow(b, e)
        return None if flat.kind == MUL and flat.coeff == 1 and flat.args == ((b, e),) else flat

    def _product_of(self, coeff: Number, kept: list[tuple[Node, Node]]) -> Node:
        """The product node of a folded coefficient and factors no two of one base."""
        if coeff == 0:
            return self.zero
        if not kept:
            return self.num(coeff)
        if len(kept) == 1:
            b, e = kept[0]
            if e is self.one:
                if coeff == 1:
                    return b
                if b.kind == ADD and len(b.args) <= FLAT:  # 2*(x + y) is 2*x + 2*y
                    return self.add([self.num(coeff * b.coeff)] + [self.scale(coeff * c, t) for t, c in b.args])
        if (done := logistic(self, kept)) is not None:
            return self.mul([self.num(coeff), *(self.power(b, e) for b, e in done)])
        if (trig := trigonometric(self, coeff, kept)) is not None:  # sin(u)/cos(u) is tan(u)
            return self.mul([self.num(trig[0]), *(self.power(b, e) for b, e in trig[1])])
        for k, (b, e) in enumerate(kept):
            if b.kind == MUL and e.kind == NUM and b.coeff == 1 and not is_integer(e.value):
                merged = merged_power_of_product(kept, k)
                if merged is not None:
                    return self.mul([self.num(coeff), *(self.power(b, e) for b, e in merged)])
        kept.sort(key=_key)
        return self._mul_node(coeff, tuple(kept))

    def _pair_opposites(self, factors: dict[int, list], coeff: Number) -> Number:
        """``(z - 1)*(1 - z)`` is ``-(z - 1)**2``: a sum whose first term is negative
        joins its opposite where the product has it, both to integer powers (so the
        sign comes out exactly). Else the printer, moving a sign into a sum, would
        print a text that reads back as another form."""
        for key, (b, e) in list(factors.items()):
            if b.kind == ADD and b.args[0][1] < 0 and e.kind == NUM and is_integer(e.value) and len(b.args) <= FLAT:
                other = factors.get(id(self.scale(-1, b)))
                if other is not None and other[0] is not b and other[1].kind == NUM and is_integer(other[1].value):
                    other[1] = self.num(other[1].value + e.value)
                    coeff *= -1 if int(e.value) % 2 else 1
                    del factors[key]
        return coeff

    def primitive(self, node: Node) -> tuple[Number, Node]:
        """A sum as ``k*s``: ``k`` the content of its coefficients (their gcd over
        the lcm of their denominators), negative where every one is. (Not where
        only the first is: ``(1 - x)**(1/2)/(1 - x)`` must stay one base.)"""
        coeffs = [c for _, c in node.args]
        if node.coeff != 0:
            coeffs.append(node.coeff)
        sign = -1 if all(c < 0 for c in coeffs) else 1
        k = exact(sign * content(coeffs))
        if k == 1:
            return 1, node
        terms = tuple((t, divided(c, k)) for t, c in node.args)
        const = divided(node.coeff, k)
        return k, self._add_node(const, terms)

    def pow(self, base: Node, exp: Node) -> Node:
        """``base**exp``."""
        if exp.kind == NUM:
            if exp.value == 0:
                return self.one  # 0**0 = 1, as the engine has it
            if exp.value == 1:
                return base
        if base is self.e and (done := exp_of(self, exp)) is not None:
            return done  # exp(log(u)) = u
        if base.kind == NUM:
            if exp.kind == NUM:
                value = number_power(base.value, exp.value)
                if value is not None:
                    return self.num(value)
            elif base.value == 1:
                return self.one
            return self._mul_node(1, ((base, exp),))
        if base.kind == MUL:
            split = self._split_power(base, exp)
            if split is not None:
                return split
        if base.kind == ADD and exp.kind == NUM:
            k, rest = self.primitive(base)
            c = number_power(k, exp.value) if k != 1 else None
            if c is not None:  # (2*x - 2)**2 = 4*(x - 1)**2
                return self.mul([self.num(c), self._mul_node(1, ((rest, exp),))])
        return self._mul_node(1, ((base, exp),))

    def _split_power(self, base: Node, exp: Node) -> Node | None:
        """A power of a product as a product of powers where that is the same, else None."""
        if exp.kind == NUM and is_integer(exp.value) and len(base.args) <= FLAT:
            # (c*x**a*y**b)**n = c**n * x**(a*n) * y**(b*n) for an integer n.
            c = number_power(base.coeff, exp.value)
            if c is not None:
                return self.mul([self.num(c)] + [self.pow(b, self.mul([e, exp])) for b, e in base.args])
        if base.coeff == 1 and len(base.args) == 1:
            b, a = base.args[0]
            # (x**a)**b = x**(a*b) unless a is even and b not an integer: (x**2)**(1/2) is abs(x).
            if b is self.e or (a.kind == NUM and not (is_integer(a.value) and a.value % 2 == 0)):
                return self.pow(b, self.mul([a, exp]))
        elif exp.kind == NUM and is_exact(base.coeff) and base.coeff > 0 and base.coeff != 1:
            c = number_power(base.coeff, exp.value)  # (4*x)**(1/2) = 2*x**(1/2)
            if c is not None:
                return self.mul([self.num(c), self.pow(self.scale(Fraction(1) / base.coeff, base), exp)])
        return None

    def call(self, name: str, *args: Node) -> Node:
        """The op ``name`` of the op table applied to ``args`` (``sin(x)``, ``max(a, b, c)``)."""
        if name == "xlogy":
            return xlogy(self, *args)
        arg = args[0]
        if name == "exp":
            return self.pow(self.e, arg)
        if name == "sqrt":
            return self.pow(arg, self.half)
        if name == "log" and len(args) == 1:
            if arg.kind == MUL and arg.coeff == 1 and len(arg.args) == 1 and arg.args[0][0] is self.e:
                return arg.args[0][1]  # log(exp(u)) = u
            if arg.kind == NUM and arg.value == 1:
                return self.zero
            if (done := log_of(self, arg)) is not None:
                return done  # log(4) = 2*log(2)
        if name == "sigmoid" and (done := sigmoid_of(self, arg)) is not None:
            return done
        if all(a.kind == NUM for a in args):
            if (value := fold(name, *[a.value for a in args])) is not None:
                return self.num(value)
        return self.made_call(name, args)

    def made_call(self, name: str, args: tuple) -> Node:  # as it stands
        return self._made((CALL, name, *map(id, args)), CALL, (Tier.CALL, name, 0, 0), name=name, args=args)

    def let(self, definition: Node, label: str = "") -> Node:
        """A named intermediate standing for ``definition`` (see :data:`~autodiff_cli.symbolic.nodes.LET`)."""
        if definition.kind in (NUM, SYM, VAR, LET):
            return definition
        stem, index = name_key(label or "t")
        node = self._made((LET, id(definition), label), LET, (Tier.VARIABLE, stem, index, -1), name=label,
                          args=(definition,))
        node.label = label
        return node

    # -- shorthands -------------------------------------------------------------
    def neg(self, a: Node) -> Node:
        return self.scale(-1, a)

    def sub(self, a: Node, b: Node) -> Node:
        return self.add([a, self.neg(b)])

    def div(self, a: Node, b: Node) -> Node:
        return self.mul([a, self.pow(b, self.minus_one)])


def _key(pair: tuple) -> Key:
    """A term's or a factor's order: its node's key."""
    return pair[0].key
