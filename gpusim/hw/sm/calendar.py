"""Servers that serve in time order whatever order their requests are processed in.

An L2 slice or an HBM channel takes one sector per service time. The engine processes a
request when its warp issues, but the request may reach the server later (it waited for
the L1 data path or an MSHR), so requests are not processed in the order they arrive. A
"busy until" time is exact only for requests processed in arrival order: one stamped
ahead pushes it forward and then delays every request processed after it, earlier ones
included, by time the server spends idle.

A calendar keeps the server's time as slots of one service time each and marks the slots
taken. A request arriving at ``t`` takes the first free slot from the one holding ``t`` on
and starts at the later of ``t`` and that slot's start: an idle server serves at once, a
busy one in turn, and a request stamped ahead holds only the slot it will use. Over a
busy stretch the server still serves exactly one sector per slot.

Slots are bits of 64-bit words, kept in a ring of ``WORDS`` words per server; each word
remembers which stretch of 64 slots it holds (its tag), and a word whose tag is older is
free. The ring spans ``64 x WORDS`` service times (tens of microseconds), far more than
any request is stamped ahead of the requests processed with it.

``serve`` is called, not inlined: the L2 path is inlined at many sites of the core, and
inlining its loop at each made the engine's first compile minutes longer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm.jit import njit

WORDS = 1024
"""Ring words per server (64 slots each)."""
_SLOT_BITS = 64
_ALL_TAKEN = -1  # every bit of an int64 set


class Calendar(NamedTuple):
    """The slots of a group of servers (an L2's slices, an HBM's channels)."""

    taken: npt.NDArray[np.int64]  # [server, WORDS] a bit per slot: taken
    tags: npt.NDArray[np.int64]  # [server, WORDS] which 64 slots each word holds
    origin_ns: npt.NDArray[np.float64]  # [server] where slot 0 starts


def new_calendar(servers: int) -> Calendar:
    """Idle servers, slot 0 starting at time 0."""
    return Calendar(
        taken=np.zeros((servers, WORDS), dtype=np.int64),
        tags=np.full((servers, WORDS), -1, dtype=np.int64),
        origin_ns=np.zeros(servers, dtype=np.float64),
    )


@njit(cache=True, _nrt=False)
def serve(calendar: Calendar, server: int, t: float, slot_ns: float) -> float:
    """Take ``server``'s first free slot from the one holding ``t`` on; return when the
    request starts being served (``t`` itself when that slot is free)."""
    origin = calendar.origin_ns[server]
    slot = max(0, int(np.floor((t - origin) / slot_ns)))
    word = slot // _SLOT_BITS
    bit = slot % _SLOT_BITS
    while True:
        index = word % WORDS
        if calendar.tags[server, index] != word:
            calendar.tags[server, index] = word
            calendar.taken[server, index] = 0
        below = (np.int64(1) << np.int64(bit)) - np.int64(1)
        taken = calendar.taken[server, index] | below
        if taken != _ALL_TAKEN:
            free = ~taken & (taken + np.int64(1))  # the lowest free slot's bit
            calendar.taken[server, index] |= free
            position = 0
            while (free >> np.int64(position)) & np.int64(1) == 0:
                position += 1
            start = origin + (word * _SLOT_BITS + position) * slot_ns
            return max(t, start)
        word += 1
        bit = 0


@njit(cache=True, _nrt=False, inline="always")
def shift(calendar: Calendar, delta_ns: float) -> None:
    """Move every server's schedule ``delta_ns`` later (fast mode's jumps)."""
    for server in range(calendar.origin_ns.size):
        calendar.origin_ns[server] += delta_ns
