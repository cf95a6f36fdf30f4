"""Floating-point arithmetic on f32, f64, f16 and packed f16x2, rounded like the GPU.

* f32 / f64 ``add``, ``sub``, ``mul``, ``div``, ``sqrt``, ``rcp`` with ``.rn`` are NumPy's
  IEEE operations, which round correctly to nearest-even.
* ``fma`` / ``mad`` (f32, f16) round once: the product of two f32 (or f16) is exact in
  f64, TwoSum adds the addend exactly, ``round_exact`` rounds the double-double once.
* Directed rounding (``.rz`` ``.rm`` ``.rp``) of add/sub/mul goes through the same exact path.
* f16 add/sub/mul are exact in f64 and rounded once to f16.
* NaN results are the canonical NaN (f32 0x7FFFFFFF, f16 0x7FFF), as on NVIDIA GPUs.
* ``.approx`` / ``.full`` variants of div, rcp and sqrt are computed correctly rounded: the
  GPU's approximations are not bit-reproducible; Numba only emits them under fastmath.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpusim.cuda.ptx.ir import Instruction
from gpusim.cuda.ptx.numerics import (
    RoundingMode,
    canonical_nan,
    flush_subnormals,
    round_exact,
    round_sum,
)
from gpusim.cuda.ptx.operands import (
    CompileContext,
    Step,
    expect_operands,
    last_type,
    reader,
    writer,
)
from gpusim.cuda.ptx.types import PtxType

Handler = Callable[[Instruction, int, CompileContext], Step]
Compute = Callable[..., Any]
_ROUNDING = ("rn", "rz", "rm", "rp")
_SUPPORTED_MODIFIERS = frozenset(
    {*_ROUNDING, "ftz", "sat", "approx", "full", "NaN", "f16", "f16x2", "f32", "f64"}
)


def _rounding(ins: Instruction) -> RoundingMode:
    modes = [m for m in ins.modifiers if m in _ROUNDING]
    return modes[0] if modes else "rn"  # type: ignore[return-value]


def _check_modifiers(ins: Instruction, ptype: PtxType) -> None:
    unknown = [m for m in ins.modifiers if m not in _SUPPORTED_MODIFIERS]
    if unknown:
        raise ins.fail(f"unsupported modifier(s) .{', .'.join(unknown)}")
    if ptype.kind != "f":
        raise ins.fail(f"float operation on .{ptype.name}")


def _exact_add(a: Any, b: Any, target: np.dtype, mode: RoundingMode) -> Any:
    return round_sum(np.asarray(a, np.float64), np.asarray(b, np.float64), target, mode)


def _exact_mul(a: Any, b: Any, target: np.dtype, mode: RoundingMode) -> Any:
    """Products of two f32 (or f16) are exact in f64, so one rounding suffices."""
    return round_exact(np.asarray(a, np.float64) * np.asarray(b, np.float64), None, target, mode)


def _exact_fma(a: Any, b: Any, c: Any, target: np.dtype, mode: RoundingMode) -> Any:
    product = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    return round_sum(product, np.asarray(c, np.float64), target, mode)


def _arithmetic(ins: Instruction, ptype: PtxType) -> tuple[Compute, int]:
    """The computation of one element (on the unpacked dtype) and its operand count."""
    mode = _rounding(ins)
    target = np.dtype(np.float16) if ptype.lanes > 1 else ptype.value
    f64 = target == np.float64
    base = ins.base
    if base in ("add", "sub"):
        sign = 1.0 if base == "add" else -1.0
        if f64 or (mode == "rn" and target == np.float32):
            op = np.add if base == "add" else np.subtract
            if f64 and mode != "rn":
                raise ins.fail("directed rounding of f64 add/sub is not supported")
            return op, 2
        return (lambda a, b: _exact_add(a, np.negative(b) if sign < 0 else b, target, mode)), 2
    if base == "mul":
        if f64 or (mode == "rn" and target == np.float32):
            if f64 and mode != "rn":
                raise ins.fail("directed rounding of f64 mul is not supported")
            return np.multiply, 2
        return (lambda a, b: _exact_mul(a, b, target, mode)), 2
    if base in ("fma", "mad"):
        if f64:
            raise ins.fail("f64 fma is not supported")
        return (lambda a, b, c: _exact_fma(a, b, c, target, mode)), 3
    if base == "div":
        _require_nearest(ins, mode, "div")
        return np.divide, 2
    if base == "rcp":
        _require_nearest(ins, mode, "rcp")
        one = target.type(1.0)
        return (lambda a: np.divide(one, a)), 1
    if base == "sqrt":
        _require_nearest(ins, mode, "sqrt")
        return np.sqrt, 1
    raise ins.fail("unsupported float operation")


def _require_nearest(ins: Instruction, mode: RoundingMode, name: str) -> None:
    if mode != "rn":
        raise ins.fail(f"{name} with .{mode} is not supported")


def _sign_ops(ins: Instruction, ptype: PtxType) -> Compute:
    """abs / neg: clear or flip the sign bit (NaN payloads pass through, as on the GPU)."""
    dtype = np.dtype(np.float16) if ptype.lanes > 1 else ptype.value
    bits_t = np.dtype(f"u{dtype.itemsize}")
    sign = bits_t.type(1 << (8 * dtype.itemsize - 1))
    if ins.base == "abs":
        return lambda a: (np.asarray(a).view(bits_t) & ~sign).view(dtype)
    return lambda a: (np.asarray(a).view(bits_t) ^ sign).view(dtype)


def _min_max(ins: Instruction, ptype: PtxType) -> Compute:
    """PTX min/max: a NaN input loses to a number (``.NaN``: wins); -0 < +0."""
    dtype = np.dtype(np.float16) if ptype.lanes > 1 else ptype.value
    bits_t = np.dtype(f"u{dtype.itemsize}")
    is_min = ins.base == "min"
    nan_wins = "NaN" in ins.modifiers
    pick = np.fmin if is_min else np.fmax

    def compute(a: Any, b: Any) -> Any:
        a, b = np.asarray(a, dtype), np.asarray(b, dtype)
        result = pick(a, b)
        zeros = (a == 0) & (b == 0)
        if np.any(zeros):
            a_bits, b_bits = a.view(bits_t), b.view(bits_t)
            signed_zero = (a_bits | b_bits) if is_min else (a_bits & b_bits)
            result = np.where(zeros, signed_zero.view(dtype), result)
        if nan_wins:
            result = np.where(np.isnan(a) | np.isnan(b), dtype.type(np.nan), result)
        return result

    return compute


def _finish(ins: Instruction, compute: Compute, dtype: np.dtype) -> Compute:
    """Wrap with .ftz (flush inputs and result), .sat (clamp to [0, 1]) and NaN canonicalisation."""
    ftz = "ftz" in ins.modifiers
    sat = "sat" in ins.modifiers
    nan_sensitive = ins.base not in ("abs", "neg")
    zero, one = dtype.type(0.0), dtype.type(1.0)

    def finished(*args: Any) -> Any:
        if ftz:
            args = tuple(flush_subnormals(np.asarray(a, dtype)) for a in args)
        result = np.asarray(compute(*args), dtype)
        if ftz:
            result = flush_subnormals(result)
        if sat:
            result = np.where(np.isnan(result), zero, np.clip(result, zero, one))
        return canonical_nan(result) if nan_sensitive else result

    return finished


def _packed(compute: Compute) -> Compute:
    """Apply an f16 computation to both halves of .f16x2 operands (raw uint32 in and out)."""

    def packed(*args: Any) -> Any:
        halves = [np.asarray(a, np.uint32) for a in args]
        low = compute(*[(h & np.uint32(0xFFFF)).astype(np.uint16).view(np.float16) for h in halves])
        high = compute(*[(h >> np.uint32(16)).astype(np.uint16).view(np.float16) for h in halves])
        low_bits = np.asarray(low, np.float16).view(np.uint16).astype(np.uint32)
        high_bits = np.asarray(high, np.float16).view(np.uint16).astype(np.uint32)
        return low_bits | (high_bits << np.uint32(16))

    return packed


def float_op(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    _check_modifiers(ins, ptype)
    element = np.dtype(np.float16) if ptype.lanes > 1 else ptype.value
    if ins.base in ("abs", "neg"):
        compute, arity = _sign_ops(ins, ptype), 1
    elif ins.base in ("min", "max"):
        compute, arity = _min_max(ins, ptype), 2
    else:
        compute, arity = _arithmetic(ins, ptype)
    compute = _finish(ins, compute, element)
    if ptype.lanes > 1:
        compute = _packed(compute)
    d, *sources = expect_operands(ins, arity + 1)
    reads = [reader(s, ptype, ins, ctx) for s in sources]
    write = writer(d, ptype, ins)
    if arity == 1:
        (read_a,) = reads
        return lambda m: write(m, compute(read_a(m)))
    if arity == 2:
        read_a, read_b = reads
        return lambda m: write(m, compute(read_a(m), read_b(m)))
    read_a, read_b, read_c = reads
    return lambda m: write(m, compute(read_a(m), read_b(m), read_c(m)))


FLOAT_BASES = frozenset(
    {"add", "sub", "mul", "fma", "mad", "div", "rcp", "sqrt", "abs", "neg", "min", "max"}
)
"""Operations that ``float_op`` handles when their type is a float type."""
