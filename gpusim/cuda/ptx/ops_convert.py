"""Data movement and conversion: ``mov`` (incl. vector pack/unpack), ``cvt``, ``cvta``.

``cvt`` follows the PTX conversion table: integer widening sign-extends signed sources
and zero-extends unsigned ones, narrowing chops (NumPy's ``astype`` does exactly this);
float-to-integer rounds as asked (rni/rzi/rmi/rpi), saturates to the destination range
and maps NaN to 0; integer-to-float and float narrowing round once in the requested mode.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpusim.cuda.ptx.ir import Instruction, RegOperand, Sink, VectorOperand
from gpusim.cuda.ptx.memory import LOCAL_WINDOW_BASE, SHARED_WINDOW_BASE
from gpusim.cuda.ptx.numerics import (
    canonical_nan,
    flush_subnormals,
    integer_as_double_double,
    round_exact,
)
from gpusim.cuda.ptx.operands import (
    CompileContext,
    Step,
    expect_operands,
    instruction_types,
    last_type,
    reader,
    writer,
)
from gpusim.cuda.ptx.types import UNSIGNED_BY_BITS, PtxType, ptx_type

Handler = Callable[[Instruction, int, CompileContext], Step]
Convert = Callable[[Any], Any]

_INTEGER_ROUNDING: dict[str, Callable[[Any], Any]] = {
    "rni": np.rint,
    "rzi": np.trunc,
    "rmi": np.floor,
    "rpi": np.ceil,
}
_FLOAT_ROUNDING = ("rn", "rz", "rm", "rp")
_EXACT_INTEGER_BITS = {16: 11, 32: 24, 64: 53}
"""Integer widths every value of which a float of this width holds exactly."""


def mov(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    ptype = last_type(ins)
    d, a = expect_operands(ins, 2)
    if isinstance(a, VectorOperand):
        return _pack(ins, ptype, d, a, ctx)
    if isinstance(d, VectorOperand):
        return _unpack(ins, ptype, d, a, ctx)
    read, write = reader(a, ptype, ins, ctx), writer(d, ptype, ins)
    return lambda m: write(m, read(m))


def _element_type(ins: Instruction, ptype: PtxType, count: int) -> PtxType:
    if ptype.bits % count or ptype.kind != "b":
        raise ins.fail(f"cannot split .{ptype.name} into {count} elements")
    return ptx_type(f"b{ptype.bits // count}", ins.line)


def _pack(
    ins: Instruction, ptype: PtxType, d: Any, vector: VectorOperand, ctx: CompileContext
) -> Step:
    """``mov.b32 d, {lo, hi}``: the first element lands in the low bits."""
    element = _element_type(ins, ptype, len(vector.items))
    reads = []
    for item in vector.items:
        if not isinstance(item, RegOperand):
            raise ins.fail("vector pack takes registers")
        reads.append(reader(item, element, ins, ctx))
    write = writer(d, ptype, ins)
    wide = ptype.storage

    def run(m: Any) -> None:
        result = np.zeros(m.n_lanes, dtype=wide)
        for position, read in enumerate(reads):
            shift = wide.type(position * element.bits)
            result |= np.asarray(read(m)).astype(wide) << shift
        write(m, result)

    return run


def _unpack(
    ins: Instruction, ptype: PtxType, vector: VectorOperand, a: Any, ctx: CompileContext
) -> Step:
    """``mov.b32 {lo, hi}, a``: split into elements, the first from the low bits."""
    element = _element_type(ins, ptype, len(vector.items))
    read = reader(a, ptype, ins, ctx)
    writes = [writer(item, element, ins) for item in vector.items if not isinstance(item, Sink)]
    shifts = [
        position * element.bits
        for position, item in enumerate(vector.items)
        if not isinstance(item, Sink)
    ]
    narrow = element.storage

    def run(m: Any) -> None:
        value = np.asarray(read(m))
        for write, shift in zip(writes, shifts, strict=True):
            write(m, (value >> value.dtype.type(shift)).astype(narrow))

    return run


def cvt(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    types = instruction_types(ins)
    if len(types) != 2:
        raise ins.fail("cvt needs a destination and a source type")
    destination, source = types
    if destination.lanes > 1 or source.lanes > 1:
        raise ins.fail("packed conversions are not supported")
    convert = _conversion(ins, destination, source)
    d, a = expect_operands(ins, 2)
    read, write = reader(a, source, ins, ctx), writer(d, destination, ins)
    return lambda m: write(m, convert(read(m)))


def _conversion(ins: Instruction, destination: PtxType, source: PtxType) -> Convert:
    modifiers = set(ins.modifiers)
    saturate = "sat" in modifiers
    ftz = "ftz" in modifiers
    if destination.is_float and source.is_float:
        convert = _float_to_float(ins, destination, source, modifiers, ftz)
    elif destination.is_float:
        convert = _integer_to_float(ins, destination, source, modifiers)
    elif source.is_float:
        return _float_to_integer(ins, destination, source, modifiers, ftz)
    else:
        return _integer_to_integer(destination, source, saturate)
    return _saturated(convert, destination) if saturate else convert


def _saturated(convert: Convert, destination: PtxType) -> Convert:
    """``.sat`` on a float destination: clamp to [0, 1], NaN becomes +0."""
    zero, one = destination.value.type(0.0), destination.value.type(1.0)

    def saturated(value: Any) -> Any:
        result = np.asarray(convert(value))
        return np.where(np.isnan(result), zero, np.clip(result, zero, one))

    return saturated


def _float_mode(ins: Instruction, modifiers: set[str], required: bool) -> str:
    modes = [m for m in _FLOAT_ROUNDING if m in modifiers]
    if not modes:
        if required:
            raise ins.fail("this conversion needs a rounding modifier (.rn .rz .rm .rp)")
        return "rn"
    return modes[0]


def _float_to_float(
    ins: Instruction, destination: PtxType, source: PtxType, modifiers: set[str], ftz: bool
) -> Convert:
    target = destination.value
    integral = [m for m in _INTEGER_ROUNDING if m in modifiers]
    if destination.bits == source.bits:
        if not integral:
            raise ins.fail("same-size float cvt needs an integer rounding (.rni .rzi .rmi .rpi)")
        round_integral = _INTEGER_ROUNDING[integral[0]]
        return lambda value: canonical_nan(round_integral(_maybe_flush(value, ftz)))
    if destination.bits > source.bits:
        return lambda value: np.asarray(_maybe_flush(value, ftz)).astype(target)
    mode = _float_mode(ins, modifiers, required=True)

    def narrow(value: Any) -> Any:
        result = round_exact(np.asarray(_maybe_flush(value, ftz), np.float64), None, target, mode)  # type: ignore[arg-type]
        return canonical_nan(_maybe_flush(result, ftz and target == np.float32))

    return narrow


def _maybe_flush(value: Any, ftz: bool) -> Any:
    array = np.asarray(value)
    return flush_subnormals(array) if ftz and array.dtype == np.float32 else array


def _integer_to_float(
    ins: Instruction, destination: PtxType, source: PtxType, modifiers: set[str]
) -> Convert:
    target = destination.value
    mode = _float_mode(ins, modifiers, required=False)
    if source.bits <= _EXACT_INTEGER_BITS[destination.bits]:
        return lambda value: np.asarray(value).astype(target)
    wide = np.int64 if source.is_signed else np.uint64

    def convert(value: Any) -> Any:
        s, e = integer_as_double_double(np.asarray(value).astype(wide))
        return round_exact(s, e, target, mode)  # type: ignore[arg-type]

    return convert


def _float_to_integer(
    ins: Instruction, destination: PtxType, source: PtxType, modifiers: set[str], ftz: bool
) -> Convert:
    integral = [m for m in _INTEGER_ROUNDING if m in modifiers]
    if not integral:
        raise ins.fail("float-to-integer cvt needs .rni .rzi .rmi or .rpi")
    round_integral = _INTEGER_ROUNDING[integral[0]]
    bits, signed = destination.bits, destination.is_signed
    lower = -(2.0 ** (bits - 1)) if signed else 0.0
    upper = 2.0 ** (bits - 1) if signed else 2.0**bits
    info = np.iinfo(destination.value)
    wide = np.int64 if signed else np.uint64
    target = destination.value

    def convert(value: Any) -> Any:
        rounded = round_integral(np.asarray(_maybe_flush(value, ftz), np.float64))
        nan = np.isnan(rounded)
        below = rounded < lower
        above = rounded >= upper
        inside = np.where(nan | below | above, 0.0, rounded)
        result = inside.astype(wide).astype(target)
        result = np.where(below, target.type(info.min), result)
        return np.where(above, target.type(info.max), result)

    return convert


def _integer_to_integer(destination: PtxType, source: PtxType, saturate: bool) -> Convert:
    target = destination.value
    if not saturate:
        return lambda value: np.asarray(value).astype(target)
    info = np.iinfo(target)
    if source.is_signed:
        low, high = max(info.min, -(2**63)), min(info.max, 2**63 - 1)
        return lambda value: np.clip(np.asarray(value).astype(np.int64), low, high).astype(target)
    high_unsigned = np.uint64(min(info.max, 2**64 - 1))
    return lambda value: np.minimum(np.asarray(value).astype(np.uint64), high_unsigned).astype(
        target
    )


def cvta(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """Generic <-> state-space addresses: global is the identity, shared/local shift windows."""
    ptype = last_type(ins)
    if ptype.name not in ("u32", "u64"):
        raise ins.fail("cvta needs .u32 or .u64")
    to_space = "to" in ins.modifiers
    spaces = [m for m in ins.modifiers if m in ("global", "shared", "local")]
    if len(spaces) != 1:
        raise ins.fail("cvta needs .global, .shared or .local")
    window = {"global": 0, "shared": SHARED_WINDOW_BASE, "local": LOCAL_WINDOW_BASE}[spaces[0]]
    mask = (1 << ptype.bits) - 1
    delta = UNSIGNED_BY_BITS[ptype.bits]((-window if to_space else window) & mask)
    d, a = expect_operands(ins, 2)
    read, write = reader(a, ptype, ins, ctx), writer(d, ptype, ins)
    return lambda m: write(m, np.add(read(m), delta))


HANDLERS: dict[str, Handler] = {"mov": mov, "cvt": cvt, "cvta": cvta}
