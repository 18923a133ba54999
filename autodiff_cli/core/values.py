"""Values as callers give them: value texts that are numbers or constant
expressions (``pi/4``), numbers read from input files, and the bound on every
input's size. (How a command line gives them is :mod:`autodiff_cli.cli.arguments`.)"""

from __future__ import annotations

import itertools
import math
import os
import re
from collections.abc import Container, Iterable, Mapping, Sequence

from ..base.errors import AutodiffError, NotFiniteError, UsageError, listed, missing_hint, quoted
from .lalr import NAME_PATTERN, plain_name
from .parser import parse

__all__ = ["plain_name"]  # the one rule of names, for every place a name comes in

# A number, wherever a value is written (x=..., a CSV cell): ASCII digits only (Python's float() also reads
# '1_000' and other scripts' digits, '١٢', which the language does not).
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_NON_FINITE = re.compile(r"[+-]?(nan|inf|infinity)", re.IGNORECASE)
NAME = re.compile(NAME_PATTERN)
"""A variable name: the grammar's NAME rule (so ``x²`` is one, as in an expression)."""

DEFAULT_MAX_INPUT = 64 * 1024 * 1024


def max_input() -> int:
    """The bound on an expression read from a file or standard input (bytes), and
    on one line or field of an input file (characters): AUTODIFF_MAX_INPUT_BYTES,
    64 MiB by default (a 10 MB expression takes 630 MiB to process)."""
    text = os.environ.get("AUTODIFF_MAX_INPUT_BYTES", "")
    try:
        return max(1, int(text)) if text else DEFAULT_MAX_INPUT
    except ValueError:
        raise UsageError(f"AUTODIFF_MAX_INPUT_BYTES must be a whole number of bytes, not {quoted(text)}") from None


def too_long(what: str, limit: int, unit: str = "bytes") -> UsageError:
    """The error for an input over the bound, naming it and how to raise it."""
    return UsageError(f"{what} is longer than the limit of {limit:,} {unit} "
                      "(set AUTODIFF_MAX_INPUT_BYTES to raise it)")


def as_number(x: object) -> float:
    """A value read from a JSON input: a number, never a bool, null or string
    (``"2"`` is text that looks like a number; CSV, which has only text, is read
    by :func:`number_text`)."""
    if isinstance(x, bool) or x is None:
        raise TypeError(f"{'null' if x is None else 'a boolean'} is not a number")
    if isinstance(x, str):
        raise TypeError(f"{quoted(x, 40)} is a string, not a number (write it without quotes)")
    return float(x)  # type: ignore[arg-type]


def is_number_text(text: str) -> bool:
    """Whether a cell of text is a number as a value on the command line is one
    (``2.5``, ``-1e3``, ``nan``, ``inf``; spaces around it allowed), and not only
    as Python's ``float`` reads it (``1_000``, ``١٢``)."""
    text = text.strip()
    return bool(_NUMBER.fullmatch(text) or _NON_FINITE.fullmatch(text))


def number_text(text: str) -> float:
    """A cell of text as a float (:func:`is_number_text`), or ValueError."""
    if not is_number_text(text):
        raise ValueError(f"{quoted(text, 40)} is not a number")
    return float(text)


def lenient_cells(cells: Iterable[str]) -> bool:
    """Whether any of ``cells`` holds what ``float`` reads and a value may not
    have (an underscore, a non-ASCII character): checked at C speed, so that a
    million cells that hold none are converted at C speed too."""
    joined = "".join(cells)
    return "_" in joined or not joined.isascii()


def parse_value(name: str, text: str, ieee: bool = False) -> float:
    """A value text as a float: a number, or a constant expression such as ``pi/4``;
    with ``ieee``, also ``nan``, ``inf`` and ``-inf``."""
    if _NUMBER.fullmatch(text.strip()):
        value = float(text)
    elif _NON_FINITE.fullmatch(text.strip()):
        value = float(text)
        if not ieee:
            raise NotFiniteError(f"value for {quoted(name)} is not finite ({text.strip()})")
    else:
        try:
            expr = parse(text)
        except AutodiffError as exc:
            decimal = text.strip().replace(",", ".", 1)
            if "," in text and _NUMBER.fullmatch(decimal):  # 3,5: a decimal comma; 1,000: thousands
                meant = "write it without ','" if len(decimal.rsplit(".", 1)[1]) == 3 else f"write {decimal}"
                raise UsageError(f"value for {quoted(name)}: {quoted(text)} is not a number ({meant}: the "
                                 f"decimal point is '.', and no ',' separates thousands)") from None
            raise UsageError(f"value for {quoted(name)}: {exc}") from None
        if expr.variables:
            raise UsageError(f"value for {quoted(name)} must be a number or a constant expression such as pi/4, "
                             f"not {quoted(text)}: a value cannot name a variable")
        try:
            value = expr.forward({}, ieee=ieee)
        except AutodiffError as exc:
            raise UsageError(f"value for {quoted(name)}: {exc}") from None
    if not ieee and not math.isfinite(value):
        raise NotFiniteError(f"value for {quoted(name)} is not finite ({quoted(text)})")
    return value


def not_a_name(names: Sequence[str]) -> str | None:
    """The first of ``names`` that is no variable name, or None. ASCII
    identifiers are exactly the ASCII names: checked at C speed first (a
    header of a million names is a quarter of a second faster)."""
    if all(map(str.isascii, names)) and all(map(str.isidentifier, names)):
        return None
    return next(itertools.filterfalse(NAME.fullmatch, names), None)


def repeated(names: Sequence[str]) -> str | None:
    """The first name that repeats an earlier one, in order, or None. One pass
    with a set: a header may hold a million names, and a search of the names
    before each one took minutes at 64,000."""
    if len(set(names)) == len(names):  # the usual case, at C speed
        return None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None  # pragma: no cover (unreachable: the sizes differed)


def unclaimed(results: list[str], names: Container[str]) -> list[str]:
    """``results`` as columns beside ``names``: as they are, or, if any of them
    is one of ``names``, every one with ``_`` appended (as many times as it
    takes) so that none is: a variable called ``value`` gives ``value_`` and
    ``grad_value_``, never two columns of one name."""
    suffix = ""
    while any(r + suffix in names for r in results):
        suffix += "_"
    return [r + suffix for r in results] if suffix else results


def result_columns(variables: Iterable[str]) -> list[str]:
    """The columns of results a batch gains (and an input may hold, read back):
    ``value``, then ``grad_NAME`` per variable; all with a ``_`` suffix where a
    variable has one of those names (:func:`unclaimed`)."""
    variables = variables if isinstance(variables, Mapping) else dict.fromkeys(variables)
    return unclaimed(["value", *(f"grad_{n}" for n in variables)], variables)


def one_place(variables: Iterable[str], fixed: Mapping[str, float], columns: Container[str], where: str,
              hint: str = "") -> None:
    """The rule of every batch: each variable's values come from exactly one
    place, fixed or a column of ``where``; ``hint`` ends the message for a missing one."""
    twice = next((n for n in fixed if n in columns), None)
    if twice is not None:
        raise UsageError(f"value for {quoted(twice)} given twice (fixed and in {where})")
    missing = [n for n in variables if n not in fixed and n not in columns]
    if missing:
        if not hint and not columns:  # a Parquet file or a {} of no columns: say which input that was
            hint = f" ({where} has no columns)"
        raise UsageError(f"missing value for {listed(missing)}{missing_hint(missing)}{hint}")
