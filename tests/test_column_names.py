"""Column names in batches: a header of tens of thousands of names is checked
in time that grows linearly; the column a message names is the first in file
order; result columns never share a name with a variable, so autodiff reads
its own output back; Parquet integers beyond 2**53 and Parquet faults; and
messages that list names stay one short line. Truths: gradients derived by
hand, Python's own (correctly rounded) int-to-float conversion, and counts."""

from __future__ import annotations

import csv
import io
import time

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def table(text: str, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def header_file(tmp_path, names, rows=0, name="h.csv"):
    path = tmp_path / name
    path.write_text(",".join(names) + "\n" + ("1" + ",1" * (len(names) - 1) + "\n") * rows)
    return str(path)


# --- which column a message names ---------------------------------------------------------------

def test_a_message_names_the_first_offending_column_in_file_order(cli, tmp_path):
    # Thousands of unknown names: a set would name any of them; the file's first is 'u0'.
    names = ["x", *(f"u{k}" for k in range(5000))]
    for rows in (0, 1, 3):  # a header alone, one point (the scalar path), a batch
        run = cli("eval", "x*2", "--input", header_file(tmp_path, names, rows))
        assert run.code == 2 and "no variable 'u0' in the expression" in run.err, (rows, run.err)
    path = tmp_path / "u.parquet"
    pq.write_table(pa.table({n: [1.0] for n in names}), path)
    run = cli("eval", "x*2", "--input", str(path))
    assert run.code == 2 and "no variable 'u0' in the expression" in run.err
    # A column given twice: the first that repeats an earlier one, reading left to right.
    names = [f"x{k}" for k in range(3000)]
    names[2000], names[2500] = "x1500", "x7"
    expr = "+".join(f"x{k}" for k in range(3000))
    for rows in (0, 1, 3):
        source = header_file(tmp_path, names, rows)
        run = cli("eval", expr, "--input", source)
        assert run.code == 2 and run.err == f"error: '{source}': the column 'x1500' appears twice\n", (rows, run.err)
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([1.0])] * len(names), names=names), path)
    assert cli("eval", expr, "--input", str(path)).err == f"error: '{path}': the column 'x1500' appears twice\n"


def test_a_batch_with_a_column_twice_is_refused_by_name():
    pd = pytest.importorskip("pandas")
    from autodiff_cli.base.errors import UsageError
    from autodiff_cli.points.columns import evaluate_columns

    frame = pd.DataFrame([[1.0, 2.0, 3.0]], columns=["x", "y", "x"])
    arrow = pa.Table.from_arrays([pa.array([1.0])] * 3, names=["y", "x", "x"])
    for batch in (frame, arrow):
        with pytest.raises(UsageError, match="the batch has the column 'x' twice"):
            evaluate_columns("x*y", batch)


# --- linear growth --------------------------------------------------------------------------------

def _best_time(run, repeats=3) -> float:
    """The least processor time of ``repeats`` runs: the machine may be busy with
    other work, which wall-clock time would count."""
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def _ratio(make, small: int, large: int) -> float:
    """How many times longer ``make(large)()`` takes than ``make(small)()``."""
    runs = make(small), make(large)
    runs[0]()  # warm up: imports, the parser's tables
    return _best_time(runs[1]) / max(_best_time(runs[0]), 1e-6)


class _Footer:
    """A Parquet file's footer as parquet_points reads it: names, no rows. pyarrow's
    own work on thousands of columns is left out, so the time is autodiff's."""

    def __init__(self, names):
        self.schema_arrow = pa.schema([pa.field(n, pa.float64()) for n in names])
        self.num_row_groups = 0


class _Sink:
    def __init__(self, out, names, kept=None, expression=None):
        self.names = names

    def abort(self):
        pass


def test_wide_headers_are_checked_in_linear_time(cli, tmp_path, monkeypatch):
    """4 times the columns takes less than 10 times as long (linear: 4; a search
    of the earlier names for each name: 16) for each reader and writer of names:
    a CSV header of unknown names through the command, a Parquet file's columns,
    and the columns of a Parquet file written."""
    from autodiff_cli.cli.output import BatchWriter, Format
    from autodiff_cli.core.parser import parse
    from autodiff_cli.points import parquet

    def csv_header(n: int):
        source = header_file(tmp_path, [f"u{k}" for k in range(n)], 0, f"u{n}.csv")
        return lambda: cli("eval", "x", "--input", source).err.startswith("error: ")

    footers: dict[str, _Footer] = {}
    monkeypatch.setattr(parquet, "_open", lambda path, where: footers[path])
    monkeypatch.setattr(parquet, "ParquetSink", _Sink)

    def parquet_columns(n: int):
        footers[f"p{n}"] = _Footer([f"x{k}" for k in range(n)])
        return lambda: next(parquet.parquet_points(f"p{n}", "p"))

    def parquet_written(n: int):
        expr = parse("+".join(f"x{k}" for k in range(n)))
        return lambda: BatchWriter(expr, Format.parquet, io.BytesIO()).abort()

    for make in (csv_header, parquet_columns, parquet_written):
        ratio = _ratio(make, 10_000, 40_000)
        assert ratio < 10, f"{make.__name__}: 4x the columns took {ratio:.1f}x the time"


# --- result columns never share a variable's name -------------------------------------------------

def _hand(value, x, grad_x):
    """f = value*x + grad_x: its value and gradients by hand."""
    return value * x + grad_x, {"value": x, "x": value, "grad_x": 1.0}


def test_result_columns_get_a_suffix_when_a_variable_has_their_name(cli, tmp_path):
    expr = "value*x + grad_x"
    grid = ["--grid", "value=-1:2:1", "--grid", "x=2:4:1", "grad_x=0.5"]
    run = cli("eval", expr, *grid, "--format", "csv")
    assert run.code == 0, run.err
    head, *rows = table(run.out)
    assert head == ["value", "x", "grad_x", "value_", "grad_value_", "grad_x_", "grad_grad_x_"]
    assert len(set(head)) == len(head) and len(rows) == 6
    for row in rows:
        value, x, grad_x, f, *grads = map(float, row)
        want, dwant = _hand(value, x, grad_x)
        assert f == want and grads == list(dwant.values())
    # No collision, no suffix: the names are as they always were.
    assert table(cli("eval", "a*x", "--grid", "a=0:1:1", "x=1", "--format", "csv").out)[0] == \
        ["a", "x", "value", "grad_a", "grad_x"]
    # A suffix that would collide in turn grows until nothing does.
    head = table(cli("eval", "value + value_", "value=1", "value_=2", "--format", "csv").out)[0]
    assert head == ["value", "value_", "value__", "grad_value__", "grad_value___"]
    # JSON keeps results apart by its shape: nothing renamed.
    point = cli("eval", expr, "value=2", "x=3", "grad_x=1", "--format", "json").out
    assert '"gradients": {"value": 3.0, "x": 2.0, "grad_x": 1.0}' in point


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".parquet"])
def test_autodiff_reads_its_own_output_back(cli, tmp_path, suffix):
    expr = "value*x + grad_x"
    out = tmp_path / f"out{suffix}"
    first = cli("eval", expr, "--grid", "value=-1:2:1", "--grid", "x=2:4:1", "grad_x=0.5", "-o", str(out))
    assert first.code == 0, first.err
    again = cli("eval", expr, "--input", str(out), "--format", "csv")
    assert again.code == 0, again.err
    assert "result columns ignored ('value_', 'grad_value_', 'grad_x_' and 1 more)" in again.err
    head, *rows = table(again.out)
    assert head == ["value", "x", "grad_x", "value_", "grad_value_", "grad_x_", "grad_grad_x_"]
    assert len(rows) == 6
    for row in rows:
        value, x, grad_x, f, *grads = map(float, row)
        want, dwant = _hand(value, x, grad_x)
        assert f == want and grads == list(dwant.values())


def test_a_single_point_and_its_named_nodes_never_share_a_column(cli, tmp_path):
    # An assigned name 'value' and one 'grad_x' beside the variable x (--all writes both).
    expr = "value = x*2; grad_x = value + 1; grad_x*y"
    run = cli("eval", expr, "x=3", "y=2", "--format", "csv", "--all")
    head, row = table(run.out)
    assert len(set(head)) == len(head), head
    got = dict(zip(head, map(float, row), strict=True))
    # By hand: value = 6, grad_x = 7, f = 14; df/dx = 2y = 4, df/dy = 7, df/dvalue = y = 2, df/dgrad_x = y = 2.
    assert got == {"x": 3.0, "y": 2.0, "value_": 14.0, "grad_x_": 4.0, "grad_y_": 7.0,
                   "value": 6.0, "grad_value_": 2.0, "grad_x": 7.0, "grad_grad_x_": 2.0}
    # A one-point input file holding autodiff's own output reads back too.
    single = tmp_path / "one.csv"
    single.write_text(cli("eval", "value*x", "value=2", "x=3", "--format", "csv").out)
    assert table(cli("eval", "value*x", "--input", str(single), "--format", "csv").out) == \
        [["value", "x", "value_", "grad_value_", "grad_x_"], ["2.0", "3.0", "6.0", "3.0", "2.0"]]


def test_evaluate_columns_names_results_as_the_command_does():
    pd = pytest.importorskip("pandas")
    from autodiff_cli.points.columns import evaluate_columns

    data = {"value": np.array([1.0, 2.0]), "x": np.array([3.0, 4.0])}
    want = {"value_": [3.0, 8.0], "grad_value_": [3.0, 4.0], "grad_x_": [1.0, 2.0]}
    for batch in (data, pd.DataFrame(data), pa.table(data), pa.RecordBatch.from_pydict(data)):
        out = evaluate_columns("value*x", batch)
        names = list(out) if isinstance(out, dict) else list(getattr(out, "column_names", out.columns))
        assert names == ["value", "x", *want]
        for name, column in want.items():
            assert np.asarray(out[name]).tolist() == column


# --- Parquet --------------------------------------------------------------------------------------

def test_parquet_integers_beyond_2_53_are_the_nearest_float64(cli, tmp_path):
    ints = [2**53 + 1, 2**63 - 1, -(2**63), 2**60 + 12345, 7]
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"x": pa.array(ints, pa.int64()),
                             "y": pa.array([2**64 - 1, 2**53 + 3, 0, 1, 2], pa.uint64())}), path)
    run = cli("eval", "x + 2*y", "--input", str(path), "--format", "csv")
    assert run.code == 0, run.err
    got = [list(map(float, r)) for r in table(run.out)[1:]]
    ys = [2**64 - 1, 2**53 + 3, 0, 1, 2]
    # float(int) is Python's correctly rounded conversion: the same number read from CSV or JSON.
    assert [r[:2] for r in got] == [[float(i), float(j)] for i, j in zip(ints, ys, strict=True)]
    assert [r[2] for r in got] == [float(i) + 2 * float(j) for i, j in zip(ints, ys, strict=True)]
    csv_path = tmp_path / "big.csv"
    csv_path.write_text("x,y\n" + "".join(f"{i},{j}\n" for i, j in zip(ints, ys, strict=True)))
    assert cli("eval", "x + 2*y", "--input", str(csv_path), "--format", "csv").out == run.out


def test_parquet_messages_are_one_line_naming_the_file(cli, tmp_path):
    good = tmp_path / "good.parquet"
    pq.write_table(pa.table({"x": np.linspace(0, 1, 1000)}), good)
    data = bytearray(good.read_bytes())
    data[-300:-10] = b"A" * 290  # the footer spoiled: pyarrow's message runs to several lines
    spoiled = tmp_path / "spoiled.parquet"
    spoiled.write_bytes(bytes(data))
    wide = tmp_path / "wide.parquet"
    pq.write_table(pa.table({"x": pa.array([{f"field{k}": 1.0 for k in range(1000)}])}), wide)
    for path in (spoiled, wide):
        run = cli("eval", "x*2", "--input", str(path))
        assert run.code == 2 and run.out == ""
        assert run.err.startswith("error: ") and run.err.count("\n") == 1, run.err
        assert f"'{path}'" in run.err and len(run.err) < 300 + len(str(path)), run.err


# --- messages that list names ---------------------------------------------------------------------

def test_a_message_lists_a_few_names_and_counts_the_rest(cli, tmp_path):
    n = 200_000
    expr = tmp_path / "e.txt"
    expr.write_text("+".join(f"x{k}" for k in range(n)))
    source = tmp_path / "in.csv"
    source.write_text("x0\n1\n2\n")
    for args in (["--input", str(source)], ["x0=1"]):
        run = cli("eval", f"@{expr}", *args)
        assert run.code == 2 and run.err.count("\n") == 1 and len(run.err) < 200, run.err[:300]
        assert run.err.startswith("error: missing value for 'x1', 'x2'")
        assert run.err.endswith(f" and {n - 1 - 6:,} more\n")


def test_listed_names_are_bounded():
    from autodiff_cli.base.errors import listed

    assert listed(["a"]) == "'a'"
    assert listed(list("abcdefg")) == "'a', 'b', 'c', 'd', 'e', 'f' and 1 more"
    assert listed(["x" * 500]).count("x") < 100
