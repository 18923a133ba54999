"""Benchmark: `autodiff diff` on the neuron tanh(w0*x0 + ... + b), end to end.

Prints, per size, the time from process start to the printed d/dw7 and the
length of the printed derivative against the input's.

    python bench/diff.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (1_000, 10_000)
REPEAT = 5


def main() -> None:
    print(f"{'inputs':>7} {'input chars':>12} {'output chars':>13} {'ratio':>6} {'median s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            text = "tanh(" + " + ".join(f"w{i}*x{i}" for i in range(n)) + " + b)"
            path = Path(tmp) / "neuron.txt"
            path.write_text(text)
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                out = subprocess.run([sys.executable, "-m", "autodiff_cli", "diff", f"@{path}", "--wrt", "w7"],
                                     capture_output=True, text=True, check=True).stdout.strip()
                times.append(time.perf_counter() - start)
            print(f"{n:>7} {len(text):>12,} {len(out):>13,} {len(out) / len(text):>6.2f} "
                  f"{statistics.median(times):>9.3f}")


if __name__ == "__main__":
    main()
