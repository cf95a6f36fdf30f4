"""Cache replacement policies, chosen by name (``l1.replacement_policy``, ``l2.``'s).

Each way of a set keeps one integer of replacement state (``rank``); a policy says which
way a miss replaces and how a use updates the rank. The names a spec may give are
``gpusim.spec.gpu.REPLACEMENT_POLICIES`` (the spec is validated without loading the
engine); this module maps each to the engine's code.

- ``lru``: least recently used. The rank is the access stamp of the way's last use; a miss
  replaces the way with the oldest stamp (the first of equals, so empty ways go first).
- ``srrip``: static re-reference interval prediction with 2-bit re-reference prediction
  values (RRPV), hit priority (Jaleel, Theobald, Steely and Emer, "High Performance Cache
  Replacement Using Re-Reference Interval Prediction (RRIP)", ISCA 2010). A filled line is
  predicted to be re-referenced in the long interval (RRPV 2), a hit predicts near-immediate
  (RRPV 0); a miss replaces the first way predicted distant (RRPV 3), ageing the whole set
  until one is. A line streamed through once is replaced before lines reused since they were
  filled, so a scan larger than the cache does not flush a reused working set as it does
  under LRU. Deterministic.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gpusim.hw.sm.jit import njit

I64 = npt.NDArray[np.int64]

LRU = 0
SRRIP = 1
POLICY_CODES: dict[str, int] = {"lru": LRU, "srrip": SRRIP}
"""The engine's code for each name of ``REPLACEMENT_POLICIES`` (a test holds them equal)."""

RRPV_DISTANT = 3
"""SRRIP's largest 2-bit RRPV: re-reference predicted in the distant future (replace)."""
RRPV_LONG = 2
"""SRRIP's RRPV of a newly filled line."""


def empty_rank(policy: int) -> int:
    """The rank of an empty way: what makes it the first choice to fill."""
    return RRPV_DISTANT if policy == SRRIP else 0


@njit(cache=True, _nrt=False, inline="always")
def victim(rank: I64, policy: int, unit: int, set_index: int) -> int:
    """The way of set ``set_index`` of ``unit`` that a miss replaces."""
    if policy == SRRIP:
        return _srrip_victim(rank, unit, set_index)
    return _lru_victim(rank, unit, set_index)


@njit(cache=True, _nrt=False, inline="always")
def _lru_victim(rank: I64, unit: int, set_index: int) -> int:
    chosen = 0
    oldest = rank[unit, set_index, 0]
    for way in range(rank.shape[2]):
        if rank[unit, set_index, way] < oldest:
            oldest = rank[unit, set_index, way]
            chosen = way
    return chosen


@njit(cache=True, _nrt=False, inline="always")
def _srrip_victim(rank: I64, unit: int, set_index: int) -> int:
    """The paper's "replace the first distant way, else age every way and search again",
    in one step: the first way of the largest RRPV, after ageing the set until it is distant."""
    chosen = 0
    farthest = rank[unit, set_index, 0]
    for way in range(rank.shape[2]):
        if rank[unit, set_index, way] > farthest:
            farthest = rank[unit, set_index, way]
            chosen = way
    for way in range(rank.shape[2]):
        rank[unit, set_index, way] += RRPV_DISTANT - farthest
    return chosen


@njit(cache=True, _nrt=False, inline="always")
def touch(
    rank: I64, policy: int, unit: int, set_index: int, way: int, hit: bool, stamp: int
) -> None:
    """Record a use of ``way`` (``hit``: it held the line; else it was just filled)."""
    if policy == SRRIP:
        rank[unit, set_index, way] = 0 if hit else RRPV_LONG
    else:
        rank[unit, set_index, way] = stamp
