"""The lecture's numerical check: analytic gradients against finite differences.

By default the step is chosen per variable: ``h = s * max(1, |x|)``,
``h = s * |x|`` and ``h = s`` are tried (``s`` balances truncation against
rounding for the method), each at ``h`` and ``h/2``. The first is right where
the function's value dwarfs ``x`` (``1 + x`` at 1e-10), the second where the
function changes on the scale of ``x`` (``sqrt(x)`` at 1e-9, ``1/x`` at
1e-11), the third where it changes on a fixed scale (``sin(x)`` at 1e5). A step
below two units in ``x``'s last place is raised to that (``x + h`` must differ
from ``x``): ``sqrt(x)`` at the subnormal 1e-320, ``sin(x)`` at 1e12.

The step whose estimate has the smallest error relative to its size wins. The
error is the truncation (``|coarse - fine|``) plus the rounding (``noise / h``):
without the rounding, a step so small that ``f`` does not change (``exp(x)`` at
1e-300 with ``h = s*|x|``) would agree with itself on a slope of 0; and without
dividing by the size, a step that crosses a pole (``1/x`` at 1e-11 with
``h = 6e-6``) would win by having small estimates. ``noise`` is how far rounding
moves ``f`` near ``x``: each op rounds its result by up to ``eps`` of itself, and
that reaches the output times the output's gradient with respect to the op's
node, which the backward pass has just computed (the first-order running error
bound). ``eps * |f(x)|`` alone misses the rounding of inner values: ``log(1 + x)``
at 1e-16 is 0, but ``1 + x`` rounds at 1, so a step of 6e-22 sees ``f`` unchanged
and is no evidence of a slope of 0. A step that keeps the method asked for beats
one that fell back to one side (``log(x)`` at 1e-16: ``h = 6e-22`` stays inside
the domain). So the check holds from 1e-300 to 1e300 wherever the function and
its derivative are finite (tested). ``step`` fixes ``h`` instead, as the lecture
does (``h = 0.001``). Where the usual steps leave the domain on one side
(``asin(x)`` at ``1 - 1e-10``), steps that fit inside it are tried as well, so
that a central difference follows the steep part near the edge; where the
function is undefined on one side of ``x`` at every step, the one-sided
difference on the other side is used, and where the edge is too near for any
step (``acosh(x)`` at ``1 + 1e-14``), the note says so.

Where the two sides of ``x`` differ (``atan2(y, x)`` on its branch cut, ``y = ±0``
and ``x < 0``, jumps by 2*pi) and the analytic gradient is the slope of one of
them, the side the point belongs to (the sign of the zero) is checked with a
one-sided difference, and the note names the jump or the kink.

Two steps can agree and both be wrong: over a step that spans many turns of
the function, both average them away (``sin(x) + x`` at 1e9 with ``h = 3e3``
agrees on a slope of 1 at ``h`` and ``h/2``, where it is ``1 + cos(x)``). So a
failing variable is looked at again: if the engine's own gradient turns within
the winning step by more than that step's error allowed for, the steps are
chosen again with that turn counted in each one's error, and with one more
step, the one that balances truncation against the value's rounding
(``h = 0.003`` there, which follows ``sin`` and passes).

Where even the best estimate is uncertain by more than its mismatch with the
analytic gradient, no finite difference can judge the gradient (``y`` in
``x**2 + y**2`` at ``x = 1e8``: ``f`` is 1e16, whose floats are 2 apart, and
``y**2`` changes by far less over any step that follows it; ``sin(x)`` and
``sin(x) + x`` at 1e16, where floats are 2 apart): the variable is not failed (``ok``, with ``judged``
false) and its ``note`` says why. A mismatch larger than the estimate's own
error is a failure, however coarse the floats.

At a kink (``relu(x)`` at 0) no difference can match the analytic gradient,
which follows PyTorch's convention (``relu'(0) = 0``) while the central
difference sees the average of the two sides: a failing variable whose slopes
on the two sides differ, at a point where the evaluation used such a
convention, gets a ``note`` saying so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from ..base.errors import DomainError
from ..core.expression import Expression

EPSILON = 2.220446049250313e-16  # float64's: the rounding of one value

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
    note: str = ""  # why a failure is no bug (the variable sits on a kink), or why it was not judged
    judged: bool = True  # False: no finite difference could tell (then ok, and the note says why)
    jump: float = 0.0  # how much the function jumps at the point, on the side the difference left out
    belongs: bool = False  # one-sided because the point belongs to that side (a jump, a kink), not for a domain


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
    noise = _noise(expr, f0)
    checks = {}
    for name, analytic in result.gradients.items():
        x = float(values[name])

        def f(at: float, name: str = name) -> float | None:
            try:
                return expr.forward({**values, name: at})
            except DomainError:
                return None

        def g(at: float, name: str = name) -> float | None:
            try:
                slope = expr.evaluate({**values, name: at}).gradients[name]
            except DomainError:
                return None
            return slope if math.isfinite(slope) else None

        if step is not None:
            h = _exact(x, step)
            numeric, used = _difference(f, x, h, f0, method)
            truncation = rounding = 0.0  # a fixed step is the user's: judged as it is
            edge = None
        else:
            numeric, used, h, truncation, rounding, edge = _adaptive(f, x, f0, noise, method, defaults["step"])
            if abs(analytic - numeric) > atol + rtol * abs(numeric) and _turn(g, x, h, used, analytic) > max(
                    truncation + rounding, 0.1 * (atol + rtol * abs(numeric))):
                # A failure whose step spans turns of the gradient, which its two estimates both average
                # away: choose again, each step's error now counting the turns within it.
                numeric, used, h, truncation, rounding, edge = _adaptive(f, x, f0, noise, method, defaults["step"], g)
        error = abs(analytic - numeric)
        ok = error <= atol + rtol * abs(numeric)
        if not ok and result.notes and not math.isfinite(h):  # no step worked: look with the default one
            h = _exact(x, defaults["step"] * max(1.0, abs(x)))
        note = "" if ok or not result.notes else _kink(f, x, f0, h, result.notes)
        check = GradientCheck(analytic, numeric, error, ok, used, h, note)
        if not ok and not note and step is None and used == "central":
            check = _on_a_jump(f, x, f0, h, noise, analytic, check, (atol, rtol))
        if not check.ok and not check.note:
            _undecided(check, x, noise, truncation, rounding, edge)
        checks[name] = check
    expr.evaluate(values)  # leave the graph at the point itself
    return f0, checks


def _noise(expr: Expression, f0: float) -> float:
    """How far rounding moves the expression's value near the point: each node's
    result rounded by up to ``eps`` of itself, times the output's gradient with
    respect to it (after the backward pass; constants have none and add nothing)."""
    total = sum(abs(node.data * node.grad) for node in expr.live()[0] if node.children)  # inf if huge
    # Never below the spacing of the subnormals, which every result rounds to: where the values
    # are 0 (y*atan2(y, x) at y = 0) a step of one subnormal would otherwise see no rounding at all.
    return max(EPSILON * (total if math.isfinite(total) else abs(f0)), math.ulp(0.0))


def _on_a_jump(f, x: float, f0: float, h: float, noise: float, analytic: float, check: GradientCheck,
               tolerances: tuple[float, float]) -> GradientCheck:
    """``check`` again where the two sides of ``x`` differ and the analytic gradient is the
    slope of one of them: ``atan2(y, x)`` at ``y = 0``, ``x < 0`` is its branch cut, where it
    jumps by 2*pi (a central difference sees the jump, not a slope, however small its step),
    and ``y*atan2(y, x)`` has a kink there. The point belongs to one side (``atan2(+0.0, -1)``
    is pi, the value above the cut; ``-0.0`` is below it), whose slope the engine computes: a
    one-sided difference on that side judges it, and the note names the jump or the kink.
    Else (no side matches, or both) ``check`` as it was."""
    if f(x + h) is None or f(x - h) is None:
        return check
    atol, rtol = tolerances
    sides = {}
    for side in ("forward", "backward"):
        numeric, _, step, _, _, _ = _adaptive(f, x, f0, noise, side, DEFAULTS["forward"]["step"])
        sides[side] = (numeric, step)
    matching = [side for side, (numeric, _) in sides.items() if abs(analytic - numeric) <= atol + rtol * abs(numeric)]
    if len(matching) != 1:
        return check
    side = matching[0]
    numeric, step = sides[side]
    other = "left" if side == "forward" else "right"
    jump = _jump(f, x, f0, h, *((None, f(x - h)) if side == "forward" else (f(x + h), None)))
    if jump:
        what = f"a jump of the function (by {jump:.6g}, on its {other}: a branch cut, or a step)"
    else:
        slope = sides["backward" if side == "forward" else "forward"][0]
        what = f"a kink (the slope on its {other} is {slope:.6g})"
    note = (f"sits on {what}, where no central difference exists; the analytic gradient is the slope on the "
            f"side the point belongs to, checked with a {side} difference")
    return GradientCheck(analytic, numeric, abs(analytic - numeric), True, side, step, note, jump=jump, belongs=True)


def _undecided(check: GradientCheck, x: float, noise: float, truncation: float, rounding: float,
               edge: float | None = None) -> bool:
    """Whether no finite difference can decide a failing check, and if so mark it
    (ok, not judged) and say why: the estimate may be off by more than its
    mismatch (within twice its bound), or by a tenth of itself (the bound holds
    for small errors only: ``sin(x)`` at 1e16 over a step of 6e10 looks like a
    slope of 1e-11 +- 1e-11)."""
    uncertain = truncation + rounding
    # Twice the bound: for a forward difference |coarse - fine| is about the fine step's error itself.
    if not (check.error <= 2 * uncertain or uncertain > 0.1 * abs(check.numeric)):
        return False
    check.ok, check.judged = True, False
    # Floats first where the step is already down to a few of them (sin(x) + x at 1e16: its value rounds by 2 as well).
    coarse = math.ulp(x) > DEFAULTS["central"]["step"] and (rounding < truncation or check.step <= 4 * math.ulp(x))
    if edge is not None:
        why = (f"the expression is undefined within {4 * edge:.3g} of it (a domain edge), too close for a "
               f"difference to follow the function there")
    elif coarse:
        why = f"floats near {x:g} are {math.ulp(x):.3g} apart, too coarse for a difference to follow the function"
    elif rounding >= truncation:
        why = (f"the expression's value rounds by about {noise:.3g} here, too coarse to resolve its change over "
               f"a usable step")
    else:
        why = "the estimates at two steps disagree (the function turns too fast here)"
    check.note = (f"cannot be checked at this point: {why}; the finite difference ({check.numeric:.6g}) may be off "
                  f"by {max(uncertain, check.error):.3g}; not counted as a failure")
    return True


def _exact(x: float, h: float) -> float:
    """``h`` adjusted so that ``x + h`` is exactly ``h`` away from ``x``."""
    return ((x + h) - x) or h


def _turn(g, x: float, h: float, method: str, g0: float) -> float:
    """The truncation of a difference over ``h`` as the engine's gradient ``g``
    sees it: a central difference is off by about a third of ``g``'s even part
    ``(g(x+t) + g(x-t))/2 - g(x)`` at ``t = h``, a one-sided one by half of
    ``g(x+t) - g(x)``. Sampled at ``t = h, h/2, h/3, h/5, h/7`` and scaled up to
    ``h`` as a Taylor model would (by ``(h/t)**2``, or ``h/t``): equal where ``g``
    is smooth over the step, and the largest counts where it turns within it.
    Two estimates that agree can both be wrong by this much (``sin(x) + x`` at
    1e16 over ``h = 3e10``: both average ``cos`` away and agree on a slope of 1);
    several fractions of ``h``, so that a step spanning whole turns does not
    hide them (``h``, ``h/2``, ... all near multiples of ``2*pi`` needs ``h``
    near one of ``840*pi``)."""
    if not math.isfinite(h):
        return 0.0
    turns = []
    for k in (1, 2, 3, 5, 7):
        t = h / k
        if x + t == x or x - t == x:
            continue
        if method == "central":
            hi, lo = g(x + t), g(x - t)
            if hi is None or lo is None:
                return math.inf  # g has no finite value within the step: it does not follow a Taylor model
            turns.append(abs((hi + lo) / 2 - g0) / 3 * k * k)
        else:
            side = g(x + t if method == "forward" else x - t)
            if side is None:
                return math.inf
            turns.append(abs(side - g0) / 2 * k)
    return max(turns, default=0.0)


def _adaptive(f, x: float, f0: float, noise: float, method: str, s: float, g=None
              ) -> tuple[float, str, float, float, float]:
    """The estimate of the step that wins, its method and step, and its error:
    truncation and rounding. With ``g`` (the engine's gradient at a point) the
    truncation also counts how far ``g`` turns within each step, and the step that
    balances truncation against the expression's own rounding is tried too
    (``sin(x) + x`` at 1e9: ``f`` rounds by 2e-7, so a step near 0.006).

    Where the usual steps leave the domain on one side (``asin(x)`` at ``1 - 1e-10``),
    a one-sided difference over them spans the edge's steep part (808 for a slope of
    70,711): steps that fit inside the domain are tried too, the largest that does
    and three smaller ones, and a central difference over one of them wins."""
    least = 2 * math.ulp(x)  # x + h/2 must differ from x
    scales = [max(1.0, abs(x)), abs(x), 1.0]
    if g is not None:
        scales.append((noise / EPSILON) ** (1 / 3 if method == "central" else 1 / 2))
    g0 = g(x) if g is not None else None
    steps = [_exact(x, max(s * scale, least)) for scale in dict.fromkeys(scales)]
    best = _best(f, x, f0, noise, method, steps, g, g0, None)
    inside = None
    if method == "central" and (best is None or best[0]):
        inside = _inside(f, x, steps[0], least)
        if inside:
            steps = [_exact(x, max(inside / k, least)) for k in (1, 4, 16, 64, 256, 1024)]
            best = _best(f, x, f0, noise, method, list(dict.fromkeys(steps)), g, g0, best)
    if best is None:
        return math.nan, "none", math.nan, math.nan, math.nan, None
    return best[3], best[4], best[5], best[6], best[7], inside if best[5] <= (inside or 0.0) else None


def _best(f, x: float, f0: float, noise: float, method: str, steps: list[float], g, g0: float | None,
          best: tuple | None) -> tuple | None:
    """The best of ``best`` and the estimates over ``steps`` (each at ``h`` and ``h/2``):
    the method asked for first, then the smallest error relative to the estimate's size."""
    for h in steps:
        fine_h = _exact(x, h / 2)
        if not (math.isfinite(h) and x + fine_h != x and x - fine_h != x):
            continue  # x so large that x + h overflows
        coarse, used = _difference(f, x, h, f0, method)
        fine, _ = _difference(f, x, fine_h, f0, method)
        # The estimate's error: truncation (the two steps disagree) plus
        # rounding (f's noise over h: a step too small sees f unchanged).
        truncation, rounding = abs(coarse - fine), noise / fine_h
        if g0 is not None:
            truncation += _turn(g, x, fine_h, used, g0)
        error = truncation + rounding
        size = max(abs(coarse), abs(fine))
        relative = error / size if size else (0.0 if error == 0 else math.inf)
        candidate = (used != method, relative, error, fine, used, fine_h, truncation, rounding)
        if not math.isnan(relative) and (best is None or candidate[:3] < best[:3]):
            best = candidate
    return best


def _inside(f, x: float, h: float, least: float) -> float | None:
    """The largest of ``h``, ``h/4``, ``h/16``, ... (down to ``least``) over which ``f`` is
    defined on both sides of ``x``, or None: the step that fits between ``x`` and a domain edge."""
    while h >= least:
        if f(x + h) is not None and f(x - h) is not None:
            return h
        h = _exact(x, h / 4)
    return None


def _kink(f, x: float, f0: float, h: float, conventions: list[str]) -> str:
    """Why a variable fails at a kink: its slopes on the two sides differ, or there are none."""
    if not math.isfinite(h):
        return ""
    hi, lo = f(x + h), f(x - h)
    if hi is None and lo is None:  # xlogy(x, 0) at x = 0: defined at the point alone
        return (f"sits where no finite difference exists (the expression is undefined on both sides): "
                f"{'; '.join(conventions)}; the analytic gradient follows that convention")
    if hi is None or lo is None:  # x**x at 0: the one side's slope is not the convention's
        return (f"sits where the expression is defined on one side only: {'; '.join(conventions)}; the analytic "
                f"gradient follows that convention, the finite difference sees the {'left' if hi is None else 'right'}"
                f" side's slope")
    jump = _jump(f, x, f0, h, hi, lo)
    if jump:  # floor(x) at an integer: a step, not a slope, however small h is
        return (f"sits on a jump: {'; '.join(conventions)}; the analytic gradient follows that convention, and no "
                f"finite difference exists (the function jumps by {jump:.6g} there)")
    right, left = (hi - f0) / h, (f0 - lo) / h
    if abs(right - left) <= 1e-3 * max(abs(right), abs(left)):
        return ""
    return (f"sits on a kink: {'; '.join(conventions)}; the analytic gradient follows that convention, "
            f"the finite difference sees the average of the slopes either side ({left:.6g} left, {right:.6g} right)")


def _jump(f, x: float, f0: float, h: float, hi: float | None, lo: float | None) -> float:
    """How much ``f`` jumps at ``x`` (0 where it does not): a side whose change does not
    shrink as the step does (a slope's shrinks 16-fold from h to h/16)."""
    for near, far in ((f(x + h / 16) if hi is not None else None, hi), (f(x - h / 16) if lo is not None else None, lo)):
        if near is not None and far is not None and far - f0 != 0 and abs(near - f0) > abs(far - f0) / 4:
            return abs(near - f0)
    return 0.0


def _difference(f, x: float, h: float, f0: float, method: str) -> tuple[float, str]:
    if method == "backward":  # the side a point on a jump belongs to (_on_a_jump)
        lo = f(x - h)
        return ((f0 - lo) / h, "backward") if lo is not None else (math.nan, "none")
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
