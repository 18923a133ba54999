"""Benchmark: `autodiff diff`, for readability against sympy and for size and time.

    python bench/diff.py            # everything
    python bench/diff.py corpus     # the side-by-side table against sympy, and its three figures
    python bench/diff.py size       # big inputs: time and printed size
    python bench/diff.py conventions  # where printed derivatives and eval part (test extra)
    python bench/diff.py simplify   # lengths against sympy.simplify(sympy.diff(...)), 10 s a case

``corpus``: every first and second derivative of the corpus of
``tests/test_diff_corpus.py`` (textbook calculus, physics, machine learning),
autodiff's printed text next to sympy's ``str(diff(...))``; then how many equal
sympy's at three random points (autodiff evaluating its own text), the share no
longer than sympy's, and the worst length ratio.

``size``: end to end (process start to the printed output, as users run it)
for the neuron ``tanh(w0*x0 + ... + b)`` (d/dw7); in-process for every variable
of ``x0*y0 + ... ``, for ``sin(`` nested 100,000 deep, and for 40-level chains
up to the third derivative.

``conventions``: 6,000 random expressions of the property tests, each at a
point drawn from 0, +-1, 0.5, -2, 2.5: how many printed first derivatives are
undefined where ``eval``'s gradient is finite, how many of those points eval
itself notes as a convention no closed form reproduces (0**0, xlogy(0, y <= 0)),
and how many printed derivatives differ from the gradient with no such note
(the README's claim: none).
"""

from __future__ import annotations

import gc
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from autodiff_cli import parse  # noqa: E402
from autodiff_cli.symbolic.diff import diff  # noqa: E402

REPEAT = 5


def corpus() -> None:
    import sympy
    from test_diff_corpus import cases, compare, evaluate, points, seed, symbol, to_sympy

    rows = []
    equal = 0
    for text, name, order in cases():
        mine, theirs = compare(text, name, order)
        exact = sympy.diff(to_sympy(text), symbol(name), order)
        same = True
        for values in points(text, 3, seed(text, name, order)):
            want = float(exact.evalf(30, subs={symbol(k): sympy.Float(v, 30) for k, v in values.items()}))
            same = same and math.isclose(evaluate(mine, values), want, rel_tol=1e-9, abs_tol=1e-12)
        equal += same
        rows.append((text, name, order, mine, theirs, len(mine) / max(len(theirs), 1)))
    width = max(len(r[0]) for r in rows)
    print(f"{'expression':<{width}}  {'d':>8}  {'ratio':>5}  autodiff | sympy")
    for text, name, order, mine, theirs, ratio in rows:
        label = f"d{name}" if order == 1 else f"d{order}{name}"
        print(f"{text:<{width}}  {label:>8}  {ratio:5.2f}  {mine} | {theirs}")
    within = sum(r[-1] <= 1 for r in rows)
    print(f"\n{len(rows)} derivatives (first and second) of {len({r[0] for r in rows})} expressions:")
    print(f"  equal to sympy's at 3 random points: {equal} of {len(rows)}")
    print(f"  no longer than sympy's: {within} ({within / len(rows):.1%}); worst: {max(r[-1] for r in rows):.2f}x")


def _simplified(job: tuple[str, str, int]) -> str | None:
    """``str(sympy.simplify(sympy.diff(...)))`` of one case (run in a worker, which is killed past the budget)."""
    import sympy
    from test_diff_corpus import symbol, to_sympy

    text, name, order = job
    return str(sympy.simplify(sympy.diff(to_sympy(text), symbol(name), order)))


def simplify(budget: float = 10.0) -> None:
    """The corpus's printed lengths against sympy's simplified derivatives, and against its plain ones."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures import TimeoutError as Late

    from test_diff_corpus import cases, compare

    jobs = cases()
    plain = [len(mine) / max(len(theirs), 1) for mine, theirs in map(lambda c: compare(*c), jobs)]
    simple, late = [], 0
    with ProcessPoolExecutor(1) as pool:
        for job in jobs:
            future = pool.submit(_simplified, job)
            try:
                theirs = future.result(timeout=budget)
            except Late:
                late += 1
                for process in list(pool._processes.values()):  # a simplify past its budget: stop it
                    process.kill()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(1)
                continue
            simple.append(len(compare(*job)[0]) / max(len(theirs), 1))
    print(f"{len(jobs)} derivatives (first and second) of the corpus:")
    print(f"  against sympy.diff: no longer for {sum(r <= 1 for r in plain) / len(plain):.1%}, "
          f"worst {max(plain):.2f}x")
    print(f"  against sympy.simplify(sympy.diff(...)) ({late} past {budget:g} s, left out): no longer for "
          f"{sum(r <= 1 for r in simple) / len(simple):.1%}, worst {max(simple):.2f}x")


def _convention_noted(notes: list[str]) -> bool:
    return any("0**0" in note or "xlogy" in note for note in notes)


def conventions(examples: int = 6_000) -> None:
    import random
    import warnings

    from hypothesis import HealthCheck, given, seed, settings

    from autodiff_cli import DomainError

    from strategies import expressions

    texts: list[str] = []

    @seed(12345)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(expressions)
    def collect(text: str) -> None:
        texts.append(text)

    warnings.filterwarnings("ignore")
    collect()
    rng = random.Random(1)
    total = undefined = noted = differ = 0
    for text in texts:
        expr = parse(text)
        values = {name: rng.choice((0.0, 1.0, -1.0, 0.5, -2.0, 2.5)) for name in expr.variables}
        try:
            result = expr.evaluate(values)
        except DomainError:
            continue
        if not values or not all(math.isfinite(g) for g in result.gradients.values()):
            continue
        for name, printed in diff(expr).items():
            total += 1
            again = parse(printed)
            try:
                got = again.forward({k: v for k, v in values.items() if k in again.variables})
            except DomainError:
                undefined += 1
                noted += _convention_noted(result.notes)
                continue
            want = result.gradients[name]
            differ += not _convention_noted(result.notes) and not math.isclose(
                got, want, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, abs(want)))
    print(f"{total:,} printed first derivatives of {len(texts):,} random expressions, where eval's gradient is finite:")
    print(f"  undefined: {undefined} ({undefined / total:.2%}), at a convention eval notes: {noted}, "
          f"elsewhere: {undefined - noted}")
    print(f"  defined but different from eval's gradient, with no such note: {differ}")


def _neuron(n: int) -> str:
    return "tanh(" + " + ".join(f"w{i}*x{i}" for i in range(n)) + " + b)"


def _in_process(text: str, wrt: list[str] | None = None, order: int = 1) -> tuple[float, int]:
    expr = parse(text)
    gc.collect()
    start = time.perf_counter()
    printed = diff(expr, wrt, order)
    return time.perf_counter() - start, sum(map(len, printed.values()))


def size() -> None:
    print(f"{'neuron inputs':>13} {'input chars':>12} {'output chars':>13} {'ratio':>6} {'median s':>9}  (end to end)")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (1_000, 10_000):
            text = _neuron(n)
            path = Path(tmp) / "neuron.txt"
            path.write_text(text)
            times = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                out = subprocess.run([sys.executable, "-m", "autodiff_cli", "diff", f"@{path}", "--wrt", "w7"],
                                     capture_output=True, text=True, check=True, cwd=ROOT).stdout.strip()
                times.append(time.perf_counter() - start)
            print(f"{n:>13,} {len(text):>12,} {len(out):>13,} {len(out) / len(text):>6.2f} "
                  f"{statistics.median(times):>9.3f}")
    print(f"\n{'every variable of x0*y0 + ...':<32} {'terms':>7} {'seconds':>8}  (in process)")
    for n in (1_000, 4_000, 20_000):
        seconds, _ = _in_process(" + ".join(f"x{i}*y{i}" for i in range(n)))
        print(f"{'':<32} {n:>7,} {seconds:>8.2f}")
    print(f"\n{'sin( nested':<32} {'depth':>7} {'seconds':>8} {'output chars':>13}")
    for n in (25_000, 100_000):
        seconds, chars = _in_process("sin(" * n + "x" + ")" * n)
        print(f"{'':<32} {n:>7,} {seconds:>8.2f} {chars:>13,}")
    print(f"\n{'chain (40 levels), d/dx':<32} {'order':>7} {'seconds':>8} {'output chars':>13} {'input chars':>12}")
    chains = {
        "v_i = tanh(w_i*v_(i-1) + b_i)": "\n".join(
            ["v0 = x"] + [f"v{i} = tanh(w{i}*v{i - 1} + b{i})" for i in range(1, 41)]),
        "v_i = v_(i-1)*v_(i-1)*0.5 + x": "\n".join(
            ["v0 = x*x + 0.1"] + [f"v{i} = v{i - 1}*v{i - 1}*0.5 + x" for i in range(1, 40)]),
    }
    for label, text in chains.items():
        for order in (1, 2, 3):
            seconds, chars = _in_process(text, ["x"], order)
            print(f"{label if order == 1 else '':<32} {order:>7} {seconds:>8.2f} {chars:>13,} {len(text):>12,}")


def main() -> None:
    parts = sys.argv[1:] or ["corpus", "size"]
    if "corpus" in parts:
        corpus()
    if "size" in parts:
        print() if "corpus" in parts else None
        size()
    if "conventions" in parts:
        conventions()
    if "simplify" in parts:
        simplify()


if __name__ == "__main__":
    main()
