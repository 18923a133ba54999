"""Functions of one's own: ``neuron(x, w) = tanh(w*x + b)`` defines a function, and
``neuron(x1, w1)`` calls it, as if its body were written out there.

The parser builds as it reduces (:mod:`autodiff_cli.core.parser`), so a definition's
body is built before the statement ends, over nodes standing for its parameters; when
the statement ends, those nodes leave the expression and are kept as the function. A
call copies them, its arguments in the parameters' places: the graph is the same as
the one written out by hand, which is what every command then works on (values,
gradients, ``diff``, batches). Which nodes each call made is kept (``calls``), so
that a trace can name them (``neuron#1``) and a drawing can group them.
"""

from __future__ import annotations

import re

from ..base.errors import ExprSyntaxError, quoted
from ..base.ops import CONSTANTS, FUNCTIONS
from .engine import Value
from .lalr import name_text

TYPE_CHECKING = False  # typing itself costs start-up time
if TYPE_CHECKING:
    from re import Match
    from typing import Any


class Definition:
    """A function of the program: its parameters (the nodes standing for them),
    the nodes of its body in creation order, and the body's result."""

    __slots__ = ("kinked", "name", "nodes", "params", "root", "size")

    def __init__(self, name: str, params: list[Value], nodes: list[Value], root: Value, kinked: bool,
                 defined: dict[str, Definition] | None = None) -> None:
        self.name, self.params, self.nodes, self.root, self.kinked = name, params, nodes, root, kinked
        defined = defined or {}
        self.size = sum(defined[n.label].size if n.op == CALL else 1 for n in nodes)
        """The nodes a call writes out, the calls in the body written out too."""


class _Frame:
    """One body being copied out: the next of its nodes, and each copy made so far."""

    __slots__ = ("copies", "d", "k")

    def __init__(self, d: Definition) -> None:
        self.d, self.k = d, 0
        self.copies: dict[int, Value] = {}

    def done(self, copy: Value) -> None:
        """The copy of the node at ``k`` is made: on to the next."""
        self.copies[id(self.d.nodes[self.k])] = copy
        self.k += 1


def _in(frame: _Frame, node: Value, by_node: dict[int, list[Value]]) -> Value:
    """What ``node``, a child in ``frame``'s body, is in the copy: its copy, the argument of
    the parameter it is, or itself (a node of the program's, outside every body)."""
    copy = frame.copies.get(id(node))
    if copy is None:
        bound = by_node.get(id(node))
        return bound[-1] if bound else node
    return copy


CALL = "call"
"""The op of a node in a definition's body that stands for a call of another definition
(its label is the function's name, its children the arguments): copied out only where
the definition is called from the program."""


class Call:
    """Which nodes of the expression a call made: ``nodes[start:end]``, named
    ``neuron#1`` (its function and the how-manieth call it is), written at ``pos``."""

    __slots__ = ("end", "name", "pos", "start")

    def __init__(self, name: str, start: int, end: int, pos: int) -> None:
        self.name, self.start, self.end, self.pos = name, start, end, pos

    def text(self, source: str) -> str:
        """The call as written: ``neuron(x1, w1)`` (from its name to its closing parenthesis)."""
        depth = 0
        for k in range(self.pos, len(source)):
            depth += {"(": 1, ")": -1}.get(source[k], 0)
            if depth == 0 and source[k] == ")":
                return " ".join(source[self.pos:k + 1].split())
        return self.name

    def __repr__(self) -> str:
        return f"Call({self.name!r}, {self.start}, {self.end})"


class Header:
    """A definition's first part, ``name(p1, p2)``, reduced before its body is parsed."""

    __slots__ = ("body_start", "name", "params")

    def __init__(self, name: str, params: list[Value], body_start: int) -> None:
        self.name, self.params, self.body_start = name, params, body_start


WRITTEN_OUT, PER_CHARACTER = 2_000_000, 64
"""Nodes the calls of a program may copy in all: 2,000,000, or 64 per character of the program if that
is more (a definition called 100,000 times is long itself). Definitions that call each other twice grow
exponentially, a 22-line program to billions of nodes: refused in seconds instead of filling memory."""

DEFINED = ("", None)
"""What a definition statement reduces to: a statement with no value (the builder's
``start`` takes the statements before the last as (name, node) pairs)."""


class Definitions:
    """The builder's part for definitions and their calls (a mixin of the parser's
    builder, which provides ``nodes``, ``variables``, ``names``, ``special``, ``_error``)."""

    nodes: list[Value]
    variables: dict[str, Value]
    names: dict[str, Value]
    special: dict[str, Any]
    source: str
    kinked: bool

    def _error(self, message: str, pos: int) -> ExprSyntaxError:  # provided by the builder
        raise NotImplementedError

    def _reset_definitions(self) -> None:
        self.defined: dict[str, Definition] = {}
        self.defining: Header | None = None
        self.statement_start = 0  # where the nodes of the statement being parsed begin
        self.calls: list[Call] = []
        self.call_count: dict[str, int] = {}
        self.written_out = 0  # the nodes calls have copied so far (definitions' bodies included)

    def header(self, name: Match[str], *rest: Any) -> Header:
        *args, _ = rest
        text, pos = name_text(name), name.start()
        if text in FUNCTIONS or text in CONSTANTS:
            raise self._error(f"cannot define {quoted(text)}: it is a built-in name", pos)
        if text in self.defined:
            raise self._error(f"{quoted(text)} is defined twice", pos)
        if text in self.names or text in self.variables:
            raise self._error(f"cannot define {quoted(text)}: it is already used as a name", pos)
        params: list[Value] = []
        for arg in (a for a in args if a is not None):
            if not (arg.op == "var" or any(v is arg for v in self.names.values())):  # a variable's, or a name's
                raise self._error(f"a parameter of {quoted(text)} is a name, as in {text}(x, y) = ...", pos)
            if any(p is arg for p in params):
                raise self._error(f"parameter {quoted(arg.label)} is named twice in {quoted(text)}", pos)
            params.append(arg)
        self.defining = Header(text, params, len(self.nodes))
        self.special[text] = None  # a bare 'neuron' is a function's name, not a variable
        return self.defining

    def define(self, header: Header, body: Value) -> tuple[str, None]:
        made = self.nodes[self.statement_start:]
        mine = {id(n) for n in made}
        for name in [n for n, v in self.variables.items() if id(v) in mine]:
            del self.variables[name]  # first seen in the definition: a parameter, or a variable of calls
        self.defined[header.name] = Definition(header.name, header.params, self.nodes[header.body_start:], body,
                                               self.kinked, self.defined)
        self._forget(self.statement_start, header)
        del self.nodes[self.statement_start:]
        self.calls = [c for c in self.calls if c.start < self.statement_start]  # those inside the body are copied
        self.defining = None
        self.statement_start = len(self.nodes)
        return DEFINED

    def _forget(self, start: int, header: Header) -> None:
        """A hook: the nodes from ``start`` on leave the expression (the span builder drops their spans)."""

    def _call_defined(self, name: Match[str], text: str, args: list[Value]) -> Value:
        """``text(args)`` for a function of the program: its body, copied; inside a
        definition, one node standing for the call (:data:`CALL`), copied out when
        the definition itself is called. Copying every body into every body that
        calls it made a chain of n definitions, each calling the one before, n**2
        nodes long (4,000 of them took 27 s); this way each body is copied once."""
        d = self.defined[text]
        if len(args) != len(d.params):
            want = f"{len(d.params)} argument{'s' if len(d.params) != 1 else ''}"
            raise self._error(f"{text}() takes {want}, got {len(args)}", name.start())
        self.call_count[text] = count = self.call_count.get(text, 0) + 1
        self.kinked = self.kinked or d.kinked
        self.copied: list[tuple[str, int]] = []  # for each node made, which body's node it copies (its source span)
        if self.defining is not None:
            node = Value.made(tuple(args), CALL)
            node.label = text
            self.nodes.append(node)
            return node
        self.written_out += d.size
        most = max(WRITTEN_OUT, PER_CHARACTER * len(self.source))
        if self.written_out > most:  # f(x) = g(x) + g(x), g(x) = h(x) + h(x), ...: twice the size a level
            raise self._error(f"the calls of {quoted(text)} write out more than {most:,} nodes: the program "
                              "is too large (a function calling another twice doubles in size)", name.start())
        start = len(self.nodes)
        root = self._copy_out(d, args)
        self.calls.append(Call(f"{text}#{count}", start, len(self.nodes), name.start()))
        return root

    def _copy_out(self, d: Definition, args: list[Value]) -> Value:
        """``d``'s body with ``args`` for its parameters, the calls in it copied out
        in their places: depth first, with a stack of its own (a chain of
        definitions may be thousands deep), in the order the nodes were written.

        As if each body were written out where it is called, a parameter stands for
        its argument in the bodies its body calls too: a variable ``b`` of ``g`` is
        the argument of ``h(b) = g(b*2)``. The arguments in force are kept by the
        parameter's node and by its name, so that finding one takes no walk up the stack."""
        by_node: dict[int, list[Value]] = {}
        by_name: dict[str, list[Value]] = {}
        stack = [self._enter(d, args, by_node, by_name)]
        while True:
            frame = stack[-1]
            if frame.k == len(frame.d.nodes):  # this body is done: its result stands for the call
                stack.pop()
                root = _in(frame, frame.d.root, by_node)
                for p in frame.d.params:
                    by_node[id(p)].pop()
                    by_name[p.label].pop()
                if not stack:
                    return root
                stack[-1].done(root)
                continue
            node = frame.d.nodes[frame.k]
            if node.op == CALL:
                callee = self.defined[node.label]
                stack.append(self._enter(callee, [_in(frame, c, by_node) for c in node.children], by_node, by_name))
                continue
            if node.op == "var":  # a variable of the body: a parameter of a body around it, or the program's
                bound = by_name.get(node.label)
                copy = bound[-1] if bound else self._free(node.label, frame)
            else:
                if node.op == "const":
                    copy = Value.leaf("const", node.data, node.label)
                else:
                    copy = Value.made(tuple([_in(frame, c, by_node) for c in node.children]), node.op)
                self.nodes.append(copy)
                self.copied.append((frame.d.name, frame.k))
            frame.done(copy)

    @staticmethod
    def _enter(d: Definition, args: list[Value], by_node: dict[int, list[Value]],
               by_name: dict[str, list[Value]]) -> _Frame:
        """A frame for ``d``'s body, its parameters bound to ``args``."""
        for p, a in zip(d.params, args, strict=True):
            by_node.setdefault(id(p), []).append(a)
            by_name.setdefault(p.label, []).append(a)
        return _Frame(d)

    def _free(self, label: str, frame: _Frame) -> Value:
        """A variable of a body that no parameter around it names: the program's name or variable."""
        copy = self.names.get(label) or self.variables.get(label)
        if copy is None:
            copy = self.variables[label] = Value.leaf("var", 0.0, label)
            self.nodes.append(copy)
            self.copied.append((frame.d.name, frame.k))
        return copy

    def _not_a_function(self, text: str, pos: int) -> ExprSyntaxError | None:
        """The error for calling ``text`` where it is no function yet: inside its own
        definition (recursion), or before a definition further on."""
        if self.defining is not None and text == self.defining.name:
            return self._error(f"{quoted(text)} calls itself: a function cannot be recursive", pos)
        if re.search(rf"(?:^|[;\n])\s*{re.escape(text)}\s*\([^()=]*\)\s*=", self.source[pos:]):
            return self._error(f"{quoted(text)} is called before its definition: define it first", pos)
        return None
