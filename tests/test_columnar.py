"""Columns in, columns out: evaluate_columns for Arrow, pandas and numpy batches,
Parquet files read and written exactly, and --output files in every format,
written whole or not at all. Truth is numpy computing the derivatives by hand."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pd = pytest.importorskip("pandas")

from autodiff_cli.base.errors import UsageError  # noqa: E402
from autodiff_cli.points.batch import CHUNK  # noqa: E402
from autodiff_cli.points.columns import evaluate_columns  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EDGES = np.array([-0.0, 5e-324, 1e308, np.inf, -np.inf, np.nan, 1.5, -2.0, 0.0, -1e-300])


def same(x, y) -> bool:
    """Equal bit for bit, nan for nan (whatever its payload)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    nan = np.isnan(x)
    return x.shape == y.shape and np.array_equal(nan, np.isnan(y)) and np.array_equal(
        x[~nan].view(np.int64), y[~nan].view(np.int64))


def by_hand(a, b, c, d):
    """a*(b+c*d) and its gradient, derived by hand."""
    with np.errstate(all="ignore"):
        return {"value": a * (b + c * d), "grad_a": b + c * d, "grad_b": a + 0 * b, "grad_c": a * d,
                "grad_d": a * c}


def points(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=n) * 10 for name in "abcd"}


@pytest.mark.parametrize("n", [0, 5, CHUNK + 17])
def test_a_mapping_of_arrays_gains_value_and_gradients(n):
    cols = points(n)
    out = evaluate_columns("a*(b+c*d)", {k: cols[k] for k in "acd"}, b=2.5)
    expected = by_hand(cols["a"], 2.5, cols["c"], cols["d"])
    assert list(out) == ["a", "c", "d", "value", "grad_a", "grad_b", "grad_c", "grad_d"]
    for name, column in expected.items():
        assert np.allclose(out[name], np.broadcast_to(column, (n,)), rtol=1e-15, atol=0), name
    assert out["a"] is cols["a"] or same(out["a"], cols["a"])


def test_arrow_tables_batches_and_pandas_frames_keep_their_kind_and_other_columns():
    cols = points(100)
    table = pa.table({"id": [f"p{k}" for k in range(100)], **cols, "n": np.arange(100)})
    expected = by_hand(*(cols[k] for k in "abcd"))
    from_table = evaluate_columns("a*(b+c*d)", table)
    from_batch = evaluate_columns("a*(b+c*d)", table.to_batches()[0])
    from_frame = evaluate_columns("a*(b+c*d)", table.to_pandas())
    assert isinstance(from_table, pa.Table) and isinstance(from_batch, pa.RecordBatch)
    assert isinstance(from_frame, pd.DataFrame)
    for out in (from_table, from_batch):
        assert out.schema.names == ["id", "a", "b", "c", "d", "n", *expected]
        assert out.column("id").to_pylist() == table.column("id").to_pylist()
        for name, column in expected.items():
            assert same(out.column(name).to_numpy(), column), name
    for name, column in expected.items():
        assert same(from_frame[name].to_numpy(), column), name


def test_integers_booleans_and_missing_values_are_numbers_and_nan():
    table = pa.table({"x": pa.array([1, None, 3], pa.int32()), "y": pa.array([True, False, None])})
    out = evaluate_columns("x + 2*y", table)
    assert same(out.column("value").to_numpy(), [3.0, np.nan, np.nan])
    frame = pd.DataFrame({"x": pd.array([1, None, 3], dtype="Int64"), "y": [1.0, 2.0, 3.0]})
    assert same(evaluate_columns("x*y", frame)["grad_y"].to_numpy(), [1.0, np.nan, 3.0])


@pytest.mark.parametrize(("batch", "fixed", "message"), [
    ({"a": np.ones(2)}, {}, "missing value for 'b'"),
    ({"a": np.ones(2), "b": np.ones(2)}, {"b": 1.0}, "given twice"),
    ({"a": np.ones(2), "b": np.ones(2)}, {"z": 1.0}, "no variable 'z'"),
    ({"a": np.ones(2), "b": np.ones(2), "value": np.ones(2)}, {}, "already has a column 'value'"),
    ({"a": np.ones(2), "b": np.ones(3)}, {}, "different lengths"),
    ({"a": np.array(["x", "y"]), "b": np.ones(2)}, {}, "column 'a' holds"),
])
def test_bad_batches_are_the_librarys_usage_errors(batch, fixed, message):
    with pytest.raises(UsageError, match=message):
        evaluate_columns("a*b", batch, **fixed)
    with pytest.raises(UsageError, match="column 'a' holds string"):
        evaluate_columns("a*b", pa.table({"a": ["x"], "b": [1.0]}))


def write_parquet(path: Path, columns: dict, **kw) -> Path:
    pq.write_table(pa.table(columns), path, **kw)
    return path


def test_parquet_round_trips_every_column_exactly(cli, tmp_path):
    a, b = EDGES, EDGES[::-1].copy()
    src = write_parquet(tmp_path / "in.parquet", {"a": a, "b": b})
    run = cli("eval", "a*b", "--input", str(src), "--output", str(tmp_path / "out.parquet"))
    assert run.code == 0 and run.out == ""
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.schema.names == ["a", "b", "value", "grad_a", "grad_b"]
    assert all(t == pa.float64() for t in out.schema.types)
    with np.errstate(all="ignore"):
        truth = {"a": a, "b": b, "value": a * b, "grad_a": 1.0 * b, "grad_b": 1.0 * a}
        failing = int(np.count_nonzero(~(np.isfinite(a * b) & np.isfinite(a) & np.isfinite(b))))
    for name, column in truth.items():
        assert same(out.column(name).to_numpy(), column), name
    assert f"{failing} of {len(a)} points gave a non-finite value" in run.err


def test_parquet_in_many_row_groups_equals_csv_in(cli, tmp_path, monkeypatch):
    cols = points(2 * CHUNK + 5, seed=3)
    src = write_parquet(tmp_path / "in.parquet", cols, row_group_size=10_000)
    csv_in = tmp_path / "in.csv"
    csv_in.write_text("a,b,c,d\n" + "".join(",".join(repr(float(cols[k][i])) for k in "abcd") + "\n"
                                             for i in range(len(cols["a"]))))
    from_parquet = cli("eval", "a*(b+c*d)", "--input", str(src), "--format", "csv")
    from_csv = cli("eval", "a*(b+c*d)", "--input", str(csv_in), "--format", "csv")
    assert from_parquet.code == 0 and from_parquet.out == from_csv.out
    rows = np.loadtxt(from_parquet.out.splitlines()[1:], delimiter=",")
    for k, column in enumerate(by_hand(*(cols[n] for n in "abcd")).values()):
        assert np.allclose(rows[:, 4 + k], column, rtol=1e-15, atol=0)
    from autodiff_cli.points import parquet

    monkeypatch.setattr(parquet, "ROW_GROUP", CHUNK + 1)  # chunks gathered: 65,537 + 65,535, then the last 5
    assert cli("eval", "a*(b+c*d)", "--input", str(src), "-o", str(tmp_path / "out.parquet")).code == 0
    out = pq.ParquetFile(tmp_path / "out.parquet")
    assert [out.metadata.row_group(g).num_rows for g in range(out.num_row_groups)] == [CHUNK + 1, CHUNK - 1, 5]
    table = out.read()
    for k, name in enumerate(from_csv.out.splitlines()[0].split(",")):
        assert same(table.column(name).to_numpy(), rows[:, k]), name


def test_parquet_is_known_by_its_first_bytes_and_checked_like_csv(cli, tmp_path):
    src = write_parquet(tmp_path / "points.data", {"x": [1, 2], "y": [3.0, 4.0]})
    run = cli("eval", "x*y", "--input", str(src), "--format", "jsonl")
    assert [json.loads(line)["value"] for line in run.out.splitlines()] == [3.0, 8.0]
    assert cli("eval", "x", "--input", str(src)).err == (
        f"error: '{src}': no variable 'y' in the expression (its variables: 'x'); --keep y passes it through to "
        "the output\n")
    words = write_parquet(tmp_path / "w.parquet", {"x": ["a"]})
    assert cli("eval", "x", "--input", str(words)).err.startswith("error: '")
    assert "column 'x' holds string" in cli("eval", "x", "--input", str(words)).err
    fake = tmp_path / "fake.parquet"
    fake.write_text("x\n1\n")
    run = cli("eval", "x", "--input", str(fake))
    assert run.code == 2 and run.err.startswith(f"error: cannot read '{fake}': not a Parquet file")
    empty = write_parquet(tmp_path / "e.parquet", {"x": pa.array([], pa.float64())})
    run = cli("eval", "x", "--input", str(empty), "--format", "csv")
    assert (run.code, run.out) == (0, "x,value,grad_x\r\n") and "holds no points" in run.err


def test_parquet_on_real_standard_input_is_refused(tmp_path):
    src = write_parquet(tmp_path / "p.parquet", {"x": [1.0]})
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", "x", "--input", "-"], cwd=ROOT,
                         stdin=src.open("rb"), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "read from a file only" in run.stderr and len(run.stderr.splitlines()) == 1


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json"])
@pytest.mark.parametrize("source", ["grid", "parquet"])
def test_output_files_hold_what_standard_output_shows(cli, tmp_path, fmt, source):
    if source == "grid":
        where = ["--grid", "x=-2:2:0.5", "--grid", "y=0:3:1"]
    else:
        where = ["--input", str(write_parquet(tmp_path / "p.parquet", {"x": EDGES, "y": EDGES + 1}))]
    shown = cli("eval", "log(x)*y", *where, "--format", fmt)
    target = tmp_path / f"out.{fmt}"
    run = cli("eval", "log(x)*y", *where, "--output", str(target))
    assert run.code == shown.code == 0 and run.out == "" and run.err == shown.err
    assert target.read_bytes() == shown.out.encode()
    parquet = tmp_path / "out.parquet"
    assert cli("eval", "log(x)*y", *where, "-o", str(parquet)).code == 0
    table = pq.read_table(parquet)
    if fmt == "csv":
        rows = [line.split(",") for line in shown.out.splitlines()]
        assert table.schema.names == rows[0]
        for k, name in enumerate(rows[0]):
            assert same(table.column(name).to_numpy(), [float(r[k]) for r in rows[1:]]), name


def test_output_names_and_formats_must_agree(cli, tmp_path):
    grid = ["--grid", "x=0:2:1"]
    assert "does not match the name" in cli("eval", "x", *grid, "--format", "csv", "-o", str(tmp_path / "a.tsv")).err
    assert "cannot tell the format" in cli("eval", "x", *grid, "-o", str(tmp_path / "a.txt")).err
    assert cli("eval", "x", *grid, "--format", "csv", "-o", str(tmp_path / "a.txt")).code == 0
    assert (tmp_path / "a.txt").read_text() == "x,value,grad_x\n0.0,0.0,1.0\n1.0,1.0,1.0\n"
    run = cli("eval", "x", "x=1", "-o", str(tmp_path / "b.csv"))
    assert run.code == 2 and "--output is for batches" in run.err
    for args, message in ((["--format", "csv"], "--dask writes a Parquet dataset: leave out --format csv"),
                          ([], "--dask evaluates a Parquet dataset: give --input DATASET")):
        run = cli("eval", "x", *grid, "-o", str(tmp_path / "d"), "--dask", "local:1", *args)
        assert run.code == 2 and run.err.startswith(f"error: {message}")
    assert not (tmp_path / "d").exists()
    run = cli("eval", "value*2", *["--grid", "value=0:2:1"], "-o", str(tmp_path / "v.parquet"))
    assert run.code == 0  # a variable named value: the results are value_ and grad_value_ (see test_result_names)


def test_a_failing_batch_leaves_the_old_file_and_no_temporary(cli, tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("x\n" + "1\n" * (CHUNK + 10) + "oops\n")
    run = cli("eval", "x", "--input", str(bad), "--output", str(target))
    assert run.code == 2 and "'oops' is not a number" in run.err
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "out.csv"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_output_is_not_written(tmp_path, signum):
    target = tmp_path / "out.parquet"
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", "eval", "x*y", "--grid", "x=0:1e9:1",
                             "y=2", "-o", str(target)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # well into the batch
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    assert err.startswith(("error: interrupted: ", "error: terminated: ")) and "not written" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("hidden", "args", "what"), [
    ("pyarrow", ["--input", "{src}"], "Reading Parquet needs pyarrow"),
    ("pyarrow", ["--grid", "x=0:1:1", "-o", "{dir}/o.parquet"], "Writing Parquet needs pyarrow"),
    ("distributed", ["--input", "{src}", "-o", "{dir}/out", "--dask", "local:1"], "Running on Dask needs distributed"),
])
def test_a_missing_extra_says_how_to_install_it(tmp_path, hidden, args, what):
    src = write_parquet(tmp_path / "p.parquet", {"x": [1.0]})
    argv = ["eval", "x", *(a.format(src=src, dir=tmp_path) for a in args)]
    code = (f"import sys; sys.modules[{hidden!r}] = None; from autodiff_cli.cli.main import main; "
            f"sys.exit(main({argv!r}))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr == f'error: {what}, which is not installed: pip install "autodiff-cli[cluster]"\n'
    assert os.listdir(tmp_path) == ["p.parquet"]


@pytest.mark.parametrize("kind", ["directory", "glob"])
def test_a_dataset_without_dask_is_one_error_with_a_hint(cli, tmp_path, kind):
    src = tmp_path / "points"
    src.mkdir()
    write_parquet(src / "p.parquet", {"x": [1.0]})
    given = src if kind == "directory" else src / "*.parquet"
    run = cli("eval", "x", "--input", str(given), "-o", str(tmp_path / "out.csv"))
    what = "is a directory" if kind == "directory" else "is a glob, which names no one file"
    assert (run.code, run.out) == (2, "")
    assert run.err == (f"error: --input '{given}' {what}: a Parquet dataset is read with --dask "
                       "(--dask local runs it on this machine), or name one file\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points"]


@pytest.mark.parametrize("suffix", ["parquet", "csv", "tsv"])
@pytest.mark.parametrize("points", [1, 7])
def test_autodiffs_own_output_reads_back(cli, tmp_path, suffix, points):
    first, second = tmp_path / f"first.{suffix}", tmp_path / f"second.{suffix}"
    grid = ["--grid", f"a=1:{points + 1}:1", "--grid", "c=0.5:1:1"]  # no zeros: no signed zero to differ
    assert cli("eval", "a*(b+c*d)", *grid, "b=2", "d=-3", "-o", str(first)).code == 0
    run = cli("eval", "a*(b+c*d)", "--input", str(first), "-o", str(second))  # b and d are columns now
    assert run.code == 0, run.err
    assert run.err == (f"note: '{first}': result columns ignored ('value', 'grad_a', 'grad_b' and 2 more): "
                       "computed anew\n")
    if suffix == "parquet":
        assert pq.read_table(second).equals(pq.read_table(first))
    else:
        assert second.read_bytes() == first.read_bytes()


def test_only_this_expressions_result_columns_are_ignored(cli, tmp_path):
    src = write_parquet(tmp_path / "p.parquet", {"x": [1.0, 2.0], "value": [0.0, 0.0], "grad_x": [0.0, 0.0]})
    run = cli("eval", "3*x", "--input", str(src), "--format", "csv")
    assert run.code == 0 and run.out == "x,value,grad_x\r\n1.0,3.0,3.0\r\n2.0,6.0,3.0\r\n"
    for extra in ("grad_z", "values", "grad_"):  # not a result of x: unknown, as before
        stray = write_parquet(tmp_path / "s.parquet", {"x": [1.0], extra: [0.0]})
        run = cli("eval", "x", "--input", str(stray), "--format", "csv")
        assert (run.code, run.err) == (
            2, f"error: '{stray}': no variable '{extra}' in the expression (its variables: 'x'); --keep {extra} "
            "passes it through to the output\n")
    named = write_parquet(tmp_path / "v.parquet", {"value": [2.0]})  # a variable called value is a variable
    run = cli("eval", "value*2", "--input", str(named), "--format", "jsonl")
    assert run.code == 0 and json.loads(run.out)["variables"] == {"value": 2.0} and run.err == ""


@pytest.mark.parametrize("suffix", [".parquet", ".parq", ".pq", ".PQ"])
def test_every_parquet_suffix_is_written_as_it_is_read(cli, tmp_path, suffix):
    # The suffixes --input takes for Parquet are the ones --output writes it for.
    out = tmp_path / f"out{suffix}"
    run = cli("eval", "x*x", "--grid", "x=-1:2:1", "-o", str(out))
    assert run.code == 0, run.err
    got = pq.read_table(out)
    assert got.column_names == ["x", "value", "grad_x"]
    assert got.column("value").to_pylist() == [1.0, 0.0, 1.0] and got.column("grad_x").to_pylist() == [-2.0, 0.0, 2.0]
    back = cli("eval", "x*x", "--input", str(out), "--format", "csv")
    assert back.code == 0 and back.out.splitlines()[1:] == ["-1.0,1.0,-2.0", "0.0,0.0,0.0", "1.0,1.0,2.0"]


def test_arrow_columns_in_and_out_never_import_pandas(tmp_path):
    # pyarrow's to_numpy and pa.array import pandas wherever it is installed: a quarter of a
    # second of every process (each Dask worker's too) for points that hold no pandas at all.
    src = write_parquet(tmp_path / "p.parquet", {"a": [1.0, None, 3.0], "b": [1, 2, 3]})
    out = tmp_path / "o.parquet"
    code = ("import sys, pyarrow.parquet as pq; from autodiff_cli.cli.main import main; "
            "from autodiff_cli.points.columns import evaluate_columns; "
            f"status = main(['eval', 'a*b', '--input', {str(src)!r}, '-o', {str(out)!r}]); "
            f"batch = evaluate_columns('a*b', next(pq.ParquetFile({str(src)!r}).iter_batches())); "
            "seen = 'pandas' in sys.modules; print(seen, batch.column('grad_b')[1].as_py()); sys.exit(status)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["False", "nan"]
    got = pq.read_table(out)
    assert same(got.column("value").to_numpy(), [1.0, np.nan, 9.0])
    assert same(got.column("grad_a").to_numpy(), [1.0, 2.0, 3.0])
    assert same(got.column("grad_b").to_numpy(), [1.0, np.nan, 3.0])
