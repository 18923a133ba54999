"""Shortened texts: a message's quoted text, a syntax error's token, a trace's
node names, a table's node names and title all cut by one rule (``shortened``
in ``base/errors.py``), so that no two places cut alike text differently."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from autodiff_cli.base.errors import quoted, shortened

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("text", "limit", "keep_end", "mark", "expected"), [
    ("abcdefghij", 10, 0, "...", "abcdefghij"),  # fits: as it is
    ("abcdefghijk", 10, 0, "...", "abcdefg..."),  # the end cut: 7 letters and the mark are 10
    ("abcdefghijk", 10, 3, "...", "abcd...ijk"),  # the middle cut: both ends kept
    ("one two three four", 13, 4, " ... ", "one ... four"),  # the mark's spaces stand for the cut's
])
def test_the_one_rule_by_hand(text, limit, keep_end, mark, expected):
    assert shortened(text, limit, keep_end=keep_end, mark=mark) == expected


def test_cells_count_a_wide_letter_twice():
    wide = "\u4e2d" * 30  # 60 cells
    short = shortened(wide, 21, keep_end=8, mark=" ... ", cells=True)
    assert short == "\u4e2d" * 4 + " ... " + "\u4e2d" * 4 and cell_len(short) == 21


@pytest.mark.parametrize("limit", [6, 9, 11])
def test_a_short_limit_quotes_a_short_text(limit):
    # The middle cut kept text[-(limit // 3 - 3):], the whole text when that is -0.
    shown = quoted("x" * 1000, limit)
    assert shown.startswith("'") and len(shown) < 40, shown


def test_a_long_token_is_shown_whole_when_the_mark_would_be_no_shorter(cli):
    token = "abcdefghijklmnopqrstuv"  # 22 letters: 20 of them and '...' are no shorter
    run = cli("eval", f"x {token}", "x=1")
    assert run.code == 2 and run.err.startswith(f"error: unexpected '{token}' at line 1, column 3"), run.err
    long = "a" * 30
    run = cli("eval", f"x {long}", "x=1")
    assert run.err.startswith(f"error: unexpected '{'a' * 20}...' at line 1, column 3"), run.err


def test_a_trace_name_cut_at_a_space_has_no_doubled_space(cli):
    expression = f"({'a' * 17} + {'b' * 30})*c"  # the 18th letter of the sum's text is a space
    values = [f"{'a' * 17}=1", f"{'b' * 30}=2", "c=3"]
    trace = json.loads(cli("eval", expression, *values, "--trace", "--format", "json").out)["trace"]
    names = [i["node"] for step in trace for i in step["inputs"]]
    assert f"{'a' * 17} ... {'b' * 17}" in names, names
    assert not any("  " in name for name in names)


@pytest.mark.parametrize("columns", [60, 61])
def test_a_shortened_title_takes_the_whole_width(cli, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    expression = "+".join(f"x{k}" for k in range(40))  # no space at a cut to leave out
    run = cli("eval", expression, *(f"x{k}=1" for k in range(40)))
    title = run.out.splitlines()[0]
    assert " ... " in title and title.endswith(" = 40.0") and cell_len(title) == columns, title


def test_a_long_node_name_in_a_table_is_cut_to_its_limit(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    name = "v" + "_".join(str(k) for k in range(40))  # one variable, 110 letters
    out = cli("eval", f"{name}*2", f"{name}=1").out
    cell = next(line.split()[0:3] for line in out.splitlines() if " ... " in line and "(" not in line)
    assert cell[1] == "..." and len(" ".join(cell)) == 48, cell  # 48 letters, both ends kept
    assert cell[0] == name[:22] and cell[2] == name[-21:], cell


def test_no_module_cuts_text_its_own_way():
    # A slice followed by '...', or two slices around ' ... ': a second shortener.
    own = re.compile(r"""\[[^\]\n]*:[^\]\n]*\]\s*\+\s*["']\.\.\.["']|\]\} \.\.\. \{""")
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "autodiff_cli").rglob("*.py"))
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if own.search(line)]
    assert not found, found
