"""A parsed expression: its graph in topological order and what evaluating it
at a point gives (value, gradients, named intermediates, notes)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping

from ..base.errors import UsageError, did_you_mean, listed, missing_hint, plural, quoted, shortened
from ..base.ops import OPS, kink_matters, whose
from ..base.scalar import SCALAR
from .engine import Value, all_finite_grads, backward, forward

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any

    from ..draw.notebook import Graph
    from .definitions import Call
    from .steps import Stepper


class Evaluation:
    """The result of one forward and backward pass. Dicts keep the order in
    which names first appear in the expression. (Plain classes here, not
    dataclasses: importing those costs every start-up several milliseconds.)"""

    def __init__(self, expression: str, value: float, variables: dict[str, float], gradients: dict[str, float],
                 notes: list[str] | None = None, trace: list[TraceStep] | None = None) -> None:
        self.expression, self.value, self.variables, self.gradients = expression, value, variables, gradients
        self.nodes: dict[str, tuple[float, float]] = {}
        self.notes = notes if notes is not None else []
        self.trace = trace
        self.hessian: dict[str, dict[str, float]] | None = None
        self._expression: Expression | None = None  # what made it: drawn from a copy of it

    def __repr__(self) -> str:
        return f"Evaluation({self.expression!r}, value={self.value!r}, gradients={self.gradients!r})"

    def render_graph(self, precision: int = 4, rankdir: str = "LR", steps: bool = False) -> Graph | Stepper:
        """The graph at this evaluation's point, each node with its value and
        gradient (:class:`~autodiff_cli.draw.notebook.Graph`: shown inline in a notebook, ``.save(path)``);
        with ``steps``, the page that steps through the backward pass (:class:`~autodiff_cli.core.steps.Stepper`)."""
        if steps:
            from .steps import Stepper, stepper_page  # lazily: only the page needs it

            return Stepper(stepper_page(self._copy(), None, precision, rankdir))
        from ..draw.notebook import draw_evaluation  # lazily: the drawing's imports cost start-up time

        return draw_evaluation(self, self._copy(), precision, rankdir)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        # Jupyter's rich display: the graph as SVG (see autodiff_cli.draw.notebook).
        if self._expression is None:  # made by hand: nothing to draw from
            return {"text/plain": repr(self)}
        from ..draw.notebook import evaluation_bundle  # lazily: only a notebook draws it

        return evaluation_bundle(self, self._copy)

    def _copy(self) -> Expression:
        if self._expression is None:
            raise UsageError("this Evaluation was not made by Expression.evaluate: it has no graph to draw")
        return self._expression.copy()


class TraceStep:
    """One node of the backward pass: its gradient, pushed into each input."""

    def __init__(self, node: str, op: str, gradient: float, inputs: list[TraceInput]) -> None:
        self.node, self.op, self.gradient, self.inputs = node, op, gradient, inputs

    def __repr__(self) -> str:
        return f"TraceStep(node={self.node!r}, op={self.op!r}, gradient={self.gradient!r}, inputs={self.inputs!r})"


class TraceInput:
    """One edge of a trace step: ``contribution = gradient * local`` is added to the
    input's gradient, which is ``accumulated`` after the addition."""

    def __init__(self, node: str, local: float, contribution: float, accumulated: float) -> None:
        self.node, self.local, self.contribution, self.accumulated = node, local, contribution, accumulated

    def __repr__(self) -> str:
        return (f"TraceInput(node={self.node!r}, local={self.local!r}, contribution={self.contribution!r}, "
                f"accumulated={self.accumulated!r})")


class Expression:
    """The graph of a parsed expression.

    ``nodes`` is in creation order, which is topological (children first) and
    ends with the output; ``spans[i]`` is the source text span of ``nodes[i]``.
    ``variables`` and ``names`` (assigned intermediates) are in order of first
    appearance.
    """

    def __init__(self, source: str, nodes: list[Value], spans: list[tuple[int, int]] | None,
                 variables: dict[str, Value], names: dict[str, Value], output: Value,
                 output_name: str | None, kinked: bool = True,
                 locate: Callable[[str], list[tuple[int, int]]] | None = None, calls: list[Call] | None = None) -> None:
        self.source = source
        self.nodes = nodes
        self._spans = spans
        self._locate = locate  # finds the spans when they were not kept (the parser's spans_of)
        self.variables = variables
        self.names = names
        self.output = output
        self.output_name = output_name
        self.kinked = kinked  # False: no op with a kink, so no notes (and no pass to find them)
        self._live: tuple[list[Value], list[int] | None] | None = None
        self._numbers: dict[int, str] | None = None  # named numbers' names, by id (see name_of)
        self.calls = calls or []  # the nodes each call of a function of the program made (neuron#1)

    @property
    def spans(self) -> list[tuple[int, int]]:
        """Where each node comes from in the source: found on first use (by
        parsing again, which the parser does not slow itself down for)."""
        if self._spans is None:
            if self._locate is None:
                raise ValueError("this expression was built without its source spans")
            self._spans = self._locate(self.source)
        return self._spans

    @spans.setter
    def spans(self, spans: list[tuple[int, int]]) -> None:
        self._spans = spans

    def live(self) -> tuple[list[Value], list[int] | None]:
        """The nodes the output depends on, in topological order, and their
        indices in ``nodes`` (None when they are all of them).

        Backward runs over these only: a statement whose result the output never
        uses must not push anything (not even 0 * inf) into the gradients.
        """
        if self._live is None and not self.names and self.nodes and self.nodes[-1] is self.output:
            # One bare expression: every node the parser made is part of it.
            self._live = self.nodes, None
        if self._live is None:
            marked = {id(self.output)}
            for node in reversed(self.nodes):
                if id(node) in marked:
                    marked.update(map(id, node.children))
            keep = [i for i, n in enumerate(self.nodes) if id(n) in marked]
            self._live = [self.nodes[i] for i in keep], keep
        return self._live

    def __repr__(self) -> str:
        return f"Expression({self.text()!r})"

    def render_graph(self, with_values: bool = False, precision: int = 4, rankdir: str = "LR") -> Graph:
        """The graph: its structure, or (``with_values``) each node's value and
        gradient from the last evaluation (:class:`~autodiff_cli.draw.notebook.Graph`)."""
        from ..draw.notebook import draw_expression  # lazily: the drawing's imports cost start-up time

        return draw_expression(self, with_values, precision, rankdir)

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        # Jupyter's rich display: the structure as SVG (see autodiff_cli.draw.notebook).
        from ..draw.notebook import expression_bundle  # lazily: only a notebook draws it

        return expression_bundle(self)

    def with_output(self, name: str, live: list[Value] | None = None, where: Any = None) -> Expression:
        """The same graph (its nodes shared) with the statement ``name`` as its output;
        ``live`` and ``where``, where known, what :meth:`live` would find."""
        view = Expression(self.source, self.nodes, self._spans, self.variables, self.names, self.names[name], name,
                          self.kinked, self._locate, self.calls)
        if live is not None:
            view._live = live, where
        return view

    def copy(self) -> Expression:
        """The same expression with nodes of its own: evaluating the copy leaves
        this one's values and gradients as they are. Linear, no parsing."""
        return _rebuilt(*self.__reduce__()[1])

    def __deepcopy__(self, memo: dict) -> Expression:
        return self.copy()

    def __reduce__(self) -> tuple:
        """Pickled as one graph, its nodes in order with their children by
        position: a ``Value`` alone pickles the graph below it, so the
        variables, names and output would come back as separate graphs."""
        index = {id(node): k for k, node in enumerate(self.nodes)}
        flat = [(n.op, n.data, n.grad, n.label, n.needs_grad, tuple(index[id(c)] for c in n.children))
                for n in self.nodes]

        def at(names: dict[str, Value]) -> dict[str, int]:
            return {name: index[id(v)] for name, v in names.items()}

        return _rebuilt, (self.source, flat, self._spans, at(self.variables), at(self.names), index[id(self.output)],
                          self.output_name, self.kinked, self._locate, self.calls)

    def text(self, limit: int = 0) -> str:
        """The source as one line, shortened to ``limit`` characters when given."""
        parts = (part.strip() for line in self.source.splitlines() for part in line.split("#", 1)[0].split(";"))
        text = "; ".join(part for part in parts if part)  # x**2; is x**2
        text = " ".join(text.split())
        return shortened(text, limit) if limit else text

    def describe(self, index: int) -> str:
        """Name ``nodes[index]`` by its source text and position, for error messages."""
        start, end = self.spans[index]
        snippet = shortened(_plain(self.source[start:end]), 60)
        line = self.source.count("\n", 0, start) + 1
        column = start - (self.source.rfind("\n", 0, start) + 1) + 1
        call = self.call_of(index)
        return f"'{snippet}' (line {line}, column {column}{f', in {call.name}' if call else ''})"

    def call_of(self, index: int) -> Call | None:
        """The call of a function of the program that made ``nodes[index]``, if one did."""
        if self.calls:
            k = bisect_right([c.start for c in self.calls], index) - 1
            if k >= 0 and index < self.calls[k].end:
                return self.calls[k]
        return None

    def listed(self, most: int = 6) -> str:
        """The variables for a message: ``'a', 'b' and 3 more``."""
        return listed(self.variables, most, 20)

    def no_variable(self, name: str, where: str = "") -> UsageError:
        """The error for a value, option or column naming no variable, with the
        closest variable or else the variables: a one-letter slip (``x`` for ``X``)
        is too short for a "did you mean"."""
        if name in self.names:  # a column or value for e in e = c*d
            return UsageError(f"{where}{_names([name])} assigned in the expression and cannot be given a value")
        hint = did_you_mean(name, self.variables)
        if not hint:
            hint = f" (its variables: {self.listed()})" if self.variables else " (it has no variables)"
        return UsageError(f"{where}no variable {quoted(name)} in the expression{hint}")

    def check_values(self, values: Mapping[str, float], complete: bool = True) -> None:
        """Raise :class:`UsageError` for unknown or assigned names and, if
        ``complete``, for variables without a value."""
        if values.keys() == self.variables.keys():  # the usual case, checked at C speed
            return
        assigned = [n for n in values if n in self.names]
        if assigned:
            raise UsageError(f"{_names(assigned)} assigned in the expression and cannot be given a value")
        unknown = [n for n in values if n not in self.variables]
        if len(unknown) == 1:
            raise self.no_variable(unknown[0])
        if unknown:
            raise UsageError(f"no variable {_names(unknown, verb=False)} in the expression")
        missing = [n for n in self.variables if n not in values] if complete else []
        if missing:
            raise UsageError(f"missing value for {_names(missing, verb=False)}{missing_hint(missing)}")

    def forward(self, values: Mapping[str, float], ieee: bool = False) -> float:
        """Set the variables and recompute every node; returns the output's value."""
        self.check_values(values)
        for name, node in self.variables.items():
            node.data = float(values[name])
        forward(self.nodes, strict=not ieee, describe=self.describe)
        return self.output.data

    def name_of(self, node: Value, index: int) -> str:
        """How a trace names ``nodes[index]``: its label (a named number's name), else its source text."""
        if node.op == "const" and self.names:  # a = 2: 'a', not '2' (the label is the number's text)
            if self._numbers is None:
                self._numbers = {}
                for name, named in self.names.items():
                    self._numbers.setdefault(id(named), name)
            if id(node) in self._numbers:
                return self._numbers[id(node)]
        if node.label:
            return node.label
        call = self.call_of(index)
        if call is not None:
            return f"{call.name}: {self.text_of(index)}"
        return self.text_of(index)

    def text_of(self, index: int) -> str:
        """``nodes[index]``'s source text, on one line, shortened in the middle to 40 characters."""
        start, end = self.spans[index]
        if end - start > 200:  # only the ends are shown: a million-deep chain's texts are not joined whole
            head, tail = _plain(self.source[start:start + 100]), _plain(self.source[end - 100:end])
            return shortened(f"{head} ... {tail}", 40, keep_end=17, mark=" ... ")
        text = _plain(self.source[start:end])
        # Shortened in the middle, keeping both ends: a million-deep chain would
        # otherwise name its nodes with texts of every length up to the whole.
        return shortened(text, 40, keep_end=17, mark=" ... ")

    def backward(self, ieee: bool = False, trace: list[TraceStep] | None = None) -> None:
        """Gradients of the output with respect to every node (after :meth:`forward`).
        ``trace`` receives the pass step by step."""
        nodes, where = self.live()

        def describe(i: int) -> str:
            return self.describe(_in_nodes(where, i))

        record: list[tuple[int, int, float, float, float]] | None = [] if trace is not None else None
        backward(nodes, self.output, ieee=ieee, describe=describe, record=record)
        if not ieee and not all_finite_grads(nodes):
            # Run again checking every step, to name the node where it arose.
            backward(nodes, self.output, check=True, describe=describe)
        if trace is not None and record is not None:
            position = {id(n): j for j, n in enumerate(nodes)}
            last = -1
            for i, k, local, share, total in record:
                node = nodes[i]
                if i != last:
                    trace.append(TraceStep(self.name_of(node, _in_nodes(where, i)), OPS[node.op].symbol,
                                           node.grad, []))
                    last = i
                child = node.children[k]
                name = self.name_of(child, _in_nodes(where, position[id(child)]))
                trace[-1].inputs.append(TraceInput(name, local, share, total))

    def conventions(self, unwritten: bool = False) -> dict[str, list[int]]:
        """The conventions the last evaluation used (``relu'(0) = 0``), each with the
        positions in ``live()`` of the nodes where it did; ``unwritten``: only those
        no printed derivative follows (0 at ``0**0``)."""
        if not self.kinked:
            return {}
        found: dict[str, list[int]] = {}
        for i, node in enumerate(self.live()[0]):
            if unwritten and OPS[node.op].written:
                continue
            if kink_matters(node) and OPS[node.op].kink[0](SCALAR, *[c.data for c in node.children]):
                found.setdefault(OPS[node.op].kink[1], []).append(i)
        return found

    def notes(self) -> list[str]:
        """Where the last evaluation passed through a non-differentiable point."""
        found = self.conventions()
        if not found:
            return []
        where = self.live()[1]
        notes = []
        for rule, found_at in found.items():
            more = f" and {plural(len(found_at) - 1, 'more place')}" if len(found_at) > 1 else ""
            notes.append(f"{rule} used at {self.describe(_in_nodes(where, found_at[0]))}{more} {whose(rule)}")
        return notes

    def evaluate(self, values: Mapping[str, float], ieee: bool = False, intermediates: bool = False,
                 trace: bool = False) -> Evaluation:
        """Forward and backward pass at one point.

        Strict (default): a non-finite value or gradient raises
        :class:`~autodiff_cli.base.errors.DomainError` naming the sub-expression.
        ``ieee=True`` returns IEEE results (inf, nan) instead.
        """
        value = self.forward(values, ieee)
        steps: list[TraceStep] | None = [] if trace else None
        self.backward(ieee, steps)
        result = Evaluation(
            expression=self.source,
            value=value,
            variables={n: v.data for n, v in self.variables.items()},
            gradients={n: v.grad for n, v in self.variables.items()},
            notes=self.notes(),
            trace=steps,
        )
        if intermediates:
            result.nodes = {n: (v.data, v.grad) for n, v in self.names.items()}
        result._expression = self
        return result


def _plain(text: str) -> str:
    """Source text on one line, without its comments (``# ...`` to the end of a line)."""
    if "#" in text:
        text = "\n".join(line.split("#", 1)[0] for line in text.split("\n"))
    return " ".join(text.split())


def _in_nodes(where: list[int] | None, i: int) -> int:
    """The index in ``Expression.nodes`` of the ``i``-th live node (see :meth:`Expression.live`)."""
    return where[i] if where else i


def _names(names: list[str], verb: bool = True) -> str:
    text = listed(names)
    if not verb:
        return text
    return f"{text} {'is' if len(names) == 1 else 'are'}"


def _rebuilt(source: str, flat: list[tuple], spans: list[tuple[int, int]] | None, variables: dict[str, int],
             names: dict[str, int], output: int, output_name: str | None, kinked: bool,
             locate: Callable[[str], list[tuple[int, int]]] | None, calls: list[Call]) -> Expression:
    """An expression from :meth:`Expression.__reduce__`'s parts (a copy, or an unpickled one)."""
    nodes: list[Value] = []
    for op, data, grad, label, needs_grad, children in flat:  # needs_grad: a named number's too, as parsed
        nodes.append(Value.copied(data, grad, tuple([nodes[k] for k in children]), op, label, needs_grad))
    return Expression(source, nodes, spans, {n: nodes[k] for n, k in variables.items()},
                      {n: nodes[k] for n, k in names.items()}, nodes[output], output_name, kinked, locate, calls)
