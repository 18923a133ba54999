"""Exit statuses and the library's exceptions. Only the CLI turns these into
exit codes and messages; the library just raises them."""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1  # a math domain error, or `check` found a mismatch
    USAGE = 2  # bad syntax, unknown or missing variable, bad option, unreadable file, Graphviz missing
    RENDER = 3  # Graphviz itself failed on a graph: crashed, timed out, gave no image (neither the math nor the user)
    HUNG_UP = 129  # SIGHUP (the terminal closed): 128 + the signal's number, as shells report it
    INTERRUPTED = 130  # SIGINT (Ctrl-C)
    TERMINATED = 143  # SIGTERM


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


class NotOneFileError(UsageError):
    """A directory or a glob where one file is read (a dataset); the command line
    adds the option it came from and how a dataset is read."""


class NotParquetError(UsageError):
    """A file of a dataset that is not Parquet; the command line adds what reads
    a dataset and what reads the rest."""


class NotANumberError(UsageError, TypeError):
    """Something that is not a real number where one is needed (``Value(None)``,
    ``Value('2')``); a ``TypeError`` too, as Python's own ``float(None)`` raises."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where Ctrl-C raises ``KeyboardInterrupt`` (a
    subclass, so that everything that stops cleanly on Ctrl-C (a write removing
    its temporary file, a subprocess killed and waited for) does so on these too)."""

    def __init__(self, signum: int = 15) -> None:
        super().__init__(signum)
        self.signum = signum


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
        """The line around the column, and a caret under the spot. A window of
        the line, so a 10 MB one-liner stays readable; the caret placed in
        terminal cells (a CJK letter takes two, a combining accent none); what
        the terminal could not show as itself (a control character, a letter
        standard error's encoding lacks, a byte that was not text) shown
        escaped, the caret still under its spot."""
        text, col = self.text, self.column - 1
        start = max(0, col - WINDOW)
        end = min(len(text), col + WINDOW)
        window = text[start:end].expandtabs(1).replace("\r", " ")
        if window.isascii() and window.isprintable():  # the usual case: a character is a cell
            left, right = window[: col - start], window[col - start:]
        else:
            left, right = _shown(window[: col - start]), _shown(window[col - start:])
        left, right, cells = _fit(left, right, start > 0, end < len(text))
        return ["  " + left + right, "  " + " " * cells + "^"]


WINDOW = 40  # characters of the line each side of a syntax error's caret


def _shown(text: str) -> list[str]:
    """``text`` as standard error shows it, a piece per character."""
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    try:
        "".join(text).encode(encoding)
        encodable = True
    except (UnicodeError, LookupError):
        encodable = False
    return [ch if ch.isprintable() and (encodable or _encodes(ch, encoding)) else escaped(ch) for ch in text]


def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return True


def _fit(left: list[str] | str, right: list[str] | str, cut_left: bool, cut_right: bool) -> tuple[str, str, int]:
    """The pieces before and from the caret, at most ``WINDOW`` cells each side
    (``...`` where the line goes on), and the cells before the caret."""
    from rich.cells import cell_len  # lazily: only a caret needs it; a CJK letter takes two cells, an accent none

    left, right = list(left), list(right)
    keep = fitting(reversed(left), WINDOW, cells=True)
    cut_left, left = cut_left or keep < len(left), left[len(left) - keep:]
    keep = fitting(right, WINDOW, cells=True)
    cut_right, right = cut_right or keep < len(right), right[:keep]
    before = (MARK if cut_left else "") + "".join(left)
    # A combining accent has no cell of its own: the caret goes under the letter it sits on.
    on_letter = bool(left) and bool(right) and cell_len(right[0]) == 0
    return before, "".join(right) + (MARK if cut_right else ""), cell_len(before) - on_letter


def escaped(ch: str) -> str:
    """How a message shows a character that cannot be shown as itself: a byte
    of the command line that was not text (Python's surrogate escape) as the
    byte, ``\\xff``; others as Python writes them, ``\\x1b``, ``\\u202e``."""
    if "\udc80" <= ch <= "\udcff":
        return f"\\x{ord(ch) - 0xDC00:02x}"
    return ascii(ch)[1:-1]


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


MARK = "..."  # where a shortened text leaves some out


def shortened(text: str, limit: int, keep_end: int = 0, mark: str = MARK, cells: bool = False) -> str:
    """``text`` if it is at most ``limit`` long, else cut to that length with
    ``mark`` where text was left out: at the end (a reason, a snippet), or with
    ``keep_end`` of the end kept after the mark (a name or an expression, both
    ends shown). The one rule for every shortened text, so that a message, a
    table and a trace cut alike. Measured in characters, or with ``cells`` in
    terminal cells (a CJK letter takes two, an accent none) for text laid out on
    a terminal. A mark with spaces of its own replaces the spaces at the cut."""
    if cells:
        from rich.cells import cell_len  # lazily: only text laid out on a terminal is measured in cells

        if cell_len(text) <= limit:
            return text
    elif len(text) <= limit:
        return text
    keep_end = max(0, min(keep_end, limit - len(mark)))
    head = text[: fitting(text, limit - len(mark) - keep_end, cells)]
    tail = text[len(text) - fitting(reversed(text), keep_end, cells):] if keep_end else ""
    if mark[:1].isspace():
        head = head.rstrip()
    if mark[-1:].isspace():
        tail = tail.lstrip()
    return head + mark + tail


def fitting(pieces: Iterable[str], room: int, cells: bool = False) -> int:
    """How many of ``pieces`` (characters, or a message's escaped ones), from
    the first, fit in ``room`` characters or, with ``cells``, terminal cells."""
    if not cells and isinstance(pieces, str):
        return max(0, min(len(pieces), room))
    if cells:
        from rich.cells import cell_len  # lazily: only text laid out on a terminal is measured in cells
    measure = cell_len if cells else len
    used = count = 0
    for piece in pieces:
        used += measure(piece)
        if used > room:
            break
        count += 1
    return count


PATH_LIMIT = 240  # a file's path in a message: long, but not unbounded


def quoted(text: str, limit: int = 80) -> str:
    """User text as a message quotes it: in quotes, control and other unprintable
    characters escaped (``\\x1b``, ``\\u202e``), and text over ``limit`` characters
    shortened in the middle with its length said, so one error stays one short line."""
    size = ""
    if len(text) > limit:
        size = f" ({len(text):,} characters)"
        text = shortened(text, limit, keep_end=limit // 3 - 3)
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else escaped(ch) for ch in text)
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


_GREEK_MATH = set("αινρτυχ")  # letters a formula means as Greek (rho, tau, chi), not as Latin look-alikes


def _lookalike(word: str, choice: str) -> str:
    """`` the 'а' here is U+0430 CYRILLIC SMALL LETTER A`` when ``word`` and
    ``choice`` differ only in letters drawn alike (`` with U+0430 ...`` when the
    letter is in ``choice``), else ``""``."""
    if len(word) != len(choice) or word == choice or word.translate(_LOOKALIKES) != choice.translate(_LOOKALIKES):
        return ""
    import unicodedata  # lazily: only a name that looks like another, in a message, is described

    w, c = next((w, c) for w, c in zip(word, choice, strict=True) if w != c)
    ch, where = (w, "here") if w.translate(_LOOKALIKES) != w else (c, "its")
    what = f"U+{ord(ch):04X} {unicodedata.name(ch, 'a look-alike letter')}"
    return f" the {quoted(ch)} here is {what}" if where == "here" else f" with {what}"


def lookalike_hint(names: Iterable[str]) -> str:
    """`` (did you mean 'a'? the 'а' here is U+0430 CYRILLIC SMALL LETTER A)``
    for the first of ``names`` written with letters of another script drawn
    like Latin ones (a Cyrillic keyboard's ``а``), else ``""``: it looks like a
    name the user meant, and is not. A Greek letter that formulas use as
    itself (``ρ``, ``τ``) is not taken for a Latin one, unless Latin letters
    are beside it."""
    for name in names:
        latin = name.translate(_LOOKALIKES)
        if latin == name or not latin.isascii():
            continue
        if _GREEK_MATH.intersection(name) and not any(c.isascii() and c.isalpha() for c in name):
            continue
        return f" (did you mean {quoted(latin)}?{_lookalike(name, latin)})"
    return ""


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
    for choice in choices if not word.isascii() or not all(map(str.isascii, choices)) else ():
        note = _lookalike(word, choice)
        if note.startswith(" with"):  # the look-alike is in the choice: (did you mean 'а', with U+0430 ...?)
            return f" (did you mean {quoted(prefix + choice)},{note}?)"
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


EULER_HINT = "'e' is a variable here: Euler's number is exp(1), and e**x is exp(x)"
"""Said where a variable named ``e`` has no value: whoever wrote ``e**x`` meant exp(x)."""


def missing_hint(names: Iterable[str]) -> str:
    """What ends a "missing value" message: a look-alike letter named, or what ``e`` is."""
    names = list(names)
    return lookalike_hint(names) or (f" ({EULER_HINT})" if "e" in names else "")
