"""Hand-built engine programs for testing the core without the PTX front end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gpusim.hw.sm.program import (
    AsyncOp,
    AsyncUnit,
    BarrierOp,
    EngineProgram,
    MemKind,
    Pipe,
    Producer,
)
from gpusim.spec.gpu import GpuSpec
from gpusim.units import cycles_to_ns

FULL_MASK = 0xFFFFFFFF


@dataclass(frozen=True)
class Op:
    """One static instruction."""

    pipe: Pipe = Pipe.FP32
    latency_cycles: float = 4.0
    issue_cycles: float = 1.0
    dst: tuple[int, ...] = ()
    src: tuple[int, ...] = ()
    mem: MemKind = MemKind.NONE
    width_bytes: int = 4
    producer: Producer = Producer.FIXED
    barrier: bool = False
    flops_per_lane: float = 0.0
    slots: float = 1.0
    """Issue slots (fractional: part of a SASS instruction, as SASS costing gives)."""
    async_op: AsyncOp = AsyncOp.NONE
    async_pending: int = 0
    """A ``cp.async.wait_group``'s N."""
    async_unit: AsyncUnit = AsyncUnit.CP_ASYNC
    barrier_op: BarrierOp = BarrierOp.NONE
    operand: int = 0
    """An ``mbarrier.init``'s arrivals, an ``expect_tx``'s bytes per lane, a TMA copy's rows."""
    row_stride_bytes: int = 0


@dataclass(frozen=True)
class Run:
    """Addresses of one memory op for one warp: base per lane, stride per execution."""

    base: Sequence[int]
    stride: int = 0
    count: int = 1 << 40
    mask: int = FULL_MASK
    cta_shift: tuple[int, int, int] = (0, 0, 0)


@dataclass
class Kernel:
    """A loop body run ``iterations`` times by every warp, then an exit."""

    ops: list[Op]
    iterations: int = 1
    warps_per_cta: int = 1
    grid: tuple[int, int, int] = (1, 1, 1)
    registers_per_thread: int = 32
    shared_bytes_per_cta: int = 0
    runs: dict[int, list[Run]] = field(default_factory=dict)
    """Per memory op (index into ops): one Run per warp of the CTA."""


def build(kernel: Kernel, gpu: GpuSpec) -> EngineProgram:
    ops = [*kernel.ops, Op(pipe=Pipe.CONTROL, latency_cycles=1.0)]
    exit_index = len(ops) - 1
    cycle_ns = cycles_to_ns(1.0, gpu.sm.clock_hz)
    mem_ops = [i for i, op in enumerate(ops) if op.mem != MemKind.NONE]
    mem_slot = np.full(len(ops), -1, dtype=np.int32)
    for slot, index in enumerate(mem_ops):
        mem_slot[index] = slot
    registers = 1 + max([r for op in ops for r in (*op.dst, *op.src)] or [0])
    dst_ptr = np.cumsum([0] + [len(op.dst) for op in ops]).astype(np.int64)
    src_ptr = np.cumsum([0] + [len(op.src) for op in ops]).astype(np.int64)
    warps = kernel.warps_per_cta
    visits = [0] * kernel.iterations + [1]
    run_ptr = [0]
    run_rows: list[Run] = []
    for warp in range(warps):
        for index in mem_ops:
            run_rows.append(kernel.runs[index][warp])
            run_ptr.append(len(run_rows))
    shifts = [kernel.runs[index][0].cta_shift for index in mem_ops]
    return EngineProgram(
        name="synthetic",
        grid=kernel.grid,
        block=(32 * warps, 1, 1),
        registers_per_thread=kernel.registers_per_thread,
        shared_bytes_per_cta=kernel.shared_bytes_per_cta,
        register_count=registers,
        pipe=np.array([op.pipe for op in ops], dtype=np.int8),
        latency_ns=np.array([op.latency_cycles * cycle_ns for op in ops]),
        issue_ns=np.array([op.issue_cycles * cycle_ns for op in ops]),
        slot_ns=np.array([op.slots * cycle_ns for op in ops]),
        producer=np.array([op.producer for op in ops], dtype=np.int8),
        mem_kind=np.array([op.mem for op in ops], dtype=np.int8),
        mem_width_bytes=np.array([op.width_bytes for op in ops], dtype=np.int32),
        mem_slot=mem_slot,
        slot_kind=np.array([ops[i].mem for i in mem_ops], dtype=np.int8),
        slot_width_bytes=np.array([ops[i].width_bytes for i in mem_ops], dtype=np.int32),
        dst_ptr=dst_ptr,
        dst=np.array([r for op in ops for r in op.dst], dtype=np.int32),
        src_ptr=src_ptr,
        src=np.array([r for op in ops for r in op.src], dtype=np.int32),
        is_barrier=np.array([op.barrier for op in ops]),
        is_exit=np.array([i == exit_index for i in range(len(ops))]),
        async_op=np.array([op.async_op for op in ops], dtype=np.int8),
        async_pending=np.array([op.async_pending for op in ops], dtype=np.int8),
        async_unit=np.array([op.async_unit for op in ops], dtype=np.int8),
        barrier_op=np.array([op.barrier_op for op in ops], dtype=np.int8),
        operand=np.array([op.operand for op in ops], dtype=np.int64),
        row_stride_bytes=np.array([op.row_stride_bytes for op in ops], dtype=np.int64),
        bb_start=np.array([0, exit_index, len(ops)], dtype=np.int32),
        cta_class=np.zeros(kernel.grid[0] * kernel.grid[1] * kernel.grid[2], dtype=np.int32),
        class_lo=np.zeros((1, 3), dtype=np.int64),
        visit_ptr=np.arange(0, (warps + 1) * len(visits), len(visits), dtype=np.int64),
        visit_bb=np.array(visits * warps, dtype=np.int32),
        visit_mask=np.full(len(visits) * warps, FULL_MASK, dtype=np.uint32),
        run_ptr=np.array(run_ptr, dtype=np.int64),
        run_exec=np.zeros(len(run_rows), dtype=np.int64),
        run_count=np.array([r.count for r in run_rows], dtype=np.int64),
        run_stride=np.array([r.stride for r in run_rows], dtype=np.int64),
        run_mask=np.array([r.mask for r in run_rows], dtype=np.uint32),
        run_base=np.array([list(r.base) for r in run_rows], dtype=np.int64).reshape(-1, 32),
        cta_shift=np.array(shifts, dtype=np.int64).reshape(1, -1, 3),
        loop_start=np.zeros(warps, dtype=np.int64),
        loop_period=np.zeros(warps, dtype=np.int64),
        loop_count=np.zeros(warps, dtype=np.int64),
        loop_execs=np.zeros((warps, len(mem_ops)), dtype=np.int64),
        class_ctas=np.array([kernel.grid[0] * kernel.grid[1] * kernel.grid[2]], dtype=np.int64),
        class_global_bytes=np.array([0], dtype=np.int64),
        class_shared_bytes=np.array([0], dtype=np.int64),
        sass_costed_fraction=0.0,
        class_warp_instructions=np.array([warps * (len(ops) - 1) * kernel.iterations + warps]),
        class_flops=np.array(
            [32.0 * warps * kernel.iterations * sum(op.flops_per_lane for op in kernel.ops)]
        ),
    )
