"""Two checkouts side by side: start-up and the W1 neuron at 10,000 inputs, run
alternately (old, new, new, old, ...) so that a machine's changing load falls on
both alike, with the median of each and whether their outputs are the same.

    python bench/ab.py OLD_CHECKOUT [NEW_CHECKOUT] [--runs N]

(For example `git worktree add ../previous v0.1.0 && python bench/ab.py ../previous`.)
Each side runs its own package (`python -c` in the checkout, byte-compiled first).
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import w1  # noqa: E402 - the suite's own workload

RUN = "import runpy, sys; sys.argv = ['autodiff', *{args}]; runpy.run_module('autodiff_cli', run_name='__main__')"
"""``python -m autodiff_cli``: the same entry in every checkout, wherever its modules live."""


def workloads(folder: Path) -> dict[str, list[str]]:
    text, values = w1(10_000, random.Random(1))
    (folder / "w1.txt").write_text(text)
    args = [f"{k}={v!r}" for k, v in values.items()]
    (folder / "w1.args").write_text("\n".join(args))
    point = ["a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3"]
    return {
        "eval --format json": ["eval", *point, "--format", "json"],
        "eval (table)": ["eval", *point],
        "diff": ["diff", "tanh(w1*x1 + w2*x2 + b)"],
        "W1 10,000 inputs": ["eval", f"@{folder / 'w1.txt'}", "--format", "json", "--input",
                             str(folder / "w1.csv")],
        "_w1_values": args,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new", nargs="?", default=str(HERE.parent))
    parser.add_argument("--runs", type=int, default=11)
    opts = parser.parse_args()
    trees = {"old": Path(opts.old).resolve(), "new": Path(opts.new).resolve()}
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for tree in trees.values():
        compileall.compile_dir(str(tree / "autodiff_cli"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        work = workloads(Path(tmp))
        names, values = zip(*(a.split("=", 1) for a in work.pop("_w1_values")), strict=True)
        # The 20,001 values as a one-point CSV: a command line of that length is over some systems' limit.
        (Path(tmp) / "w1.csv").write_text(",".join(names) + "\n" + ",".join(values) + "\n")
        times: dict[tuple[str, str], list[float]] = {(w, t): [] for w in work for t in trees}
        outputs: dict[tuple[str, str], bytes] = {}
        for i in range(opts.runs):
            order = list(trees.items()) if i % 2 == 0 else list(reversed(trees.items()))
            for name, args in work.items():
                for side, tree in order:
                    start = time.perf_counter()
                    done = subprocess.run([sys.executable, "-c", RUN.format(args=args)], cwd=tree, env=env,
                                          capture_output=True, check=True)
                    times[name, side].append(time.perf_counter() - start)
                    outputs[name, side] = done.stdout
    print(f"old: {trees['old']}\nnew: {trees['new']}\n(median of {opts.runs}, alternating)")
    for name in work:
        old, new = (statistics.median(times[name, side]) for side in trees)
        same = "same output" if outputs[name, "old"] == outputs[name, "new"] else "OUTPUT DIFFERS"
        print(f"  {name:20s} old {old * 1000:7.1f} ms   new {new * 1000:7.1f} ms   new/old {new / old:.3f}   {same}")


if __name__ == "__main__":
    main()
