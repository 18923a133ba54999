"""The benchmark suite: fixed, seeded workloads, each measured end to end beside
its anchors in the same run, with medians, peak memory and ratios.

    pip install ".[bench]" && python bench/run.py [--quick] [startup] [terminal] [batch] [single]

W1  neuron tanh(w0*x0 + ... + b), 1,000 and 10,000 inputs (weights ~ 1/sqrt(n))
W2  deep chain 2*tanh(0.5*2*tanh(0.5*( ... x ...))), depth 10,000 and 100,000
W3  polynomial over 100 variables, 10,000 and 100,000 terms like 0.37*x12*x45
W4  batch: 3*x**2 - 4*x + 5 and a*(b+c*d) at 1,000,000 points
S   start-up: eval (json, table), diff, check, graph --format dot, --help, eval --help, plot
T   the million-point batch with standard error on a terminal (progress bar) and not

autodiff runs as a command (process start to output; values for big
expressions from --input). Anchors: micrograd (PyPI, the graph built by Python's
own parser over micrograd Values), PyTorch on scalar tensors if installed,
sympy (diff + lambdify, capped), hand-written numpy for W4, and
`python -c "import typer"` for start-up.
"""

from __future__ import annotations

import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
QUICK = "--quick" in sys.argv
CAP = 30.0  # seconds an anchor may take before it counts as "too slow"
# autodiff as users run it: the installed command (pip's script beside this
# Python), else `python -m autodiff_cli` from a checkout.
_SCRIPT = Path(PY).parent / "autodiff"
AUTODIFF = [str(_SCRIPT)] if _SCRIPT.is_file() else [PY, "-m", "autodiff_cli"]


LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=sys.stdout, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stderr.write(proc.stderr.decode(errors="replace"))
sys.stderr.write(f"\\n@@ {proc.returncode} {elapsed} {peak}\\n")
"""


def measure(cmd: list[str], repeat: int, stdout=subprocess.DEVNULL) -> tuple[float, float, str]:
    """Median wall time (s), peak memory (MiB) and the last output of a command.

    It runs under a small launcher process, which times it and reads its peak
    memory: Linux counts, in a child's peak, the memory of the process that
    forked it, and this benchmark process grows large."""
    times, peak, out = [], 0.0, ""
    for _ in range(repeat):
        with tempfile.TemporaryFile("w+") as capture:
            proc = subprocess.run([PY, "-c", LAUNCHER, *cmd], stdout=capture if stdout is None else stdout,
                                  stderr=subprocess.PIPE)
            err = proc.stderr.decode()
            code, elapsed, mem = err.rsplit("@@ ", 1)[1].split()
            if int(code) != 0:
                raise RuntimeError(f"{' '.join(cmd[:4])}...: {err.strip()[-300:]}")
            times.append(float(elapsed))
            peak = max(peak, float(mem))
            if stdout is None:
                capture.seek(0)
                out = capture.read()
    return statistics.median(times), peak, out


def anchor(which: str, expr: Path, values: Path, repeat: int, mine: tuple[float, float]
           ) -> tuple[float | None, float, str]:
    """(in-process seconds, peak MiB, note) for an anchor, or None with the reason.
    ``mine``: autodiff's value and sum of gradients, which the anchor's must equal
    (to rounding), or the row says so."""
    times, peak = [], 0.0
    for _ in range(repeat):
        # A session of its own, so that a timeout ends the launcher and the anchor under it.
        proc = subprocess.Popen([PY, "-c", LAUNCHER, PY, str(HERE / "anchors.py"), which, str(expr), str(values)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=CAP)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None, 0.0, f"> {CAP:.0f} s"
        err = stderr.decode()
        code, _, mem = err.rsplit("@@ ", 1)[1].split()
        if int(code) != 0:
            tail = [line for line in err.rsplit("@@ ", 1)[0].strip().splitlines() if line.strip()][-1:] or ["?"]
            return None, 0.0, f"fails: {tail[0][:60]} (exit {code})"
        result = json.loads(stdout.decode().strip().splitlines()[-1])
        if "error" in result:
            return None, 0.0, f"fails: {result['error']}"
        times.append(result["seconds"])
        peak = max(peak, float(mem))
        theirs = (result["value"], result["grad_sum"])
        if not all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(mine, theirs, strict=True)):
            return None, 0.0, f"DISAGREES: value, sum of gradients {theirs} vs autodiff's {mine}"
    return statistics.median(times), peak, ""


def compile_package() -> None:
    """Byte-compile autodiff as pip does when it installs a wheel, so that it is
    measured as installed, like the anchors' packages (an editable install under
    PYTHONDONTWRITEBYTECODE would compile every module on every start)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("autodiff_cli")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    # Run from a checkout (python -m autodiff_cli), the package is the one beside bench/.
    for folder in folders or [str(HERE.parent / "autodiff_cli")]:
        compileall.compile_dir(folder, quiet=1)


def has(module: str) -> bool:
    return subprocess.run([PY, "-c", f"import {module}"], capture_output=True).returncode == 0


def w1(n: int, rng: random.Random) -> tuple[str, dict[str, float]]:
    text = "tanh(" + " + ".join(f"w{i}*x{i}" for i in range(n)) + " + b)"
    values = {}
    for i in range(n):
        values[f"w{i}"] = rng.gauss(0, 1) / math.sqrt(n)
        values[f"x{i}"] = rng.uniform(-1, 1)
    values["b"] = 0.1
    return text, values


def w2(depth: int) -> tuple[str, dict[str, float]]:
    return "2*tanh(0.5*(" * depth + "x" + "))" * depth, {"x": 0.3}


def w3(terms: int, rng: random.Random) -> tuple[str, dict[str, float]]:
    text = " + ".join(f"{rng.uniform(-1, 1):.2f}*x{rng.randrange(100)}*x{rng.randrange(100)}" for _ in range(terms))
    used = sorted({int(v) for v in __import__("re").findall(r"x(\d+)", text)})
    return text, {f"x{i}": rng.uniform(-1, 1) for i in used}


def row(name: str, ours: float, peak: float, anchors: dict[str, tuple[float | None, float, str]]) -> None:
    parts = [f"{name:<14} autodiff {ours:8.3f} s {peak:7.0f} MiB"]
    for label, (secs, mem, note) in anchors.items():
        if secs is None:
            parts.append(f"| {label}: {note}")
        else:
            parts.append(f"| {label} {secs:8.3f} s {mem:6.0f} MiB  ratio {secs / ours:5.2f}x")
    print("  ".join(parts), flush=True)


def single_expressions(tmp: Path) -> None:
    rng = random.Random(2024)
    work = [("W1 1,000", *w1(1_000, rng)), ("W1 10,000", *w1(10_000, rng)),
            ("W2 10,000", *w2(10_000)), ("W2 100,000", *w2(100_000)),
            ("W3 10,000", *w3(10_000, rng)), ("W3 100,000", *w3(100_000, rng))]
    if QUICK:
        work = [w for w in work if "100,000" not in w[0]]
    anchors = ["micrograd"] + (["torch"] if has("torch") else []) + ["sympy"]
    print("\nsingle expressions (ratio = anchor time / autodiff time; > 1 means autodiff is faster)")
    for name, text, values in work:
        expr, vals = tmp / "expr.txt", tmp / "values.json"
        expr.write_text(text)
        vals.write_text(json.dumps(values))
        repeat = 1 if "100,000" in name else 7
        ours, peak, out = measure([*AUTODIFF, "eval", f"@{expr}", "--input", str(vals),
                                   "--format", "jsonl"], repeat, stdout=None)
        result = json.loads(out)
        mine = (result["value"], math.fsum(result["gradients"].values()))
        got = {}
        for which in anchors:
            if which == "sympy" and ("W2" in name or "100,000" in name):
                got[which] = (None, 0.0, "skipped (beyond the cap at smaller sizes)")
                continue
            got[which] = anchor(which, expr, vals, repeat, mine)
        row(name, ours, peak, got)


def batch(tmp: Path) -> None:
    import numpy as np

    from autodiff_cli import parse
    from autodiff_cli.points.batch import CHUNK, ArrayProgram

    n = 1_000_000 if not QUICK else 100_000
    TARGET_AT = "" if not QUICK else " at 1,000,000 points"  # noqa: N806
    print(f"\nW4 batch at {n:,} points")
    x = np.arange(n) * (10 / n) - 5
    side = round(n ** 0.25)
    grids = np.meshgrid(*[np.linspace(-2, 2, side)] * 4, indexing="ij")
    a, b, c, d = (g.ravel() for g in grids)

    def numpy_quadratic() -> None:
        value = 3 * x**2 - 4 * x + 5
        grad = 6 * x - 4
        return value, grad

    def numpy_lecture() -> None:
        return a * (b + c * d), (b + c * d), a * d, a * c, a

    def ours(text: str, cols: dict) -> None:
        program = ArrayProgram(parse(text))
        size = len(next(iter(cols.values())))
        for start in range(0, size, CHUNK):
            program.run({k: v[start:start + CHUNK] for k, v in cols.items()}, min(CHUNK, size - start))

    def best(f, *args, repeat=21) -> float:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            f(*args)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    for label, ours_args, anchor_f in [("3*x**2 - 4*x + 5", ("3*x**2 - 4*x + 5", {"x": x}), numpy_quadratic),
                                       ("a*(b+c*d)", ("a*(b+c*d)", {"a": a, "b": b, "c": c, "d": d}), numpy_lecture)]:
        mine, theirs = best(ours, *ours_args), best(anchor_f)
        print(f"  compute, library API  {label:<18} autodiff {mine:6.3f} s | numpy {theirs:6.3f} s "
              f"| autodiff/numpy {mine / theirs:5.2f}x (target <= 2{TARGET_AT})")
    # End to end to CSV: the CLI against a numpy script writing the same exact CSV.
    script = tmp / "numpy_csv.py"
    script.write_text(f"""
import sys, numpy as np
n = {n}
x = np.arange(n) * (10 / n) - 5
v = 3 * x**2 - 4 * x + 5
g = 6 * x - 4
out = sys.stdout
out.write("x,value,grad_x\\r\\n")
for k in range(0, n, 65536):
    rows = zip(map(repr, x[k:k+65536].tolist()), map(repr, v[k:k+65536].tolist()), map(repr, g[k:k+65536].tolist()))
    out.write("".join(f"{{p}},{{q}},{{r}}\\r\\n" for p, q, r in rows))
""")
    step = repr(10 / n)
    cli, cli_peak, cli_out = measure([*AUTODIFF, "eval", "3*x**2 - 4*x + 5", "--grid",
                                      f"x=-5:5:{step}", "--format", "csv"], 3, stdout=None)
    hand, hand_peak, hand_out = measure([PY, str(script)], 3, stdout=None)
    same = cli_out == hand_out
    print(f"  end to end to CSV     3*x**2 - 4*x + 5   autodiff {cli:6.3f} s {cli_peak:5.0f} MiB | numpy script "
          f"{hand:6.3f} s {hand_peak:5.0f} MiB | ratio {cli / hand:5.2f}x (target <= 1.5{TARGET_AT}); "
          f"same text: {same}")
    # Streaming: peak memory against the number of points.
    for points in (n // 10, n):
        step = repr(10 / points)
        _, mem, _ = measure([*AUTODIFF, "eval", "3*x**2 - 4*x + 5", "--grid", f"x=-5:5:{step}",
                             "--format", "csv"], 1)
        print(f"  memory at {points:>9,} points: {mem:5.0f} MiB")


STARTUP = [  # (what, arguments, target ratio to `import typer`)
    ("eval --format json", ["eval", "a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3", "--format", "json"], 1.3),
    ("eval (table)", ["eval", "a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3"], 1.3),
    ("diff", ["diff", "tanh(w*x + b)", "--wrt", "w"], 1.5),
    ("check", ["check", "a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3"], 1.5),
    ("graph --format dot", ["graph", "a*(b+c*d)", "a=-2", "b=10", "c=2", "d=-3", "--format", "dot", "-o", "-"], 1.5),
    ("--help", ["--help"], 1.5),
    ("eval --help", ["eval", "--help"], 1.5),
    ("plot --terminal", ["plot", "3*x**2 - 4*x + 5", "--grid", "x=-5:5", "--terminal"], None),
]


def cpu_time(cmd: list[str], repeat: int) -> float:
    """Median CPU time (user + system, s) of a command: unlike wall time, it
    hardly moves when other work shares the machine's cores."""
    import resource

    times = []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times)


def startup() -> None:
    repeat = 5 if QUICK else 20
    print(f"\nstart-up (median of {repeat}), against python -c 'import typer': wall time, and CPU time")
    base, _, _ = measure([PY, "-c", "import typer"], repeat)
    base_cpu = cpu_time([PY, "-c", "import typer"], repeat)
    print(f"  {'python -c import typer':<22} {base * 1000:6.1f} ms  cpu {base_cpu * 1000:6.1f} ms")
    for what, args, target in STARTUP:
        t, mem, _ = measure([*AUTODIFF, *args], repeat)
        c = cpu_time([*AUTODIFF, *args], repeat)
        goal = f"target <= {target}" if target else "exempt: numpy and matplotlib"
        print(f"  {what:<22} {t * 1000:6.1f} ms  cpu {c * 1000:6.1f} ms {mem:4.0f} MiB | ratio {t / base:4.2f}x, "
              f"cpu {c / base_cpu:4.2f}x ({goal})")


TTY_LAUNCHER = """
import os, pty, subprocess, sys, time, tty
parent, child = pty.openpty()
tty.setraw(child)
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=child)
os.close(child)
while True:
    try:
        if not os.read(parent, 65536):
            break
    except OSError:
        break
proc.wait()
print(time.perf_counter() - start)
"""


def terminal() -> None:
    """The million-point batch with standard error on a terminal (progress bar
    drawn) against without: the bar's cost."""
    args = [*AUTODIFF, "eval", "x*y + x", "--grid", "x=0:1000:1", "--grid", "y=0:1:0.001", "--format", "csv"]
    repeat = 3 if QUICK else 7
    plain = statistics.median(measure(args, 1)[0] for _ in range(repeat))
    on_tty = statistics.median(float(subprocess.run([PY, "-c", TTY_LAUNCHER, *args], capture_output=True,
                                                    text=True, check=True).stdout) for _ in range(repeat))
    print(f"\n1,000,000 points to CSV (median of {repeat}): stderr a pipe {plain:.3f} s, "
          f"stderr a terminal (progress bar) {on_tty:.3f} s | ratio {on_tty / plain:4.2f}x (target <= 1.05)")


def main() -> None:
    """Every part, or only those named: python bench/run.py [--quick] [startup] [terminal] [batch] [single]."""
    parts = [a for a in sys.argv[1:] if not a.startswith("--")] or ["startup", "terminal", "batch", "single"]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; {'quick' if QUICK else 'full'} run; "
          f"autodiff run as: {' '.join(Path(a).name for a in AUTODIFF)}")
    compile_package()
    with tempfile.TemporaryDirectory() as tmp:
        if "startup" in parts:
            startup()
        if "terminal" in parts:
            terminal()
        if "batch" in parts:
            batch(Path(tmp))
        if "single" in parts:
            single_expressions(Path(tmp))


if __name__ == "__main__":
    main()
