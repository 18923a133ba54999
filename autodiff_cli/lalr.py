"""A small LALR(1) driver for the tables Lark computes from ``grammars/expr.lark``.

Lark analyses the grammar (once, when it changes: ``python -m autodiff_cli.parser``)
into plain data — the terminals in its lexer's order, the rules, the parse
table — shipped as JSON. This module runs those tables with the same semantics
as Lark's LALR parser with an inline transformer (tokens filtered, ``?rules``
with one child inlined, ``_rules`` spliced into their parent), in a loop tight
enough for million-token expressions, and without importing Lark at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

SHIFT, REDUCE = 0, 1
KEEP, DROP, SPLICE = 0, 1, 2  # what a rule does with each child


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
    from lark.parsers.lalr_analysis import Shift

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
        rules.append({"origin": rule.origin.name, "kinds": kinds, "name": rule.alias or rule.origin.name,
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

    def __init__(self, spec: dict[str, Any]) -> None:
        self.regex = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in spec["terminals"]))
        self.ignore = frozenset(spec["ignore"])
        self.rules = [(r["origin"], len(r["kinds"]), r["kinds"], r["name"], r["expand1"], r["inline"],
                       all(k == KEEP for k in r["kinds"])) for r in spec["rules"]]
        # Unit rules (sum: product, product: unary, ...) pass their one child up
        # unchanged; most reductions are these, so they get a short path.
        self.unit = [r[1] == 1 and r[4] and r[6] for r in self.rules]
        self.states = {int(s): {sym: tuple(a) for sym, a in actions.items()} for s, actions in spec["states"].items()}
        self.start, self.end = spec["start"], spec["end"]

    def tokens(self, text: str) -> Iterator[Token]:
        """The tokens, lazily. The post-lexer step is built in: a newline inside
        parentheses (``LPAR``/``RPAR``) separates nothing and is dropped, as in Python."""
        ignore = self.ignore
        pos, depth = 0, 0
        for m in self.regex.finditer(text):  # C-level scanning; a gap is a bad character
            start, stop = m.span()
            if start != pos:
                raise ParseError(pos, None, set())
            pos = stop
            kind = m.lastgroup
            if kind in ignore:
                continue
            if kind == "LPAR":
                depth += 1
            elif kind == "RPAR":
                depth -= 1
            elif depth > 0 and kind == "_SEP" and text[start] == "\n":
                continue
            yield Token(kind, m.group(), start, stop)
        if pos != len(text):
            raise ParseError(pos, None, set())

    def parse(self, tokens: Iterable[Token], builder: Any, length: int) -> Any:
        """Run the tables over ``tokens`` (read lazily, so the first error in
        reading order is the one reported), reducing with ``builder``'s methods."""
        states, rules, unit, end = self.states, self.rules, self.unit, self.end
        methods = {r[3]: getattr(builder, r[3], None) for r in rules}
        state_stack = [self.start]
        values: list[Any] = []
        end_token = Token("$END", "", length, length)
        for token in chain(tokens, (end_token,)):
            kind = token.type
            while True:
                actions = states[state_stack[-1]]
                step = actions.get(kind)
                if step is None:
                    raise ParseError(token.start_pos, token, {s for s in actions if s.isupper()})
                if step[0] == SHIFT:
                    state_stack.append(step[1])
                    values.append(token)
                    break
                if unit[step[1]]:
                    state_stack[-1] = states[state_stack[-2]][rules[step[1]][0]][1]
                    if kind == "$END" and state_stack[-1] == end:
                        return values[-1]
                    continue
                origin, size, kinds, name, expand1, inline, keep_all = rules[step[1]]
                if size:
                    args = values[-size:]
                    del values[-size:]
                    del state_stack[-size:]
                else:
                    args = []
                if not keep_all:
                    children = []
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
                    value = args
                elif expand1 and len(args) == 1:
                    value = args[0]
                else:
                    value = methods[name](*args)
                state_stack.append(states[state_stack[-1]][origin][1])
                values.append(value)
                if kind == "$END" and state_stack[-1] == self.end:
                    return values[-1]
        raise ParseError(length, end_token, set())  # pragma: no cover - the table accepts or raises above
