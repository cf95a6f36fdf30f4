"""The memory hierarchy below the SM pipelines, as the SM core calls it: a warp's global
loads and stores through its SM's L1, and its shared-memory accesses.

Caches are set-associative with sector valid bits and a replacement policy chosen by name
(``cache``, ``replacement``); L2 and HBM are ``l2``; the figures and state are
``memory_state``. Each SM's L1 data path is a FIFO server kept as a "busy until" time: its
SM's requests reach it in time order (the core simulates all SMs in one time-ordered
loop), which is when such a server is an exact queue. An L2 slice or HBM channel is shared
by every SM, and a request can reach it later than it is processed (it waited for the L1
data path or an MSHR), so those serve from a calendar of service slots
(``gpusim.hw.sm.calendar``), in arrival order whatever the processing order. Latencies are
load-to-use from the SM, as the specs give them, so an unloaded pointer chase sees exactly
``l1``/``l2``/``dram`` ``latency_cycles``.

Everything here is ``@njit``: it runs once per memory instruction of every simulated warp.
Times are nanoseconds (``gpusim.units``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm import cache
from gpusim.hw.sm.jit import njit
from gpusim.hw.sm.l2 import l2_access, l2_replay
from gpusim.hw.sm.memory_state import (
    C_DRAM_READ_BYTES,
    C_DRAM_WRITE_BYTES,
    C_GLOBAL_LOAD_BYTES,
    C_GLOBAL_STORE_BYTES,
    C_L1_HIT_SECTORS,
    C_L1_MISS_SECTORS,
    C_L2_HIT_SECTORS,
    C_L2_MISS_SECTORS,
    C_L2_STORE_SECTORS,
    C_SHARED_REQUESTS,
    C_SHARED_WAVEFRONTS,
    L2_COUNTERS,
    MemoryParams,
    MemoryState,
    memory_params,
    new_memory_state,
)

__all__ = [
    "C_DRAM_READ_BYTES",
    "C_DRAM_WRITE_BYTES",
    "C_L1_HIT_SECTORS",
    "C_L1_MISS_SECTORS",
    "C_L2_HIT_SECTORS",
    "C_L2_MISS_SECTORS",
    "C_L2_STORE_SECTORS",
    "C_SHARED_REQUESTS",
    "C_SHARED_WAVEFRONTS",
    "L2_COUNTERS",
    "LANES",
    "MemoryParams",
    "MemoryState",
    "active_lanes",
    "coalesce",
    "global_load",
    "global_store",
    "l2_replay",
    "memory_params",
    "new_memory_state",
    "shared_access",
    "tensor_copy",
]
"""The hierarchy's interface to the core and the launcher (the figures, state and L2 replay
are defined in ``memory_state`` and ``l2``)."""

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

LANES = 32
SHARED_WORDS_MAX = LANES * 4
"""Distinct 4-byte words a warp's shared access can touch (32 lanes of 16 bytes)."""


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
    shadow_shifts: I64,
    shadow_count: int,
) -> float:
    """One sector to L2 for this SM, and the same sector shifted for each shadow SM.

    Shadow SMs stand for the SMs that fast mode does not simulate: each runs another CTA
    in step with this one, so its traffic is this access shifted by that CTA's offset.
    Half of them reach L2 before this SM's request and half after, as in a loaded GPU
    where a request waits on average behind half of its simultaneous peers.
    """
    half = shadow_count // 2
    arrival = t
    # One call site for the L2 path (it is inlined: each site is compiled anew); position
    # ``half`` of the loop is this SM's own access, the others its shadows' in order.
    for position in range(shadow_count + 1):
        own = position == half
        shift = 0 if own else shadow_shifts[position if position < half else position - 1]
        reached = l2_access(params, state, sm, address + shift, t, store)
        if own:
            arrival = reached
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
    shadow_shifts: I64,
    shadow_count: int,
) -> float:
    """A warp's global load issued at ``t``; returns when the last sector is back.

    Sectors (``l1.sector_bytes``) missing in L1 take an MSHR (waiting for one if all are
    busy) and fetch the L2 sectors they span; a sector already on its way (a pending fill)
    is waited for, not fetched twice.
    """
    sectors = coalesce(addresses, mask, width_bytes, params.l1_sector_bytes, scratch)
    if sectors == 0:
        return t
    wavefronts = _count_lines(scratch, sectors, params.l1_line_bytes)
    start = max(t, state.l1_port_free[sm])
    state.l1_port_free[sm] = start + wavefronts * params.l1_wavefront_ns
    counters = state.counters[sm]
    counters[C_GLOBAL_LOAD_BYTES] += active_lanes(mask) * width_bytes
    ready = start
    for index in range(sectors):
        address = scratch[index]
        line = address // params.l1_line_bytes
        set_index = line % params.l1_sets
        sector_in_line, bit = cache.sector_bit(
            address, params.l1_line_bytes, params.l1_sector_bytes
        )
        way, _ = cache.lookup(
            state.l1_tags,
            state.l1_valid,
            state.l1_rank,
            params.l1_policy,
            state.stamp,
            sm,
            set_index,
            line,
        )
        if state.l1_valid[sm, set_index, way] & bit:
            counters[C_L1_HIT_SECTORS] += 1
            arrival = max(
                start + params.l1_latency_ns, state.l1_ready[sm, set_index, way, sector_in_line]
            )
        else:
            counters[C_L1_MISS_SECTORS] += 1
            leave = _mshr_acquire(state, sm, start)
            arrival = _fill_from_l2(params, state, sm, address, leave, shadow_shifts, shadow_count)
            _mshr_hold(state, sm, arrival)
            state.l1_valid[sm, set_index, way] |= bit
            state.l1_ready[sm, set_index, way, sector_in_line] = arrival
        ready = max(ready, arrival)
    return ready


@njit(cache=True, _nrt=False, inline="always")
def _fill_from_l2(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    l1_sector_address: int,
    t: float,
    shadow_shifts: I64,
    shadow_count: int,
) -> float:
    """Fetch the L2 sectors an L1 sector spans (one when the sectors are the same size);
    returns when the last is back."""
    l2_sector = params.sector_bytes
    first = l1_sector_address // l2_sector
    last = (l1_sector_address + params.l1_sector_bytes - 1) // l2_sector
    arrival = t
    for sector in range(first, last + 1):
        fill = _to_l2(params, state, sm, sector * l2_sector, t, False, shadow_shifts, shadow_count)
        arrival = max(arrival, fill)
    return arrival


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
    shadow_shifts: I64,
    shadow_count: int,
) -> float:
    """A warp's global store issued at ``t``: write-through to L2, no L1 allocation (a line
    already in L1 stays valid, updated in place). Returns when L2 has accepted the data."""
    sectors = coalesce(addresses, mask, width_bytes, params.sector_bytes, scratch)
    if sectors == 0:
        return t
    wavefronts = _count_lines(scratch, sectors, params.l1_line_bytes)
    start = max(t, state.l1_port_free[sm])
    state.l1_port_free[sm] = start + wavefronts * params.l1_wavefront_ns
    state.counters[sm, C_GLOBAL_STORE_BYTES] += active_lanes(mask) * width_bytes
    accepted = start
    for index in range(sectors):
        arrival = _to_l2(
            params, state, sm, scratch[index], start, True, shadow_shifts, shadow_count
        )
        accepted = max(accepted, arrival)
    return accepted


@njit(cache=True, _nrt=False, inline="always")
def tensor_copy(
    params: MemoryParams,
    state: MemoryState,
    sm: int,
    first_byte: int,
    rows: int,
    row_bytes: int,
    row_stride_bytes: int,
    t: float,
    shadow_shifts: I64,
    shadow_count: int,
) -> float:
    """A TMA box copy issued at ``t``: ``rows`` rows of ``row_bytes``, ``row_stride_bytes``
    apart from ``first_byte``; returns when its last sector has landed in shared memory.

    The TMA fetches every L2 sector of the box (for this SM and its shadows) without L1
    or its MSHRs, and writes the box into shared memory over the L1/shared data path,
    which it holds for the box's lines from when that path is free, as ``cp.async``'s
    copies do.
    """
    lines_per_row = -(-row_bytes // params.l1_line_bytes)
    start = max(t, state.l1_port_free[sm])
    state.l1_port_free[sm] = start + rows * lines_per_row * params.l1_wavefront_ns
    state.counters[sm, C_GLOBAL_LOAD_BYTES] += rows * row_bytes
    sector_bytes = params.sector_bytes
    landed = start
    for row in range(rows):
        row_start = first_byte + row * row_stride_bytes
        for sector in range(
            row_start // sector_bytes, (row_start + row_bytes - 1) // sector_bytes + 1
        ):
            arrival = _to_l2(
                params, state, sm, sector * sector_bytes, start, False, shadow_shifts, shadow_count
            )
            landed = max(landed, arrival)
    return landed


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
def active_lanes(mask: int) -> int:
    count = 0
    for lane in range(LANES):
        if mask & (1 << lane):
            count += 1
    return count
