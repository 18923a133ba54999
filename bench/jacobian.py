"""Benchmark: the Jacobian of several outputs over one shared graph (--of), in one run.

A program of about 100,000 nodes: a shared trunk h (a sum of tanh neurons over one
input x and 8,000 weights), then N outputs o_k = sin(h + k)*x, N = 1, 10 and 100.
Printed: the time to parse once, one output's forward and backward pass, and the
Jacobian of N outputs (one forward pass, one backward pass per output), with the
ratio to one output's backward pass (goal: N outputs <= N times it, plus parsing
once); and torch.autograd.functional.jacobian on the same program where PyTorch is
installed (it is not a dependency: pip install torch).

    python bench/jacobian.py [--neurons N]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autodiff_cli.core.jacobian import jacobian  # noqa: E402
from autodiff_cli.core.parser import parse  # noqa: E402


def program(neurons: int, outputs: int) -> tuple[str, dict[str, float]]:
    rng = random.Random(1)
    trunk = " + ".join(f"tanh(w{i}*x + b{i})" for i in range(neurons))
    heads = "; ".join(f"o{k} = sin(h + {k})*x" for k in range(outputs))
    values = {"x": 0.3, **{f"w{i}": rng.uniform(-1, 1) for i in range(neurons)},
              **{f"b{i}": rng.uniform(-1, 1) for i in range(neurons)}}
    return f"h = {trunk}; {heads}", values


def best(fn, repeat: int = 3) -> float:
    # With the cyclic collector paused, as the command line runs (its passes over
    # millions of floats would be timed otherwise).
    times = []
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=8_000)
    opts = parser.parse_args()
    text, values = program(opts.neurons, 100)
    start = time.perf_counter()
    expr = parse(text)
    parse_s = time.perf_counter() - start
    print(f"program: {len(expr.nodes):,} nodes, {len(expr.variables):,} variables; parsed once in {parse_s:.2f} s")
    one = expr.with_output("o0")
    expr.forward(values)
    forward_s = best(lambda: expr.forward(values))
    backward_s = best(lambda: one.backward())

    def backward_and_row() -> None:  # what one output's eval makes after its forward pass: the gradients too
        one.backward()
        {n: v.grad for n, v in expr.variables.items()}

    row_s = best(backward_and_row)
    print(f"one output: forward {forward_s * 1e3:.0f} ms, backward {backward_s * 1e3:.0f} ms "
          f"({row_s * 1e3:.0f} ms with its row of {len(expr.variables):,} gradients)")
    for n in (1, 10, 100):
        names = [f"o{k}" for k in range(n)]
        took = best(lambda names=names: jacobian(expr, values, names), 1 if n == 100 else 3)
        print(f"  Jacobian of {n:3} outputs: {took:6.2f} s = {took / backward_s:6.1f}x one backward pass, "
              f"{took / row_s:6.1f}x with its row (goal <= {n}x plus the forward pass: "
              f"{(n * row_s + forward_s):.2f} s)")
    try:
        import torch  # noqa: F401 - only to compare
    except ImportError:
        print("torch.autograd.functional.jacobian: PyTorch is not installed (pip install torch), not compared")
        return
    _torch(opts.neurons, values)


def _torch(neurons: int, values: dict[str, float]) -> None:
    import torch

    torch.set_default_dtype(torch.float64)
    w = torch.tensor([values[f"w{i}"] for i in range(neurons)])
    b = torch.tensor([values[f"b{i}"] for i in range(neurons)])
    x = torch.tensor(values["x"])

    def f(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(w * x + b).sum()
        return torch.stack([torch.sin(h + k) * x for k in range(100)])

    took = best(lambda: torch.autograd.functional.jacobian(f, (x, w, b)))
    print(f"torch.autograd.functional.jacobian, 100 outputs (vectorised tensors, not a graph of scalars): "
          f"{took * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
