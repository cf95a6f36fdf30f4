"""One way lookup for every sectored, set-associative cache of the engine (L1s and L2 slices).

A cache is arrays indexed ``[unit, set, way]`` (``unit``: the SM of an L1, the slice of
L2): the line each way holds, its valid sectors as bits, and its replacement rank. The L1
load path, the L2 access and fast mode's untimed L2 replay all find their way here, so a
replacement policy (``gpusim.hw.sm.replacement``) applies to all of them alike.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm import replacement
from gpusim.hw.sm.jit import njit

I64 = npt.NDArray[np.int64]


@njit(cache=True, _nrt=False, inline="always")
def hash_index(line: int, buckets: int) -> int:
    """Spread consecutive lines over ``buckets`` (slices, channels) with an XOR fold."""
    folded = line ^ (line >> 7) ^ (line >> 13) ^ (line >> 19)
    return folded % buckets


@njit(cache=True, _nrt=False, inline="always")
def lookup(
    tags: I64,
    valid: I64,
    rank: I64,
    policy: int,
    stamp: I64,
    unit: int,
    set_index: int,
    line: int,
) -> tuple[int, int]:
    """Access ``line`` in set ``set_index`` of ``unit``: the way that holds it now, and the
    line that way held before (``line`` on a hit, ``INVALID_TAG`` if it was empty).

    On a miss the policy's victim takes the line with no valid sectors; what the victim
    held (an L2's dirty sectors) is the caller's to write back.
    """
    stamp[0] += 1
    ways = tags.shape[2]
    for way in range(ways):
        if tags[unit, set_index, way] == line:
            replacement.touch(rank, policy, unit, set_index, way, True, stamp[0])
            return way, line
    way = replacement.victim(rank, policy, unit, set_index)
    previous = tags[unit, set_index, way]
    tags[unit, set_index, way] = line
    valid[unit, set_index, way] = 0
    replacement.touch(rank, policy, unit, set_index, way, False, stamp[0])
    return way, previous


@njit(cache=True, _nrt=False, inline="always")
def sector_bit(address: int, line_bytes: int, sector_bytes: int) -> tuple[int, int]:
    """The sector of its line that byte ``address`` lies in, and that sector's bit."""
    sector_in_line = (address % line_bytes) // sector_bytes
    return sector_in_line, 1 << sector_in_line
