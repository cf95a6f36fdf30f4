"""Why a warp did not issue: the stall reasons the engine attributes time to.

Names follow Nsight Compute's warp-state sampling, so a simulated breakdown reads like a
profile of the real GPU.
"""

from __future__ import annotations

from enum import IntEnum


class Stall(IntEnum):
    """A warp's state while it waits to issue its next instruction."""

    LONG_SCOREBOARD = 0
    """Waiting on a global-memory (L1TEX) result."""
    SHORT_SCOREBOARD = 1
    """Waiting on a shared-memory or special-function (MIO) result."""
    WAIT = 2
    """Waiting on a fixed-latency pipe's result."""
    MATH_PIPE_THROTTLE = 3
    """Operands ready, but its arithmetic pipe is busy with other warps' instructions."""
    LSU_THROTTLE = 4
    """Operands ready, but the load/store pipe is busy."""
    BARRIER = 5
    """Waiting at bar.sync for the rest of its CTA."""
    NOT_SELECTED = 6
    """Ready, but the scheduler issued another warp."""
    ASYNC_COPY_WAIT = 7
    """At ``cp.async.wait_group`` / ``wait_all``, for its copies to land in shared memory."""
    MBARRIER_WAIT = 8
    """At ``mbarrier.try_wait``, for the phase it waits for (arrivals, TMA bytes)."""
    WGMMA_WAIT = 9
    """At ``wgmma.wait_group``, for its warpgroup's matrix multiplies to complete."""


STALL_COUNT = len(Stall)
