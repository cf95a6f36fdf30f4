"""Collective instructions: barriers, fences, warp shuffles and tensor-core ``mma.sync``.

The batch runs in lockstep, so a barrier has nothing to wait for; what it must check is
that it is legal: every live thread of a CTA arrives together. A barrier reached by only
part of a CTA (the rest sits on another branch) deadlocks or misbehaves on a GPU and is
reported as a PtxError naming the line and the CTA. Fences order memory for other
observers; a single lockstep execution has none, so they only occupy their issue slot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gpusim.cuda.ptx.ir import DualOperand, ImmInt, Instruction, Operand, VectorOperand
from gpusim.cuda.ptx.lanes import WARP_SIZE
from gpusim.cuda.ptx.machine import Machine
from gpusim.cuda.ptx.operands import (
    CompileContext,
    Reader,
    Step,
    Writer,
    expect_operands,
    reader,
    writer,
)
from gpusim.cuda.ptx.types import TYPES

Handler = Callable[[Instruction, int, CompileContext], Step]

MMA_OPCODES = {
    "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32": "f16",
    "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32": "bf16",
    "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32": "tf32",
    "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32": "s8",
}
"""The mma forms the emulator runs, by their input type."""


def barrier(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``bar.sync a{, b}`` / ``barrier.sync{.aligned} a{, b}``; ``bar.warp.sync`` is a no-op."""
    if "warp" in ins.modifiers:
        return lambda m: None
    if "sync" not in ins.modifiers:
        raise ins.fail("only bar.sync / barrier.sync are supported (not arrive or red)")
    if len(ins.operands) not in (1, 2):
        raise ins.fail("expected a barrier id and an optional thread count")
    thread_count = ins.operands[1] if len(ins.operands) == 2 else None
    if thread_count is not None and not isinstance(thread_count, ImmInt):
        raise ins.fail("a barrier thread count must be a literal")

    def run(m: Machine) -> None:
        lanes = m.lanes
        if thread_count is not None and thread_count.value < lanes.threads_per_cta:
            raise ins.fail(
                f"barriers over {thread_count.value} of {lanes.threads_per_cta} threads "
                "are not supported"
            )
        slots = len(lanes.ctas)
        arrived = np.bincount(lanes.cta_slot[m.exec_mask], minlength=slots)
        live = np.bincount(lanes.cta_slot[~m.exited], minlength=slots)
        partial = (arrived > 0) & (arrived != live)
        if partial.any():
            slot = int(np.argmax(partial))
            raise ins.fail(
                f"barrier reached by {arrived[slot]} of the {live[slot]} live threads of CTA "
                f"{lanes.ctas[slot]}: the others are on another path (deadlock on a GPU)"
            )
        incomplete = (arrived > 0) & ~lanes.complete_slots
        if incomplete.any():
            slot = int(np.argmax(incomplete))
            raise ins.fail(
                f"barrier in a batch that holds only part of CTA {lanes.ctas[slot]}: "
                "run whole CTAs for kernels with barriers"
            )

    return run


def fence(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    return lambda m: None


def shfl(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """``shfl.sync.mode.b32 d[|p], a, b, c, membermask`` with the PTX ISA's lane arithmetic."""
    modes = [m for m in ins.modifiers if m in ("up", "down", "bfly", "idx")]
    if "sync" not in ins.modifiers or len(modes) != 1 or "b32" not in ins.modifiers:
        raise ins.fail("expected shfl.sync.{up,down,bfly,idx}.b32")
    mode = modes[0]
    destination, a, b, c, member_mask = expect_operands(ins, 5)
    b32, u32, pred = TYPES["b32"], TYPES["u32"], TYPES["pred"]
    write_d: Writer
    write_p: Writer | None = None
    if isinstance(destination, DualOperand):
        write_d, write_p = (
            writer(destination.first, b32, ins),
            writer(destination.second, pred, ins),
        )
    else:
        write_d = writer(destination, b32, ins)
    read_a = reader(a, b32, ins, ctx)
    read_b, read_c, read_mask = (reader(x, u32, ins, ctx) for x in (b, c, member_mask))

    def run(m: Machine) -> None:
        lane = m.special["laneid"].astype(np.int64)
        members = np.asarray(read_mask(m)).astype(np.int64)
        outside = m.exec_mask & (((members >> lane) & 1) == 0)
        if outside.any():
            raise m.fault(ins, int(np.argmax(outside)), "executing lane is not in membermask")
        source, in_range = shuffle_source(mode, lane, read_b(m), read_c(m))
        values = np.asarray(read_a(m))
        if values.ndim == 0:
            shuffled = np.full(m.n_lanes, values)
        else:
            warp_base = np.arange(m.n_lanes, dtype=np.int64) - lane
            shuffled = values[warp_base + source]
        write_d(m, shuffled)
        if write_p is not None:
            write_p(m, np.broadcast_to(in_range, (m.n_lanes,)).copy())

    return run


def shuffle_source(mode: str, lane: Any, b: Any, c: Any) -> tuple[Any, Any]:
    """(source lane, in range) per lane, as the PTX ISA's ``shfl.sync`` pseudocode computes
    them; an out-of-range source is replaced by the lane itself."""
    b_value = np.asarray(b).astype(np.int64) & 31
    c_value = np.asarray(c).astype(np.int64)
    clamp, segment = c_value & 31, (c_value >> 8) & 31
    max_lane = (lane & segment) | (clamp & ~segment)
    if mode == "up":
        source = lane - b_value
        in_range = source >= max_lane
    else:
        if mode == "down":
            source = lane + b_value
        elif mode == "bfly":
            source = lane ^ b_value
        else:
            source = (lane & segment) | (b_value & ~segment)
        in_range = source <= max_lane
    return np.where(in_range, source, lane), in_range


ELEMENTS_PER_REGISTER = {"f16": 2, "bf16": 2, "tf32": 1, "s8": 4}
"""Input elements one 32-bit fragment register holds; the mma's k is 8 times it."""
TF32_DROPPED_BITS = 13
"""The fp32 mantissa bits a tf32 lacks (23 - 10)."""


def _fragment_coordinates(per_register: int) -> dict[str, tuple[Any, Any]]:
    """(row, column) of every fragment element, indexed [register, element, lane], for an
    m16n8k(8 x ``per_register``) mma.

    PTX ISA "Matrix Fragments for mma.m16n8k8 / m16n8k16 / m16n8k32": with g = lane >> 2,
    t = lane % 4, E elements per register and k = 8E, A's register r holds row g (+8 for odd
    r), columns E*t .. E*t + E-1 (+k/2 for r >= 2); B's register r holds rows E*t ..
    E*t + E-1 (+k/2 for r = 1) of column g; C's element i sits at row g (+8 for i >= 2),
    column 2t + (i & 1). Element j of a register is its j-th lowest E-th of the bits.
    """
    lane = np.arange(WARP_SIZE)
    g, t = lane >> 2, lane & 3
    half_k = 4 * per_register
    element = np.arange(per_register)[:, None]
    a_rows = np.stack(
        [np.broadcast_to(g + 8 * (r & 1), (per_register, WARP_SIZE)) for r in range(4)]
    )
    a_cols = np.stack([per_register * t + element + half_k * (r >> 1) for r in range(4)])
    b_rows = np.stack([per_register * t + element + half_k * r for r in range(2)])
    b_cols = np.stack([np.broadcast_to(g, (per_register, WARP_SIZE)) for _ in range(2)])
    c_rows = np.stack([g + (8 if i >= 2 else 0) for i in range(4)])
    c_cols = np.stack([2 * t + (i & 1) for i in range(4)])
    return {"a": (a_rows, a_cols), "b": (b_rows, b_cols), "c": (c_rows, c_cols)}


_FRAGMENTS = {per: _fragment_coordinates(per) for per in set(ELEMENTS_PER_REGISTER.values())}


def _lane_words(m: Machine, reads: list[Reader], warps: Any) -> Any:
    """[register, warp, lane] values of the given registers in the given warp rows."""
    words = np.stack([np.broadcast_to(np.asarray(r(m)), (m.n_lanes,)) for r in reads])
    return words.reshape(len(reads), -1, WARP_SIZE)[:, warps]


def _elements(m: Machine, reads: list[Reader], warps: Any, input_type: str) -> Any:
    """[register, element, warp, lane] inputs (as f64) of fragment registers: ``.f16x2`` or
    ``.bf16x2`` pairs (a bf16 is the upper half of the f32 with the same bits), one tf32
    (the register's fp32 with its 13 low mantissa bits dropped: the tensor core reads 19
    bits) or four s8."""
    words = _lane_words(m, reads, warps).astype(np.uint32)
    if input_type == "tf32":
        mask = ~np.uint32((1 << TF32_DROPPED_BITS) - 1)
        return (words & mask).view(np.float32).astype(np.float64)[:, None]
    if input_type == "s8":
        shifts = np.arange(4, dtype=np.uint32)[None, :, None, None] * np.uint32(8)
        codes = ((words[:, None] >> shifts) & np.uint32(0xFF)).astype(np.uint8)
        return codes.view(np.int8).astype(np.float64)
    low_bits, high_bits = words & np.uint32(0xFFFF), words >> np.uint32(16)
    if input_type == "bf16":
        low = (low_bits << np.uint32(16)).view(np.float32)
        high = (high_bits << np.uint32(16)).view(np.float32)
    else:
        low = low_bits.astype(np.uint16).view(np.float16)
        high = high_bits.astype(np.uint16).view(np.float16)
    return np.stack([low, high], axis=1).astype(np.float64)


def _matrix(shape: tuple[int, int], values: Any, rows: Any, cols: Any) -> Any:
    """[warp, *shape] matrices from fragment ``values`` laid out like ``rows`` / ``cols``
    (which index [..., lane]; ``values`` has the warp axis just before the lane axis)."""
    matrices = np.zeros((values.shape[-2], *shape))
    matrices[:, rows, cols] = np.moveaxis(values, -2, 0)
    return matrices


def _registers(
    op: Operand, count: int, ptype_name: str, ins: Instruction, ctx: CompileContext
) -> list[Reader]:
    if not isinstance(op, VectorOperand) or len(op.items) != count:
        raise ins.fail(f"expected a vector of {count} registers")
    return [reader(item, TYPES[ptype_name], ins, ctx) for item in op.items]


def mma(ins: Instruction, index: int, ctx: CompileContext) -> Step:
    """D = A @ B + C of one m16n8k tile per warp: f16 or bf16 (k16) or tf32 (k8) inputs with
    f32 accumulators, s8 inputs (k32) with s32 accumulators.

    Products of these inputs are exact in f64; each warp's dot products are summed in f64
    and rounded once to f32 (exact for s8, whose sums stay below 2^53, then wrapped to
    s32). PTX does not specify the tensor core's internal accumulation order or rounding,
    so hardware may differ from this in the last bit of an f32.
    """
    input_type = MMA_OPCODES.get(ins.opcode)
    if input_type is None:
        raise ins.fail(f"only {', '.join(MMA_OPCODES)} are supported")
    per_register = ELEMENTS_PER_REGISTER[input_type]
    k = 8 * per_register
    accumulator = "s32" if input_type == "s8" else "f32"
    d, a, b, c = expect_operands(ins, 4)
    if not isinstance(d, VectorOperand) or len(d.items) != 4:
        raise ins.fail("expected 4 destination registers")
    writes = [writer(item, TYPES[accumulator], ins) for item in d.items]
    read_a = _registers(a, 4, "b32", ins, ctx)
    read_b = _registers(b, 2, "b32", ins, ctx)
    read_c = _registers(c, 4, accumulator, ins, ctx)
    fragments = _FRAGMENTS[per_register]
    (a_rows, a_cols), (b_rows, b_cols), (c_rows, c_cols) = (
        fragments["a"],
        fragments["b"],
        fragments["c"],
    )
    result_dtype = np.int32 if accumulator == "s32" else np.float32

    def run(m: Machine) -> None:
        by_warp = m.exec_mask.reshape(-1, WARP_SIZE)
        warps = np.flatnonzero(by_warp.any(axis=1))
        if not by_warp[warps].all():
            raise ins.fail("mma.sync.aligned needs all 32 lanes of the warp active")
        a_matrix = _matrix((16, k), _elements(m, read_a, warps, input_type), a_rows, a_cols)
        b_matrix = _matrix((k, 8), _elements(m, read_b, warps, input_type), b_rows, b_cols)
        c_values = _lane_words(m, read_c, warps).astype(np.float64)  # [register, warp, lane]
        c_matrix = _matrix((16, 8), c_values, c_rows, c_cols)
        d_matrix = a_matrix @ b_matrix + c_matrix
        if accumulator == "s32":
            d_matrix = d_matrix.astype(np.int64).astype(np.int32)
        d_values = d_matrix.astype(result_dtype)[:, c_rows, c_cols]  # [warp, register, lane]
        lanes = (warps[:, None] * WARP_SIZE + np.arange(WARP_SIZE)).ravel()
        for register, write in enumerate(writes):
            full = np.zeros(m.n_lanes, dtype=result_dtype)
            full[lanes] = d_values[:, register, :].ravel()
            write(m, full)

    return run


HANDLERS: dict[str, Handler] = {
    "bar": barrier,
    "barrier": barrier,
    "membar": fence,
    "fence": fence,
    "shfl": shfl,
    "mma": mma,
}
