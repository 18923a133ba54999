"""The lecture's numerical check: analytic gradients against finite differences.

By default the step is chosen per variable: ``h = s * max(1, |x|)`` and
``h = s * |x|`` are both tried (``s`` balances truncation against rounding for
the method), each at ``h`` and ``h/2``, and the scale whose two estimates agree
best wins. The first scale is right where the function's value dwarfs ``x``
(``1 + x`` at 1e-10), the second where the function changes on the scale of
``x`` (``sqrt(x)`` at 1e-9); so the check is as trustworthy at x = 1e6 as at
x = 1e-3. ``step`` fixes ``h`` instead, as the lecture does (``h = 0.001``).
Where the function is undefined on one side of ``x``, the one-sided
difference on the other side is used.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import DomainError
from .expression import Expression

# Per method: the relative step (cube root and square root of float64's
# epsilon) and tolerances a few orders of magnitude above the method's error.
DEFAULTS = {
    "central": {"step": 6.0554544523933395e-06, "rtol": 1e-5, "atol": 1e-8},
    "forward": {"step": 1.4901161193847656e-08, "rtol": 1e-3, "atol": 1e-6},
}


@dataclass
class GradientCheck:
    analytic: float
    numeric: float
    error: float
    ok: bool
    method: str  # the difference used: central, forward, backward (one-sided at a domain edge)
    step: float


def check_gradients(expr: Expression, values: Mapping[str, float], method: str = "central",
                    step: float | None = None, rtol: float | None = None, atol: float | None = None
                    ) -> tuple[float, dict[str, GradientCheck]]:
    """The value, and per variable the analytic and numeric gradient compared:
    ``ok`` when ``|analytic - numeric| <= atol + rtol * |numeric|``."""
    defaults = DEFAULTS[method]
    rtol = defaults["rtol"] if rtol is None else rtol
    atol = defaults["atol"] if atol is None else atol
    result = expr.evaluate(values)
    f0 = result.value
    checks = {}
    for name, analytic in result.gradients.items():
        x = float(values[name])

        def f(at: float, name: str = name) -> float | None:
            try:
                return expr.forward({**values, name: at})
            except DomainError:
                return None

        if step is not None:
            h = _exact(x, step)
            numeric, used = _difference(f, x, h, f0, method)
        else:
            numeric, used, h = _adaptive(f, x, f0, method, defaults["step"])
        error = abs(analytic - numeric)
        checks[name] = GradientCheck(analytic, numeric, error, error <= atol + rtol * abs(numeric), used, h)
    expr.evaluate(values)  # leave the graph at the point itself
    return f0, checks


def _exact(x: float, h: float) -> float:
    """``h`` adjusted so that ``x + h`` is exactly ``h`` away from ``x``."""
    return ((x + h) - x) or h


def _adaptive(f, x: float, f0: float, method: str, s: float) -> tuple[float, str, float]:
    best: tuple[float, float, str, float] | None = None  # (disagreement, estimate, method, h)
    for scale in dict.fromkeys((max(1.0, abs(x)), abs(x))):
        if scale == 0:
            continue
        h = _exact(x, s * scale)
        coarse, used = _difference(f, x, h, f0, method)
        fine, _ = _difference(f, x, _exact(x, h / 2), f0, method)
        disagreement = abs(coarse - fine)
        if math.isfinite(disagreement) and (best is None or disagreement < best[0]):
            best = (disagreement, fine, used, _exact(x, h / 2))
    if best is None:
        return math.nan, "none", math.nan
    return best[1], best[2], best[3]


def _difference(f, x: float, h: float, f0: float, method: str) -> tuple[float, str]:
    hi = f(x + h)
    if method == "central":
        lo = f(x - h)
        if hi is not None and lo is not None:
            return (hi - lo) / (2 * h), "central"
        if lo is not None:
            return (f0 - lo) / h, "backward"
    if hi is not None:
        return (hi - f0) / h, "forward"
    lo = f(x - h)
    if lo is not None:
        return (f0 - lo) / h, "backward"
    return math.nan, "none"
