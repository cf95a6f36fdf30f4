"""What a trace read from a file must satisfy before anything uses it.

The engine's jitted loops index arrays without bounds checks, and the summary combines
arrays element by element, so a file whose arrays disagree (a length cut or an entry too
many, an index past the program, offsets that run backwards) must be refused when it is
read, in one line naming the array, not fail later with NumPy's message or read past an
array. Every check here is on shapes, ranges and order, in time and memory linear in the
file (the grid is never expanded); ``ValueError`` carries the message.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gpusim.cuda.trace.ctas import CtaClass
from gpusim.cuda.trace.kinds import MemSpace, OpClass
from gpusim.cuda.trace.program import WARP_SIZE, Dim3, InstructionTable, TracedLaunch

MAX_THREADS_PER_CTA = 1024
MAX_GRID: Dim3 = (2**31 - 1, 65535, 65535)
"""CUDA's limits on a launch: no trace of a real launch exceeds them."""

_PER_INSTRUCTION = (
    "block",
    "op_class",
    "opcode",
    "mem_space",
    "bytes_per_lane",
    "vector_width",
    "flops_per_lane",
    "ptx_line",
    "operand",
    "row_stride_bytes",
)


def check_launch(launch: TracedLaunch) -> None:
    """Sizes and resources are integers; grid and block are three positive sizes within
    CUDA's launch limits."""
    if not isinstance(launch.kernel, str) or not isinstance(launch.params, dict):
        raise ValueError("launch kernel must be a name and params a mapping")
    if launch.registers_per_thread is not None and not _count(launch.registers_per_thread):
        raise ValueError(f"launch registers_per_thread {launch.registers_per_thread!r}")
    for name in ("static_shared_bytes", "dynamic_shared_bytes", "local_bytes_per_thread"):
        if not _count(getattr(launch, name)):
            raise ValueError(f"launch {name} must be a count, got {getattr(launch, name)!r}")
    for name, dims in (("grid", launch.grid), ("block", launch.block)):
        if len(dims) != 3 or min(dims) < 1:
            raise ValueError(f"launch {name} {list(dims)} must be three sizes of at least 1")
    if any(size > limit for size, limit in zip(launch.grid, MAX_GRID, strict=True)):
        raise ValueError(f"launch grid {list(launch.grid)} exceeds CUDA's {list(MAX_GRID)}")
    if launch.threads_per_cta > MAX_THREADS_PER_CTA:
        raise ValueError(
            f"launch block {list(launch.block)} has {launch.threads_per_cta} threads, "
            f"more than {MAX_THREADS_PER_CTA}"
        )


def check_program(program: InstructionTable) -> None:
    """Per-instruction arrays agree in length; offsets, blocks and codes are in range."""
    n_instr = program.n_instructions
    for name in _PER_INSTRUCTION:
        _vector(getattr(program, name), f"program_{name}", n_instr)
    _offsets(program.block_start, "program_block_start", total=n_instr)
    blocks = np.repeat(np.arange(program.n_blocks), np.diff(program.block_start))
    if not np.array_equal(blocks, program.block):
        raise ValueError("program_block does not follow program_block_start")
    n_registers = len(program.register_names)
    if (_vector(program.register_bits, "program_register_bits", n_registers) < 1).any():
        raise ValueError("program_register_bits holds a width below 1")
    for side in ("dst", "src"):
        registers = _vector(getattr(program, f"{side}_regs"), f"program_{side}_regs")
        offsets = _vector(
            getattr(program, f"{side}_offsets"), f"program_{side}_offsets", n_instr + 1
        )
        _offsets(offsets, f"program_{side}_offsets", registers.size)
        _in_range(registers, f"program_{side}_regs", n_registers, "registers")
    _in_range(program.opcode, "program_opcode", len(program.opcode_names), "opcode names")
    _in_range(program.op_class, "program_op_class", len(OpClass), "op classes")
    _in_range(program.mem_space, "program_mem_space", len(MemSpace), "state spaces")
    for name in ("bytes_per_lane", "vector_width", "flops_per_lane", "operand", "row_stride_bytes"):
        if (getattr(program, name) < 0).any():
            raise ValueError(f"program_{name} holds a negative value")


def check_records(*groups: tuple[str, Any, dict[str, Any]]) -> None:
    """The file's flat record arrays, before they are cut into classes: each group's offsets
    (named) rise from 0, and each of its arrays has exactly as many entries as the offsets
    end at (``run_base``: that many rows of 32 lanes). Exactly, not at least: cutting by class
    would silently drop entries past the end."""
    for offsets_name, offsets, arrays in groups:
        _vector(offsets, offsets_name)
        if offsets.size == 0 or offsets[0] != 0 or (np.diff(offsets) < 0).any():
            raise ValueError(f"{offsets_name} must rise from 0")
        total = int(offsets[-1])
        for name, array in arrays.items():
            if name == "run_base":
                if array.shape != (total, WARP_SIZE):
                    raise ValueError(
                        f"run_base has shape {list(array.shape)}, expected [{total}, {WARP_SIZE}]"
                    )
            else:
                _vector(array, name, total)


def check_classes(
    classes: tuple[CtaClass, ...], launch: TracedLaunch, program: InstructionTable
) -> None:
    """Each class's record indexes the program and its warps; the boxes partition the grid."""
    warps, blocks, n_instr = launch.warps_per_cta, program.n_blocks, program.n_instructions
    for cta_class in classes:
        record = cta_class.record
        _offsets(record.visit_offsets, "visit_offsets", record.visit_block.size)
        _vector(record.visit_mask, "visit_mask", record.visit_block.size)
        _in_range(record.visit_block, "visit_block", blocks, "blocks")
        n_runs = _vector(record.run_warp, "run_warp").size
        for name in ("run_instr", "run_first", "run_count", "run_stride_bytes", "run_mask"):
            _vector(getattr(record, name), name, n_runs)
        _in_range(record.run_warp, "run_warp", warps, "warps per CTA")
        _in_range(record.run_instr, "run_instr", n_instr, "instructions")
        if (record.run_first < 0).any() or (record.run_count < 1).any():
            raise ValueError("run_first must be at least 0 and run_count at least 1")
        if (record.active_lanes < 0).any():
            raise ValueError("class_active_lanes holds a negative count")
    _check_partition(launch.grid, classes)


def _check_partition(grid: Dim3, classes: tuple[CtaClass, ...]) -> None:
    """Every CTA of the grid lies in exactly one class box: the boxes lie in the grid, are
    pairwise disjoint, and their sizes add up to the grid's."""
    if not classes:
        raise ValueError("a trace needs at least one CTA class")
    lo = np.array([c.lo for c in classes], dtype=np.int64)
    hi = np.array([c.hi for c in classes], dtype=np.int64)
    if (lo < 0).any() or (hi < lo).any() or (hi >= np.array(grid)).any():
        raise ValueError("a CTA class box lies outside the grid")
    overlap = np.asarray(
        ((lo[:, None, :] <= hi[None, :, :]) & (lo[None, :, :] <= hi[:, None, :])).all(-1)
    )
    np.fill_diagonal(overlap, False)
    volume = int(np.prod(hi - lo + 1, axis=1, dtype=object).sum())
    if overlap.any() or volume != int(np.prod(grid, dtype=object)):
        raise ValueError("CTA classes do not partition the grid")


def _count(value: object) -> bool:
    """A whole number of at least 0 (JSON's true and false are not numbers here)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _vector(array: Any, name: str, size: int | None = None) -> Any:
    """``array``, checked to be one-dimensional (and of ``size`` entries, when given)."""
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {list(array.shape)}")
    if size is not None and array.size != size:
        raise ValueError(f"{name} has {array.size} entries, expected {size}")
    return array


def _offsets(array: Any, name: str, total: int) -> None:
    """Offsets into ``total`` entries: one-dimensional, from 0 up to ``total``, never falling."""
    _vector(array, name)
    if array.size == 0 or array[0] != 0 or array[-1] != total or (np.diff(array) < 0).any():
        raise ValueError(f"{name} must rise from 0 to {total}")


def _in_range(array: Any, name: str, count: int, what: str) -> None:
    """Every entry of ``array`` indexes one of ``count`` ``what``."""
    if array.size == 0:
        return
    low, high = int(array.min()), int(array.max())
    if low < 0 or high >= count:
        raise ValueError(f"{name} holds {low if low < 0 else high}, but there are {count} {what}")
