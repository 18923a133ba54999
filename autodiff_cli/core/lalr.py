"""A small LALR(1) driver for the tables Lark computes from ``grammars/expr.lark``.

Lark analyses the grammar (once, when it changes: ``python -m autodiff_cli.core.parser``)
into plain data — the terminals in its lexer's order, the rules, the parse
table — shipped as JSON. This module runs those tables with the same semantics
as Lark's LALR parser with an inline transformer (tokens filtered, ``?rules``
with one child inlined, ``_rules`` spliced into their parent), in a loop tight
enough for million-token expressions, and without importing Lark at start-up.
"""

from __future__ import annotations

import re
from itertools import chain

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from typing import Any
SHIFT, REDUCE = 0, 1
KEEP, DROP, SPLICE = 0, 1, 2  # what a rule does with each child
GENERAL, UNIT, BINARY, SINGLE = 0, 1, 2, 3  # how a rule reduces (LALR.shape)
BAD, IGNORED, LPAR, RPAR, _SEP = -2, -1, 0, 1, 2  # token kinds the scanner handles itself


class Token:
    """A token: its terminal name, text and source span."""

    __slots__ = ("end_pos", "start_pos", "type", "value")

    def __init__(self, type_: str, value: str, start: int, end: int) -> None:
        self.type, self.value, self.start_pos, self.end_pos = type_, value, start, end

    def __repr__(self) -> str:
        return f"Token({self.type}, {self.value!r})"


class ParseError(Exception):
    """Unexpected input at ``pos``: an unknown character (``token`` is None) or a token
    the grammar does not allow there (``expected``: the terminals it would)."""

    def __init__(self, pos: int, token: Token | None, expected: set[str]) -> None:
        super().__init__(pos)
        self.pos, self.token, self.expected = pos, token, expected


def spec_from_lark(parser: Any) -> dict[str, Any]:
    """Extract the driver's tables from a ``Lark(..., parser="lalr", lexer="basic")``."""
    from lark.parsers.lalr_analysis import Shift  # lazily: only regenerating the tables imports Lark (tens of ms)

    lexer = parser.parser.lexer
    terminals = [[t.name, t.pattern.to_regexp()] for t in lexer.terminals]
    rules = []
    index = {}
    for k, rule in enumerate(parser.rules):
        index[rule] = k
        kinds = []
        for sym in rule.expansion:
            if sym.is_term:
                kinds.append(DROP if (sym.filter_out or sym.name.startswith("_")) and
                             not rule.options.keep_all_tokens else KEEP)
            else:
                kinds.append(SPLICE if sym.name.startswith("_") else KEEP)
        rules.append({"origin": rule.origin.name, "symbols": [sym.name for sym in rule.expansion], "kinds": kinds,
                      "name": rule.alias or rule.origin.name,
                      "expand1": bool(rule.options.expand1 and not rule.alias),
                      "inline": rule.origin.name.startswith("_")})
    table = parser.parser.parser.parser.parse_table
    states = {state: {sym: [SHIFT, arg] if action is Shift else [REDUCE, index[arg]]
                      for sym, (action, arg) in actions.items()}
              for state, actions in table.states.items()}
    return {"terminals": terminals, "ignore": sorted(lexer.ignore_types), "rules": rules, "states": states,
            "start": table.start_states["start"], "end": table.end_states["start"]}


class LALR:
    """Runs a spec from :func:`spec_from_lark` with a builder object whose
    methods are named after the grammar's rules and aliases."""

    def __init__(self, spec: dict[str, Any], scan_first: tuple[str, ...] = ()) -> None:
        # Kinds 0-2 are the tokens the scanner itself looks at (LPAR, RPAR, _SEP),
        # so that one comparison passes every other token straight to the table.
        special = ["LPAR", "RPAR", "_SEP"]
        self.kinds = [*special, *(name for name, _ in spec["terminals"] if name not in special), "$END"]
        kind = {name: k for k, name in enumerate(self.kinds)}
        # One match per token: the blanks after a token are part of its match
        # (a token of their own would double the matches). The blank terminal
        # stays among the alternatives, for blanks at the very start; the last
        # alternative takes any other character, so no character is skipped.
        # ``scan_first``: terminals to try before the others, in that order (the
        # commonest first; only for terminals that never match at the same place
        # as one they move ahead of, which Lark's order would otherwise settle).
        terminals = sorted(spec["terminals"], key=lambda t: scan_first.index(t[0]) if t[0] in scan_first
                           else len(scan_first))
        self.regex = re.compile("(?:" + "|".join(f"(?P<{name}>{pattern})" for name, pattern in terminals)
                                + ")[ \t\f\r]*|(?P<__BAD>[\\s\\S])")
        # m.lastindex (the terminal's own group) -> kind; IGNORED or BAD below 0.
        self.group_kind = [IGNORED] * (self.regex.groups + 1)
        for name, group in self.regex.groupindex.items():
            self.group_kind[group] = BAD if name == "__BAD" else IGNORED if name in spec["ignore"] else kind[name]
        self.end_kind = kind["$END"]
        # Tokens whose text a builder receives: kept by some rule and not a fixed
        # string (a NAME, not a "("); the others reach it as positions or None.
        kept = {name for r in spec["rules"] for name, how in zip(r["symbols"], r["kinds"], strict=True) if how == KEEP}
        literal = re.compile(r"(?:\\.|[^\\\[\](){}.*+?^$|])+")
        self.carries = [True] * len(self.kinds)
        for name, pattern in spec["terminals"]:
            self.carries[kind[name]] = name in kept and not literal.fullmatch(pattern)
        origins = {name: k for k, name in enumerate(sorted({r["origin"] for r in spec["rules"]}))}
        self.rules = [(origins[r["origin"]], len(r["kinds"]), r["kinds"], r["name"], r["expand1"], r["inline"],
                       all(k == KEEP for k in r["kinds"])) for r in spec["rules"]]
        self.origin_of = [r[0] for r in self.rules]
        # How each rule reduces: a unit rule (sum: product) only changes the
        # state; a binary rule (a "+" b) calls its method with two operands, a
        # single one (NUMBER -> number) with one; the rest go the general way.
        self.shape = [UNIT if r[1] == 1 and r[4] and r[6] else BINARY if r[2] == [KEEP, DROP, KEEP] and not r[5]
                      else SINGLE if r[1] == 1 and r[6] and not r[4] and not r[5] else GENERAL for r in self.rules]
        # Actions: one list per state, indexed by kind; n >= 0 shifts to state n,
        # n < 0 reduces rule ~n, and ~len(rules) is a syntax error.
        self.error = ~len(self.rules)
        n_states = 1 + max(int(s) for s in spec["states"])
        self.actions = [[self.error] * len(self.kinds) for _ in range(n_states)]
        goto = [[-1] * len(origins) for _ in range(n_states)]
        for s, acts in spec["states"].items():
            for sym, (what, arg) in acts.items():
                if sym in kind:
                    self.actions[int(s)][kind[sym]] = arg if what == SHIFT else ~arg
                else:
                    goto[int(s)][origins[sym]] = arg
        self.start, self.end = spec["start"], spec["end"]
        for r, origin in enumerate(self.origin_of):  # the start rules reduce the general way, which accepts
            if goto[self.start][origin] == self.end:
                self.shape[r] = GENERAL
        # The state after reducing to a nonterminal, with lookahead k: the goto,
        # followed through the unit reductions it leads to (product -> sum ->
        # statement), which are most reductions and need no work of their own.
        # (Most gotos do not exist: their rows are one shared row of -1.)
        none = [-1] * len(self.kinds)
        self.after = [[[self._follow(goto, b, o, k) for k in range(len(self.kinds))] if goto[b][o] >= 0 else none
                       for o in range(len(origins))] for b in range(n_states)]

    def _follow(self, goto: list[list[int]], below: int, origin: int, k: int) -> int:
        state = goto[below][origin]
        while state >= 0:
            a = self.actions[state][k]
            if a >= 0 or a == self.error or self.shape[~a] != UNIT:
                break
            state = goto[below][self.origin_of[~a]]
        return state

    def parse(self, text: str, builder: Any, positions: bool = True) -> Any:
        """Scan and parse ``text`` in one pass, reducing with ``builder``'s methods.

        Tokens reach the builder as ``re.Match`` objects (:func:`token_text`,
        ``m.start()``, :func:`token_end`). A newline inside parentheses separates
        nothing and is dropped, as in Python. Tokens that carry no text (``(``,
        ``-``) reach the builder as their ``(start, end)``, or without
        ``positions`` as None: a match object is large, and a million open
        parentheses wait on the stack.
        """
        actions, after, rules, shape, origin_of = self.actions, self.after, self.rules, self.shape, self.origin_of
        group_kind, end_kind = self.group_kind, self.end_kind
        error, end = self.error, self.end
        methods = [getattr(builder, r[3], None) for r in rules]
        carries = self.carries
        stack = [self.start]
        values: list[Any] = []
        push, keep = stack.append, values.append
        depth = 0
        for m in chain(self.regex.finditer(text), (None,)):
            if m is None:
                k = end_kind
            else:
                k = group_kind[m.lastindex]
                if k <= _SEP:  # parentheses, separators, blanks: rarer than names and operators
                    if k == LPAR:
                        depth += 1
                    elif k == RPAR:
                        depth -= 1
                    elif _dropped(k, depth, m, text):
                        continue
            while True:
                a = actions[stack[-1]][k]
                if a >= 0:
                    push(a)
                    # A fixed string's position is all it says (and without positions, nothing).
                    keep(m if carries[k] else m.span(m.lastindex) if positions else None)
                    break
                if a == error:
                    raise self._unexpected(m, stack[-1], len(text))
                r = ~a
                how = shape[r]
                if how == BINARY:
                    value = methods[r](values[-3], values[-1])
                    del values[-2:], stack[-3:]
                    values[-1] = value
                    push(after[stack[-1]][origin_of[r]][k])
                    continue
                if how == SINGLE:
                    values[-1] = methods[r](values[-1])
                    stack[-1] = after[stack[-2]][origin_of[r]][k]
                    continue
                origin = rules[r][0]
                if how == UNIT:  # a ?rule over one token, right after its shift (after a goto, `after` did it)
                    stack[-1] = after[stack[-2]][origin][k]
                    continue
                value = _reduce(rules[r], methods[r], stack, values)
                stack.append(after[stack[-1]][origin][k])
                values.append(value)
                if k == end_kind and stack[-1] == end:
                    return value
        raise AssertionError("unreachable: the table accepts or raises at the end")  # pragma: no cover

    def _unexpected(self, m: re.Match[str] | None, state: int, length: int) -> ParseError:
        expected = {kind for kind, a in zip(self.kinds, self.actions[state], strict=True) if a != self.error}
        if m is None:
            return ParseError(length, Token("$END", "", length, length), expected)
        token = Token(self.kinds[self.group_kind[m.lastindex]], token_text(m), m.start(), token_end(m))
        return ParseError(token.start_pos, token, expected)


def _dropped(k: int, depth: int, m: re.Match[str], text: str) -> bool:
    """Whether a separating token separates nothing: a newline inside parentheses (as in Python), and blanks."""
    if k == _SEP:
        return depth > 0 and text[m.start()] == "\n"
    if k == IGNORED:
        return True
    raise ParseError(m.start(), None, set())


def _reduce(rule: tuple[Any, ...], method: Any, stack: list[int], values: list[Any]) -> Any:
    """A reduction the general way (statements, calls, argument lists): its operands popped, kept or spliced."""
    _, size, kinds, _, expand1, inline, keep_all = rule
    if size:
        args = values[-size:]
        del values[-size:], stack[-size:]
    else:
        args = []
    if not keep_all:
        children: list[Any] = []
        for value, how in zip(args, kinds, strict=True):
            if how == KEEP:
                children.append(value)
            elif how == SPLICE:
                if children:
                    children.extend(value)
                else:  # left recursion (a, b, c, ...): grow the list, do not copy it
                    children = value
        args = children
    if inline:
        return args
    if expand1 and len(args) == 1:
        return args[0]
    return method(*args)


def token_text(m: re.Match[str]) -> str:
    """A token's text (its match also holds the blanks after it)."""
    return m[m.lastindex]  # type: ignore[index]


def token_end(m: re.Match[str]) -> int:
    """Where a token ends (before the blanks after it)."""
    return m.end(m.lastindex)  # type: ignore[arg-type]


def plain_name(name: str) -> str:
    """A name as the language means it: NFKC-normalised, as Python's identifiers are
    (``ﬁ`` is ``fi``, ``ℯ`` is ``e``, a full-width ``ｘ`` is ``x``), so that two names that
    read alike are one variable. Characters no Python name may hold (``²`` in ``x²``,
    which the language takes as written) are kept as they are: ``x²`` is not ``x2``.
    ASCII names, nearly all of them, are returned at once."""
    if name.isascii():
        return name
    from unicodedata import normalize  # lazily: only a name beyond ASCII is normalised

    # NFKD of each character Python allows, then NFC of the whole: NFKC of those characters
    # (composition may join neighbours), the others untouched.
    plain = normalize("NFC", "".join(normalize("NFKD", c) if f"_{c}".isidentifier() else c for c in name))
    return plain if _NAME.fullmatch(plain) else name  # never a name that is no name (an Arabic ligature has spaces)


_NAME = re.compile(r"[^\W\d]\w*")  # the grammar's NAME


def name_text(m: re.Match[str]) -> str:
    """A NAME token's text as the name it stands for (:func:`plain_name`); its
    position is still the one in the text as written, for a caret."""
    text: str = m[m.lastindex]  # type: ignore[index]
    return text if text.isascii() else plain_name(text)
