"""Bit-exact arithmetic helpers: GPU rounding of float results, integer division, mul.hi.

Float results must round exactly once, the way the GPU does. The tool for that here is the
double-double: an exact result ``x`` is carried as ``s + e`` where ``s = RN64(x)`` and ``e``
is the exact remainder (TwoSum; products of two f32 or two f16 are exact in f64). Rounding
``s`` alone to f32 can be wrong in exactly two situations, both fixed below:

* round-to-nearest, when ``s`` lies exactly on a midpoint between two f32 values while
  ``x`` does not (``e != 0``): the double rounding would tie-break, the true result is the
  neighbour on ``e``'s side;
* directed rounding, when ``s`` is itself an f32 value while ``x`` is not: ``e``'s sign
  says on which side of it ``x`` lies.

Anywhere else ``x`` and ``s`` lie strictly between the same two f32 neighbours, because
every f32 value and every f32 midpoint is representable in f64 and RN64 cannot jump over
one. The same argument holds for f16 targets.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

RoundingMode = Literal["rn", "rz", "rm", "rp"]
Array: Any = npt.NDArray[Any]

CANONICAL_NAN_BITS: dict[np.dtype, int] = {
    np.dtype(np.float16): 0x7FFF,
    np.dtype(np.float32): 0x7FFFFFFF,
}
_OVERFLOW_THRESHOLD: dict[np.dtype, float] = {
    np.dtype(np.float16): 2.0**16,
    np.dtype(np.float32): 2.0**128,
}
_MIDPOINT_LOW_BITS: dict[np.dtype, np.uint64] = {
    np.dtype(np.float16): np.uint64((1 << 41) - 1),
    np.dtype(np.float32): np.uint64((1 << 28) - 1),
}
"""f64 fraction bits below a target midpoint's last bit: they are all zero at a midpoint."""
_SMALLEST_NORMAL: dict[np.dtype, float] = {
    np.dtype(np.float16): 2.0**-14,
    np.dtype(np.float32): 2.0**-126,
    np.dtype(np.float64): 2.0**-1022,
}


def two_sum(a: Array, b: Array) -> tuple[Array, Array]:
    """``s = RN(a + b)`` and the exact error ``e`` with ``s + e == a + b`` (Knuth's TwoSum).

    Where ``s`` is not finite the error is meaningless and set to 0.
    """
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, np.where(np.isfinite(s), e, 0.0)


def round_sum(x: Array, y: Array, target: np.dtype, mode: RoundingMode) -> Array:
    """The exact sum of two float64 arrays, rounded once to ``target`` (f16 or f32).

    Round-to-nearest takes a fast path: ``RN64(x + y)`` already rounds correctly to the
    target unless it lies on a target midpoint, which needs its low f64 fraction bits all
    zero; only when some element passes that filter is TwoSum's exact error computed.
    """
    target = np.dtype(target)
    s = np.asarray(x + y, np.float64)
    if mode == "rn" and not ((s.view(np.uint64) & _MIDPOINT_LOW_BITS[target]) == 0).any():
        return s.astype(target)
    s, e = two_sum(x, y)
    return round_exact(s, e, target, mode)


def round_exact(s: Array, e: Array | None, target: np.dtype, mode: RoundingMode) -> Array:
    """Round the exact value ``s + e`` (``s = RN64(s + e)``) once to ``target``.

    ``target`` is float16, float32 or float64; ``e`` None means ``s`` is exact.
    """
    target = np.dtype(target)
    if target == np.float64:
        return _round_f64(s, e, mode)
    s = np.asarray(s, np.float64)
    r = s.astype(target)
    if mode == "rn":
        return r if e is None else _nearest_fixup(s, e, r, target)
    back = r.astype(np.float64)
    # The sign of x - back: s - back when they differ (|e| is far smaller), else sign(e).
    side = np.sign(s - back)
    if e is not None:
        side = np.where(side == 0, np.sign(e), side)
    return _step_directed(r, side, mode)


def _nearest_fixup(s: Array, e: Array, r: Array, target: np.dtype) -> Array:
    """Correct ``r = RN(s)`` where ``s`` sits exactly on a target midpoint and ``e != 0``."""
    # A midpoint of the target grid has its low f64 fraction bits zero: a cheap filter.
    suspects = ((s.view(np.uint64) & _MIDPOINT_LOW_BITS[target]) == 0) & (e != 0)
    if not suspects.any():
        return r
    back = r.astype(np.float64)
    # An overflow to infinity sits where the next power of two would be: the midpoint test
    # compares with that threshold.
    overflowed = np.isinf(r) & np.isfinite(s)
    if overflowed.any():
        back = np.where(overflowed, np.copysign(_OVERFLOW_THRESHOLD[target], s), back)
    toward_s = np.where(s > back, np.inf, -np.inf).astype(target)
    other = np.nextafter(r, toward_s)
    midpoint = (s != back) & ((other.astype(np.float64) - s) == (s - back)) & (e != 0)
    if not midpoint.any():
        return r
    on_e_side = np.where(e > 0, np.maximum(r, other), np.minimum(r, other))
    return np.where(midpoint, on_e_side, r)


def _round_f64(s: Array, e: Array | None, mode: RoundingMode) -> Array:
    if mode == "rn" or e is None:
        return s
    return _step_directed(s, np.sign(e), mode)


def _step_directed(r: Array, side: Array, mode: RoundingMode) -> Array:
    """Move ``r`` one step when the exact value lies on the wrong side of it for ``mode``.

    ``side`` is the sign of (exact value - r).
    """
    if mode == "rz":
        toward_zero = ((side < 0) & (r > 0)) | ((side > 0) & (r < 0))
        return np.where(toward_zero, np.nextafter(r, np.zeros_like(r)), r)
    if mode == "rm":
        return np.where(side < 0, np.nextafter(r, np.full_like(r, -np.inf)), r)
    return np.where(side > 0, np.nextafter(r, np.full_like(r, np.inf)), r)


def canonical_nan(values: Array) -> Array:
    """Replace every NaN by the GPU's canonical NaN (f32 0x7FFFFFFF, f16 0x7FFF)."""
    bits = CANONICAL_NAN_BITS.get(values.dtype)
    if bits is None:
        return values
    nan = np.isnan(values)
    if not nan.any():
        return values
    canonical = np.array(bits, dtype=f"u{values.dtype.itemsize}").view(values.dtype)
    return np.where(nan, canonical, values)


def flush_subnormals(values: Array) -> Array:
    """``.ftz``: subnormal values become zero of the same sign."""
    tiny = np.abs(values) < _SMALLEST_NORMAL[values.dtype]
    return np.where(tiny & (values != 0), np.copysign(np.zeros_like(values), values), values)


def integer_as_double_double(values: Array) -> tuple[Array, Array]:
    """An int64/uint64 array as an exact ``s + e`` of float64 (for rounded int-to-float)."""
    unsigned = values.astype(np.uint64) if values.dtype.kind == "u" else values.view(np.uint64)
    low = (unsigned & np.uint64(0xFFFFFFFF)).astype(np.float64)
    high_bits = unsigned & ~np.uint64(0xFFFFFFFF)
    high = (
        high_bits.astype(np.float64)
        if values.dtype.kind == "u"
        else high_bits.view(np.int64).astype(np.float64)
    )
    return two_sum(high, low)


def truncating_divide(a: Array, b: Array, bits: int, signed: bool) -> tuple[Array, Array]:
    """PTX ``div`` and ``rem``: quotient rounded toward zero, remainder with the dividend's sign.

    Inputs are the raw bits (unsigned arrays of ``bits``). Division by zero gives an
    all-ones quotient and returns the dividend as remainder (what NVIDIA GPUs do for
    unsigned division; PTX leaves it unspecified); the signed overflow MIN / -1 wraps to MIN.
    """
    unsigned_t = np.dtype(f"u{bits // 8}")
    a = np.asarray(a).astype(unsigned_t, copy=False)
    b = np.asarray(b).astype(unsigned_t, copy=False)
    zero = b == 0
    safe_b = np.where(zero, unsigned_t.type(1), b)
    if not signed:
        quotient = a // safe_b
    else:
        sign_bit = unsigned_t.type(1 << (bits - 1))
        a_negative = (a & sign_bit) != 0
        b_negative = (safe_b & sign_bit) != 0
        magnitude_a = np.where(a_negative, ~a + unsigned_t.type(1), a)
        magnitude_b = np.where(b_negative, ~safe_b + unsigned_t.type(1), safe_b)
        magnitude_q = magnitude_a // magnitude_b
        quotient = np.where(a_negative ^ b_negative, ~magnitude_q + unsigned_t.type(1), magnitude_q)
    remainder = a - quotient * safe_b
    all_ones = unsigned_t.type(~np.uint64(0) >> np.uint64(64 - bits))
    return np.where(zero, all_ones, quotient), np.where(zero, a, remainder)


def multiply_high(a: Array, b: Array, bits: int, signed: bool) -> Array:
    """The upper ``bits`` of the 2*bits-wide product of two ``bits``-wide integers (raw bits in,
    raw bits out)."""
    unsigned_t = np.dtype(f"u{bits // 8}")
    if bits < 64:
        wide = np.int64 if signed else np.uint64
        value_t = np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
        a_wide = np.asarray(a).astype(unsigned_t, copy=False).view(value_t).astype(wide)
        b_wide = np.asarray(b).astype(unsigned_t, copy=False).view(value_t).astype(wide)
        product = (a_wide * b_wide).view(np.uint64)
        return (product >> np.uint64(bits)).astype(unsigned_t)
    a_u = np.asarray(a).astype(np.uint64, copy=False)
    b_u = np.asarray(b).astype(np.uint64, copy=False)
    mask32 = np.uint64(0xFFFFFFFF)
    shift = np.uint64(32)
    a_lo, a_hi = a_u & mask32, a_u >> shift
    b_lo, b_hi = b_u & mask32, b_u >> shift
    lo_lo = a_lo * b_lo
    lo_hi = a_lo * b_hi
    hi_lo = a_hi * b_lo
    middle = (lo_lo >> shift) + (lo_hi & mask32) + (hi_lo & mask32)
    high = a_hi * b_hi + (lo_hi >> shift) + (hi_lo >> shift) + (middle >> shift)
    if signed:
        sign = np.uint64(1 << 63)
        high = high - np.where((a_u & sign) != 0, b_u, np.uint64(0))
        high = high - np.where((b_u & sign) != 0, a_u, np.uint64(0))
    return high
