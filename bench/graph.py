"""Benchmark: how long `autodiff graph` takes to draw big graphs as SVG.

Workload: the neuron tanh(w0*x0 + ... + b) with n inputs (4n + 2 expression
nodes), end to end through the CLI (process start to SVG file), with Graphviz's
dot when it is installed and with the WebAssembly Graphviz (dot hidden).
First, the lecture's small graph a*(b+c*d) with the WebAssembly Graphviz: cold
(an empty cache directory, so the module is compiled) and cached (compiled
once, read back by each later process; the goal is 0.5 s or less).

    python bench/graph.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (250, 600, 1250)  # about 1,000, 2,400 and 5,000 expression nodes
REPEAT = 3


def neuron(n: int) -> str:
    return "tanh(" + " + ".join(f"w{i}*x{i}" for i in range(n)) + " + b)"


def run(expr_file: Path, n: int, out: Path, env: dict[str, str]) -> tuple[float, str]:
    values = [f"w{i}=0.01" for i in range(n)] + [f"x{i}=0.5" for i in range(n)] + ["b=0.1"]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autodiff_cli", "graph", f"@{expr_file}", *values, "-o", str(out)],
                          capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    return elapsed, ("ok" if proc.returncode == 0 else proc.stderr.strip()[:90])


def small(cache: Path) -> None:
    """The lecture's graph without dot: cold (nothing cached) and cached, median wall seconds."""
    env = {**os.environ, "PATH": "", "XDG_CACHE_HOME": str(cache)}
    argv = [sys.executable, "-m", "autodiff_cli", "graph", "a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3",
            "-o", str(cache / "small.svg")]
    timings: dict[str, list[float]] = {"cold": [], "cached": []}
    for _ in range(REPEAT):
        shutil.rmtree(cache / "autodiff", ignore_errors=True)
        for kind in ("cold", "cached"):
            start = time.perf_counter()
            proc = subprocess.run(argv, capture_output=True, text=True, env=env)
            timings[kind].append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(f"small graph, {kind}: {proc.stderr.strip()[:90]}")
                return
    for kind, times in timings.items():
        print(f"small graph a*(b+c*d), WebAssembly Graphviz, {kind:>6}: {statistics.median(times):.2f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        small(Path(tmp))
    renderers = {"wasm": {**os.environ, "PATH": ""}}
    if shutil.which("dot"):
        renderers = {"dot": dict(os.environ), **renderers}
    print(f"{'inputs':>7} {'nodes':>7} {'renderer':>8} {'median s':>9}  result")
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            expr_file = Path(tmp) / f"neuron{n}.txt"
            expr_file.write_text(neuron(n))
            for name, env in renderers.items():
                times, status = [], "ok"
                for _ in range(REPEAT):
                    elapsed, status = run(expr_file, n, Path(tmp) / "g.svg", env)
                    times.append(elapsed)
                    if status != "ok":
                        break
                print(f"{n:>7} {4 * n + 2:>7} {name:>8} {statistics.median(times):>9.2f}  {status}")


if __name__ == "__main__":
    main()
