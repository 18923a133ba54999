"""erf and erfc over numpy float64 arrays, which numpy lacks (and SciPy is not
a dependency), to within a few ulp of the C library's ``erf``/``erfc``.

The method, its region boundaries and every coefficient are those of FreeBSD
msun ``s_erf.c`` (fdlibm), whose notice follows:

    ====================================================
    Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.

    Developed at SunPro, a Sun Microsystems, Inc. business.
    Permission to use, copy, modify, and distribute this
    software is freely granted, provided that this notice
    is preserved.
    ====================================================

In short: |x| < 0.84375, erf(x) = x + x*P(x²)/Q(x²); |x| < 1.25, erf(x) =
erx + P(s)/Q(s) with s = |x|-1; beyond, erfc(x) = exp(-x²-0.5625+R/S)/x with
R/S a rational in 1/x², and -x² computed as -z*z + (z-x)*(z+x) where z is x with
its low 32 bits cleared, so that z*z is exact (the C code's SET_LOW_WORD).
Polynomials are evaluated by Horner in the C code's order of operations. One
departure: below 2**-1015, erf scales by 16 as glibc does, not by 8 (fdlibm),
which rounds subnormal results as the C library does.

Vectorised, not per point: a block of points at a time (small enough for the
CPU cache), each region's points are gathered by index, computed with array
operations and scattered back; a region holding all or none of a block costs no
gather. The price is the algorithm's 25 to 50 array operations per point, each
about half an ``np.exp``: erf costs some 10 to 30 times ``np.exp`` (bench/erf.py).
No warning escapes (erfc underflows to 0 past x ≈ 27.2 on purpose): the work
runs under ``np.errstate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Array = Any  # numpy float64 array or scalar

ERX = 8.45062911510467529297e-01  # erf(1) rounded to 24 bits: 1 - ERX is exact
EFX = 1.28379167095512586316e-01  # 2/sqrt(pi) - 1
EFX16 = 16.0 * EFX  # exact: a power of two

# Coefficients, constant term first. erf on [0, 0.84375]:
PP = (1.28379167095512558561e-01, -3.25042107247001499370e-01, -2.84817495755985104766e-02,
      -5.77027029648944159157e-03, -2.37630166566501626084e-05)
QQ = (1.0, 3.97917223959155352819e-01, 6.50222499887672944485e-02, 5.08130628187576562776e-03,
      1.32494738004321644526e-04, -3.96022827877536812320e-06)
# erf on [0.84375, 1.25], in s = |x| - 1:
PA = (-2.36211856075265944077e-03, 4.14856118683748331666e-01, -3.72207876035701323847e-01,
      3.18346619901161753674e-01, -1.10894694282396677476e-01, 3.54783043256182359371e-02,
      -2.16637559486879084300e-03)
QA = (1.0, 1.06420880400844228286e-01, 5.40397917702171048937e-01, 7.18286544141962662868e-02,
      1.26171219808761642112e-01, 1.36370839120290507362e-02, 1.19844998467991074170e-02)
# erfc on [1.25, 1/0.35], in s = 1/x²:
RA = (-9.86494403484714822705e-03, -6.93858572707181764372e-01, -1.05586262253232909814e01,
      -6.23753324503260060396e01, -1.62396669462573470355e02, -1.84605092906711035994e02,
      -8.12874355063065934246e01, -9.81432934416914548592e00)
SA = (1.0, 1.96512716674392571292e01, 1.37657754143519042600e02, 4.34565877475229228821e02,
      6.45387271733267880336e02, 4.29008140027567833386e02, 1.08635005541779435134e02,
      6.57024977031928170135e00, -6.04244152148580987438e-02)
# erfc on [1/0.35, 28], in s = 1/x²:
RB = (-9.86494292470009928597e-03, -7.99283237680523006574e-01, -1.77579549177547519889e01,
      -1.60636384855821916062e02, -6.37566443368389627722e02, -1.02509513161107724954e03,
      -4.83519191608651397019e02)
SB = (1.0, 3.03380607434824582924e01, 3.25792512996573918826e02, 1.53672958608443695994e03,
      3.19985821950859553908e03, 2.55305040643316442583e03, 4.74528541206955367215e02,
      -2.24409524465858183362e01)

# Region boundaries: the C code tests the high 32 bits, |x| < 0x3feb0000 etc.,
# which for these values is exactly |x| < the double whose low word is 0.
SMALL = 0.84375  # 0x3feb0000
MID = 1.25  # 0x3ff40000
TAIL_AB = float.fromhex("0x1.6db6dp+1")  # 0x4006db6d: 1/0.35 cut to its high word
ERF_ONE = 6.0  # 0x40180000: erf(x) rounds to +-1 from here
ERFC_ZERO = 28.0  # 0x403c0000: erfc(x) rounds to 0 (x > 0) or 2 (x < 0) from here
TINY = 2.0**-28  # 0x3e300000: erf(x) = x + EFX*x
UNDERFLOW = 2.0**-1015  # 0x00800000: EFX*x may underflow, so scale by 16 first
HIGH_WORD = np.uint64(0xFFFFFFFF00000000)
BLOCK = 16_000  # points per pass: temporaries under 128 KiB stay in cache and in malloc's heap (no fresh pages)


def _horner(t: Array, coefs: tuple[float, ...]) -> Array:
    """c0 + t*(c1 + t*(c2 + ...)), innermost first, as s_erf.c writes it."""
    acc = t * coefs[-1]
    for c in coefs[-2:0:-1]:
        acc += c
        acc *= t
    acc += coefs[0]
    return acc


def _region(out: Array, x: Array, mask: Array, rule: Callable[[Array], Array]) -> None:
    """out[mask] = rule(x[mask]); an all-or-nothing mask skips the gather and scatter."""
    count = np.count_nonzero(mask)
    if count == mask.size:
        out[...] = rule(x)
    elif count:
        index = np.flatnonzero(mask)
        out[index] = rule(x[index])


def _small_ratio(x: Array) -> Array:
    """P(x²)/Q(x²), so that erf(x) = x + x*ratio on |x| < 0.84375."""
    z = x * x
    return _horner(z, PP) / _horner(z, QQ)


def _mid_ratio(ax: Array) -> Array:
    """P(s)/Q(s) with s = |x| - 1, so that erf(|x|) = ERX + ratio on [0.84375, 1.25)."""
    s = ax - 1.0
    return _horner(s, PA) / _horner(s, QA)


def _tail_ratio(ax: Array) -> Array:
    """R(1/x²)/S(1/x²) on [1.25, 28), each half of it with its own coefficients."""
    s = 1.0 / (ax * ax)
    ratio = np.empty_like(ax)
    _region(ratio, s, ax < TAIL_AB, lambda t: _horner(t, RA) / _horner(t, SA))
    _region(ratio, s, ax >= TAIL_AB, lambda t: _horner(t, RB) / _horner(t, SB))
    return ratio


def _erfc_far(ax: Array) -> Array:
    """erfc(|x|) for |x| in [1.25, 28): exp(-z*z-0.5625)*exp((z-x)*(z+x)+R/S)/x."""
    z = (ax.view(np.uint64) & HIGH_WORD).view(np.float64)
    # The same operations in the same order, in place: fewer temporaries, fewer passes.
    low = z - ax
    low *= z + ax  # (z - x)*(z + x)
    low += _tail_ratio(ax)
    np.exp(low, out=low)
    z *= z
    np.negative(z, out=z)  # -z*z, as (-z)*z
    z -= 0.5625
    np.exp(z, out=z)
    z *= low
    z /= ax
    return z


def _erf_small(x: Array) -> Array:
    """erf on |x| < 0.84375 (and nan, which it passes through)."""
    y = x + x * _small_ratio(x)
    _region(y, x, np.abs(x) < TINY, _erf_tiny)
    return y


def _erf_tiny(x: Array) -> Array:
    """erf on |x| < 2**-28: x + EFX*x, scaled by 16 where EFX*x would underflow.

    fdlibm scales by 8 (EFX8); 16, as glibc does, keeps one more bit of
    EFX*x and so rounds subnormal results as the C library does."""
    return np.where(np.abs(x) < UNDERFLOW, 0.0625 * (16.0 * x + EFX16 * x), x + EFX * x)


def _erf_mid(x: Array) -> Array:
    return np.copysign(ERX + _mid_ratio(np.abs(x)), x)


def _erf_tail(x: Array) -> Array:
    r = _erfc_far(np.abs(x))
    np.subtract(1.0, r, out=r)
    return np.copysign(r, x, out=r)


def _erfc_small(x: Array) -> Array:
    """erfc on |x| < 0.84375: 1 - erf(x) below 1/4, 0.5 - ((x-0.5) + x*ratio) above,
    where 1 - erf(x) would lose bits. Below 2**-56 this is 1 - x, as the C code's
    shortcut, so no branch is needed for it."""
    xy = x * _small_ratio(x)
    return np.where(x < 0.25, 1.0 - (x + xy), 0.5 - ((x - 0.5) + xy))


def _erfc_mid(x: Array) -> Array:
    ratio = _mid_ratio(np.abs(x))
    return np.where(x >= 0, (1.0 - ERX) - ratio, 1.0 + (ERX + ratio))


def _erfc_tail(x: Array) -> Array:
    r = _erfc_far(np.abs(x))
    return np.subtract(2.0, r, out=r, where=x < 0)  # 2 - erfc(|x|) below 0 (never 0 or nan here)


def _evaluate(x: Array, far: Callable[[Array], Array], limit: float,
              rules: tuple[Callable[[Array], Array], ...]) -> Array:
    """Run the three regions' rules below ``limit`` over ``far``'s values beyond it,
    a block of points at a time."""
    x = np.asarray(x, dtype=np.float64)
    flat = x.ravel()
    out = np.empty_like(flat)
    with np.errstate(all="ignore"):
        for start in range(0, flat.size, BLOCK):
            out[start:start + BLOCK] = _block(flat[start:start + BLOCK], far, limit, rules)
    out = out.reshape(x.shape)
    return out[()] if out.ndim == 0 else out


def _block(x: Array, far: Callable[[Array], Array], limit: float,
           rules: tuple[Callable[[Array], Array], ...]) -> Array:
    out = np.empty_like(x)
    ax = np.abs(x)
    past_small, past_mid, past_limit = ax >= SMALL, ax >= MID, ax >= limit
    small, mid, tail = rules
    _region(out, x, ~past_small, small)  # nan goes here: no comparison holds for it
    _region(out, x, past_small > past_mid, mid)
    _region(out, x, past_mid > past_limit, tail)
    _region(out, x, past_limit, far)  # computed only where it is needed
    return out


def erf(x: Array) -> Array:
    """The error function, elementwise, as C's ``erf`` (``math.erf``)."""
    return _evaluate(x, lambda t: np.copysign(1.0, t), ERF_ONE, (_erf_small, _erf_mid, _erf_tail))


def erfc(x: Array) -> Array:
    """1 - erf(x) elementwise without its cancellation, as C's ``erfc`` (``math.erfc``)."""
    return _evaluate(x, lambda t: np.where(t > 0, 0.0, 2.0), ERFC_ZERO, (_erfc_small, _erfc_mid, _erfc_tail))


__all__ = ["erf", "erfc"]
