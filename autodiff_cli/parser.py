"""Text to graph: Lark's LALR tables for ``grammars/expr.lark`` with the graph
builder inside the parser.

The builder is the parser's transformer: each reduction builds its node
directly, so no parse tree is made and nothing recurses, which is what lets
100,000 nested parentheses parse. Every node is created after its children,
so creation order is already a topological order. The tables are Lark's
analysis of the grammar, shipped as JSON and run by :mod:`autodiff_cli.lalr`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from .engine import Value
from .errors import ExprSyntaxError, did_you_mean
from .expression import Expression
from .lalr import LALR, ParseError, Token, spec_from_lark
from .ops import CONSTANTS, FUNCTIONS

Spanned = tuple[Value, int, int]  # a node and the source span of this occurrence


def _grammar_text() -> str:
    # Installed: the grammar ships inside the package; source checkout: the
    # repository's grammars/; a zipped wheel: through importlib.resources.
    here = Path(__file__).resolve().parent
    for path in (here / "grammars" / "expr.lark", here.parent / "grammars" / "expr.lark"):
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files(__package__).joinpath("grammars", "expr.lark").read_text(encoding="utf-8")


class _Builder:
    """Builds the graph as the parser reduces. One method per grammar alias."""

    def _reset(self, source: str) -> None:
        self.source = source
        self.nodes: list[Value] = []
        self.spans: list[tuple[int, int]] = []
        self.variables: dict[str, Value] = {}
        self.names: dict[str, Value] = {}

    def _node(self, op: str, start: int, end: int, *children: Spanned) -> Spanned:
        node = Value.made(tuple([c[0] for c in children]), op)
        self.nodes.append(node)
        self.spans.append((start, end))
        return node, start, end

    def _error(self, message: str, pos: int) -> ExprSyntaxError:
        return ExprSyntaxError(message, self.source, pos)

    def number(self, tok: Token) -> Spanned:
        node, start, end = self._node("const", tok.start_pos, tok.end_pos)
        node.data = float(tok.value)
        node.label = tok.value
        return node, start, end

    def name(self, tok: Token) -> Spanned:
        name = tok.value
        node = self.names.get(name) or self.variables.get(name)
        if node is None:
            if name in CONSTANTS:
                node = self._node("const", tok.start_pos, tok.end_pos)[0]
                node.data, node.label = CONSTANTS[name], name
                return node, tok.start_pos, tok.end_pos
            if name in FUNCTIONS:
                raise self._error(f"'{name}' is a function: call it as {name}(...)", tok.start_pos)
            node = Value(0.0, (), "var", name)
            self.variables[name] = node
            self.nodes.append(node)
            self.spans.append((tok.start_pos, tok.end_pos))
        return node, tok.start_pos, tok.end_pos

    def call(self, name: Token, *rest: Any) -> Spanned:
        *args, rpar = rest
        args = [a for a in args if a is not None]
        op = FUNCTIONS.get(name.value)
        if op is None:
            hint = did_you_mean(name.value, FUNCTIONS)
            raise self._error(f"unknown function '{name.value}'{hint}", name.start_pos)
        if len(args) != op.arity:
            want = "1 argument" if op.arity == 1 else f"{op.arity} arguments"
            raise self._error(f"{name.value}() takes {want}, got {len(args)}", name.start_pos)
        return self._node(op.name, name.start_pos, rpar.end_pos, *args)

    def _binary(op: str):  # type: ignore[misc]  # noqa: N805 - builds methods below
        def method(self: _Builder, left: Spanned, right: Spanned) -> Spanned:
            return self._node(op, left[1], right[2], left, right)

        return method

    add = _binary("add")
    sub = _binary("sub")
    mul = _binary("mul")
    div = _binary("div")
    pow = _binary("pow")

    def neg(self, minus: Token, operand: Spanned) -> Spanned:
        return self._node("neg", minus.start_pos, operand[2], operand)

    def pos(self, plus: Token, operand: Spanned) -> Spanned:
        return operand[0], plus.start_pos, operand[2]

    def group(self, lpar: Token, inner: Spanned, rpar: Token) -> Spanned:
        return inner[0], lpar.start_pos, rpar.end_pos

    def assign(self, name: Token, value: Spanned) -> tuple[str, Spanned]:
        label = name.value
        if label in self.names:
            raise self._error(f"'{label}' is assigned twice", name.start_pos)
        if label in self.variables:
            raise self._error(f"'{label}' is assigned after it is used", name.start_pos)
        if label in CONSTANTS or label in FUNCTIONS:
            raise self._error(f"cannot assign to '{label}': it is a built-in name", name.start_pos)
        node = value[0]
        if node.children and not node.label:
            node.label = label
        self.names[label] = node
        return label, value

    def start(self, *statements: Any) -> Expression:
        if not statements:
            raise self._error("empty expression", len(self.source))
        *init, last = statements
        for stmt in init:
            if not (isinstance(stmt, tuple) and isinstance(stmt[0], str)):
                _, start, _ = stmt
                raise self._error("only the last statement may be a bare expression; "
                                  "assign this one a name or remove it", start)
        name, (output, _, _) = last if isinstance(last[0], str) else (None, last)
        return Expression(self.source, self.nodes, self.spans, self.variables, self.names, output, name)


_lock = threading.Lock()
_parser: LALR | None = None
_builder = _Builder()
_OPTIONS = {"parser": "lalr", "lexer": "basic"}
TABLES = Path(__file__).resolve().parent / "expr_tables.json"


def _grammar_hash(grammar: str) -> str:
    # A freshness check, not a security one: zlib's CRC is enough, and hashlib
    # would add ~5 ms to every start.
    import zlib

    return f"{zlib.crc32(f'{grammar}{_OPTIONS}'.encode()):08x}"


def serialize_tables() -> dict[str, Any]:
    """Lark's analysis of the grammar (terminals, rules, LALR table) as JSON data."""
    from lark import Lark

    grammar = _grammar_text()
    spec = spec_from_lark(Lark(grammar, **_OPTIONS))
    spec["states"] = {str(k): v for k, v in spec["states"].items()}
    return {"grammar_checksum": _grammar_hash(grammar), **spec}


def _get_parser() -> LALR:
    # The tables are computed by Lark when the grammar changes (`python -m
    # autodiff_cli.parser`) and shipped as JSON: loading them takes a few
    # milliseconds, where importing Lark and analysing the grammar take tens.
    global _parser
    if _parser is None:
        import json

        grammar = _grammar_text()
        tables = json.loads(TABLES.read_text(encoding="utf-8")) if TABLES.is_file() else {}
        if tables.get("grammar_checksum") != _grammar_hash(grammar):
            tables = serialize_tables()  # missing or stale: let Lark analyse the grammar now
        _parser = LALR(tables)
    return _parser


_TOKEN_NAMES = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "MINUS": "'-'",
    "PLUS": "'+'", "_SEP": "';' or a newline", "_POW": "'**'", "$END": "the end",
}


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of input"
    if tok.type == "_SEP":
        return "newline" if tok.value == "\n" else "';'"
    value = tok.value if len(tok.value) <= 20 else tok.value[:20] + "..."
    return f"'{value}'"


def _syntax_error(exc: ParseError, text: str) -> ExprSyntaxError:
    if exc.token is None:
        char = text[exc.pos] if exc.pos < len(text) else ""
        what = f"unexpected character {char!r}" if char.isprintable() else f"unexpected character {char!a}"
        return ExprSyntaxError(what, text, exc.pos)
    tok = exc.token
    expected = sorted({_TOKEN_NAMES.get(t, repr(t)) for t in exc.expected if not t.startswith("__")})
    hint = f"; expected {', '.join(expected[:5])}" if expected and len(expected) <= 5 else ""
    return ExprSyntaxError(f"unexpected {_describe_token(tok)}{hint}", text, exc.pos)


def parse(text: str) -> Expression:
    """Parse an expression (one or more statements) into an :class:`Expression`.

    Raises :class:`~autodiff_cli.errors.ExprSyntaxError` with line and column.
    """
    import gc

    with _lock:
        parser = _get_parser()
        _builder._reset(text)
        # The graph holds no reference cycles; the cyclic collector would only
        # rescan millions of young nodes again and again (super-linear time).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return parser.parse(parser.tokens(text), _builder, len(text))
        except ParseError as exc:
            raise _syntax_error(exc, text) from None
        finally:
            if collecting:
                gc.enable()
            _builder._reset("")


if __name__ == "__main__":  # python -m autodiff_cli.parser: regenerate the shipped tables
    import json

    TABLES.write_text(json.dumps(serialize_tables(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {TABLES}")
