"""Columnar batches side by side in one run: a*(b+c*d) at 10,000,000 points.

    pip install ".[cluster]" && python bench/columnar.py [--points N] [P1] [P2] [P3] [P4]

P1  autodiff, Parquet to Parquet, one process      vs  autodiff, CSV to CSV
P2  autodiff, Parquet to Parquet, one process      vs  numpy + pyarrow by hand
P3  peak memory of P1 at N/10 and N points (flat: it streams)
P4  autodiff --dask local:2 over 8 Parquet files   vs  Dask by hand (8 files, one
    task each, 2 worker processes), cluster start-up included in both
P5  P4 from and to an S3 server on 127.0.0.1 (moto's, in this process; s3:// in
    and out, credentials and endpoint from the AWS environment variables)

Each command runs under the launcher of bench/run.py (wall time from process
start to exit, peak memory of the process tree's largest process). Rates are
points per second per core: the points over the wall time and the cores used.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import AUTODIFF, PY, measure

N = int(sys.argv[sys.argv.index("--points") + 1]) if "--points" in sys.argv else 10_000_000
EXPR = "a*(b+c*d)"
PARTS = {a for a in sys.argv[1:] if a in ("P1", "P2", "P3", "P4", "P5")} or {"P1", "P2", "P3", "P4", "P5"}

BY_HAND = """
import sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
src = pq.ParquetFile(sys.argv[1])
names = ["a", "b", "c", "d", "value", "grad_a", "grad_b", "grad_c", "grad_d"]
schema = pa.schema([(n, pa.float64()) for n in names])
with pq.ParquetWriter(sys.argv[2], schema) as out:
    for batch in src.iter_batches(batch_size=1 << 20):  # row groups as large as autodiff's
        a, b, c, d = (batch.column(n).to_numpy() for n in "abcd")
        f = b + c*d
        cols = [a, b, c, d, a*f, f, a, a*d, a*c]
        out.write_batch(pa.RecordBatch.from_arrays([pa.array(x) for x in cols], schema=schema))
"""

DASK_BY_HAND = """
import sys, glob, os
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
from distributed import Client, LocalCluster

def work(src, dst):
    t = pq.read_table(src)  # a path, or an s3:// URL (pyarrow's file systems)
    a, b, c, d = (t.column(n).to_numpy() for n in "abcd")
    f = b + c*d
    out = t.append_column("value", pa.array(a*f))
    for n, x in (("grad_a", f), ("grad_b", a), ("grad_c", a*d), ("grad_d", a*c)):
        out = out.append_column(n, pa.array(x))
    pq.write_table(out, dst)
    return t.num_rows

if __name__ == "__main__":
    if sys.argv[1].startswith("s3://"):
        from pyarrow import fs
        store, path = fs.FileSystem.from_uri(sys.argv[1])
        files = sorted("s3://" + i.path for i in store.get_file_info(fs.FileSelector(path)))
    else:
        files = sorted(glob.glob(os.path.join(sys.argv[1], "*.parquet")))
        os.makedirs(sys.argv[2])
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = client.map(work, files, [f"{sys.argv[2]}/part-{k}.parquet" for k in range(len(files))])
        print(sum(client.gather(futures)))
"""


def make_points(directory: Path, n: int) -> dict[str, Path]:
    """The same points as one Parquet file, 8 Parquet files, and CSV."""
    rng = np.random.default_rng(0)
    single = directory / "points.parquet"
    parts = directory / "parts"
    parts.mkdir()
    per = -(-n // 8)
    with pq.ParquetWriter(single, pa.schema([(c, pa.float64()) for c in "abcd"])) as whole:
        for k in range(8):
            table = pa.table({c: rng.normal(size=min(per, n - k * per)) for c in "abcd"})
            whole.write_table(table, row_group_size=1 << 20)
            pq.write_table(table, parts / f"points-{k}.parquet", row_group_size=1 << 20)
    csv = directory / "points.csv"
    pacsv.write_csv(pq.read_table(single), csv, pacsv.WriteOptions(quoting_style="none"))
    small = directory / "small.parquet"
    pq.write_table(pq.read_table(single).slice(0, n // 10), small, row_group_size=1 << 20)
    return {"parquet": single, "parts": parts, "csv": csv, "small": small}


def s3_server(parts: Path) -> str:
    """An S3 server on a free port of 127.0.0.1 (moto's), for the rest of this
    process, holding the 8 files under ``parts/`` of a bucket; this process's
    environment (which the commands inherit) points at it. The bucket's name."""
    import logging
    import os

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server._server.server_address
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}",
                       "AWS_EC2_METADATA_DISABLED": "true"})
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    client.create_bucket(Bucket="bench")
    for path in sorted(parts.iterdir()):
        client.upload_file(str(path), "bench", f"parts/{path.name}")
    return "bench"


def row(name: str, seconds: float, peak: float, cores: int, n: int = N) -> None:
    rate = n / seconds / cores
    print(f"{name:<48} {seconds:8.2f} s {peak:8.0f} MiB {rate / 1e6:8.2f} M points/s/core")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="columnar-") as tmp:
        d = Path(tmp)
        start = time.perf_counter()
        files = make_points(d, N)
        print(f"{N:,} points of {EXPR} (inputs made in {time.perf_counter() - start:.1f} s)\n")
        script = d / "by_hand.py"
        script.write_text(BY_HAND)
        dask_script = d / "dask_by_hand.py"
        dask_script.write_text(DASK_BY_HAND)
        out = d / "out"
        runs = {
            "P1 autodiff Parquet -> Parquet": ([*AUTODIFF, "eval", EXPR, "--input", str(files["parquet"]),
                                                "-o", f"{out}.parquet"], 1),
            "P1 autodiff CSV -> CSV": ([*AUTODIFF, "eval", EXPR, "--input", str(files["csv"]), "-o", f"{out}.csv"], 1),
            "P2 numpy + pyarrow by hand": ([PY, str(script), str(files["parquet"]), f"{out}-hand.parquet"], 1),
            "P3 autodiff Parquet -> Parquet, N/10 points": ([*AUTODIFF, "eval", EXPR, "--input", str(files["small"]),
                                                             "-o", f"{out}-small.parquet"], 1),
            "P4 autodiff --dask local:2 (8 files)": ([*AUTODIFF, "eval", EXPR, "--input", str(files["parts"]),
                                                      "-o", f"{out}-dask", "--dask", "local:2"], 2),
            "P4 Dask by hand (8 files, 2 workers)": ([PY, str(dask_script), str(files["parts"]),
                                                      f"{out}-dask-hand"], 2),
        }
        if "P5" in PARTS:
            bucket = s3_server(files["parts"])
            runs["P5 autodiff --dask local:2 (8 files, S3 to S3)"] = (
                [*AUTODIFF, "eval", EXPR, "--input", f"s3://{bucket}/parts", "-o", f"s3://{bucket}/out-dask",
                 "--dask", "local:2"], 2)
            runs["P5 Dask by hand (8 files, 2 workers, S3 to S3)"] = (
                [PY, str(dask_script), f"s3://{bucket}/parts", f"s3://{bucket}/out-dask-hand"], 2)
        results = {}
        for name, (cmd, cores) in runs.items():
            part = name[:2]
            if part not in PARTS and not (name.endswith("Parquet -> Parquet") and "P2" in PARTS):
                continue
            for stale in d.glob("out*"):
                subprocess.run(["rm", "-rf", str(stale)], check=True)
            seconds, peak, _ = measure(cmd, 1)
            results[name] = seconds
            row(name, seconds, peak, cores, N // 10 if "N/10" in name else N)
        p1 = results.get("P1 autodiff Parquet -> Parquet")
        print()
        if "P1 autodiff CSV -> CSV" in results:
            print(f"Parquet vs CSV: {results['P1 autodiff CSV -> CSV'] / p1:.2f}x faster (aim: 3x)")
        if "P2 numpy + pyarrow by hand" in results:
            print(f"vs numpy + pyarrow by hand: {p1 / results['P2 numpy + pyarrow by hand']:.2f}x the time (aim: 1.5x)")
        if "P4" in PARTS:
            dask = results["P4 autodiff --dask local:2 (8 files)"]
            print(f"--dask local:2 vs Dask by hand: {dask / results['P4 Dask by hand (8 files, 2 workers)']:.2f}x "
                  "the time (aim: 1.1x)")
        if "P5" in PARTS:
            dask = results["P5 autodiff --dask local:2 (8 files, S3 to S3)"]
            hand = results["P5 Dask by hand (8 files, 2 workers, S3 to S3)"]
            print(f"--dask local:2 vs Dask by hand, S3 to S3: {dask / hand:.2f}x the time (aim: 1.1x)")


if __name__ == "__main__":
    main()
