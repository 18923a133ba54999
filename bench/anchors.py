"""In-process anchors for bench/run.py, each run in its own process:

    python bench/anchors.py micrograd|sympy|torch EXPR_FILE VALUES_JSON

Prints one JSON line: {"seconds": ..., "value": ..., "grad_sum": ...} or {"error": ...}.
The time covers the same work as autodiff's: expression text and values in,
value and every gradient out.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time


def micrograd(text: str, values: dict[str, float]) -> tuple[float, float]:
    from micrograd.engine import Value

    def tanh(self: Value) -> Value:  # the lecture's tanh (PyPI micrograd has only relu)
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    Value.tanh = tanh
    # The graph is built by Python's own parser over micrograd Values.
    namespace = {name: Value(v) for name, v in values.items()}
    namespace["tanh"] = lambda v: v.tanh()
    out = eval(compile(text, "<expr>", "eval"), {"__builtins__": {}}, namespace)
    out.backward()
    return out.data, sum(v.grad for k, v in namespace.items() if k != "tanh")


def sympy_(text: str, values: dict[str, float]) -> tuple[float, float]:
    import sympy

    symbols = {name: sympy.Symbol(name) for name in values}
    expr = sympy.sympify(text, locals=symbols)
    order = list(values)
    args = [values[n] for n in order]
    f = sympy.lambdify([symbols[n] for n in order], expr, "math")
    grads = [sympy.lambdify([symbols[n] for n in order], sympy.diff(expr, symbols[n]), "math")(*args) for n in order]
    return f(*args), float(sum(grads))


def torch_(text: str, values: dict[str, float]) -> tuple[float, float]:
    import torch

    namespace = {name: torch.tensor(v, dtype=torch.float64, requires_grad=True) for name, v in values.items()}
    namespace["tanh"] = torch.tanh
    out = eval(compile(text, "<expr>", "eval"), {"__builtins__": {}}, namespace)
    out.backward()
    return float(out.detach()), float(sum(t.grad for k, t in namespace.items() if k != "tanh" and t.grad is not None))


def main() -> None:
    which, expr_file, values_file = sys.argv[1:4]
    text = open(expr_file).read()
    values = json.loads(open(values_file).read())
    run = {"micrograd": micrograd, "sympy": sympy_, "torch": torch_}[which]
    # In-process time, as for micrograd: the library is imported before the clock starts
    # (importing torch alone takes about a second).
    __import__({"micrograd": "micrograd.engine"}.get(which, which.rstrip("_")))
    result: dict = {}

    def work() -> None:
        start = time.perf_counter()
        try:
            value, grad_sum = run(text, values)
            result.update(seconds=time.perf_counter() - start, value=value, grad_sum=grad_sum)
        except (RecursionError, MemoryError, SyntaxError, ValueError, TypeError, ImportError) as exc:
            result["error"] = f"{type(exc).__name__}: {str(exc)[:60]}"

    # Deep graphs recurse (micrograd's topological sort, Python's compiler): a big stack and limit.
    sys.setrecursionlimit(10**7)
    threading.stack_size(1 << 29)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
