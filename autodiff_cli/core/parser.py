"""Text to graph: Lark's LALR tables for ``grammars/expr.lark`` with the graph
builder inside the parser.

The builder is the parser's transformer: each reduction builds its node
directly, so no parse tree is made and nothing recurses, which is what lets
100,000 nested parentheses parse. Every node is created after its children,
so creation order is already a topological order. The tables are Lark's
analysis of the grammar, shipped as JSON and run by :mod:`autodiff_cli.core.lalr`.
"""

from __future__ import annotations

import json
import os
import zlib
from _thread import allocate_lock  # threading's Lock, without importing threading

from ..base.errors import ExprSyntaxError, did_you_mean, quoted
from ..base.ops import CONSTANTS, FUNCTIONS
from .definitions import DEFINED, Definitions
from .engine import Value
from .expression import Expression
from .lalr import LALR, ParseError, name_text, spec_from_lark, token_end

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from re import Match
    from typing import Any


def _start(value: Any) -> int:
    # A builder result, a fixed-string token's (start, end), or a token's match.
    return value.start if isinstance(value, _Spanned) else value[0] if isinstance(value, tuple) else value.start()


def _end(value: Any) -> int:
    return value.end if isinstance(value, _Spanned) else value[1] if isinstance(value, tuple) else token_end(value)


class _NeedsSpansError(Exception):
    """Raised by :class:`_GraphBuilder` for an error whose position needs the spans."""


def _grammar_text() -> str:
    # Installed: the grammar ships inside the package; source checkout: the
    # repository's grammars/; a zipped wheel: through importlib.resources.
    # os.path: pathlib costs start-up time. The package is this file's folder's parent.
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for path in (os.path.join(package, "grammars", "expr.lark"),
                 os.path.join(package, os.pardir, "grammars", "expr.lark")):
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                return f.read()
    from importlib import resources  # lazily: only a zipped wheel comes here

    return resources.files("autodiff_cli").joinpath("grammars", "expr.lark").read_text(encoding="utf-8")


_BUILT_IN = dict.fromkeys([*CONSTANTS, *FUNCTIONS])
_INSTEAD = {"ln": "log is the natural logarithm: write log(...)", "sgn": "write sign(...)",
            **{f"arc{f}": f"write a{f}(...)" for f in ("sin", "cos", "tan", "sinh", "cosh", "tanh")},
            "arctan2": "write atan2(...)", "fabs": "write abs(...)", "absolute": "write abs(...)",
            "maximum": "write max(...)", "minimum": "write min(...)", "power": "write pow(...) or **",
            "expit": "write sigmoid(...)", "logistic": "write sigmoid(...)"}
_MATHS = frozenset("""coth sech csch acot asec acsc acoth asech acsch arccot arcsec arccsc arccoth arcsech arccsch
cosec lg erfinv gamma lgamma tgamma digamma beta round trunc gelu silu swish mod fmod sinc besselj bessely heaviside
factorial exp10 logit logsumexp copysign ldexp rsqrt""".split()) - set(FUNCTIONS) | set(_INSTEAD)
"""Functions people type from maths, NumPy or C that the language lacks: said to be unsupported, never
answered with a look-alike ("did you mean 'tan'?" for atan would differentiate another function)."""
# Every node is made by Value's constructor (called directly: Value.made's extra
# call costs), except the two commonest of a big expression, a new variable and a
# binary operation, built inline below (~10% of a parse each): the only copies of
# Value.__init__'s field setting; a test holds them field by field to it.
_new = Value.__new__


class _GraphBuilder(Definitions):
    """Builds the expression's graph of Value nodes as the parser reduces (no
    parse tree in between). One method per grammar alias.

    Operands are :class:`Value` nodes, tokens are the lexer's matches. Source
    spans are not kept here: they matter only for messages, and
    :class:`_SpannedGraphBuilder` finds them by parsing again when they are asked for.
    """

    positions = False  # tokens without text reach it as None (lalr.LALR.parse)

    def _reset(self, source: str) -> None:
        self.source = source
        self.nodes: list[Value] = []
        self.variables: dict[str, Value] = {}
        self.names: dict[str, Value] = {}
        self.special = {**_BUILT_IN}  # and the assigned names, as they come
        self.kinked = False  # whether an op with a kink (abs, relu, sqrt) was made
        self._reset_definitions()

    def _error(self, message: str, pos: int) -> ExprSyntaxError:
        return ExprSyntaxError(message, self.source, pos)

    def number(self, tok: Match[str]) -> Value:
        text = tok[tok.lastindex]  # type: ignore[index]  # token_text, inline: a hot path
        node = Value(float(text), (), "const", text)
        self.nodes.append(node)
        return node

    def name(self, tok: Match[str]) -> Value:
        name = tok[tok.lastindex]  # type: ignore[index]  # name_text, inline: a hot path
        if not name.isascii():
            name = name_text(tok)
        node = self.variables.get(name)
        if node is None:
            if name in self.special:  # one lookup for the rare names, on the path of every new variable
                return self._special(name, tok)
            node = self.variables[name] = _new(Value)  # Value(0.0, (), "var", name), inline
            node.data = node.grad = 0.0
            node.children = ()
            node.op = "var"
            node.label = name
            node.needs_grad = True
            self.nodes.append(node)
        return node

    def _special(self, name: str, tok: Match[str]) -> Value:
        """A name that is not a variable: an assigned intermediate, a constant or a function."""
        node = self.names.get(name)
        if node is not None:
            return node
        if name in FUNCTIONS or name in self.defined or (self.defining and name == self.defining.name):
            raise self._error(f"'{name}' is a function: call it as {name}(...)", tok.start())
        node = Value(CONSTANTS[name], (), "const", name)
        self.nodes.append(node)
        return node

    def call(self, name: Match[str], *rest: Any) -> Value:
        *args, _ = rest
        args = [a for a in args if a is not None]
        text = name_text(name)
        if text in self.defined:
            return self._call_defined(name, text, args)
        op = FUNCTIONS.get(text)
        if op is None and text in CONSTANTS:
            raise self._error(f"{quoted(text)} is a constant, not a function: to multiply, write {text}*(...)",
                              name.start())
        if op is None and text.lower() in _MATHS:  # never "did you mean 'tan'" for atan: another function
            instead = _INSTEAD.get(text.lower()) or f"the functions: {', '.join(FUNCTIONS)}"
            raise self._error(f"{quoted(text)} is not supported ({instead})", name.start())
        if op is None:
            error = self._not_a_function(text, name.start())
            if error is not None:
                raise error
            hint = did_you_mean(text, [*FUNCTIONS, *self.defined]) or f" (the functions: {', '.join(FUNCTIONS)})"
            raise self._error(f"unknown function {quoted(text)}{hint}", name.start())
        if len(args) not in op.arity:
            raise self._error(f"{text}() takes {op.takes()}, got {len(args)}", name.start())
        node = Value(0.0, tuple(args), op.name)
        self.nodes.append(node)
        self.kinked = self.kinked or op.kink is not None
        return node

    def _binary(op: str):  # type: ignore[misc]  # noqa: N805 - builds methods below
        def method(self: _GraphBuilder, left: Value, right: Value) -> Value:
            node = _new(Value)  # Value(0.0, (left, right), op), inline
            node.data = node.grad = 0.0
            node.children = (left, right)
            node.op = op
            node.label = ""
            node.needs_grad = left.needs_grad or right.needs_grad
            self.nodes.append(node)
            return node

        return method

    add = _binary("add")
    sub = _binary("sub")
    mul = _binary("mul")
    div = _binary("div")
    _pow = _binary("pow")

    def pow(self, base: Value, exponent: Value) -> Value:
        # Notes at 0**0 are looked for only where the exponent can vary (x**2 has none).
        self.kinked = self.kinked or exponent.op != "const" or exponent.needs_grad
        return self._pow(base, exponent)

    def neg(self, minus: Match[str], operand: Value) -> Value:
        if operand.op == "const" and not operand.needs_grad and operand.label[:1].isdigit() \
                and self.nodes and self.nodes[-1] is operand:  # -3 is the number -3, a leaf (b = -3)
            operand.data, operand.label = -operand.data, "-" + operand.label
            return operand
        node = Value(0.0, (operand,), "neg")
        self.nodes.append(node)
        return node

    def pos(self, plus: Match[str], operand: Value) -> Value:
        return operand

    def group(self, lpar: Match[str], inner: Value, rpar: Match[str]) -> Value:
        return inner

    def assign(self, name: Match[str], node: Value) -> tuple[str, Value]:
        label = name_text(name)
        if label in self.names:
            raise self._error(f"'{label}' is assigned twice", name.start())
        if label in self.variables:
            raise self._error(f"'{label}' is assigned after it is used", name.start())
        if label in CONSTANTS or label in FUNCTIONS:
            raise self._error(f"cannot assign to '{label}': it is a built-in name", name.start())
        if label in self.defined:
            raise self._error(f"cannot assign to '{label}': it is a function of the program", name.start())
        if node.children and not node.label:
            node.label = label
        # A named number has a gradient, as the lecture's a = Value(2.0): backward, traces,
        # --all and graphs reach it, and every node that uses it, as they reach a variable.
        node.needs_grad = True
        self.names[label] = self.special[label] = node
        self.statement_start = len(self.nodes)
        return label, node

    def start(self, *statements: Any) -> Expression:
        if not statements:
            raise self._error("empty expression", len(self.source))
        *init, last = statements
        if not all(isinstance(stmt, tuple) for stmt in init):
            raise _NeedsSpansError  # the message names the statement's position
        if last is DEFINED:
            raise self._error("the last statement defines a function: end with what to compute, as in "
                              f"{next(reversed(self.defined))}(...)", len(self.source))
        name, output = last if isinstance(last, tuple) else (None, last)
        return Expression(self.source, self.nodes, None, self.variables, self.names, output, name, self.kinked,
                          locate=spans_of, calls=self.calls)


class _Spanned:
    """A builder result with the source span it covers."""

    __slots__ = ("end", "start", "value")

    def __init__(self, value: Any, start: int, end: int) -> None:
        self.value, self.start, self.end = value, start, end


class _SpannedGraphBuilder(_GraphBuilder):
    """The same graph builder, keeping each node's source span (``spans[i]`` for
    ``nodes[i]``): run on a second parse, when a message needs positions."""

    positions = True

    def _reset(self, source: str) -> None:
        super()._reset(source)
        self.spans: list[tuple[int, int]] = []
        self.bodies: dict[str, list[tuple[int, int]]] = {}  # each definition's body's spans
        self.pending: list[tuple[int, int]] = []

    def _forget(self, start: int, header: Any) -> None:
        self.bodies[header.name] = self.spans[header.body_start:]
        del self.spans[start:]

    def call(self, name: Match[str], *rest: Any) -> Value:
        made = len(self.nodes)
        node = _GraphBuilder.call(self, name, *rest)
        text = name_text(name)
        if text in self.defined:  # a copy of a body: each node where the body has it
            self.pending = [self.bodies[body][k] for body, k in self.copied]  # the spans in the bodies written
            self.pending_at = made
        return node

    def start(self, *statements: _Spanned) -> Expression:
        for stmt in statements[:-1]:
            if not isinstance(stmt.value, tuple):
                raise self._error("only the last statement may be a bare expression; "
                                  "assign this one a name or remove it", stmt.start)
        expr = _GraphBuilder.start(self, *(s.value for s in statements))
        expr.spans = self.spans
        return expr


def _with_span(plain: Any) -> Any:
    def method(self: _SpannedGraphBuilder, *args: Any) -> _Spanned:
        present = [a for a in args if a is not None]
        start, end = _start(present[0]), _end(present[-1])
        made = len(self.nodes)
        value = plain(self, *(a.value if isinstance(a, _Spanned) else a for a in args))
        self.spans += [(start, end)] * (len(self.nodes) - len(self.spans))
        if self.pending:  # the nodes a call copied from a body: their spans are the body's
            self.spans[self.pending_at:self.pending_at + len(self.pending)] = self.pending
            self.pending = []
        if plain is _GraphBuilder.neg and len(self.nodes) == made:  # -3 folded into its number: its text is "-3"
            self.spans[-1] = (start, end)
        return _Spanned(value, start, end)

    return method


for _alias, _method in [*vars(Definitions).items(), *vars(_GraphBuilder).items()]:  # every alias but start
    if callable(_method) and not _alias.startswith("_") and _alias != "start":
        setattr(_SpannedGraphBuilder, _alias, _with_span(getattr(_SpannedGraphBuilder, _alias)))


_lock = allocate_lock()
_parser: LALR | None = None
_graph_builder = _GraphBuilder()
_spanned_graph_builder = _SpannedGraphBuilder()
_OPTIONS = {"parser": "lalr", "lexer": "basic"}
TABLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "expr_tables.json")


def _grammar_hash(grammar: str) -> str:
    # A freshness check, not a security one: zlib's CRC is enough, and hashlib
    # would add ~5 ms to every start.
    return f"{zlib.crc32(f'{grammar}{_OPTIONS}'.encode()):08x}"


def serialize_tables() -> dict[str, Any]:
    """Lark's analysis of the grammar (terminals, rules, LALR table) as JSON data."""
    from lark import Lark  # lazily: only stale tables need Lark (tens of ms)

    grammar = _grammar_text()
    spec = spec_from_lark(Lark(grammar, **_OPTIONS))
    spec["states"] = {str(k): v for k, v in spec["states"].items()}
    return {"grammar_checksum": _grammar_hash(grammar), **spec}


def _get_parser() -> LALR:
    # The tables are computed by Lark when the grammar changes (`python -m
    # autodiff_cli.core.parser`) and shipped as JSON: loading them takes a few
    # milliseconds, where importing Lark and analysing the grammar take tens.
    global _parser
    if _parser is None:
        grammar = _grammar_text()
        tables = {}
        if os.path.isfile(TABLES):
            with open(TABLES, encoding="utf-8") as f:
                tables = json.load(f)
        if tables.get("grammar_checksum") != _grammar_hash(grammar):
            tables = serialize_tables()  # missing or stale: let Lark analyse the grammar now
        _parser = LALR(tables, SCAN_FIRST)
    return _parser


SCAN_FIRST = ("NAME", "NUMBER", "_POW", "STAR", "PLUS", "MINUS", "LPAR", "RPAR", "SLASH")
"""The commonest terminals, tried first when scanning (25% faster than Lark's order).
Their first characters tell them apart, except ``**`` and ``*``: _POW stays ahead
of STAR. The differential tests against Lark check that tokens come out the same."""

def _run(text: str, builder: _GraphBuilder) -> Any:
    # The graph holds no reference cycles: a caller building millions of nodes
    # may pause the cyclic collector meanwhile, as the command line does.
    with _lock:
        parser = _get_parser()
        builder._reset(text)
        try:
            return parser.parse(text, builder, positions=builder.positions)
        except ParseError as exc:
            from .syntax import syntax_error  # lazily: only a syntax error needs its messages

            raise syntax_error(exc, text) from None
        finally:
            builder._reset("")


def parse(text: str) -> Expression:
    """Parse an expression (one or more statements) into an :class:`Expression`.

    Raises :class:`~autodiff_cli.base.errors.ExprSyntaxError` with line and column.
    """
    try:
        return _run(text, _graph_builder)
    except _NeedsSpansError:
        return _run(text, _spanned_graph_builder)  # raises the error, now with its position


def spans_of(text: str) -> list[tuple[int, int]]:
    """The source span of each node :func:`parse` makes from ``text``, in order."""
    return _run(text, _spanned_graph_builder).spans


if __name__ == "__main__":  # python -m autodiff_cli.core.parser: regenerate the shipped tables
    with open(TABLES, "w", encoding="utf-8") as out:
        out.write(json.dumps(serialize_tables(), separators=(",", ":")) + "\n")
    print(f"wrote {TABLES}")
