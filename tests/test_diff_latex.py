"""`autodiff diff --format latex`: the output is well-formed LaTeX math (balanced
braces and \\left...\\right pairs, only commands LaTeX knows) and reads back as
the same function as the plain form.

sympy's ``parse_latex`` cannot be the reader here: its default backend needs
antlr4-python3-runtime 4.11 exactly, and its Lark backend misreads plain math
(``x^{2} y``, ``\\pi``). The reader below parses the subset the printer writes
into autodiff's language, and both texts are evaluated by autodiff at random
points."""

from __future__ import annotations

import json
import math
import random
import re

import pytest
from hypothesis import assume, given, settings
from test_diff_corpus import CORPUS, cases, seed

from autodiff_cli import DomainError, parse
from autodiff_cli.symbolic.diff import derivatives, taken_names
from autodiff_cli.symbolic.latex import GREEK, Symbols, latex_name, to_latex
from autodiff_cli.symbolic.printer import to_text

from conftest import examples
from strategies import expressions, points

COMMANDS = {r"\frac", r"\sqrt", r"\left", r"\right", r"\sin", r"\cos", r"\tan", r"\sec", r"\tanh", r"\sinh", r"\cosh",
            r"\log", r"\sigma",
            r"\operatorname", r"\pi", r"\cdot", r"\quad", r"\exp", r"\mathrm", r"\_", r"\theta", r"\alpha",
            r"\mu", r"\Delta", r"\lambda"} | {"\\" + letter for letter in GREEK}
FUNCTIONS = {r"\log_{2}": "log2", r"\log_{10}": "log10",
             r"\sin": "sin", r"\cos": "cos", r"\tan": "tan", r"\sec": "sec", r"\tanh": "tanh", r"\sinh": "sinh",
             r"\cosh": "cosh", r"\log": "log",
             r"\sigma": "sigmoid", r"\exp": "exp"}


def check_syntax(latex: str) -> None:
    """Balanced braces, \\left( with \\right) and \\left| with \\right| properly nested, known commands."""
    stack: list[str] = []
    for token in re.findall(r"\\left[(|]|\\right[)|]|[{}]", latex):
        if token in ("{", r"\left(", r"\left|"):
            stack.append(token)
        else:
            assert stack, latex
            opening = stack.pop()
            assert {"}": "{", r"\right)": r"\left(", r"\right|": r"\left|"}[token] == opening, latex
    assert not stack, latex
    for command in re.findall(r"\\(?:[A-Za-z]+|_)", latex):
        assert command in COMMANDS, (command, latex)
    assert "**" not in latex and "*" not in latex.replace(r"\cdot", "")


class Reader:
    """LaTeX of the printer's subset -> autodiff text, fully parenthesized."""

    def __init__(self, latex: str, names: dict[str, str]) -> None:
        self.s, self.i = latex, 0
        self.names = sorted(names.items(), key=lambda kv: -len(kv[0]))  # longest first

    def read(self) -> str:
        statements = [part for part in self.s.split(r";\quad ")]
        out = []
        for statement in statements:
            self.s, self.i = statement, 0
            if " = " in statement:
                name, rest = statement.split(" = ", 1)
                self.s = rest
                out.append(f"{self.name_of(name)} = {self.sum()}")
            else:
                out.append(self.sum())
            assert self.i == len(self.s), (self.s, self.i)
        return "; ".join(out)

    def name_of(self, text: str) -> str:
        return dict(self.names)[text]

    def peek(self, text: str) -> bool:
        self.skip()
        return self.s.startswith(text, self.i)

    def take(self, text: str) -> None:
        assert self.peek(text), (self.s, self.i, text)
        self.i += len(text)

    def skip(self) -> None:
        while self.i < len(self.s) and self.s[self.i] == " ":
            self.i += 1

    def sum(self) -> str:
        terms = []
        if self.peek("-"):
            self.take("-")
            terms.append(f"-({self.product()})")
        else:
            terms.append(self.product())
        while self.peek("+") or self.peek("-"):
            sign = self.s[self.i]
            self.i += 1
            terms.append(f"{sign} ({self.product()})")
        return " ".join(terms)

    def product(self) -> str:
        factors = [self.power()]
        while True:
            self.skip()
            if self.peek(r"\cdot"):
                self.take(r"\cdot")
            elif self.i >= len(self.s) or self.s[self.i] in "+-},;" or self.peek(r"\right"):
                break
            factors.append(self.power())
        return "*".join(f"({f})" for f in factors)

    def power(self) -> str:
        base = self.primary()
        if self.peek("^{"):
            self.take("^{")
            exponent = self.sum()
            self.take("}")
            return f"({base})**({exponent})"
        return base

    def group(self) -> str:
        self.take("{")
        inner = self.sum()
        self.take("}")
        return inner

    def primary(self) -> str:
        self.skip()
        s = self.s
        if self.peek(r"\frac"):
            self.take(r"\frac")
            return f"({self.group()})/({self.group()})"
        if self.peek(r"\sqrt"):
            self.take(r"\sqrt")
            return f"sqrt({self.group()})"
        if self.peek(r"\left("):
            self.take(r"\left(")
            inner = self.sum()
            self.take(r"\right)")
            return f"({inner})"
        if self.peek(r"\left|"):
            self.take(r"\left|")
            inner = self.sum()
            self.take(r"\right|")
            return f"abs({inner})"
        named = dict(self.names)
        words = ((rf"\operatorname{{{n}}}", n) for n in ("relu", "sign", "sigmoid"))
        for command, name in [*FUNCTIONS.items(), *words]:
            if command in named:  # a variable took the command (sigma): the function is \operatorname{sigmoid}
                continue
            if self.peek(command) and not s[self.i + len(command):self.i + len(command) + 1].isalpha():
                self.take(command)
                power = ""
                if self.peek("^{"):
                    self.take("^{")
                    power = f"**({self.sum()})"
                    self.take("}")
                self.take(r"\left(")
                inner = self.sum()
                self.take(r"\right)")
                return f"({name}({inner})){power}"
        for text, name in self.names:
            if s.startswith(text, self.i) and not (text[-1].isalpha() and s[self.i + len(text):][:1].isalpha()):
                self.i += len(text)
                return name
        if self.peek(r"\pi"):  # after the names: a variable pi_1 is \pi_{1}
            self.take(r"\pi")
            return "pi"
        if s.startswith("e", self.i) and not s[self.i + 1:self.i + 2].isalpha():
            self.i += 1
            if not self.peek("^{"):
                return "exp(1)"
            self.take("^{")
            inner = self.sum()
            self.take("}")
            return f"exp({inner})**1"
        number = re.match(r"\d+(\.\d*)?", s[self.i:])
        assert number, (s, self.i)
        self.i += number.end()
        return number.group()


def read_back(latex: str, variables: list[str], text: str, symbols: Symbols | None = None) -> str:
    """``latex`` as autodiff text, its names read with ``symbols`` (the printer's table), else :func:`latex_name`."""
    symbol = symbols.copy() if symbols is not None else latex_name
    names = {symbol(v): v for v in variables}
    names.update({symbol(n): n for n in re.findall(r"\b(t\d+) = ", text)})
    names.update({symbol(n): n for n in re.findall(r"(?:^|; )(\w+) = ", text)})
    return Reader(latex, names).read()


def agree(text: str, latex: str, variables: list[str], seed: int, symbols: Symbols | None = None) -> None:
    check_syntax(latex)
    again = read_back(latex, variables, text, symbols)
    plain, mine = parse(text), parse(again)
    rng = random.Random(seed)
    for _ in range(3):
        values = {v: rng.uniform(0.3, 1.7) for v in variables}
        try:
            want = plain.evaluate({k: v for k, v in values.items() if k in plain.variables}).value
        except DomainError:
            continue
        got = mine.evaluate({k: v for k, v in values.items() if k in mine.variables}).value
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), (text, latex, again)


@pytest.mark.parametrize(("text", "name", "order"), cases())
def test_corpus_latex_reads_back_as_the_plain_form(text, name, order):
    expr = parse(text)
    node = derivatives(expr, [name], order)[name]
    taken = taken_names(expr)
    agree(to_text(node, taken), to_latex(node, taken), list(expr.variables), seed(text, name, order))


@settings(max_examples=examples(200), deadline=None)
@given(expressions, points)
def test_random_derivatives_in_latex_read_back(text, at):
    expr = parse(text)
    assume(expr.variables)
    try:
        found = derivatives(expr)
    except DomainError:  # a part without variables is not a number (log(log(1))): eval fails too
        assume(False)
    for node in found.values():
        taken = taken_names(expr)
        agree(to_text(node, taken), to_latex(node, taken), list(expr.variables), int(at["x"] * 1000))


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("sqrt(x**2 + y**2)", r"\frac{x}{\sqrt{x^{2} + y^{2}}}"),
        ("1/(1 + exp(-x))", r"\sigma\left(x\right) \sigma\left(-x\right)"),
        ("x**(1/2) + x**(1/3)", r"\frac{1}{2 \sqrt{x}} + \frac{1}{3 x^{\frac{2}{3}}}"),
        ("2**x", r"2^{x} \log\left(2\right)"),
        ("tanh(w7*x + b)", r"w_{7} \left(1 - \tanh^{2}\left(b + w_{7} x\right)\right)"),
        ("sigmoid(x)", r"\sigma\left(x\right) \sigma\left(-x\right)"),
        ("relu(x)*abs(y)", r"\left|y\right| \operatorname{relu}\left(\operatorname{sign}\left(x\right)\right)"),
        ("pi*x**2/4 + 1e-5*x", r"\frac{\pi x}{2} + 10^{-5}"),
        ("x*2**y", r"2^{y}"),
        ("x**3*2**x", r"x^{2} \cdot 2^{x} \left(x \log\left(2\right) + 3\right)"),
        # xlogy as written by hand; a lone sum over a fraction bar needs no parentheses.
        ("x**y*z", r"x^{y - 1} y z"),
        ("(x + 1)*log(z)", r"\log\left(z\right)"),
        ("log(x)/(x + 1)", r"\frac{\frac{1}{x} - \frac{\log\left(x\right)}{x + 1}}{x + 1}"),
    ],
)
def test_latex_texts(text, latex):
    expr = parse(text)
    assert to_latex(derivatives(expr, ["x"])["x"]) == latex
    check_syntax(latex)


def test_latex_names():
    assert [latex_name(n) for n in ("x", "w7", "x_1", "x_i", "theta", "θ", "Δ", "λ_1", "lr", "loss_total")] == [
        "x", "w_{7}", "x_{1}", "x_{i}", r"\theta", r"\theta", r"\Delta", r"\lambda_{1}", r"\mathrm{lr}",
        r"\mathrm{loss}_{\mathrm{total}}"]


def test_named_intermediates_in_latex():
    expr = parse("tanh(w*x + b)")
    latex = to_latex(derivatives(expr, ["w"], 2)["w"])
    assert latex == r"t_{1} = \tanh\left(b + w x\right);\quad 2 x^{2} t_{1} \left(t_{1}^{2} - 1\right)"
    check_syntax(latex)


def test_cli_latex_and_json(cli):
    run = cli("diff", "sqrt(x**2 + y**2)", "--wrt", "x", "--format", "latex")
    assert run.code == 0 and run.out == "\\frac{x}{\\sqrt{x^{2} + y^{2}}}\n"
    run = cli("diff", "x**3*y", "--order", "2", "--format", "latex")
    assert run.out.splitlines() == [r"\frac{\partial^{2} f}{\partial x^{2}} = 6 x y",
                                    r"\frac{\partial^{2} f}{\partial y^{2}} = 0"]
    run = cli("diff", "sin(x)*y", "--format", "json", "--latex")
    assert json.loads(run.out) == {"expression": "sin(x)*y", "order": 1,
                                   "derivatives": {"x": "y*cos(x)", "y": "sin(x)"},
                                   "latex": {"x": r"y \cos\left(x\right)", "y": r"\sin\left(x\right)"}}
    run = cli("diff", "sin(x)*y", "--latex")
    assert run.code == 2 and "--format json" in run.err


def test_corpus_covers_the_latex_commands():
    every = " ".join(to_latex(derivatives(parse(t), order=1)[n]) for t, _ in CORPUS for n in parse(t).variables)
    for command in (r"\frac", r"\sqrt", r"\sin", r"\cos", r"\tan", r"\tanh", r"\log", r"\sigma", r"\pi", r"\left|"):
        assert command in every, command


def test_xlogy_is_written_as_x_log_y():
    # d/dy x**y is xlogy(x**y, x) in text (0 at x = 0); in LaTeX, as a person writes it.
    assert to_latex(derivatives(parse("z*x**y"), ["y"])["y"]) == r"z x^{y} \log\left(x\right)"
    assert to_latex(derivatives(parse("xlogy(x, y)**2"), ["y"])["y"]) == r"\frac{2 x x \log\left(y\right)}{y}"
    assert to_latex(derivatives(parse("(x + 1)*log(y)"), ["y"])["y"]) == r"\frac{x + 1}{y}"
    # A power of it, and a sum as its factor, keep their parentheses.
    from autodiff_cli.symbolic.reverse import SymbolicGraph

    graph, expr = SymbolicGraph(), parse("xlogy(x + 1, y)**2")
    graph.add_input(expr)
    assert to_latex(graph.canon(expr.output)) == r"\left(\left(x + 1\right) \log\left(y\right)\right)^{2}"
