"""Fast mode's skip over steady rounds of CTAs.

The representative SMs run their CTAs in rounds (a round: every CTA slot of every
representative once). After ``warm_rounds``, once the last ``measured_rounds`` rounds take
steady times and see steady L2 hit ratios, every whole round left in the representatives'
queues is skipped at those rounds' mean time and counter growth. The CTAs left over (the
resident ones and the last, partial wave, where the grid runs out) are simulated; keeping
one more whole round changed the time by at most 0.7% on the multi-wave GEMMs at 2048^3 to
8192^3 (all within 1.1% of runs without a round skip) and cost about 2 s at 8192^3.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from gpusim.hw.sm.counters import Counters
from gpusim.hw.sm.settings import FastModeSettings


@dataclass(frozen=True)
class _Snapshot:
    """The counters at one CTA completion."""

    t_ns: float
    counters: Counters


class RoundSkipper:
    """Records every CTA completion and skips whole rounds once they are steady (once)."""

    def __init__(self, settings: FastModeSettings, cta_slots: int, simulated_sms: int) -> None:
        self._settings = settings
        self._cta_slots = cta_slots
        self._per_round = cta_slots * simulated_sms
        self._durations_ns: list[float] = []
        self._snapshots: list[_Snapshot] = []
        self._skipped = False

    def record(self, start_ns: float, end_ns: float, counters: Counters) -> None:
        """A CTA ran from ``start_ns`` to ``end_ns``; ``counters`` are the live ones then."""
        self._durations_ns.append(end_ns - start_ns)
        self._snapshots.append(_Snapshot(end_ns, counters.copy()))

    def skip(self, queues: list[list[int]], live: Counters) -> float:
        """Once the last measured rounds are steady: drop every whole round left from the
        ``queues`` (per representative, the next CTA last), add their counter growth to
        ``live``; returns the time skipped (0: none)."""
        settings, per_round = self._settings, self._per_round
        done = len(self._durations_ns)
        measured = settings.measured_rounds
        if not settings.skip_rounds or self._skipped:
            return 0.0
        if done < (settings.warm_rounds + measured) * per_round or done % per_round:
            return 0.0
        times = [
            np.mean(self._durations_ns[done - (r + 1) * per_round : done - r * per_round])
            for r in range(measured)
        ]
        if max(times) - min(times) > settings.round_time_tolerance * min(times):
            return 0.0
        ends = [self._snapshots[done - 1 - r * per_round] for r in range(measured + 1)]
        hits = [
            later.counters.l2_load_hit_ratio_since(earlier.counters)
            for later, earlier in itertools.pairwise(ends)
        ]
        if max(hits) - min(hits) > settings.round_l2_hit_points:
            return 0.0
        rounds = min(len(queue) for queue in queues) // self._cta_slots
        if rounds < 1:
            return 0.0
        now, earlier = ends[0], ends[-1]
        scale = rounds / measured
        live.add_growth(now.counters, earlier.counters, scale)
        for queue in queues:
            del queue[len(queue) - rounds * self._cta_slots :]
        self._skipped = True
        return scale * (now.t_ns - earlier.t_ns)
