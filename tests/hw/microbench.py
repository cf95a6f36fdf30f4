"""Microbenchmarks written as KernelTraces: a prologue and a loop body every warp runs, then
an exit.

Each benchmark is a real ``KernelTrace`` (program, CTA class, visits, address runs), so it
goes through the same lowering and engine as a traced Numba kernel.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gpusim.cuda.trace import (
    CtaClass,
    CtaRecord,
    InstructionTable,
    KernelTrace,
    MemSpace,
    OpClass,
    TracedLaunch,
)

FULL_MASK = 0xFFFFFFFF
MEMORY_SPACES = {
    OpClass.LD_GLOBAL: MemSpace.GLOBAL,
    OpClass.ST_GLOBAL: MemSpace.GLOBAL,
    OpClass.LD_SHARED: MemSpace.SHARED,
    OpClass.ST_SHARED: MemSpace.SHARED,
    OpClass.MBARRIER: MemSpace.SHARED,
    OpClass.TENSOR_COPY: MemSpace.GLOBAL,
}


@dataclass(frozen=True)
class Op:
    """One static instruction of the loop body."""

    op_class: OpClass
    opcode: str
    dst: tuple[int, ...] = ()
    src: tuple[int, ...] = ()
    bytes_per_lane: int = 0
    flops_per_lane: int = 0
    lanes: int = FULL_MASK
    """The lanes that execute it (its address runs' mask)."""
    operand: int = 0
    row_stride_bytes: int = 0


Addresses = Callable[[int, int], Sequence[int]]
"""(warp, execution) -> the 32 lane addresses of one memory instruction's execution."""


@dataclass
class Bench:
    """``warps`` warps per CTA on a ``grid``, each running ``prologue`` once, then ``body``
    ``iterations`` times."""

    body: list[Op]
    iterations: int
    prologue: list[Op] = field(default_factory=list)
    warps: int = 1
    grid: tuple[int, int, int] = (1, 1, 1)
    registers_per_thread: int = 32
    shared_bytes: int = 0
    addresses: dict[int, Addresses] = field(default_factory=dict)
    """Per memory op (index into prologue + body): its lane addresses; runs are built from
    them."""
    cta_shift: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    """Per memory op: address shift per unit of CTA index (default none)."""

    def executions(self, index: int) -> int:
        """How many times each warp executes op ``index`` of prologue + body."""
        return 1 if index < len(self.prologue) else self.iterations


def trace(bench: Bench) -> KernelTrace:
    """The bench as a KernelTrace."""
    ops = [*bench.prologue, *bench.body, Op(OpClass.EXIT, "exit")]
    n = len(ops)
    prologue = len(bench.prologue)
    dst_offsets = np.cumsum([0] + [len(op.dst) for op in ops]).astype(np.int64)
    src_offsets = np.cumsum([0] + [len(op.src) for op in ops]).astype(np.int64)
    registers = 1 + max([r for op in ops for r in (*op.dst, *op.src)] or [0])
    names = tuple(dict.fromkeys(op.opcode for op in ops))
    program = InstructionTable(
        block=np.array(
            [0] * prologue + [1 if prologue else 0] * len(bench.body) + [2 if prologue else 1],
            dtype=np.int32,
        ),
        op_class=np.array([op.op_class for op in ops], dtype=np.uint8),
        opcode=np.array([names.index(op.opcode) for op in ops], dtype=np.int32),
        dst_offsets=dst_offsets,
        dst_regs=np.array([r for op in ops for r in op.dst], dtype=np.int32),
        src_offsets=src_offsets,
        src_regs=np.array([r for op in ops for r in op.src], dtype=np.int32),
        mem_space=np.array(
            [MEMORY_SPACES.get(op.op_class, MemSpace.NONE) for op in ops], dtype=np.uint8
        ),
        bytes_per_lane=np.array([op.bytes_per_lane for op in ops], dtype=np.int32),
        vector_width=np.ones(n, dtype=np.uint8),
        flops_per_lane=np.array([op.flops_per_lane for op in ops], dtype=np.int32),
        ptx_line=np.arange(n, dtype=np.int32),
        operand=np.array([op.operand for op in ops], dtype=np.int64),
        row_stride_bytes=np.array([op.row_stride_bytes for op in ops], dtype=np.int64),
        block_start=np.array(([0] if prologue else []) + [prologue, n - 1, n], dtype=np.int64),
        opcode_names=names,
        register_names=tuple(f"%r{i}" for i in range(registers)),
        register_bits=np.full(registers, 32, dtype=np.int32),
    )
    body_block = 1 if prologue else 0
    visits = [0] * bool(prologue) + [body_block] * bench.iterations + [body_block + 1]
    runs = _runs(bench, ops)
    record = CtaRecord(
        visit_offsets=np.arange(0, (bench.warps + 1) * len(visits), len(visits), dtype=np.int64),
        visit_block=np.array(visits * bench.warps, dtype=np.int32),
        visit_mask=np.full(len(visits) * bench.warps, FULL_MASK, dtype=np.uint32),
        run_warp=np.array([r[0] for r in runs], dtype=np.int32),
        run_instr=np.array([r[1] for r in runs], dtype=np.int32),
        run_first=np.array([r[2] for r in runs], dtype=np.int64),
        run_count=np.array([r[3] for r in runs], dtype=np.int64),
        run_stride_bytes=np.array([r[4] for r in runs], dtype=np.int64),
        run_mask=np.array([ops[r[1]].lanes for r in runs], dtype=np.uint32),
        run_base=np.array([r[5] for r in runs], dtype=np.uint64).reshape(-1, 32),
        active_lanes=np.array(
            [
                op.lanes.bit_count() * (1 if i == n - 1 else bench.executions(i)) * bench.warps
                for i, op in enumerate(ops)
            ],
            dtype=np.int64,
        ),
    )
    shift = np.zeros((n, 3), dtype=np.int64)
    for index, per_axis in bench.cta_shift.items():
        shift[index] = per_axis
    gx, gy, gz = bench.grid
    launch = TracedLaunch(
        kernel="microbench",
        params={},
        grid=bench.grid,
        block=(32 * bench.warps, 1, 1),
        registers_per_thread=bench.registers_per_thread,
        static_shared_bytes=bench.shared_bytes,
        dynamic_shared_bytes=0,
        local_bytes_per_thread=0,
        cc=(9, 0),
    )
    cta_class = CtaClass(
        lo=(0, 0, 0), hi=(gx - 1, gy - 1, gz - 1), record=record, shift_bytes=shift
    )
    return KernelTrace(launch, program, (cta_class,), ())


def _runs(bench: Bench, ops: list[Op]) -> list[tuple[int, int, int, int, int, list[int]]]:
    """(warp, instr, first, count, stride, base) runs from the per-execution addresses:
    consecutive executions whose lanes all advance by one stride share a run (lanes outside
    the op's mask read as 0)."""
    runs = []
    for warp in range(bench.warps):
        for index in sorted(bench.addresses):
            executions = bench.executions(index)
            lane_mask = ops[index].lanes
            lanes = [
                [
                    a if lane_mask >> lane & 1 else 0
                    for lane, a in enumerate(bench.addresses[index](warp, k))
                ]
                for k in range(executions)
            ]
            start = 0
            while start < executions:
                stop = start + 1
                stride = 0
                if stop < executions:
                    stride = lanes[stop][0] - lanes[start][0]
                while stop < executions and all(
                    b - a == stride for a, b in zip(lanes[stop - 1], lanes[stop], strict=True)
                ):
                    stop += 1
                runs.append((warp, index, start, stop - start, stride, lanes[start]))
                start = stop
    return runs
