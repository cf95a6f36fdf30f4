"""The dynamic half of a trace: what a CTA did, and the classes of CTAs that did the same.

A CTA's record holds each warp's block visits (with active masks) and its memory runs; a
class is a box of the grid whose CTAs replay one recorded CTA with shifted addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.trace.program import WARP_SIZE, Dim3, IntArray


@dataclass(frozen=True, eq=False)
class CtaRecord:
    """Everything one CTA did: per-warp block visits, memory runs, per-instruction lanes.

    Runs are sorted by (warp, instruction, first). Run r covers executions
    ``first[r] .. first[r] + count[r] - 1`` of its instruction by its warp (execution k is
    the k-th visit of the warp to the instruction's block); at the j-th of them lane l
    (active in ``mask[r]``) accesses ``base[r, l] + j * stride_bytes[r]``. Inactive lanes
    have base 0. Executions not covered by a run accessed no lane (guard false).
    """

    visit_offsets: npt.NDArray[np.int64]
    visit_block: npt.NDArray[np.int32]
    visit_mask: npt.NDArray[np.uint32]
    run_warp: npt.NDArray[np.int32]
    run_instr: npt.NDArray[np.int32]
    run_first: npt.NDArray[np.int64]
    run_count: npt.NDArray[np.int64]
    run_stride_bytes: npt.NDArray[np.int64]
    run_mask: npt.NDArray[np.uint32]
    run_base: npt.NDArray[np.uint64]
    active_lanes: npt.NDArray[np.int64]
    """Per instruction: lanes that executed it (active and guard true), summed over the CTA."""

    @property
    def n_warps(self) -> int:
        return int(self.visit_offsets.size - 1)

    def warp_visits(self, warp: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint32]]:
        """(blocks, masks) of one warp's visits, in execution order."""
        start, stop = self.visit_offsets[warp], self.visit_offsets[warp + 1]
        return self.visit_block[start:stop], self.visit_mask[start:stop]

    def shifted(self, shift_bytes: npt.NDArray[np.int64], delta: IntArray) -> CtaRecord:
        """This record with each run's addresses moved by ``shift_bytes[instr] @ delta``."""
        offset = (shift_bytes[self.run_instr] @ np.asarray(delta, np.int64)).astype(np.uint64)
        active = _mask_bits(self.run_mask)
        base = np.where(active, self.run_base + offset[:, None], np.uint64(0))
        return CtaRecord(**{**self._fields(), "run_base": base})

    def same_as(self, other: CtaRecord) -> bool:
        """True when both records hold identical arrays."""
        mine, theirs = self._fields(), other._fields()
        return all(np.array_equal(mine[name], theirs[name]) for name in mine)

    def _fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CtaRecord.__dataclass_fields__}


def _mask_bits(masks: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """[n] uint32 masks -> [n, 32] bools (lane l is bit l)."""
    return ((masks[:, None] >> np.arange(WARP_SIZE, dtype=np.uint32)) & 1).astype(bool)


@dataclass(frozen=True, eq=False)
class CtaClass:
    """CTAs ``lo <= cta <= hi`` (inclusive box): the CTA at ``lo`` recorded in full.

    CTA ``lo + delta`` of the box runs the same streams with every address of instruction
    i shifted by ``shift_bytes[i] @ delta`` (x, y, z).
    """

    lo: Dim3
    hi: Dim3
    record: CtaRecord
    shift_bytes: npt.NDArray[np.int64]

    @property
    def n_ctas(self) -> int:
        return int(np.prod([h - low + 1 for low, h in zip(self.lo, self.hi, strict=True)]))

    def contains(self, cta: Dim3) -> bool:
        return all(low <= c <= h for low, c, h in zip(self.lo, cta, self.hi, strict=True))
