"""Fast mode's jump over the steady periods of the CTAs' main loops.

A CTA of an 8192^3 GEMM runs hundreds of identical loop periods. The core counts every
period a warp begins; once the simulated SMs begin periods at a steady rate (two
consecutive windows of periods within ``loop_rate_tolerance`` of each other) and every
resident CTA is inside its loop, the engine jumps: every CTA moves the same number of
periods ahead (so CTAs that share data in L2 keep their relative progress, and CTAs
sharing an SM, which take turns, keep theirs), all pending times move by that many
periods at the measured rate, and the counters advance at their rates over the same
window. The last of the skipped periods' global accesses (and their shadows') are replayed
through L2, untimed but counted, so L2 holds what those periods would have left there:
enough periods that their L2 traffic covers L2 ``replay_l2_fills`` times over (all of them
when the jump is shorter). L2 and HBM counters advance at their rates over the periods not
replayed; the replay counts the rest. A few periods are left before the end of the loop
nearest its end, so loop exits and CTA tails are simulated for real.

A jump also stops short of the next *pass* of any CTA's loop (``gpusim.hw.sm.passes``):
the period where the loop starts reading, from farther back than before, data it read
itself (a stream's second pass over its buffer, served by L2 where the first came from
DRAM). The window must lie in the pass the jump skips through too: a rate measured in one
pass says nothing of the next. Between passes the CTAs walk the boundary and the windows
start again.

Rates are the SMs' (all their warps' periods together), not single CTAs': under
greedy-then-oldest scheduling the CTAs of an SM take turns running ahead, so single CTAs'
periods wander while an SM's throughput does not. The turns come from ``bar.sync`` (a
CTA's warps wait together for its slowest, and the scheduler runs another CTA meanwhile),
so a window spans ``window_periods_per_cta`` periods per resident warp in a kernel with
barriers, and ``barrier_free_window_periods_per_cta`` in one without (a copy, a naive
GEMM), whose warps progress independently: there, the longer window only delayed the
jump (a 1 GiB copy's loop has 64 periods per CTA; two windows of 16 walked half of it).
Every warp's periods count, not its CTA's first warp's: without barriers that warp runs
ahead of the others while they start, and a short window counted by it alone overstated
the work done in it (an HBM stream's DRAM bytes by 1%).

Rates are not the GPU's either: SMs settle into faster and slower rhythms, and the kernel
ends with the slowest, so each SM's times move by the jump at its own rate (steadiness is
judged on their sum).

Steady also means the caches behave alike over both windows (hit ratios of L1 and of L2
within ``loop_hit_ratio_points`` of each other): CTAs that start together share lines in L1
until they drift apart, and a jump taken during that drift would keep its hits for the
whole loop. The figures are ``FastModeSettings``'.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil

import numpy as np

from gpusim.hw.sm.counters import CacheCounts, Counters
from gpusim.hw.sm.passes import LoopPasses, loop_passes
from gpusim.hw.sm.settings import FastModeSettings
from gpusim.hw.sm.state import Simulation
from gpusim.hw.sm.timeshift import shift_times, skip_periods

HISTORY = 128
"""Observations kept (one per report from the core): room for two windows of
``window_periods_per_cta`` reports each."""

Replay = Callable[[list[tuple[int, int]], int], None]
"""``replay(ctas, periods)``: walk the (sm, CTA slot)s' next ``periods`` periods of memory
instructions through L2."""


@dataclass(frozen=True)
class _Observation:
    t_ns: float
    periods: int
    """Periods begun since the run started (cumulative)."""
    sm_periods: np.ndarray
    """The same per simulated SM."""
    caches: CacheCounts
    counters: Counters
    visit: np.ndarray
    """``[sm, warp slot]`` each warp's place in its visits."""
    cta_id: np.ndarray
    """``[sm, CTA slot]`` the CTA each slot held."""


class LoopSkipper:
    """Watches the simulated SMs' loops and jumps over steady periods."""

    def __init__(
        self,
        sim: Simulation,
        settings: FastModeSettings,
        l2_capacity_sectors: int,
        replay: Replay,
    ) -> None:
        self._sim = sim
        self._settings = settings
        self._counters = Counters.of(sim.state, sim.mem)
        self._l2_capacity_sectors = l2_capacity_sectors
        self._replay = replay
        self._history: deque[_Observation] = deque(maxlen=HISTORY)
        self._passes = (
            loop_passes(sim.program, sim.params.warps_per_cta, sim.mem_params.sector_bytes)
            if settings.jump_loops and sim.program.loop_count.any()
            else None
        )
        """The passes of the streams' loops; None: no jumps."""
        self._window_periods_per_cta = (
            settings.window_periods_per_cta
            if sim.program.is_barrier.any()
            else settings.barrier_free_window_periods_per_cta
        )

    def budget(self) -> int:
        """Loop periods the core may begin before it reports back: one per resident warp
        in a loop."""
        return int(self._looping_warps().sum()) if self._passes is not None else 0

    def observe(self, t_ns: float) -> None:
        """Take the core's report: periods begun since the last one, and the counters."""
        state = self._sim.state
        sm_periods = state.sm_periods.copy()
        counters = self._counters.copy()
        self._history.append(
            _Observation(
                t_ns,
                int(sm_periods.sum()),
                sm_periods,
                counters.cache_counts(),
                counters,
                state.warps.visit.copy(),
                state.ctas.cta_id.copy(),
            )
        )

    def forget(self) -> None:
        """Drop the observations: time and counters just jumped by other means."""
        self._history.clear()

    def jump(self, t_ns: float) -> float:
        """Jump if the rate is steady and every resident CTA has periods to spare; returns
        the time jumped (0: none). Every CTA moves the same periods ahead, each SM's times
        at its own rate, L2's and HBM's at the fastest SM's: the kernel ends with its
        slowest SM, and under GTO some SMs settle into a slower rhythm than others."""
        if self._passes is None:
            return 0.0
        settings, sim = self._settings, self._sim
        active = sim.state.ctas.active
        ctas = [(int(sm), int(slot)) for sm, slot in zip(*np.nonzero(active), strict=True)]
        if not ctas:
            return 0.0
        resident = self._looping_warps()
        warps = int(resident.sum())
        window = self._steady_window(self._window_periods_per_cta * warps)
        if window is None:
            return 0.0
        left = self._periods_left(window, self._passes)
        if left is None or left - settings.loop_margin_periods < settings.min_jump_periods:
            return 0.0
        periods = left - settings.loop_margin_periods
        now = self._history[-1]
        elapsed_ns = t_ns - window.t_ns
        sm_periods = (now.sm_periods - window.sm_periods)[resident > 0]
        if (sm_periods == 0).any():
            return 0.0
        sm_span_ns = np.zeros(resident.size)
        sm_span_ns[resident > 0] = periods * resident[resident > 0] * elapsed_ns / sm_periods
        shared_span_ns = float(sm_span_ns[resident > 0].min())
        sm_span_ns[resident == 0] = shared_span_ns
        mean_span_ns = periods * warps * elapsed_ns / (now.periods - window.periods)
        replayed = self._periods_to_replay(window, now, periods, warps)
        self._counters.add_jump(window.counters, mean_span_ns / elapsed_ns, 1 - replayed / periods)
        unreplayed = periods - replayed
        for sm, slot in ctas:
            skip_periods(sim, sm, slot, periods, unreplayed)
        self._replay(ctas, replayed)
        shift_times(sim, sm_span_ns, shared_span_ns, False)
        self._history.clear()
        return shared_span_ns

    def _periods_to_replay(
        self, window: _Observation, now: _Observation, periods: int, ctas: int
    ) -> int:
        """The last periods of a jump of ``periods`` to walk through L2: their traffic, at
        the window's sectors per period, covers L2 ``replay_l2_fills`` times."""
        sectors = now.caches.l2.sectors - window.caches.l2.sectors
        sectors_per_period = sectors / (now.periods - window.periods)
        if sectors_per_period <= 0:
            return 0
        fills = self._settings.replay_l2_fills
        wanted = fills * self._l2_capacity_sectors / (sectors_per_period * ctas)
        return min(periods, ceil(wanted))

    def _steady_window(self, periods: int) -> _Observation | None:
        """The observation a window of ``periods`` ago, if the rate and the hit ratios over
        it match those over the window before it; else None. Rates are measured over the
        last window alone: an SM's rhythm can drift slowly, and the latest is the best
        guess of what follows."""
        settings = self._settings
        now = self._history[-1]
        recent = self._before(now.periods - periods)
        earlier = self._before(now.periods - 2 * periods) if recent else None
        if recent is None or earlier is None or not now.t_ns > recent.t_ns > earlier.t_ns:
            return None
        rate = (now.periods - recent.periods) / (now.t_ns - recent.t_ns)
        before = (recent.periods - earlier.periods) / (recent.t_ns - earlier.t_ns)
        if abs(rate - before) > settings.loop_rate_tolerance * before:
            return None
        for old, mid, new in zip(earlier.caches, recent.caches, now.caches, strict=True):
            if abs(new.ratio_since(mid) - mid.ratio_since(old)) > settings.loop_hit_ratio_points:
                return None
        return recent

    def _before(self, periods: int) -> _Observation | None:
        """The latest observation with at most ``periods`` periods begun (None: too few)."""
        return next((o for o in reversed(self._history) if o.periods <= periods), None)

    def _looping_warps(self) -> np.ndarray:
        """``[sm]`` the resident warps whose stream has a steady loop."""
        warps = self._sim.state.warps
        looping = warps.active & (self._sim.program.loop_count[warps.stream] > 0)
        counts: np.ndarray = np.count_nonzero(looping, axis=1)
        return counts

    def _periods_left(self, window: _Observation, passes: LoopPasses) -> int | None:
        """Whole periods every resident warp still has ahead in its loop's current pass
        (``gpusim.hw.sm.passes``); None when a warp is not inside its loop, or was in an
        earlier pass at the window's start: a window measured in one pass says nothing of
        the next. Warps whose loop began within the window (CTAs that started since, like
        a prologue) do not count there: the window holds their start whatever it holds."""
        warps, cta_id = self._sim.state.warps, self._sim.state.ctas.cta_id
        active = np.nonzero(warps.active)
        stream = warps.stream[active]
        now = self._loop_periods(warps.visit[active], stream)
        if (now < 0).any():
            return None
        cta = (active[0], warps.cta_slot[active])
        then = self._loop_periods(window.visit[active], stream)
        looped = (window.cta_id[cta] == cta_id[cta]) & (then >= 0)
        end = passes.pass_end(stream, now)
        if (passes.pass_end(stream[looped], then[looped]) != end[looped]).any():
            return None
        return int((end - now - 1).min())

    def _loop_periods(self, visit: np.ndarray, stream: np.ndarray) -> np.ndarray:
        """The loop period each warp (at ``visit`` of ``stream``) is in; -1 outside its loop."""
        prog = self._sim.program
        offset = visit - prog.visit_ptr[stream] - prog.loop_start[stream]
        count = prog.loop_count[stream]
        period = offset // prog.loop_period[stream]
        return np.where((count > 0) & (offset >= 0) & (period < count), period, -1)
