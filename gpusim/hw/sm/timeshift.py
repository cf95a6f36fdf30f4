"""Fast mode's moves of the SM state over work it does not simulate one instruction at a time.

A loop jump (``gpusim.hw.sm.loopskip``) moves CTAs whole loop periods ahead
(``skip_periods``), walks the last of those periods' global accesses through L2 untimed
(``replay_periods``) and moves every pending time later (``shift_times``); a round skip
(``gpusim.hw.sm.roundskip``) moves the times only.
"""

from __future__ import annotations

from gpusim.hw.sm import calendar, memory
from gpusim.hw.sm.issue import GLOBAL_ATOMIC, GLOBAL_LOAD, GLOBAL_STORE, lane_addresses
from gpusim.hw.sm.jit import njit
from gpusim.hw.sm.memory import MemoryParams, MemoryState
from gpusim.hw.sm.state import F64, I64, NEVER, CoreParams, CoreState, ProgramArrays, Simulation


@njit(cache=True)
def _shift(flat: F64, delta_ns: float) -> None:
    for index in range(flat.size):
        if flat[index] != NEVER:
            flat[index] += delta_ns


@njit(cache=True)
def skip_periods(sim: Simulation, sm: int, cta: int, periods: int, unreplayed: int) -> None:
    """Move every warp of CTA slot ``cta`` ``periods`` periods further through its loop's
    visits, and its memory instructions the first ``unreplayed`` of them: ``replay_periods``
    walks them through the rest."""
    prog, params, warps = sim.program, sim.params, sim.state.warps
    first = cta * params.warps_per_cta
    for w in range(first, first + params.warps_per_cta):
        if not warps.active[sm, w]:
            continue
        stream = warps.stream[sm, w]
        warps.visit[sm, w] += periods * prog.loop_period[stream]
        for m in range(prog.loop_execs.shape[1]):
            warps.mem_exec[sm, w, m] += unreplayed * prog.loop_execs[stream, m]


@njit(cache=True, _nrt=False)
def replay_periods(sim: Simulation, sms: I64, ctas: I64, periods: int) -> None:
    """Replay ``periods`` skipped periods of the CTA slots ``(sms[i], ctas[i])``, period by
    period, taking the CTAs in turn within each (as they would have run)."""
    prog, params, mem_params, state, mem = sim
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
    warps, ctas = state.warps, state.ctas
    first = cta * params.warps_per_cta
    for w in range(first, first + params.warps_per_cta):
        if not warps.active[sm, w]:
            continue
        stream = warps.stream[sm, w]
        for m in range(prog.loop_execs.shape[1]):
            kind = prog.slot_kind[m]
            if kind not in (GLOBAL_LOAD, GLOBAL_STORE, GLOBAL_ATOMIC):
                warps.mem_exec[sm, w, m] += prog.loop_execs[stream, m]
                continue
            for _ in range(prog.loop_execs[stream, m]):
                mask = lane_addresses(prog, state, sm, w, m)
                sectors = memory.coalesce(
                    state.addresses,
                    mask,
                    prog.slot_width_bytes[m],
                    mem_params.sector_bytes,
                    state.sectors,
                )
                store = kind == GLOBAL_STORE
                for index in range(sectors):
                    address = state.sectors[index]
                    memory.l2_replay(mem_params, mem, sm, address, store)
                    for shadow in range(ctas.shadow_count[sm, cta]):
                        shifted = address + ctas.shadow_shifts[sm, cta, m, shadow]
                        memory.l2_replay(mem_params, mem, sm, shifted, store)


@njit(cache=True)
def shift_times(sim: Simulation, sm_delta_ns: F64, shared_delta_ns: float, starts: bool) -> None:
    """Move every pending time of SM ``sm`` (its warps, pipes and L1) ``sm_delta_ns[sm]``
    later, and those of L2 and HBM ``shared_delta_ns``: fast mode's jumps over work it does
    not simulate one by one. ``starts``: move the CTAs' and warps' start times too (CTAs
    that stand for later ones), or not (CTAs that lived through the jump)."""
    state, mem = sim.state, sim.mem
    warps, ctas, subpartitions = state.warps, state.ctas, state.subpartitions
    for sm in range(sm_delta_ns.size):
        delta_ns = sm_delta_ns[sm]
        _shift(warps.next_ns[sm], delta_ns)
        _shift(warps.accounted_ns[sm], delta_ns)
        if starts:
            _shift(warps.start_ns[sm], delta_ns)
            _shift(ctas.start_ns[sm], delta_ns)
        _shift(ctas.mem_done_ns[sm], delta_ns)
        _shift(warps.reg_ready_ns[sm].reshape(-1), delta_ns)
        _shift(warps.async_open_ns[sm].reshape(-1), delta_ns)
        _shift(warps.async_group_ns[sm].reshape(-1), delta_ns)
        _shift(warps.async_older_ns[sm].reshape(-1), delta_ns)
        _shift(state.mbarriers.arrived_ns[sm].reshape(-1), delta_ns)
        _shift(state.mbarriers.landed_ns[sm].reshape(-1), delta_ns)
        _shift(state.mbarriers.done_ns[sm].reshape(-1), delta_ns)
        _shift(subpartitions.pipe_free_ns[sm].reshape(-1), delta_ns)
        _shift(subpartitions.scheduler_free_ns[sm], delta_ns)
        _shift(mem.l1_ready[sm].reshape(-1), delta_ns)
        _shift(mem.l1_port_free[sm : sm + 1], delta_ns)
        for index in range(mem.mshr_count[sm]):
            mem.mshr[sm, index] += delta_ns
    _shift(mem.l2_ready.reshape(-1), shared_delta_ns)
    calendar.shift(mem.l2_slots, shared_delta_ns)
    calendar.shift(mem.dram_slots, shared_delta_ns)
