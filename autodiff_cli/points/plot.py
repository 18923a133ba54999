"""`autodiff plot`: the expression and its derivative over a range, as the
micrograd lecture draws f(x) = 3x² - 4x + 5 and reads the slope off it.

Sampling uses the batch engine (one numpy pass, forward and backward, over all
points); points where the function is undefined become NaN, which both
renderers draw as gaps. matplotlib (for files) is imported here only, so
that no other command pays for it; the terminal drawing is plain text.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass

import numpy as np

from ..base.errors import UsageError
from ..core.expression import Expression
from .batch import ArrayProgram, Grid

DEFAULT_POINTS = 500
EXTRA_HINT = "pip install matplotlib (a dependency of autodiff-cli: reinstall it with pip install autodiff-cli)"


@dataclass
class Curves:
    """The swept variable, the function and its derivative (NaN where undefined)."""

    name: str
    x: np.ndarray
    y: np.ndarray
    dy: np.ndarray
    gaps: int  # points where the function or its derivative is undefined


def sample(expr: Expression, grid: Grid, fixed: dict[str, float]) -> Curves:
    """Evaluate the expression and d/d(grid variable) at every grid point."""
    x = grid.values(np.arange(grid.count))
    program = ArrayProgram(expr)
    value, gradients, _ = program.run({**fixed, grid.name: x}, len(x))
    y = np.array(value, dtype=np.float64)
    dy = np.array(gradients[grid.name], dtype=np.float64)
    bad = ~(np.isfinite(y) & np.isfinite(dy))
    y[~np.isfinite(y)] = np.nan
    dy[bad] = np.nan  # where f is undefined, so is its slope (numpy would still give a number)
    return Curves(grid.name, x, y, dy, int(np.count_nonzero(bad)))


@dataclass
class Tangent:
    at: float
    value: float  # f(a)
    slope: float  # f'(a)
    x: np.ndarray
    y: np.ndarray  # f(a) + f'(a) (x - a) over the plotted range, inf where that overflows
    notes: list[str]  # the conventions the slope used (relu'(0) = 0), as eval notes them


def tangent_line(curves: Curves, expr: Expression, fixed: dict[str, float], at: float) -> Tangent:
    """The tangent line at ``at`` (a single strict evaluation: it must be defined there)."""
    result = expr.evaluate({**fixed, curves.name: at})
    slope = result.gradients[curves.name]
    with np.errstate(over="ignore", invalid="ignore"):  # x*1e308: the line leaves the picture
        y = result.value + slope * (curves.x - at)
    return Tangent(at, result.value, slope, curves.x, y, result.notes)


def draw(curves: Curves, title: str, fmt: str, line: Tangent | None = None) -> bytes:
    """The two curves (and the tangent) as SVG, PNG or PDF bytes."""
    try:
        import matplotlib  # lazily: only a drawn plot needs matplotlib (a tenth of a second)

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # lazily: only a drawn plot needs matplotlib
    except ImportError:
        raise UsageError(f"plot needs matplotlib: {EXTRA_HINT}") from None
    # SVG text as text (selectable, searchable, smaller), not glyph outlines.
    plt.rcParams["svg.fonttype"] = "none"
    curves, line, scales = _within_range(curves, line)
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 6), constrained_layout=True)
    top.plot(curves.x, curves.y, color="#1d4ed8", linewidth=1.8, label=f"f({curves.name})", gid="function")
    if line is not None:
        top.plot(line.x, line.y, color="#dc2626", linewidth=1.2, linestyle="--", gid="tangent",
                 label=f"tangent at {curves.name} = {line.at:g} (slope {line.slope:.4g})")
        top.plot([line.at], [line.value], "o", color="#dc2626", markersize=5)
    bottom.plot(curves.x, curves.dy, color="#15803d", linewidth=1.8, label=f"df/d{curves.name}",
                gid="derivative")
    bottom.axhline(0.0, color="#9ca3af", linewidth=0.8)
    # Two lines where one would run off the figure (7 inches hold about 70 characters at 11 points).
    top.set_title(textwrap.fill(f"f({curves.name}) = {title}", width=68, break_long_words=False,
                                break_on_hyphens=False), fontsize=11, loc="left")
    top.set_ylabel(_scaled_label("f", scales["y"]))
    bottom.set_ylabel(_scaled_label(f"df/d{curves.name}", scales["dy"]))
    bottom.set_xlabel(_scaled_label(curves.name, scales["x"]))
    for axis in (top, bottom):
        axis.grid(True, color="#e5e7eb")
        axis.legend(loc="best", fontsize=9)
    if line is not None:  # keep the function's own range: the tangent may run far off
        finite = curves.y[np.isfinite(curves.y)]
        if finite.size:
            low, high = float(finite.min()), float(finite.max())
            pad = (high - low) * 0.08 or 1.0
            top.set_ylim(low - pad, high + pad)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return buffer.getvalue()


def _scale(values: np.ndarray) -> float:
    """1, or the power of ten to divide ``values`` by so that matplotlib's axis
    arithmetic (spans, ticks) stays finite: it overflows near float64's limit."""
    finite = np.abs(values[np.isfinite(values)])
    top = float(finite.max()) if finite.size else 0.0
    return 1.0 if top < 1e300 else 10.0 ** math.floor(math.log10(top))


def _within_range(curves: Curves, line: Tangent | None) -> tuple[Curves, Tangent | None, dict[str, float]]:
    """The curves (and tangent) divided by the scales that keep matplotlib finite."""
    scales = {"x": _scale(curves.x), "y": _scale(curves.y), "dy": _scale(curves.dy)}
    if scales == {"x": 1.0, "y": 1.0, "dy": 1.0}:
        return curves, line, scales
    sx, sy = scales["x"], scales["y"]
    scaled = Curves(curves.name, curves.x / sx, curves.y / sy, curves.dy / scales["dy"], curves.gaps)
    if line is not None:
        line = Tangent(line.at / sx, line.value / sy, line.slope, line.x / sx, line.y / sy, line.notes)
    return scaled, line, scales


def _scaled_label(label: str, scale: float) -> str:
    return label if scale == 1.0 else f"{label} / {scale:g}"


def draw_terminal(curves: Curves, title: str, line: Tangent | None = None, width: int = 72,
                  height: int = 14) -> str:
    """The curves as text for a terminal: a character grid per curve, gaps left blank."""
    panels = [_panel(curves.x, curves.y, "f", width, height, line),
              _panel(curves.x, curves.dy, f"df/d{curves.name}", width, height, None)]
    axis = f"{curves.x[0]:.4g}".ljust(width // 2) + f"{curves.x[-1]:.4g}".rjust(width - width // 2)
    head = [title]
    if line is not None:
        head.append(f"tangent at {curves.name} = {line.at:.6g} (dots): f = {line.value:.6g}, "
                    f"slope df/d{curves.name} = {line.slope:.6g}")
    lines = [*head, *panels[0], "", *panels[1], " " * 11 + axis, " " * 11 + curves.name.center(width)]
    return "\n".join(line.rstrip() for line in lines)  # no trailing spaces


def _fraction(v: np.ndarray, low: float, high: float) -> np.ndarray:
    """Where ``v`` lies between ``low`` and ``high`` (0 to 1), computed on halves so
    that a range wider than float64's (-1e308 .. 1e308) does not overflow."""
    with np.errstate(all="ignore"):
        span = high / 2 - low / 2
        return (v / 2 - low / 2) / (span or 1.0)


def _panel(x: np.ndarray, y: np.ndarray, label: str, width: int, height: int, line: Tangent | None) -> list[str]:
    finite = y[np.isfinite(y)]
    grid = [[" "] * width for _ in range(height)]
    if finite.size == 0:
        return [f"{label}: undefined over the whole range"]
    low, high = float(finite.min()), float(finite.max())
    if high == low:
        low, high = low - 1.0, high + 1.0
    columns = np.minimum((_fraction(x, float(x[0]), float(x[-1])) * (width - 1)).round().astype(int), width - 1)

    def put(ys: np.ndarray, mark: str) -> None:
        rows = height - 1 - (_fraction(ys, low, high) * (height - 1)).round()
        for col, value, row in zip(columns.tolist(), ys.tolist(), rows.tolist(), strict=True):
            if np.isfinite(value) and low <= value <= high:
                grid[int(row)][col] = mark

    if low < 0 < high:
        zero = height - 1 - round(float(_fraction(np.array([0.0]), low, high)[0]) * (height - 1))
        grid[zero] = ["-"] * width
    if line is not None:
        put(line.y, ".")
    put(y, "*")
    rows = []
    for k, chars in enumerate(grid):
        tick = f"{high:.4g}" if k == 0 else f"{low:.4g}" if k == height - 1 else (label if k == height // 2 else "")
        rows.append(f"{tick:>10} |" + "".join(chars))
    return rows
