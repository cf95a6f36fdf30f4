"""The passes of each stream's steady loop: where a loop starts reading its own data again.

A loop jump (``gpusim.hw.sm.loopskip``) extrapolates the periods of a window over the
periods it skips, which holds while the skipped periods find their data where the
window's found theirs. A loop that streams over a buffer twice breaks that at its second
pass: the first pass reads every sector for the first time (from DRAM), the second finds
them again (in L2, if they fit). The trace says where that happens. For each period of a
CTA's loop, its *reach* is the longest distance, in periods, back to the period before it
that last touched one of the global sectors it touches (any warp of the CTA; 0: none). A
*pass* starts at every period whose reach is longer than any earlier period's: from there
on the loop reuses data from farther back than before, so caches see a new pattern. A
jump stays inside one pass, and its window must lie inside it too.

A copy or a GEMM's main loop reads new sectors every period: one pass. A stream over 16
periods' worth of lines, read three times, has two: periods 0-15 (reach 0) and 16-47
(reach 16). A loop that re-reads last period's line (a naive GEMM's row of A, 4-byte
elements over 32-byte sectors) starts its second pass at period 1 and stays in it.
Reuse between different CTAs is not seen here; L2's hit ratio over the window
(``loopskip``'s steadiness test) is what watches that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm.program import MemKind
from gpusim.hw.sm.state import ProgramArrays

I64 = npt.NDArray[np.int64]

LANES = 32
GLOBAL_KINDS = (MemKind.GLOBAL_LOAD, MemKind.GLOBAL_STORE, MemKind.GLOBAL_ATOMIC)


@dataclass(frozen=True)
class LoopPasses:
    """Stream ``s``'s loop period ``p`` belongs to the pass that ends before period
    ``end[ptr[s] + p]`` (the next pass's first period, or the loop's period count)."""

    ptr: I64
    end: I64

    def pass_end(self, streams: npt.NDArray[np.integer], periods: npt.NDArray[np.integer]) -> I64:
        """The end of the pass each (stream, period) is in."""
        ends: I64 = self.end[self.ptr[streams] + periods]
        return ends


def loop_passes(prog: ProgramArrays, warps_per_cta: int, sector_bytes: int) -> LoopPasses:
    """The passes of every stream's steady loop; streams come in CTA classes of
    ``warps_per_cta`` warps, whose sectors are judged together."""
    counts = prog.loop_count
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    end = np.zeros(int(ptr[-1]), dtype=np.int64)
    block_slots = _block_slot_executions(prog)
    for first in range(0, counts.size, warps_per_cta):
        streams = range(first, first + warps_per_cta)
        reach = _reach(prog, streams, block_slots, sector_bytes)
        for stream in streams:
            end[ptr[stream] : ptr[stream + 1]] = pass_ends(reach[: counts[stream]])
    return LoopPasses(ptr=ptr, end=end)


def pass_ends(reach: I64) -> I64:
    """[period] the first period of the next pass (or ``reach.size``), given each
    period's reach: a pass starts where the reach exceeds every earlier period's."""
    if reach.size == 0:
        return np.zeros(0, dtype=np.int64)
    longest_before = np.maximum.accumulate(reach)[:-1]
    starts = np.flatnonzero(reach[1:] > longest_before) + 1
    bounds = np.append(starts, reach.size)
    return bounds[np.searchsorted(bounds, np.arange(reach.size), side="right")]


def _reach(prog: ProgramArrays, streams: range, block_slots: I64, sector_bytes: int) -> I64:
    """[period] each loop period's reach over the warps ``streams`` of one CTA class."""
    sectors: list[I64] = []
    periods: list[I64] = []
    for stream in streams:
        count = int(prog.loop_count[stream])
        if count == 0:
            continue
        start = int(prog.visit_ptr[stream])
        before = (
            np.bincount(
                prog.visit_bb[start : start + int(prog.loop_start[stream])],
                minlength=block_slots.shape[0],
            )
            @ block_slots
        )
        for slot in np.flatnonzero(np.isin(prog.slot_kind, GLOBAL_KINDS)):
            per_period = int(prog.loop_execs[stream, slot])
            if per_period == 0:
                continue
            executions = before[slot] + np.arange(count * per_period, dtype=np.int64)
            touched, index = _sectors(prog, stream, int(slot), executions, sector_bytes)
            sectors.append(touched)
            periods.append(index // per_period)
    length = int(prog.loop_count[streams.start : streams.stop].max(initial=0))
    reach = np.zeros(length, dtype=np.int64)
    if not sectors:
        return reach
    sector = np.concatenate(sectors)
    # One sort of (sector, period) keys: sectors relative to the lowest span at most the
    # device memory (2^33 sectors of 32 bytes in 256 GiB), periods far fewer than 2^30.
    keys = np.sort((sector - sector.min()) * length + np.concatenate(periods))
    again = keys[1:] // length == keys[:-1] // length
    period = keys % length
    np.maximum.at(reach, period[1:][again], (period[1:] - period[:-1])[again])
    return reach


def _sectors(
    prog: ProgramArrays, stream: int, slot: int, executions: I64, sector_bytes: int
) -> tuple[I64, I64]:
    """The sectors the given executions of one memory slot touch (every active lane's
    first and last byte), with the index into ``executions`` of each."""
    key = stream * prog.cta_shift.shape[1] + slot
    lo, hi = int(prog.run_ptr[key]), int(prog.run_ptr[key + 1])
    run = lo + np.searchsorted(prog.run_exec[lo:hi], executions, side="right") - 1
    inside = run >= lo
    run = np.where(inside, run, lo)
    inside &= (hi > lo) & (executions < prog.run_exec[run] + prog.run_count[run])
    index = np.flatnonzero(inside)
    run = run[index]
    step = (executions[index] - prog.run_exec[run]) * prog.run_stride[run]
    address = prog.run_base[run] + step[:, None]
    lanes = ((prog.run_mask[run][:, None] >> np.arange(LANES, dtype=np.uint32)) & 1).astype(bool)
    rows = np.broadcast_to(index[:, None], address.shape)[lanes]
    first = address[lanes] // sector_bytes
    last = (address[lanes] + int(prog.slot_width_bytes[slot]) - 1) // sector_bytes
    straddle = last != first
    return np.concatenate([first, last[straddle]]), np.concatenate([rows, rows[straddle]])


def _block_slot_executions(prog: ProgramArrays) -> I64:
    """[block, memory slot] executions of each memory slot in one visit of each block."""
    blocks = prog.bb_start.size - 1
    slots = max(int(prog.cta_shift.shape[1]), 1)
    counts = np.zeros((blocks, slots), dtype=np.int64)
    instructions = np.flatnonzero(prog.mem_slot >= 0)
    block = np.searchsorted(prog.bb_start, instructions, side="right") - 1
    np.add.at(counts, (block, prog.mem_slot[instructions]), 1)
    return counts
