"""diff's writer: derivatives as text, LaTeX or JSON, labelled by variable (and by
output, with ``--of``), their named intermediates after them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from .output import DiffFormat, dumps


def write_derivatives(expression: str, derivatives: dict, fmt: DiffFormat, out: TextIO, order: int = 1,
                      taken: set[str] | None = None, latex: bool = False, several: bool = False,
                      names: Iterable[str] = (), output: str | None = None) -> None:
    """Symbolic derivatives (canonical nodes by variable): the bare expression for
    one variable, else ``d/dNAME = EXPR`` lines (``d^N/dNAME^N`` for order N); in
    LaTeX in ``DiffFormat.latex``; JSON with the LaTeX too if ``latex``. With
    ``several`` outputs (``--of``), ``derivatives`` is by output, and every line
    is labelled ``du/dx = ...`` (JSON: ``{"derivatives": {"u": {"x": ...}}}``).
    Order 0 is the function itself (``{"": node}``, by output with ``several``):
    ``u = EXPR`` lines, JSON ``{"function": ...}``. ``names`` are the program's
    names in order and ``output`` its output's name, for LaTeX's symbols and labels."""
    from ..symbolic.printer import to_text  # lazily: only diff needs the symbolic layer

    taken = taken if taken is not None else set()
    by_output = derivatives if several else {"": derivatives}
    symbols = None
    if fmt is DiffFormat.latex or latex:
        from ..symbolic.latex import symbols_for  # lazily: only LaTeX needs it

        symbols = symbols_for(names, (node for found in by_output.values() for node in found.values()))
    write = to_text
    if fmt is DiffFormat.latex:
        from ..symbolic.latex import SEPARATOR, to_latex  # lazily: only --format latex needs it

        write, power = (lambda node, taken: to_latex(node, taken, symbols)), f"^{{{order}}}" if order > 1 else ""
        # The output's own symbol (L = ...), else f where no variable is f.
        top = lambda o: symbols(o or output) if o or output else symbols.free("f", "g", "h", "F")
        label = lambda o, n: (f"{top(o)} = " if order == 0 else
                              f"\\frac{{\\partial{power} {top(o)}}}{{\\partial {symbols(n)}{power}}} = ")
        separator, where = SEPARATOR, r", \quad\text{where } "
    else:
        power = f"^{order}" if order > 1 else ""
        label = lambda o, n: f"{o} = " if order == 0 else f"d{power}{o}/d{n}{power} = "
        separator, where = "; ", ", where "
    texts = {o: {n: write(node, taken) for n, node in found.items()} for o, found in by_output.items()}
    if fmt is DiffFormat.json:
        key = "function" if order == 0 else "derivatives"
        unwrap = (lambda t: {o: found[""] for o, found in t.items()}) if order == 0 else (lambda t: t)
        data = {"expression": expression, "order": order, key: unwrap(texts) if several else unwrap(texts)[""]}
        if latex:
            from ..symbolic.latex import to_latex  # lazily: only --format latex needs it

            tex = {o: {n: to_latex(node, taken, symbols) for n, node in found.items()}
                   for o, found in by_output.items()}
            data["latex"] = unwrap(tex) if several else unwrap(tex)[""]
        out.write(dumps(data) + "\n")
    elif not several and len(texts[""]) == 1:
        out.write(next(iter(texts[""].values())) + "\n")
    else:
        # A labelled line reads as mathematics: its named intermediates after it ("where t1 = ..."),
        # not between the label and the expression (d/dw = t1 = ...; ...).
        for o, found in texts.items():
            for name, text in found.items():
                *names, main = text.split(separator)
                out.write(f"{label(o, name)}{main}{where}{separator.join(names)}\n" if names
                          else f"{label(o, name)}{text}\n")
