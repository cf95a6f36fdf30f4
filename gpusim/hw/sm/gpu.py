"""One GPU running one kernel: the SimPy layer over the SM core.

SimPy holds the GPU-level timeline: the launch overhead, then a CTA dispatcher that fills
the SMs up to the occupancy limit and, each time CTAs complete, gives the freed slots the
next CTAs. Between those events the jitted core (``gpusim.hw.sm.core``) advances the simulated
SMs cycle by cycle; it returns at every CTA completion, so dispatch decisions are SimPy
events at the moment they happen.

Two modes share that machinery:

- **detailed**: every SM, every warp, every instruction; CTAs are dispatched in order to
  whichever SM frees a slot.
- **fast**: a few representative SMs, spread over the GPU, each run every ``sm.count``-th
  CTA from their position (the CTAs an SM gets when all progress in step); each stands for
  the SMs after it, *shadows* whose L2 and HBM traffic is its traffic shifted to their
  CTAs' addresses, so caches and memory see the whole GPU's load. The kernel ends when the
  slowest representative does: SMs differ by where their data falls in L2 and HBM, and the
  kernel waits for the slowest. Once the representatives' rounds of CTAs take a steady
  time, the rounds in between are skipped (time and counters advanced by whole rounds) and
  the last rounds, where the grid runs out, are simulated again.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from gpusim.errors import EngineError
from gpusim.hw.sm import core
from gpusim.hw.sm.bottleneck import describe_bottleneck
from gpusim.hw.sm.loopskip import CacheCounts, LoopSkipper
from gpusim.hw.sm.memory import (
    C_DRAM_READ_BYTES,
    C_DRAM_WRITE_BYTES,
    C_L1_HIT_SECTORS,
    C_L1_MISS_SECTORS,
    C_L2_HIT_SECTORS,
    C_L2_MISS_SECTORS,
    C_L2_STORE_SECTORS,
    C_SHARED_REQUESTS,
    C_SHARED_WAVEFRONTS,
    L2_COUNTERS,
    MemoryState,
    memory_params,
    new_memory_state,
)
from gpusim.hw.sm.occupancy import Occupancy, occupancy
from gpusim.hw.sm.program import EngineProgram, Pipe
from gpusim.hw.sm.result import CtaSpan, KernelResult, Mode
from gpusim.hw.sm.schedulers import scheduler_code
from gpusim.hw.sm.stalls import Stall
from gpusim.spec.gpu import GpuSpec
from gpusim.units import KIB, cycles_to_ns, ns_to_s, s_to_ns

BARRIER_LATENCY_CYCLES = 2
"""Cycles from the last warp's arrival at bar.sync to the release of the CTA's warps."""
CARVEOUT_GRANULE_BYTES = 8 * KIB
"""The L1/shared split moves in steps of this size; L1 keeps what shared memory leaves."""
STEADY_TOLERANCE = 0.03
"""Fast mode: the measured rounds of CTAs are steady when their mean times differ by at
most this share. Loop jumps extrapolate each CTA's loop from a short window, so steady
rounds scatter by about 2% (8192^3 register-blocked GEMM: 2525 to 2640 us a round); a 1%
test waited for a lucky pair of rounds (the sixth, there), and the mean of two rounds
carries half the scatter of one."""
STEADY_L2_HIT_POINTS = 0.02
"""Fast mode: ... and their L2 hit ratios by at most this much. L2 carries state from round
to round: as the grid's rows sweep a matrix larger than L2, its hit ratio can cycle over
several rounds (0.85 to 0.99 every 8 rounds on a 4096^3 tiled-16 GEMM, whose round time
follows it), and rounds in different phases are not steady."""
WARM_ROUNDS = 1
"""Fast mode: rounds simulated before any is measured (the first sees cold caches)."""
MEASURED_ROUNDS = 2
"""Fast mode: the last rounds whose steadiness is judged and whose mean time and counter
growth are extrapolated over the rounds skipped."""
REPRESENTATIVE_SMS = 4
"""Fast mode: SMs simulated in full (each with the traffic of the SMs it stands for)."""
SHORT_GRID_REPRESENTATIVES = 64
"""Fast mode, for grids of at most ``SHORT_GRID_WAVES`` waves: a kernel ends with its
slowest SM, and when it is over in a wave or two that maximum over all SMs is a visible
share of its time. Under GTO an SM's CTAs fall into a fast or a slow rhythm, and a handful
of samples can miss the slow one (16 representatives: 6.3% short of detailed mode on a
1024^3 register-blocked GEMM); 64 come within 3% on every GEMM at 512^3 and 1024^3."""
SHORT_GRID_WAVES = 2.0


@dataclass(frozen=True)
class _Setup:
    gpu: GpuSpec
    program: EngineProgram
    occupancy: Occupancy
    mode: Mode
    params: core.CoreParams
    arrays: core.ProgramArrays

    @property
    def simulated_sms(self) -> int:
        return self.params.sms


def simulate_kernel(
    program: EngineProgram,
    gpu: GpuSpec,
    *,
    mode: Mode = "fast",
    scheduler: str = "gto",
    timeline: bool = False,
    progress: Callable[[float], None] | None = None,
) -> KernelResult:
    """Simulate one launch of ``program`` on ``gpu``.

    ``timeline`` adds the spans of the CTAs that were simulated (every CTA in detailed mode,
    the representative SMs' in fast mode); it costs nothing when off. ``progress`` is called
    with the fraction of the grid done, after each batch of CTAs completes.
    """
    if mode not in ("fast", "detailed"):
        raise EngineError(f"mode: must be 'fast' or 'detailed', got {mode!r}")
    setup = _setup(program, gpu, scheduler, mode)
    run = _KernelRun(setup, progress)
    env = simpy.Environment()
    env.process(run.kernel(env))
    env.run()
    return run.result(timeline=timeline)


def _setup(program: EngineProgram, gpu: GpuSpec, scheduler: str, mode: Mode) -> _Setup:
    occ = occupancy(
        gpu,
        threads_per_cta=program.threads_per_cta,
        registers_per_thread=program.registers_per_thread,
        shared_bytes_per_cta=program.shared_bytes_per_cta,
    )
    detailed = mode == "detailed"
    waves = program.cta_count / (occ.ctas_per_sm * gpu.sm.count)
    wanted = SHORT_GRID_REPRESENTATIVES if waves <= SHORT_GRID_WAVES else REPRESENTATIVE_SMS
    representatives = min(wanted, gpu.sm.count)
    params = core.CoreParams(
        cycle_ns=cycles_to_ns(1.0, gpu.sm.clock_hz),
        sms=gpu.sm.count if detailed else representatives,
        subpartitions=gpu.sm.warp_schedulers,
        cta_slots=occ.ctas_per_sm,
        warps_per_cta=program.warps_per_cta,
        barrier_latency_ns=cycles_to_ns(BARRIER_LATENCY_CYCLES, gpu.sm.clock_hz),
        scheduler=scheduler_code(scheduler),
        grid_x=program.grid[0],
        grid_y=program.grid[1],
        total_ctas=program.cta_count,
        shadows=0 if detailed else -(-gpu.sm.count // representatives) - 1,
    )
    return _Setup(gpu, program, occ, mode, params, core.program_arrays(program))


def l1_cache_bytes(gpu: GpuSpec, occ: Occupancy) -> int:
    """What the L1/shared SRAM leaves to the L1 cache once resident CTAs have their shared
    memory (the carve-out rounded up to its granule)."""
    shared = occ.ctas_per_sm * occ.shared_bytes_per_cta
    carveout = -(-shared // CARVEOUT_GRANULE_BYTES) * CARVEOUT_GRANULE_BYTES
    return max(gpu.l1.size_bytes - carveout, CARVEOUT_GRANULE_BYTES)


@dataclass(frozen=True)
class _Snapshot:
    """The extensive counters at one CTA completion, for extrapolating whole rounds."""

    t_ns: float
    arrays: tuple[np.ndarray, ...]


class _KernelRun:
    """The SimPy processes of one kernel launch, and the counters they leave."""

    def __init__(self, setup: _Setup, progress: Callable[[float], None] | None) -> None:
        self._setup = setup
        self._progress = progress
        gpu = setup.gpu
        self._mem_params = memory_params(gpu, l1_cache_bytes(gpu, setup.occupancy))
        self._mem: MemoryState = new_memory_state(self._mem_params, setup.simulated_sms)
        self._state = core.new_core_state(
            setup.params,
            warp_slots=setup.occupancy.ctas_per_sm * setup.program.warps_per_cta,
            register_count=setup.program.register_count,
            mem_slots=setup.program.mem_slots,
        )
        if setup.mode == "fast":
            reps = setup.simulated_sms
            for rep in range(reps):
                following = self._position(rep + 1) if rep + 1 < reps else setup.gpu.sm.count
                self._state.sm_shadows[rep] = following - self._position(rep) - 1
        self._loops = (
            LoopSkipper(
                setup.arrays,
                setup.params,
                counters=self._live_counters,
                advance=self._advance_over_jump,
                cache_counts=self._cache_counts,
                l2_capacity_sectors=setup.gpu.l2.size_bytes // self._mem_params.sector_bytes,
                replay=self._replay_periods,
            )
            if setup.mode == "fast"
            else None
        )
        self._spans: list[CtaSpan] = []
        self._snapshots: list[_Snapshot] = []
        self._durations_ns: list[float] = []
        self._skipped = False
        self._start_ns = 0.0
        self._end_ns = 0.0

    # -- the SimPy process -------------------------------------------------------------

    def kernel(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """Launch overhead, then dispatch CTAs until all have run."""
        setup = self._setup
        yield env.timeout(s_to_ns(setup.gpu.launch_overhead_s))
        self._start_ns = env.now
        queues = self._cta_queues()
        planned = self._queued(queues)
        resident = 0
        for _ in range(setup.params.cta_slots):
            for sm in range(setup.simulated_sms):
                if queues[sm]:
                    self._dispatch(sm, queues[sm].pop(), env.now)
                    resident += 1
        while resident:
            t = core.run_until_ctas_complete(
                setup.arrays,
                setup.params,
                self._mem_params,
                self._state,
                self._mem,
                env.now,
                self._loops.budget(self._state) if self._loops else 0,
            )
            if math.isinf(t):
                raise EngineError(
                    f"{setup.program.name}: {resident} CTA(s) never finish "
                    "(their warps wait at a barrier that not all of them reach)"
                )
            yield env.timeout(t - env.now)
            freed = self._collect_completions()
            resident -= len(freed)
            if self._loops:
                self._loops.observe(env.now, self._state)
                jumped_ns = 0.0 if freed else self._loops.jump(self._state, self._mem, env.now)
                if jumped_ns:
                    yield env.timeout(jumped_ns)
            skip_ns = self._rounds_to_skip(queues)
            if self._progress is not None:
                self._progress(1.0 - (resident + self._queued(queues)) / planned)
            if skip_ns:
                sm_skip_ns = np.full(setup.simulated_sms, skip_ns)
                core.shift_times(self._state, self._mem, sm_skip_ns, skip_ns, True)
                if self._loops:
                    self._loops.forget()
                yield env.timeout(skip_ns)
            for sm in freed:
                if queues[sm]:
                    self._dispatch(sm, queues[sm].pop(), env.now + setup.params.cycle_ns)
                    resident += 1

    def _queued(self, queues: list[list[int]]) -> int:
        """CTAs not yet dispatched (detailed mode's SMs share one queue)."""
        distinct = {id(queue): len(queue) for queue in queues}
        return sum(distinct.values())

    def _cta_queues(self) -> list[list[int]]:
        """Per simulated SM, the CTA ids it will run, the next one last.

        Detailed mode: one queue shared by every SM (a freed SM takes the next CTA). Fast
        mode: representative ``r`` sits at SM ``representative_position(r)`` and runs every
        ``sm.count``-th CTA from there.
        """
        total, count = self._setup.program.cta_count, self._setup.gpu.sm.count
        if self._setup.mode == "detailed":
            shared = list(range(total))[::-1]
            return [shared] * self._setup.simulated_sms
        return [
            list(range(self._position(rep), total, count))[::-1]
            for rep in range(self._setup.simulated_sms)
        ]

    def _position(self, rep: int) -> int:
        """The SM representative ``rep`` sits at; it stands for the SMs up to the next's."""
        return rep * self._setup.gpu.sm.count // self._setup.simulated_sms

    def _dispatch(self, sm: int, cta: int, t_ns: float) -> None:
        setup = self._setup
        core.dispatch_cta(setup.arrays, setup.params, self._state, sm, cta, t_ns)

    def _collect_completions(self) -> list[int]:
        state = self._state
        freed = []
        for index in range(int(state.done_count[0])):
            sm, slot = int(state.done_sm[index]), int(state.done_slot[index])
            start_ns, end_ns = float(state.c_start[sm, slot]), float(state.done_t[index])
            self._spans.append(
                CtaSpan(
                    sm=sm,
                    cta=int(state.c_id[sm, slot]),
                    start_s=ns_to_s(start_ns),
                    end_s=ns_to_s(end_ns),
                )
            )
            self._durations_ns.append(end_ns - start_ns)
            self._snapshots.append(_Snapshot(end_ns, self._counters()))
            self._end_ns = max(self._end_ns, end_ns)
            freed.append(sm)
        return freed

    # -- fast mode: skipping steady rounds ----------------------------------------------

    def _rounds_to_skip(self, queues: list[list[int]]) -> float:
        """In fast mode, once the last ``MEASURED_ROUNDS`` are steady: skip every whole
        round left in the representatives' queues, at those rounds' mean time and counter
        growth; returns the time skipped (0: none). The CTAs left over (the resident ones
        and the last, partial wave, where the grid runs out) are simulated; keeping one
        more whole round changed the time by at most 0.7% on the multi-wave GEMMs at
        2048^3 to 8192^3 (all within 1.1% of runs without a round skip) and cost about
        2 s at 8192^3."""
        if self._setup.mode != "fast" or self._skipped:
            return 0.0
        per_round = self._setup.params.cta_slots * self._setup.simulated_sms
        done = len(self._durations_ns)
        if done < (WARM_ROUNDS + MEASURED_ROUNDS) * per_round or done % per_round:
            return 0.0
        times = [
            np.mean(self._durations_ns[done - (r + 1) * per_round : done - r * per_round])
            for r in range(MEASURED_ROUNDS)
        ]
        if max(times) - min(times) > STEADY_TOLERANCE * min(times):
            return 0.0
        ends = [self._snapshots[done - 1 - r * per_round] for r in range(MEASURED_ROUNDS + 1)]
        hits = [_l2_hit_ratio(later, earlier) for later, earlier in itertools.pairwise(ends)]
        if max(hits) - min(hits) > STEADY_L2_HIT_POINTS:
            return 0.0
        slots = self._setup.params.cta_slots
        rounds = min(len(queue) for queue in queues) // slots
        if rounds < 1:
            return 0.0
        now, earlier = ends[0], ends[-1]
        scale = rounds / MEASURED_ROUNDS
        for live, current, before in zip(
            self._live_counters(), now.arrays, earlier.arrays, strict=True
        ):
            live += ((current - before) * scale).astype(live.dtype)
        for queue in queues:
            del queue[len(queue) - rounds * slots :]
        self._skipped = True
        return scale * (now.t_ns - earlier.t_ns)

    def _replay_periods(self, ctas: list[tuple[int, int]], periods: int) -> None:
        setup = self._setup
        core.replay_periods(
            setup.arrays,
            setup.params,
            self._mem_params,
            self._state,
            self._mem,
            np.array([sm for sm, _ in ctas], dtype=np.int64),
            np.array([slot for _, slot in ctas], dtype=np.int64),
            periods,
        )

    def _advance_over_jump(
        self, before: tuple[np.ndarray, ...], scale: float, unreplayed_share: float
    ) -> None:
        """Fast mode's jump over loop periods: each counter grows ``scale`` times its growth
        since ``before``; the L2 and HBM ones only over the share of the jump that was not
        replayed through L2 (the replay counts the rest). The warps' lifetimes are settled
        when they retire, and do not move."""
        issued, pipe_busy_ns, stall_ns, _, mem_counters = self._live_counters()
        for live, old in zip((issued, pipe_busy_ns, stall_ns), before[:3], strict=True):
            live += ((live - old) * scale).astype(live.dtype)
        share = np.ones(mem_counters.shape[1])
        share[list(L2_COUNTERS)] = unreplayed_share
        mem_counters += ((mem_counters - before[4]) * scale * share).astype(mem_counters.dtype)

    def _cache_counts(self) -> CacheCounts:
        """Sectors asked of L1 and of L2 so far (L2: loads that hit or missed, and stores)."""
        total = self._mem.counters.sum(axis=0)
        return CacheCounts(
            l1_hit_sectors=int(total[C_L1_HIT_SECTORS]),
            l1_sectors=int(total[C_L1_HIT_SECTORS] + total[C_L1_MISS_SECTORS]),
            l2_hit_sectors=int(total[C_L2_HIT_SECTORS]),
            l2_sectors=int(
                total[C_L2_HIT_SECTORS] + total[C_L2_MISS_SECTORS] + total[C_L2_STORE_SECTORS]
            ),
        )

    def _live_counters(self) -> tuple[np.ndarray, ...]:
        """The extensive counters of the simulated SMs and the memory hierarchy."""
        state, mem = self._state, self._mem
        return (
            state.issued,
            state.pipe_busy_ns,
            state.stall_ns,
            state.warp_ns,
            mem.counters,
        )

    def _counters(self) -> tuple[np.ndarray, ...]:
        """A copy of the extensive counters, for a snapshot."""
        return tuple(array.copy() for array in self._live_counters())

    # -- the result ---------------------------------------------------------------------

    def result(self, *, timeline: bool) -> KernelResult:
        """The counters, turned into a ``KernelResult``."""
        setup = self._setup
        gpu, program = setup.gpu, setup.program
        issued, pipe_busy, stall_ns, warp_ns, counters = self._final_counters()
        cycle_ns = setup.params.cycle_ns
        execution_ns = self._end_ns - self._start_ns
        execution_s = ns_to_s(execution_ns)
        sms = setup.simulated_sms
        instructions = float(program.warp_instructions)
        slots_ns = execution_ns * sms * gpu.sm.warp_schedulers
        stall_total = float(stall_ns.sum())
        dram_bytes = float(counters[C_DRAM_READ_BYTES] + counters[C_DRAM_WRITE_BYTES])
        dram_bandwidth = dram_bytes / execution_s if execution_s else 0.0
        sustained = gpu.dram.bandwidth_bytes_per_s * gpu.dram.efficiency
        total_flops = program.flops
        pipe_utilisation = {
            pipe.name.lower(): float(pipe_busy[pipe]) / slots_ns if slots_ns else 0.0
            for pipe in Pipe
        }
        stall_fractions = {
            stall.name.lower(): float(stall_ns[stall]) / stall_total if stall_total else 0.0
            for stall in Stall
        }
        achieved = (
            float(warp_ns.sum()) / (execution_ns * sms * gpu.sm.max_warps) if execution_ns else 0.0
        )
        dram_utilisation = dram_bandwidth / sustained
        cycles = execution_ns / cycle_ns
        return KernelResult(
            kernel=program.name,
            gpu=gpu.name,
            mode=setup.mode,
            time_s=ns_to_s(self._end_ns),
            execution_s=execution_s,
            launch_overhead_s=gpu.launch_overhead_s,
            cycles=self._end_ns / cycle_ns,
            ctas=program.cta_count,
            ctas_per_sm=setup.occupancy.ctas_per_sm,
            waves=program.cta_count / (setup.occupancy.ctas_per_sm * gpu.sm.count),
            occupancy_limiter=setup.occupancy.limiter,
            theoretical_occupancy=setup.occupancy.fraction(gpu),
            achieved_occupancy=achieved,
            warp_instructions=instructions,
            ipc=float(issued.sum()) / (cycles * sms) if cycles else 0.0,
            issue_slot_utilisation=float(issued.sum()) * cycle_ns / slots_ns if slots_ns else 0.0,
            pipe_utilisation=pipe_utilisation,
            stall_fractions=stall_fractions,
            l1_hit_rate=_share(counters[C_L1_HIT_SECTORS], counters[C_L1_MISS_SECTORS]),
            l2_hit_rate=_share(counters[C_L2_HIT_SECTORS], counters[C_L2_MISS_SECTORS]),
            global_bytes=float(program.global_bytes),
            l2_bytes=float(
                counters[C_L2_HIT_SECTORS]
                + counters[C_L2_MISS_SECTORS]
                + counters[C_L2_STORE_SECTORS]
            )
            * self._mem_params.sector_bytes,
            dram_read_bytes=float(counters[C_DRAM_READ_BYTES]),
            dram_write_bytes=float(counters[C_DRAM_WRITE_BYTES]),
            dram_bandwidth_bytes_per_s=dram_bandwidth,
            dram_utilisation=dram_utilisation,
            flops=total_flops,
            flops_per_s=total_flops / execution_s if execution_s else 0.0,
            shared_bank_conflict_factor=_ratio(
                counters[C_SHARED_WAVEFRONTS], counters[C_SHARED_REQUESTS]
            ),
            bottleneck=describe_bottleneck(
                pipe_utilisation, stall_fractions, dram_utilisation, achieved
            ),
            simulated_sms=sms,
            timeline=tuple(sorted(self._spans, key=lambda s: (s.start_s, s.sm)))
            if timeline
            else None,
        )

    def _final_counters(self) -> tuple[np.ndarray, ...]:
        """Per-kind totals over the simulated SMs, skipped rounds included."""
        issued, pipe_busy, stall_ns, warp_ns, counters = self._live_counters()
        return (
            issued.sum(axis=0),
            pipe_busy.sum(axis=0),
            stall_ns.sum(axis=0),
            warp_ns,
            counters.sum(axis=0),
        )


def _l2_hit_ratio(later: _Snapshot, earlier: _Snapshot) -> float:
    """The share of L2 load sectors that hit between two snapshots."""
    grown = later.arrays[4].sum(axis=0) - earlier.arrays[4].sum(axis=0)
    return _share(grown[C_L2_HIT_SECTORS], grown[C_L2_MISS_SECTORS])


def _share(hits: float, misses: float) -> float:
    total = hits + misses
    return float(hits / total) if total else 0.0


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0
