"""Exit statuses and the library's exceptions. Only the CLI turns these into
exit codes and messages; the library just raises them."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Collection, Iterable
from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1  # a math domain error, or `check` found a mismatch
    USAGE = 2  # bad syntax, unknown or missing variable, bad option, unreadable file, Graphviz missing
    RENDER = 3  # Graphviz itself failed on a graph: crashed, timed out, gave no image (neither the math nor the user)
    INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + the signal's number, as shells report it
    TERMINATED = 143  # SIGTERM


def diagnostic(line: str) -> None:
    """A line for the user on standard error (errors, notes); data goes to stdout.
    With standard error closed or full the line is lost, but never the run: the
    exit status still tells."""
    try:
        if line.startswith(("error: ", "note: ")) and len(line) > 40 and sys.stderr.isatty():
            line = _to_width(line, sys.stderr.fileno())
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):  # closed (None), full, or a closed file object
        # Nothing more goes there; dropping the stream spares the interpreter a
        # failing flush at exit (which would turn the exit status into 120).
        sys.stderr = None


def _to_width(line: str, fd: int) -> str:
    """A message on a terminal broken at spaces to its width (``COLUMNS`` if set),
    the lines after the first indented; into a pipe or a file it stays one line."""
    import os

    text = os.environ.get("COLUMNS", "").strip()
    try:
        width = int(text) if text.isdigit() and int(text) > 0 else os.get_terminal_size(fd).columns
    except OSError:
        return line
    from rich.cells import cell_len  # a CJK letter takes two cells

    if cell_len(line) <= width or width < 20:
        return line
    lines, current = [], ""
    for word in line.split(" "):
        joined = f"{current} {word}" if current else word
        if current.strip() and cell_len(joined) > width:
            lines.append(current)
            joined = "  " + word
        current = joined
    return "\n".join([*lines, current])


class AutodiffError(Exception):
    """Base of every error autodiff reports; ``str(err)`` is the one-line message."""

    status = ExitStatus.FAILURE

    def details(self) -> list[str]:
        """Extra lines printed under the message (the caret for syntax errors)."""
        return []


class UsageError(AutodiffError):
    status = ExitStatus.USAGE


class GridError(UsageError):
    """A range (``x=-5:5:0.25``) that cannot be read or has no usable points. The
    library names the range; the command line adds the option it came from."""


class NotFiniteError(UsageError):
    """``nan``, ``inf`` or ``-inf`` given where a finite number is needed; the
    command line adds which of its options take them."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises ``KeyboardInterrupt`` (a subclass, so
    that everything that stops cleanly on Ctrl-C (a write removing its temporary
    file, a subprocess killed and waited for) does so on SIGTERM too)."""


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
        if window.isprintable():
            return ["  " + prefix + window + suffix, "  " + " " * (len(prefix) + col - start) + "^"]
        # Control characters shown escaped (a raw ESC would drive the terminal), the caret kept under its spot.
        shown = [ch if ch.isprintable() else ascii(ch)[1:-1] for ch in window]
        offset = sum(map(len, shown[: col - start]))
        return ["  " + prefix + "".join(shown) + suffix, "  " + " " * (len(prefix) + offset) + "^"]


class DomainError(AutodiffError):
    """A value or gradient that is not finite, at node ``index`` of a graph.

    ``describe(index)`` names the sub-expression (its source text when parsed).
    """

    def __init__(self, why: str, index: int, describe: Callable[[int], str]) -> None:
        self.why = why
        self.index = index
        self.where = describe(index)
        super().__init__(f"{why} in {self.where}")


def plural(n: int, noun: str) -> str:
    """``1 point``, ``2 points``, ``65,536 points``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


PATH_LIMIT = 240  # a file's path in a message: long, but not unbounded


def quoted(text: str, limit: int = 80) -> str:
    """User text as a message quotes it: in quotes, control and other unprintable
    characters escaped (``\\x1b``, ``\\u202e``), and text over ``limit`` characters
    shortened in the middle with its length said, so one error stays one short line."""
    size = ""
    if len(text) > limit:
        size = f" ({len(text):,} characters)"
        text = text[: limit - limit // 3] + "..." + text[-(limit // 3 - 3):]
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return f"'{text}'{size}"


def listed(names: Collection[str], most: int = 6, limit: int = 80) -> str:
    """Names for a message, the first ``most`` of them: ``'a', 'b' and 3 more``.
    A message lists names, never all of them: 200,000 missing variables are
    not a 2 MB line."""
    head = [quoted(n, limit) for n in itertools.islice(names, most)]
    more = f" and {len(names) - most:,} more" if len(names) > most else ""
    return ", ".join(head) + more


def _common_ends(a: str, b: str) -> tuple[str, str]:
    """``a`` and ``b`` without their common prefix and suffix (found by
    comparing slices, at C speed): edits only happen in what is left."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:  # the longest common prefix, by bisection
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    a, b = a[lo:], b[lo:]
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return a[: len(a) - lo], b[: len(b) - lo]


def _bag_distance(a: str, b: str) -> int:
    """A lower bound of the edit distance from letter counts alone (one pass, at C speed)."""
    from collections import Counter

    ca, cb = Counter(a), Counter(b)
    return max(sum((ca - cb).values()), sum((cb - ca).values()))


def _edits(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (a swap of two neighbours, tahn/tanh, is one
    edit), or ``limit + 1`` when it is over ``limit``.

    Only the diagonal band ``|i - j| <= limit`` of the table can hold a distance
    within the limit, and the work stops once two rows are all over it, so the
    cost is ``O(len * limit)``, not ``O(len(a) * len(b))``.
    """
    over = limit + 1
    if abs(len(a) - len(b)) > limit:
        return over
    a, b = _common_ends(a, b)
    if len(a) > 64 and _bag_distance(a, b) > limit:
        return over
    if not a or not b:
        return len(a) + len(b) if len(a) + len(b) <= limit else over
    k, width = limit, 2 * limit + 1
    # Row i holds columns j = i - k .. i + k at index d = j - i + k.
    prev2 = [over] * width
    prev = [d - k if 0 <= d - k <= len(b) else over for d in range(width)]  # row 0: j edits
    for i in range(1, len(a) + 1):
        ca = a[i - 1]
        cur = [over] * width
        for d in range(width):
            j = i + d - k
            if j < 0 or j > len(b):
                continue
            if j == 0:
                cur[d] = i
                continue
            cb = b[j - 1]
            cost = prev[d] + (ca != cb)
            if d + 1 < width and prev[d + 1] + 1 < cost:
                cost = prev[d + 1] + 1
            if d > 0 and cur[d - 1] + 1 < cost:
                cost = cur[d - 1] + 1
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb and prev2[d] + 1 < cost:
                cost = prev2[d] + 1
            cur[d] = min(cost, over)
        if min(cur) > limit and min(prev) > limit:
            return over
        prev2, prev = prev, cur
    return min(prev[len(b) - len(a) + k], over)


MAX_EDITS = 10
"""The most edits a suggestion may be away, however long the name (a third of
it up to this): what keeps "did you mean" linear in the name's length."""

# Latin letters and the letters of other scripts drawn the same way.
_LOOKALIKES = str.maketrans("аеорсухіјѕԁһԛԝАВЕКМНОРСТХІЈЅοαινρτυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
                            "aeopcyxijsdhqwABEKMHOPCTXIJSoaivptuxABEZHIKMNOPTYX")


def _lookalike(word: str, choice: str) -> str:
    """`` 'а' is U+0430 CYRILLIC SMALL LETTER A`` when ``word`` differs from
    ``choice`` only in letters drawn alike, else ``""``."""
    if len(word) != len(choice) or word.translate(_LOOKALIKES) != choice:
        return ""
    import unicodedata

    ch = next(w for w, c in zip(word, choice, strict=True) if w != c)
    return f" the {quoted(ch)} here is U+{ord(ch):04X} {unicodedata.name(ch, 'a look-alike letter')}"


def did_you_mean(word: str, choices: Iterable[str], prefix: str = "") -> str:
    """`` (did you mean 'tanh'?)`` for the closest choice, or ``""``.

    Closest is fewest edits, then the nearest length, then the longest common
    start (``xlog`` is ``xlogy``, not ``log``); at most a third of the
    word (and at most ``MAX_EDITS``) may differ, so unrelated names are not
    suggested; a name that differs only in case is suggested first. A name
    that differs only in look-alike letters (Cyrillic ``а`` for Latin ``a``) is
    suggested whatever its length, with the letter named.
    """
    choices = list(choices)
    if not word.isascii():
        for choice in choices:
            note = _lookalike(word, choice)
            if note:
                return f" (did you mean {quoted(prefix + choice)}?{note})"
    folded = word.casefold()
    for choice in choices:
        if choice.casefold() == folded and choice != word:  # X for x: too short for edits to tell
            return f" (did you mean {quoted(prefix + choice)}?)"
    limit = min(max(1, len(word) // 3), MAX_EDITS) if len(word) >= 2 else 0
    best: tuple[int, int, int, str] | None = None
    for choice in choices:
        if abs(len(choice) - len(word)) > limit:
            continue
        pairs = enumerate(zip(word, choice, strict=False))
        start = next((i for i, (a, b) in pairs if a != b), min(len(word), len(choice)))
        scored = (_edits(word, choice, limit), abs(len(choice) - len(word)), -start, choice)
        if scored[0] <= limit and (best is None or scored < best):
            best = scored
            limit = scored[0]  # nothing further away can win
    if best is not None:
        return f" (did you mean {quoted(prefix + best[3])}?)"
    return ""
