"""What --dask writes: one Parquet file (-o results.parquet) that appears whole,
and a dataset of many small files gathered into few outputs. Its truth is one
process's output for the same points, bit for bit."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("distributed")

from test_dask import EXPR, ROOT, dataset, parts, same_tables, single_process  # noqa: E402

from autodiff_cli.points import cluster  # noqa: E402


def test_one_parquet_file_out_of_dask_appears_whole_and_equals_one_process(tmp_path):
    src = dataset(tmp_path / "points", files=3, rows=30_000, names="acd")
    out = tmp_path / "results.parquet"
    out.write_bytes(b"an old file, replaced")
    proc = subprocess.Popen([sys.executable, "-m", "autodiff_cli", "eval", EXPR, "--input", str(src), "-o", str(out),
                             "--dask", "local:2", "b=0.5"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen = set()
    while proc.poll() is None:  # whenever the name holds something, it is the old file or the whole new one
        try:
            data = out.read_bytes()
        except FileNotFoundError:
            data = b"missing"
        seen.add(data if data in (b"an old file, replaced", b"missing") else pq.read_metadata(out).num_rows)
        time.sleep(0.005)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert seen <= {b"an old file, replaced", 90_000} and b"missing" not in seen
    got = pq.read_table(out)
    assert same_tables(got, single_process(src, tmp_path, "b=0.5"))
    assert pq.read_schema(out).metadata[b"autodiff.expression"] == EXPR.encode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["points", "results.parquet", "single.parquet",
                                                           "whole.parquet"]


def test_many_small_files_are_gathered_into_few_outputs(tmp_path):
    src = dataset(tmp_path / "points", files=100, rows=10)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", EXPR, "--input", str(src), "-o", str(out),
                          "--dask", "local:2"], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    # 32 small files a file: 100 files make 4 (Spark's rule: each file costs at least 65,536 rows of 2**21).
    assert len(list(out.iterdir())) == 4
    # In dataset order: f0, f1, f10, f11, ... as the directory lists them by name.
    assert same_tables(parts(out), single_process(src, tmp_path))


def test_coalesce_gathers_consecutive_small_partitions_up_to_the_rows():
    def part(rows):
        return cluster.Partition("f", [0], rows)

    sizes = [10, 10, 100, 1_000, 5, 400, 3]
    tasks = cluster.coalesce([part(n) for n in sizes], rows=1_000, cost=100)
    # Each costs max(rows, 100): 100, 100, 100 | 1000 | 100, 400, 100 (by hand).
    assert [[p.rows for p in task] for task in tasks] == [[10, 10, 100], [1_000], [5, 400, 3]]
    assert [len(t) for t in cluster.coalesce([part(1) for _ in range(1000)])] == [32] * 31 + [8]


def test_the_local_workers_have_all_come_before_any_task():
    # Tasks sent while local:N starts would all go to its first worker (Dask hands a
    # worker of one thread two at once): a small dataset's two tasks, one after the other.
    with cluster.connect("local:2") as client:
        assert len(client.nthreads()) == 2
