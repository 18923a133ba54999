"""LaTeX that never lies: two different names never print as one symbol, a
variable never prints as a function, labels name the program's output, and
every line is LaTeX that matplotlib's mathtext parses.

The truth for each collision is a hand-derived derivative, evaluated by
autodiff from autodiff text at random points, against the printed LaTeX read
back (``test_diff_latex.Reader``) with its labels as the only key to which
symbol is which variable: if two variables shared a symbol, the read-back
could not be right for both."""

from __future__ import annotations

import math
import os
import random
import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_diff_latex import Reader, check_syntax

from autodiff_cli import UsageError, parse
from autodiff_cli.symbolic.diff import derivatives, program_names, taken_names
from autodiff_cli.symbolic.latex import symbols_for, to_latex
from autodiff_cli.symbolic.printer import to_text

from conftest import examples

POWER = r"(?:\^\{\d+\})?"
LABEL = re.compile(rf"^\\frac\{{\\partial{POWER} (?P<out>.+?)\}}\{{\\partial (?P<var>.+?){POWER}\}} = (?P<rhs>.*)$")


def mathtext_png(latex: str) -> bytes:
    """``latex`` rendered by matplotlib's mathtext (raises on anything it cannot parse)."""
    from matplotlib import mathtext

    buffer = BytesIO()
    mathtext.math_to_image(f"${latex}$", buffer, format="png", dpi=100)
    return buffer.getvalue()


def labelled(out: str) -> list[tuple[str, str, str]]:
    """Each ``\\frac{\\partial OUT}{\\partial VAR} = RHS`` line as (OUT, VAR, RHS)."""
    found = []
    for line in out.splitlines():
        match = LABEL.match(line)
        assert match, line
        found.append((match["out"], match["var"], match["rhs"]))
    return found


def value(text: str, at: dict[str, float]) -> float:
    expr = parse(text)
    return expr.evaluate({k: v for k, v in at.items() if k in expr.variables}).value


def check_lines(cli, program: str, want: dict[str, str]) -> list[tuple[str, str, str]]:
    """``diff PROGRAM --format latex``: one line per variable in ``want`` (variable -> its derivative,
    derived by hand, in autodiff text), labels all different, and each line read back with the labels
    as the symbol table is the hand-derived derivative at random points; every line parses in mathtext."""
    run = cli("diff", program, "--format", "latex")
    assert run.code == 0, run.err
    lines = labelled(run.out)
    assert [var for _, var, _ in lines] and len({var for _, var, _ in lines}) == len(lines) == len(want), run.out
    names = {symbol: name for (_, symbol, _), name in zip(lines, want, strict=True)}
    rng = random.Random(program)
    for (_, _, rhs), (name, derivative) in zip(lines, want.items(), strict=True):
        check_syntax(rhs)
        again = Reader(rhs, names).read()
        for _ in range(3):
            at = {v: rng.uniform(0.3, 1.7) for v in want}
            assert math.isclose(value(again, at), value(derivative, at), rel_tol=1e-9), (name, rhs, again)
    for line in run.out.splitlines():
        assert mathtext_png(line).startswith(b"\x89PNG")
    return lines


@pytest.mark.parametrize(("program", "want"), [
    ("alpha*α**2", {"alpha": "α**2", "α": "2*alpha*α"}),
    ("θ*theta**3", {"θ": "theta**3", "theta": "3*θ*theta**2"}),
    ("theta*θ**3", {"theta": "θ**3", "θ": "3*theta*θ**2"}),
    ("w1*w_1**2", {"w1": "w_1**2", "w_1": "2*w1*w_1"}),
    ("x_1**3 + x1*x_1", {"x_1": "3*x_1**2 + x1", "x1": "x_1"}),
    ("lam*lambda*λ**2", {"lam": "lambda*λ**2", "lambda": "lam*λ**2", "λ": "2*lam*lambda*λ"}),
    ("sigma*sigmoid(x)", {"sigma": "sigmoid(x)", "x": "sigma*sigmoid(x)*sigmoid(-x)"}),
    ("σ*sigmoid(x)**2", {"σ": "sigmoid(x)**2", "x": "2*σ*sigmoid(x)**2*sigmoid(-x)"}),
    ("π*x + pi*x**2", {"π": "x", "x": "π + 2*pi*x"}),
    ("e*x + exp(1)*y**2", {"e": "x", "x": "e", "y": "2*exp(1)*y"}),
    ("log_2*log2(x)", {"log_2": "log2(x)", "x": "log_2/(x*log(2))"}),
])
def test_colliding_names_print_apart(cli, program, want):
    check_lines(cli, program, want)


def test_a_variable_never_reads_as_a_function(cli):
    run = cli("diff", "sigma*sigmoid(x)", "--wrt", "x", "--format", "latex")
    assert r"\operatorname{sigmoid}\left(x\right)" in run.out and run.out.count(r"\sigma") == 1, run.out
    run = cli("diff", "y*sigmoid(x)", "--wrt", "x", "--format", "latex")
    assert r"\sigma\left(x\right)" in run.out and "operatorname" not in run.out  # no variable took it
    # \mathrm{log}_{2} would look like the function \log_{2}, which is in the same formula.
    run = cli("diff", "log_2*log2(x)", "--wrt", "log_2", "--wrt", "x", "--format", "latex")
    assert r"\mathrm{log}" not in run.out and r"\log_{2}\left(x\right)" in run.out, run.out


def test_the_first_spelling_keeps_the_short_form(cli):
    first = {var: rhs for _, var, rhs in labelled(cli("diff", "alpha*α**2", "--format", "latex").out)}
    assert r"\alpha" in first  # alpha came first
    second = {var: rhs for _, var, rhs in labelled(cli("diff", "α*alpha**2", "--format", "latex").out)}
    assert r"\alpha" in second and second[r"\alpha"] != first[r"\alpha"]  # now it is α's


def test_words_are_set_off(cli):
    # 2 lam w would read as "2lamw"; a word beside a parenthesis would read as a function call.
    rhs = dict((var, rhs) for _, var, rhs in labelled(cli("diff", "lam*w**2 + lr*(w + 1)", "--format", "latex").out))
    assert set(rhs) == {r"\mathrm{lam}", "w", r"\mathrm{lr}"}
    for text in rhs.values():
        tokens = ["+", *text.split(" "), "+"]  # the printer puts a space between factors and around + and -
        for k, token in enumerate(tokens):
            if re.fullmatch(r"\\mathrm\{\w\w+\}(\^\{\d+\})?", token):
                assert tokens[k - 1] in (r"\cdot", "+", "-") and tokens[k + 1] in (r"\cdot", "+", "-"), text


def test_the_label_is_the_output_name(cli):
    lines = labelled(cli("diff", "a = x*y; L = a**2 + x", "--format", "latex").out)
    assert [out for out, _, _ in lines] == ["L", "L"]
    lines = labelled(cli("diff", "a = x*y; loss = a**2", "--order", "2", "--format", "latex").out)
    assert [out for out, _, _ in lines] == [r"\mathrm{loss}"] * 2
    assert [out for out, _, _ in labelled(cli("diff", "x*y", "--format", "latex").out)] == ["f", "f"]
    # A variable f is not the label of the function it is a variable of.
    assert [out for out, var, _ in labelled(cli("diff", "f*x", "--format", "latex").out)] == ["g", "g"]
    # Several outputs: each its own name; the plain labels stay d/dNAME.
    lines = labelled(cli("diff", "u = x*y; v = x + y", "--of", "u,v", "--format", "latex").out)
    assert [out for out, _, _ in lines] == ["u", "u", "v", "v"]
    assert cli("diff", "a = x*y; L = a**2 + x").out.splitlines()[0].startswith("d/dx = ")


def test_order_zero_is_the_function(cli):
    program = "a = x*y; L = a**2 + sin(a)"
    text = cli("diff", program, "--order", "0").out.strip()
    rng = random.Random(0)
    for _ in range(3):
        at = {"x": rng.uniform(-2, 2), "y": rng.uniform(-2, 2)}
        assert math.isclose(value(text, at), value(program, at), rel_tol=1e-12)
    assert "a" not in parse(text).names  # the canonical form, written out
    latex = cli("diff", program, "--order", "0", "--format", "latex").out.strip()
    again = Reader(latex, {"x": "x", "y": "y"}).read()
    assert math.isclose(value(again, {"x": 0.7, "y": 1.3}), value(program, {"x": 0.7, "y": 1.3}), rel_tol=1e-12)
    assert mathtext_png(latex).startswith(b"\x89PNG")
    run = cli("diff", "u = x*y; v = x + y", "--of", "u,v", "--order", "0")
    assert run.out.splitlines() == ["u = x*y", "v = x + y"]
    run = cli("diff", "x*y", "--order", "0", "--wrt", "x")
    assert run.code == 2 and run.err.startswith("error: ") and len(run.err.splitlines()) == 1


def test_order_zero_in_a_real_process():
    command = Path(sys.executable).with_name("autodiff")
    run = subprocess.run([str(command), "diff", "θ*theta", "--order", "0", "--format", "latex"],
                         capture_output=True, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    # θ comes first and keeps \theta; theta is its literal name, a word, set off by \cdot.
    assert run.returncode == 0 and run.stdout == "\\mathrm{theta} \\cdot \\theta\n", run


def test_a_big_exponent_of_e_is_exp(cli):
    out = cli("diff", "exp(-x**2/(2*s**2))", "--wrt", "x", "--format", "latex").out
    assert r"\exp\left(-\frac{x^{2}}{2 s^{2}}\right)" in out and "e^{" not in out
    out = cli("diff", "exp(a*x + b*y + c*z + d)", "--wrt", "x", "--format", "latex").out
    assert r"\exp\left(" in out and "e^{" not in out
    assert cli("diff", "exp(-x)", "--format", "latex").out == "-e^{-x}\n"  # a small one stays a power


def test_library_order_zero_is_refused():
    with pytest.raises(ValueError):
        derivatives(parse("x*y"), order=0)


# -- injectivity on random names ------------------------------------------------------------------------
GREEK_WORDS = ["alpha", "beta", "theta", "lambda", "sigma", "phi", "varphi", "pi_1", "Delta", "omega", "mu", "lam"]
GREEK_LETTERS = ["α", "β", "θ", "λ", "σ", "φ", "ϕ", "Δ", "ω", "μ", "π", "ε", "ϵ"]
SUBSCRIPTED = ["w1", "w_1", "x1", "x_1", "x_i", "x_alpha", "x_α", "t1", "t_1", "t_2", "α1", "α_1", "alpha_1", "w_10"]
FUNCTION_LIKE = ["sigma", "log_2", "log2_x", "sin_1", "max1", "arcsin", "exp_a", "lr", "e", "E", "f", "g"]
POOL = sorted({*GREEK_WORDS, *GREEK_LETTERS, *SUBSCRIPTED, *FUNCTION_LIKE})


@settings(max_examples=examples(150), deadline=None)
@given(st.lists(st.sampled_from(POOL), min_size=2, max_size=6, unique=True), st.randoms(use_true_random=False))
def test_distinct_names_print_distinct(names, rng):
    calls = ["sigmoid", "log2", "sin", "exp"]
    terms = [f"{name}**{k + 1}" if k % 2 else f"{calls[k % 4]}({name})*{name}" for k, name in enumerate(names)]
    program = " + ".join(terms) + " + pi*" + names[0]
    try:
        expr = parse(program)
    except UsageError:
        assume(False)
    found = derivatives(expr)
    symbols = symbols_for(program_names(expr), found.values())
    table = {name: symbols(name) for name in expr.variables}
    assert len(set(table.values())) == len(table), table  # one to one
    functions = set(symbols.functions.values()) | {r"\pi"}
    assert not functions & set(table.values()), table  # no variable reads as a function or the constant
    taken = taken_names(expr)
    variables = list(expr.variables)
    for name, node in found.items():
        latex = to_latex(node, taken, symbols)
        check_syntax(latex)
        names_of = {symbols.copy()(v): v for v in variables}
        names_of.update({symbols.copy()(t): t for t in re.findall(r"\b(t\d+) = ", to_text(node, taken))})
        again = Reader(latex, names_of).read()
        at = {v: rng.uniform(0.3, 1.7) for v in variables}
        want = value(to_text(node, taken), at)
        assert math.isclose(value(again, at), want, rel_tol=1e-9, abs_tol=1e-12), (name, latex, again)
        mathtext_png(latex)


def test_every_latex_line_parses_in_mathtext(cli):
    with pytest.raises(ValueError):  # the check can fail: mathtext refuses what is not LaTeX
        mathtext_png(r"\frac{x}{\operatornam{y}")
    programs = ["tanh(w*x + b)", "sigma*sigmoid(x)", "alpha*α**2", "abs(x)*floor(y) + cbrt(x) + asinh(y)",
                "log(x, 2)*log10(y) + max(x, y)", "x**y", "exp(-x**2/(2*s**2))", "a = x*y; L = a**2*sin(a)"]
    for program in programs:
        for order in ("0", "1", "2"):
            run = cli("diff", program, "--order", order, "--format", "latex")
            assert run.code == 0 and run.out.strip(), (program, order, run.err)
            for line in run.out.splitlines():
                assert mathtext_png(line).startswith(b"\x89PNG"), line


def test_three_pictures(cli, tmp_path):
    """Rendered to files (for a person to look at; the test checks they are PNG images)."""
    for k, program in enumerate(["alpha*α**2", "sigma*sigmoid(x)", "exp(-x**2/(2*s**2))"]):
        lines = cli("diff", program, "--format", "latex").out.splitlines()
        assert len({var for _, var, _ in labelled("\n".join(lines))}) == len(lines) == 2  # two variables, two symbols
        path = Path(os.environ.get("LATEX_PICTURES", tmp_path)) / f"latex-{k}.png"
        from matplotlib.figure import Figure

        figure = Figure(figsize=(7, 0.5 + 0.5 * len(lines)))
        for row, line in enumerate(lines):
            figure.text(0.02, 1 - (row + 0.7) / (len(lines) + 0.4), f"${line}$", fontsize=13)
        figure.savefig(path, dpi=110)
        assert path.read_bytes().startswith(b"\x89PNG")
