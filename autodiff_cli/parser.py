"""Text to graph: the Lark LALR parser with the graph builder inside it.

The builder is handed to the parser as its transformer, so each reduction
builds its node directly: no parse tree is made and nothing recurses, which is
what lets 100,000 nested parentheses parse. Every node is created after its
children, so creation order is already a topological order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .engine import Value
from .errors import ExprSyntaxError, did_you_mean
from .expression import Expression
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


class _ParenNewlines:
    """Post-lexer: newlines separate statements only outside parentheses, as in Python."""

    always_accept = ()

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        for tok in stream:
            if tok.type == "LPAR":
                depth += 1
            elif tok.type == "RPAR":
                depth -= 1
            elif tok.type == "_SEP" and depth > 0 and tok.value == "\n":
                continue
            yield tok


@v_args(inline=True)
class _Builder(Transformer):
    """Builds the graph as the parser reduces. One method per grammar alias."""

    def _reset(self, source: str) -> None:
        self.source = source
        self.nodes: list[Value] = []
        self.spans: list[tuple[int, int]] = []
        self.variables: dict[str, Value] = {}
        self.names: dict[str, Value] = {}
        self.statements: list[tuple[str | None, Spanned]] = []

    def _node(self, op: str, start: int, end: int, *children: Spanned) -> Spanned:
        node = Value(0.0, tuple(c[0] for c in children), op)
        self.nodes.append(node)
        self.spans.append((start, end))
        return node, start, end

    def _error(self, message: str, pos: int) -> ExprSyntaxError:
        return ExprSyntaxError(message, self.source, pos)

    def number(self, tok: Token) -> Spanned:
        node, start, end = self._node("const", tok.start_pos, tok.end_pos)
        node.data = float(tok)
        node.label = str(tok)
        return node, start, end

    def name(self, tok: Token) -> Spanned:
        name = str(tok)
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
        op = FUNCTIONS.get(str(name))
        if op is None:
            hint = did_you_mean(str(name), FUNCTIONS)
            raise self._error(f"unknown function '{name}'{hint}", name.start_pos)
        if len(args) != op.arity:
            want = "1 argument" if op.arity == 1 else f"{op.arity} arguments"
            raise self._error(f"{name}() takes {want}, got {len(args)}", name.start_pos)
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
        label = str(name)
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
_parser: Lark | None = None
_builder = _Builder()


_OPTIONS = {"parser": "lalr", "lexer": "basic", "maybe_placeholders": True}
TABLES = Path(__file__).resolve().parent / "expr_tables.json"


def _grammar_hash(grammar: str) -> str:
    import hashlib

    return hashlib.sha256(f"{grammar}{_OPTIONS}{lark.__version__}".encode()).hexdigest()


def serialize_tables() -> dict[str, Any]:
    """The analysed grammar (LALR tables, terminals, rules) as plain JSON data."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    grammar = _grammar_text()
    data, memo = Lark(grammar, **_OPTIONS).memo_serialize([TerminalDef, Rule])
    return {"grammar_sha256": _grammar_hash(grammar), "data": _int_keys(data), "memo": _int_keys(memo)}


def _int_keys(obj: Any, decode: bool = False) -> Any:
    """JSON turns integer keys into strings; the LALR tables need them back."""
    if isinstance(obj, dict):
        if decode and set(obj) == {"#int"}:
            return {int(k): _int_keys(v, decode) for k, v in obj["#int"]}
        if not decode and obj and all(isinstance(k, int) for k in obj):
            return {"#int": [[k, _int_keys(v)] for k, v in obj.items()]}
        return {k: _int_keys(v, decode) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_int_keys(v, decode) for v in obj]
    return obj


def _get_parser() -> Lark:
    # The LALR tables are computed once, when the grammar changes (see
    # `python -m autodiff_cli.parser`), and shipped as JSON: loading them is
    # several times faster than analysing the grammar on every run, and no
    # pickle is involved.
    global _parser
    if _parser is None:
        import json

        grammar = _grammar_text()
        tables = json.loads(TABLES.read_text(encoding="utf-8")) if TABLES.is_file() else {}
        if tables.get("grammar_sha256") == _grammar_hash(grammar):
            shipped = {"data": _int_keys(tables["data"], True), "memo": _int_keys(tables["memo"], True)}
            _parser = Lark.__new__(Lark)
            _parser._load(shipped, transformer=_builder, postlex=_ParenNewlines())
        else:  # tables missing or stale: analyse the grammar now
            _parser = Lark(grammar, **_OPTIONS, transformer=_builder, postlex=_ParenNewlines())
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


def _syntax_error(exc: UnexpectedInput, text: str) -> ExprSyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        what = f"unexpected character {char!r}" if char.isprintable() else f"unexpected character {char!a}"
        return ExprSyntaxError(what, text, exc.pos_in_stream)
    if isinstance(exc, UnexpectedEOF):
        return ExprSyntaxError("unexpected end of input", text, len(text))
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    pos = len(text) if tok.type == "$END" else (tok.start_pos or 0)
    expected = sorted({_TOKEN_NAMES.get(t, repr(t)) for t in exc.expected if not t.startswith("__")})
    hint = f"; expected {', '.join(expected[:5])}" if expected and len(expected) <= 5 else ""
    return ExprSyntaxError(f"unexpected {_describe_token(tok)}{hint}", text, pos)


def parse(text: str) -> Expression:
    """Parse an expression (one or more statements) into an :class:`Expression`.

    Raises :class:`~autodiff_cli.errors.ExprSyntaxError` with line and column.
    """
    with _lock:
        parser = _get_parser()
        _builder._reset(text)
        try:
            return parser.parse(text)
        except UnexpectedInput as exc:
            raise _syntax_error(exc, text) from None
        finally:
            _builder._reset("")


if __name__ == "__main__":  # python -m autodiff_cli.parser: regenerate the shipped tables
    import json

    TABLES.write_text(json.dumps(serialize_tables(), separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {TABLES}")
