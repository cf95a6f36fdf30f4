"""The lives of CTAs and warps on an SM: dispatch, walking visits, barriers, retirement.

A CTA takes a free CTA slot and its warps take that slot's warp slots; each warp walks its
stream of basic-block visits. A CTA ends when its last warp retires and all their loads and
stores have landed; the ends are listed in ``CoreState.completions`` for the SimPy layer.
Inlined into the issue loop (``gpusim.hw.sm.issue``), except ``dispatch_cta``, which the
SimPy layer calls.
"""

from __future__ import annotations

from gpusim.hw.sm.jit import njit
from gpusim.hw.sm.stalls import Stall
from gpusim.hw.sm.state import NEVER, CoreParams, CoreState, ProgramArrays, Simulation

_STALL_BARRIER = int(Stall.BARRIER)


@njit(cache=True, _nrt=False)
def dispatch_cta(sim: Simulation, sm: int, cta_id: int, t: float) -> bool:
    """Start CTA ``cta_id`` on a free CTA slot of ``sm`` at ``t``; False if none is free."""
    prog, params, state = sim.program, sim.params, sim.state
    ctas, warps = state.ctas, state.warps
    slot_of_cta = -1
    for slot in range(params.cta_slots):
        if not ctas.active[sm, slot]:
            slot_of_cta = slot
            break
    if slot_of_cta < 0:
        return False
    cx, cy, cz = _cta_xyz(params, cta_id)
    ctas.active[sm, slot_of_cta] = True
    ctas.cta_id[sm, slot_of_cta] = cta_id
    ctas.xyz[sm, slot_of_cta, 0] = cx
    ctas.xyz[sm, slot_of_cta, 1] = cy
    ctas.xyz[sm, slot_of_cta, 2] = cz
    ctas.warps_alive[sm, slot_of_cta] = params.warps_per_cta
    ctas.warps_at_barrier[sm, slot_of_cta] = 0
    ctas.start_ns[sm, slot_of_cta] = t
    ctas.mem_done_ns[sm, slot_of_cta] = t
    state.mbarriers.address[sm, slot_of_cta, :] = -1
    cta_class = prog.cta_class[cta_id]
    ctas.cta_class[sm, slot_of_cta] = cta_class
    mem_slots = prog.cta_shift.shape[1]
    _plan_shadows(prog, params, state, sm, slot_of_cta, cta_id)
    for warp in range(params.warps_per_cta):
        w = slot_of_cta * params.warps_per_cta + warp
        stream = cta_class * params.warps_per_cta + warp
        warps.active[sm, w] = True
        warps.cta_slot[sm, w] = slot_of_cta
        warps.stream[sm, w] = stream
        warps.visit[sm, w] = prog.visit_ptr[stream]
        warps.visit_end[sm, w] = prog.visit_ptr[stream + 1]
        warps.next_ns[sm, w] = t
        warps.accounted_ns[sm, w] = t
        warps.start_ns[sm, w] = t
        warps.at_barrier[sm, w] = False
        warps.age[sm, w] = state.next_age[0]
        state.next_age[0] += 1
        warps.reg_ready_ns[sm, w, :] = 0.0
        warps.reg_producer[sm, w, :] = 0
        warps.async_open_ns[sm, w, :] = 0.0
        warps.async_group_ns[sm, w, :, :] = 0.0
        warps.async_older_ns[sm, w, :] = 0.0
        warps.barrier_waits[sm, w, :] = 0
        warps.tx_barrier[sm, w] = -1
        for m in range(mem_slots):
            warps.mem_exec[sm, w, m] = 0
            warps.mem_run[sm, w, m] = prog.run_ptr[stream * mem_slots + m]
        if not enter_visit(prog, state, sm, w):
            retire_warp(params, state, sm, w, t)
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
    for shadow in range(state.shadow_sms[sm]):
        other = cta_id + 1 + shadow
        if other >= params.total_ctas:
            break
        ox, oy, oz = _cta_xyz(params, other)
        for m in range(shifts.shape[0]):
            state.ctas.shadow_shifts[sm, slot, m, shadow] = (
                (ox - x) * shifts[m, 0] + (oy - y) * shifts[m, 1] + (oz - z) * shifts[m, 2]
            )
        count += 1
    state.ctas.shadow_count[sm, slot] = count


@njit(cache=True, _nrt=False, inline="always")
def enter_visit(prog: ProgramArrays, state: CoreState, sm: int, w: int) -> bool:
    """Point warp ``w`` at the first instruction of its current visit; False at the end."""
    warps = state.warps
    visit = warps.visit[sm, w]
    if visit >= warps.visit_end[sm, w]:
        return False
    block = prog.visit_bb[visit]
    warps.pc[sm, w] = prog.bb_start[block]
    warps.block_end[sm, w] = prog.bb_start[block + 1]
    warps.mask[sm, w] = prog.visit_mask[visit]
    return True


@njit(cache=True, _nrt=False, inline="always")
def retire_warp(params: CoreParams, state: CoreState, sm: int, w: int, t: float) -> None:
    """Retire warp ``w`` after its last instruction; its CTA ends when every warp has and all
    their loads and stores have landed."""
    warps, ctas, done = state.warps, state.ctas, state.completions
    warps.active[sm, w] = False
    warps.next_ns[sm, w] = NEVER
    state.counters.warp_ns[sm] += t - warps.start_ns[sm, w]
    cta = warps.cta_slot[sm, w]
    landed = ctas.mem_done_ns[sm, cta]
    for register in range(warps.reg_ready_ns.shape[2]):
        landed = max(landed, warps.reg_ready_ns[sm, w, register])
    ctas.mem_done_ns[sm, cta] = landed
    ctas.warps_alive[sm, cta] -= 1
    if ctas.warps_alive[sm, cta] == 0:
        ctas.active[sm, cta] = False
        index = done.total[0]
        done.sm[index] = sm
        done.slot[index] = cta
        done.end_ns[index] = max(t, ctas.mem_done_ns[sm, cta])
        done.total[0] = index + 1
    elif (
        ctas.warps_at_barrier[sm, cta] == ctas.warps_alive[sm, cta]
        and ctas.warps_at_barrier[sm, cta] > 0
    ):
        _release_barrier(params, state, sm, cta, t)


@njit(cache=True, _nrt=False, inline="always")
def _release_barrier(params: CoreParams, state: CoreState, sm: int, cta: int, t: float) -> None:
    """Let CTA ``cta``'s warps past its barrier; their wait there is a barrier stall."""
    warps = state.warps
    release = t + params.barrier_latency_ns
    first = cta * params.warps_per_cta
    for w in range(first, first + params.warps_per_cta):
        if warps.active[sm, w] and warps.at_barrier[sm, w]:
            warps.at_barrier[sm, w] = False
            state.counters.stall_ns[sm, _STALL_BARRIER] += release - warps.accounted_ns[sm, w]
            warps.accounted_ns[sm, w] = release
            warps.next_ns[sm, w] = release
    state.ctas.warps_at_barrier[sm, cta] = 0


@njit(cache=True, _nrt=False, inline="always")
def arrive_at_barrier(params: CoreParams, state: CoreState, sm: int, w: int, t: float) -> None:
    """Warp ``w`` waits at ``bar.sync``; the last of its CTA to arrive releases them all."""
    cycle_ns = params.cycle_ns
    warps, ctas = state.warps, state.ctas
    cta = warps.cta_slot[sm, w]
    warps.at_barrier[sm, w] = True
    warps.accounted_ns[sm, w] = t + cycle_ns
    ctas.warps_at_barrier[sm, cta] += 1
    if ctas.warps_at_barrier[sm, cta] == ctas.warps_alive[sm, cta]:
        _release_barrier(params, state, sm, cta, t + cycle_ns)


@njit(cache=True, _nrt=False, inline="always")
def advance(
    prog: ProgramArrays, params: CoreParams, state: CoreState, sm: int, w: int, t: float
) -> None:
    """Move warp ``w`` past the instruction it issued; retire it after its last visit."""
    warps = state.warps
    pc = warps.pc[sm, w] + 1
    if pc < warps.block_end[sm, w]:
        warps.pc[sm, w] = pc
        return
    warps.visit[sm, w] += 1
    if not enter_visit(prog, state, sm, w):
        retire_warp(params, state, sm, w, t + params.cycle_ns)
    else:
        _mark_period(prog, state, sm, w)


@njit(cache=True, _nrt=False, inline="always")
def _mark_period(prog: ProgramArrays, state: CoreState, sm: int, w: int) -> None:
    """Count warp ``w`` entering a new period of its steady loop. Every warp counts: in a
    kernel without barriers the first warp of a CTA runs ahead of the others while they
    start (GTO favours it), so its periods alone overstate the CTA's progress early on
    (by 1% over a window of 4 periods of an HBM stream)."""
    stream = state.warps.stream[sm, w]
    count = prog.loop_count[stream]
    if count == 0:
        return
    offset = state.warps.visit[sm, w] - prog.visit_ptr[stream] - prog.loop_start[stream]
    period = prog.loop_period[stream]
    if offset >= 0 and offset % period == 0 and offset // period < count:
        state.periods_begun[0] += 1
        state.sm_periods[sm] += 1
