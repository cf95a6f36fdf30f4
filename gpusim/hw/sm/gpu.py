"""One GPU running one kernel: the SimPy layer over the SM core.

SimPy holds the GPU-level timeline: the launch overhead, then a CTA dispatcher that fills
the SMs up to the occupancy limit and, each time CTAs complete, gives the freed slots the
next CTAs. Between those events the jitted core (``gpusim.hw.sm.issue``) advances the
simulated SMs cycle by cycle; it returns at every CTA completion, so dispatch decisions are
SimPy events at the moment they happen (and, between completions, hands the interpreter back
every chunk of bounded work, so Ctrl-C ends a simulation within a fraction of a second).

Two modes share that machinery (``gpusim.hw.sm.launch`` says which SMs each simulates):

- **detailed**: every SM, every warp, every instruction; CTAs are dispatched in order to
  whichever SM frees a slot.
- **fast**: a few representative SMs, each standing for the SMs after it, so caches and
  memory see the whole GPU's load. The kernel ends when the slowest representative does.
  Steady loop periods are jumped over (``loopskip``) and, once rounds of CTAs take a steady
  time, the rounds in between are skipped (``roundskip``), with the figures of a
  ``FastModeSettings``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from gpusim.errors import EngineError
from gpusim.hw.sm.counters import Counters
from gpusim.hw.sm.engine_cache import announce_compile
from gpusim.hw.sm.issue import run_until_ctas_complete
from gpusim.hw.sm.launch import CtaPlacement, place_ctas
from gpusim.hw.sm.loopskip import LoopSkipper
from gpusim.hw.sm.memory import memory_params, new_memory_state
from gpusim.hw.sm.program import EngineProgram
from gpusim.hw.sm.result import CtaSpan, KernelResult, Mode
from gpusim.hw.sm.roundskip import RoundSkipper
from gpusim.hw.sm.settings import DEFAULT_SETTINGS, FastModeSettings
from gpusim.hw.sm.state import Simulation, new_core_state
from gpusim.hw.sm.summary import kernel_result
from gpusim.hw.sm.timeshift import replay_periods, shift_times
from gpusim.hw.sm.warps import dispatch_cta
from gpusim.spec.gpu import GpuSpec
from gpusim.units import ns_to_s, s_to_ns


def simulate_kernel(
    program: EngineProgram,
    gpu: GpuSpec,
    *,
    mode: Mode = "fast",
    scheduler: str = "gto",
    timeline: bool = False,
    progress: Callable[[float], None] | None = None,
    settings: FastModeSettings = DEFAULT_SETTINGS,
) -> KernelResult:
    """Simulate one launch of ``program`` on ``gpu``.

    ``timeline`` adds the spans of the CTAs that were simulated (every CTA in detailed mode,
    the representative SMs' in fast mode); it costs nothing when off. ``progress`` is called
    with the fraction of the grid done, after each batch of CTAs completes. ``settings``
    tune fast mode (detailed mode ignores them).
    """
    if mode not in ("fast", "detailed"):
        raise EngineError(f"mode: must be 'fast' or 'detailed', got {mode!r}")
    announce_compile()
    run = _KernelRun(place_ctas(program, gpu, scheduler, mode, settings), progress)
    env = simpy.Environment()
    env.process(run.kernel(env))
    env.run()
    return run.result(timeline=timeline)


class _KernelRun:
    """The SimPy process of one kernel launch, and what it leaves."""

    def __init__(self, launch: CtaPlacement, progress: Callable[[float], None] | None) -> None:
        self._launch = launch
        self._progress = progress
        self._mem_params = memory_params(launch.gpu, launch.l1_cache_bytes())
        state = new_core_state(
            launch.params,
            warp_slots=launch.occupancy.ctas_per_sm * launch.program.warps_per_cta,
            register_count=launch.program.register_count,
            mem_slots=launch.program.mem_slots,
        )
        mem = new_memory_state(self._mem_params, launch.simulated_sms)
        self._sim = Simulation(launch.arrays, launch.params, self._mem_params, state, mem)
        self._counters = Counters.of(state, mem)
        fast = launch.mode == "fast"
        if fast:
            for rep in range(launch.simulated_sms):
                state.shadow_sms[rep] = launch.shadow_sms(rep)
        l2_sectors = launch.gpu.l2.size_bytes // self._mem_params.sector_bytes
        self._loops = (
            LoopSkipper(self._sim, launch.settings, l2_sectors, self._replay_periods)
            if fast
            else None
        )
        self._rounds = (
            RoundSkipper(launch.settings, launch.params.cta_slots, launch.simulated_sms, l2_sectors)
            if fast
            else None
        )
        self._spans: list[CtaSpan] = []
        self._start_ns = 0.0
        self._end_ns = 0.0

    def kernel(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """Launch overhead, then dispatch CTAs until all have run."""
        launch = self._launch
        yield env.timeout(s_to_ns(launch.gpu.launch_overhead_s))
        self._start_ns = env.now
        queues = launch.cta_queues()
        planned = _queued(queues)
        resident = 0
        for _ in range(launch.params.cta_slots):
            for sm in range(launch.simulated_sms):
                if queues[sm]:
                    dispatch_cta(self._sim, sm, queues[sm].pop(), env.now)
                    resident += 1
        while resident:
            budget = self._loops.budget() if self._loops else 0
            t = run_until_ctas_complete(self._sim, env.now, budget)
            if math.isinf(t):
                raise EngineError(
                    f"{launch.program.name}: {resident} CTA(s) never finish "
                    "(their warps wait at a barrier that not all of them reach)"
                )
            yield env.timeout(t - env.now)
            freed = self._collect_completions()
            resident -= len(freed)
            if self._loops:
                self._loops.observe(env.now)
                jumped_ns = 0.0 if freed else self._loops.jump(env.now)
                if jumped_ns:
                    yield env.timeout(jumped_ns)
            skip_ns = self._rounds.skip(queues, self._counters) if self._rounds else 0.0
            if self._progress is not None:
                self._progress(1.0 - (resident + _queued(queues)) / planned)
            if skip_ns:
                shift_times(self._sim, np.full(launch.simulated_sms, skip_ns), skip_ns, True)
                if self._loops:
                    self._loops.forget()
                yield env.timeout(skip_ns)
            for sm in freed:
                if queues[sm]:
                    dispatch_cta(self._sim, sm, queues[sm].pop(), env.now + launch.params.cycle_ns)
                    resident += 1

    def _collect_completions(self) -> list[int]:
        """The SMs of the CTAs the core just completed (one entry per CTA)."""
        state = self._sim.state
        done = state.completions
        freed = []
        for index in range(int(done.total[0])):
            sm, slot = int(done.sm[index]), int(done.slot[index])
            start_ns, end_ns = float(state.ctas.start_ns[sm, slot]), float(done.end_ns[index])
            self._spans.append(
                CtaSpan(
                    sm=sm,
                    cta=int(state.ctas.cta_id[sm, slot]),
                    start_s=ns_to_s(start_ns),
                    end_s=ns_to_s(end_ns),
                )
            )
            if self._rounds:
                self._rounds.record(start_ns, end_ns, self._counters)
            self._end_ns = max(self._end_ns, end_ns)
            freed.append(sm)
        return freed

    def _replay_periods(self, ctas: list[tuple[int, int]], periods: int) -> None:
        sms = np.array([sm for sm, _ in ctas], dtype=np.int64)
        slots = np.array([slot for _, slot in ctas], dtype=np.int64)
        replay_periods(self._sim, sms, slots, periods)

    def result(self, *, timeline: bool) -> KernelResult:
        """What the run leaves, as a ``KernelResult``."""
        return kernel_result(
            self._launch,
            self._counters,
            self._mem_params.sector_bytes,
            self._start_ns,
            self._end_ns,
            self._spans if timeline else None,
        )


def _queued(queues: list[list[int]]) -> int:
    """CTAs not yet dispatched (detailed mode's SMs share one queue)."""
    distinct = {id(queue): len(queue) for queue in queues}
    return sum(distinct.values())
