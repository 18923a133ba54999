"""What a number in an input file is: the command line's number syntax for CSV
cells, JSON numbers (not strings) for JSON; autodiff's own JSON Lines read back."""

from __future__ import annotations

import json

import pytest

from autodiff_cli.base.errors import UsageError
from autodiff_cli.core.values import is_number_text, parse_value


@pytest.mark.parametrize("text", ["2", " 2 ", "2.", ".5", "-1e3", "+4E-2", "nan", "-inf", "Infinity",
                                  "1_000", "١٢", "0x10", "1e", "", "2 3"])
def test_a_cell_is_a_number_exactly_when_a_command_line_value_of_digits_is(text):
    # The command line reads a value as a number or as a constant expression; a cell of text is a
    # number where the command line's reading of it is a plain number: digits (ASCII), sign, point,
    # exponent, nan and inf. What Python's float() alone reads (1_000, other scripts' digits) is not.
    want = text.strip() in {"2", "2.", ".5", "-1e3", "+4E-2", "nan", "-inf", "Infinity"}
    assert is_number_text(text) is want
    if want:
        assert parse_value("x", text, ieee=True) == pytest.approx(float(text), nan_ok=True)
    if text.strip() == "1_000":
        with pytest.raises(UsageError):
            parse_value("x", text, ieee=True)


@pytest.mark.parametrize(("cell", "shown"), [("1_000", "'1_000'"), ("١٢", "'١٢'")])
def test_a_csv_cell_that_float_alone_reads_is_refused_naming_file_line_and_column(cli, tmp_path, cell, shown):
    path = tmp_path / "points.csv"
    path.write_text(f"x,y\n2,{cell}\n", encoding="utf-8")
    run = cli("eval", "x*y", "--input", str(path), "--format", "csv")
    assert run.code == 2 and run.out == ""
    assert run.err == f"error: '{path}', line 2, column 'y': {shown} is not a number\n"
    path.write_text("x,y\n2, 3.5 \n", encoding="utf-8")  # spaces around a number are fine, as on the command line
    run = cli("eval", "x*y", "--input", str(path), "--format", "csv")
    assert run.code == 0 and run.out.splitlines()[1] == "2.0,3.5,7.0,3.5,2.0"


@pytest.mark.parametrize("content", ['{"x": "2"}\n', '[{"x": "2"}]', '{"x": true}\n', '{"x": null}\n'])
def test_a_json_string_is_not_a_number(cli, content):
    run = cli("eval", "x", "--input", "-", "--format", "csv", stdin=content.encode())
    assert run.code == 2 and run.out == "" and len(run.err.splitlines()) == 1
    assert run.err.startswith("error: standard input, ") and "values must be numbers ('x': " in run.err
    if '"2"' in content:
        assert "'2' is a string, not a number" in run.err


@pytest.mark.parametrize("points", [1, 3])
def test_jsonl_output_reads_back_as_input(cli, tmp_path, points):
    # The points of a grid, written as JSON Lines, read back: the same points, results computed anew.
    out = cli("eval", "x*y", "--grid", f"x=0:{points}:1", "y=2", "--format", "jsonl").out
    path = tmp_path / "out.jsonl"
    path.write_text(out, encoding="utf-8")
    assert [json.loads(line)["variables"] for line in out.splitlines()] == [{"x": float(k), "y": 2.0}
                                                                            for k in range(points)]
    run = cli("eval", "x*y", "--input", str(path), "--format", "csv")
    assert run.code == 0, run.err
    rows = [line.split(",") for line in run.out.splitlines()[1:]]
    assert [[float(c) for c in row] for row in rows] == [[k, 2.0, 2.0 * k, 2.0, k] for k in range(points)]


def test_a_parquet_file_with_no_columns_is_named(cli, tmp_path):
    pa = pytest.importorskip("pyarrow", reason="Parquet needs the cluster extra")
    import pyarrow.parquet as pq

    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({}), path)
    run = cli("eval", "x", "--input", str(path))
    assert run.code == 2 and run.err == f"error: missing value for 'x' ('{path}' has no columns)\n"
