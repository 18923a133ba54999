"""The shipped LALR tables and the driver that runs them, against Lark itself."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from autodiff_cli.core.lalr import LALR, ParseError, token_text
from autodiff_cli.core.parser import TABLES, _get_parser, _grammar_text, serialize_tables

from conftest import count, examples
from strategies import expressions


def test_shipped_tables_are_current():
    # Fails when grammars/expr.lark changed without `python -m autodiff_cli.core.parser`.
    # (Lark numbers its states differently from run to run: compare the grammar, then behaviour below.)
    with open(TABLES, encoding="utf-8") as f:
        shipped = json.load(f)
    fresh = serialize_tables()
    assert shipped["grammar_checksum"] == fresh["grammar_checksum"]
    assert shipped["terminals"] == fresh["terminals"] and shipped["rules"] == fresh["rules"]
    assert len(shipped["states"]) == len(fresh["states"])


class _ParenNewlines:
    """Lark's post-lexer form of the driver's rule: no statement break inside parentheses."""

    always_accept = ()

    def process(self, stream):
        depth = 0
        for tok in stream:
            depth += tok.type == "LPAR"
            depth -= tok.type == "RPAR"
            if not (tok.type == "_SEP" and depth > 0 and tok.value == "\n"):
                yield tok


class _Tree:
    """Builds nested tuples, so both parsers' results can be compared (a fixed
    string's token arrives as its span: the text is read back from the source)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def _token(self, c):
        if isinstance(c, re.Match):
            return token_text(c)
        return self.text[c[0]:c[1]] if isinstance(c, tuple) and len(c) == 2 and isinstance(c[0], int) else c

    def __getattr__(self, name):
        return lambda *children: (name, *[self._token(c) for c in children])


LARK = Lark(_grammar_text(), parser="lalr", lexer="basic", postlex=_ParenNewlines())


def _lark(text: str, positions: bool = True):
    carries = dict(zip(_get_parser().kinds, _get_parser().carries, strict=True))

    def walk(tree):
        if isinstance(tree, Token):
            return tree.value if positions or carries[tree.type] else None
        return (tree.data, *[walk(c) for c in tree.children if c is not None])

    try:
        return "ok", _flatten(walk(LARK.parse(text)))
    except UnexpectedInput as exc:
        at_end = getattr(getattr(exc, "token", None), "type", None) == "$END" or exc.pos_in_stream is None
        return "error", len(text) if at_end else exc.pos_in_stream


def _mine(text: str, positions: bool = True):
    parser: LALR = _get_parser()
    try:
        return "ok", _flatten(parser.parse(text, _Tree(text), positions))
    except ParseError as exc:
        return "error", exc.pos


def _flatten(tree):
    # Lark names the tree nodes of inlined ?rules by alias; both sides use the same names.
    return json.loads(json.dumps(tree))


def check_same(text: str) -> None:
    count("parses compared with Lark")
    assert _mine(text) == _lark(text), text
    # Without positions (the parser's fast mode), tokens that carry no text are None.
    assert _mine(text, positions=False) == _lark(text, positions=False), text


@settings(max_examples=examples(500), deadline=None)
@given(expressions)
def test_valid_expressions_parse_alike(text):
    check_same(text)
    check_same(f"t = {text}\nu = (t +\n 1); u*{text}")


@settings(max_examples=examples(1500), deadline=None)
@given(st.text(alphabet="xy12.e+-*/^()=,;#\n \tπ$", max_size=30))
def test_near_valid_text_fails_alike(text):
    check_same(text)


def test_name_is_exactly_python_identifiers_and_more():
    # The grammar's NAME is the one the rest of the program checks names with, and it
    # takes every string Python's str.isidentifier() takes: each start character alone,
    # each continuing character after an 'a'; the others only where \w takes them (x²).
    import sys

    from autodiff_cli.core.lalr import NAME_PATTERN

    name, word = re.compile(NAME_PATTERN), re.compile(r"[^\W\d]\w*")
    grammar = re.compile(dict(serialize_tables()["terminals"])["NAME"])  # Lark writes \uXXXX as the character
    for code in range(sys.maxunicode + 1):
        c = chr(code)
        assert bool(grammar.fullmatch(c)) == bool(name.fullmatch(c)), hex(code)
        assert bool(grammar.fullmatch("a" + c)) == bool(name.fullmatch("a" + c)), hex(code)
        assert bool(name.fullmatch(c)) == (c.isidentifier() or bool(word.fullmatch(c))), hex(code)
        assert bool(name.fullmatch("a" + c)) == (("a" + c).isidentifier() or bool(word.fullmatch("a" + c))), hex(code)
