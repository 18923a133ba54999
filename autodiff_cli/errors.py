"""Exit statuses and the library's exceptions. Only the CLI turns these into
exit codes and messages; the library just raises them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1  # a math domain error, or `check` found a mismatch
    USAGE = 2  # bad syntax, unknown or missing variable, bad option, unreadable file


def diagnostic(line: str) -> None:
    """A line for the user on standard error (errors, notes); data goes to stdout."""
    sys.stderr.write(line + "\n")


class AutodiffError(Exception):
    """Base of every error autodiff reports; ``str(err)`` is the one-line message."""

    status = ExitStatus.FAILURE

    def details(self) -> list[str]:
        """Extra lines printed under the message (the caret for syntax errors)."""
        return []


class UsageError(AutodiffError):
    status = ExitStatus.USAGE


class ExprSyntaxError(UsageError):
    """A syntax error at a position of the source text (1-based line and column)."""

    def __init__(self, message: str, source: str, pos: int) -> None:
        pos = max(0, min(pos, len(source)))
        self.line = source.count("\n", 0, pos) + 1
        line_start = source.rfind("\n", 0, pos) + 1
        self.column = pos - line_start + 1
        line_end = source.find("\n", pos)
        self.text = source[line_start: line_end if line_end >= 0 else len(source)]
        super().__init__(f"{message} at line {self.line}, column {self.column}")

    def details(self) -> list[str]:
        # A window of the line around the column, so a 10 MB one-liner stays readable.
        text, col = self.text, self.column - 1
        start = max(0, col - 40)
        end = min(len(text), col + 40)
        prefix = "..." if start > 0 else ""
        suffix = "..." if end < len(text) else ""
        window = text[start:end].expandtabs(1).replace("\r", " ")
        return ["  " + prefix + window + suffix, "  " + " " * (len(prefix) + col - start) + "^"]


class DomainError(AutodiffError):
    """A value or gradient that is not finite, at node ``index`` of a graph.

    ``describe(index)`` names the sub-expression (its source text when parsed).
    """

    def __init__(self, why: str, index: int, describe: Callable[[int], str]) -> None:
        self.why = why
        self.index = index
        self.where = describe(index)
        super().__init__(f"{why} in {self.where}")


def _edits(a: str, b: str) -> int:
    """Damerau-Levenshtein distance: a swap of two neighbours (tahn/tanh) is one edit."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            cur.append(cost)
        prev2, prev = prev, cur
    return prev[-1]


def did_you_mean(word: str, choices: Iterable[str], prefix: str = "") -> str:
    """`` (did you mean 'tanh'?)`` for the closest choice, or ``""``.

    Closest is fewest edits, then the nearest length; at most a third of the
    word may differ, so unrelated names are not suggested.
    """
    limit = max(1, len(word) // 3) if len(word) >= 2 else 0
    scored = sorted((_edits(word, c), abs(len(c) - len(word)), c) for c in choices)
    if scored and scored[0][0] <= limit:
        return f" (did you mean '{prefix}{scored[0][2]}'?)"
    return ""
