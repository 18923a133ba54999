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


# The grammar's NAME (grammars/expr.lark; a test keeps them one): what Python's
# str.isidentifier() accepts, and \w beyond that (x²). The long class lists each
# character Python continues an identifier with that \w misses (combining marks,
# connector punctuation, U+00B7 ...), tried only for a non-ASCII character (an
# ASCII "*" would be compared with all its ranges); the second start class, Other_ID_Start.
NAME_PATTERN = (
    r"(?:[^\W\d]|[\u1885\u1886\u2118\u212e])\w*(?:(?=[^\x00-\x7f])[\u00b7\u0300-\u036f\u0387\u0483-\u0487"
    r"\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc"
    r"\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u0711\u0730-\u074a\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-"
    r"\u0819\u081b-\u0823\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0898-\u089f\u08ca-\u08e1\u08e3-\u0903"
    r"\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962\u0963\u0981-\u0983\u09bc\u09be-\u09c4\u09c7\u09c8"
    r"\u09cb-\u09cd\u09d7\u09e2\u09e3\u09fe\u0a01-\u0a03\u0a3c\u0a3e-\u0a42\u0a47\u0a48\u0a4b-\u0a4d\u0a51"
    r"\u0a70\u0a71\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0ac5\u0ac7-\u0ac9\u0acb-\u0acd\u0ae2\u0ae3\u0afa-"
    r"\u0aff\u0b01-\u0b03\u0b3c\u0b3e-\u0b44\u0b47\u0b48\u0b4b-\u0b4d\u0b55-\u0b57\u0b62\u0b63\u0b82"
    r"\u0bbe-\u0bc2\u0bc6-\u0bc8\u0bca-\u0bcd\u0bd7\u0c00-\u0c04\u0c3c\u0c3e-\u0c44\u0c46-\u0c48\u0c4a-"
    r"\u0c4d\u0c55\u0c56\u0c62\u0c63\u0c81-\u0c83\u0cbc\u0cbe-\u0cc4\u0cc6-\u0cc8\u0cca-\u0ccd\u0cd5\u0cd6"
    r"\u0ce2\u0ce3\u0d00-\u0d03\u0d3b\u0d3c\u0d3e-\u0d44\u0d46-\u0d48\u0d4a-\u0d4d\u0d57\u0d62\u0d63"
    r"\u0d81-\u0d83\u0dca\u0dcf-\u0dd4\u0dd6\u0dd8-\u0ddf\u0df2\u0df3\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"
    r"\u0eb1\u0eb4-\u0ebc\u0ec8-\u0ecd\u0f18\u0f19\u0f35\u0f37\u0f39\u0f3e\u0f3f\u0f71-\u0f84\u0f86\u0f87"
    r"\u0f8d-\u0f97\u0f99-\u0fbc\u0fc6\u102b-\u103e\u1056-\u1059\u105e-\u1060\u1062-\u1064\u1067-\u106d"
    r"\u1071-\u1074\u1082-\u108d\u108f\u109a-\u109d\u135d-\u135f\u1712-\u1715\u1732-\u1734\u1752\u1753"
    r"\u1772\u1773\u17b4-\u17d3\u17dd\u180b-\u180d\u180f\u1885\u1886\u18a9\u1920-\u192b\u1930-\u193b"
    r"\u1a17-\u1a1b\u1a55-\u1a5e\u1a60-\u1a7c\u1a7f\u1ab0-\u1abd\u1abf-\u1ace\u1b00-\u1b04\u1b34-\u1b44"
    r"\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad\u1be6-\u1bf3\u1c24-\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce8\u1ced"
    r"\u1cf4\u1cf7-\u1cf9\u1dc0-\u1dff\u203f\u2040\u2054\u20d0-\u20dc\u20e1\u20e5-\u20f0\u2118\u212e"
    r"\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099\u309a\ua66f\ua674-\ua67d\ua69e\ua69f\ua6f0\ua6f1"
    r"\ua802\ua806\ua80b\ua823-\ua827\ua82c\ua880\ua881\ua8b4-\ua8c5\ua8e0-\ua8f1\ua8ff\ua926-\ua92d"
    r"\ua947-\ua953\ua980-\ua983\ua9b3-\ua9c0\ua9e5\uaa29-\uaa36\uaa43\uaa4c\uaa4d\uaa7b-\uaa7d\uaab0"
    r"\uaab2-\uaab4\uaab7\uaab8\uaabe\uaabf\uaac1\uaaeb-\uaaef\uaaf5\uaaf6\uabe3-\uabea\uabec\uabed\ufb1e"
    r"\ufe00-\ufe0f\ufe20-\ufe2f\ufe33\ufe34\ufe4d-\ufe4f\uff3f\U000101fd\U000102e0\U00010376-\U0001037a"
    r"\U00010a01-\U00010a03\U00010a05\U00010a06\U00010a0c-\U00010a0f\U00010a38-\U00010a3a\U00010a3f"
    r"\U00010ae5\U00010ae6\U00010d24-\U00010d27\U00010eab\U00010eac\U00010f46-\U00010f50\U00010f82-"
    r"\U00010f85\U00011000-\U00011002\U00011038-\U00011046\U00011070\U00011073\U00011074\U0001107f-"
    r"\U00011082\U000110b0-\U000110ba\U000110c2\U00011100-\U00011102\U00011127-\U00011134\U00011145"
    r"\U00011146\U00011173\U00011180-\U00011182\U000111b3-\U000111c0\U000111c9-\U000111cc\U000111ce"
    r"\U000111cf\U0001122c-\U00011237\U0001123e\U000112df-\U000112ea\U00011300-\U00011303\U0001133b"
    r"\U0001133c\U0001133e-\U00011344\U00011347\U00011348\U0001134b-\U0001134d\U00011357\U00011362"
    r"\U00011363\U00011366-\U0001136c\U00011370-\U00011374\U00011435-\U00011446\U0001145e\U000114b0-"
    r"\U000114c3\U000115af-\U000115b5\U000115b8-\U000115c0\U000115dc\U000115dd\U00011630-\U00011640"
    r"\U000116ab-\U000116b7\U0001171d-\U0001172b\U0001182c-\U0001183a\U00011930-\U00011935\U00011937"
    r"\U00011938\U0001193b-\U0001193e\U00011940\U00011942\U00011943\U000119d1-\U000119d7\U000119da-"
    r"\U000119e0\U000119e4\U00011a01-\U00011a0a\U00011a33-\U00011a39\U00011a3b-\U00011a3e\U00011a47"
    r"\U00011a51-\U00011a5b\U00011a8a-\U00011a99\U00011c2f-\U00011c36\U00011c38-\U00011c3f\U00011c92-"
    r"\U00011ca7\U00011ca9-\U00011cb6\U00011d31-\U00011d36\U00011d3a\U00011d3c\U00011d3d\U00011d3f-"
    r"\U00011d45\U00011d47\U00011d8a-\U00011d8e\U00011d90\U00011d91\U00011d93-\U00011d97\U00011ef3-"
    r"\U00011ef6\U00016af0-\U00016af4\U00016b30-\U00016b36\U00016f4f\U00016f51-\U00016f87\U00016f8f-"
    r"\U00016f92\U00016fe4\U00016ff0\U00016ff1\U0001bc9d\U0001bc9e\U0001cf00-\U0001cf2d\U0001cf30-"
    r"\U0001cf46\U0001d165-\U0001d169\U0001d16d-\U0001d172\U0001d17b-\U0001d182\U0001d185-\U0001d18b"
    r"\U0001d1aa-\U0001d1ad\U0001d242-\U0001d244\U0001da00-\U0001da36\U0001da3b-\U0001da6c\U0001da75"
    r"\U0001da84\U0001da9b-\U0001da9f\U0001daa1-\U0001daaf\U0001e000-\U0001e006\U0001e008-\U0001e018"
    r"\U0001e01b-\U0001e021\U0001e023\U0001e024\U0001e026-\U0001e02a\U0001e130-\U0001e136\U0001e2ae"
    r"\U0001e2ec-\U0001e2ef\U0001e8d0-\U0001e8d6\U0001e944-\U0001e94a\U000e0100-\U000e01ef]\w*)*"
)
_NAME = re.compile(NAME_PATTERN)


def name_text(m: re.Match[str]) -> str:
    """A NAME token's text as the name it stands for (:func:`plain_name`); its
    position is still the one in the text as written, for a caret."""
    text: str = m[m.lastindex]  # type: ignore[index]
    return text if text.isascii() else plain_name(text)
