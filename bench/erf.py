"""Benchmark: the numpy erf and erfc of autodiff_cli/base/special.py, in one run.

- speed: 1,000,000 seeded points, time of special.erf and special.erfc beside
  np.exp on the same array (best of 7, in-process), for two spreads: uniform on
  [-6, 6] (mostly the exp-based tails, the slow region) and |x| log-uniform in
  [1e-10, 30] with both signs (mostly the small-|x| rational);
- accuracy: max and mean distance in ulp (doubles read as integers) from the C
  library's math.erf / math.erfc, over 10,000,000 seeded points, |x| log-uniform
  in [1e-10, 30], both signs (math is called point by point: seconds).

    python bench/erf.py [--points N] [--accuracy-points N]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autodiff_cli.base import special  # noqa: E402

CHUNK = 1_000_000  # accuracy points per pass, so that memory stays small at 10,000,000


def best_time(fn, x: np.ndarray, repeat: int = 7) -> float:
    fn(x)  # warm: first-touch pages and imports out of the figure
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - start)
    return min(times)


def log_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(1e-10), math.log(30.0), n)) * rng.choice([-1.0, 1.0], n)


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Doubles between a and b; the integers of negative doubles are mapped below 0
    so that they are monotone (results here never differ in sign, so no overflow)."""
    ia, ib = a.view(np.int64), b.view(np.int64)
    ia, ib = (np.where(i < 0, np.int64(-(2**63)) - i, i) for i in (ia, ib))
    return np.abs(ia - ib)


def speed(points: int) -> None:
    rng = np.random.default_rng(1)
    spreads = {"uniform [-6, 6]": rng.uniform(-6.0, 6.0, points), "log-uniform |x| 1e-10..30": log_uniform(rng, points)}
    print(f"speed: {points:,} points, best of 7 (ms; ratio to np.exp on the same array)")
    print(f"{'spread':>28} {'np.exp':>8} {'erf':>8} {'ratio':>6} {'erfc':>8} {'ratio':>6}")
    for label, x in spreads.items():
        exp, erf, erfc = (best_time(fn, x) * 1e3 for fn in (np.exp, special.erf, special.erfc))
        print(f"{label:>28} {exp:8.2f} {erf:8.2f} {erf / exp:5.1f}x {erfc:8.2f} {erfc / exp:5.1f}x")


def accuracy(points: int) -> None:
    rng = np.random.default_rng(2)
    worst = {"erf": 0, "erfc": 0}
    total = {"erf": 0, "erfc": 0}
    where = {"erf": math.nan, "erfc": math.nan}
    for start in range(0, points, CHUNK):
        x = log_uniform(rng, min(CHUNK, points - start))
        for name, ours, libm in (("erf", special.erf, math.erf), ("erfc", special.erfc, math.erfc)):
            distance = ulp_distance(ours(x), np.fromiter(map(libm, x.tolist()), np.float64, x.size))
            total[name] += int(distance.sum())
            if distance.max() > worst[name]:
                worst[name], where[name] = int(distance.max()), float(x[distance.argmax()])
    print(f"accuracy: {points:,} points, |x| log-uniform in [1e-10, 30], both signs, against math.erf/math.erfc")
    for name in worst:
        print(f"  {name:4}  max {worst[name]} ulp (at x = {where[name]!r})  mean {total[name] / points:.4f} ulp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--accuracy-points", type=int, default=10_000_000)
    opts = parser.parse_args()
    speed(opts.points)
    accuracy(opts.accuracy_points)


if __name__ == "__main__":
    main()
