"""The static half of a trace: the launch as it was made, its instruction table, its
global memory map.

Neither depends on which CTA ran; what each CTA did is in ``gpusim.cuda.trace.ctas``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.trace.kinds import OpClass

WARP_SIZE = 32

Dim3 = tuple[int, int, int]
IntArray = npt.NDArray[np.integer[Any]]


@dataclass(frozen=True)
class TracedLaunch:
    """The launch as the trace records it: kernel, size parameters, geometry, resources
    and target (stored as the file's ``launch`` metadata).

    The kernel's own ``LaunchConfig`` (grid, block, dynamic shared) is what it asks for;
    the emulator's ``EmulatorLaunch`` is the running state of one launch; this is what the
    engine reads back.
    """

    kernel: str
    params: dict[str, Any]
    grid: Dim3
    block: Dim3
    registers_per_thread: int | None
    static_shared_bytes: int
    dynamic_shared_bytes: int
    local_bytes_per_thread: int
    cc: tuple[int, int]

    @property
    def threads_per_cta(self) -> int:
        return self.block[0] * self.block[1] * self.block[2]

    @property
    def warps_per_cta(self) -> int:
        return -(-self.threads_per_cta // WARP_SIZE)

    @property
    def ctas(self) -> int:
        return self.grid[0] * self.grid[1] * self.grid[2]


@dataclass(frozen=True, eq=False)
class InstructionTable:
    """The trace's instruction table: one row per PTX instruction, blocks contiguous and in
    order (the engine lowers it to its own ``EngineProgram``).

    Ragged register lists use offsets: instruction i's destinations are
    ``dst_regs[dst_offsets[i]:dst_offsets[i + 1]]`` (same for sources).
    """

    block: npt.NDArray[np.int32]
    op_class: npt.NDArray[np.uint8]
    opcode: npt.NDArray[np.int32]
    dst_offsets: npt.NDArray[np.int64]
    dst_regs: npt.NDArray[np.int32]
    src_offsets: npt.NDArray[np.int64]
    src_regs: npt.NDArray[np.int32]
    mem_space: npt.NDArray[np.uint8]
    bytes_per_lane: npt.NDArray[np.int32]
    vector_width: npt.NDArray[np.uint8]
    flops_per_lane: npt.NDArray[np.int32]
    ptx_line: npt.NDArray[np.int32]
    operand: npt.NDArray[np.int64]
    """The one data operand an engine times the instruction by, the same at every execution
    (the tracer checks): ``mbarrier.init`` its expected arrivals per phase,
    ``mbarrier.arrive.expect_tx`` its transaction bytes per arriving thread, a TMA copy
    (``TENSOR_COPY``) its box's rows; 0 for every other instruction."""
    row_stride_bytes: npt.NDArray[np.int64]
    """A TMA copy's distance between the box's rows in global memory (its tensor's row
    pitch), the same at every execution; 0 for every other instruction."""
    block_start: npt.NDArray[np.int64]
    """Block b is instructions ``[block_start[b], block_start[b + 1])``."""
    opcode_names: tuple[str, ...]
    register_names: tuple[str, ...]
    register_bits: npt.NDArray[np.int32]
    """Width of each register in bits (1 for predicates)."""

    @property
    def n_instructions(self) -> int:
        return int(self.block.size)

    @property
    def n_blocks(self) -> int:
        return int(self.block_start.size - 1)

    def opcodes(self) -> list[tuple[OpClass, str]]:
        """Every instruction's class and opcode name (``ld.global.f64``), in table order."""
        return [
            (OpClass(int(op)), self.opcode_names[int(code)])
            for op, code in zip(self.op_class, self.opcode, strict=True)
        ]

    def issues_per_instruction(self, visit_block: IntArray) -> npt.NDArray[np.int64]:
        """Warp-level issues of every instruction, given a sequence of block visits."""
        per_block = np.bincount(visit_block, minlength=self.n_blocks).astype(np.int64)
        return per_block[self.block]


@dataclass(frozen=True)
class Segment:
    """A range of the emulator's flat global address space (a kernel array or a variable)."""

    name: str
    base: int
    size_bytes: int
