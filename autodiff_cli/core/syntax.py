"""What a syntax error says: the token or character found where the grammar has no
place for it, what was expected, and a hint where a person wrote something the
language spells another way (``2x`` for ``2*x``, ``|x|`` for ``abs(x)``, ``−`` for ``-``)."""

from __future__ import annotations

import re
import sys

from ..base.errors import ExprSyntaxError, escaped, shortened
from .lalr import ParseError, Token

_TOKEN_NAMES = {
    "NUMBER": "a number", "NAME": "a name", "LPAR": "'('", "RPAR": "')'", "MINUS": "'-'",
    "PLUS": "'+'", "_SEP": "';', a newline", "_POW": "'**'", "$END": "the end",
    "COMMA": "','", "STAR": "'*'", "SLASH": "'/'", "EQUAL": "'='",  # Lark's names for the grammar's literals
}


def _describe_token(tok: Token) -> str:
    if tok.type == "$END":
        return "end of input"
    if tok.type == "_SEP":
        return "newline" if tok.value == "\n" else "';'"
    value = shortened(tok.value, 23)  # 20 characters and the mark, or the whole token if that long
    return f"'{value}'"


def syntax_error(exc: ParseError, text: str) -> ExprSyntaxError:
    if exc.token is None:
        char = text[exc.pos] if exc.pos < len(text) else ""
        return ExprSyntaxError(_unexpected(char), text, exc.pos)
    tok = exc.token
    expected = sorted({_TOKEN_NAMES.get(t, repr(t)) for t in exc.expected if not t.startswith("__")})
    items = ", ".join(expected).rsplit(", ", 1)  # "'+', '-', ';', a newline or the end"
    hint = f"; expected {' or '.join(items)}" if expected and len(expected) <= 5 else ""
    number = _NUMBER_BEFORE.search(text, 0, exc.pos) if tok.type in ("NAME", "LPAR") else None
    if number:  # 2x, 3 sin(x), 2(x + 1): a product written as on paper
        hint = f"; to multiply, write {number[0].rstrip()}*{tok.value}"
    return ExprSyntaxError(f"unexpected {_describe_token(tok)}{hint}", text, exc.pos)


_NUMBER_BEFORE = re.compile(r"(?<![\w.])(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[ \t]*\Z")
"""A number right before a position: what ``2x`` has before its ``x``."""


def _unexpected(char: str) -> str:
    """What a character the language has no place for is: ``'$'``, ``'\\x1b'``,
    a sign drawn like one of the language's, named (``'−' (U+2212 MINUS SIGN;
    did you mean '-'?)``), or a byte that was not text at all (a command line
    read as UTF-8, its other bytes kept as Python's surrogate escapes)."""
    import unicodedata  # lazily: only a syntax error names the character

    if "\udc80" <= char <= "\udcff":
        encoding = sys.getfilesystemencoding().upper().replace("UTF8", "UTF-8")
        return f"unexpected byte 0x{ord(char) - 0xDC00:02x} (not {encoding} text)"
    # A combining accent is shown escaped: on its own it would sit on the quote.
    shown = char if char.isprintable() and unicodedata.category(char) not in ("Mn", "Me") else escaped(char)
    if char == "|":
        return "unexpected character '|' (for an absolute value, write abs(x))"
    if char.isascii():
        return f"unexpected character {shown!r}" if shown == char else f"unexpected character '{shown}'"
    plain = _PLAIN.get(char) or unicodedata.normalize("NFKC", char)
    hint = f"; did you mean '{plain}'?" if plain != char and plain.isascii() and plain.isprintable() else ""
    return f"unexpected character '{shown}' (U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}{hint})"


_PLAIN = {"−": "-", "–": "-", "—": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/", "∕": "/"}
