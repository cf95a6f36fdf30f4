"""A kernel as the engine executes it: flat arrays, with every timing figure resolved.

``EngineProgram`` is what a ``KernelTrace`` becomes on a given GPU (``gpusim.hw.sm.lowering``):
each static instruction gets its pipe, result latency, issue interval and scheduler slots;
each CTA class keeps, per warp, its stream of basic-block visits and, per memory
instruction, its address runs and the shift of its addresses per unit of CTA index, from
which every CTA of the class follows. The engine reads these arrays and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


class Pipe(IntEnum):
    """The execution pipes of an SM sub-partition; each issues one warp instruction at a time."""

    INT = 0
    FP32 = 1
    FP64 = 2
    SFU = 3
    LSU = 4
    TENSOR = 5
    CONTROL = 6


PIPE_COUNT = len(Pipe)


class MemKind(IntEnum):
    """What a memory instruction does, as the memory hierarchy sees it."""

    NONE = 0
    GLOBAL_LOAD = 1
    GLOBAL_STORE = 2
    SHARED_LOAD = 3
    SHARED_STORE = 4
    GLOBAL_ATOMIC = 5
    MBARRIER = 6
    """An ``mbarrier`` operation: its address names the CTA's barrier object."""
    TENSOR_COPY = 7
    """A TMA box copy (``cp.async.bulk.tensor``) from global into shared memory."""


class Producer(IntEnum):
    """What a register waits on, for stall attribution (as Nsight Compute names them)."""

    FIXED = 0  # a fixed-latency pipe: "wait"
    SHORT = 1  # shared memory or the SFU (MIO): "short scoreboard"
    LONG = 2  # global memory (L1TEX): "long scoreboard"
    ASYNC_COPY = 3  # cp.async groups a cp.async.wait_group waits for: "cp.async wait"
    MBARRIER = 4  # the mbarrier phase a try_wait waits for: "mbarrier wait"
    WGMMA = 5  # wgmma groups a wgmma.wait_group waits for: "wgmma wait"


class AsyncOp(IntEnum):
    """An instruction's part in its warp's groups of asynchronous operations (``cp.async``
    copies, ``wgmma``s: each unit its own groups, ``AsyncUnit``)."""

    NONE = 0
    OPERATION = 1
    """A copy or a wgmma: completes in the warp's open group."""
    COMMIT = 2
    """``commit_group``: closes the open group."""
    WAIT = 3
    """``wait_group N``: waits until at most ``async_pending[pc]`` groups are in flight."""
    COMMIT_AND_WAIT = 4
    """``wait_all``: commits the open group and waits for every group."""


class AsyncUnit(IntEnum):
    """Whose groups an ``AsyncOp`` works on: a warp's cp.async and wgmma groups are apart."""

    CP_ASYNC = 0
    WGMMA = 1


ASYNC_UNITS = len(AsyncUnit)


class BarrierOp(IntEnum):
    """An instruction's part in its CTA's ``mbarrier``s."""

    NONE = 0
    INIT = 1
    """``init``: expects ``operand`` arrivals per phase."""
    ARRIVE = 2
    """``arrive``: each active lane arrives; ``.expect_tx`` adds ``operand`` transaction
    bytes per lane, which the warp's next TMA copies complete."""
    WAIT = 3
    """``try_wait`` / ``test_wait``: the warp's k-th wait on a barrier is for its phase k."""


MBARRIER_SLOTS = 16
"""``mbarrier``s a CTA may initialise (8 in the Hopper GEMM: a full and an empty barrier per
stage); a wait on one more never completes (an ``EngineError``)."""

ASYNC_GROUP_SLOTS = 8
"""Committed groups a warp tracks one by one (``wait_group`` N below this); older groups
are folded into one landing time."""


@dataclass(frozen=True)
class EngineProgram:
    """One kernel launch, resolved for one GPU (arrays are read-only by convention)."""

    name: str
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    registers_per_thread: int
    shared_bytes_per_cta: int
    register_count: int
    """Distinct registers (and predicates) of the program, numbered 0..register_count-1."""

    # One row per static instruction.
    pipe: I8
    latency_ns: F64
    """Result latency of fixed-latency instructions (memory results come from the hierarchy)."""
    issue_ns: F64
    """How long the instruction holds its pipe in one sub-partition."""
    slot_ns: F64
    """How long the instruction holds its sub-partition's scheduler (its SASS instructions)."""
    producer: I8
    mem_kind: I8
    mem_width_bytes: I32
    mem_slot: I32
    """Index among the memory instructions (-1: not one); keys the address runs."""
    slot_kind: I8
    """[memory slot] its MemKind."""
    slot_width_bytes: I32
    """[memory slot] bytes per lane."""
    dst_ptr: I64
    dst: I32
    src_ptr: I64
    src: I32
    is_barrier: B
    is_exit: B
    async_op: I8
    """Its ``AsyncOp``."""
    async_pending: I8
    """Groups a ``wait_group`` lets stay in flight (its N; 0 otherwise)."""
    async_unit: I8
    """Its ``AsyncUnit`` (an ``AsyncOp`` other than NONE works on that unit's groups)."""
    barrier_op: I8
    """Its ``BarrierOp``."""
    operand: I64
    """The trace's ``operand``: an ``mbarrier.init``'s arrivals, an ``expect_tx``'s bytes per
    lane, a TMA copy's box rows."""
    row_stride_bytes: I64
    """A TMA copy's distance between box rows in global memory."""
    bb_start: I32
    """Basic block b holds instructions bb_start[b] .. bb_start[b+1]-1."""

    # CTA classes: CTA id (x fastest) -> class; class k's warp w is stream k * warps + w.
    cta_class: I32
    class_lo: I64
    """[class, axis] the representative CTA of each class (its box's low corner)."""
    # Streams: stream s visits visit_bb[visit_ptr[s]:visit_ptr[s+1]].
    visit_ptr: I64
    visit_bb: I32
    visit_mask: U32

    # Address runs of (stream s, memory slot m): run_ptr[s * mem_slots + m] .. [... + 1].
    run_ptr: I64
    run_exec: I64
    """First execution (0-based, per warp and instruction) the run covers."""
    run_count: I64
    run_stride: I64
    run_mask: U32
    run_base: I64
    """[run, lane] byte address of the run's first execution."""
    cta_shift: I64
    """[class, memory slot, axis] address shift per unit of blockIdx along x, y, z."""

    # The steady loop of each stream (``gpusim.hw.sm.loops``), visits relative to the stream's
    # start; loop_count 0: none. loop_execs[s, m]: executions of memory slot m per period.
    loop_start: I64
    loop_period: I64
    loop_count: I64
    loop_execs: I64

    # Whole-grid work, exact whatever the engine samples: per class, its CTAs and what one
    # of them issues (warp instructions, as the engine counts them) and computes (FLOPs).
    class_ctas: I64
    class_warp_instructions: I64
    class_flops: F64
    class_global_bytes: I64
    """Bytes one CTA of a class requests from global memory (loads, stores, atomics)."""
    class_shared_bytes: I64
    """Bytes one CTA of a class requests from shared memory (loads, stores, atomics)."""
    sass_costed_fraction: float
    """Share of the executed instructions costed from the kernel's SASS (the rest by the
    PTX heuristics of ``gpusim.hw.sm.isa``)."""

    @property
    def warp_instructions(self) -> int:
        """Warp instructions the whole grid issues."""
        return int(self.class_ctas @ self.class_warp_instructions)

    @property
    def global_bytes(self) -> int:
        """Bytes the whole grid requests from global memory."""
        return int(self.class_ctas @ self.class_global_bytes)

    @property
    def shared_bytes(self) -> int:
        """Bytes the whole grid requests from shared memory."""
        return int(self.class_ctas @ self.class_shared_bytes)

    @property
    def flops(self) -> float:
        """Floating-point operations of the whole grid."""
        return float(self.class_ctas @ self.class_flops)

    @property
    def warps_per_cta(self) -> int:
        """Warps of one CTA."""
        return (len(self.visit_ptr) - 1) // len(self.class_lo)

    @property
    def threads_per_cta(self) -> int:
        """Threads of one CTA."""
        x, y, z = self.block
        return x * y * z

    @property
    def cta_count(self) -> int:
        """CTAs of the grid."""
        x, y, z = self.grid
        return x * y * z

    @property
    def mem_slots(self) -> int:
        """Memory instructions of the program."""
        return int(self.cta_shift.shape[1])
