"""Loads, stores and atomics on the param, global, shared and local state spaces.

A generic access (no state space, as in non-LTO Numba PTX) is resolved per execution from
the address: the shared and local windows map to those spaces, everything else is global;
one execution must stay in one space. Each access reports the space-relative per-lane
addresses to the observer before it touches memory, so a fault is reported after the
trace has seen the access. Atomics are applied in lane order (lane 0 first) within a warp
and in warp-row order across warps: one valid serialisation, deterministic run to run.
Global f32 atomic adds flush subnormals to zero, as NVIDIA documents for the hardware.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.ptx.ir import Instruction, MemOperand, Operand, RegOperand, Symbol, VectorOperand
from gpusim.cuda.ptx.machine import Machine
from gpusim.cuda.ptx.memory import (
    LOCAL_WINDOW_BASE,
    SHARED_WINDOW_BASE,
    WINDOW_SIZE_BYTES,
    AccessFault,
    Group,
)
from gpusim.cuda.ptx.numerics import flush_subnormals
from gpusim.cuda.ptx.operands import (
    CompileContext,
    Reader,
    Step,
    Writer,
    last_type,
    operand_dtype,
    reader,
    writer,
)
from gpusim.cuda.ptx.types import PtxType, is_type_name, ptx_type

Handler = Callable[[Instruction, int, CompileContext], Step]
Combine = Callable[[Any, Any, Any], Any]

DATA_SPACES = ("global", "shared", "local")
_IGNORED_MODIFIERS = frozenset(
    {
        "weak",
        "volatile",
        "relaxed",
        "acquire",
        "release",
        "acq_rel",
        "mmio",
        "cta",
        "gpu",
        "sys",
        "cluster",
        "ca",
        "cg",
        "cs",
        "lu",
        "cv",
        "wb",
        "wt",
        "nc",
        "unified",
        "noftz",
    }
)
_VECTOR = {"v2": 2, "v4": 4, "v8": 8}
_ATOMIC_OPS = ("add", "min", "max", "exch", "cas", "and", "or", "xor", "inc", "dec")


def _space(ins: Instruction) -> str:
    spaces = {
        m.split("::")[0]
        for m in ins.modifiers
        if m.split("::")[0] in (*DATA_SPACES, "param", "const")
    }
    if len(spaces) > 1:
        raise ins.fail("more than one state space")
    space = spaces.pop() if spaces else "generic"
    if space == "const":
        raise ins.fail("the .const state space is not supported")
    return space


def _vector_count(ins: Instruction) -> int:
    counts = [_VECTOR[m] for m in ins.modifiers if m in _VECTOR]
    return counts[0] if counts else 1


def _check_modifiers(ins: Instruction, allowed: frozenset[str]) -> None:
    for modifier in ins.modifiers:
        head = modifier.split("::")[0]
        known = (
            head in _IGNORED_MODIFIERS
            or head in allowed
            or head in ("L1", "L2")
            or modifier in _VECTOR
            or is_type_name(modifier)
        )
        if not known:
            raise ins.fail(f"unsupported modifier .{modifier}")


def _address_reader(op: Operand, space: str, ins: Instruction, ctx: CompileContext) -> Reader:
    """Reader of the per-lane byte address of ``[base+offset]`` in ``space``'s numbering."""
    if not isinstance(op, MemOperand):
        raise ins.fail(f"expected a [address] operand, got {op}")
    offset = np.uint64(op.offset & (2**64 - 1))
    if isinstance(op.base, RegOperand):
        read = reader(op.base, ptx_type("u64", ins.line), ins, ctx)
        return lambda m: np.add(read(m), offset)
    if isinstance(op.base, Symbol):
        info = ctx.symbols.get(op.base.name)
        if info is None:
            raise ins.fail(f"unknown symbol {op.base.name}")
        address = info.address
        if space == "generic":
            address += {"shared": SHARED_WINDOW_BASE, "local": LOCAL_WINDOW_BASE}.get(info.space, 0)
        elif info.space != space:
            raise ins.fail(f"{op.base.name} is a .{info.space} variable, not .{space}")
        constant = np.uint64((address + op.offset) & (2**64 - 1))
        return lambda m: constant
    constant = offset
    return lambda m: constant


def _lane_addresses(m: Machine, read_address: Reader) -> tuple[npt.NDArray[np.int64], Any, Any]:
    """(executing lane positions, their addresses, the full per-lane address array)."""
    positions = m.positions()
    full = read_address(m)
    if np.ndim(full) == 0:
        full = np.full(m.n_lanes, full, dtype=np.uint64)
    addresses = full if positions.size == m.n_lanes else full[positions]
    return positions, addresses, full


def _resolve(ins: Instruction, space: str, addresses: Any) -> tuple[str, Any, int]:
    """Map generic addresses to (space, space addresses, window base subtracted)."""
    if space != "generic":
        return space, addresses, 0
    for name, base in (("shared", SHARED_WINDOW_BASE), ("local", LOCAL_WINDOW_BASE)):
        inside = (addresses >= np.uint64(base)) & (addresses < np.uint64(base + WINDOW_SIZE_BYTES))
        if inside.all() and addresses.size:
            return name, addresses - np.uint64(base), base
        if inside.any():
            raise ins.fail("one generic access mixes state spaces (not supported)")
    return "global", addresses, 0


def _locate(
    m: Machine,
    ins: Instruction,
    space: str,
    positions: npt.NDArray[np.int64],
    addresses: Any,
    width: int,
    align: int,
) -> list[Group]:
    try:
        if space == "global":
            return m.launch.global_memory.locate(addresses, width, align)
        if space == "shared":
            return m.shared.locate(m.lanes.cta_slot[positions], addresses, width, align)
        return m.local.locate(positions.astype(np.int32), addresses, width, align)
    except AccessFault as fault:
        raise m.fault(ins, int(positions[fault.position]), fault.reason) from None


def _element_groups(
    m: Machine,
    ins: Instruction,
    space: str,
    positions: npt.NDArray[np.int64],
    addresses: Any,
    element: int,
    width: int,
    count: int,
) -> list[Group]:
    """Locate element ``element`` of a (vector) access; the whole vector's alignment is
    checked with the first element."""
    shifted = addresses + np.uint64(element * width)
    return _locate(m, ins, space, positions, shifted, width, width * count if element == 0 else 1)


def _report(m: Machine, index: int, space: str, full: Any, window: int) -> None:
    if m.observer is not None:
        relative = full - np.uint64(window) if window else full
        m.observer.on_memory(index, space, m.exec_mask, relative)


def _scatter(m: Machine, positions: npt.NDArray[np.int64], values: Any) -> Any:
    if positions.size == m.n_lanes:
        return values
    full = np.zeros(m.n_lanes, dtype=values.dtype)
    full[positions] = values
    return full


def _destinations(op: Operand, ptype: PtxType, count: int, ins: Instruction) -> list[Writer]:
    items = op.items if isinstance(op, VectorOperand) else (op,)
    if len(items) != count:
        raise ins.fail(f"expected {count} destination(s)")
    return [writer(item, ptype, ins) for item in items]


def ld(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    _check_modifiers(ins, frozenset({*DATA_SPACES, "param"}))
    ptype = last_type(ins)
    space, count = _space(ins), _vector_count(ins)
    if len(ins.operands) != 2:
        raise ins.fail("ld takes a destination and an address")
    writes = _destinations(ins.operands[0], ptype, count, ins)
    if space == "param":
        return _ld_param(ins, ptype, writes, ctx)
    read_address = _address_reader(ins.operands[1], space, ins, ctx)
    width, value_t = ptype.size_bytes, operand_dtype(ptype)

    def run(m: Machine) -> None:
        positions, addresses, full = _lane_addresses(m, read_address)
        resolved, addresses, window = _resolve(ins, space, addresses)
        _report(m, index, resolved, full, window)
        for element, write in enumerate(writes):
            groups = _element_groups(m, ins, resolved, positions, addresses, element, width, count)
            out = np.empty(positions.size, dtype=ptype.storage)
            for view, words, where in groups:
                out[where] = view[words]
            write(m, _scatter(m, positions, out).view(value_t))

    return run


def _ld_param(ins: Instruction, ptype: PtxType, writes: list[Writer], ctx: CompileContext) -> Step:
    address = ins.operands[1]
    if not isinstance(address, MemOperand) or not isinstance(address.base, Symbol):
        raise ins.fail("ld.param needs [parameter+offset]")
    param = ctx.params.get(address.base.name)
    if param is None:
        raise ins.fail(f"unknown parameter {address.base.name}")
    offset = param.offset_bytes + address.offset
    width, value_t = ptype.size_bytes, operand_dtype(ptype)
    if offset < 0 or offset + width * len(writes) > param.offset_bytes + param.size_bytes:
        raise ins.fail(f"read outside parameter {param.name}")

    def run(m: Machine) -> None:
        for element, write in enumerate(writes):
            raw = np.frombuffer(
                m.launch.params, dtype=ptype.storage, count=1, offset=offset + element * width
            )
            write(m, raw.view(value_t)[0])

    return run


def st(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    _check_modifiers(ins, frozenset(DATA_SPACES))
    ptype = last_type(ins)
    space, count = _space(ins), _vector_count(ins)
    if space == "param" or len(ins.operands) != 2:
        raise ins.fail("st takes an address and a value in .global, .shared, .local or generic")
    read_address = _address_reader(ins.operands[0], space, ins, ctx)
    source = ins.operands[1]
    items = source.items if isinstance(source, VectorOperand) else (source,)
    if len(items) != count:
        raise ins.fail(f"expected {count} source value(s)")
    reads = [reader(item, ptype, ins, ctx) for item in items]
    width, storage = ptype.size_bytes, ptype.storage

    def run(m: Machine) -> None:
        positions, addresses, full = _lane_addresses(m, read_address)
        resolved, addresses, window = _resolve(ins, space, addresses)
        _report(m, index, resolved, full, window)
        for element, read in enumerate(reads):
            groups = _element_groups(m, ins, resolved, positions, addresses, element, width, count)
            lane_values = _at_lanes(m, positions, np.asarray(read(m)).view(storage), storage)
            for view, words, where in groups:
                view[words] = lane_values[where]

    return run


def _combine(op: str, ptype: PtxType, space: str, ins: Instruction) -> Combine:
    if ptype.lanes > 1:
        raise ins.fail("packed atomics are not supported")
    if op == "add":
        if ptype.name == "f32" and space == "global":
            return lambda old, b, c: flush_subnormals(flush_subnormals(old) + flush_subnormals(b))
        return lambda old, b, c: old + b
    if op in ("min", "max"):
        return (
            (lambda old, b, c: np.minimum(old, b))
            if op == "min"
            else (lambda old, b, c: np.maximum(old, b))
        )
    if op == "exch":
        return lambda old, b, c: np.broadcast_to(b, np.shape(old)).copy()
    if op == "cas":
        return lambda old, b, c: np.where(old == b, c, old)
    if op in ("and", "or", "xor"):
        bitwise = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor}[op]
        return lambda old, b, c: bitwise(old, b)
    if ptype.name != "u32":
        raise ins.fail(f"atom.{op} needs .u32")
    one, zero = np.uint32(1), np.uint32(0)
    if op == "inc":
        return lambda old, b, c: np.where(old >= b, zero, old + one)
    return lambda old, b, c: np.where((old == zero) | (old > b), b, old - one)


def atom(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``atom.space.op.type d, [a], b{, c}`` and ``red.space.op.type [a], b``."""
    _check_modifiers(ins, frozenset({*DATA_SPACES, *_ATOMIC_OPS}))
    ptype = last_type(ins)
    space = _space(ins)
    ops = [m for m in ins.modifiers if m in _ATOMIC_OPS]
    if len(ops) != 1:
        raise ins.fail("expected exactly one atomic operation")
    op = ops[0]
    operands = list(ins.operands)
    write: Writer | None = None
    if ins.base == "atom":
        write = writer(operands.pop(0), ptype, ins)
    expected = 3 if op == "cas" else 2
    if len(operands) != expected:
        raise ins.fail(f"expected {expected} operands after the destination")
    read_address = _address_reader(operands[0], space, ins, ctx)
    read_b = reader(operands[1], ptype, ins, ctx)
    read_c = reader(operands[2], ptype, ins, ctx) if op == "cas" else None
    width, value_t = ptype.size_bytes, operand_dtype(ptype)

    def run(m: Machine) -> None:
        positions, addresses, full = _lane_addresses(m, read_address)
        resolved, addresses, window = _resolve(ins, space, addresses)
        if resolved == "local":
            raise ins.fail("atomics on local memory are not supported")
        combine = _combine(op, ptype, resolved, ins)
        _report(m, index, resolved, full, window)
        b = _at_lanes(m, positions, read_b(m), value_t)
        c = _at_lanes(m, positions, read_c(m), value_t) if read_c is not None else b
        old_values = np.empty(positions.size, dtype=value_t)
        for view, words, where in _locate(m, ins, resolved, positions, addresses, width, width):
            typed = view.view(value_t)
            lanes = np.arange(positions.size)[where]
            _apply_atomic(typed, words, lanes, b, c, combine, old_values)
        if write is not None:
            write(m, _scatter(m, positions, old_values))

    return run


def _at_lanes(m: Machine, positions: npt.NDArray[np.int64], values: Any, dtype: np.dtype) -> Any:
    """``values`` (per lane, or one scalar) at the executing lanes."""
    values = np.asarray(values, dtype)
    if values.ndim == 0:
        return np.full(positions.size, values)
    return values if positions.size == m.n_lanes else values[positions]


def _apply_atomic(
    typed: Any,
    words: npt.NDArray[np.int64],
    lanes: npt.NDArray[np.int64],
    b: Any,
    c: Any,
    combine: Combine,
    old_values: Any,
) -> None:
    """Read-modify-write of each lane in order; vectorised when no two lanes collide."""
    if np.unique(words).size == words.size:
        old = typed[words].copy()
        typed[words] = combine(old, b[lanes], c[lanes])
        old_values[lanes] = old
        return
    for word, lane in zip(words.tolist(), lanes.tolist(), strict=True):
        old = typed[word : word + 1].copy()
        typed[word : word + 1] = combine(old, b[lane : lane + 1], c[lane : lane + 1])
        old_values[lane] = old[0]


HANDLERS: dict[str, Handler] = {"ld": ld, "st": st, "atom": atom, "red": atom}
