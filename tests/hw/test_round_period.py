"""The round skip's test for steady rounds, cycles of rounds included, on recorded rounds."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.hw.sm.counters import Counters
from gpusim.hw.sm.memory_state import C_L2_HIT_SECTORS, C_L2_MISS_SECTORS, N_COUNTERS
from gpusim.hw.sm.roundskip import RoundSkipper
from gpusim.hw.sm.settings import DEFAULT_SETTINGS, FastModeSettings
from gpusim.hw.sm.state import SmCounters


def live_counters() -> Counters:
    sm = SmCounters(
        issued=np.zeros((1, 1), dtype=np.int64),
        pipe_busy_ns=np.zeros((1, 1)),
        stall_ns=np.zeros((1, 1)),
        warp_ns=np.zeros(1),
    )
    return Counters(sm, np.zeros((1, N_COUNTERS), dtype=np.int64))


def run_rounds(
    durations_ns: list[float],
    hit_sectors: list[int],
    queued: int,
    settings: FastModeSettings = DEFAULT_SETTINGS,
    l2_capacity_sectors: int = 10**9,
) -> tuple[float, list[list[int]], Counters, int]:
    """One SM with one CTA slot (a round is one CTA), CTAs back to back, each asking L2 for
    100 sectors of which ``hit_sectors`` hit; the skip is tried after every round. Returns
    the time skipped, the queue left, the counters and the rounds simulated before it."""
    skipper = RoundSkipper(
        settings, cta_slots=1, simulated_sms=1, l2_capacity_sectors=l2_capacity_sectors
    )
    counters = live_counters()
    queues = [list(range(queued))]
    t_ns = 0.0
    for done, (duration_ns, hits) in enumerate(zip(durations_ns, hit_sectors, strict=True)):
        counters.memory[0, C_L2_HIT_SECTORS] += hits
        counters.memory[0, C_L2_MISS_SECTORS] += 100 - hits
        counters.sm.issued[0, 0] += 10
        skipper.record(t_ns, t_ns + duration_ns, counters)
        t_ns += duration_ns
        skipped_ns = skipper.skip(queues, counters)
        if skipped_ns:
            return skipped_ns, queues, counters, done + 1
    return 0.0, queues, counters, len(durations_ns)


def test_steady_rounds_are_skipped_after_the_warm_round_and_two_measured_ones() -> None:
    skipped_ns, queues, counters, simulated = run_rounds([500.0] + [100.0] * 9, [0] + [90] * 9, 20)
    assert simulated == 3
    assert skipped_ns == pytest.approx(20 * 100.0)
    assert queues == [[]]
    assert counters.sm.issued[0, 0] == 30 + 20 * 10
    assert counters.memory[0, C_L2_HIT_SECTORS] == 180 + 20 * 90


def test_a_cycle_of_three_rounds_is_skipped_by_whole_periods_at_its_mean() -> None:
    cycle_ns, cycle_hits = [100.0, 130.0, 160.0], [99, 92, 85]
    skipped_ns, queues, counters, simulated = run_rounds(
        [500.0] + cycle_ns * 4, [0] + cycle_hits * 4, 20
    )
    assert simulated == 1 + 2 * 3
    assert skipped_ns == pytest.approx(6 * sum(cycle_ns))  # 18 of the 20 rounds left
    assert queues == [[0, 1]]  # the next CTA is last: the 2 left over are the last two
    assert counters.memory[0, C_L2_HIT_SECTORS] == 2 * sum(cycle_hits) + 6 * sum(cycle_hits)


def test_rounds_that_keep_changing_are_never_skipped() -> None:
    growing_ns = [100.0 * 1.05**r for r in range(40)]
    skipped_ns, queues, _, _ = run_rounds(growing_ns, [90] * 40, 50)
    assert skipped_ns == 0.0
    assert len(queues[0]) == 50


def test_a_cycle_longer_than_the_longest_period_is_not_taken_for_steady() -> None:
    cycle_ns = [100.0, 110.0, 125.0, 140.0, 150.0]
    shorter = FastModeSettings(max_round_period=4)
    skipped_ns, _, _, simulated = run_rounds([500.0] + cycle_ns * 8, [90] * 41, 30, shorter)
    assert (skipped_ns, simulated) == (0.0, 41)
    assert run_rounds([500.0] + cycle_ns * 8, [90] * 41, 30)[3] == 1 + 2 * 5


def test_rounds_are_not_skipped_while_l2_fills_if_the_skip_would_fill_it() -> None:
    """A stream: every sector misses. L2 holds 500 sectors, 5 rounds' worth: rounds 2-3 are
    steady but L2 has not evicted yet, so the skip waits for measured rounds that begin
    with L2 full (rounds 6-7, after 5 rounds have filled it)."""
    skipped_ns, queues, _, simulated = run_rounds(
        [100.0] * 12, [0] * 12, 30, l2_capacity_sectors=500
    )
    assert simulated == 7
    assert skipped_ns == pytest.approx(30 * 100.0)
    assert queues == [[]]


def test_rounds_are_skipped_early_when_l2_stays_short_of_full_to_the_end() -> None:
    """The same stream with 20 rounds left over and L2 of 2500 sectors: 3 + 20 rounds fill
    2300 sectors, so L2 never evicts, and the skip comes after the third round as usual."""
    skipped_ns, _, _, simulated = run_rounds([100.0] * 12, [0] * 12, 20, l2_capacity_sectors=2500)
    assert simulated == 3
    assert skipped_ns == pytest.approx(20 * 100.0)
