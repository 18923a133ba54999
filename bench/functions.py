"""Benchmark: a batch of every function of the language beside exp's, in one run.

Each function's value and gradient at 1,000,000 seeded points of its domain, by the
array engine (autodiff_cli.points.columns.evaluate_columns, the path of --grid,
--input and --dask), best of 5, and the ratio to the same batch of exp(x). The
goal: none slower than 3x exp. erf's and erfc's accuracy is bench/erf.py's.

    python bench/functions.py [--points N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autodiff_cli.core.parser import parse  # noqa: E402
from autodiff_cli.points.columns import evaluate_columns  # noqa: E402

# expression: a range per variable, inside the function's domain
CASES = {
    "exp(x)": [(-5, 5)], "sin(x)": [(-5, 5)],
    "asin(x)": [(-0.99, 0.99)], "acos(x)": [(-0.99, 0.99)], "atan(x)": [(-20, 20)], "sinh(x)": [(-20, 20)],
    "cosh(x)": [(-20, 20)], "asinh(x)": [(-50, 50)], "acosh(x)": [(1.001, 50)], "atanh(x)": [(-0.99, 0.99)],
    "sec(x)": [(-1.5, 1.5)], "csc(x)": [(0.05, 3.1)], "cot(x)": [(0.05, 3.1)], "log2(x)": [(1e-3, 1e3)],
    "log10(x)": [(1e-3, 1e3)], "log1p(x)": [(-0.99, 50)], "expm1(x)": [(-20, 20)], "exp2(x)": [(-30, 30)],
    "cbrt(x)": [(-50, 50)], "erf(x)": [(-6, 6)], "erfc(x)": [(-6, 6)], "softplus(x)": [(-30, 30)],
    "floor(x)": [(-50, 50)], "ceil(x)": [(-50, 50)],
    "atan2(y, x)": [(-5, 5), (-5, 5)], "hypot(x, y)": [(-5, 5), (-5, 5)], "log(x, b)": [(0.01, 100), (1.5, 20)],
    "max(x, y)": [(-5, 5), (-5, 5)], "min(x, y, z)": [(-5, 5), (-5, 5), (-5, 5)],
    "clamp(x, lo, hi)": [(-5, 5), (-2, -1), (1, 2)], "clamp(x, 0, 1)": [(-1, 2)], "max(x, 0)": [(-5, 5)],
}


def best_time(text: str, columns: dict[str, np.ndarray], repeat: int = 5) -> float:
    evaluate_columns(text, columns)  # warm: parse, program, first-touch pages
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        evaluate_columns(text, columns)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    opts = parser.parse_args()
    rng = np.random.default_rng(7)
    print(f"value and gradient at {opts.points:,} points, best of 5 (ms; ratio to exp(x)'s batch)")
    anchor = None
    slowest = ("", 0.0)
    for text, ranges in CASES.items():
        names = list(parse(text).variables)
        columns = {n: rng.uniform(*r, opts.points) for n, r in zip(names, ranges, strict=True)}
        ms = best_time(text, columns) * 1e3
        anchor = anchor or ms
        ratio = ms / anchor
        slowest = max(slowest, (text, ratio), key=lambda s: s[1])
        print(f"  {text:18} {ms:8.1f} ms  {ratio:5.2f}x exp{'   (over 3x)' if ratio > 3 else ''}")
    print(f"slowest: {slowest[0]} at {slowest[1]:.2f}x exp")


if __name__ == "__main__":
    main()
