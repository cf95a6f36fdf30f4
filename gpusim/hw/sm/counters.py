"""The extensive counters of a run, by name: what fast mode measures, scales and reports.

Counters grow with the work simulated (instructions issued, pipe and stall time, sectors,
bytes), so fast mode can extrapolate them: a round skip or a loop jump adds a multiple of
their growth over a measured stretch. ``Counters`` names the live arrays (the SMs' and the
memory hierarchy's); a snapshot is a ``copy()`` of them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm.memory import (
    C_L1_HIT_SECTORS,
    C_L1_MISS_SECTORS,
    C_L2_HIT_SECTORS,
    C_L2_MISS_SECTORS,
    C_L2_STORE_SECTORS,
    L2_COUNTERS,
    MemoryState,
)
from gpusim.hw.sm.state import CoreState, SmCounters


class HitCounts(NamedTuple):
    """Sectors asked of one cache, and how many of them hit."""

    hit_sectors: int
    sectors: int

    def ratio_since(self, earlier: HitCounts) -> float:
        """The share of sectors asked since ``earlier`` that hit (0 when none was asked)."""
        asked = self.sectors - earlier.sectors
        return (self.hit_sectors - earlier.hit_sectors) / asked if asked else 0.0


class CacheCounts(NamedTuple):
    """Sectors asked of L1 and of L2 since the run started (L2: loads and stores)."""

    l1: HitCounts
    l2: HitCounts


class Counters(NamedTuple):
    """The SMs' counters and the memory hierarchy's (``[sm, C_*]`` of ``gpusim.hw.sm.memory``)."""

    sm: SmCounters
    memory: npt.NDArray[np.int64]

    @classmethod
    def of(cls, state: CoreState, mem: MemoryState) -> Counters:
        """The live counters of a run (views: they change as it runs)."""
        return cls(state.counters, mem.counters)

    def copy(self) -> Counters:
        """A snapshot."""
        return Counters(SmCounters._make(array.copy() for array in self.sm), self.memory.copy())

    def memory_totals(self) -> npt.NDArray[np.int64]:
        """The memory counters summed over the simulated SMs."""
        return self.memory.sum(axis=0)  # type: ignore[no-any-return]

    def cache_counts(self) -> CacheCounts:
        """Sectors asked of L1 and of L2 so far, and their hits."""
        total = self.memory_totals()
        l2_sectors = total[C_L2_HIT_SECTORS] + total[C_L2_MISS_SECTORS] + total[C_L2_STORE_SECTORS]
        return CacheCounts(
            l1=HitCounts(
                int(total[C_L1_HIT_SECTORS]),
                int(total[C_L1_HIT_SECTORS] + total[C_L1_MISS_SECTORS]),
            ),
            l2=HitCounts(int(total[C_L2_HIT_SECTORS]), int(l2_sectors)),
        )

    def l2_sectors_taken_in(self) -> int:
        """Sectors L2 has taken in so far: its load misses and its stores (write-allocate; a
        store to a sector it holds counts too)."""
        total = self.memory_totals()
        return int(total[C_L2_MISS_SECTORS] + total[C_L2_STORE_SECTORS])

    def l2_load_hit_ratio_since(self, earlier: Counters) -> float:
        """The share of L2 load sectors that hit since ``earlier``."""
        grown = self.memory_totals() - earlier.memory_totals()
        return share(grown[C_L2_HIT_SECTORS], grown[C_L2_MISS_SECTORS])

    def add_growth(self, later: Counters, earlier: Counters, scale: float) -> None:
        """Add ``scale`` times every counter's growth from ``earlier`` to ``later``."""
        for live, current, before in zip(
            _arrays(self), _arrays(later), _arrays(earlier), strict=True
        ):
            live += ((current - before) * scale).astype(live.dtype)

    def add_jump(self, before: Counters, scale: float, unreplayed_share: float) -> None:
        """A loop jump: the pipe and stall counters grow ``scale`` times their growth since
        ``before``; the L2 and HBM ones only over the share of the jump not replayed through
        L2 (the replay counts the rest). Resident warp-time is settled when warps retire,
        and does not move."""
        sm, old = self.sm, before.sm
        for live, earlier in (
            (sm.issued, old.issued),
            (sm.pipe_busy_ns, old.pipe_busy_ns),
            (sm.stall_ns, old.stall_ns),
        ):
            live += ((live - earlier) * scale).astype(live.dtype)
        memory = self.memory
        weight = np.ones(memory.shape[1])
        weight[list(L2_COUNTERS)] = unreplayed_share
        memory += ((memory - before.memory) * scale * weight).astype(memory.dtype)


def _arrays(counters: Counters) -> tuple[npt.NDArray[Any], ...]:
    return (*counters.sm, counters.memory)


def share(hits: float, misses: float) -> float:
    """``hits`` as a share of ``hits + misses`` (0 when both are 0)."""
    total = hits + misses
    return float(hits / total) if total else 0.0
