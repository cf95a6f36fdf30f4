"""The SM pipelines: warp schedulers, scoreboards, pipes and barriers, cycle by cycle.

Every simulated SM has ``subpartitions`` warp schedulers; a warp lives in sub-partition
``slot % subpartitions``. Each cycle each scheduler issues at most one instruction, from a
warp whose source (and destination) registers are ready and whose pipe is free, chosen by
the scheduling policy (greedy-then-oldest or loose round-robin). Fixed-latency results are
ready ``latency_ns`` later; memory results when the hierarchy (``gpusim.hw.sm.memory``) says.
Idle stretches are skipped: when nothing can issue, time jumps to the earliest moment a warp
could. The loop returns to its caller, the SimPy layer, whenever CTAs complete, so the CTA
dispatcher decides what runs next.

Stall time is attributed when a warp issues, over the gap since its previous issue: first to
the scoreboard (by what the awaited register waits on), then to its pipe being busy, the rest
to not being selected; time at a barrier is attributed when the barrier releases.

Speed: the state is ~100 arrays in named tuples. A non-inlined Numba call copies such tuples
and reference-counts every array in them, which cost about half a microsecond per simulated
instruction; so the hot functions are inlined at Numba's level (``inline="always"``) and run
without the reference-counting runtime (``_nrt=False``: jitted code here never allocates, the
arrays all come from Python). That brings an instruction to some tens of nanoseconds.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from gpusim.hw.sm import memory
from gpusim.hw.sm.memory import MemoryParams, MemoryState
from gpusim.hw.sm.program import PIPE_COUNT, EngineProgram, MemKind, Pipe, Producer
from gpusim.hw.sm.stalls import STALL_COUNT, Stall

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

SCHEDULER_GTO = 0
SCHEDULER_LRR = 1
NEVER = np.inf
EPS_NS = 1e-6
"""Times closer than this (a femtosecond) are equal: guards float rounding of cycle times."""

# Enum members as plain ints: jitted code compares them with array elements.
_FIXED = int(Producer.FIXED)
_SHORT = int(Producer.SHORT)
_LONG = int(Producer.LONG)
_MEM_NONE = int(MemKind.NONE)
_GLOBAL_LOAD = int(MemKind.GLOBAL_LOAD)
_GLOBAL_STORE = int(MemKind.GLOBAL_STORE)
_GLOBAL_ATOMIC = int(MemKind.GLOBAL_ATOMIC)
_PIPE_LSU = int(Pipe.LSU)
_STALL_LONG = int(Stall.LONG_SCOREBOARD)
_STALL_SHORT = int(Stall.SHORT_SCOREBOARD)
_STALL_WAIT = int(Stall.WAIT)
_STALL_MATH = int(Stall.MATH_PIPE_THROTTLE)
_STALL_LSU = int(Stall.LSU_THROTTLE)
_STALL_BARRIER = int(Stall.BARRIER)
_STALL_NOT_SELECTED = int(Stall.NOT_SELECTED)


class ProgramArrays(NamedTuple):
    """The arrays of an ``EngineProgram``, in the form jitted code takes them."""

    pipe: npt.NDArray[np.int8]
    latency_ns: F64
    issue_ns: F64
    slot_ns: F64
    producer: npt.NDArray[np.int8]
    mem_kind: npt.NDArray[np.int8]
    mem_width_bytes: npt.NDArray[np.int32]
    mem_slot: npt.NDArray[np.int32]
    slot_kind: npt.NDArray[np.int8]
    slot_width_bytes: npt.NDArray[np.int32]
    dst_ptr: I64
    dst: npt.NDArray[np.int32]
    src_ptr: I64
    src: npt.NDArray[np.int32]
    is_barrier: npt.NDArray[np.bool_]
    is_exit: npt.NDArray[np.bool_]
    bb_start: npt.NDArray[np.int32]
    cta_class: npt.NDArray[np.int32]
    class_lo: I64
    loop_start: I64
    loop_period: I64
    loop_count: I64
    loop_execs: I64
    visit_ptr: I64
    visit_bb: npt.NDArray[np.int32]
    visit_mask: npt.NDArray[np.uint32]
    run_ptr: I64
    run_exec: I64
    run_count: I64
    run_stride: I64
    run_mask: npt.NDArray[np.uint32]
    run_base: I64
    cta_shift: I64


def program_arrays(program: EngineProgram) -> ProgramArrays:
    """The jitted view of ``program``."""
    return ProgramArrays(
        pipe=program.pipe,
        latency_ns=program.latency_ns,
        issue_ns=program.issue_ns,
        slot_ns=program.slot_ns,
        producer=program.producer,
        mem_kind=program.mem_kind,
        mem_width_bytes=program.mem_width_bytes,
        mem_slot=program.mem_slot,
        slot_kind=program.slot_kind,
        slot_width_bytes=program.slot_width_bytes,
        dst_ptr=program.dst_ptr,
        dst=program.dst,
        src_ptr=program.src_ptr,
        src=program.src,
        is_barrier=program.is_barrier,
        is_exit=program.is_exit,
        bb_start=program.bb_start,
        cta_class=program.cta_class,
        class_lo=program.class_lo,
        loop_start=program.loop_start,
        loop_period=program.loop_period,
        loop_count=program.loop_count,
        loop_execs=program.loop_execs,
        visit_ptr=program.visit_ptr,
        visit_bb=program.visit_bb,
        visit_mask=program.visit_mask,
        run_ptr=program.run_ptr,
        run_exec=program.run_exec,
        run_count=program.run_count,
        run_stride=program.run_stride,
        run_mask=program.run_mask,
        run_base=program.run_base,
        cta_shift=program.cta_shift,
    )


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
    shadows: int
    """The most SMs a simulated SM stands for besides itself (fast mode; 0 in detailed
    mode); each SM's own count is ``CoreState.sm_shadows``."""


class CoreState(NamedTuple):
    """Mutable state of the simulated SMs (index order: sm, then slot)."""

    w_active: npt.NDArray[np.bool_]
    w_cta: npt.NDArray[np.int32]
    w_stream: npt.NDArray[np.int32]
    w_visit: I64
    w_visit_end: I64
    w_pc: npt.NDArray[np.int32]
    w_bb_end: npt.NDArray[np.int32]
    w_mask: I64
    w_next: F64
    w_last: F64
    w_start: F64
    w_barrier: npt.NDArray[np.bool_]
    w_age: I64
    w_mem_exec: I64  # [sm, slot, mem slot]
    w_mem_run: I64  # [sm, slot, mem slot]
    reg_ready: F64  # [sm, slot, register]
    reg_kind: npt.NDArray[np.int8]
    c_active: npt.NDArray[np.bool_]
    c_id: I64
    c_class: npt.NDArray[np.int32]
    c_xyz: I64  # [sm, cta slot, axis]
    c_alive: npt.NDArray[np.int32]
    c_arrived: npt.NDArray[np.int32]
    c_start: F64
    c_mem_done: F64
    marks: I64  # [1] loop periods begun, by any CTA, since run_until_ctas_complete was called
    sm_periods: I64  # [sm] loop periods begun by the SM's CTAs since the kernel started
    shadow_shift: I64  # [sm, cta slot, mem slot, shadow] address offset of each shadow CTA
    shadow_count: I64  # [sm, cta slot] shadows whose CTA exists
    sm_shadows: I64  # [sm] SMs this one stands for besides itself (fast mode)
    sp_pipe_free: F64  # [sm, sub-partition, pipe]
    sp_last: npt.NDArray[np.int32]
    sp_slot_free: F64  # [sm, sub-partition] scheduler busy until
    issued: I64  # [sm, pipe]
    pipe_busy_ns: F64  # [sm, pipe] summed over sub-partitions
    stall_ns: F64  # [sm, stall]
    warp_ns: F64  # [sm] resident warp-time, for achieved occupancy
    age: I64  # [1]
    done_sm: I64  # completed CTAs since the last return
    done_slot: I64
    done_t: F64
    done_count: I64  # [1]
    addresses: I64  # [32] scratch
    sectors: I64  # [64 * 32] scratch


def new_core_state(
    params: CoreParams, warp_slots: int, register_count: int, mem_slots: int
) -> CoreState:
    """Idle SMs with room for ``warp_slots`` warps each."""
    sms, cta_slots, sps = params.sms, params.cta_slots, params.subpartitions
    warps = (sms, warp_slots)
    return CoreState(
        w_active=np.zeros(warps, dtype=np.bool_),
        w_cta=np.zeros(warps, dtype=np.int32),
        w_stream=np.zeros(warps, dtype=np.int32),
        w_visit=np.zeros(warps, dtype=np.int64),
        w_visit_end=np.zeros(warps, dtype=np.int64),
        w_pc=np.zeros(warps, dtype=np.int32),
        w_bb_end=np.zeros(warps, dtype=np.int32),
        w_mask=np.zeros(warps, dtype=np.int64),
        w_next=np.full(warps, NEVER),
        w_last=np.zeros(warps),
        w_start=np.zeros(warps),
        w_barrier=np.zeros(warps, dtype=np.bool_),
        w_age=np.zeros(warps, dtype=np.int64),
        w_mem_exec=np.zeros((*warps, max(mem_slots, 1)), dtype=np.int64),
        w_mem_run=np.zeros((*warps, max(mem_slots, 1)), dtype=np.int64),
        reg_ready=np.zeros((*warps, max(register_count, 1))),
        reg_kind=np.zeros((*warps, max(register_count, 1)), dtype=np.int8),
        c_active=np.zeros((sms, cta_slots), dtype=np.bool_),
        c_id=np.zeros((sms, cta_slots), dtype=np.int64),
        c_class=np.zeros((sms, cta_slots), dtype=np.int32),
        c_xyz=np.zeros((sms, cta_slots, 3), dtype=np.int64),
        c_alive=np.zeros((sms, cta_slots), dtype=np.int32),
        c_arrived=np.zeros((sms, cta_slots), dtype=np.int32),
        c_start=np.zeros((sms, cta_slots)),
        c_mem_done=np.zeros((sms, cta_slots)),
        marks=np.zeros(1, dtype=np.int64),
        sm_periods=np.zeros(sms, dtype=np.int64),
        shadow_shift=np.zeros((sms, cta_slots, max(mem_slots, 1), params.shadows), dtype=np.int64),
        shadow_count=np.zeros((sms, cta_slots), dtype=np.int64),
        sm_shadows=np.zeros(sms, dtype=np.int64),
        sp_pipe_free=np.zeros((sms, sps, PIPE_COUNT)),
        sp_last=np.full((sms, sps), -1, dtype=np.int32),
        sp_slot_free=np.zeros((sms, sps)),
        issued=np.zeros((sms, PIPE_COUNT), dtype=np.int64),
        pipe_busy_ns=np.zeros((sms, PIPE_COUNT)),
        stall_ns=np.zeros((sms, STALL_COUNT)),
        warp_ns=np.zeros(sms),
        age=np.zeros(1, dtype=np.int64),
        done_sm=np.zeros(sms * cta_slots, dtype=np.int64),
        done_slot=np.zeros(sms * cta_slots, dtype=np.int64),
        done_t=np.zeros(sms * cta_slots),
        done_count=np.zeros(1, dtype=np.int64),
        addresses=np.zeros(memory.LANES, dtype=np.int64),
        sectors=np.zeros(64 * memory.LANES, dtype=np.int64),
    )


@njit(cache=True, _nrt=False)
def dispatch_cta(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, cta_id: int, t: float
) -> bool:
    """Start CTA ``cta_id`` on a free CTA slot of ``sm`` at ``t``; False if none is free."""
    slot_of_cta = -1
    for slot in range(params.cta_slots):
        if not state.c_active[sm, slot]:
            slot_of_cta = slot
            break
    if slot_of_cta < 0:
        return False
    cx, cy, cz = _cta_xyz(params, cta_id)
    state.c_active[sm, slot_of_cta] = True
    state.c_id[sm, slot_of_cta] = cta_id
    state.c_xyz[sm, slot_of_cta, 0] = cx
    state.c_xyz[sm, slot_of_cta, 1] = cy
    state.c_xyz[sm, slot_of_cta, 2] = cz
    state.c_alive[sm, slot_of_cta] = params.warps_per_cta
    state.c_arrived[sm, slot_of_cta] = 0
    state.c_start[sm, slot_of_cta] = t
    state.c_mem_done[sm, slot_of_cta] = t
    cta_class = prog.cta_class[cta_id]
    state.c_class[sm, slot_of_cta] = cta_class
    mem_slots = prog.cta_shift.shape[1]
    _plan_shadows(prog, params, state, sm, slot_of_cta, cta_id)
    for warp in range(params.warps_per_cta):
        w = slot_of_cta * params.warps_per_cta + warp
        stream = cta_class * params.warps_per_cta + warp
        state.w_active[sm, w] = True
        state.w_cta[sm, w] = slot_of_cta
        state.w_stream[sm, w] = stream
        state.w_visit[sm, w] = prog.visit_ptr[stream]
        state.w_visit_end[sm, w] = prog.visit_ptr[stream + 1]
        state.w_next[sm, w] = t
        state.w_last[sm, w] = t
        state.w_start[sm, w] = t
        state.w_barrier[sm, w] = False
        state.w_age[sm, w] = state.age[0]
        state.age[0] += 1
        state.reg_ready[sm, w, :] = 0.0
        state.reg_kind[sm, w, :] = 0
        for m in range(mem_slots):
            state.w_mem_exec[sm, w, m] = 0
            state.w_mem_run[sm, w, m] = prog.run_ptr[stream * mem_slots + m]
        if not _enter_visit(prog, state, sm, w):
            _retire_warp(params, state, sm, w, t)
    return True


@njit(cache=True, _nrt=False)
def _cta_xyz(params: CoreParams, cta_id: int) -> tuple[int, int, int]:
    return (
        cta_id % params.grid_x,
        (cta_id // params.grid_x) % params.grid_y,
        cta_id // (params.grid_x * params.grid_y),
    )


@njit(cache=True, _nrt=False)
def _plan_shadows(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, slot: int, cta_id: int
) -> None:
    """Address offsets of the CTAs the shadow SMs run beside ``cta_id`` (ids cta_id+1...),
    by the shifts of ``cta_id``'s class (a shadow CTA of another class, at a grid edge, is
    taken to touch what its position would give in this class)."""
    x, y, z = _cta_xyz(params, cta_id)
    shifts = prog.cta_shift[prog.cta_class[cta_id]]
    count = 0
    for shadow in range(state.sm_shadows[sm]):
        other = cta_id + 1 + shadow
        if other >= params.total_ctas:
            break
        ox, oy, oz = _cta_xyz(params, other)
        for m in range(shifts.shape[0]):
            state.shadow_shift[sm, slot, m, shadow] = (
                (ox - x) * shifts[m, 0] + (oy - y) * shifts[m, 1] + (oz - z) * shifts[m, 2]
            )
        count += 1
    state.shadow_count[sm, slot] = count


@njit(cache=True, _nrt=False, inline="always")
def _enter_visit(prog: ProgramArrays, state: CoreState, sm: int, w: int) -> bool:
    """Point warp ``w`` at the first instruction of its current visit; False at the end."""
    visit = state.w_visit[sm, w]
    if visit >= state.w_visit_end[sm, w]:
        return False
    block = prog.visit_bb[visit]
    state.w_pc[sm, w] = prog.bb_start[block]
    state.w_bb_end[sm, w] = prog.bb_start[block + 1]
    state.w_mask[sm, w] = prog.visit_mask[visit]
    return True


@njit(cache=True, _nrt=False, inline="always")
def _retire_warp(params: CoreParams, state: CoreState, sm: int, w: int, t: float) -> None:
    """Retire warp ``w`` after its last instruction; its CTA ends when every warp has and all
    their loads and stores have landed."""
    state.w_active[sm, w] = False
    state.w_next[sm, w] = NEVER
    state.warp_ns[sm] += t - state.w_start[sm, w]
    cta = state.w_cta[sm, w]
    landed = state.c_mem_done[sm, cta]
    for register in range(state.reg_ready.shape[2]):
        landed = max(landed, state.reg_ready[sm, w, register])
    state.c_mem_done[sm, cta] = landed
    state.c_alive[sm, cta] -= 1
    if state.c_alive[sm, cta] == 0:
        state.c_active[sm, cta] = False
        index = state.done_count[0]
        state.done_sm[index] = sm
        state.done_slot[index] = cta
        state.done_t[index] = max(t, state.c_mem_done[sm, cta])
        state.done_count[0] = index + 1
    elif state.c_arrived[sm, cta] == state.c_alive[sm, cta] and state.c_arrived[sm, cta] > 0:
        _release_barrier(params, state, sm, cta, t)


@njit(cache=True, _nrt=False, inline="always")
def _release_barrier(params: CoreParams, state: CoreState, sm: int, cta: int, t: float) -> None:
    release = t + params.barrier_latency_ns
    first = cta * params.warps_per_cta
    for w in range(first, first + params.warps_per_cta):
        if state.w_active[sm, w] and state.w_barrier[sm, w]:
            state.w_barrier[sm, w] = False
            state.stall_ns[sm, _STALL_BARRIER] += release - state.w_last[sm, w]
            state.w_last[sm, w] = release
            state.w_next[sm, w] = release
    state.c_arrived[sm, cta] = 0


@njit(cache=True, _nrt=False, inline="always")
def _operands_ready(
    prog: ProgramArrays, state: CoreState, sm: int, w: int, pc: int
) -> tuple[float, np.int8]:
    """When the sources (and destinations, for WAW) of ``pc`` are ready, and the producer of
    the last one to be."""
    ready = 0.0
    kind = np.int8(_FIXED)
    for index in range(prog.src_ptr[pc], prog.src_ptr[pc + 1]):
        register = prog.src[index]
        if state.reg_ready[sm, w, register] > ready:
            ready = state.reg_ready[sm, w, register]
            kind = state.reg_kind[sm, w, register]
    for index in range(prog.dst_ptr[pc], prog.dst_ptr[pc + 1]):
        register = prog.dst[index]
        if state.reg_ready[sm, w, register] > ready:
            ready = state.reg_ready[sm, w, register]
            kind = state.reg_kind[sm, w, register]
    return ready, kind


@njit(cache=True, _nrt=False, inline="always")
def _can_issue(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, sp: int, w: int, t: float
) -> bool:
    """Whether warp ``w`` can issue at ``t``; if not, push its ``w_next`` to when it might."""
    if not state.w_active[sm, w] or state.w_barrier[sm, w] or state.w_next[sm, w] > t + EPS_NS:
        return False
    pc = state.w_pc[sm, w]
    ready, _ = _operands_ready(prog, state, sm, w, pc)
    # A pipe takes a new instruction in the cycle it frees up in: an interval of 4.33
    # cycles issues at 4, 8, 12, 17, ... and keeps its exact average rate.
    pipe_accepts = state.sp_pipe_free[sm, sp, prog.pipe[pc]] - params.cycle_ns + 2 * EPS_NS
    earliest = max(ready, pipe_accepts)
    if earliest > t + EPS_NS:
        state.w_next[sm, w] = earliest
        return False
    return True


@njit(cache=True, _nrt=False, inline="always")
def _pick(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, sp: int, t: float
) -> int:
    """The warp the scheduler of (sm, sp) issues from at ``t``, or -1."""
    if state.sp_slot_free[sm, sp] > t + EPS_NS:
        return -1
    slots = state.w_active.shape[1]
    last = state.sp_last[sm, sp]
    if params.scheduler == SCHEDULER_GTO:
        if last >= 0 and _can_issue(prog, params, state, sm, sp, last, t):
            return last
        best = -1
        for w in range(sp, slots, params.subpartitions):
            older = best < 0 or state.w_age[sm, w] < state.w_age[sm, best]
            if w != last and older and _can_issue(prog, params, state, sm, sp, w, t):
                best = w
        return best
    count = (slots - sp + params.subpartitions - 1) // params.subpartitions
    start = 0 if last < 0 else (last - sp) // params.subpartitions + 1
    for step in range(count):
        w = sp + ((start + step) % count) * params.subpartitions
        if _can_issue(prog, params, state, sm, sp, w, t):
            return w
    return -1


@njit(cache=True, _nrt=False, inline="always")
def _lane_addresses(prog: ProgramArrays, state: CoreState, sm: int, w: int, slot: int) -> int:
    """Fill ``state.addresses`` for this execution of memory slot ``slot``; return its mask."""
    mem_slots = prog.cta_shift.shape[1]
    execution = state.w_mem_exec[sm, w, slot]
    state.w_mem_exec[sm, w, slot] = execution + 1
    stream = state.w_stream[sm, w]
    end = prog.run_ptr[stream * mem_slots + slot + 1]
    run = state.w_mem_run[sm, w, slot]
    while run < end and execution >= prog.run_exec[run] + prog.run_count[run]:
        run += 1
    state.w_mem_run[sm, w, slot] = run
    if run >= end or execution < prog.run_exec[run]:
        return 0
    step = (execution - prog.run_exec[run]) * prog.run_stride[run]
    cta = state.w_cta[sm, w]
    cta_class = state.c_class[sm, cta]
    shift = 0
    for axis in range(3):
        offset = state.c_xyz[sm, cta, axis] - prog.class_lo[cta_class, axis]
        shift += offset * prog.cta_shift[cta_class, slot, axis]
    for lane in range(memory.LANES):
        state.addresses[lane] = prog.run_base[run, lane] + step + shift
    return prog.run_mask[run]


@njit(cache=True, _nrt=False, inline="always")
def _issue(
    prog: ProgramArrays,
    params: CoreParams,
    mem_params: MemoryParams,
    state: CoreState,
    mem: MemoryState,
    sm: int,
    sp: int,
    w: int,
    t: float,
) -> None:
    """Issue warp ``w``'s next instruction at ``t`` and advance it."""
    pc = state.w_pc[sm, w]
    pipe = prog.pipe[pc]
    ready, kind = _operands_ready(prog, state, sm, w, pc)
    pipe_was_free = state.sp_pipe_free[sm, sp, pipe]
    _attribute_stall(state, sm, w, t, params.cycle_ns, ready, kind, pipe_was_free, pipe)
    state.sp_pipe_free[sm, sp, pipe] = max(pipe_was_free, t) + prog.issue_ns[pc]
    state.sp_slot_free[sm, sp] = t + prog.slot_ns[pc]
    state.sp_last[sm, sp] = w
    state.issued[sm, pipe] += 1
    state.pipe_busy_ns[sm, pipe] += prog.issue_ns[pc]
    result = t + prog.latency_ns[pc]
    mem_kind = prog.mem_kind[pc]
    if mem_kind != _MEM_NONE:
        result = _memory(prog, mem_params, state, mem, sm, w, pc, mem_kind, t)
    for index in range(prog.dst_ptr[pc], prog.dst_ptr[pc + 1]):
        register = prog.dst[index]
        state.reg_ready[sm, w, register] = result
        state.reg_kind[sm, w, register] = prog.producer[pc]
    state.w_last[sm, w] = t
    state.w_next[sm, w] = t + params.cycle_ns
    if prog.is_barrier[pc]:
        _arrive_at_barrier(params, state, sm, w, t)
    if prog.is_exit[pc]:
        _retire_warp(params, state, sm, w, t + params.cycle_ns)
        return
    _advance(prog, params, state, sm, w, t)


@njit(cache=True, _nrt=False, inline="always")
def _memory(
    prog: ProgramArrays,
    mem_params: MemoryParams,
    state: CoreState,
    mem: MemoryState,
    sm: int,
    w: int,
    pc: int,
    mem_kind: int,
    t: float,
) -> float:
    slot = prog.mem_slot[pc]
    mask = _lane_addresses(prog, state, sm, w, slot)
    width = prog.mem_width_bytes[pc]
    cta = state.w_cta[sm, w]
    shadow = state.shadow_shift[sm, cta, slot]
    shadows = state.shadow_count[sm, cta]
    if mem_kind in (_GLOBAL_LOAD, _GLOBAL_ATOMIC):
        return memory.global_load(
            mem_params, mem, sm, state.addresses, mask, width, t, state.sectors, shadow, shadows
        )
    if mem_kind == _GLOBAL_STORE:
        accepted = memory.global_store(
            mem_params, mem, sm, state.addresses, mask, width, t, state.sectors, shadow, shadows
        )
        state.c_mem_done[sm, cta] = max(state.c_mem_done[sm, cta], accepted)
        return t
    return memory.shared_access(mem_params, mem, sm, state.addresses, mask, width, t, state.sectors)


@njit(cache=True, _nrt=False, inline="always")
def _attribute_stall(
    state: CoreState,
    sm: int,
    w: int,
    t: float,
    cycle_ns: float,
    ready: float,
    kind: int,
    pipe_free: float,
    pipe: int,
) -> None:
    """Split the gap since the warp's previous issue into scoreboard, throttle, not selected."""
    waited_from = state.w_last[sm, w] + cycle_ns
    if t <= waited_from:
        return
    scoreboard_end = min(max(ready, waited_from), t)
    if scoreboard_end > waited_from:
        reason = _STALL_WAIT
        if kind == _LONG:
            reason = _STALL_LONG
        elif kind == _SHORT:
            reason = _STALL_SHORT
        state.stall_ns[sm, reason] += scoreboard_end - waited_from
    throttle_end = min(max(pipe_free, scoreboard_end), t)
    if throttle_end > scoreboard_end:
        reason = _STALL_LSU if pipe == _PIPE_LSU else _STALL_MATH
        state.stall_ns[sm, reason] += throttle_end - scoreboard_end
    if t > throttle_end:
        state.stall_ns[sm, _STALL_NOT_SELECTED] += t - throttle_end


@njit(cache=True, _nrt=False, inline="always")
def _arrive_at_barrier(params: CoreParams, state: CoreState, sm: int, w: int, t: float) -> None:
    cta = state.w_cta[sm, w]
    state.w_barrier[sm, w] = True
    state.w_last[sm, w] = t + params.cycle_ns
    state.c_arrived[sm, cta] += 1
    if state.c_arrived[sm, cta] == state.c_alive[sm, cta]:
        _release_barrier(params, state, sm, cta, t + params.cycle_ns)


@njit(cache=True, _nrt=False, inline="always")
def _advance(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, w: int, t: float
) -> None:
    """Move warp ``w`` past the instruction it issued; retire it after its last visit."""
    pc = state.w_pc[sm, w] + 1
    if pc < state.w_bb_end[sm, w]:
        state.w_pc[sm, w] = pc
        return
    state.w_visit[sm, w] += 1
    if not _enter_visit(prog, state, sm, w):
        _retire_warp(params, state, sm, w, t + params.cycle_ns)
    elif w % params.warps_per_cta == 0:
        _mark_period(prog, state, sm, w)


@njit(cache=True, _nrt=False, inline="always")
def _mark_period(prog: ProgramArrays, state: CoreState, sm: int, w: int) -> None:
    """Count warp ``w`` (its CTA's first) entering a new period of its steady loop."""
    stream = state.w_stream[sm, w]
    count = prog.loop_count[stream]
    if count == 0:
        return
    offset = state.w_visit[sm, w] - prog.visit_ptr[stream] - prog.loop_start[stream]
    period = prog.loop_period[stream]
    if offset >= 0 and offset % period == 0 and offset // period < count:
        state.marks[0] += 1
        state.sm_periods[sm] += 1


@njit(cache=True, _nrt=False)
def run_until_ctas_complete(
    prog: ProgramArrays,
    params: CoreParams,
    mem_params: MemoryParams,
    state: CoreState,
    mem: MemoryState,
    t_start: float,
    mark_budget: int,
) -> float:
    """Simulate from ``t_start`` until at least one CTA completes (or nothing is left), or,
    with ``mark_budget > 0``, until CTAs have begun that many loop periods.

    Returns the time of the cycle it stopped in (``NEVER`` if no warp is resident);
    completions are listed in ``state.done_*``.
    """
    state.done_count[0] = 0
    state.marks[0] = 0
    cycle = np.int64(np.ceil((t_start - EPS_NS) / params.cycle_ns))
    slots = state.w_active.shape[1]
    while True:
        t = cycle * params.cycle_ns
        issued_any = False
        # SMs take turns going first, as round-robin arbitration would let them, so no SM's
        # requests always reach the shared L2 and HBM queues ahead of the others'.
        first_sm = int(cycle % params.sms)
        for turn in range(params.sms):
            sm = (first_sm + turn) % params.sms
            for sp in range(params.subpartitions):
                w = _pick(prog, params, state, sm, sp, t)
                if w >= 0:
                    _issue(prog, params, mem_params, state, mem, sm, sp, w, t)
                    issued_any = True
        if state.done_count[0] > 0 or (mark_budget > 0 and state.marks[0] >= mark_budget):
            return t
        if issued_any:
            cycle += np.int64(1)
            continue
        soonest = NEVER
        for sm in range(params.sms):
            for w in range(slots):
                if state.w_active[sm, w] and not state.w_barrier[sm, w]:
                    soonest = min(soonest, state.w_next[sm, w])
        if soonest == NEVER:
            return NEVER
        cycle = max(cycle + np.int64(1), np.int64(np.ceil((soonest - EPS_NS) / params.cycle_ns)))


@njit(cache=True)
def _shift(flat: F64, delta_ns: float) -> None:
    for index in range(flat.size):
        if flat[index] != NEVER:
            flat[index] += delta_ns


@njit(cache=True)
def skip_periods(
    prog: ProgramArrays,
    params: CoreParams,
    state: CoreState,
    sm: int,
    cta: int,
    periods: int,
    unreplayed: int,
) -> None:
    """Move every warp of CTA slot ``cta`` ``periods`` periods further through its loop's
    visits, and its memory instructions the first ``unreplayed`` of them: ``replay_periods``
    walks them through the rest."""
    first = cta * params.warps_per_cta
    for w in range(first, first + params.warps_per_cta):
        if not state.w_active[sm, w]:
            continue
        stream = state.w_stream[sm, w]
        state.w_visit[sm, w] += periods * prog.loop_period[stream]
        for m in range(prog.loop_execs.shape[1]):
            state.w_mem_exec[sm, w, m] += unreplayed * prog.loop_execs[stream, m]


@njit(cache=True, _nrt=False)
def replay_periods(
    prog: ProgramArrays,
    params: CoreParams,
    mem_params: MemoryParams,
    state: CoreState,
    mem: MemoryState,
    sms: I64,
    ctas: I64,
    periods: int,
) -> None:
    """Replay ``periods`` skipped periods of the CTA slots ``(sms[i], ctas[i])``, period by
    period, taking the CTAs in turn within each (as they would have run)."""
    for _ in range(periods):
        for index in range(sms.size):
            _replay_period(prog, params, mem_params, state, mem, sms[index], ctas[index])


@njit(cache=True, _nrt=False, inline="always")
def _replay_period(
    prog: ProgramArrays,
    params: CoreParams,
    mem_params: MemoryParams,
    state: CoreState,
    mem: MemoryState,
    sm: int,
    cta: int,
) -> None:
    """Walk one skipped period of CTA slot ``cta``'s memory instructions: every global
    sector it (and its shadows) would touch goes through L2, counted but untimed."""
    first = cta * params.warps_per_cta
    for w in range(first, first + params.warps_per_cta):
        if not state.w_active[sm, w]:
            continue
        stream = state.w_stream[sm, w]
        for m in range(prog.loop_execs.shape[1]):
            kind = prog.slot_kind[m]
            if kind not in (_GLOBAL_LOAD, _GLOBAL_STORE, _GLOBAL_ATOMIC):
                state.w_mem_exec[sm, w, m] += prog.loop_execs[stream, m]
                continue
            for _ in range(prog.loop_execs[stream, m]):
                mask = _lane_addresses(prog, state, sm, w, m)
                sectors = memory.coalesce(
                    state.addresses,
                    mask,
                    prog.slot_width_bytes[m],
                    mem_params.sector_bytes,
                    state.sectors,
                )
                store = kind == _GLOBAL_STORE
                for index in range(sectors):
                    address = state.sectors[index]
                    memory.l2_replay(mem_params, mem, sm, address, store)
                    for shadow in range(state.shadow_count[sm, cta]):
                        shifted = address + state.shadow_shift[sm, cta, m, shadow]
                        memory.l2_replay(mem_params, mem, sm, shifted, store)


@njit(cache=True)
def shift_times(
    state: CoreState, mem: MemoryState, sm_delta_ns: F64, shared_delta_ns: float, starts: bool
) -> None:
    """Move every pending time of SM ``sm`` (its warps, pipes and L1) ``sm_delta_ns[sm]``
    later, and those of L2 and HBM ``shared_delta_ns``: fast mode's jumps over work it does
    not simulate one by one. ``starts``: move the CTAs' and warps' start times too (CTAs
    that stand for later ones), or not (CTAs that lived through the jump)."""
    for sm in range(sm_delta_ns.size):
        delta_ns = sm_delta_ns[sm]
        _shift(state.w_next[sm], delta_ns)
        _shift(state.w_last[sm], delta_ns)
        if starts:
            _shift(state.w_start[sm], delta_ns)
            _shift(state.c_start[sm], delta_ns)
        _shift(state.c_mem_done[sm], delta_ns)
        _shift(state.reg_ready[sm].reshape(-1), delta_ns)
        _shift(state.sp_pipe_free[sm].reshape(-1), delta_ns)
        _shift(state.sp_slot_free[sm], delta_ns)
        _shift(mem.l1_ready[sm].reshape(-1), delta_ns)
        _shift(mem.l1_port_free[sm : sm + 1], delta_ns)
        for index in range(mem.mshr_count[sm]):
            mem.mshr[sm, index] += delta_ns
    _shift(mem.l2_ready.reshape(-1), shared_delta_ns)
    _shift(mem.l2_free, shared_delta_ns)
    _shift(mem.dram_free, shared_delta_ns)
