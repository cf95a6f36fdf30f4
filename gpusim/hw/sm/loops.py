"""The steady loop of each warp stream: where it starts, how long a period is, how often
it repeats.

A warp of a GEMM spends nearly all its visits in one loop whose periods are identical
(the same blocks with the same masks); fast mode skips whole periods of it once their
time is steady. For each stream this finds the stretch of identical periods that covers
the most visits: candidate periods start at every visit of some block; the longest run of
equally spaced, identical segments wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_PERIODS = 4
"""A loop of fewer periods is not worth skipping."""


@dataclass(frozen=True)
class Loop:
    """Visits ``start + i * period .. start + (i + 1) * period - 1`` are period ``i`` of
    ``count`` identical periods (``count == 0``: the stream has no steady loop)."""

    start: int
    period: int
    count: int

    @property
    def visits(self) -> int:
        return self.period * self.count


NO_LOOP = Loop(0, 1, 0)


def steady_loop(blocks: npt.NDArray[np.int32], masks: npt.NDArray[np.uint32]) -> Loop:
    """The stretch of identical periods covering the most visits of one stream."""
    best = NO_LOOP
    for block in np.unique(blocks):
        positions = np.flatnonzero(blocks == block)
        if positions.size <= MIN_PERIODS:
            continue
        gaps = np.diff(positions)
        first = 0
        while first < gaps.size:
            last = first
            while last + 1 < gaps.size and gaps[last + 1] == gaps[first]:
                last += 1
            start, period = int(positions[first]), int(gaps[first])
            # The gaps bound all periods but the last; the last may run to the stream's end.
            count = min(last - first + 2, (blocks.size - start) // period)
            loop = _identical_prefix(blocks, masks, start, period, count)
            if loop.count >= MIN_PERIODS and loop.visits > best.visits:
                best = loop
            first = last + 1
    return best


def _identical_prefix(
    blocks: npt.NDArray[np.int32],
    masks: npt.NDArray[np.uint32],
    start: int,
    period: int,
    count: int,
) -> Loop:
    """The periods from ``start`` that equal the first one (blocks and masks)."""
    span = slice(start, start + period * count)
    rows_blocks = blocks[span].reshape(count, period)
    rows_masks = masks[span].reshape(count, period)
    same = (rows_blocks == rows_blocks[0]).all(axis=1) & (rows_masks == rows_masks[0]).all(axis=1)
    identical = int(np.argmin(same)) if not same.all() else count
    return Loop(start, period, identical)


def executions_per_period(
    loop: Loop,
    blocks: npt.NDArray[np.int32],
    bb_start: npt.NDArray[np.int32],
    mem_slot: npt.NDArray[np.int32],
    mem_slots: int,
) -> npt.NDArray[np.int64]:
    """How many times each memory slot executes in one period of ``loop``."""
    executions = np.zeros(max(mem_slots, 1), dtype=np.int64)
    if loop.count == 0:
        return executions
    for block in blocks[loop.start : loop.start + loop.period]:
        slots = mem_slot[bb_start[block] : bb_start[block + 1]]
        np.add.at(executions, slots[slots >= 0], 1)
    return executions
