"""Build the KernelTrace of a kernel launch: compile, emulate representative CTAs, derive.

Emulating every CTA of a 4096^3 GEMM is out of reach (10^10 warp instructions), and
unnecessary: the CTAs of these kernels run the same streams with addresses shifted by
their CTA index. The grid is partitioned into *classes*, boxes of CTAs that verifiably
behave alike:

1. The whole grid is tried as one class. Its low corner is the representative; the CTAs
   one step along each dimension give the address shift per unit of CTA index; the box's
   far corner, its centre and the far end of each edge from the low corner are emulated
   too and must match the prediction exactly (streams, masks, every lane address).
2. If that fails, each grid dimension is cut into segments along the line through the
   origin (largest verifying prefix, found by a probe of "all but the last CTA" and then
   bisection), and the boxes of the segments' product are verified.
3. A box that still fails is split recursively (largest verifying prefix along a
   dimension, else halves of its longest dimension) down to single CTAs if need be.

A box is accepted only when all its probes match, so classes are exact wherever a kernel's
per-CTA behaviour changes monotonically along each dimension (edge tiles, grid-stride
remainders, per-rank rows) — true of every registered kernel; ``tests/cuda/
test_trace_derivation.py`` proves it against the emulation of every CTA at small sizes.

A registered kernel's operands are never allocated: each is a virtual array of the
emulator's paged global memory (``traced_arguments``), so a trace costs the pages its
emulated CTAs touch, not the problem's size; whether the operands fit the GPU is checked
when a scenario or a trace command is loaded (``gpusim.cuda.fit``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from gpusim.cuda.compile import compile_ptx
from gpusim.cuda.kernels import KernelDef, KernelParams, get_kernel
from gpusim.cuda.kernels.operands import Operand
from gpusim.cuda.ptx.emulator import (
    DEFAULT_MAX_LANES_PER_BATCH,
    EmulatorLaunch,
    KernelArgument,
    PtxKernel,
    cta_batches,
)
from gpusim.cuda.ptx.ir import Module
from gpusim.cuda.ptx.memory import VirtualArray
from gpusim.cuda.ptx.program_table import build_instruction_table
from gpusim.cuda.ptx.recorder import TraceRecorder
from gpusim.cuda.trace import (
    WARP_SIZE,
    CtaClass,
    CtaRecord,
    Dim3,
    KernelTrace,
    Segment,
    TracedLaunch,
    TraceSummary,
)

DEFAULT_SEED = 0


@dataclass(frozen=True)
class TraceRequest:
    """What ``trace_ptx`` records besides the PTX and arguments: the launch's identity."""

    kernel: str
    params: dict[str, Any]
    grid: Dim3
    block: Dim3
    registers_per_thread: int | None
    cc: tuple[int, int]
    dynamic_shared_bytes: int = 0
    static_shared_bytes: int | None = None
    """ptxas's figure when known; else the PTX's declared shared variables are summed."""


def build_trace(
    kernel_name: str,
    params: KernelParams,
    cc: tuple[int, int] = (9, 0),
    *,
    seed: int = DEFAULT_SEED,
) -> KernelTrace:
    """The trace of one launch of a registered kernel at ``params`` (LTO-linked PTX)."""
    return _trace_registered(kernel_name, params, cc, seed, record_memory=True)


def build_summary(
    kernel_name: str,
    params: KernelParams,
    cc: tuple[int, int] = (9, 0),
    *,
    seed: int = DEFAULT_SEED,
) -> TraceSummary:
    """Only the summary: the same emulation without recording memory runs (cheaper)."""
    return _trace_registered(kernel_name, params, cc, seed, record_memory=False).summary()


def _trace_registered(
    kernel_name: str, params: KernelParams, cc: tuple[int, int], seed: int, *, record_memory: bool
) -> KernelTrace:
    kernel = get_kernel(kernel_name)
    kernel.check_compute_capability(cc, "the compile target")  # before the compiler's error
    config = kernel.launch(params)
    compiled = compile_ptx(kernel, params, cc)
    args = traced_arguments(kernel, params, seed)
    request = TraceRequest(
        kernel=kernel_name,
        params=dataclasses.asdict(params),
        grid=config.grid,
        block=config.block,
        registers_per_thread=compiled.registers_per_thread,
        cc=cc,
        dynamic_shared_bytes=config.dynamic_shared_bytes,
        static_shared_bytes=compiled.static_shared_bytes,
    )
    return trace_ptx(compiled.ptx, args, request, record_memory=record_memory)


def traced_arguments(
    kernel: KernelDef[Any], params: KernelParams, seed: int = DEFAULT_SEED
) -> tuple[KernelArgument, ...]:
    """The kernel's arguments with every array a ``VirtualArray`` of its operand, whose
    values depend on ``seed``, the argument's position and the element index."""
    return tuple(
        _virtual(arg, seed, position) if isinstance(arg, Operand) else arg
        for position, arg in enumerate(kernel.operands(params))
    )


def _virtual(operand: Operand, seed: int, position: int) -> VirtualArray:
    state = np.random.SeedSequence((seed, position)).generate_state(1, np.uint64)
    values = functools.partial(operand.elements_at, seed=int(state[0]))
    return VirtualArray(operand.shape, operand.dtype, values)


def trace_ptx(
    ptx: str | Module,
    args: Sequence[Any],
    request: TraceRequest,
    *,
    record_memory: bool = True,
    max_lanes_per_batch: int = DEFAULT_MAX_LANES_PER_BATCH,
) -> KernelTrace:
    """The trace of ``ptx`` launched on ``args`` (arrays are written by the emulated CTAs)."""
    kernel = PtxKernel(ptx)
    launch = kernel.launch(args, request.grid, request.block, request.dynamic_shared_bytes)
    cache = CtaRecordCache(kernel, launch, record_memory, max_lanes_per_batch)
    boxes = partition_grid(cache)
    classes = tuple(
        CtaClass(lo=box.lo, hi=box.hi, record=cache.get([box.lo])[box.lo], shift_bytes=shift)
        for box, shift in boxes
    )
    info = TracedLaunch(
        kernel=request.kernel,
        params=request.params,
        grid=request.grid,
        block=request.block,
        registers_per_thread=request.registers_per_thread,
        static_shared_bytes=(
            kernel.static_shared_bytes
            if request.static_shared_bytes is None
            else request.static_shared_bytes
        ),
        dynamic_shared_bytes=request.dynamic_shared_bytes,
        local_bytes_per_thread=kernel.local_bytes_per_thread,
        cc=request.cc,
    )
    program = build_instruction_table(kernel.entry, kernel.cfg, cache.spaces, cache.operands)
    segments = tuple(Segment(name, base, size) for name, base, size in launch.segments())
    return KernelTrace(info, program, classes, segments)


class CtaRecordCache:
    """Emulates CTAs on demand (in lockstep batches) and keeps their records."""

    def __init__(
        self,
        kernel: PtxKernel,
        launch: EmulatorLaunch,
        record_memory: bool,
        max_lanes_per_batch: int,
    ) -> None:
        self.kernel = kernel
        self.launch = launch
        self.record_memory = record_memory
        self.max_lanes_per_batch = max_lanes_per_batch
        self.spaces: dict[int, str] = {}
        self.operands: dict[int, tuple[int, ...]] = {}
        self.warp_instructions = 0
        """Warp-level instruction issues emulated so far (for speed figures)."""
        self._records: dict[Dim3, CtaRecord] = {}
        self._block_sizes = np.array([b.end - b.start for b in kernel.cfg.blocks], dtype=np.int64)

    @property
    def grid(self) -> Dim3:
        return self.launch.grid  # type: ignore[return-value]

    def get(self, ctas: Iterable[Dim3]) -> dict[Dim3, CtaRecord]:
        wanted: list[Dim3] = list(dict.fromkeys((c[0], c[1], c[2]) for c in ctas))
        missing = [c for c in wanted if c not in self._records]
        for batch in cta_batches(missing, self.launch.block, self.max_lanes_per_batch):  # type: ignore[arg-type]
            lanes = self.launch.lanes_for(batch)
            recorder = TraceRecorder(self.kernel.cfg, lanes, record_memory=self.record_memory)
            self.launch.execute(lanes, recorder)
            for conflict in set(recorder.spaces) & set(self.spaces):
                if recorder.spaces[conflict] != self.spaces[conflict]:
                    raise ValueError(f"instruction {conflict} resolved to two state spaces")
            self.spaces.update(recorder.spaces)
            for conflict in set(recorder.operands) & set(self.operands):
                if recorder.operands[conflict] != self.operands[conflict]:
                    raise ValueError(f"instruction {conflict} ran with two sets of operands")
            self.operands.update(recorder.operands)
            for cta, record in zip(lanes.ctas, recorder.records(), strict=True):
                self._records[cta] = record
                self.warp_instructions += int(self._block_sizes[record.visit_block].sum())
        return {c: self._records[c] for c in wanted}


@dataclass(frozen=True)
class Box:
    """CTAs ``lo <= cta <= hi`` (inclusive, per dimension)."""

    lo: Dim3
    hi: Dim3

    def extent(self, dim: int) -> int:
        return self.hi[dim] - self.lo[dim] + 1

    def with_range(self, dim: int, start: int, stop: int) -> Box:
        lo, hi = list(self.lo), list(self.hi)
        lo[dim], hi[dim] = start, stop
        return Box(tuple(lo), tuple(hi))  # type: ignore[arg-type]

    def probes(self) -> list[Dim3]:
        """The CTAs that must match for the box to be accepted (see the module docstring)."""
        points = [
            self.lo,
            self.hi,
            tuple((a + b) // 2 for a, b in zip(self.lo, self.hi, strict=True)),
        ]
        for dim in range(3):
            if self.extent(dim) > 1:
                points.append(self.with_range(dim, self.lo[dim] + 1, self.lo[dim] + 1).lo)
                points.append(self.with_range(dim, self.hi[dim], self.hi[dim]).lo)
        return list(dict.fromkeys(points))  # type: ignore[arg-type]


Shifts = npt.NDArray[np.int64]


def partition_grid(cache: CtaRecordCache) -> list[tuple[Box, Shifts]]:
    """Cover the grid with verified classes (boxes with their per-instruction shifts)."""
    grid = cache.grid
    whole = Box((0, 0, 0), (grid[0] - 1, grid[1] - 1, grid[2] - 1))
    shifts = verify(cache, whole)
    if shifts is not None:
        return [(whole, shifts)]
    segments = [_line_segments(cache, dim) for dim in range(3)]
    result: list[tuple[Box, Shifts]] = []
    for zs in segments[2]:
        for ys in segments[1]:
            for xs in segments[0]:
                box = Box((xs[0], ys[0], zs[0]), (xs[1], ys[1], zs[1]))
                result += _split(cache, box)
    return result


def verify(cache: CtaRecordCache, box: Box) -> Shifts | None:
    """The box's per-instruction shifts [instr, 3] if every probe matches, else None."""
    records = cache.get(box.probes())
    representative = records[box.lo]
    shifts = np.zeros((representative.active_lanes.size, 3), dtype=np.int64)
    for dim in range(3):
        if box.extent(dim) > 1:
            neighbour = box.with_range(dim, box.lo[dim] + 1, box.lo[dim] + 1).lo
            unit = unit_shift(representative, records[neighbour])
            if unit is None:
                return None
            shifts[:, dim] = unit
    for cta, record in records.items():
        delta = np.subtract(cta, box.lo)
        predicted = representative.shifted(shifts, delta) if delta.any() else representative
        if not predicted.same_as(record):
            return None
    return shifts


def unit_shift(representative: CtaRecord, other: CtaRecord) -> npt.NDArray[np.int64] | None:
    """Per-instruction address shift from ``representative`` to ``other``, if one exists.

    Both must have identical streams and run structure, and every active lane of every run
    of an instruction must move by the same number of bytes.
    """
    structure = (
        "visit_offsets",
        "visit_block",
        "visit_mask",
        "run_warp",
        "run_instr",
        "run_first",
        "run_count",
        "run_stride_bytes",
        "run_mask",
        "active_lanes",
    )
    if not all(
        np.array_equal(getattr(representative, name), getattr(other, name)) for name in structure
    ):
        return None
    shifts = np.zeros(representative.active_lanes.size, dtype=np.int64)
    if representative.run_warp.size == 0:
        return shifts
    difference = (other.run_base - representative.run_base).view(np.int64)
    active = ((representative.run_mask[:, None] >> np.arange(WARP_SIZE, dtype=np.uint32)) & 1) == 1
    instr = np.broadcast_to(representative.run_instr[:, None], difference.shape)[active]
    values = difference[active]
    if values.size == 0:
        return shifts
    first_value = np.full(shifts.size, np.iinfo(np.int64).min, dtype=np.int64)
    order = np.argsort(instr, kind="stable")
    instr, values = instr[order], values[order]
    starts = np.flatnonzero(np.concatenate([[True], instr[1:] != instr[:-1]]))
    first_value[instr[starts]] = values[starts]
    if not np.array_equal(values, first_value[instr]):
        return None
    shifts[instr[starts]] = values[starts]
    return shifts


def _largest_verifying_stop(cache: CtaRecordCache, box: Box, dim: int) -> int | None:
    """Largest t such that ``box`` cut to [lo, t] along ``dim`` verifies (monotone search)."""
    start, stop = box.lo[dim], box.hi[dim]
    if verify(cache, box.with_range(dim, start, start)) is None:
        return None
    if verify(cache, box) is not None:
        return stop
    if stop - 1 > start and verify(cache, box.with_range(dim, start, stop - 1)) is not None:
        return stop - 1
    good, bad = start, stop
    while bad - good > 1:
        middle = (good + bad) // 2
        if verify(cache, box.with_range(dim, start, middle)) is not None:
            good = middle
        else:
            bad = middle
    return good


def _line_segments(cache: CtaRecordCache, dim: int) -> list[tuple[int, int]]:
    """Segments of ``dim`` whose CTAs on the line through the origin form one class each."""
    size = cache.grid[dim]
    line = Box((0, 0, 0), (0, 0, 0)).with_range(dim, 0, size - 1)
    segments = []
    start = 0
    while start < size:
        stop = _largest_verifying_stop(cache, line.with_range(dim, start, size - 1), dim)
        assert stop is not None  # a single CTA always verifies
        segments.append((start, stop))
        start = stop + 1
    return segments


def _split(cache: CtaRecordCache, box: Box) -> list[tuple[Box, Shifts]]:
    shifts = verify(cache, box)
    if shifts is not None:
        return [(box, shifts)]
    dims = sorted((d for d in range(3) if box.extent(d) > 1), key=box.extent, reverse=True)
    for dim in dims:
        stop = _largest_verifying_stop(cache, box, dim)
        if stop is not None:
            prefix = box.with_range(dim, box.lo[dim], stop)
            prefix_shifts = verify(cache, prefix)
            assert prefix_shifts is not None
            rest = box.with_range(dim, stop + 1, box.hi[dim])
            return [(prefix, prefix_shifts), *_split(cache, rest)]
    dim = dims[0]
    middle = (box.lo[dim] + box.hi[dim]) // 2
    lower = box.with_range(dim, box.lo[dim], middle)
    upper = box.with_range(dim, middle + 1, box.hi[dim])
    return [*_split(cache, lower), *_split(cache, upper)]
