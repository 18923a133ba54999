"""Batches read from and written to an object store (``s3://``), with and
without ``--dask``, against a real S3 API server on 127.0.0.1 (moto's server
mode): the credentials and the endpoint come from the AWS environment
variables, as a user's would."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "points"


@pytest.fixture(scope="module")
def s3():
    """An S3 server on a free port of 127.0.0.1, a bucket in it, and the environment that points a process at it."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server._server.server_address
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}",
           "AWS_EC2_METADATA_DISABLED": "true"}
    client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=BUCKET)
    yield env, client
    server.stop()


def autodiff(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)


def keys(client, prefix: str = "") -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []) if not o["Key"].endswith("/"))


def get(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


X = np.array([1.0, 2.5, -3.0, 0.5])
Y = np.array([4.0, -1.0, 2.0, 8.0])
"""The points; x*y + sin(x) by hand: the value, d/dx = y + cos(x), d/dy = x."""


def expected() -> dict[str, np.ndarray]:
    return {"x": X, "y": Y, "value": X * Y + np.sin(X), "grad_x": Y + np.cos(X), "grad_y": X}


def put_csv(client, key: str) -> None:
    text = "x,y\n" + "".join(f"{float(a)!r},{float(b)!r}\n" for a, b in zip(X, Y, strict=True))
    client.put_object(Bucket=BUCKET, Key=key, Body=text.encode())


def from_csv(data: bytes) -> dict[str, np.ndarray]:
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    return {name: np.array([float(r[name]) for r in rows]) for name in rows[0]}


def same(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert list(got) == list(want)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-12, atol=0, err_msg=name)


def test_csv_in_and_csv_and_parquet_out(s3):
    env, client = s3
    put_csv(client, "in/points.csv")
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/in/points.csv",
                   "-o", f"s3://{BUCKET}/out/results.csv")
    assert run.returncode == 0, run.stderr
    same(from_csv(get(client, "out/results.csv")), expected())
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/in/points.csv",
                   "-o", f"s3://{BUCKET}/out/results.parquet")
    assert run.returncode == 0, run.stderr
    table = pq.read_table(io.BytesIO(get(client, "out/results.parquet")))
    same({n: table.column(n).to_numpy() for n in table.column_names}, expected())
    assert not [k for k in keys(client) if ".autodiff-" in k]  # no temporary key left


def test_parquet_in_to_standard_output_and_jsonl_out(s3):
    env, client = s3
    sink = io.BytesIO()
    pq.write_table(pa.table({"x": X, "y": Y}), sink)
    client.put_object(Bucket=BUCKET, Key="in/points.parquet", Body=sink.getvalue())
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/in/points.parquet", "--format", "csv")
    assert run.returncode == 0, run.stderr
    same(from_csv(run.stdout.encode()), expected())
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/in/points.parquet",
                   "-o", f"s3://{BUCKET}/out/results.jsonl")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in get(client, "out/results.jsonl").decode().splitlines()]
    got = {"x": [r["variables"]["x"] for r in rows], "y": [r["variables"]["y"] for r in rows],
           "value": [r["value"] for r in rows], "grad_x": [r["gradients"]["x"] for r in rows],
           "grad_y": [r["gradients"]["y"] for r in rows]}
    same({n: np.array(v) for n, v in got.items()}, expected())


def test_missing_bucket_and_key_are_one_line_usage_errors(s3):
    env, client = s3
    for url, why in ((f"s3://{BUCKET}/in/nothing.csv", "no such object"),
                     ("s3://no-such-bucket/in/points.csv", "no such bucket")):
        run = autodiff(env, "eval", "x*y", "--input", url)
        assert run.returncode == 2, run.stderr
        assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: ") and url in run.stderr, run.stderr
        assert why in run.stderr and "Traceback" not in run.stderr
    put_csv(client, "in/points.csv")
    run = autodiff(env, "eval", "x*y", "--input", f"s3://{BUCKET}/in/points.csv", "-o", "s3://no-such-bucket/r.csv")
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "no such bucket" in run.stderr, run.stderr
    assert "s3://no-such-bucket/r.csv" in run.stderr


def test_a_failed_batch_leaves_the_object_as_it_was(s3):
    """A bad line after many good ones: the earlier object under the name stays whole, and no temporary key."""
    env, client = s3
    put_csv(client, "in/points.csv")
    target = f"s3://{BUCKET}/out/kept.csv"
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/in/points.csv", "-o", target)
    assert run.returncode == 0, run.stderr
    before = get(client, "out/kept.csv")
    good = "".join(f"{k},{k + 1}\n" for k in range(70_000))  # more than a chunk: written before the bad line
    client.put_object(Bucket=BUCKET, Key="in/bad.csv", Body=f"x,y\n{good}1,oops\n".encode())
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/in/bad.csv", "-o", target)
    assert run.returncode == 2 and "oops" in run.stderr, run.stderr
    assert get(client, "out/kept.csv") == before
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/in/bad.csv",
                   "-o", f"s3://{BUCKET}/out/new.csv")
    assert run.returncode == 2, run.stderr
    assert "out/new.csv" not in keys(client, "out/")
    assert not [k for k in keys(client) if ".autodiff-" in k]


def test_dask_dataset_prefix_in_and_out(s3, tmp_path):
    env, client = s3
    for k, half in enumerate((slice(0, 2), slice(2, 4))):
        sink = io.BytesIO()
        pq.write_table(pa.table({"x": X[half], "y": Y[half]}), sink)
        client.put_object(Bucket=BUCKET, Key=f"dataset/part-{k}.parquet", Body=sink.getvalue())
    (tmp_path / "tmp").mkdir()
    run = autodiff({**env, "TMPDIR": str(tmp_path / "tmp")}, "eval", "x*y + sin(x)",
                   "--input", f"s3://{BUCKET}/dataset", "-o", f"s3://{BUCKET}/results", "--dask", "local:2")
    assert run.returncode == 0, run.stderr
    names = keys(client, "results/")
    # Two small files gathered into one; _SUCCESS, written last, lists the dataset's files.
    assert names == ["results/_SUCCESS", "results/part-00000.parquet"]
    assert json.loads(get(client, "results/_SUCCESS"))["filenames"] == ["part-00000.parquet"]
    tables = [pq.read_table(io.BytesIO(get(client, n))) for n in names[1:]]
    same({n: np.concatenate([t.column(n).to_numpy() for t in tables]) for n in tables[0].column_names}, expected())
    assert not [k for k in keys(client) if ".autodiff-" in k]  # the temporary prefix is gone
    run = autodiff(env, "eval", "x*y + sin(x)", "--input", f"s3://{BUCKET}/dataset", "-o", f"s3://{BUCKET}/results",
                   "--dask", "local:2")
    assert run.returncode == 2 and "exists" in run.stderr and run.stderr.count("\n") == 1, run.stderr
    run = autodiff(env, "eval", "x*y", "--input", "s3://no-such-bucket/dataset", "-o", f"s3://{BUCKET}/r2",
                   "--dask", "local:2")
    assert run.returncode == 2 and "no such bucket" in run.stderr and run.stderr.count("\n") == 1, run.stderr


class Recorded:
    """A store's file system that records what is written, in order, and can fail the copy of one object."""

    def __init__(self, fs, log: list[str], fail: str = "") -> None:
        self.fs, self.log, self.fail = fs, log, fail

    def copy_file(self, source: str, target: str) -> None:
        if self.fail and target.endswith(self.fail):
            raise OSError("the store failed this copy")
        self.fs.copy_file(source, target)
        self.log.append(target.rsplit("/", 1)[1])

    def open_output_stream(self, path: str):
        self.log.append(path.rsplit("/", 1)[1])
        return self.fs.open_output_stream(path)

    def __getattr__(self, name: str):
        return getattr(self.fs, name)


@pytest.mark.parametrize("fail", ["", "part-00001.parquet"])
def test_a_published_prefix_says_it_is_complete_last_or_not_at_all(s3, monkeypatch, fail):
    from autodiff_cli.base.errors import AutodiffError
    from autodiff_cli.points import store

    env, client = s3
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(name, env[name])
    for k in range(3):
        client.put_object(Bucket=BUCKET, Key=f"stage-{fail}/part-{k:05d}.parquet", Body=b"part %d" % k)
    log: list[str] = []
    real = store.Store.__init__

    def recorded(self, url: str) -> None:
        real(self, url)
        self.fs = Recorded(self.fs, log, fail)

    monkeypatch.setattr(store.Store, "__init__", recorded)
    target = f"s3://{BUCKET}/published-{fail}"
    if fail:
        with pytest.raises(AutodiffError, match="the store failed this copy"):
            store.publish_prefix(f"s3://{BUCKET}/stage-{fail}", target)
        assert keys(client, f"published-{fail}/") == []  # what was copied is deleted; no _SUCCESS
    else:
        store.publish_prefix(f"s3://{BUCKET}/stage-{fail}", target)
        assert sorted(log[:-1]) == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
        assert log[-1] == "_SUCCESS"  # once every part is in place
        assert json.loads(get(client, "published-/_SUCCESS")) == {
            "committer": "autodiff", "filenames": ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]}
        assert get(client, "published-/part-00001.parquet") == b"part 1"
    assert keys(client, f"stage-{fail}/") == []


def test_the_parts_of_a_published_prefix_are_copied_at_once(s3, monkeypatch):
    # Each copy is a request that waits for the store: one after the other, their times add up.
    import threading

    from autodiff_cli.points import store

    env, client = s3
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(name, env[name])
    for k in range(3):
        client.put_object(Bucket=BUCKET, Key=f"stage-together/part-{k:05d}.parquet", Body=b"part %d" % k)
    together = threading.Barrier(3, timeout=10)  # broken unless the three copies are under way at once
    init = store.Store.__init__

    def waiting(self, url: str) -> None:
        init(self, url)
        fs = self.fs

        class Waits(Recorded):
            def copy_file(self, source: str, target: str) -> None:
                together.wait()
                fs.copy_file(source, target)

        self.fs = Waits(fs, [])

    monkeypatch.setattr(store.Store, "__init__", waiting)
    store.publish_prefix(f"s3://{BUCKET}/stage-together", f"s3://{BUCKET}/together")
    assert keys(client, "together/") == ["together/_SUCCESS", *(f"together/part-{k:05d}.parquet" for k in range(3))]
    assert get(client, "together/part-00002.parquet") == b"part 2"


def test_the_footers_of_a_stored_dataset_are_read_at_once_and_said_in_order(s3, monkeypatch):
    # Each object's first bytes and footer are requests that wait on the store: one after the other, a
    # dataset of many objects waits for each in turn before the cluster starts.
    import threading

    from autodiff_cli.base.errors import UsageError
    from autodiff_cli.points import cluster

    env, client = s3
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(name, env[name])
    for k in range(3):
        sink = io.BytesIO()
        pq.write_table(pa.table({"x": [float(k)] * (k + 1)}), sink)
        client.put_object(Bucket=BUCKET, Key=f"footers/part-{k}.parquet", Body=sink.getvalue())
    for step in ("_head", "_random_access"):  # the first bytes, then the footer
        together = threading.Barrier(3, timeout=10)  # broken unless the three objects are read at once
        monkeypatch.setattr(cluster, step, lambda path, real=getattr(cluster, step), met=together: (
            met.wait(), real(path))[1])
    found = [(p.path.rsplit("/", 1)[1], p.rows) for p, _ in cluster.partitions(
        cluster.dataset_files(f"s3://{BUCKET}/footers"))]
    assert found == [("part-0.parquet", 1), ("part-1.parquet", 2), ("part-2.parquet", 3)]
    for k in (1, 2):  # two objects that are not Parquet: the first in the dataset's order is said
        client.put_object(Bucket=BUCKET, Key=f"footers/part-{k}.parquet", Body=b"not Parquet")
    with pytest.raises(UsageError, match=r"part-1\.parquet' is not a Parquet file"):
        cluster.dataset_files(f"s3://{BUCKET}/footers")


def test_a_hive_dataset_in_an_object_store_reads_its_keys(s3):
    env, client = s3
    for d, region, xs in ((1, "eu", [1.0, 2.0]), (2, "us", [3.0])):
        sink = io.BytesIO()
        pq.write_table(pa.table({"x": xs}), sink)
        client.put_object(Bucket=BUCKET, Key=f"hive/d={d}/region={region}/part-0.parquet", Body=sink.getvalue())
    # One object: the keys of its path that name a variable or a kept column count (as one local file's).
    run = autodiff(env, "eval", "x*d", "--input", f"s3://{BUCKET}/hive/d=2/region=us/part-0.parquet",
                   "--format", "csv")
    assert run.returncode == 0, run.stderr
    assert run.stdout == "x,d,value,grad_x,grad_d\n3.0,2.0,6.0,2.0,3.0\n"
    # The prefix, on a cluster: d a variable's value, region a column kept as text; into one file and a prefix.
    for out in ("hive-out.parquet", "hive-out"):
        run = autodiff(env, "eval", "x*d", "--input", f"s3://{BUCKET}/hive/", "-o", f"s3://{BUCKET}/{out}",
                       "--keep", "region", "--dask", "local:1")
        assert run.returncode == 0, run.stderr
        name = out if out.endswith(".parquet") else f"{out}/part-00000.parquet"
        table = pq.read_table(io.BytesIO(get(client, name)))
        assert table.to_pydict() == {"region": ["eu", "eu", "us"], "x": [1.0, 2.0, 3.0], "d": [1.0, 1.0, 2.0],
                                     "value": [1.0, 2.0, 6.0], "grad_x": [1.0, 1.0, 2.0], "grad_d": [1.0, 2.0, 3.0]}
    assert keys(client, "hive-out/") == ["hive-out/_SUCCESS", "hive-out/part-00000.parquet"]
