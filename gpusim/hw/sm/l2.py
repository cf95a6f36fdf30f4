"""L2 slices and HBM channels: where a sector that missed in L1 (or a store) goes.

L2 is ``l2.slices`` slices chosen by an XOR hash of the line, each set-associative and
sectored, write-back with write-allocate (a written sector needs no HBM read). Each slice
and each HBM channel serves one sector per service time in the order requests arrive
(``gpusim.hw.sm.calendar``), whatever order they are processed in. One path,
``_l2_sector``, serves both the timed access of the running warps and fast mode's untimed
replay of the loop periods it jumps over, so both count and replace alike.
"""

from __future__ import annotations

from gpusim.hw.sm import cache, calendar
from gpusim.hw.sm.jit import njit
from gpusim.hw.sm.memory_state import (
    C_DRAM_READ_BYTES,
    C_DRAM_WRITE_BYTES,
    C_L2_HIT_SECTORS,
    C_L2_MISS_SECTORS,
    C_L2_STORE_SECTORS,
    INVALID_TAG,
    MemoryParams,
    MemoryState,
)


@njit(cache=True, _nrt=False, inline="always")
def l2_access(
    params: MemoryParams, state: MemoryState, sm: int, sector_address: int, t: float, store: bool
) -> float:
    """One sector reaching L2 at ``t``; returns when its data is back at the SM (loads) or
    L2 has taken it (stores)."""
    return _l2_sector(params, state, sm, sector_address, t, store, True)


@njit(cache=True, _nrt=False)
def l2_replay(
    params: MemoryParams, state: MemoryState, sm: int, sector_address: int, store: bool
) -> None:
    """A sector access as L2 sees it, counted but untimed: fast mode's replay of the loop
    periods it jumps over, so that L2 ends up holding what they would have left there and
    the hits, misses and HBM traffic they would have caused are counted."""
    _l2_sector(params, state, sm, sector_address, 0.0, store, False)


@njit(cache=True, _nrt=False, inline="always")
def _l2_sector(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    sector_address: int,
    t: float,
    store: bool,
    timed: bool,
) -> float:
    """One sector through L2 (and HBM on a miss); ``timed``: occupy the slice and channel
    and return when the data is back, else only count and update the lines (returns ``t``)."""
    line = sector_address // params.l2_line_bytes
    sector_in_line, bit = cache.sector_bit(
        sector_address, params.l2_line_bytes, params.sector_bytes
    )
    slice_index = cache.hash_index(line, params.l2_slices)
    set_index = (line // params.l2_slices) % params.l2_sets
    start = t
    if timed:
        start = calendar.serve(state.l2_slots, slice_index, t, params.l2_sector_service_ns)
    way, previous = cache.lookup(
        state.l2_tags,
        state.l2_valid,
        state.l2_rank,
        params.l2_policy,
        state.stamp,
        slice_index,
        set_index,
        line,
    )
    if previous != line:
        _write_back(params, state, sm, slice_index, set_index, way, previous, start, timed)
    counters = state.counters[sm]
    where = (slice_index, set_index, way)
    if store:
        state.l2_valid[where] |= bit
        state.l2_dirty[where] |= bit
        counters[C_L2_STORE_SECTORS] += 1
        if not timed:
            return t
        state.l2_ready[slice_index, set_index, way, sector_in_line] = start
        return start + params.l2_latency_ns
    if state.l2_valid[where] & bit:
        counters[C_L2_HIT_SECTORS] += 1
        if not timed:
            return t
        return max(
            start + params.l2_latency_ns,
            state.l2_ready[slice_index, set_index, way, sector_in_line],
        )
    counters[C_L2_MISS_SECTORS] += 1
    counters[C_DRAM_READ_BYTES] += params.sector_bytes
    state.l2_valid[where] |= bit
    if not timed:
        return t
    channel = cache.hash_index(line, params.dram_channels)
    dram_start = calendar.serve(state.dram_slots, channel, start, params.dram_sector_service_ns)
    arrival = dram_start + params.dram_latency_ns
    state.l2_ready[slice_index, set_index, way, sector_in_line] = arrival
    return arrival


@njit(cache=True, _nrt=False, inline="always")
def _write_back(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    slice_index: int,
    set_index: int,
    way: int,
    old_line: int,
    t: float,
    timed: bool,
) -> None:
    """The replaced line's dirty sectors go to HBM (``timed``: each occupies the old line's
    channel from ``t``); the way starts clean."""
    dirty = state.l2_dirty[slice_index, set_index, way]
    state.l2_dirty[slice_index, set_index, way] = 0
    if dirty == 0 or old_line == INVALID_TAG:
        return
    channel = cache.hash_index(old_line, params.dram_channels)
    for sector_in_line in range(state.l2_ready.shape[3]):
        if (dirty >> sector_in_line) & 1:
            state.counters[sm, C_DRAM_WRITE_BYTES] += params.sector_bytes
            if timed:
                calendar.serve(state.dram_slots, channel, t, params.dram_sector_service_ns)
