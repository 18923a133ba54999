"""Canonical nodes as LaTeX math, for people writing a derivative down:
``\\frac{x}{\\sqrt{x^{2} + y^{2}}}``, ``\\sin^{2}\\left(x\\right)``, ``e^{-x}``,
``\\sigma\\left(x\\right)`` for sigmoid, ``w_{7}`` for ``w7``.

The same layout as the plain printer (:mod:`autodiff_cli.symbolic.printer`) with other
templates, and the same named intermediates (``t_{1} = ...;\\quad ...``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from ..base.ops import ATOM, POWER, PRODUCT, UNARY
from .layout import Piece, Template, write
from .nodes import CALL, NUM, VAR, Node, evaluable, is_exact, postorder
from .printer import Part, Printer, is_e, text_and_names

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


def number_latex(x: Any) -> tuple[str, int]:
    x = evaluable(x)
    if not is_exact(x):
        text = repr(abs(x))
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
    power is then ``t_{1}^{2}``, not ``\\sin^{2}``)."""

    parens = PARENS

    def __init__(self, plans: dict[int, Any], names: dict[int, str], e_is_variable: bool) -> None:
        super().__init__(plans)
        self.names = names
        self.e_is_variable = e_is_variable

    def name(self, name: str) -> str:
        return latex_name(name)

    def number(self, x: Any) -> tuple[str, int]:
        return number_latex(x)

    def leaf(self, node: Node) -> str:
        if node.kind == VAR:
            return latex_name(node.name)
        return r"\pi" if node.name == "pi" else "e"

    def call(self, node: Node) -> Template:
        arg = node.args[0]
        if node.name in BRACKETS:
            left, right = BRACKETS[node.name]
            return [left, (arg, 0), right], POWER if node.name == "exp2" else ATOM
        if node.name == "log" and len(node.args) == 2:
            return [r"\log_{", (node.args[1], 0), r"}\left(", (arg, 0), r"\right)"], ATOM
        if node.name == "xlogy":  # as written by hand, x log y: its 0 at x = 0 is a convention, not notation
            return [(arg, PRODUCT), r" \log\left(", (node.args[1], 0), r"\right)"], PRODUCT
        command = FUNCTIONS.get(node.name, rf"\operatorname{{{node.name}}}")
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
            if self.e_is_variable:
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

    def join(self, num: list[Part], den: list[Part]) -> Template:
        if not num:
            num = [(["1"], ATOM, True)]
        if den:
            return [r"\frac{", *_join(_alone(num)), "}{", *_join(_alone(den)), "}"], PRODUCT
        return _join(num), PRODUCT if len(num) > 1 else num[0][1]


def _alone(parts: list[Part]) -> list[Part]:
    r"""A numerator or denominator of one factor, which the fraction bar already
    sets apart: ``\frac{x + 1}{y}``, not ``\frac{\left(x + 1\right)}{y}``."""
    if len(parts) == 1 and len(parts[0][0]) == 1 and isinstance(parts[0][0][0], tuple):
        (node, _), = parts[0][0]
        return [([(node, 0)], parts[0][1], parts[0][2])]
    return parts


def _join(parts: list[Part]) -> list[Piece]:
    """Factors side by side; ``\\cdot`` before one that starts with a digit (``x \\cdot 2^{x}``)."""
    out: list[Piece] = []
    for k, (pieces, _, digit) in enumerate(parts):
        if k:
            out.append(r" \cdot " if digit else " ")
        out += pieces
    return out


def to_latex(root: Node, taken: Iterable[str] = ()) -> str:
    """``root`` in LaTeX, with the plain printer's factored sums and named intermediates."""
    text, names = text_and_names(root, taken)
    variables = {n.name for n in postorder(root, lambda n: n.children()) if n.kind == VAR}
    return write(root, LatexPrinter(text.plans, names, "e" in variables), taken, names, SEPARATOR)
