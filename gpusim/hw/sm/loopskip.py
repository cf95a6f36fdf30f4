"""Fast mode's jump over the steady periods of the CTAs' main loops.

A CTA of an 8192^3 GEMM runs hundreds of identical loop periods. The core counts every
period a CTA begins; once the simulated SMs begin periods at a steady rate (two
consecutive windows of periods within 2% of each other) and every resident CTA is inside
its loop, the engine jumps: every CTA moves the same number of periods ahead (so CTAs that
share data in L2 keep their relative progress, and CTAs sharing an SM, which take turns,
keep theirs), all pending times move by that many periods at the measured rate, and the
counters advance at their rates over the same window. The last of the skipped periods'
global accesses (and their shadows') are replayed through L2, untimed but counted, so L2
holds what those periods would have left there: enough periods that their L2 traffic
covers L2 ``REPLAY_L2_FILLS`` times over (all of them when the jump is shorter). L2 and
HBM counters advance at their rates over the periods not replayed; the replay counts the
rest. A few periods are left before the end of the loop nearest its end, so loop exits
and CTA tails are simulated for real.

Rates are the SMs' (all their CTAs' periods together), not single CTAs': under
greedy-then-oldest scheduling the CTAs of an SM take turns running ahead, so single CTAs'
periods wander while an SM's throughput does not. They are not the GPU's either: SMs
settle into faster and slower rhythms, and the kernel ends with the slowest, so each SM's
times move by the jump at its own rate (steadiness is judged on their sum).

Steady also means the caches behave alike over both windows (hit ratios of L1 and of L2
within ``STEADY_HIT_RATIO`` of each other): CTAs that start together share lines in L1
until they drift apart, and a jump taken during that drift would keep its hits for the
whole loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil
from typing import NamedTuple

import numpy as np

from gpusim.hw.sm import core
from gpusim.hw.sm.memory import MemoryState

WINDOW_PERIODS_PER_CTA = 16
"""A window for measuring the rate holds this many periods per resident CTA."""
STEADY_TOLERANCE = 0.02
"""Two consecutive windows are steady when their rates differ by at most this share..."""
STEADY_HIT_RATIO = 0.02
"""... and their L1 and L2 hit ratios by at most this much."""
LOOP_MARGIN = 2
"""Periods left unskipped before the nearest loop end."""
MIN_JUMP = 4
"""A jump of fewer periods is not worth making."""
HISTORY = 128
"""Observations kept (one per report from the core)."""
REPLAY_L2_FILLS = 2.0
"""The replayed periods' L2 traffic covers L2 this many times over: with LRU replacement
L2 then holds what the periods just before the jump's end would have left there."""

Counters = Callable[[], tuple[np.ndarray, ...]]


class CacheCounts(NamedTuple):
    """Sectors asked of L1 and of L2 since the run started, and how many of them hit."""

    l1_hit_sectors: int
    l1_sectors: int
    l2_hit_sectors: int
    l2_sectors: int


Advance = Callable[[tuple[np.ndarray, ...], float, float], None]
"""``advance(counters_before, scale, unreplayed_share)``: add ``scale`` times each
counter's growth since ``counters_before`` (L2 and HBM counters: times the share of the
jump not replayed)."""


@dataclass(frozen=True)
class _Observation:
    t_ns: float
    periods: int
    """Periods begun since the run started (cumulative)."""
    sm_periods: np.ndarray
    """The same per simulated SM."""
    caches: CacheCounts
    counters: tuple[np.ndarray, ...]


class LoopSkipper:
    """Watches the simulated SMs' loops and jumps over steady periods."""

    def __init__(
        self,
        arrays: core.ProgramArrays,
        params: core.CoreParams,
        counters: Counters,
        advance: Advance,
        cache_counts: Callable[[], CacheCounts],
        l2_capacity_sectors: int,
        replay: Callable[[list[tuple[int, int]], int], None],
    ) -> None:
        """``counters()`` returns the counter arrays, which ``advance`` moves over a jump;
        ``cache_counts()`` the caches' sector counts so far; ``replay(ctas,
        periods)`` walks the CTAs' next ``periods`` periods of memory instructions through
        L2."""
        self._arrays = arrays
        self._params = params
        self._counters = counters
        self._advance = advance
        self._cache_counts = cache_counts
        self._l2_capacity_sectors = l2_capacity_sectors
        self._replay = replay
        self._history: deque[_Observation] = deque(maxlen=HISTORY)
        self.enabled = bool(arrays.loop_count.any())

    def budget(self, state: core.CoreState) -> int:
        """Loop periods the core may begin before it reports back: one per resident CTA."""
        return int(state.c_active.sum()) if self.enabled else 0

    def observe(self, t_ns: float, state: core.CoreState) -> None:
        """Take the core's report: periods begun since the last one, and the counters."""
        sm_periods = state.sm_periods.copy()
        counters = tuple(array.copy() for array in self._counters())
        self._history.append(
            _Observation(t_ns, int(sm_periods.sum()), sm_periods, self._cache_counts(), counters)
        )

    def forget(self) -> None:
        """Drop the observations: time and counters just jumped by other means."""
        self._history.clear()

    def jump(self, state: core.CoreState, mem: MemoryState, t_ns: float) -> float:
        """Jump if the rate is steady and every resident CTA has periods to spare; returns
        the time jumped (0: none). Every CTA moves the same periods ahead, each SM's times
        at its own rate, L2's and HBM's at the fastest SM's: the kernel ends with its
        slowest SM, and under GTO some SMs settle into a slower rhythm than others."""
        ctas = [(int(sm), int(slot)) for sm, slot in zip(*np.nonzero(state.c_active), strict=True)]
        if not ctas:
            return 0.0
        left = [self._periods_left(state, sm, slot) for sm, slot in ctas]
        if None in left:
            return 0.0
        periods = min(n for n in left if n is not None) - LOOP_MARGIN
        if periods < MIN_JUMP:
            return 0.0
        window = self._steady_window(WINDOW_PERIODS_PER_CTA * len(ctas))
        if window is None:
            return 0.0
        now = self._history[-1]
        elapsed_ns = t_ns - window.t_ns
        resident = np.bincount([sm for sm, _ in ctas], minlength=now.sm_periods.size)
        sm_periods = (now.sm_periods - window.sm_periods)[resident > 0]
        if (sm_periods == 0).any():
            return 0.0
        sm_span_ns = np.zeros(resident.size)
        sm_span_ns[resident > 0] = periods * resident[resident > 0] * elapsed_ns / sm_periods
        shared_span_ns = float(sm_span_ns[resident > 0].min())
        sm_span_ns[resident == 0] = shared_span_ns
        mean_span_ns = periods * len(ctas) * elapsed_ns / (now.periods - window.periods)
        replayed = self._periods_to_replay(window, now, periods, len(ctas))
        self._advance(window.counters, mean_span_ns / elapsed_ns, 1 - replayed / periods)
        unreplayed = periods - replayed
        for sm, slot in ctas:
            core.skip_periods(self._arrays, self._params, state, sm, slot, periods, unreplayed)
        self._replay(ctas, replayed)
        core.shift_times(state, mem, sm_span_ns, shared_span_ns, False)
        self._history.clear()
        return shared_span_ns

    def _periods_to_replay(
        self, window: _Observation, now: _Observation, periods: int, ctas: int
    ) -> int:
        """The last periods of a jump of ``periods`` to walk through L2: their traffic, at
        the window's sectors per period, covers L2 ``REPLAY_L2_FILLS`` times."""
        sectors = now.caches.l2_sectors - window.caches.l2_sectors
        sectors_per_period = sectors / (now.periods - window.periods)
        if sectors_per_period <= 0:
            return 0
        wanted = REPLAY_L2_FILLS * self._l2_capacity_sectors / (sectors_per_period * ctas)
        return min(periods, ceil(wanted))

    def _steady_window(self, periods: int) -> _Observation | None:
        """The observation a window of ``periods`` ago, if the rate and the hit ratios over
        it match those over the window before it; else None. Rates are measured over the
        last window alone: an SM's rhythm can drift slowly, and the latest is the best
        guess of what follows."""
        now = self._history[-1]
        recent = self._before(now.periods - periods)
        earlier = self._before(now.periods - 2 * periods) if recent else None
        if recent is None or earlier is None or not now.t_ns > recent.t_ns > earlier.t_ns:
            return None
        rate = (now.periods - recent.periods) / (now.t_ns - recent.t_ns)
        before = (recent.periods - earlier.periods) / (recent.t_ns - earlier.t_ns)
        if abs(rate - before) > STEADY_TOLERANCE * before:
            return None
        for hits, asked in ((0, 1), (2, 3)):
            ratio = _hit_ratio(recent.caches, now.caches, hits, asked)
            ratio_before = _hit_ratio(earlier.caches, recent.caches, hits, asked)
            if abs(ratio - ratio_before) > STEADY_HIT_RATIO:
                return None
        return recent

    def _before(self, periods: int) -> _Observation | None:
        """The latest observation with at most ``periods`` periods begun (None: too few)."""
        return next((o for o in reversed(self._history) if o.periods <= periods), None)

    def _periods_left(self, state: core.CoreState, sm: int, slot: int) -> int | None:
        """Whole periods every warp of the CTA still has ahead in its loop (None: a warp is
        not inside its loop)."""
        arrays, warps = self._arrays, self._params.warps_per_cta
        left: int | None = None
        for w in range(slot * warps, (slot + 1) * warps):
            if not state.w_active[sm, w]:
                continue
            stream = state.w_stream[sm, w]
            count = arrays.loop_count[stream]
            offset = state.w_visit[sm, w] - arrays.visit_ptr[stream] - arrays.loop_start[stream]
            if count == 0 or offset < 0:
                return None
            ahead = int(count - offset // arrays.loop_period[stream] - 1)
            left = ahead if left is None else min(left, ahead)
        return left


def _hit_ratio(start: CacheCounts, end: CacheCounts, hits: int, asked: int) -> float:
    """The share of sectors that hit between two counts (field indices ``hits``, ``asked``;
    0 when none was asked)."""
    asked_sectors = end[asked] - start[asked]
    return (end[hits] - start[hits]) / asked_sectors if asked_sectors else 0.0
