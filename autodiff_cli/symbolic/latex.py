"""Canonical nodes as LaTeX math, for people writing a derivative down:
``\\frac{x}{\\sqrt{x^{2} + y^{2}}}``, ``\\sin^{2}\\left(x\\right)``, ``e^{-x}``,
``\\sigma\\left(x\\right)`` for sigmoid, ``w_{7}`` for ``w7``.

The same layout as the plain printer (:mod:`autodiff_cli.symbolic.printer`) with other
templates, and the same named intermediates (``t_{1} = ...;\\quad ...``).

Names go through one table (:class:`Symbols`) that never gives two names one symbol:
``alpha`` and ``α`` are both ``\\alpha`` on paper, ``w1`` and ``w_1`` both ``w_{1}``,
and a formula that reads the same for both would be wrong for one of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from ..base.ops import ATOM, POWER, PRODUCT, UNARY
from ..base.ops import FUNCTIONS as CALLS
from .decimals import decimal_text, is_decimal
from .layout import Piece, Template, write
from .nodes import ADD, CALL, MUL, NUM, SYM, VAR, Node, evaluable, is_exact, postorder
from .printer import Part, Printer, is_e, is_power, text_and_names

POWERED = {name: "\\" + name for name in ("sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "log")}
"""Functions with a LaTeX command of their own that a square is written on (``\\sin^{2}\\left(x\\right)``)."""

FUNCTIONS = {**POWERED, "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "sigmoid": r"\sigma",
             "log2": r"\log_{2}", "log10": r"\log_{10}", "max": r"\max", "min": r"\min",
             **{f"a{name}h": rf"\operatorname{{ar{name}h}}" for name in ("sin", "cos", "tan")}}
"""Functions written with a LaTeX command or as on paper (``\\operatorname{arsinh}``, ISO 80000-2); any other
is ``\\operatorname{name}``, and some are a notation of their own (:data:`BRACKETS`, ``|x|``, ``\\log_{b}``)."""

BRACKETS = {"abs": (r"\left|", r"\right|"), "floor": (r"\left\lfloor ", r"\right\rfloor"),
            "ceil": (r"\left\lceil ", r"\right\rceil"), "cbrt": (r"\sqrt[3]{", "}"), "exp2": ("2^{", "}")}
"""Functions written around their argument."""

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
         "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta",
         "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi", "Omega", "varepsilon", "vartheta", "varphi"}

PARENS = (r"\left(", r"\right)")
SEPARATOR = r";\quad "
"""Between a named intermediate's definition and what follows."""


def _stem(text: str) -> str:
    if len(text) == 1 and text.isascii():
        return text
    if text in GREEK:
        return "\\" + text
    if len(text) == 1:
        name = unicodedata.name(text, "")
        if name.startswith("GREEK ") and " LETTER " in name:
            letter = name.rsplit(" ", 1)[-1].lower().replace("lamda", "lambda")  # Unicode spells it so
            letter = letter.capitalize() if "CAPITAL" in name else letter
            if letter in GREEK:
                return "\\" + letter
    return r"\mathrm{" + text.replace("_", r"\_") + "}"


def latex_name(name: str) -> str:
    """A variable's name in LaTeX: ``x``, ``w_{7}``, ``x_{i}``, ``\\theta``, ``\\mathrm{lr}``."""
    if "_" in name.strip("_"):
        head, sub = name.split("_", 1) if not name.startswith("_") else (name, "")
        if head and sub:
            return f"{_stem(head)}_{{{latex_name(sub) if not sub.isdigit() else sub}}}"
    stem = name.rstrip("0123456789")
    if stem and stem != name:
        return f"{_stem(stem)}_{{{name[len(stem):]}}}"
    return _stem(name)


WORDS = {*CALLS, "arcsin", "arccos", "arctan", "arsinh", "arcosh", "artanh"}
"""Words a function is written with: a variable ``log_2`` or ``sin1`` as ``\\mathrm{log}_{2}`` would read as the
function ``\\log_{2}``."""


def literal(name: str) -> str:
    """A name exactly as written, upright (``\\mathrm{w\\_1}``): one to one with names, the spelling of last resort."""
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def _head(name: str) -> str:
    """The part of a name that :func:`latex_name` writes as the symbol, before any subscript."""
    if "_" in name.strip("_") and not name.startswith("_"):
        return name.split("_", 1)[0]
    return name.rstrip("0123456789") or name


def wordy(symbol: str) -> bool:
    """Whether a symbol is a word (``\\mathrm{lam}``), which runs into its neighbours: ``2 lam w``."""
    if not symbol.startswith(r"\mathrm{"):
        return False
    depth, end = 0, len(symbol)
    for k, char in enumerate(symbol):
        depth += (char == "{") - (char == "}")
        if char == "}" and depth == 0:
            end = k
            break
    return len(symbol[len(r"\mathrm{"):end].replace("\\", "")) > 1


class Symbols:
    """The LaTeX symbol of every name in a formula, one to one.

    Names get the short form of :func:`latex_name` in the order given (the program's order), the first
    to ask keeping it: of ``alpha`` then ``α``, ``alpha`` is ``\\alpha`` and ``α`` is ``\\mathrm{α}``, its
    literal name. A name that would read as a function (``log_2``) is literal too, a ``reserved`` symbol
    (``\\pi`` when the constant is printed) is nobody's, and a function whose command a variable took is
    ``\\operatorname{...}`` (``\\operatorname{sigmoid}`` beside a variable ``sigma``). Names asked for
    later (intermediates ``t_{1}``) keep off every symbol given so far."""

    def __init__(self, names: Iterable[str] = (), reserved: Iterable[str] = ()) -> None:
        self.of: dict[str, str] = {}
        self.used: set[str] = set(reserved)
        for name in names:
            self(name)
        self.functions = {name: command if command not in self.used else rf"\operatorname{{{name}}}"
                          for name, command in FUNCTIONS.items()}
        self.used |= set(self.functions.values())

    def __call__(self, name: str) -> str:
        text = self.of.get(name)
        if text is None:
            text = latex_name(name)
            if text in self.used or _head(name) in WORDS:
                text = literal(name)
            while text in self.used:  # a literal name is taken only by the same name: never, but never wrong
                text += "'"
            self.of[name] = text
            self.used.add(text)
        return text

    def copy(self) -> Symbols:
        """A table to add one formula's intermediates to, leaving this one as it is."""
        other = Symbols()
        other.of, other.used, other.functions = dict(self.of), set(self.used), self.functions
        return other

    def free(self, *candidates: str) -> str:
        """The first candidate no name took (a label ``f`` where no variable is ``f``)."""
        return next((c for c in candidates if c not in self.used), literal("output"))


def symbols_for(names: Iterable[str], roots: Iterable[Node]) -> Symbols:
    """The table for a set of formulas: ``names`` first in their order (the program's variables and
    assigned names), then any other variable in the formulas, with ``\\pi`` kept for the constant
    where a formula has it."""
    order, constants = list(names), set()
    for root in roots:
        for node in postorder(root, lambda n: n.children()):
            if node.kind == VAR:
                order.append(node.name)
            elif node.kind == SYM:
                constants.add(node.name)
    return Symbols(dict.fromkeys(order), [r"\pi"] if "pi" in constants else [])


def number_latex(x: Any) -> tuple[str, int]:
    x = evaluable(x)
    if not is_exact(x) or is_decimal(x):
        text = decimal_text(abs(x)) if is_decimal(x) else repr(abs(x))
        if "e" in text:
            mantissa, power = text.split("e")
            text = ("" if mantissa in ("1", "1.0") else mantissa + r" \cdot ") + f"10^{{{int(power)}}}"
        return ("-" + text if x < 0 else text), (ATOM if x >= 0 else UNARY)
    x = Fraction(x)
    sign = "-" if x < 0 else ""
    if x.denominator == 1:
        return str(x.numerator), ATOM if x >= 0 else UNARY
    return f"{sign}\\frac{{{abs(x.numerator)}}}{{{x.denominator}}}", ATOM if x >= 0 else UNARY


class LatexPrinter(Printer):
    """LaTeX syntax; ``names`` are the nodes printed by name (a named call's
    power is then ``t_{1}^{2}``, not ``\\sin^{2}``), ``symbols`` the table of every name."""

    parens = PARENS

    def __init__(self, plans: dict[int, Any], names: dict[int, str], symbols: Symbols) -> None:
        super().__init__(plans)
        self.names = names
        self.symbols = symbols
        self.e_is_variable = "e" in symbols.used  # Euler's e is then exp(...), never a lone e
        self._big: dict[int, bool] = {}

    def name(self, name: str) -> str:
        return self.symbols(name)

    def number(self, x: Any) -> tuple[str, int]:
        return number_latex(x)

    def leaf(self, node: Node) -> str:
        if node.kind == VAR:
            return self.symbols(node.name)
        if node.name == "pi":
            return r"\pi"
        return r"\exp\left(1\right)" if self.e_is_variable else "e"

    def call(self, node: Node) -> Template:
        arg = node.args[0]
        if node.name in BRACKETS:
            left, right = BRACKETS[node.name]
            return [left, (arg, 0), right], POWER if node.name == "exp2" else ATOM
        if node.name == "log" and len(node.args) == 2:
            return [r"\log_{", (node.args[1], 0), r"}\left(", (arg, 0), r"\right)"], ATOM
        if node.name == "xlogy":  # as written by hand, x log y: its 0 at x = 0 is a convention, not notation
            return [(arg, PRODUCT), r" \log\left(", (node.args[1], 0), r"\right)"], PRODUCT
        command = self.symbols.functions.get(node.name, rf"\operatorname{{{node.name}}}")
        pieces: list[Any] = [command + r"\left(", (arg, 0)]
        for more in node.args[1:]:
            pieces += [", ", (more, 0)]
        return [*pieces, r"\right)"], ATOM

    def _product_call(self, node: Node) -> bool:
        if node.name != "xlogy":
            return False
        factor = node.args[0]
        return factor.kind in (VAR, CALL) or (factor.kind == NUM and factor.value > 0) or self._plain_product(factor)

    def power(self, base: Node, e: Any) -> Template:
        if isinstance(e, Node) and e.kind == NUM:
            e = e.value
        exponent = [(e, 0)] if isinstance(e, Node) else [number_latex(e)[0]]
        if is_e(base):
            if self.e_is_variable or self.big(e):
                return [r"\exp\left(", *exponent, r"\right)"], ATOM
            return ["e^{", *exponent, "}"], POWER
        if not isinstance(e, Node):
            if e == 1:
                return [(base, POWER)], POWER
            if e == 0.5:
                return [r"\sqrt{", (base, 0), "}"], ATOM
            if (base.kind == CALL and base.name in POWERED and len(base.args) == 1 and id(base) not in self.names
                    and is_exact(e) and Fraction(e).denominator == 1 and e > 0):
                return [f"{POWERED[base.name]}^{{{e}}}\\left(", (base.args[0], 0), r"\right)"], ATOM
        return [(base, ATOM), "^{", *exponent, "}"], POWER

    def big(self, e: Any) -> bool:
        """Whether an exponent of e is too big for a superscript: a fraction, or more than
        :data:`FEW` symbols (``\\exp\\left(-\\frac{x^{2}}{2}\\right)``, not ``e^{-\\frac{x^{2}}{2}}``)."""
        if not isinstance(e, Node):
            return _fraction(e)
        if id(e) not in self._big:
            self._big[id(e)] = _big(e)
        return self._big[id(e)]

    def join(self, num: list[Part], den: list[Part]) -> Template:
        if not num:
            num = [(["1"], ATOM, True)]
        if den:
            return [r"\frac{", *self._join(_alone(num)), "}{", *self._join(_alone(den)), "}"], PRODUCT
        return self._join(num), PRODUCT if len(num) > 1 else num[0][1]

    def _join(self, parts: list[Part]) -> list[Piece]:
        """Factors side by side; ``\\cdot`` before one that starts with a digit (``x \\cdot 2^{x}``)
        and on either side of a word (``2 \\cdot \\mathrm{lam} \\cdot w``, not ``2 lam w``)."""
        out: list[Piece] = []
        for k, (pieces, _, digit) in enumerate(parts):
            if k:
                apart = digit or self._wordy(pieces[0]) or self._wordy(parts[k - 1][0][-1])
                out.append(r" \cdot " if apart else " ")
            out += pieces
        return out

    def _wordy(self, piece: Piece) -> bool:
        """Whether a factor's first or last piece is a name written as a word (or a power of one)."""
        if type(piece) is not tuple:
            return False
        node = piece[0]
        if node.kind == MUL and id(node) not in self.names and is_power(node):
            node = node.args[0][0]
        if id(node) in self.names:
            return wordy(self.symbols(self.names[id(node)]))
        return node.kind == VAR and wordy(self.symbols(node.name))


FEW = 3
"""The most symbols (names, numbers and calls; not their exponents) an exponent of e is written with as a
superscript: ``e^{b + w x}``."""


def _fraction(x: Any) -> bool:
    """Whether a number prints as a fraction (``\\frac{1}{3}``; not ``\\sqrt``'s ``1/2``)."""
    x = evaluable(x)
    return is_exact(x) and not is_decimal(x) and Fraction(x).denominator != 1


def _big(root: Node) -> bool:
    """Whether ``root`` has more than :data:`FEW` symbols or prints a fraction (stops at the first of either)."""
    count, seen, stack = 0, set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.kind == MUL:
            if _fraction(node.coeff) or any(e.kind == NUM and e.value < 0 for _, e in node.args):
                return True
        elif node.kind == ADD:
            if _fraction(node.coeff) or any(_fraction(c) for _, c in node.args):
                return True
        elif node.kind == NUM:
            if _fraction(node.value) and node.value != Fraction(1, 2):
                return True
        count += node.kind in (NUM, VAR, SYM, CALL)
        if count > FEW:
            return True
        stack += [b for b, _ in node.args] if node.kind == MUL else node.children()  # not the small exponents
    return False


def _alone(parts: list[Part]) -> list[Part]:
    r"""A numerator or denominator of one factor, which the fraction bar already
    sets apart: ``\frac{x + 1}{y}``, not ``\frac{\left(x + 1\right)}{y}``."""
    if len(parts) == 1 and len(parts[0][0]) == 1 and isinstance(parts[0][0][0], tuple):
        (node, _), = parts[0][0]
        return [([(node, 0)], parts[0][1], parts[0][2])]
    return parts


def to_latex(root: Node, taken: Iterable[str] = (), symbols: Symbols | None = None) -> str:
    """``root`` in LaTeX, with the plain printer's factored sums and named intermediates; its names from
    ``symbols`` (the table of every formula printed together), else from a table of its own."""
    text, names = text_and_names(root, taken)
    symbols = (symbols or symbols_for((), [root])).copy()
    return write(root, LatexPrinter(text.plans, names, symbols), taken, names, SEPARATOR)
