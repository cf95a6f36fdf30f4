"""The memory hierarchy's figures (``MemoryParams``) and its mutable state (``MemoryState``).

The figures are the spec's, converted once to the engine's units (ns, bytes, policy codes);
the state is NumPy arrays the jitted L1 (``memory``) and L2/HBM (``l2``) paths update.
Nothing here is global: each kernel run builds its own state.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm.calendar import Calendar, new_calendar
from gpusim.hw.sm.replacement import POLICY_CODES, empty_rank
from gpusim.spec.gpu import GpuSpec
from gpusim.units import cycles_to_ns

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

INVALID_TAG = -1

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
    """L2's sector: the unit of L2 and HBM traffic."""
    l1_sector_bytes: int
    l1_line_bytes: int
    l1_sets: int
    l1_ways: int
    l1_policy: int
    l1_latency_ns: float
    l1_wavefront_ns: float
    """How long a global wavefront (one L1 line) holds the L1 data path."""
    l1_max_misses: int
    shared_latency_ns: float
    shared_wavefront_ns: float
    """How long a shared-memory wavefront (one pass over the banks) holds the data path."""
    shared_banks: int
    shared_bank_bytes: int
    l2_line_bytes: int
    l2_slices: int
    l2_sets: int
    l2_ways: int
    l2_policy: int
    l2_latency_ns: float
    l2_sector_service_ns: float
    dram_channels: int
    dram_latency_ns: float
    dram_sector_service_ns: float


class MemoryState(NamedTuple):
    """Mutable state of the hierarchy for one kernel run (nothing global, nothing shared).

    A line's sectors are the bits of its ``valid`` (and L2's ``dirty``) word."""

    l1_tags: I64  # [sm, set, way] line number, INVALID_TAG if empty
    l1_valid: I64  # [sm, set, way] sector valid bits
    l1_ready: F64  # [sm, set, way, sector] time the sector's fill arrives
    l1_rank: I64  # [sm, set, way] replacement state (gpusim.hw.sm.replacement)
    l1_port_free: F64  # [sm] L1/shared data path busy until
    mshr: F64  # [sm, max_misses] completion times of misses in flight (a min-heap)
    mshr_count: I64  # [sm] entries in the heap
    l2_tags: I64  # [slice, set, way]
    l2_valid: I64
    l2_dirty: I64
    l2_ready: F64  # [slice, set, way, sector]
    l2_rank: I64
    l2_slots: Calendar  # the slices' service slots (gpusim.hw.sm.calendar)
    dram_slots: Calendar  # the HBM channels'
    stamp: I64  # [1] access clock (LRU's stamps)
    counters: I64  # [sm, N_COUNTERS]


def memory_params(gpu: GpuSpec, l1_cache_bytes: int) -> MemoryParams:
    """The hierarchy of ``gpu`` with ``l1_cache_bytes`` of the L1/shared SRAM left to L1.

    The L1/shared data path moves ``l1.bandwidth_bytes_per_cycle``: a global wavefront (one
    line) holds it ``line_bytes / bandwidth`` cycles; a shared wavefront holds it for the
    bytes of one pass over the banks, and never less than the one cycle the banks take.
    """
    cycle_ns = cycles_to_ns(1.0, gpu.sm.clock_hz)
    l1, l2, dram = gpu.l1, gpu.l2, gpu.dram
    sector = l2.sector_bytes
    l1_sets = max(1, l1_cache_bytes // (l1.associativity * l1.line_bytes))
    bank_pass_bytes = l1.shared_banks * l1.shared_bank_width_bytes
    l2_slice_bytes = l2.size_bytes // l2.slices
    l2_bytes_per_ns = l2.bandwidth_bytes_per_cycle * gpu.sm.clock_hz / 1e9
    dram_bytes_per_ns = dram.bandwidth_bytes_per_s * dram.efficiency / 1e9
    return MemoryParams(
        sector_bytes=sector,
        l1_sector_bytes=l1.sector_bytes,
        l1_line_bytes=l1.line_bytes,
        l1_sets=l1_sets,
        l1_ways=l1.associativity,
        l1_policy=POLICY_CODES[l1.replacement_policy],
        l1_latency_ns=l1.latency_cycles * cycle_ns,
        l1_wavefront_ns=l1.line_bytes / l1.bandwidth_bytes_per_cycle * cycle_ns,
        l1_max_misses=l1.max_misses_in_flight,
        shared_latency_ns=l1.shared_latency_cycles * cycle_ns,
        shared_wavefront_ns=max(1.0, bank_pass_bytes / l1.bandwidth_bytes_per_cycle) * cycle_ns,
        shared_banks=l1.shared_banks,
        shared_bank_bytes=l1.shared_bank_width_bytes,
        l2_line_bytes=l2.line_bytes,
        l2_slices=l2.slices,
        l2_sets=l2_slice_bytes // (l2.associativity * l2.line_bytes),
        l2_ways=l2.associativity,
        l2_policy=POLICY_CODES[l2.replacement_policy],
        l2_latency_ns=l2.latency_cycles * cycle_ns,
        l2_sector_service_ns=sector / (l2_bytes_per_ns / l2.slices),
        dram_channels=dram.channels,
        dram_latency_ns=dram.latency_cycles * cycle_ns,
        dram_sector_service_ns=sector / (dram_bytes_per_ns / dram.channels),
    )


def new_memory_state(params: MemoryParams, sms: int) -> MemoryState:
    """Empty caches and idle servers for ``sms`` simulated SMs."""
    l1_sectors = params.l1_line_bytes // params.l1_sector_bytes
    l2_sectors = params.l2_line_bytes // params.sector_bytes
    l1_shape = (sms, params.l1_sets, params.l1_ways)
    l2_shape = (params.l2_slices, params.l2_sets, params.l2_ways)
    return MemoryState(
        l1_tags=np.full(l1_shape, INVALID_TAG, dtype=np.int64),
        l1_valid=np.zeros(l1_shape, dtype=np.int64),
        l1_ready=np.zeros((*l1_shape, l1_sectors), dtype=np.float64),
        l1_rank=np.full(l1_shape, empty_rank(params.l1_policy), dtype=np.int64),
        l1_port_free=np.zeros(sms, dtype=np.float64),
        mshr=np.zeros((sms, params.l1_max_misses), dtype=np.float64),
        mshr_count=np.zeros(sms, dtype=np.int64),
        l2_tags=np.full(l2_shape, INVALID_TAG, dtype=np.int64),
        l2_valid=np.zeros(l2_shape, dtype=np.int64),
        l2_dirty=np.zeros(l2_shape, dtype=np.int64),
        l2_ready=np.zeros((*l2_shape, l2_sectors), dtype=np.float64),
        l2_rank=np.full(l2_shape, empty_rank(params.l2_policy), dtype=np.int64),
        l2_slots=new_calendar(params.l2_slices),
        dram_slots=new_calendar(params.dram_channels),
        stamp=np.zeros(1, dtype=np.int64),
        counters=np.zeros((sms, N_COUNTERS), dtype=np.int64),
    )
