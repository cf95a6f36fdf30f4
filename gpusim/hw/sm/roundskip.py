"""Fast mode's skip over steady rounds of CTAs.

The representative SMs run their CTAs in rounds (a round: every CTA slot of every
representative once). After ``warm_rounds``, once the last ``measured_rounds`` rounds take
steady times and see steady L2 hit ratios, every whole round left in the representatives'
queues is skipped at those rounds' mean time and counter growth. Rounds can also be steady
in a cycle: when the grid's walk over a matrix larger than L2 brings L2's phase back every
``p`` rounds, the hit ratio and the round time cycle with it. The skip then waits for the
last ``measured_rounds`` periods of ``p`` rounds to agree phase by phase and skips whole
periods at their mean, so L2 is left in the phase it was in. Nor are rounds steady while
L2 is still filling: until it has taken in its capacity, no line is evicted and no dirty
line written back, so a streaming kernel's early rounds pay HBM reads only (a V100
``stream_scale`` of 256 MiB skipped from its second round at 334 us, half of detailed
mode's 660 us, with 91 of 252 MiB written back). The skip waits until L2 has taken in its
capacity before the measured rounds, unless the rounds it skips would leave L2 short of
full too. The CTAs left over (the
resident ones, rounds short of a whole period and the last, partial wave, where the grid
runs out) are simulated; keeping one more whole round changed the time by at most 0.7% on
the multi-wave GEMMs at 2048^3 to 8192^3 (all within 1.1% of runs without a round skip)
and cost about 2 s at 8192^3.
"""

from __future__ import annotations

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

    def __init__(
        self,
        settings: FastModeSettings,
        cta_slots: int,
        simulated_sms: int,
        l2_capacity_sectors: int,
    ) -> None:
        self._settings = settings
        self._l2_capacity_sectors = l2_capacity_sectors
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
        """Once the last measured periods of rounds repeat: drop every whole period left
        from the ``queues`` (per representative, the next CTA last), add their counter
        growth to ``live``; returns the time skipped (0: none)."""
        settings = self._settings
        done = len(self._durations_ns)
        if not settings.skip_rounds or self._skipped or done % self._per_round:
            return 0.0
        # rounds after the warm ones, each with a snapshot before it (for its L2 hit ratio)
        measurable = min(
            done // self._per_round - settings.warm_rounds, (done - 1) // self._per_round
        )
        longest = min(settings.max_round_period, measurable // settings.measured_rounds)
        period = next((p for p in range(1, longest + 1) if self._repeats(p)), None)
        if period is None:
            return 0.0
        left_rounds = min(len(queue) for queue in queues) // self._cta_slots
        skipped_rounds = left_rounds - left_rounds % period
        if skipped_rounds < 1:
            return 0.0
        measured = settings.measured_rounds * period
        now, earlier = (
            self._snapshots[done - 1],
            self._snapshots[done - 1 - measured * self._per_round],
        )
        scale = skipped_rounds / measured
        if not self._l2_steady(earlier.counters, now.counters, scale):
            return 0.0
        live.add_growth(now.counters, earlier.counters, scale)
        for queue in queues:
            del queue[len(queue) - skipped_rounds * self._cta_slots :]
        self._skipped = True
        return scale * (now.t_ns - earlier.t_ns)

    def _repeats(self, period: int) -> bool:
        """Whether the last ``measured_rounds`` periods of ``period`` rounds repeat: at each
        phase of the period, those rounds' mean CTA times are within
        ``round_time_tolerance`` and their L2 hit ratios within ``round_l2_hit_points``."""
        settings, per_round = self._settings, self._per_round
        done = len(self._durations_ns)
        for phase in range(period):
            ends = [
                done - (phase + cycle * period) * per_round
                for cycle in range(settings.measured_rounds)
            ]
            times = [np.mean(self._durations_ns[end - per_round : end]) for end in ends]
            if max(times) - min(times) > settings.round_time_tolerance * min(times):
                return False
            hits = [
                self._snapshots[end - 1].counters.l2_load_hit_ratio_since(
                    self._snapshots[end - 1 - per_round].counters
                )
                for end in ends
            ]
            if max(hits) - min(hits) > settings.round_l2_hit_points:
                return False
        return True

    def _l2_steady(self, earlier: Counters, now: Counters, scale: float) -> bool:
        """Whether L2 is in one regime over the measured rounds and the skip: full (evicting
        and writing back) from before the measured rounds, or short of full to the skip's
        end."""
        filled_before = earlier.l2_sectors_taken_in()
        filled_now = now.l2_sectors_taken_in()
        if filled_before >= self._l2_capacity_sectors:
            return True
        filled_after_skip = filled_now + scale * (filled_now - filled_before)
        return filled_after_skip < self._l2_capacity_sectors
