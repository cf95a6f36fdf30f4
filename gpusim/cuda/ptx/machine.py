"""The mutable state of one lockstep batch: registers, masks, memories, observer.

Registers are rebound, never mutated in place: an instruction computes a fresh array and
``write`` stores it (merged under the executing mask when some lanes are inactive). Views
of one register's buffer may therefore be shared freely between registers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from gpusim.cuda.ptx.ir import Instruction, Register
from gpusim.cuda.ptx.lanes import LaneGrid
from gpusim.cuda.ptx.memory import GlobalMemory, WindowedMemory
from gpusim.errors import PtxError

Mask = npt.NDArray[np.bool_]


class Observer(Protocol):
    """What a batch reports while it runs (the trace recorder implements it)."""

    def on_block(self, block: int, mask: Mask) -> None:
        """A block starts executing for the lanes in ``mask``."""

    def on_memory(
        self, instruction: int, space: str, mask: Mask, addresses: npt.NDArray[np.uint64]
    ) -> None:
        """A memory instruction accesses ``addresses`` (per lane; valid where ``mask``)."""

    def on_guarded(self, instruction: int, mask: Mask) -> None:
        """A guarded instruction executes for the lanes in ``mask`` (guard true and active)."""

    def on_operand(self, instruction: int, values: tuple[int, ...]) -> None:
        """A Hopper instruction ran with these data operands, which a trace holds per
        instruction (``program_table.build_instruction_table``)."""


@dataclass(frozen=True)
class LaunchMemory:
    """What every batch of one launch shares: global memory, parameters, shared size."""

    global_memory: GlobalMemory
    params: bytes
    shared_bytes: int
    dynamic_shared_bytes: int
    local_bytes: int


class Machine:
    """Execution state of one batch of warps running one kernel in lockstep."""

    def __init__(
        self,
        registers: Sequence[Register],
        lanes: LaneGrid,
        launch: LaunchMemory,
        observer: Observer | None,
    ) -> None:
        n = lanes.n_lanes
        self.lanes = lanes
        self.n_lanes = n
        self.launch = launch
        self.observer = observer
        self.regs: list[Any] = [np.zeros(n, dtype=r.ptype.storage) for r in registers]
        self.exited = ~lanes.real
        self.exec_mask: Mask = np.zeros(n, dtype=bool)
        self.write_all = False
        self._positions: npt.NDArray[np.int64] | None = None
        self.shared = WindowedMemory("shared", len(lanes.ctas), launch.shared_bytes)
        self.expect_tx_barrier = np.zeros(n, dtype=np.uint64)
        """The mbarrier each thread's last ``arrive.expect_tx`` named: a traced TMA copy
        must complete its bytes there (the engine's rule, ``ops_hopper.tma_copy``)."""
        self.local = WindowedMemory("local", n, launch.local_bytes)
        self.special: dict[str, Any] = {
            **lanes.special,
            "dynamic_smem_size": np.uint32(launch.dynamic_shared_bytes),
            "total_smem_size": np.uint32(launch.shared_bytes),
        }

    def set_exec(
        self, mask: Mask, write_all: bool, positions: npt.NDArray[np.int64] | None = None
    ) -> None:
        """Make ``mask`` the executing lanes; ``write_all`` when no live lane is outside it.

        ``positions`` may pass the mask's lane indices when already known.
        """
        self.exec_mask = mask
        self.write_all = write_all
        self._positions = positions

    def positions(self) -> npt.NDArray[np.int64]:
        """Indices of the executing lanes (cached until the mask changes)."""
        if self._positions is None:
            self._positions = np.flatnonzero(self.exec_mask)
        return self._positions

    def write(self, index: int, bits: Any) -> None:
        """Store raw bits (the register's storage dtype) into register ``index``."""
        if self.write_all:
            if np.ndim(bits) == 0:
                bits = np.full(self.n_lanes, bits)
            self.regs[index] = bits
        else:
            self.regs[index] = np.where(self.exec_mask, bits, self.regs[index])

    def fault(self, instruction: Instruction, lane: int, reason: str) -> PtxError:
        """A PtxError naming the PTX line, the instruction and the faulting thread."""
        return PtxError(
            f"PTX line {instruction.line}: {instruction.opcode}: {reason} "
            f"({self.lanes.describe(lane)})"
        )
