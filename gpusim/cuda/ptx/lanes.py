"""The threads one emulation batch runs in lockstep, laid out as [warp row, lane].

A batch is a list of warps ("warp rows"), each 32 lanes wide; usually all warps of a few
CTAs, in which case every CTA's lanes are contiguous. A CTA whose thread count is not a
multiple of 32 leaves "ghost" lanes in its last warp: they exist in the arrays but are
never active. Every special register a kernel can read is precomputed per lane here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.errors import PtxError

WARP_SIZE = 32
Dim3 = tuple[int, int, int]


@dataclass(frozen=True, eq=False)
class LaneGrid:
    """Per-lane coordinates of a batch; arrays have one element per lane (32 per warp row)."""

    grid: Dim3
    block: Dim3
    ctas: tuple[Dim3, ...]
    """The distinct CTAs in the batch, in order; ``cta_slot`` indexes this tuple."""
    warp_slot: npt.NDArray[np.int32]
    """Per warp row: its CTA's slot."""
    warp_in_cta: npt.NDArray[np.int32]
    """Per warp row: its warp index within the CTA."""
    cta_slot: npt.NDArray[np.int32]
    real: npt.NDArray[np.bool_]
    special: dict[str, Any]
    complete_slots: npt.NDArray[np.bool_]
    """Per CTA slot: True when every warp of that CTA is in the batch."""

    @property
    def n_lanes(self) -> int:
        return int(self.cta_slot.size)

    @property
    def n_warps(self) -> int:
        return int(self.warp_slot.size)

    @property
    def threads_per_cta(self) -> int:
        return self.block[0] * self.block[1] * self.block[2]

    @property
    def warps_per_cta(self) -> int:
        return -(-self.threads_per_cta // WARP_SIZE)

    def describe(self, lane: int) -> str:
        """'thread (x, y, z) of CTA (x, y, z)' for a lane, as error messages name it."""
        tid = tuple(int(self.special[f"tid.{axis}"][lane]) for axis in "xyz")
        cta = self.ctas[int(self.cta_slot[lane])]
        return f"thread {tid} of CTA {cta}"

    @classmethod
    def for_ctas(cls, grid: Dim3, block: Dim3, ctas: Sequence[Dim3]) -> LaneGrid:
        """All warps of each CTA in ``ctas``."""
        warps_per_cta = -(-(block[0] * block[1] * block[2]) // WARP_SIZE)
        units = [(cta, warp) for cta in ctas for warp in range(warps_per_cta)]
        return cls.for_warps(grid, block, units)

    @classmethod
    def for_warps(cls, grid: Dim3, block: Dim3, units: Sequence[tuple[Dim3, int]]) -> LaneGrid:
        """The given (CTA, warp index in CTA) warps; a CTA missing warps is 'incomplete'."""
        check_dims(grid, block)
        threads = block[0] * block[1] * block[2]
        warps_per_cta = -(-threads // WARP_SIZE)
        ctas: list[Dim3] = []
        slot_of: dict[Dim3, int] = {}
        warp_slot = np.empty(len(units), np.int32)
        warp_in_cta = np.empty(len(units), np.int32)
        present: dict[int, set[int]] = {}
        for row, (cta, warp) in enumerate(units):
            if not all(0 <= c < g for c, g in zip(cta, grid, strict=True)):
                raise PtxError(f"CTA {cta} lies outside the grid {grid}")
            if not 0 <= warp < warps_per_cta:
                raise PtxError(f"warp {warp} does not exist in a CTA of {threads} threads")
            slot = slot_of.setdefault(tuple(cta), len(ctas))  # type: ignore[arg-type]
            if slot == len(ctas):
                ctas.append(tuple(cta))  # type: ignore[arg-type]
            warp_slot[row] = slot
            warp_in_cta[row] = warp
            present.setdefault(slot, set()).add(warp)
        lane_in_warp = np.tile(np.arange(WARP_SIZE, dtype=np.int64), len(units))
        thread = np.repeat(warp_in_cta.astype(np.int64), WARP_SIZE) * WARP_SIZE + lane_in_warp
        cta_slot = np.repeat(warp_slot, WARP_SIZE)
        special = _special_registers(grid, block, thread, np.array(ctas, dtype=np.uint32)[cta_slot])
        complete = np.array(
            [len(present[slot]) == warps_per_cta for slot in range(len(ctas))], dtype=bool
        )
        return cls(
            grid=grid,
            block=block,
            ctas=tuple(ctas),
            warp_slot=warp_slot,
            warp_in_cta=warp_in_cta,
            cta_slot=cta_slot,
            real=thread < threads,
            special=special,
            complete_slots=complete,
        )


def _special_registers(
    grid: Dim3, block: Dim3, thread: npt.NDArray[np.int64], cta_coords: npt.NDArray[np.uint32]
) -> dict[str, Any]:
    """Every supported special register, per lane (or one scalar when uniform).

    ``thread`` is each lane's linear thread index in its CTA (x fastest), ``cta_coords``
    each lane's CTA as [lanes, 3].
    """
    u32 = np.uint32
    bx, by = block[0], block[1]
    lane = (thread % WARP_SIZE).astype(u32)
    eq = (np.uint64(1) << lane.astype(np.uint64)).astype(np.uint64)
    special: dict[str, Any] = {
        "tid.x": (thread % bx).astype(u32),
        "tid.y": ((thread // bx) % by).astype(u32),
        "tid.z": (thread // (bx * by)).astype(u32),
        "ctaid.x": cta_coords[:, 0].copy(),
        "ctaid.y": cta_coords[:, 1].copy(),
        "ctaid.z": cta_coords[:, 2].copy(),
        "laneid": lane,
        "warpid": (thread // WARP_SIZE).astype(u32),
        "lanemask_eq": eq.astype(u32),
        "lanemask_lt": (eq - np.uint64(1)).astype(u32),
        "lanemask_le": ((eq << np.uint64(1)) - np.uint64(1)).astype(u32),
    }
    special["lanemask_gt"] = ~special["lanemask_le"]
    special["lanemask_ge"] = ~special["lanemask_lt"]
    for axis, size in zip("xyz", block, strict=True):
        special[f"ntid.{axis}"] = u32(size)
    for axis, size in zip("xyz", grid, strict=True):
        special[f"nctaid.{axis}"] = u32(size)
    return special


def check_dims(grid: Dim3, block: Dim3) -> None:
    """PtxError unless grid and block are three positive ints and the block fits 1024 threads."""
    for label, dims in (("grid", grid), ("block", block)):
        if len(dims) != 3 or any(not isinstance(d, int) or d <= 0 for d in dims):
            raise PtxError(f"{label} must be three positive ints, got {dims}")
    if block[0] * block[1] * block[2] > 1024:
        raise PtxError(f"block {block} has more than 1024 threads")
