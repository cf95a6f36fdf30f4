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


def _fragment_coordinates() -> dict[str, tuple[Any, Any]]:
    """(row, column) of every fragment element, indexed [register, half, lane].

    PTX ISA "Matrix Fragments for mma.m16n8k16 with floating point type": with
    g = lane >> 2 and t = lane % 4, A element i sits at row g (+8 for i in 2,3,6,7) and
    column 2t + (i & 1) (+8 for i >= 4); B element i at row 2t + (i & 1) (+8 for i >= 2),
    column g; C element i at row g (+8 for i >= 2), column 2t + (i & 1). A register holds
    elements 2r (low half) and 2r + 1 (high half).
    """
    lane = np.arange(WARP_SIZE)
    g, t = lane >> 2, lane & 3
    a_rows = np.empty((4, 2, WARP_SIZE), np.int64)
    a_cols = np.empty((4, 2, WARP_SIZE), np.int64)
    b_rows = np.empty((2, 2, WARP_SIZE), np.int64)
    b_cols = np.empty((2, 2, WARP_SIZE), np.int64)
    for register in range(4):
        for half in range(2):
            i = 2 * register + half
            a_rows[register, half] = g + (8 if i in (2, 3, 6, 7) else 0)
            a_cols[register, half] = 2 * t + (i & 1) + (8 if i >= 4 else 0)
    for register in range(2):
        for half in range(2):
            i = 2 * register + half
            b_rows[register, half] = 2 * t + (i & 1) + (8 if i >= 2 else 0)
            b_cols[register, half] = g
    c_rows = np.stack([g + (8 if i >= 2 else 0) for i in range(4)])
    c_cols = np.stack([2 * t + (i & 1) for i in range(4)])
    return {"a": (a_rows, a_cols), "b": (b_rows, b_cols), "c": (c_rows, c_cols)}


_FRAGMENTS = _fragment_coordinates()


def _lane_words(m: Machine, reads: list[Reader], warps: Any) -> Any:
    """[register, warp, lane] values of the given registers in the given warp rows."""
    words = np.stack([np.broadcast_to(np.asarray(r(m)), (m.n_lanes,)) for r in reads])
    return words.reshape(len(reads), -1, WARP_SIZE)[:, warps]


def _halves(m: Machine, reads: list[Reader], warps: Any, input_type: str) -> Any:
    """[register, half, warp, lane] elements (as f64) of ``.f16x2`` or ``.bf16x2`` registers
    (a bf16 is the upper half of the f32 with the same bits)."""
    words = _lane_words(m, reads, warps).astype(np.uint32)
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
    """D = A @ B + C of one m16n8k16 tile per warp (f16 or bf16 inputs, f32 accumulators).

    Products of f16 or bf16 are exact in f64; each warp's 16-term dot products are summed in f64
    and rounded once to f32. PTX does not specify the tensor core's internal accumulation
    order or rounding, so hardware may differ from this in the last bit.
    """
    input_type = MMA_OPCODES.get(ins.opcode)
    if input_type is None:
        raise ins.fail(f"only {' and '.join(MMA_OPCODES)} are supported")
    d, a, b, c = expect_operands(ins, 4)
    if not isinstance(d, VectorOperand) or len(d.items) != 4:
        raise ins.fail("expected 4 destination registers")
    writes = [writer(item, TYPES["f32"], ins) for item in d.items]
    read_a = _registers(a, 4, "b32", ins, ctx)
    read_b = _registers(b, 2, "b32", ins, ctx)
    read_c = _registers(c, 4, "f32", ins, ctx)
    (a_rows, a_cols), (b_rows, b_cols), (c_rows, c_cols) = (
        _FRAGMENTS["a"],
        _FRAGMENTS["b"],
        _FRAGMENTS["c"],
    )

    def run(m: Machine) -> None:
        by_warp = m.exec_mask.reshape(-1, WARP_SIZE)
        warps = np.flatnonzero(by_warp.any(axis=1))
        if not by_warp[warps].all():
            raise ins.fail("mma.sync.aligned needs all 32 lanes of the warp active")
        a_matrix = _matrix((16, 16), _halves(m, read_a, warps, input_type), a_rows, a_cols)
        b_matrix = _matrix((16, 8), _halves(m, read_b, warps, input_type), b_rows, b_cols)
        c_values = _lane_words(m, read_c, warps).astype(np.float64)  # [register, warp, lane]
        c_matrix = _matrix((16, 8), c_values, c_rows, c_cols)
        d_matrix = (a_matrix @ b_matrix + c_matrix).astype(np.float32)
        d_values = d_matrix[:, c_rows, c_cols]  # [warp, register, lane]
        lanes = (warps[:, None] * WARP_SIZE + np.arange(WARP_SIZE)).ravel()
        for register, write in enumerate(writes):
            full = np.zeros(m.n_lanes, dtype=np.float32)
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
