"""The issue loop: warp schedulers, scoreboards, pipes and stall attribution, cycle by cycle.

Every simulated SM has ``subpartitions`` warp schedulers; a warp lives in sub-partition
``slot % subpartitions``. Each cycle each scheduler issues at most one instruction, from a
warp whose source (and destination) registers are ready and whose pipe is free, chosen by
the scheduling policy (greedy-then-oldest or loose round-robin). Fixed-latency results are
ready ``latency_ns`` later; memory results when the hierarchy (``gpusim.hw.sm.memory``) says.
Idle stretches are skipped: when nothing can issue, time jumps to the earliest moment a warp
could. The loop returns to its caller, the SimPy layer, whenever CTAs complete, so the CTA
dispatcher decides what runs next.

Python runs no signal handler while jitted code runs, so Ctrl-C would wait for that return:
up to minutes in detailed mode, whose CTAs all finish together. The jitted loop therefore
runs in chunks of at most ``CHUNK_SM_CYCLES`` simulated SM-cycles, each resuming at the
exact cycle the last one left (the cycle number is the loop's only state between cycles),
so where a chunk ends never moves a result. An SM-cycle costs up to about 1.2 us of CPU
(detailed mode, busy SMs: gemm_naive and the 32x32 tiled GEMM measured), so 2^16 SM-cycles
hand the interpreter back within about 0.08 s; a call's own cost, about 15 us (mostly
handing the state's arrays over), is lost in that.

Stall time is attributed when a warp issues, over the gap since its previous issue: first to
the scoreboard (by what the awaited register waits on), then to its pipe being busy, the rest
to not being selected; time at a barrier is attributed when the barrier releases.

Speed: the state is ~100 arrays in named tuples (``gpusim.hw.sm.state``). A non-inlined
Numba call copies such tuples and reference-counts every array in them, which cost about
half a microsecond per simulated instruction; so the hot functions are inlined at Numba's
level (``inline="always"``) and run without the reference-counting runtime
(``_nrt=False``: jitted code here never allocates, the arrays all come from Python). That
brings an instruction to some tens of nanoseconds. Numba compiles an inlined function anew
at each call site, so the big inlined paths have one call site each (``_pick``, its
readiness test, the L2 path), which keeps the cold compile near a minute and a half. The
loop unpacks the ``Simulation`` bundle once and hands each helper the parts it reads:
handing every inlined helper the whole bundle measured about 15% slower in the loop (4.5 s
against 3.9 s on a 4096^3 tiled GEMM in fast mode); passing the parts keeps the speed of
before.
"""

from __future__ import annotations

import math

import numpy as np

from gpusim.hw.sm import memory
from gpusim.hw.sm.jit import njit
from gpusim.hw.sm.memory import MemoryParams, MemoryState
from gpusim.hw.sm.program import AsyncOp, AsyncUnit, BarrierOp, MemKind, Pipe, Producer
from gpusim.hw.sm.stalls import Stall
from gpusim.hw.sm.state import (
    EPS_NS,
    NEVER,
    SCHEDULER_GTO,
    CoreParams,
    CoreState,
    ProgramArrays,
    Simulation,
)
from gpusim.hw.sm.warps import advance, arrive_at_barrier, retire_warp

# Enum members as plain ints: jitted code compares them with array elements.
_FIXED = int(Producer.FIXED)
_SHORT = int(Producer.SHORT)
_LONG = int(Producer.LONG)
_ASYNC = int(Producer.ASYNC_COPY)
_MBARRIER = int(Producer.MBARRIER)
_WGMMA = int(Producer.WGMMA)
_ASYNC_NONE = int(AsyncOp.NONE)
_ASYNC_OPERATION = int(AsyncOp.OPERATION)
_ASYNC_WAIT = int(AsyncOp.WAIT)
_UNIT_WGMMA = int(AsyncUnit.WGMMA)
_BARRIER_NONE = int(BarrierOp.NONE)
_BARRIER_INIT = int(BarrierOp.INIT)
_BARRIER_ARRIVE = int(BarrierOp.ARRIVE)
_BARRIER_WAIT = int(BarrierOp.WAIT)
_ASYNC_COMMIT_AND_WAIT = int(AsyncOp.COMMIT_AND_WAIT)
_MEM_NONE = int(MemKind.NONE)
GLOBAL_LOAD = int(MemKind.GLOBAL_LOAD)
GLOBAL_STORE = int(MemKind.GLOBAL_STORE)
GLOBAL_ATOMIC = int(MemKind.GLOBAL_ATOMIC)
_MEM_MBARRIER = int(MemKind.MBARRIER)
_MEM_TENSOR_COPY = int(MemKind.TENSOR_COPY)
_PIPE_LSU = int(Pipe.LSU)
_STALL_LONG = int(Stall.LONG_SCOREBOARD)
_STALL_SHORT = int(Stall.SHORT_SCOREBOARD)
_STALL_WAIT = int(Stall.WAIT)
_STALL_MATH = int(Stall.MATH_PIPE_THROTTLE)
_STALL_LSU = int(Stall.LSU_THROTTLE)
_STALL_NOT_SELECTED = int(Stall.NOT_SELECTED)
_STALL_ASYNC = int(Stall.ASYNC_COPY_WAIT)
_STALL_MBARRIER = int(Stall.MBARRIER_WAIT)
_STALL_WGMMA = int(Stall.WGMMA_WAIT)


CHUNK_SM_CYCLES = 1 << 16
"""The most SM-cycles (cycles visited times simulated SMs) one call into the jitted loop
simulates before it hands the interpreter back: at most about 0.08 s of CPU."""


def run_until_ctas_complete(sim: Simulation, t_start: float, period_budget: int) -> float:
    """Simulate from ``t_start`` until at least one CTA completes (or nothing is left), or,
    with ``period_budget > 0``, until CTAs have begun that many loop periods.

    Returns the time of the cycle it stopped in (``NEVER`` if no warp is resident);
    completions are listed in ``sim.state.completions``. The jitted loop runs in chunks of
    at most ``CHUNK_SM_CYCLES``, each resuming at the cycle the last one left, so Ctrl-C
    (and any other signal handler) runs within a chunk's time.
    """
    state = sim.state
    state.completions.total[0] = 0
    state.periods_begun[0] = 0
    cycle = np.int64(math.ceil((t_start - EPS_NS) / sim.params.cycle_ns))
    while True:
        stopped, cycle, t = simulate_cycles(sim, cycle, period_budget, CHUNK_SM_CYCLES)
        if stopped:
            return t


@njit(cache=True, _nrt=False)
def simulate_cycles(
    sim: Simulation, cycle: np.int64, period_budget: int, sm_cycle_budget: int
) -> tuple[bool, np.int64, float]:
    """Simulate from ``cycle`` for at most ``sm_cycle_budget`` SM-cycles, stopping early
    where ``run_until_ctas_complete`` stops.

    Returns ``(stopped, cycle, t)``: stopped, the cycle it stopped in and its time
    (``NEVER`` if no warp is resident); else the next cycle to simulate (``t`` unused).
    """
    prog, params, mem_params, state, mem = sim
    warps = state.warps
    slots = warps.active.shape[1]
    sm_cycles = 0
    while True:
        t = cycle * params.cycle_ns
        issued_any = False
        # SMs take turns going first, as round-robin arbitration would let them, so no SM's
        # requests always reach the shared L2 and HBM queues ahead of the others'.
        first_sm = int(cycle % params.sms)
        for turn in range(params.sms):
            sm = (first_sm + turn) % params.sms
            for sp in range(params.subpartitions):
                # Instructions that stand for part of a SASS instruction (fractional slots)
                # share a cycle's issue slot until it is used up.
                while True:
                    w = _pick(prog, params, state, sm, sp, t)
                    if w < 0:
                        break
                    _issue(prog, params, mem_params, state, mem, sm, sp, w, t)
                    issued_any = True
        if state.completions.total[0] > 0 or (
            period_budget > 0 and state.periods_begun[0] >= period_budget
        ):
            return True, cycle, t
        if issued_any:
            cycle += np.int64(1)
        else:
            soonest = NEVER
            for sm in range(params.sms):
                for w in range(slots):
                    if warps.active[sm, w] and not warps.at_barrier[sm, w]:
                        soonest = min(soonest, warps.next_ns[sm, w])
            if soonest == NEVER:
                return True, cycle, NEVER
            cycle = max(
                cycle + np.int64(1), np.int64(np.ceil((soonest - EPS_NS) / params.cycle_ns))
            )
        sm_cycles += params.sms
        if sm_cycles >= sm_cycle_budget:
            return False, cycle, t


@njit(cache=True, _nrt=False, inline="always")
def _operands_ready(
    prog: ProgramArrays, state: CoreState, sm: int, w: int, pc: int
) -> tuple[float, np.int8]:
    """When the sources (and destinations, for WAW) of ``pc`` are ready, and the producer of
    the last one to be; for a ``cp.async`` or ``wgmma`` wait, when the groups it waits for
    have completed; for an ``mbarrier`` wait, when its phase completes (``NEVER`` while
    that is not known)."""
    warps = state.warps
    ready = 0.0
    kind = np.int8(_FIXED)
    op = prog.async_op[pc]
    if op in (_ASYNC_WAIT, _ASYNC_COMMIT_AND_WAIT):
        unit = prog.async_unit[pc]
        ready = _async_landed(state, sm, w, unit, op, prog.async_pending[pc])
        kind = np.int8(_WGMMA if unit == _UNIT_WGMMA else _ASYNC)
    if prog.barrier_op[pc] == _BARRIER_WAIT:
        ready = _phase_done(prog, state, sm, w, pc)
        kind = np.int8(_MBARRIER)
    for index in range(prog.src_ptr[pc], prog.src_ptr[pc + 1]):
        register = prog.src[index]
        if warps.reg_ready_ns[sm, w, register] > ready:
            ready = warps.reg_ready_ns[sm, w, register]
            kind = warps.reg_producer[sm, w, register]
    for index in range(prog.dst_ptr[pc], prog.dst_ptr[pc + 1]):
        register = prog.dst[index]
        if warps.reg_ready_ns[sm, w, register] > ready:
            ready = warps.reg_ready_ns[sm, w, register]
            kind = warps.reg_producer[sm, w, register]
    return ready, kind


@njit(cache=True, _nrt=False, inline="always")
def _async_landed(state: CoreState, sm: int, w: int, unit: int, op: int, pending: int) -> float:
    """When all but the ``pending`` most recent committed groups of ``unit`` of warp ``w``
    have completed (``wait_all``: every group, the open one too)."""
    warps = state.warps
    landed = warps.async_older_ns[sm, w, unit]
    if op == _ASYNC_COMMIT_AND_WAIT:
        landed = max(landed, warps.async_open_ns[sm, w, unit])
    for group in range(pending, warps.async_group_ns.shape[3]):
        landed = max(landed, warps.async_group_ns[sm, w, unit, group])
    return landed


@njit(cache=True, _nrt=False, inline="always")
def _track_async(state: CoreState, sm: int, w: int, unit: int, op: int, landed: float) -> None:
    """A copy or wgmma (completing at ``landed``) joins warp ``w``'s open group of ``unit``;
    a commit (``commit_group``, ``wait_all``) closes that group as the most recent."""
    warps = state.warps
    if op == _ASYNC_OPERATION:
        warps.async_open_ns[sm, w, unit] = max(warps.async_open_ns[sm, w, unit], landed)
        cta = warps.cta_slot[sm, w]
        state.ctas.mem_done_ns[sm, cta] = max(state.ctas.mem_done_ns[sm, cta], landed)
        return
    if op == _ASYNC_WAIT:
        return
    groups = warps.async_group_ns.shape[3]
    oldest = warps.async_group_ns[sm, w, unit, groups - 1]
    warps.async_older_ns[sm, w, unit] = max(warps.async_older_ns[sm, w, unit], oldest)
    for group in range(groups - 1, 0, -1):
        warps.async_group_ns[sm, w, unit, group] = warps.async_group_ns[sm, w, unit, group - 1]
    warps.async_group_ns[sm, w, unit, 0] = warps.async_open_ns[sm, w, unit]
    warps.async_open_ns[sm, w, unit] = 0.0


@njit(cache=True, _nrt=False, inline="always")
def _current_address(prog: ProgramArrays, state: CoreState, sm: int, w: int, slot: int) -> int:
    """The address of the first active lane at warp ``w``'s next execution of memory slot
    ``slot``, without moving its cursors (-1: it accesses nothing). For an mbarrier's
    shared address: shared addresses never shift with the CTA index."""
    warps = state.warps
    mem_slots = prog.cta_shift.shape[1]
    execution = warps.mem_exec[sm, w, slot]
    end = prog.run_ptr[warps.stream[sm, w] * mem_slots + slot + 1]
    run = warps.mem_run[sm, w, slot]
    while run < end and execution >= prog.run_exec[run] + prog.run_count[run]:
        run += 1
    if run >= end or execution < prog.run_exec[run]:
        return -1
    mask = prog.run_mask[run]
    lane = 0
    while lane < memory.LANES - 1 and not mask & (1 << lane):
        lane += 1
    return prog.run_base[run, lane] + (execution - prog.run_exec[run]) * prog.run_stride[run]


@njit(cache=True, _nrt=False, inline="always")
def _barrier_index(state: CoreState, sm: int, cta: int, address: int) -> int:
    """The index of the CTA's mbarrier at shared ``address`` (-1: none initialised there)."""
    addresses = state.mbarriers.address
    for index in range(addresses.shape[2]):
        if addresses[sm, cta, index] == address:
            return index
    return -1


@njit(cache=True, _nrt=False, inline="always")
def _phase_done(prog: ProgramArrays, state: CoreState, sm: int, w: int, pc: int) -> float:
    """When the phase warp ``w``'s wait at ``pc`` is for completed: its k-th wait on a
    barrier waits for the barrier's phase k (``NEVER`` while that phase is open)."""
    cta = state.warps.cta_slot[sm, w]
    barrier = _barrier_index(
        state, sm, cta, _current_address(prog, state, sm, w, prog.mem_slot[pc])
    )
    if barrier < 0:
        return NEVER
    phase = state.warps.barrier_waits[sm, w, barrier]
    completed = state.mbarriers.phases[sm, cta, barrier]
    if phase >= completed:
        return NEVER
    if phase >= completed - 2:
        return state.mbarriers.done_ns[sm, cta, barrier, completed - 1 - phase]
    return 0.0


@njit(cache=True, _nrt=False, inline="always")
def _settle_phase(state: CoreState, sm: int, cta: int, barrier: int, warps_per_cta: int) -> None:
    """Complete the barrier's phase once every arrival is in and every expected byte has
    a copy, at the later of the last arrival and the last byte's landing; its waiting
    warps look again then."""
    bars = state.mbarriers
    if bars.pending[sm, cta, barrier] != 0 or bars.tx_bytes[sm, cta, barrier] != 0:
        return
    done = max(bars.arrived_ns[sm, cta, barrier], bars.landed_ns[sm, cta, barrier])
    bars.done_ns[sm, cta, barrier, 1] = bars.done_ns[sm, cta, barrier, 0]
    bars.done_ns[sm, cta, barrier, 0] = done
    bars.phases[sm, cta, barrier] += 1
    bars.pending[sm, cta, barrier] = bars.expected[sm, cta, barrier]
    bars.arrived_ns[sm, cta, barrier] = 0.0
    bars.landed_ns[sm, cta, barrier] = 0.0
    warps = state.warps
    first = cta * warps_per_cta
    for w in range(first, first + warps_per_cta):
        if warps.active[sm, w] and warps.next_ns[sm, w] == NEVER:
            warps.next_ns[sm, w] = done


@njit(cache=True, _nrt=False, inline="always")
def _mbarrier(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, w: int, pc: int, t: float
) -> None:
    """An ``mbarrier`` operation of warp ``w`` at ``t`` (``BarrierOp``)."""
    mask = lane_addresses(prog, state, sm, w, prog.mem_slot[pc])
    if mask == 0:
        return
    lane = 0
    while not mask & (1 << lane):
        lane += 1
    address = state.addresses[lane]
    cta = state.warps.cta_slot[sm, w]
    bars = state.mbarriers
    op = prog.barrier_op[pc]
    barrier = _barrier_index(state, sm, cta, address)
    if op == _BARRIER_INIT:
        if barrier < 0:
            barrier = _barrier_index(state, sm, cta, -1)
        if barrier < 0:
            return  # more barriers than tracked: waits on it never complete
        bars.address[sm, cta, barrier] = address
        bars.expected[sm, cta, barrier] = prog.operand[pc]
        bars.pending[sm, cta, barrier] = prog.operand[pc]
        bars.tx_bytes[sm, cta, barrier] = 0
        bars.arrived_ns[sm, cta, barrier] = 0.0
        bars.landed_ns[sm, cta, barrier] = 0.0
        bars.phases[sm, cta, barrier] = 0
        return
    if barrier < 0:
        return
    if op == _BARRIER_WAIT:
        state.warps.barrier_waits[sm, w, barrier] += 1
        return
    arrivals = memory.active_lanes(mask)
    bars.pending[sm, cta, barrier] -= arrivals
    bars.arrived_ns[sm, cta, barrier] = max(bars.arrived_ns[sm, cta, barrier], t)
    if prog.operand[pc] > 0:
        bars.tx_bytes[sm, cta, barrier] += prog.operand[pc] * arrivals
        state.warps.tx_barrier[sm, w] = barrier
    _settle_phase(state, sm, cta, barrier, params.warps_per_cta)


@njit(cache=True, _nrt=False, inline="always")
def _tensor_copy(
    prog: ProgramArrays,
    params: CoreParams,
    mem_params: MemoryParams,
    state: CoreState,
    mem: MemoryState,
    sm: int,
    w: int,
    pc: int,
    t: float,
) -> None:
    """A TMA box copy of warp ``w`` at ``t``: its rows through L2 into shared memory, its
    bytes completed on the barrier of the warp's last ``arrive.expect_tx`` when they land."""
    slot = prog.mem_slot[pc]
    mask = lane_addresses(prog, state, sm, w, slot)
    cta = state.warps.cta_slot[sm, w]
    rows = prog.operand[pc]
    box_bytes = prog.mem_width_bytes[pc]
    landed = t
    for lane in range(memory.LANES):
        if mask & (1 << lane):
            landed = max(
                landed,
                memory.tensor_copy(
                    mem_params,
                    mem,
                    sm,
                    state.addresses[lane],
                    rows,
                    box_bytes // rows,
                    prog.row_stride_bytes[pc],
                    t,
                    state.ctas.shadow_shifts[sm, cta, slot],
                    state.ctas.shadow_count[sm, cta],
                ),
            )
    state.ctas.mem_done_ns[sm, cta] = max(state.ctas.mem_done_ns[sm, cta], landed)
    barrier = state.warps.tx_barrier[sm, w]
    if barrier < 0:
        return
    bars = state.mbarriers
    bars.tx_bytes[sm, cta, barrier] -= box_bytes * memory.active_lanes(mask)
    bars.landed_ns[sm, cta, barrier] = max(bars.landed_ns[sm, cta, barrier], landed)
    _settle_phase(state, sm, cta, barrier, params.warps_per_cta)


@njit(cache=True, _nrt=False, inline="always")
def _can_issue(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, sp: int, w: int, t: float
) -> bool:
    """Whether warp ``w`` can issue at ``t``; if not, push its ``next_ns`` to when it might."""
    warps = state.warps
    if not warps.active[sm, w] or warps.at_barrier[sm, w] or warps.next_ns[sm, w] > t + EPS_NS:
        return False
    pc = warps.pc[sm, w]
    ready, _ = _operands_ready(prog, state, sm, w, pc)
    earliest = ready
    if not _queues_on_pipe(prog, pc):
        # A pipe takes a new instruction in the cycle it frees up in: an interval of 4.33
        # cycles issues at 4, 8, 12, 17, ... and keeps its exact average rate.
        pipe_free_ns = state.subpartitions.pipe_free_ns[sm, sp, prog.pipe[pc]]
        earliest = max(ready, pipe_free_ns - params.cycle_ns + 2 * EPS_NS)
    if earliest > t + EPS_NS:
        warps.next_ns[sm, w] = earliest
        return False
    return True


@njit(cache=True, _nrt=False, inline="always")
def _queues_on_pipe(prog: ProgramArrays, pc: int) -> bool:
    """Whether ``pc`` is a wgmma: an asynchronous operation without memory, which the
    tensor cores queue (it starts when its pipe frees), so its warp issues it and goes on."""
    return prog.async_op[pc] == _ASYNC_OPERATION and prog.mem_kind[pc] == _MEM_NONE


@njit(cache=True, _nrt=False, inline="always")
def _pick(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, sp: int, t: float
) -> int:
    """The warp the scheduler of (sm, sp) issues from at ``t``, or -1."""
    if state.subpartitions.scheduler_free_ns[sm, sp] > t + params.cycle_ns - EPS_NS:
        return -1
    slots = state.warps.active.shape[1]
    last = state.subpartitions.last_warp[sm, sp]
    count = (slots - sp + params.subpartitions - 1) // params.subpartitions
    greedy = params.scheduler == SCHEDULER_GTO
    # One loop and one call of the (inlined) readiness test for both policies. Greedy-then-
    # oldest tries the last warp first (step -1), then takes the oldest ready one; loose
    # round robin takes the first ready warp after the last one.
    start = 0 if last < 0 else (last - sp) // params.subpartitions + 1
    best = -1
    for step in range(-1, count):
        if step < 0:
            if not greedy or last < 0:
                continue
            w = last
        elif greedy:
            w = sp + step * params.subpartitions
            if w == last or (best >= 0 and state.warps.age[sm, w] >= state.warps.age[sm, best]):
                continue
        else:
            w = sp + ((start + step) % count) * params.subpartitions
        if _can_issue(prog, params, state, sm, sp, w, t):
            if step < 0 or not greedy:
                return w
            best = w
    return best


@njit(cache=True, _nrt=False, inline="always")
def lane_addresses(prog: ProgramArrays, state: CoreState, sm: int, w: int, slot: int) -> int:
    """Fill ``state.addresses`` for this execution of memory slot ``slot``; return its mask."""
    warps = state.warps
    mem_slots = prog.cta_shift.shape[1]
    execution = warps.mem_exec[sm, w, slot]
    warps.mem_exec[sm, w, slot] = execution + 1
    stream = warps.stream[sm, w]
    end = prog.run_ptr[stream * mem_slots + slot + 1]
    run = warps.mem_run[sm, w, slot]
    while run < end and execution >= prog.run_exec[run] + prog.run_count[run]:
        run += 1
    warps.mem_run[sm, w, slot] = run
    if run >= end or execution < prog.run_exec[run]:
        return 0
    step = (execution - prog.run_exec[run]) * prog.run_stride[run]
    cta = warps.cta_slot[sm, w]
    cta_class = state.ctas.cta_class[sm, cta]
    shift = 0
    for axis in range(3):
        offset = state.ctas.xyz[sm, cta, axis] - prog.class_lo[cta_class, axis]
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
    warps, subpartitions, counters = state.warps, state.subpartitions, state.counters
    pc = warps.pc[sm, w]
    pipe = prog.pipe[pc]
    ready, kind = _operands_ready(prog, state, sm, w, pc)
    pipe_was_free = subpartitions.pipe_free_ns[sm, sp, pipe]
    throttled_until = 0.0 if _queues_on_pipe(prog, pc) else pipe_was_free
    _attribute_stall(state, sm, w, t, params.cycle_ns, ready, kind, throttled_until, pipe)
    subpartitions.pipe_free_ns[sm, sp, pipe] = max(pipe_was_free, t) + prog.issue_ns[pc]
    # Slots accumulate (fractional ones share a cycle); a scheduler idle since before
    # ``t`` starts counting at ``t``.
    scheduler_free = subpartitions.scheduler_free_ns[sm, sp]
    slots_from = scheduler_free if scheduler_free > t + EPS_NS else t
    subpartitions.scheduler_free_ns[sm, sp] = slots_from + prog.slot_ns[pc]
    subpartitions.last_warp[sm, sp] = w
    counters.issued[sm, pipe] += 1
    counters.pipe_busy_ns[sm, pipe] += prog.issue_ns[pc]
    result = t + prog.latency_ns[pc]
    mem_kind = prog.mem_kind[pc]
    if mem_kind == _MEM_MBARRIER:
        _mbarrier(prog, params, state, sm, w, pc, t)
    elif mem_kind == _MEM_TENSOR_COPY:
        _tensor_copy(prog, params, mem_params, state, mem, sm, w, pc, t)
    elif mem_kind != _MEM_NONE:
        result = _memory(prog, mem_params, state, mem, sm, w, pc, mem_kind, t)
    op = prog.async_op[pc]
    if op != _ASYNC_NONE:
        if _queues_on_pipe(prog, pc):
            # A wgmma completes when its time on the tensor pipe ends.
            result = subpartitions.pipe_free_ns[sm, sp, pipe] + prog.latency_ns[pc]
        _track_async(state, sm, w, prog.async_unit[pc], op, result)
    if op != _ASYNC_OPERATION:
        # An asynchronous operation's registers are its own until its group's wait.
        for index in range(prog.dst_ptr[pc], prog.dst_ptr[pc + 1]):
            register = prog.dst[index]
            warps.reg_ready_ns[sm, w, register] = result
            warps.reg_producer[sm, w, register] = prog.producer[pc]
    warps.accounted_ns[sm, w] = t
    # A warp issues at most once a cycle, unless its instruction took only part of the
    # slot (the scheduler's budget then decides).
    whole_slot = prog.slot_ns[pc] >= params.cycle_ns - EPS_NS
    warps.next_ns[sm, w] = t + params.cycle_ns if whole_slot else t
    if prog.is_barrier[pc]:
        arrive_at_barrier(params, state, sm, w, t)
    if prog.is_exit[pc]:
        retire_warp(params, state, sm, w, t + params.cycle_ns)
        return
    advance(prog, params, state, sm, w, t)


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
    """Send a memory instruction's lanes to the hierarchy; when its result is ready."""
    slot = prog.mem_slot[pc]
    mask = lane_addresses(prog, state, sm, w, slot)
    width = prog.mem_width_bytes[pc]
    cta = state.warps.cta_slot[sm, w]
    shadow_shifts = state.ctas.shadow_shifts[sm, cta, slot]
    shadow_count = state.ctas.shadow_count[sm, cta]
    addresses, scratch = state.addresses, state.sectors
    if mem_kind in (GLOBAL_LOAD, GLOBAL_ATOMIC):
        return memory.global_load(
            mem_params, mem, sm, addresses, mask, width, t, scratch, shadow_shifts, shadow_count
        )
    if mem_kind == GLOBAL_STORE:
        accepted = memory.global_store(
            mem_params, mem, sm, addresses, mask, width, t, scratch, shadow_shifts, shadow_count
        )
        state.ctas.mem_done_ns[sm, cta] = max(state.ctas.mem_done_ns[sm, cta], accepted)
        return t
    return memory.shared_access(mem_params, mem, sm, addresses, mask, width, t, scratch)


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
    stall_ns = state.counters.stall_ns
    waited_from = state.warps.accounted_ns[sm, w] + cycle_ns
    if t <= waited_from:
        return
    scoreboard_end = min(max(ready, waited_from), t)
    if scoreboard_end > waited_from:
        reason = _STALL_WAIT
        if kind == _LONG:
            reason = _STALL_LONG
        elif kind == _SHORT:
            reason = _STALL_SHORT
        elif kind == _ASYNC:
            reason = _STALL_ASYNC
        elif kind == _MBARRIER:
            reason = _STALL_MBARRIER
        elif kind == _WGMMA:
            reason = _STALL_WGMMA
        stall_ns[sm, reason] += scoreboard_end - waited_from
    throttle_end = min(max(pipe_free, scoreboard_end), t)
    if throttle_end > scoreboard_end:
        reason = _STALL_LSU if pipe == _PIPE_LSU else _STALL_MATH
        stall_ns[sm, reason] += throttle_end - scoreboard_end
    if t > throttle_end:
        stall_ns[sm, _STALL_NOT_SELECTED] += t - throttle_end
