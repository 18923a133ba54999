"""Hive keys and Parquet column names as the language names them (NFKC, as
Python's identifiers), and the values of keys: decimal integers are integers,
anything else is text, and a key of integers made text blames the directory
that made it so."""

from __future__ import annotations

import subprocess
import sys

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from test_pipelines import one_file  # noqa: E402


def test_a_full_width_key_of_a_lone_file_is_the_plain_variable(cli, tmp_path):
    src = one_file(tmp_path, "ｄ=3")  # NFKC('ｄ') == 'd'
    run = cli("eval", "x*d", "--input", str(src), "--format", "csv")
    assert run.code == 0, run.err
    assert run.out.splitlines() == ["x,d,value,grad_x,grad_d", "2.0,3.0,6.0,3.0,2.0"]


def test_dask_names_keys_and_columns_as_one_process_does(tmp_path):
    pytest.importorskip("distributed")
    root = tmp_path / "data"
    one_file(root, "ｄ=1", "ｒ=eu", **{"ｘ": [1.0, 2.0], "ﬁ": [10.0, 20.0], "ｉｄ": ["a", "b"]})
    one_file(root, "ｄ=2", "ｒ=us", **{"ｘ": [3.0], "ﬁ": [30.0], "ｉｄ": ["c"]})
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", "x*d + fi", "--input", str(root), "--output",
                          str(out), "--dask", "local:2", "--keep", "ｉｄ,ｒ"], capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0, run.stderr
    table = pa.concat_tables(pq.read_table(f) for f in sorted(out.iterdir()))
    assert table.schema.names == ["id", "r", "x", "d", "fi", "value", "grad_x", "grad_d", "grad_fi"]
    assert table.column("id").to_pylist() == ["a", "b", "c"] and table.column("r").to_pylist() == ["eu", "eu", "us"]
    assert table.column("value").to_pylist() == [1 * 1 + 10, 2 * 1 + 20, 3 * 2 + 30]
    assert table.column("grad_d").to_pylist() == [1.0, 2.0, 3.0]


def test_a_signed_plus_key_is_text_and_blamed(cli, tmp_path):
    root = tmp_path / "data"
    one_file(root, "d=-1")
    plus = one_file(root, "d=+2")
    run = cli("eval", "x", "--input", str(plus), "--keep", "d", "--format", "jsonl")
    assert run.code == 0 and '"d": "+2"' in run.out  # text, as written
    run = cli("eval", "x*d", "--input", str(root), "--output", str(tmp_path / "out"), "--dask", "local:2")
    assert run.code == 2 and run.err.count("\n") == 1 and "error parsing" not in run.err
    assert "d=+2 is no integer" in run.err


def test_an_integer_beyond_64_bits_is_blamed_not_its_neighbour(cli, tmp_path):
    root = tmp_path / "data"
    one_file(root, "d=1")
    one_file(root, "d=99999999999999999999999")
    run = cli("eval", "x*d", "--input", str(root), "--output", str(tmp_path / "out"), "--dask", "local:2")
    assert run.code == 2 and run.err.count("\n") == 1
    assert "d=99999999999999999999999 is beyond 64-bit integers" in run.err


def test_a_directory_without_a_key_is_refused(cli, tmp_path):
    root = tmp_path / "data"
    src = one_file(root, "=1")
    one_file(root, "=2")
    run = cli("eval", "x*d", "--input", str(root), "--output", str(tmp_path / "out"), "--dask", "local:2")
    assert run.code == 2 and run.err.count("\n") == 1 and "no variable ''" not in run.err
    assert "the directory '=1' names no key" in run.err
    run = cli("eval", "x*d", "--input", str(src), "--d", "2", "--format", "csv")  # a lone file: no dataset layout
    assert run.code == 0 and run.out.splitlines()[1] == "2.0,2.0,4.0,2.0,2.0"
