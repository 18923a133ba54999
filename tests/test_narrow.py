"""Tables in a narrow terminal (down to 40 columns): no line is wider than the
terminal, no number is cut, and when a table is printed in blocks of columns
each block repeats what names a row (the variables of a batch, the step of a
trace), so that every block can be read on its own."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from test_terminal import ANSI, run

TANH = ["o = tanh(x1*w1 + x2*w2 + b)", "x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def _screen(args: list[str], columns: int) -> list[str]:
    """What ``autodiff ARGS`` shows on a terminal of ``columns`` columns, line by line."""
    code, shown, err = run(args, stdout_tty=True, columns=columns)
    assert code == 0, err
    return ANSI.sub(b"", shown).decode().replace("\r", "").split("\n")


def _numbers(value: object) -> list[float]:
    """Every number in a JSON document."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    return [value] if isinstance(value, float) else []


@pytest.mark.parametrize("columns", [40, 80])
@pytest.mark.parametrize("digits", ["6", "17"])
@pytest.mark.parametrize("extra", [["--trace"], ["--trace", "--all", "--hessian"]])
def test_a_trace_fits_a_narrow_terminal_and_shows_every_number(columns, digits, extra):
    lines = _screen(["eval", *TANH, *extra, "--digits", digits], columns)
    assert max(len(line) for line in lines) <= columns
    text = "\n".join(lines)
    assert "…" not in text
    document = json.loads(run(["eval", *TANH, *extra, "--format", "json"])[1])
    for number in _numbers(document):
        assert re.search(rf"(?<![\d.e-]){re.escape(f'{number:.{digits}g}')}", text), number


def _blocks(lines: list[str]) -> list[tuple[list[str], list[list[str]]]]:
    """A batch table's blocks: each its column names (the line above the rule)
    and its rows of cells (the lines under it, up to a blank line)."""
    blocks: list[tuple[list[str], list[list[str]]]] = []
    rows: list[list[str]] | None = None
    for k, line in enumerate(lines):
        if line.strip() and set(line.strip()) == {"─"}:
            rows = []
            blocks.append((lines[k - 1].split(), rows))
        elif not line.strip():
            rows = None
        elif rows is not None:
            rows.append(line.split())
    return blocks


@pytest.mark.parametrize(("z", "digits", "columns", "key"), [
    ("0.5", "6", 80, []),  # one block
    ("0.5", "6", 40, ["x", "y", "z"]),
    ("0.1", "17", 80, ["x", "y", "z"]),
    ("0.1", "17", 40, ["point"]),  # the variables leave no room beside them
])
def test_each_block_of_a_batch_names_its_points(z, digits, columns, key):
    args = ["eval", "x*y + z", "--grid", "x=0:3:1", "--grid", "y=0:2:1", f"z={z}", "--digits", digits]
    lines = _screen(args, columns)
    assert max(len(line) for line in lines) <= columns
    points = list(itertools.product([0.0, 1.0, 2.0], [0.0, 1.0]))
    zf = float(z)
    truth = {"x": [x for x, _ in points], "y": [y for _, y in points], "z": [zf] * 6,
             "value": [x * y + zf for x, y in points], "grad_x": [y for _, y in points],
             "grad_y": [x for x, _ in points], "grad_z": [1.0] * 6, "point": list(range(1, 7))}
    blocks = _blocks(lines)
    seen: list[str] = []
    assert (len(blocks) > 1) == bool(key)
    for names, rows in blocks:
        assert names[:len(key)] == key  # each block names its rows the same way
        assert len(rows) == 6
        for j, name in enumerate(names):
            assert [float(row[j]) for row in rows] == pytest.approx(truth[name], rel=10.0 ** -int(digits))
        seen += [n for n in names if n not in key]
    assert sorted(seen) == sorted({*truth} - {"point", *key})  # every other column once


@pytest.mark.parametrize("columns", [80, 160])
def test_an_op_name_is_never_broken_across_lines(columns):
    # The op column holds one word per row: wrapped, "softplus" read as "softpl" over "us".
    lines = _screen(["eval", "softplus(w*x + b) + atan2(x, w)", "w=2", "x=0.5", "b=-1", "--trace"], columns)
    ops, at = set(), None
    for line in lines:
        if re.match(r" step .* op ", line):
            at = line.index(" op ") + 1  # the column's start in this block
        elif at is not None and re.match(r"\s+\d+\s", line):
            ops.add(line[at:].split()[0])
    assert ops == {"softplus", "atan2", "+", "*"}, ops
