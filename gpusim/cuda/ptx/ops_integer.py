"""Integer arithmetic, bitwise logic, shifts and predicate logic.

NumPy integer arrays wrap modulo 2^w exactly like the GPU's registers, so most operations
are one NumPy call on the typed view; what NumPy does differently is handled explicitly:
division truncates toward zero (NumPy floors), shifts by the width or more give 0 (or the
sign for ``shr.s``), ``mul.hi`` needs the upper half of a double-width product.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpusim.cuda.ptx.ir import Instruction
from gpusim.cuda.ptx.numerics import multiply_high, truncating_divide
from gpusim.cuda.ptx.operands import (
    CompileContext,
    Step,
    expect_operands,
    last_type,
    reader,
    writer,
)
from gpusim.cuda.ptx.types import UNSIGNED_BY_BITS, PtxType, ptx_type

Handler = Callable[[Instruction, int, CompileContext], Step]


def _binary(ins: Instruction, ctx: CompileContext, compute: Callable[[Any, Any], Any]) -> Step:
    ptype = last_type(ins)
    d, a, b = expect_operands(ins, 3)
    read_a, read_b = reader(a, ptype, ins, ctx), reader(b, ptype, ins, ctx)
    write = writer(d, ptype, ins)
    return lambda m: write(m, compute(read_a(m), read_b(m)))


def _unary(ins: Instruction, ctx: CompileContext, compute: Callable[[Any], Any]) -> Step:
    ptype = last_type(ins)
    d, a = expect_operands(ins, 2)
    read_a = reader(a, ptype, ins, ctx)
    write = writer(d, ptype, ins)
    return lambda m: write(m, compute(read_a(m)))


def _saturating(ptype: PtxType, op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``.sat`` (s32 only): compute exactly in 64 bits, clamp to the s32 range."""
    info = np.iinfo(np.int32)

    def compute(a: Any, b: Any) -> Any:
        wide = op(np.asarray(a, np.int64), np.asarray(b, np.int64))
        return np.clip(wide, info.min, info.max).astype(np.int32)

    return compute


def _require_integer(ins: Instruction, ptype: PtxType) -> None:
    if ptype.kind not in ("s", "u", "b"):
        raise ins.fail(f"integer operation on .{ptype.name}")


def add_sub(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    _require_integer(ins, ptype)
    if {"cc", "carry"} & set(ins.modifiers):
        raise ins.fail("carry-chain arithmetic is not supported")
    op = np.add if ins.base == "add" else np.subtract
    if "sat" in ins.modifiers:
        if ptype.name != "s32":
            raise ins.fail(".sat is only defined for .s32")
        return _binary(ins, ctx, _saturating(ptype, op))
    return _binary(ins, ctx, op)


def _wide_type(ins: Instruction, ptype: PtxType) -> PtxType:
    if ptype.bits == 64:
        raise ins.fail(".wide needs a 16- or 32-bit type")
    return ptx_type(f"{'s' if ptype.is_signed else 'u'}{2 * ptype.bits}", ins.line)


def _product(ins: Instruction, ptype: PtxType) -> tuple[PtxType, Callable[[Any, Any], Any]]:
    """The result type and computation of ``mul`` / ``mad``'s multiply (lo, hi or wide)."""
    _require_integer(ins, ptype)
    mode = next((m for m in ins.modifiers if m in ("lo", "hi", "wide")), None)
    if mode is None:
        raise ins.fail("integer multiply needs .lo, .hi or .wide")
    if mode == "lo":
        return ptype, np.multiply
    if mode == "wide":
        wide = _wide_type(ins, ptype)
        return wide, lambda a, b: np.multiply(
            np.asarray(a).astype(wide.value), np.asarray(b).astype(wide.value)
        )
    bits, signed, unsigned_t = ptype.bits, ptype.is_signed, UNSIGNED_BY_BITS[ptype.bits]
    value_t = ptype.value
    return ptype, lambda a, b: multiply_high(
        np.asarray(a).view(unsigned_t), np.asarray(b).view(unsigned_t), bits, signed
    ).view(value_t)


def mul(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    result_type, product = _product(ins, ptype)
    d, a, b = expect_operands(ins, 3)
    read_a, read_b = reader(a, ptype, ins, ctx), reader(b, ptype, ins, ctx)
    write = writer(d, result_type, ins)
    return lambda m: write(m, product(read_a(m), read_b(m)))


def mad(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    result_type, product = _product(ins, ptype)
    if "sat" in ins.modifiers:
        raise ins.fail("mad.sat is not supported")
    d, a, b, c = expect_operands(ins, 4)
    read_a, read_b = reader(a, ptype, ins, ctx), reader(b, ptype, ins, ctx)
    read_c = reader(c, result_type, ins, ctx)
    write = writer(d, result_type, ins)
    return lambda m: write(m, np.add(product(read_a(m), read_b(m)), read_c(m)))


def div_rem(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    _require_integer(ins, ptype)
    bits, signed = ptype.bits, ptype.is_signed
    unsigned_t, value_t = UNSIGNED_BY_BITS[bits], ptype.value
    pick = 0 if ins.base == "div" else 1

    def compute(a: Any, b: Any) -> Any:
        result = truncating_divide(
            np.asarray(a).view(unsigned_t), np.asarray(b).view(unsigned_t), bits, signed
        )
        return result[pick].view(value_t)

    return _binary(ins, ctx, compute)


def min_max(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    _require_integer(ins, ptype)
    return _binary(ins, ctx, np.minimum if ins.base == "min" else np.maximum)


def abs_neg(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    if not ptype.is_signed:
        raise ins.fail(f"{ins.base} needs a signed type")
    return _unary(ins, ctx, np.abs if ins.base == "abs" else np.negative)


def logic(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """and / or / xor / not on bit types and on predicates (``and.pred`` ...)."""
    ptype = last_type(ins)
    if ptype.kind not in ("b", "pred"):
        raise ins.fail(f"{ins.base} needs a .b or .pred type")
    if ins.base == "not":
        return _unary(ins, ctx, np.invert)
    op = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}[ins.base]
    return _binary(ins, ctx, op)


def shift(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """shl / shr: shift amounts of the width or more give 0 (``shr.s``: the sign)."""
    ptype = last_type(ins)
    _require_integer(ins, ptype)
    d, a, b = expect_operands(ins, 3)
    read_a = reader(a, ptype, ins, ctx)
    read_b = reader(b, ptx_type("u32", ins.line), ins, ctx)
    write = writer(d, ptype, ins)
    bits = ptype.bits
    left = ins.base == "shl"
    arithmetic = ins.base == "shr" and ptype.is_signed

    def compute(m: Any) -> None:
        value = np.asarray(read_a(m))
        amount = np.asarray(read_b(m))
        too_far = amount >= bits
        clamped = np.minimum(amount, bits - 1).astype(value.dtype)
        if left:
            result = np.where(too_far, value.dtype.type(0), np.left_shift(value, clamped))
        elif arithmetic:
            result = np.right_shift(value, clamped)
        else:
            result = np.where(too_far, value.dtype.type(0), np.right_shift(value, clamped))
        write(m, result.astype(value.dtype, copy=False))

    return compute


HANDLERS: dict[str, Handler] = {
    "add": add_sub,
    "sub": add_sub,
    "mul": mul,
    "mad": mad,
    "div": div_rem,
    "rem": div_rem,
    "min": min_max,
    "max": min_max,
    "abs": abs_neg,
    "neg": abs_neg,
    "and": logic,
    "or": logic,
    "xor": logic,
    "not": logic,
    "shl": shift,
    "shr": shift,
}
