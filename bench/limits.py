"""Benchmark: the pathological sizes of the Limits section.

- "did you mean" for names of 1,000 to 100,000 characters (in-process, median
  of 5): a name one letter off, a name with no letter in common, and the worst
  case for the banded table (twelve swaps of distant letters, which letter
  counts cannot tell apart); then the whole command at 100,000 characters;
- `check` across 1e-300 .. 1e300 for 1/x, log, exp, x**3 and sqrt: how many
  points, how many pass, time per check;
- inputs that never end (`eval @/dev/zero`): time and peak memory until the
  bound stops them.

    python bench/limits.py
"""

from __future__ import annotations

import math
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autodiff_cli import parse  # noqa: E402
from autodiff_cli.base.errors import DomainError, did_you_mean  # noqa: E402
from autodiff_cli.points.check import check_gradients  # noqa: E402

SIZES = (1_000, 2_000, 4_000, 10_000, 100_000)


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def variants(name: str) -> dict[str, str]:
    n = len(name)
    swaps = list(name)
    for i in range(0, n - 10, n // 12):
        swaps[i], swaps[i + 5] = swaps[i + 5], swaps[i]
    return {"one letter off": name[: n // 2] + "z" + name[n // 2 + 1:],
            "nothing in common": "q" * n,
            "12 distant swaps": "".join(swaps)}


def did_you_mean_table() -> None:
    print("did you mean: median of 5, in-process (ms; and µs per 1,000 characters)")
    rng = random.Random(3)
    print(f"{'characters':>11} " + " ".join(f"{k:>24}" for k in variants("abcdefghijklmnopqrstuvwx")))
    for n in SIZES:
        name = "".join(rng.choice("abcdefgh") for _ in range(n))
        cells = []
        for typo in variants(name).values():
            t = median_time(lambda typo=typo, name=name: did_you_mean(typo, [name, "x", "y"]))
            cells.append(f"{t * 1e3:9.2f} ms {t * 1e6 / (n / 1000):8.1f} µs/k")
        print(f"{n:>11,} " + " ".join(f"{c:>24}" for c in cells))
    name = "".join(rng.choice("abcdefgh") for _ in range(100_000))
    typo = variants(name)["one letter off"]
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "autodiff_cli", "eval", name, f"{typo}=1"], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    print(f"whole command, 100,000-character name one letter off: {time.perf_counter() - start:.3f} s, "
          f"exit {proc.returncode}, 'did you mean' in the message: {'did you mean' in proc.stderr}")


SMOOTH = {"1/x": lambda x: -1 / x**2, "log(x)": lambda x: 1 / x, "exp(x)": math.exp,
          "x**3": lambda x: 3 * x**2, "sqrt(x)": lambda x: 0.5 / math.sqrt(x)}


def check_table() -> None:
    print("\ncheck across 1e-300 .. 1e300 (x = ±m·10^k, m in 1, 3.7; k = -300..300; where f and f' are finite)")
    for text, slope in SMOOTH.items():
        expr = parse(text)
        for method in ("central", "forward"):
            points = passed = 0
            start = time.perf_counter()
            for k in range(-300, 301):
                for x in (10.0**k, 3.7 * 10.0**k, -(10.0**k), -3.7 * 10.0**k):
                    try:
                        if not math.isfinite(slope(x)) or slope(x) == 0:
                            continue
                        _, checks = check_gradients(expr, {"x": x}, method)
                    except (ValueError, OverflowError, ZeroDivisionError, DomainError):
                        continue
                    points += 1
                    passed += checks["x"].ok
            elapsed = time.perf_counter() - start
            each = elapsed / max(points, 1) * 1e6
            print(f"  {text:8} {method:8} {passed:5,} of {points:5,} pass   {each:6.0f} µs a check")


def endless_input() -> None:
    print("\ninputs that never end (the default bound, 64 MiB)")
    for args in (["eval", "@/dev/zero", "x=1"], ["eval", "x", "--input", "/dev/zero"]):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.perf_counter()
        with open("/dev/zero", "rb") as zero:
            proc = subprocess.run([sys.executable, "-m", "autodiff_cli", *args], cwd=ROOT, stdin=zero,
                                  capture_output=True, text=True, check=False)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(f"  autodiff {' '.join(args):32} {time.perf_counter() - start:.2f} s, exit {proc.returncode}, "
              f"peak {max(peak, before) / 1024:.0f} MiB: {proc.stderr.strip()[:60]}...")


if __name__ == "__main__":
    did_you_mean_table()
    check_table()
    endless_input()
