"""The data the jitted SM core works on: the program, fixed figures, and mutable state.

Everything is NumPy arrays in named tuples, grouped by what they describe (warp slots, CTA
slots, sub-partitions, counters). The jitted entry points (``dispatch_cta``,
``run_until_ctas_complete``, fast mode's ``timeshift`` functions) take them as one
``Simulation`` bundle; inside, the inlined helpers take the parts they use (program,
params, state), as the issue loop unpacks them once (see ``gpusim.hw.sm.issue`` on speed).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm import memory
from gpusim.hw.sm.memory import MemoryParams, MemoryState
from gpusim.hw.sm.program import (
    ASYNC_GROUP_SLOTS,
    ASYNC_UNITS,
    MBARRIER_SLOTS,
    PIPE_COUNT,
    EngineProgram,
)
from gpusim.hw.sm.stalls import STALL_COUNT

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
B = npt.NDArray[np.bool_]

SCHEDULER_GTO = 0
SCHEDULER_LRR = 1
NEVER = np.inf
EPS_NS = 1e-6
"""Times closer than this (a femtosecond) are equal: guards float rounding of cycle times."""
SCRATCH_SECTORS = 64 * memory.LANES
"""Room for the distinct sectors (or shared-memory words and bank counters) of one warp
access."""


class ProgramArrays(NamedTuple):
    """The arrays of an ``EngineProgram`` the jitted code reads (same names, same meaning)."""

    pipe: I8
    latency_ns: F64
    issue_ns: F64
    slot_ns: F64
    producer: I8
    mem_kind: I8
    mem_width_bytes: I32
    mem_slot: I32
    slot_kind: I8
    slot_width_bytes: I32
    dst_ptr: I64
    dst: I32
    src_ptr: I64
    src: I32
    is_barrier: B
    is_exit: B
    async_op: I8
    async_pending: I8
    async_unit: I8
    barrier_op: I8
    operand: I64
    row_stride_bytes: I64
    bb_start: I32
    cta_class: I32
    class_lo: I64
    loop_start: I64
    loop_period: I64
    loop_count: I64
    loop_execs: I64
    visit_ptr: I64
    visit_bb: I32
    visit_mask: npt.NDArray[np.uint32]
    run_ptr: I64
    run_exec: I64
    run_count: I64
    run_stride: I64
    run_mask: npt.NDArray[np.uint32]
    run_base: I64
    cta_shift: I64


def program_arrays(program: EngineProgram) -> ProgramArrays:
    """The jitted view of ``program``: its fields of the names ``ProgramArrays`` lists."""
    return ProgramArrays(**{name: getattr(program, name) for name in ProgramArrays._fields})


class CoreParams(NamedTuple):
    """Fixed figures of one simulation."""

    cycle_ns: float
    sms: int
    subpartitions: int
    cta_slots: int
    warps_per_cta: int
    barrier_latency_ns: float
    scheduler: int
    grid_x: int
    grid_y: int
    total_ctas: int
    max_shadow_sms: int
    """The most SMs a simulated SM stands for besides itself (fast mode; 0 in detailed
    mode); each SM's own count is ``CoreState.shadow_sms``."""


class WarpState(NamedTuple):
    """Per warp slot ``[sm, slot]``: where each resident warp is and when it may issue."""

    active: B
    cta_slot: I32
    stream: I32
    visit: I64
    """Index into the program's visits; ``visit_end`` is one past its stream's last."""
    visit_end: I64
    pc: I32
    block_end: I32
    mask: I64
    next_ns: F64
    """The earliest time it might issue (``NEVER``: retired)."""
    accounted_ns: F64
    """Its time up to here is attributed to stall reasons (its last issue, or the release
    of the barrier it waited at)."""
    start_ns: F64
    at_barrier: B
    age: I64
    mem_exec: I64
    """``[sm, slot, memory slot]`` executions so far of each memory instruction."""
    mem_run: I64
    """``[sm, slot, memory slot]`` its cursor into that instruction's address runs."""
    reg_ready_ns: F64
    """``[sm, slot, register]`` when each register's value is ready."""
    reg_producer: I8
    """``[sm, slot, register]`` the ``Producer`` of that value, for stall attribution."""
    async_open_ns: F64
    """``[sm, slot, unit]`` when the operations of its open (uncommitted) group of each
    ``AsyncUnit`` (cp.async copies, wgmmas) have all completed."""
    async_group_ns: F64
    """``[sm, slot, unit, g]`` when committed group g has completed, 0 the most recent
    (``ASYNC_GROUP_SLOTS`` of them)."""
    async_older_ns: F64
    """``[sm, slot, unit]`` when every group older than those has completed."""
    barrier_waits: I64
    """``[sm, slot, barrier]`` its waits so far on each of its CTA's mbarriers."""
    tx_barrier: I32
    """The mbarrier (index in its CTA's) its last ``arrive.expect_tx`` named, where its TMA
    copies complete their bytes (-1: none)."""


class CtaState(NamedTuple):
    """Per CTA slot ``[sm, slot]``."""

    active: B
    cta_id: I64
    cta_class: I32
    xyz: I64
    """``[sm, slot, axis]`` its blockIdx."""
    warps_alive: I32
    warps_at_barrier: I32
    start_ns: F64
    mem_done_ns: F64
    """When all its warps' loads and stores have landed so far."""
    shadow_shifts: I64
    """``[sm, slot, memory slot, shadow]`` the address offset of each shadow SM's CTA."""
    shadow_count: I64
    """How many shadow CTAs exist (the grid can run out before the shadows do)."""


class MbarrierState(NamedTuple):
    """Per CTA slot and barrier ``[sm, slot, barrier]``: its ``mbarrier``s, by the shared
    address each was initialised at."""

    address: I64
    """Its shared address (-1: unused)."""
    expected: I64
    """Arrivals per phase."""
    pending: I64
    """Arrivals the current phase still needs."""
    tx_bytes: I64
    """Transaction bytes expected and not yet given a copy (negative when copies came
    first)."""
    arrived_ns: F64
    """The last arrival of the current phase."""
    landed_ns: F64
    """When the copies of the current phase's bytes land."""
    phases: I64
    """Phases completed."""
    done_ns: F64
    """``[sm, slot, barrier, 2]`` when the last phase (0) and the one before it (1)
    completed."""


class SubpartitionState(NamedTuple):
    """Per sub-partition ``[sm, sub-partition]`` (a warp scheduler and its pipes)."""

    pipe_free_ns: F64
    """``[sm, sub-partition, pipe]`` busy until."""
    last_warp: I32
    """The warp slot it issued from last (-1: none yet)."""
    scheduler_free_ns: F64


class SmCounters(NamedTuple):
    """What the SMs did, summed since the kernel started (extensive: fast mode scales it)."""

    issued: I64
    """``[sm, pipe]`` warp instructions issued."""
    pipe_busy_ns: F64
    """``[sm, pipe]`` summed over sub-partitions."""
    stall_ns: F64
    """``[sm, stall]`` warp time by ``Stall`` reason."""
    warp_ns: F64
    """``[sm]`` resident warp-time, for achieved occupancy."""


class Completions(NamedTuple):
    """The CTAs completed since ``run_until_ctas_complete`` was called, in order."""

    sm: I64
    slot: I64
    end_ns: F64
    total: I64
    """``[1]`` how many are listed."""


class CoreState(NamedTuple):
    """Mutable state of the simulated SMs."""

    warps: WarpState
    ctas: CtaState
    mbarriers: MbarrierState
    subpartitions: SubpartitionState
    counters: SmCounters
    completions: Completions
    periods_begun: I64
    """``[1]`` loop periods begun, by any warp, since ``run_until_ctas_complete`` was called."""
    sm_periods: I64
    """``[sm]`` loop periods begun by the SM's warps since the kernel started."""
    shadow_sms: I64
    """``[sm]`` SMs this one stands for besides itself (fast mode)."""
    next_age: I64
    """``[1]`` the age the next dispatched warp gets (older warps have smaller ages)."""
    addresses: I64
    """``[lane]`` scratch: one warp access's addresses."""
    sectors: I64
    """Scratch for the memory hierarchy (``SCRATCH_SECTORS``)."""


class Simulation(NamedTuple):
    """Everything the jitted functions take, as one bundle."""

    program: ProgramArrays
    params: CoreParams
    mem_params: MemoryParams
    state: CoreState
    mem: MemoryState


def new_core_state(
    params: CoreParams, warp_slots: int, register_count: int, mem_slots: int
) -> CoreState:
    """Idle SMs with room for ``warp_slots`` warps each."""
    sms, cta_slots = params.sms, params.cta_slots
    warps = (sms, warp_slots)
    ctas = (sms, cta_slots)
    per_mem_slot = (*warps, max(mem_slots, 1))
    per_register = (*warps, max(register_count, 1))
    subpartitions = (sms, params.subpartitions)
    return CoreState(
        warps=WarpState(
            active=np.zeros(warps, dtype=np.bool_),
            cta_slot=np.zeros(warps, dtype=np.int32),
            stream=np.zeros(warps, dtype=np.int32),
            visit=np.zeros(warps, dtype=np.int64),
            visit_end=np.zeros(warps, dtype=np.int64),
            pc=np.zeros(warps, dtype=np.int32),
            block_end=np.zeros(warps, dtype=np.int32),
            mask=np.zeros(warps, dtype=np.int64),
            next_ns=np.full(warps, NEVER),
            accounted_ns=np.zeros(warps),
            start_ns=np.zeros(warps),
            at_barrier=np.zeros(warps, dtype=np.bool_),
            age=np.zeros(warps, dtype=np.int64),
            mem_exec=np.zeros(per_mem_slot, dtype=np.int64),
            mem_run=np.zeros(per_mem_slot, dtype=np.int64),
            reg_ready_ns=np.zeros(per_register),
            reg_producer=np.zeros(per_register, dtype=np.int8),
            async_open_ns=np.zeros((*warps, ASYNC_UNITS)),
            async_group_ns=np.zeros((*warps, ASYNC_UNITS, ASYNC_GROUP_SLOTS)),
            async_older_ns=np.zeros((*warps, ASYNC_UNITS)),
            barrier_waits=np.zeros((*warps, MBARRIER_SLOTS), dtype=np.int64),
            tx_barrier=np.full(warps, -1, dtype=np.int32),
        ),
        ctas=CtaState(
            active=np.zeros(ctas, dtype=np.bool_),
            cta_id=np.zeros(ctas, dtype=np.int64),
            cta_class=np.zeros(ctas, dtype=np.int32),
            xyz=np.zeros((*ctas, 3), dtype=np.int64),
            warps_alive=np.zeros(ctas, dtype=np.int32),
            warps_at_barrier=np.zeros(ctas, dtype=np.int32),
            start_ns=np.zeros(ctas),
            mem_done_ns=np.zeros(ctas),
            shadow_shifts=np.zeros(
                (*ctas, max(mem_slots, 1), params.max_shadow_sms), dtype=np.int64
            ),
            shadow_count=np.zeros(ctas, dtype=np.int64),
        ),
        mbarriers=MbarrierState(
            address=np.full((*ctas, MBARRIER_SLOTS), -1, dtype=np.int64),
            expected=np.zeros((*ctas, MBARRIER_SLOTS), dtype=np.int64),
            pending=np.zeros((*ctas, MBARRIER_SLOTS), dtype=np.int64),
            tx_bytes=np.zeros((*ctas, MBARRIER_SLOTS), dtype=np.int64),
            arrived_ns=np.zeros((*ctas, MBARRIER_SLOTS)),
            landed_ns=np.zeros((*ctas, MBARRIER_SLOTS)),
            phases=np.zeros((*ctas, MBARRIER_SLOTS), dtype=np.int64),
            done_ns=np.zeros((*ctas, MBARRIER_SLOTS, 2)),
        ),
        subpartitions=SubpartitionState(
            pipe_free_ns=np.zeros((*subpartitions, PIPE_COUNT)),
            last_warp=np.full(subpartitions, -1, dtype=np.int32),
            scheduler_free_ns=np.zeros(subpartitions),
        ),
        counters=SmCounters(
            issued=np.zeros((sms, PIPE_COUNT), dtype=np.int64),
            pipe_busy_ns=np.zeros((sms, PIPE_COUNT)),
            stall_ns=np.zeros((sms, STALL_COUNT)),
            warp_ns=np.zeros(sms),
        ),
        completions=Completions(
            sm=np.zeros(sms * cta_slots, dtype=np.int64),
            slot=np.zeros(sms * cta_slots, dtype=np.int64),
            end_ns=np.zeros(sms * cta_slots),
            total=np.zeros(1, dtype=np.int64),
        ),
        periods_begun=np.zeros(1, dtype=np.int64),
        sm_periods=np.zeros(sms, dtype=np.int64),
        shadow_sms=np.zeros(sms, dtype=np.int64),
        next_age=np.zeros(1, dtype=np.int64),
        addresses=np.zeros(memory.LANES, dtype=np.int64),
        sectors=np.zeros(SCRATCH_SECTORS, dtype=np.int64),
    )
