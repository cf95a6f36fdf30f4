"""Ring all-reduce (fp32 sum) kernels' facts: one rank's step, and the whole ring on one device.

Each of N ranks holds a buffer of E elements cut into N chunks; chunk c spans elements
``[c * E // N, (c + 1) * E // N)``, so any E >= 1 works (chunk lengths differ by at most one,
and some are empty when E < N). Rank r receives from its predecessor r - 1 (mod N):

* reduce-scatter step s in [0, N - 2]: rank r adds the predecessor's chunk
  ``(r - s - 1) mod N`` into its own. After N - 1 steps rank r holds the full sum of chunk
  ``(r + 1) mod N``.
* all-gather step s in [0, N - 2]: rank r copies the predecessor's chunk ``(r - s) mod N``
  (the one the predecessor completed or received one step earlier).

``ring_step_chunk`` is that rule for the host (references, work figures, tests); the
kernels (the Numba module ``allreduce``) inline the same two lines, as numba-cuda 0.30
cannot compile a device function without a GPU.

Why one step of all ranks can run as one launch on one device, with no copy of the
received buffers: at step s rank r writes only chunk c(r) of row r and reads chunk c(r) of
rows r and r - 1. Row r - 1 is written only by rank r - 1, and only in chunk
c(r - 1) = c(r) - 1 (mod N), which differs from c(r) when N >= 2. So no element is read by
one rank while another writes it, and each written element has exactly one writer: the
launch is race-free and the ranks' order of execution cannot change the result.
(``tests/cuda/test_kernels_allreduce.py`` checks this for every step of rings of 2 to 16.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gpusim.cuda.kernels.kernel_def import (
    KernelArg,
    KernelDef,
    LaunchConfig,
    SizeOptions,
    ceil_div,
)
from gpusim.cuda.kernels.operands import Operand, RandomNonzero
from gpusim.cuda.kernels.params import AllreduceRingParams, AllreduceStepParams

Phase = Literal["reduce_scatter", "all_gather"]

THREADS_PER_BLOCK = 256
# Grid-stride loops: enough blocks per rank to fill a GPU, the same launch on every machine.
MAX_BLOCKS_PER_RANK = 1024
FP32_ITEMSIZE_BYTES = 4
MODULE = "gpusim.cuda.kernels.allreduce"
SIZE_SYNTAX = "an element count per rank"


def ring_step_chunk(phase: Phase, rank: int, step: int, ranks: int) -> int:
    """The chunk that ``rank`` receives (and writes) at ``step`` of ``phase``."""
    if phase == "reduce_scatter":
        return (rank - step - 1) % ranks
    return (rank - step) % ranks


def chunk_bounds(chunk: int, elements: int, ranks: int) -> tuple[int, int]:
    """Half-open element range ``[start, stop)`` of ``chunk``."""
    return chunk * elements // ranks, (chunk + 1) * elements // ranks


def ring_phase_and_step(step: int, ranks: int) -> tuple[Phase, int]:
    """Split a whole-ring step in [0, 2(N - 1)) into its phase and the step within it."""
    if step < ranks - 1:
        return "reduce_scatter", step
    return "all_gather", step - (ranks - 1)


def _blocks_per_rank(elements: int, ranks: int) -> int:
    largest_chunk_elements = ceil_div(elements, ranks)
    return max(1, min(ceil_div(largest_chunk_elements, THREADS_PER_BLOCK), MAX_BLOCKS_PER_RANK))


def _rank_chunk_elements(phase: Phase, params: AllreduceStepParams) -> int:
    chunk = ring_step_chunk(phase, params.rank, params.step, params.ranks)
    start, stop = chunk_bounds(chunk, params.elements, params.ranks)
    return stop - start


def _step_work(phase: Phase, chunk_elements: int) -> tuple[int, int]:
    """(flops, min DRAM bytes) of a step over ``chunk_elements``.

    Reduce-scatter reads the own and the received chunk and writes the own (one add per
    element); all-gather reads the received chunk and writes the own.
    """
    if phase == "reduce_scatter":
        return chunk_elements, 3 * chunk_elements * FP32_ITEMSIZE_BYTES
    return 0, 2 * chunk_elements * FP32_ITEMSIZE_BYTES


@dataclass(frozen=True, kw_only=True)
class RankStepKernelDef(KernelDef[AllreduceStepParams]):
    """One rank's step of one phase; arguments are (buf, recv, step, ranks, rank)."""

    phase: Phase
    size_syntax: str = SIZE_SYNTAX

    def params_from_size(
        self, numbers: tuple[int, ...], options: SizeOptions
    ) -> AllreduceStepParams | None:
        if len(numbers) != 1:
            return None
        return AllreduceStepParams(numbers[0], options.ranks, options.step, options.rank)

    def numba_signature(self, params: AllreduceStepParams) -> str:
        return "void(float32[::1], float32[::1], int64, int64, int64)"

    def check_sizes(self, params: AllreduceStepParams) -> None:
        """Every size AllreduceStepParams accepts is valid (uneven chunks are handled)."""

    def launch_for(self, params: AllreduceStepParams) -> LaunchConfig:
        blocks = _blocks_per_rank(params.elements, params.ranks)
        return LaunchConfig(grid=(blocks, 1, 1), block=(THREADS_PER_BLOCK, 1, 1))

    def operands(self, params: AllreduceStepParams) -> tuple[Operand | int, ...]:
        self.check(params)
        buf = Operand.of((params.elements,), np.float32, RandomNonzero(np.float32))
        recv = Operand.of((params.elements,), np.float32, RandomNonzero(np.float32))
        return buf, recv, params.step, params.ranks, params.rank

    def reference(
        self, args: tuple[KernelArg, ...], params: AllreduceStepParams
    ) -> npt.NDArray[Any]:
        buf, recv = np.asarray(args[0]), np.asarray(args[1])
        chunk = ring_step_chunk(self.phase, params.rank, params.step, params.ranks)
        start, stop = chunk_bounds(chunk, params.elements, params.ranks)
        expected = buf.copy()
        if self.phase == "reduce_scatter":
            expected[start:stop] += recv[start:stop]
        else:
            expected[start:stop] = recv[start:stop]
        return expected

    def flops(self, params: AllreduceStepParams) -> int:
        return _step_work(self.phase, _rank_chunk_elements(self.phase, params))[0]

    def min_dram_bytes(self, params: AllreduceStepParams) -> int:
        return _step_work(self.phase, _rank_chunk_elements(self.phase, params))[1]


@dataclass(frozen=True, kw_only=True)
class RingKernelDef(KernelDef[AllreduceRingParams]):
    """Every rank's step on one device; arguments are (bufs[ranks, elements], step)."""

    size_syntax: str = SIZE_SYNTAX

    def params_from_size(
        self, numbers: tuple[int, ...], options: SizeOptions
    ) -> AllreduceRingParams | None:
        if len(numbers) != 1:
            return None
        return AllreduceRingParams(numbers[0], options.ranks, options.step)

    def numba_signature(self, params: AllreduceRingParams) -> str:
        return "void(float32[:, ::1], int64)"

    def check_sizes(self, params: AllreduceRingParams) -> None:
        """Every size AllreduceRingParams accepts is valid (uneven chunks are handled)."""

    def launch_for(self, params: AllreduceRingParams) -> LaunchConfig:
        blocks = _blocks_per_rank(params.elements, params.ranks)
        return LaunchConfig(grid=(blocks, params.ranks, 1), block=(THREADS_PER_BLOCK, 1, 1))

    def operands(self, params: AllreduceRingParams) -> tuple[Operand | int, ...]:
        self.check(params)
        shape = (params.ranks, params.elements)
        return Operand.of(shape, np.float32, RandomNonzero(np.float32)), params.step

    def reference(
        self, args: tuple[KernelArg, ...], params: AllreduceRingParams
    ) -> npt.NDArray[Any]:
        bufs = np.asarray(args[0])
        phase, phase_step = ring_phase_and_step(params.step, params.ranks)
        expected = bufs.copy()
        for rank in range(params.ranks):
            chunk = ring_step_chunk(phase, rank, phase_step, params.ranks)
            start, stop = chunk_bounds(chunk, params.elements, params.ranks)
            received = bufs[(rank - 1) % params.ranks, start:stop]
            if phase == "reduce_scatter":
                expected[rank, start:stop] += received
            else:
                expected[rank, start:stop] = received
        return expected

    def flops(self, params: AllreduceRingParams) -> int:
        return _step_work(self._phase(params), params.elements)[0]

    def min_dram_bytes(self, params: AllreduceRingParams) -> int:
        return _step_work(self._phase(params), params.elements)[1]

    @staticmethod
    def _phase(params: AllreduceRingParams) -> Phase:
        """The ranks' chunks at one step are N distinct chunks: together, all E elements."""
        return ring_phase_and_step(params.step, params.ranks)[0]


ALLREDUCE_REDUCE_SCATTER_STEP = RankStepKernelDef(
    name="allreduce_reduce_scatter_step",
    family="allreduce",
    kernel_module=MODULE,
    params_type=AllreduceStepParams,
    sample_params=AllreduceStepParams(elements=103, ranks=4, step=1, rank=2),
    output_arg=0,
    rel_tolerance=0.0,  # one fp32 add per element, the same in NumPy
    phase="reduce_scatter",
)
ALLREDUCE_ALL_GATHER_STEP = RankStepKernelDef(
    name="allreduce_all_gather_step",
    family="allreduce",
    kernel_module=MODULE,
    params_type=AllreduceStepParams,
    sample_params=AllreduceStepParams(elements=103, ranks=4, step=2, rank=0),
    output_arg=0,
    rel_tolerance=0.0,  # a copy
    phase="all_gather",
)
ALLREDUCE_RING_SINGLE_DEVICE = RingKernelDef(
    name="allreduce_ring_single_device",
    family="allreduce",
    kernel_module=MODULE,
    params_type=AllreduceRingParams,
    sample_params=AllreduceRingParams(elements=103, ranks=4, step=4),
    output_arg=0,
    rel_tolerance=0.0,  # one fp32 add or copy per element, the same in NumPy
)

VARIANTS: tuple[KernelDef[Any], ...] = (
    ALLREDUCE_REDUCE_SCATTER_STEP,
    ALLREDUCE_ALL_GATHER_STEP,
    ALLREDUCE_RING_SINGLE_DEVICE,
)
