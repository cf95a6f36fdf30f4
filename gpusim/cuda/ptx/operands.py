"""Operand access for compiled instructions: readers and writers of typed values.

An instruction compiles each source operand to a *reader* (machine -> value of the
instruction's type: an array with one element per lane, or a NumPy scalar for
immediates) and each destination to a *writer* (machine, value -> None). Width mismatches
follow PTX's relaxed rules for register operands: a narrower type reads the low bits of a
wider register, and a value written into a wider register is sign-extended for signed
types and zero-extended otherwise (``ld.s16`` into a ``.b32`` register, for example).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gpusim.cuda.ptx.ir import (
    ImmFloat,
    ImmFloatBits,
    ImmInt,
    Instruction,
    NegPredOperand,
    Operand,
    Param,
    Register,
    RegOperand,
    Sink,
    SpecialReg,
    Symbol,
)
from gpusim.cuda.ptx.machine import Machine
from gpusim.cuda.ptx.types import SIGNED_BY_BITS, UNSIGNED_BY_BITS, PtxType, is_type_name, ptx_type

Reader = Callable[[Machine], Any]
Writer = Callable[[Machine, Any], None]
Step = Callable[[Machine], None]

SUPPORTED_SPECIALS = frozenset(
    {
        *(f"{name}.{axis}" for name in ("tid", "ntid", "ctaid", "nctaid") for axis in "xyz"),
        "laneid",
        "warpid",
        "lanemask_eq",
        "lanemask_lt",
        "lanemask_le",
        "lanemask_gt",
        "lanemask_ge",
        "dynamic_smem_size",
        "total_smem_size",
    }
)


@dataclass(frozen=True)
class SymbolInfo:
    """Where a variable lives: its state space and its address (offset) in that space."""

    space: str
    address: int


@dataclass(frozen=True)
class CompileContext:
    """What compiling an instruction needs beyond the instruction itself."""

    symbols: Mapping[str, SymbolInfo]
    params: Mapping[str, Param]


def operand_dtype(ptype: PtxType) -> np.dtype:
    """The dtype readers return for ``ptype``: packed types stay raw bits."""
    return ptype.storage if ptype.lanes > 1 else ptype.value


def instruction_types(ins: Instruction) -> list[PtxType]:
    """The type modifiers of an instruction, in order (``cvt.rn.f32.s32`` -> [f32, s32])."""
    return [ptx_type(m, ins.line) for m in ins.modifiers if is_type_name(m)]


def last_type(ins: Instruction) -> PtxType:
    types = instruction_types(ins)
    if not types:
        raise ins.fail("missing a type modifier")
    return types[-1]


def expect_operands(ins: Instruction, count: int) -> tuple[Operand, ...]:
    if len(ins.operands) != count:
        raise ins.fail(f"expected {count} operands, got {len(ins.operands)}")
    return ins.operands


def reader(op: Operand, ptype: PtxType, ins: Instruction, ctx: CompileContext) -> Reader:
    """A reader of ``op`` as a value of ``ptype``."""
    if isinstance(op, RegOperand):
        return _register_reader(op.reg, ptype, ins)
    if isinstance(op, NegPredOperand):
        if ptype.kind != "pred" or op.reg.ptype.kind != "pred":
            raise ins.fail(f"!{op.reg.name} is only valid as a predicate source")
        index = op.reg.index
        return lambda m: ~m.regs[index]
    if isinstance(op, (ImmInt, ImmFloatBits, ImmFloat)):
        constant = immediate(op, ptype, ins)
        return lambda m: constant
    if isinstance(op, SpecialReg):
        if op.name not in SUPPORTED_SPECIALS:
            raise ins.fail(f"special register %{op.name} is not supported (not deterministic)")
        name = op.name
        convert = _widen_or_narrow(32, ptype)
        return lambda m: convert(m.special[name])
    if isinstance(op, Symbol):
        info = ctx.symbols.get(op.name)
        if info is None:
            raise ins.fail(f"unknown symbol {op.name}")
        constant = _int_constant(info.address, ptype)
        return lambda m: constant
    raise ins.fail(f"unsupported source operand {op}")


def writer(op: Operand, ptype: PtxType, ins: Instruction) -> Writer:
    """A writer of values of ``ptype`` into destination ``op``."""
    if isinstance(op, Sink):
        return lambda m, value: None
    if not isinstance(op, RegOperand):
        raise ins.fail(f"destination must be a register, got {op}")
    reg = op.reg
    index = reg.index
    if (reg.ptype.kind == "pred") != (ptype.kind == "pred"):
        raise ins.fail(f"register {reg.name} (.{reg.ptype.name}) cannot hold .{ptype.name}")
    if ptype.kind == "pred":
        return lambda m, value: m.write(index, value)
    storage = reg.ptype.storage
    if reg.ptype.bits == ptype.bits:
        return lambda m, value: m.write(index, value.view(storage))
    source_bits = UNSIGNED_BY_BITS[ptype.bits]
    if reg.ptype.bits > ptype.bits and ptype.is_signed:
        signed_source = SIGNED_BY_BITS[ptype.bits]
        signed_target = SIGNED_BY_BITS[reg.ptype.bits]
        return lambda m, value: m.write(
            index, value.view(signed_source).astype(signed_target).view(storage)
        )
    return lambda m, value: m.write(index, value.view(source_bits).astype(storage))


def immediate(op: Operand, ptype: PtxType, ins: Instruction) -> Any:
    """A literal as a NumPy scalar of ``ptype``'s operand dtype."""
    if ptype.kind == "pred":
        if isinstance(op, ImmInt) and op.value in (0, 1):
            return np.bool_(op.value)
        raise ins.fail(f"bad predicate literal {op}")
    if isinstance(op, ImmInt):
        if ptype.is_float and ptype.lanes == 1:
            return ptype.value.type(op.value)
        return _int_constant(op.value, ptype)
    if isinstance(op, ImmFloatBits):
        value = np.array(op.bits, dtype=f"u{op.width // 8}").view(f"f{op.width // 8}")
        if ptype.is_float and ptype.lanes == 1:
            return ptype.value.type(value[()])
        if ptype.bits == op.width:
            return np.array(op.bits, dtype=ptype.storage).view(ptype.value)[()]
        raise ins.fail(f"float literal of width {op.width} for .{ptype.name}")
    if isinstance(op, ImmFloat):
        if not ptype.is_float:
            raise ins.fail(f"float literal {op.value} for .{ptype.name}")
        return ptype.value.type(op.value)
    raise ins.fail(f"expected a literal, got {op}")


def _int_constant(value: int, ptype: PtxType) -> Any:
    mask = (1 << ptype.bits) - 1
    bits = np.array(value & mask, dtype=ptype.storage)
    return bits.view(operand_dtype(ptype))[()]


def _register_reader(reg: Register, ptype: PtxType, ins: Instruction) -> Reader:
    index = reg.index
    if (reg.ptype.kind == "pred") != (ptype.kind == "pred"):
        raise ins.fail(f"register {reg.name} (.{reg.ptype.name}) read as .{ptype.name}")
    if ptype.kind == "pred":
        return lambda m: m.regs[index]
    convert = _widen_or_narrow(reg.ptype.bits, ptype)
    return lambda m: convert(m.regs[index])


def _widen_or_narrow(from_bits: int, ptype: PtxType) -> Callable[[Any], Any]:
    """Reinterpret raw unsigned bits of ``from_bits`` as ``ptype`` (truncate or extend)."""
    target = operand_dtype(ptype)
    if from_bits == ptype.bits:
        return lambda bits: bits.view(target)
    narrow = UNSIGNED_BY_BITS[ptype.bits]
    if from_bits > ptype.bits:
        return lambda bits: bits.astype(narrow).view(target)
    if ptype.is_signed:
        signed_from = SIGNED_BY_BITS[from_bits]
        return lambda bits: bits.view(signed_from).astype(target)
    return lambda bits: bits.astype(narrow).view(target)
