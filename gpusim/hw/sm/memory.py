"""The memory hierarchy below the SM pipelines: L1 per SM, L2 slices, HBM channels.

Caches are set-associative with sector valid bits and LRU replacement, in NumPy arrays; the
bandwidth-limited parts (each L2 slice, each HBM channel, each SM's L1 data path) are FIFO
servers kept as "busy until" timestamps. Requests reach them in non-decreasing time order
(the core simulates all SMs in one time-ordered loop), which is exactly when a timestamp
server is an exact FIFO queue: a request waits ``max(0, busy_until - t)``, then holds the
server for its service time. Latencies are load-to-use from the SM, as the specs give them,
so an unloaded pointer chase sees exactly ``l1``/``l2``/``dram`` ``latency_cycles``.

Everything here is ``@njit``: it runs once per memory instruction of every simulated warp.
Times are nanoseconds (``gpusim.units``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from numba import njit

from gpusim.spec.gpu import GpuSpec
from gpusim.units import cycles_to_ns

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]

LANES = 32
INVALID_TAG = -1
SHARED_WORDS_MAX = LANES * 4
"""Distinct 4-byte words a warp's shared access can touch (32 lanes of 16 bytes)."""

# Counters kept per SM in MemoryState.counters[sm, :].
C_L1_HIT_SECTORS = 0
C_L1_MISS_SECTORS = 1
C_L2_HIT_SECTORS = 2
C_L2_MISS_SECTORS = 3
C_DRAM_READ_BYTES = 4
C_DRAM_WRITE_BYTES = 5
C_GLOBAL_LOAD_BYTES = 6
C_GLOBAL_STORE_BYTES = 7
C_SHARED_WAVEFRONTS = 8
C_SHARED_REQUESTS = 9
C_L2_STORE_SECTORS = 10
N_COUNTERS = 11
L2_COUNTERS = (
    C_L2_HIT_SECTORS,
    C_L2_MISS_SECTORS,
    C_L2_STORE_SECTORS,
    C_DRAM_READ_BYTES,
    C_DRAM_WRITE_BYTES,
)
"""The counters L2 and HBM keep (those ``l2_replay`` counts)."""


class MemoryParams(NamedTuple):
    """The figures of the hierarchy, converted to the engine's units (ns, bytes)."""

    sector_bytes: int
    l1_line_bytes: int
    l1_sets: int
    l1_ways: int
    l1_latency_ns: float
    l1_wavefront_ns: float
    l1_max_misses: int
    shared_latency_ns: float
    shared_banks: int
    shared_bank_bytes: int
    l2_line_bytes: int
    l2_slices: int
    l2_sets: int
    l2_ways: int
    l2_latency_ns: float
    l2_sector_service_ns: float
    dram_channels: int
    dram_latency_ns: float
    dram_sector_service_ns: float


class MemoryState(NamedTuple):
    """Mutable state of the hierarchy for one kernel run (nothing global, nothing shared)."""

    l1_tags: I64  # [sm, set, way] line number, INVALID_TAG if empty
    l1_valid: U8  # [sm, set, way] sector valid bits
    l1_ready: F64  # [sm, set, way, sector] time the sector's fill arrives
    l1_lru: I64  # [sm, set, way] last-use stamp
    l1_port_free: F64  # [sm] L1/shared data path busy until
    mshr: F64  # [sm, max_misses] completion times of misses in flight (a min-heap)
    mshr_count: I64  # [sm] entries in the heap
    l2_tags: I64  # [slice, set, way]
    l2_valid: U8
    l2_dirty: U8
    l2_ready: F64  # [slice, set, way, sector]
    l2_lru: I64
    l2_free: F64  # [slice] busy until
    dram_free: F64  # [channel] busy until
    stamp: I64  # [1] LRU clock
    counters: I64  # [sm, N_COUNTERS]


def memory_params(gpu: GpuSpec, l1_cache_bytes: int) -> MemoryParams:
    """The hierarchy of ``gpu`` with ``l1_cache_bytes`` of the L1/shared SRAM left to L1."""
    cycle_ns = cycles_to_ns(1.0, gpu.sm.clock_hz)
    l1, l2, dram = gpu.l1, gpu.l2, gpu.dram
    sector = l2.sector_bytes
    l1_sets = max(1, l1_cache_bytes // (l1.associativity * l1.line_bytes))
    l2_slice_bytes = l2.size_bytes // l2.slices
    l2_bytes_per_ns = l2.bandwidth_bytes_per_cycle * gpu.sm.clock_hz / 1e9
    dram_bytes_per_ns = dram.bandwidth_bytes_per_s * dram.efficiency / 1e9
    return MemoryParams(
        sector_bytes=sector,
        l1_line_bytes=l1.line_bytes,
        l1_sets=l1_sets,
        l1_ways=l1.associativity,
        l1_latency_ns=l1.latency_cycles * cycle_ns,
        l1_wavefront_ns=cycle_ns,
        l1_max_misses=l1.max_misses_in_flight,
        shared_latency_ns=l1.shared_latency_cycles * cycle_ns,
        shared_banks=l1.shared_banks,
        shared_bank_bytes=l1.shared_bank_width_bytes,
        l2_line_bytes=l2.line_bytes,
        l2_slices=l2.slices,
        l2_sets=l2_slice_bytes // (l2.associativity * l2.line_bytes),
        l2_ways=l2.associativity,
        l2_latency_ns=l2.latency_cycles * cycle_ns,
        l2_sector_service_ns=sector / (l2_bytes_per_ns / l2.slices),
        dram_channels=dram.channels,
        dram_latency_ns=dram.latency_cycles * cycle_ns,
        dram_sector_service_ns=sector / (dram_bytes_per_ns / dram.channels),
    )


def new_memory_state(params: MemoryParams, sms: int) -> MemoryState:
    """Empty caches and idle servers for ``sms`` simulated SMs."""
    l1_sectors = params.l1_line_bytes // params.sector_bytes
    l2_sectors = params.l2_line_bytes // params.sector_bytes
    l1_shape = (sms, params.l1_sets, params.l1_ways)
    l2_shape = (params.l2_slices, params.l2_sets, params.l2_ways)
    return MemoryState(
        l1_tags=np.full(l1_shape, INVALID_TAG, dtype=np.int64),
        l1_valid=np.zeros(l1_shape, dtype=np.uint8),
        l1_ready=np.zeros((*l1_shape, l1_sectors), dtype=np.float64),
        l1_lru=np.zeros(l1_shape, dtype=np.int64),
        l1_port_free=np.zeros(sms, dtype=np.float64),
        mshr=np.zeros((sms, params.l1_max_misses), dtype=np.float64),
        mshr_count=np.zeros(sms, dtype=np.int64),
        l2_tags=np.full(l2_shape, INVALID_TAG, dtype=np.int64),
        l2_valid=np.zeros(l2_shape, dtype=np.uint8),
        l2_dirty=np.zeros(l2_shape, dtype=np.uint8),
        l2_ready=np.zeros((*l2_shape, l2_sectors), dtype=np.float64),
        l2_lru=np.zeros(l2_shape, dtype=np.int64),
        l2_free=np.zeros(params.l2_slices, dtype=np.float64),
        dram_free=np.zeros(params.dram_channels, dtype=np.float64),
        stamp=np.zeros(1, dtype=np.int64),
        counters=np.zeros((sms, N_COUNTERS), dtype=np.int64),
    )


@njit(cache=True, _nrt=False, inline="always")
def _hash_index(line: int, buckets: int) -> int:
    """Spread consecutive lines over ``buckets`` (slices, channels) with an XOR fold."""
    folded = line ^ (line >> 7) ^ (line >> 13) ^ (line >> 19)
    return folded % buckets


@njit(cache=True, _nrt=False, inline="always")
def _find_way(tags: I64, lru: I64, unit: int, set_index: int, line: int) -> tuple[int, bool]:
    """The way holding ``line`` (hit), else the LRU way to replace (miss)."""
    ways = tags.shape[2]
    victim = 0
    oldest = lru[unit, set_index, 0]
    for way in range(ways):
        if tags[unit, set_index, way] == line:
            return way, True
        if lru[unit, set_index, way] < oldest:
            oldest = lru[unit, set_index, way]
            victim = way
    return victim, False


@njit(cache=True, _nrt=False, inline="always")
def _mshr_acquire(state: MemoryState, sm: int, t: float) -> float:
    """When a new miss of ``sm`` can leave for L2: ``t``, or when the first MSHR frees."""
    heap = state.mshr[sm]
    count = state.mshr_count[sm]
    while count > 0 and heap[0] <= t:
        count = _heap_pop(heap, count)
    start = t
    if count == heap.shape[0]:
        start = heap[0]
        count = _heap_pop(heap, count)
    state.mshr_count[sm] = count
    return start


@njit(cache=True, _nrt=False, inline="always")
def _mshr_hold(state: MemoryState, sm: int, until: float) -> None:
    heap = state.mshr[sm]
    count = state.mshr_count[sm]
    heap[count] = until
    index = count
    while index > 0:
        parent = (index - 1) // 2
        if heap[parent] <= heap[index]:
            break
        heap[parent], heap[index] = heap[index], heap[parent]
        index = parent
    state.mshr_count[sm] = count + 1


@njit(cache=True, _nrt=False, inline="always")
def _heap_pop(heap: F64, count: int) -> int:
    count -= 1
    heap[0] = heap[count]
    index = 0
    while True:
        left = 2 * index + 1
        if left >= count:
            break
        child = left
        if left + 1 < count and heap[left + 1] < heap[left]:
            child = left + 1
        if heap[index] <= heap[child]:
            break
        heap[index], heap[child] = heap[child], heap[index]
        index = child
    return count


@njit(cache=True, _nrt=False, inline="always")
def l2_access(
    params: MemoryParams, state: MemoryState, sm: int, sector_address: int, t: float, store: bool
) -> float:
    """One sector reaching L2 at ``t``; returns when its data is back at the SM (loads)."""
    sector = params.sector_bytes
    line = sector_address // params.l2_line_bytes
    sector_in_line = (sector_address % params.l2_line_bytes) // sector
    bit = np.uint8(1 << sector_in_line)
    slice_index = _hash_index(line, params.l2_slices)
    set_index = (line // params.l2_slices) % params.l2_sets
    start = max(t, state.l2_free[slice_index])
    state.l2_free[slice_index] = start + params.l2_sector_service_ns
    state.stamp[0] += 1
    way, hit = _find_way(state.l2_tags, state.l2_lru, slice_index, set_index, line)
    if not hit:
        _l2_evict(params, state, sm, slice_index, set_index, way, start)
        state.l2_tags[slice_index, set_index, way] = line
    state.l2_lru[slice_index, set_index, way] = state.stamp[0]
    valid = (state.l2_valid[slice_index, set_index, way] & bit) != 0
    if store:
        state.l2_valid[slice_index, set_index, way] |= bit
        state.l2_dirty[slice_index, set_index, way] |= bit
        state.l2_ready[slice_index, set_index, way, sector_in_line] = start
        state.counters[sm, C_L2_STORE_SECTORS] += 1
        return start + params.l2_latency_ns
    if valid:
        state.counters[sm, C_L2_HIT_SECTORS] += 1
        ready = state.l2_ready[slice_index, set_index, way, sector_in_line]
        return max(start + params.l2_latency_ns, ready)
    state.counters[sm, C_L2_MISS_SECTORS] += 1
    state.counters[sm, C_DRAM_READ_BYTES] += sector
    channel = _hash_index(line, params.dram_channels)
    dram_start = max(start, state.dram_free[channel])
    state.dram_free[channel] = dram_start + params.dram_sector_service_ns
    arrival = dram_start + params.dram_latency_ns
    state.l2_valid[slice_index, set_index, way] |= bit
    state.l2_ready[slice_index, set_index, way, sector_in_line] = arrival
    return arrival


@njit(cache=True, _nrt=False)
def l2_replay(
    params: MemoryParams, state: MemoryState, sm: int, sector_address: int, store: bool
) -> None:
    """A sector access as L2 sees it, counted but untimed: fast mode's replay of the loop
    periods it jumps over, so that L2 ends up holding what they would have left there and
    the hits, misses and HBM traffic they would have caused are counted."""
    line = sector_address // params.l2_line_bytes
    sector_in_line = (sector_address % params.l2_line_bytes) // params.sector_bytes
    bit = np.uint8(1 << sector_in_line)
    slice_index = _hash_index(line, params.l2_slices)
    set_index = (line // params.l2_slices) % params.l2_sets
    counters = state.counters[sm]
    state.stamp[0] += 1
    way, hit = _find_way(state.l2_tags, state.l2_lru, slice_index, set_index, line)
    if not hit:
        dirty = state.l2_dirty[slice_index, set_index, way]
        if state.l2_tags[slice_index, set_index, way] != INVALID_TAG:
            for sector in range(8):
                if dirty & (1 << sector):
                    counters[C_DRAM_WRITE_BYTES] += params.sector_bytes
        state.l2_tags[slice_index, set_index, way] = line
        state.l2_valid[slice_index, set_index, way] = 0
        state.l2_dirty[slice_index, set_index, way] = 0
    state.l2_lru[slice_index, set_index, way] = state.stamp[0]
    if store:
        state.l2_dirty[slice_index, set_index, way] |= bit
        counters[C_L2_STORE_SECTORS] += 1
    elif state.l2_valid[slice_index, set_index, way] & bit:
        counters[C_L2_HIT_SECTORS] += 1
    else:
        counters[C_L2_MISS_SECTORS] += 1
        counters[C_DRAM_READ_BYTES] += params.sector_bytes
    state.l2_valid[slice_index, set_index, way] |= bit


@njit(cache=True, _nrt=False, inline="always")
def _l2_evict(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    slice_index: int,
    set_index: int,
    way: int,
    t: float,
) -> None:
    """Drop a line; its dirty sectors are written back, occupying their HBM channel."""
    dirty = state.l2_dirty[slice_index, set_index, way]
    old_line = state.l2_tags[slice_index, set_index, way]
    if dirty and old_line != INVALID_TAG:
        channel = _hash_index(old_line, params.dram_channels)
        for sector_in_line in range(8):
            if dirty & (1 << sector_in_line):
                state.dram_free[channel] = (
                    max(t, state.dram_free[channel]) + params.dram_sector_service_ns
                )
                state.counters[sm, C_DRAM_WRITE_BYTES] += params.sector_bytes
    state.l2_valid[slice_index, set_index, way] = 0
    state.l2_dirty[slice_index, set_index, way] = 0


@njit(cache=True, _nrt=False, inline="always")
def _insert_unique(values: I64, count: int, value: int) -> int:
    """Insert ``value`` into the sorted prefix ``values[:count]`` unless present."""
    index = count
    while index > 0 and values[index - 1] > value:
        index -= 1
    if index > 0 and values[index - 1] == value:
        return count
    for move in range(count, index, -1):
        values[move] = values[move - 1]
    values[index] = value
    return count + 1


@njit(cache=True, _nrt=False, inline="always")
def coalesce(addresses: I64, mask: int, width_bytes: int, sector_bytes: int, out: I64) -> int:
    """The distinct sectors the active lanes touch, sorted into ``out``; returns how many."""
    count = 0
    for lane in range(LANES):
        if mask & (1 << lane):
            first = addresses[lane] // sector_bytes
            last = (addresses[lane] + width_bytes - 1) // sector_bytes
            for sector in range(first, last + 1):
                count = _insert_unique(out, count, sector * sector_bytes)
    return count


@njit(cache=True, _nrt=False, inline="always")
def _count_lines(sectors: I64, count: int, line_bytes: int) -> int:
    lines = 0
    previous = -1
    for index in range(count):
        line = sectors[index] // line_bytes
        if line != previous:
            lines += 1
            previous = line
    return lines


@njit(cache=True, _nrt=False, inline="always")
def _to_l2(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    address: int,
    t: float,
    store: bool,
    shadow: I64,
    shadows: int,
) -> float:
    """One sector to L2 for this SM, and the same sector shifted for each shadow SM.

    Shadow SMs stand for the SMs that fast mode does not simulate: each runs another CTA
    in step with this one, so its traffic is this access shifted by that CTA's offset.
    Half of them reach L2 before this SM's request and half after, as in a loaded GPU
    where a request waits on average behind half of its simultaneous peers.
    """
    half = shadows // 2
    for index in range(half):
        l2_access(params, state, sm, address + shadow[index], t, store)
    arrival = l2_access(params, state, sm, address, t, store)
    for index in range(half, shadows):
        l2_access(params, state, sm, address + shadow[index], t, store)
    return arrival


@njit(cache=True, _nrt=False, inline="always")
def global_load(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    addresses: I64,
    mask: int,
    width_bytes: int,
    t: float,
    scratch: I64,
    shadow: I64,
    shadows: int,
) -> float:
    """A warp's global load issued at ``t``; returns when the last sector is back.

    Sectors missing in L1 take an MSHR (waiting for one if all are busy) and go to L2;
    a sector already on its way (a pending fill) is waited for, not fetched twice.
    """
    sectors = coalesce(addresses, mask, width_bytes, params.sector_bytes, scratch)
    if sectors == 0:
        return t
    wavefronts = _count_lines(scratch, sectors, params.l1_line_bytes)
    start = max(t, state.l1_port_free[sm])
    state.l1_port_free[sm] = start + wavefronts * params.l1_wavefront_ns
    counters = state.counters[sm]
    counters[C_GLOBAL_LOAD_BYTES] += _active_lanes(mask) * width_bytes
    ready = start
    for index in range(sectors):
        address = scratch[index]
        line = address // params.l1_line_bytes
        set_index = line % params.l1_sets
        sector_in_line = (address % params.l1_line_bytes) // params.sector_bytes
        bit = np.uint8(1 << sector_in_line)
        state.stamp[0] += 1
        way, hit = _find_way(state.l1_tags, state.l1_lru, sm, set_index, line)
        if not hit:
            state.l1_tags[sm, set_index, way] = line
            state.l1_valid[sm, set_index, way] = 0
        state.l1_lru[sm, set_index, way] = state.stamp[0]
        if state.l1_valid[sm, set_index, way] & bit:
            counters[C_L1_HIT_SECTORS] += 1
            arrival = max(
                start + params.l1_latency_ns, state.l1_ready[sm, set_index, way, sector_in_line]
            )
        else:
            counters[C_L1_MISS_SECTORS] += 1
            leave = _mshr_acquire(state, sm, start)
            arrival = _to_l2(params, state, sm, address, leave, False, shadow, shadows)
            _mshr_hold(state, sm, arrival)
            state.l1_valid[sm, set_index, way] |= bit
            state.l1_ready[sm, set_index, way, sector_in_line] = arrival
        ready = max(ready, arrival)
    return ready


@njit(cache=True, _nrt=False, inline="always")
def global_store(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    addresses: I64,
    mask: int,
    width_bytes: int,
    t: float,
    scratch: I64,
    shadow: I64,
    shadows: int,
) -> float:
    """A warp's global store issued at ``t``: write-through to L2, no L1 allocation (a line
    already in L1 stays valid, updated in place). Returns when L2 has accepted the data."""
    sectors = coalesce(addresses, mask, width_bytes, params.sector_bytes, scratch)
    if sectors == 0:
        return t
    wavefronts = _count_lines(scratch, sectors, params.l1_line_bytes)
    start = max(t, state.l1_port_free[sm])
    state.l1_port_free[sm] = start + wavefronts * params.l1_wavefront_ns
    state.counters[sm, C_GLOBAL_STORE_BYTES] += _active_lanes(mask) * width_bytes
    accepted = start
    for index in range(sectors):
        arrival = _to_l2(params, state, sm, scratch[index], start, True, shadow, shadows)
        accepted = max(accepted, arrival)
    return accepted


@njit(cache=True, _nrt=False, inline="always")
def shared_access(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    addresses: I64,
    mask: int,
    width_bytes: int,
    t: float,
    scratch: I64,
) -> float:
    """A warp's shared-memory access issued at ``t``; returns when its data is ready.

    The warp is split into phases of 128 bytes (32 lanes of 4 bytes, 16 of 8, 8 of 16);
    in each phase the busiest bank, counted in distinct words, sets the wavefronts.
    """
    lanes_per_phase = max(1, (params.shared_banks * params.shared_bank_bytes) // width_bytes)
    wavefronts = 0
    for phase_start in range(0, LANES, lanes_per_phase):
        wavefronts += _phase_wavefronts(
            params, addresses, mask, width_bytes, phase_start, lanes_per_phase, scratch
        )
    if wavefronts == 0:
        return t
    counters = state.counters[sm]
    counters[C_SHARED_WAVEFRONTS] += wavefronts
    counters[C_SHARED_REQUESTS] += 1
    start = max(t, state.l1_port_free[sm])
    state.l1_port_free[sm] = start + wavefronts * params.l1_wavefront_ns
    return start + params.shared_latency_ns + (wavefronts - 1) * params.l1_wavefront_ns


@njit(cache=True, _nrt=False, inline="always")
def _phase_wavefronts(
    params: MemoryParams,
    addresses: I64,
    mask: int,
    width_bytes: int,
    first: int,
    lanes: int,
    scratch: I64,
) -> int:
    """Most distinct words any one bank must deliver for these lanes (0 if none active).

    ``scratch`` holds the distinct words (one per bank-width of every lane) and, after them,
    a counter per bank.
    """
    bank_bytes = params.shared_bank_bytes
    banks = params.shared_banks
    count = 0
    for lane in range(first, min(first + lanes, LANES)):
        if mask & (1 << lane):
            for offset in range(0, width_bytes, bank_bytes):
                count = _insert_unique(scratch, count, (addresses[lane] + offset) // bank_bytes)
    counters = SHARED_WORDS_MAX
    for bank in range(banks):
        scratch[counters + bank] = 0
    worst = 0
    for index in range(count):
        bank = counters + scratch[index] % banks
        scratch[bank] += 1
        worst = max(worst, scratch[bank])
    return worst


@njit(cache=True, _nrt=False, inline="always")
def _active_lanes(mask: int) -> int:
    count = 0
    for lane in range(LANES):
        if mask & (1 << lane):
            count += 1
    return count
