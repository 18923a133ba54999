"""An expression's backward pass as a reader steps through it on the graph: its
steps (:func:`autodiff_cli.core.stepper.backward_steps`, its nodes named as
``--trace`` names them) and the page (``autodiff graph ... -o pass.html``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..draw.graph import to_dot
from .engine import backward
from .stepper import Stepper, backward_steps

__all__ = ["Stepper", "expression_steps", "stepper_page"]

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:  # expressions are read by their methods: the expression module shows a page through this one
    from .expression import Expression


def expression_steps(expr: Expression, precision: int = 4) -> dict[str, Any]:
    """The steps of the backward pass of ``expr`` at its last evaluation, its nodes
    named as ``--trace`` names them (a label, else the source text)."""
    nodes, where = expr.live()
    return backward_steps(nodes, expr.output, lambda i: expr.name_of(nodes[i], where[i] if where else i),
                          backward, precision, {id(n) for n in expr.names.values()})


def stepper_page(expr: Expression, values: Mapping[str, float] | None = None, precision: int = 4,
                 rankdir: str = "LR", ieee: bool = False) -> str:
    """The self-contained page: the graph at ``values`` (or as last evaluated) and
    the backward pass step by step."""
    from ..draw.page import page  # lazily: only the page needs it
    from ..draw.render import render  # lazily: only a drawing needs Graphviz

    if values is not None:
        expr.evaluate(values, ieee=ieee)  # raises where eval does
    steps = expression_steps(expr, precision)
    svg = render(to_dot(expr, True, precision, rankdir), "svg").decode("utf-8")
    return page(svg, steps, expr.text(80))
