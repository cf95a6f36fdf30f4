"""The trace recorder: an emulator observer that builds one CtaRecord per CTA of a batch.

Everything is vectorised over the batch's warp rows. A block visit packs the active mask
into one uint32 per warp; a memory access extends, per warp, the open run of its
instruction when the execution is the next one, the mask is unchanged and every active
lane moved by the same stride as before, and otherwise closes it and opens a new one.
Runs are compressed as they are recorded, so a loop of a million iterations costs memory
for one run, not a million rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.ptx.cfg import ControlFlowGraph
from gpusim.cuda.ptx.lanes import WARP_SIZE, LaneGrid
from gpusim.cuda.ptx.machine import Mask
from gpusim.cuda.trace import CtaRecord


def pack_masks(mask: Mask) -> npt.NDArray[np.uint32]:
    """[lanes] bools -> one uint32 per warp row (lane l is bit l)."""
    packed = np.packbits(mask.reshape(-1, WARP_SIZE), axis=1, bitorder="little")
    return packed.view("<u4").reshape(-1)


FULL_MASK = np.uint32(0xFFFFFFFF)


class _RunBuilder:
    """Open and closed address runs of one memory instruction, per warp row."""

    def __init__(self, n_warps: int) -> None:
        self.first = np.zeros(n_warps, np.int64)
        self.count = np.zeros(n_warps, np.int64)
        self.stride = np.zeros(n_warps, np.int64)
        self.mask = np.zeros(n_warps, np.uint32)
        self.base = np.zeros((n_warps, WARP_SIZE), np.uint64)
        self.last = np.zeros((n_warps, WARP_SIZE), np.uint64)
        self.closed: list[tuple[Any, ...]] = []

    def add(
        self,
        rows: npt.NDArray[np.int64] | slice,
        ordinals: npt.NDArray[np.int64],
        masks: npt.NDArray[np.uint32],
        active: npt.NDArray[np.bool_],
        addresses: npt.NDArray[np.uint64],
    ) -> None:
        """One execution by warp ``rows`` (indices, or a slice of all rows), with their lane
        masks, [k, 32] active lanes and [k, 32] addresses."""
        full = bool((masks == FULL_MASK).all())
        if not full:
            addresses = np.where(active, addresses, np.uint64(0))
        count = self.count[rows]
        delta = (addresses - self.last[rows]).view(np.int64)
        if full:
            lead_delta = delta[:, 0]
            uniform = (delta == lead_delta[:, None]).all(axis=1)
        else:
            lead = np.argmax(active, axis=1)
            lead_delta = delta[np.arange(delta.shape[0]), lead]
            uniform = np.all(~active | (delta == lead_delta[:, None]), axis=1)
        extends = (
            (count > 0)
            & (self.mask[rows] == masks)
            & (self.first[rows] + count == ordinals)
            & uniform
            & ((count == 1) | (self.stride[rows] == lead_delta))
        )
        if extends.all():
            self.stride[rows] = lead_delta
            self.count[rows] += 1
            self.last[rows] = addresses
            return
        warps = np.arange(self.count.size)[rows]
        grow = warps[extends]
        self.stride[grow] = lead_delta[extends]
        self.count[grow] += 1
        self.last[grow] = addresses[extends]
        fresh = ~extends
        restart = warps[fresh]
        self._close(restart[self.count[restart] > 0])
        self.first[restart] = ordinals[fresh]
        self.count[restart] = 1
        self.stride[restart] = 0
        self.mask[restart] = masks[fresh]
        self.base[restart] = addresses[fresh]
        self.last[restart] = addresses[fresh]

    def _close(self, warps: npt.NDArray[np.int64]) -> None:
        if warps.size:
            self.closed.append(
                (
                    warps.copy(),
                    self.first[warps],
                    self.count[warps],
                    np.where(self.count[warps] > 1, self.stride[warps], 0),
                    self.mask[warps],
                    self.base[warps],
                )
            )

    def finish(self) -> list[tuple[Any, ...]]:
        self._close(np.flatnonzero(self.count > 0))
        self.count[:] = 0
        return self.closed


class TraceRecorder:
    """Observer of one batch; ``records()`` splits what it saw into one CtaRecord per CTA."""

    def __init__(
        self, cfg: ControlFlowGraph, lanes: LaneGrid, *, record_memory: bool = True
    ) -> None:
        self._lanes = lanes
        self._n_warps = lanes.n_warps
        self._n_instr = len(cfg.block_of_instruction)
        self._block_of = np.array(cfg.block_of_instruction, dtype=np.int64)
        self._record_memory = record_memory
        n_blocks = len(cfg.blocks)
        self._visits_so_far = np.zeros((n_blocks, self._n_warps), np.int64)
        self._block_lanes = np.zeros((n_blocks, self._n_warps), np.int64)
        self._guarded_lanes: dict[int, npt.NDArray[np.int64]] = {}
        self._ordinals = np.zeros(self._n_warps, np.int64)
        self._step_blocks: list[int] = []
        self._step_masks: list[npt.NDArray[np.uint32]] = []
        self._runs: dict[int, _RunBuilder] = {}
        self._block_mask: Mask | None = None
        self._block_packed = np.zeros(self._n_warps, np.uint32)
        self.spaces: dict[int, str] = {}
        """The state space each memory instruction resolved to (generic ones included)."""
        self.operands: dict[int, tuple[int, ...]] = {}
        """The data operands each Hopper instruction ran with (``Observer.on_operand``)."""

    def on_block(self, block: int, mask: Mask) -> None:
        packed = pack_masks(mask)
        self._block_mask, self._block_packed = mask, packed
        self._step_blocks.append(block)
        self._step_masks.append(packed)
        self._ordinals = self._visits_so_far[block].copy()
        self._visits_so_far[block] += packed != 0
        self._block_lanes[block] += np.bitwise_count(packed)

    def on_guarded(self, instruction: int, mask: Mask) -> None:
        lanes = np.bitwise_count(pack_masks(mask)).astype(np.int64)
        if instruction in self._guarded_lanes:
            self._guarded_lanes[instruction] += lanes
        else:
            self._guarded_lanes[instruction] = lanes

    def on_operand(self, instruction: int, values: tuple[int, ...]) -> None:
        known = self.operands.setdefault(instruction, values)
        if known != values:
            raise ValueError(
                f"instruction {instruction} ran with operands {known} and {values}: a trace "
                "holds one per instruction"
            )

    def on_memory(
        self, instruction: int, space: str, mask: Mask, addresses: npt.NDArray[np.uint64]
    ) -> None:
        known = self.spaces.setdefault(instruction, space)
        if known != space:
            raise ValueError(
                f"instruction {instruction} accessed both .{known} and .{space} memory"
            )
        if not self._record_memory:
            return
        packed = self._block_packed if mask is self._block_mask else pack_masks(mask)
        warps = np.flatnonzero(packed)
        if not warps.size:
            return
        rows: npt.NDArray[np.int64] | slice = slice(None) if warps.size == packed.size else warps
        builder = self._runs.get(instruction)
        if builder is None:
            builder = self._runs[instruction] = _RunBuilder(self._n_warps)
        builder.add(
            rows,
            self._ordinals[rows],
            packed[rows],
            mask.reshape(-1, WARP_SIZE)[rows],
            addresses.reshape(-1, WARP_SIZE)[rows],
        )

    def records(self) -> list[CtaRecord]:
        """One record per CTA of the batch, in the order of ``lanes.ctas``."""
        visits = self._visit_table()
        runs = self._run_table()
        lanes_per_instr = self._block_lanes[self._block_of]  # [instr, warp row]
        for instruction, guarded in self._guarded_lanes.items():
            lanes_per_instr[instruction] = guarded
        return [
            self._record(slot, visits, runs, lanes_per_instr)
            for slot in range(len(self._lanes.ctas))
        ]

    def _visit_table(self) -> tuple[Any, Any, Any]:
        """(warp row, block, mask) of every visit, ordered by warp row then time."""
        if not self._step_blocks:
            empty = np.zeros(0, np.int64)
            return empty, empty.astype(np.int32), empty.astype(np.uint32)
        masks = np.stack(self._step_masks, axis=1)  # [warp row, step]
        rows, steps = np.nonzero(masks)
        blocks = np.asarray(self._step_blocks, dtype=np.int32)[steps]
        return rows, blocks, masks[rows, steps]

    def _run_table(self) -> dict[str, Any]:
        parts: list[tuple[int, tuple[Any, ...]]] = [
            (instruction, chunk)
            for instruction, builder in sorted(self._runs.items())
            for chunk in builder.finish()
        ]
        if not parts:
            return {
                "warp": np.zeros(0, np.int64),
                "instr": np.zeros(0, np.int32),
                "first": np.zeros(0, np.int64),
                "count": np.zeros(0, np.int64),
                "stride": np.zeros(0, np.int64),
                "mask": np.zeros(0, np.uint32),
                "base": np.zeros((0, WARP_SIZE), np.uint64),
            }
        columns = list(zip(*(chunk for _, chunk in parts), strict=True))
        instr = np.concatenate([np.full(chunk[0].size, i, np.int32) for i, chunk in parts])
        names = ("warp", "first", "count", "stride", "mask", "base")
        table = {name: np.concatenate(column) for name, column in zip(names, columns, strict=True)}
        table["instr"] = instr
        return table

    def _record(
        self, slot: int, visits: tuple[Any, Any, Any], runs: dict[str, Any], lanes: Any
    ) -> CtaRecord:
        lanes_grid = self._lanes
        rows_of_slot = np.flatnonzero(lanes_grid.warp_slot == slot)
        rows_of_slot = rows_of_slot[np.argsort(lanes_grid.warp_in_cta[rows_of_slot], kind="stable")]
        warp_of_row = np.full(self._n_warps, -1, np.int64)
        warp_of_row[rows_of_slot] = lanes_grid.warp_in_cta[rows_of_slot]
        visit_rows, visit_blocks, visit_masks = visits
        in_cta = warp_of_row[visit_rows] >= 0
        order = np.argsort(warp_of_row[visit_rows[in_cta]], kind="stable")
        visit_warps = warp_of_row[visit_rows[in_cta]][order]
        counts = np.bincount(visit_warps, minlength=lanes_grid.warps_per_cta)
        run_rows = runs["warp"]
        run_in_cta = warp_of_row[run_rows] >= 0
        run_warp = warp_of_row[run_rows[run_in_cta]]
        run_order = np.lexsort((runs["first"][run_in_cta], runs["instr"][run_in_cta], run_warp))
        pick = {name: value[run_in_cta][run_order] for name, value in runs.items()}
        return CtaRecord(
            visit_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
            visit_block=visit_blocks[in_cta][order].astype(np.int32),
            visit_mask=visit_masks[in_cta][order].astype(np.uint32),
            run_warp=run_warp[run_order].astype(np.int32),
            run_instr=pick["instr"].astype(np.int32),
            run_first=pick["first"].astype(np.int64),
            run_count=pick["count"].astype(np.int64),
            run_stride_bytes=pick["stride"].astype(np.int64),
            run_mask=pick["mask"].astype(np.uint32),
            run_base=pick["base"].astype(np.uint64),
            active_lanes=lanes[:, rows_of_slot].sum(axis=1).astype(np.int64),
        )
