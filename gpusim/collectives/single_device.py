"""The ring all-reduce of N ranks' buffers held by one GPU: what a single real GPU measures.

The project's kernel ``allreduce_ring_single_device`` keeps the ranks' buffers as the rows of
one ``[ranks, elements]`` array and runs the ring as 2(N-1) launches, one per step, each
step covering every rank's chunk at once. Over a step the ranks' chunks make up the whole
row length, so a reduce-scatter step reduces ``elements`` elements (reads two chunks and
writes one per rank) and an all-gather step copies ``elements`` elements (reads one, writes
one). Each launch costs the GPU's launch overhead plus that work on the same reduction
model the multi-GPU collectives use, so the two are timed alike. Launches on one stream
run back to back, so the all-reduce takes the sum of its launches.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpusim.collectives.reduction import MemoryBoundReduction, ReductionModel
from gpusim.collectives.result import bus_factor
from gpusim.errors import CollectiveError
from gpusim.roofline import DTYPE_BYTES
from gpusim.spec.gpu import GpuSpec
from gpusim.units import ns_to_s, s_to_ns
from gpusim.workload import CollectiveDtype


@dataclass(frozen=True)
class SingleDeviceResult:
    """The 2(N-1) launches of a single-device ring all-reduce, timed."""

    gpu: str
    elements: int
    ranks: int
    dtype: CollectiveDtype
    launch_times_s: tuple[float, ...]
    """Each launch's time, overhead included, in ring-step order."""
    launch_dram_bytes: tuple[int, ...]
    """Each launch's DRAM traffic: 3 bytes per byte reduced, 2 per byte copied."""

    @property
    def time_s(self) -> float:
        """The whole all-reduce."""
        return sum(self.launch_times_s)

    @property
    def dram_bytes(self) -> int:
        """DRAM traffic of the whole all-reduce."""
        return sum(self.launch_dram_bytes)

    @property
    def size_bytes(self) -> int:
        """One rank's buffer (nccl-tests' size)."""
        return self.elements * DTYPE_BYTES[self.dtype]

    @property
    def algbw_bytes_per_s(self) -> float:
        """S / t, as nccl-tests computes it."""
        return self.size_bytes / self.time_s

    @property
    def busbw_bytes_per_s(self) -> float:
        """algbw x 2(N-1)/N."""
        return self.algbw_bytes_per_s * bus_factor("allreduce", self.ranks)


def simulate_single_device_allreduce(
    gpu: GpuSpec,
    elements: int,
    ranks: int,
    dtype: CollectiveDtype = "fp32",
    *,
    reduction: ReductionModel | None = None,
) -> SingleDeviceResult:
    """Time the single-device ring all-reduce of ``ranks`` buffers of ``elements`` each."""
    if ranks < 2:
        raise CollectiveError(f"ranks: must be >= 2, got {ranks}")
    if elements < 1:
        raise CollectiveError(f"elements: must be >= 1, got {elements}")
    model = reduction or MemoryBoundReduction.for_gpu(gpu)
    row_bytes = elements * DTYPE_BYTES[dtype]
    overhead_ns = s_to_ns(gpu.launch_overhead_s)
    reduce_steps = range(ranks - 1)
    copy_steps = range(ranks - 1)
    durations_ns = [overhead_ns + model.reduce_ns(row_bytes) for _ in reduce_steps]
    durations_ns += [overhead_ns + model.copy_ns(row_bytes) for _ in copy_steps]
    return SingleDeviceResult(
        gpu=gpu.name,
        elements=elements,
        ranks=ranks,
        dtype=dtype,
        launch_times_s=tuple(ns_to_s(duration) for duration in durations_ns),
        launch_dram_bytes=(3 * row_bytes,) * len(reduce_steps) + (2 * row_bytes,) * len(copy_steps),
    )
