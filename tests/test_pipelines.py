"""Batches as data pipelines run them: key columns passed through (--keep),
Hive partitions (key=value directories) read as columns, the notes of a --dask
run those of one process, relative paths resolved on the client, and inputs
read as strictly with many rows as with one. Truths: the input's own cells,
pyarrow reading the output back, values computed by hand, one process against
--dask on local:2 (a few thousand rows)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from autodiff_cli.base.errors import UsageError  # noqa: E402
from autodiff_cli.points.columns import evaluate_columns  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def autodiff(*args: str, cwd: Path | str = ROOT, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


# --keep, one process -------------------------------------------------------------------------------------------

def test_keep_passes_csv_text_through_unchanged(tmp_path):
    src = tmp_path / "p.csv"
    src.write_text('id,x\nA-17,3\n"b,2",0.5\n007,-1\n')
    run = autodiff("eval", "x**2", "--input", str(src), "--keep", "id", "--format", "csv")
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows[0] == ["id", "x", "value", "grad_x"]
    assert [r[0] for r in rows[1:]] == ["A-17", "b,2", "007"]  # as read: text, quoted where it must be
    assert [(float(r[2]), float(r[3])) for r in rows[1:]] == [(9.0, 6.0), (0.25, 1.0), (1.0, -2.0)]


def test_keep_passes_parquet_columns_through_with_their_type_and_nulls(tmp_path):
    src = tmp_path / "p.parquet"
    ids = pa.array([10, None, 2**62], type=pa.int64())  # beyond 2**53: a float64 would change it
    names = pa.array(["a", "b", None])
    pq.write_table(pa.table({"id": ids, "name": names, "x": [1.0, 2.0, 4.0]}), src)
    out = tmp_path / "out.parquet"
    run = autodiff("eval", "sqrt(x)", "--input", str(src), "--keep", "id", "--keep", "name", "-o", str(out))
    assert run.returncode == 0, run.stderr
    table = pq.read_table(out)
    assert table.schema.names == ["id", "name", "x", "value", "grad_x"]
    assert table.column("id").type == pa.int64() and table.column("id").to_pylist() == [10, None, 2**62]
    assert table.column("name").to_pylist() == ["a", "b", None]
    assert table.column("value").to_pylist() == [1.0, math.sqrt(2.0), 2.0]
    assert table.column("grad_x").to_pylist() == [0.5, 0.5 / math.sqrt(2.0), 0.25]


def test_keep_passes_json_values_through(tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_text('{"key": "k1", "x": 2}\n{"key": null, "x": 3}\n{"key": [1, "a"], "x": 4}\n')
    run = autodiff("eval", "3*x", "--input", str(src), "--keep", "key", "--format", "jsonl")
    assert run.returncode == 0, run.stderr
    points = [json.loads(line) for line in run.stdout.splitlines()]
    assert [p["key"] for p in points] == ["k1", None, [1, "a"]]
    assert [p["value"] for p in points] == [6.0, 9.0, 12.0]
    assert list(points[0]) == ["key", "variables", "value", "gradients"]


def test_keep_with_several_chunks_keeps_each_row_with_its_key(tmp_path):
    n = 70_000  # more than one chunk (65,536)
    src = tmp_path / "p.csv"
    src.write_text("id,x\n" + "".join(f"r{k},{k}\n" for k in range(n)))
    out = tmp_path / "out.parquet"
    run = autodiff("eval", "2*x + 1", "--input", str(src), "--keep", "id", "-o", str(out))
    assert run.returncode == 0, run.stderr
    table = pq.read_table(out)
    assert table.column("id").to_pylist() == [f"r{k}" for k in range(n)]
    assert np.array_equal(table.column("value").to_numpy(), 2 * np.arange(n) + 1.0)


def test_a_column_neither_variable_nor_kept_points_at_keep(tmp_path):
    src = tmp_path / "p.parquet"
    pq.write_table(pa.table({"id": ["a", "b"], "x": [1.0, 2.0]}), src)
    run = autodiff("eval", "x", "--input", str(src), "--format", "csv")
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.startswith("error: ") and "--keep id" in run.stderr and len(run.stderr.splitlines()) == 1


@pytest.mark.parametrize("args, message", [
    (["--keep", "x"], "'x' is a variable"),
    (["--keep", "nope"], "no column 'nope' to keep"),
    (["--keep", "value"], "a column 'value' of its own"),
])
def test_keep_of_what_cannot_be_kept_is_a_usage_error(tmp_path, args, message):
    src = tmp_path / "p.csv"
    src.write_text("id,x\na,1\nb,2\n")
    run = autodiff("eval", "x", "--input", str(src), "--format", "csv", *args)
    assert run.returncode == 2 and message in run.stderr and run.stdout == "", run.stderr


def test_keep_needs_an_input(tmp_path):
    run = autodiff("eval", "x", "--grid", "x=0:2:1", "--keep", "id", "--format", "csv")
    assert run.returncode == 2 and "--keep" in run.stderr and run.stdout == ""


def test_evaluate_columns_keep():
    table = pa.table({"x": [1.0, 2.0], "id": pa.array([7, None], type=pa.int32()), "junk": [0, 0]})
    out = evaluate_columns("x*y", table.select(["x", "id"]), keep=["id"], y=3.0)
    assert out.schema.names == ["id", "x", "value", "grad_x", "grad_y"]
    assert out.column("id").type == pa.int32() and out.column("id").to_pylist() == [7, None]
    assert out.column("value").to_pylist() == [3.0, 6.0]
    frame = evaluate_columns("x*y", table.to_pandas(), keep=["id", "junk"], y=3.0)
    assert list(frame.columns) == ["id", "junk", "x", "value", "grad_x", "grad_y"]
    with pytest.raises(UsageError, match=r"'junk'.*keep="):
        evaluate_columns("x", table, keep=["id"])
    assert evaluate_columns("x", table).schema.names == ["x", "id", "junk", "value", "grad_x"]  # no keep: as before


# Hive partitions ------------------------------------------------------------------------------------------------

def hive_dataset(root: Path) -> Path:
    for d, region, xs in ((1, "eu", [1.0, 2.0]), (2, "us", [3.0])):
        folder = root / f"d={d}" / f"region={region}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"x": xs}), folder / "part-0.parquet")
    return root


def test_a_hive_key_in_a_files_path_is_a_variables_value_in_one_process(tmp_path):
    src = hive_dataset(tmp_path / "data") / "d=2" / "region=us" / "part-0.parquet"
    run = autodiff("eval", "x*d", "--input", str(src), "--keep", "region", "--format", "csv")
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert rows == [["region", "x", "d", "value", "grad_x", "grad_d"], ["us", "3.0", "2.0", "6.0", "2.0", "3.0"]]


def one_file(root: Path, *directories: str, **columns) -> Path:
    folder = root.joinpath(*directories)
    folder.mkdir(parents=True)
    pq.write_table(pa.table(columns or {"x": [2.0]}), folder / "p.parquet")
    return folder / "p.parquet"


def test_a_key_given_twice_in_a_path_is_refused(cli, tmp_path):
    src = one_file(tmp_path, "d=1", "d=2")
    run = cli("eval", "x*d", "--input", str(src), "--format", "csv")
    assert run.code == 2 and run.out == ""
    assert run.err == f"error: '{src}': the key 'd' is given twice in its directories (d=.../d=...)\n"


def test_hives_default_partition_is_null(cli, tmp_path):
    src = one_file(tmp_path, "d=__HIVE_DEFAULT_PARTITION__")
    run = cli("eval", "x*d", "--input", str(src), "--format", "csv")  # a variable: nan, as a null cell is
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["x,d,value,grad_x,grad_d", "2.0,nan,nan,nan,2.0"]
    run = cli("eval", "x", "--input", str(src), "--keep", "d", "--format", "jsonl")  # kept: null
    assert run.code == 0, run.err
    assert json.loads(run.out)["d"] is None


def test_a_key_that_is_no_decimal_integer_stays_text(cli, tmp_path):
    src = one_file(tmp_path, "d=0x10")
    run = cli("eval", "x", "--input", str(src), "--keep", "d", "--format", "jsonl")
    assert run.code == 0, run.err
    assert json.loads(run.out)["d"] == "0x10"
    run = cli("eval", "x*d", "--input", str(src), "--format", "csv")
    assert run.code == 2
    assert run.err == f"error: '{src}': the directory d=0x10 gives the variable 'd' a value that is no number\n"


def test_a_result_column_of_text_is_ignored_as_any_result_column(cli, tmp_path):
    src = one_file(tmp_path, "in", x=[1.5], value=["not a number"])
    run = cli("eval", "x*2", "--input", str(src), "--format", "csv")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["x,value,grad_x", "1.5,3.0,2.0"]


def test_binary_and_duration_columns_kept_as_text_in_base64_and_iso_8601(cli, tmp_path):
    import base64
    import datetime

    blob = b"\x00\xffab"
    src = one_file(tmp_path, "in", x=[1.0, 2.0], blob=pa.array([blob, None]),
                   took=pa.array([datetime.timedelta(days=1, seconds=3.5), -datetime.timedelta(seconds=61)],
                                 pa.duration("us")))
    run = cli("eval", "x", "--input", str(src), "--keep", "blob,took", "--format", "csv")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["blob,took,x,value,grad_x",
                                    f"{base64.b64encode(blob).decode()},P1DT0H0M3.5S,1.0,1.0,1.0",
                                    ",-P0DT0H1M1S,2.0,2.0,1.0"]
    run = cli("eval", "x", "--input", str(src), "--keep", "blob,took", "--format", "jsonl")
    first = json.loads(run.out.splitlines()[0])
    assert base64.b64decode(first["blob"]) == blob and first["took"] == "P1DT0H0M3.5S"


# --dask ---------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dask_available():
    pytest.importorskip("distributed")


def read_parts(out: Path) -> pa.Table:
    return pa.concat_tables(pq.read_table(f) for f in sorted(out.iterdir()))


def test_dask_reads_hive_keys_as_columns_and_keeps_them(tmp_path, dask_available):
    root = hive_dataset(tmp_path / "data")
    out = tmp_path / "out"
    run = autodiff("eval", "x*d", "--input", str(root), "--output", str(out), "--dask", "local:2",
                   "--keep", "region", timeout=240)
    assert run.returncode == 0, run.stderr
    table = read_parts(out)
    assert table.schema.names == ["region", "x", "d", "value", "grad_x", "grad_d"]
    assert table.column("region").to_pylist() == ["eu", "eu", "us"]
    assert table.column("value").to_pylist() == [1.0, 2.0, 6.0]
    assert table.column("grad_d").to_pylist() == [1.0, 2.0, 3.0]
    dropped = autodiff("eval", "x*d", "--input", str(root), "--output", str(tmp_path / "o2"), "--dask", "local:2")
    assert dropped.returncode == 2 and "--keep region" in dropped.stderr  # not dropped silently


def test_dask_keeps_a_key_column_and_prints_the_notes_of_one_process(tmp_path, dask_available):
    """A relative --input and --output, the command run in another directory than the workers':
    one process and --dask give the same rows, the same key column and the same notes."""
    rng = np.random.default_rng(3)
    data = tmp_path / "data"
    data.mkdir()
    tables = []
    for k in range(2):
        x = rng.normal(size=1500)
        t = pa.table({"id": pa.array(np.arange(1500) + 1500 * k, type=pa.int64()), "x": x})
        pq.write_table(t, data / f"f{k}.parquet")
        tables.append(t)
    whole = tmp_path / "whole.parquet"
    pq.write_table(pa.concat_tables(tables), whole)
    one = autodiff("eval", "log(x)", "--input", "whole.parquet", "--keep", "id", "-o", "one.parquet", cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    bad = int(np.count_nonzero(pa.concat_tables(tables).column("x").to_numpy() <= 0))
    assert bad and one.stderr == (f"note: {bad:,} of 3,000 points gave a non-finite value or gradient "
                                  "(written as IEEE results)\n")
    run = autodiff("eval", "log(x)", "--input", "data", "--keep", "id", "-o", "out", "--dask", "local:2",
                   cwd=tmp_path, timeout=240)
    assert run.returncode == 0, run.stderr
    assert run.stderr == one.stderr
    got, expected = read_parts(tmp_path / "out"), pq.read_table(tmp_path / "one.parquet")
    assert got.schema == expected.schema and got.schema.names == ["id", "x", "value", "grad_x"]
    assert got.column("id").to_pylist() == list(range(3000))
    for name in ("x", "value", "grad_x"):  # bit for bit (nan too)
        bits = [t.column(name).to_numpy().view(np.int64) for t in (got, expected)]
        assert np.array_equal(*bits)


def test_a_read_failure_under_dask_is_worded_as_one(tmp_path, dask_available):
    from autodiff_cli.points.partition import Partition, evaluate_partition

    src = tmp_path / "p.parquet"
    pq.write_table(pa.table({"x": [1.0]}), src)
    part = Partition(str(src), [0], 1)
    os.unlink(src)
    with pytest.raises(UsageError, match=r"^cannot read '.*p\.parquet'"):
        evaluate_partition("x", {}, part, str(tmp_path / "t.parquet"))


# leftovers of the batch readers ---------------------------------------------------------------------------------

def test_a_multi_row_csv_refuses_what_a_one_row_csv_refuses(tmp_path):
    for rows in ("1_000\n", "1_000\n2\n"):
        src = tmp_path / "p.csv"
        src.write_text("x\n" + rows)
        run = autodiff("eval", "x", "--input", str(src), "--format", "csv")
        assert run.returncode == 2 and "'1_000' is not a number" in run.stderr and run.stdout == "", run.stderr


def test_a_multi_row_json_error_names_the_key_and_why(tmp_path):
    src = tmp_path / "p.jsonl"
    src.write_text('{"x": 1}\n{"x": "2"}\n')
    run = autodiff("eval", "x", "--input", str(src), "--format", "csv")
    assert run.returncode == 2
    assert "line 2: values must be numbers ('x': '2' is a string" in run.stderr, run.stderr


def test_the_cluster_extra_has_what_the_readmes_snippets_import():
    import tomllib

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cluster"]
    names = {req.split(">")[0].split("=")[0].split("[")[0].strip() for req in extra}
    page = (ROOT / "docs" / "pipelines.md").read_text()
    assert "import dask.dataframe" in page
    assert {"pyarrow", "dask", "pandas"} <= names  # dask.dataframe and evaluate_columns' DataFrames need pandas


def test_dask_partitions_name_their_files_absolutely(tmp_path, monkeypatch, dask_available):
    # A worker runs in a directory of its own: a relative name would be read there.
    from autodiff_cli.points import cluster

    (tmp_path / "points").mkdir()
    pq.write_table(pa.table({"x": [1.0]}), tmp_path / "points" / "f.parquet")
    monkeypatch.chdir(tmp_path)
    chosen = [p for p, _ in cluster.partitions(cluster.dataset_files("points"))]
    assert [p.path for p in chosen] == [str(tmp_path / "points" / "f.parquet")]


def test_every_parquet_file_says_what_made_it(cli, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from autodiff_cli import __version__

    out = tmp_path / "one.parquet"
    assert cli("eval", "x*y", "--grid", "x=0:3:1", "y=2", "-o", str(out)).code == 0
    meta = pq.read_schema(out).metadata
    assert meta[b"autodiff.expression"] == b"x*y" and json.loads(meta[b"autodiff.variables"]) == ["x", "y"]
    assert meta[b"autodiff.version"] == __version__.encode()
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0], "y": [3.0, 4.0]}), tmp_path / "in" / "part-0.parquet")
    run = cli("eval", "x + y", "--input", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--dask", "local:1")
    assert run.code == 0, run.err
    [part] = list((tmp_path / "out").glob("*.parquet"))
    assert pq.read_schema(part).metadata[b"autodiff.expression"] == b"x + y"


def test_a_url_that_only_fsspec_knows_is_read_and_written(cli):
    # memory:// is no pyarrow file system: fsspec's, as a pyarrow one (gcs://, az:// alike where installed).
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    fs.pipe("/pts/points.csv", b"x,y\n1,2\n3,4\n")
    run = cli("eval", "x*y", "--input", "memory://pts/points.csv", "-o", "memory://out/r.csv")
    assert run.code == 0, run.err
    assert fs.cat("/out/r.csv").decode().splitlines() == ["x,y,value,grad_x,grad_y", "1.0,2.0,2.0,2.0,1.0",
                                                          "3.0,4.0,12.0,4.0,3.0"]
    assert fs.ls("/out", detail=False) == ["/out/r.csv"]  # no temporary object left
    missing = cli("eval", "x", "--input", "nosuchproto://a/b.csv")
    assert missing.code == 2 and missing.err.startswith("error: cannot open 'nosuchproto://a/b.csv'")
