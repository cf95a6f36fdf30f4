"""The single-device ring all-reduce: 2(N-1) launches over one [ranks, elements] array."""

from __future__ import annotations

import pytest

from gpusim.collectives import MemoryBoundReduction, simulate_single_device_allreduce
from gpusim.errors import CollectiveError
from gpusim.spec import gpu_preset

H100 = gpu_preset("H100-SXM5-80GB")
SUSTAINED_BYTES_PER_S = 3.35e12 * 0.90


def test_each_launch_pays_its_overhead_and_its_dram_traffic() -> None:
    elements, ranks = 1 << 24, 4
    result = simulate_single_device_allreduce(H100, elements, ranks)
    row_bytes = 4 * elements
    reduce_s = H100.launch_overhead_s + 3 * row_bytes / SUSTAINED_BYTES_PER_S
    copy_s = H100.launch_overhead_s + 2 * row_bytes / SUSTAINED_BYTES_PER_S
    assert result.launch_times_s == pytest.approx((reduce_s,) * 3 + (copy_s,) * 3)
    assert result.time_s == pytest.approx(3 * reduce_s + 3 * copy_s)
    assert result.dram_bytes == 3 * 5 * row_bytes
    assert result.busbw_bytes_per_s == pytest.approx(row_bytes / result.time_s * 2 * 3 / 4)


def test_the_dram_traffic_is_that_of_the_projects_ring_kernel() -> None:
    """Consistent with ``allreduce_ring_single_device``'s own work figures, launch by launch."""
    from gpusim.cuda.kernels.allreduce_def import ALLREDUCE_RING_SINGLE_DEVICE
    from gpusim.cuda.kernels.params import AllreduceRingParams

    elements, ranks = 1003, 5  # uneven chunks
    result = simulate_single_device_allreduce(H100, elements, ranks)
    kernel_bytes = tuple(
        ALLREDUCE_RING_SINGLE_DEVICE.min_dram_bytes(AllreduceRingParams(elements, ranks, step))
        for step in range(2 * (ranks - 1))
    )
    assert result.launch_dram_bytes == kernel_bytes


def test_tiny_buffers_are_launch_bound() -> None:
    result = simulate_single_device_allreduce(H100, 8, 8)
    assert result.time_s == pytest.approx(14 * H100.launch_overhead_s, rel=1e-4)


def test_the_reduction_model_can_be_swapped() -> None:
    slow = MemoryBoundReduction(sustained_bytes_per_ns=1.0)
    result = simulate_single_device_allreduce(H100, 1000, 2, reduction=slow)
    assert result.time_s == pytest.approx(2 * H100.launch_overhead_s + 12_000e-9 + 8_000e-9)


@pytest.mark.parametrize(
    ("elements", "ranks", "message"),
    [(1, 1, r"^ranks: must be >= 2, got 1$"), (0, 4, r"^elements: must be >= 1, got 0$")],
)
def test_bad_sizes_are_refused(elements: int, ranks: int, message: str) -> None:
    with pytest.raises(CollectiveError, match=message):
        simulate_single_device_allreduce(H100, elements, ranks)


@pytest.mark.parametrize("step", [0, 1], ids=["reduce-scatter", "all-gather"])
def test_the_reduction_model_agrees_with_the_engine_on_the_ring_kernel(step: int) -> None:
    """The memory-bound model against the timing engine running the kernel itself, at a
    size where DRAM dominates: the engine moves the model's bytes, less what L2 still
    holds dirty at the end (a kernel ends without flushing L2), in about the model's time."""
    from gpusim.api import simulate_kernel
    from gpusim.cuda.kernels.params import AllreduceRingParams

    elements, ranks = 1 << 25, 2
    row_bytes = 4 * elements
    model = MemoryBoundReduction.for_gpu(H100)
    model_ns, model_bytes = (
        (model.reduce_ns(row_bytes), 3 * row_bytes)
        if step == 0
        else (model.copy_ns(row_bytes), 2 * row_bytes)
    )
    engine = simulate_kernel(
        H100, "allreduce_ring_single_device", AllreduceRingParams(elements, ranks, step)
    )
    engine_bytes = engine.dram_read_bytes + engine.dram_write_bytes
    assert model_bytes - H100.l2.size_bytes <= engine_bytes <= model_bytes
    assert engine.execution_s * 1e9 == pytest.approx(model_ns, rel=0.06)


@pytest.mark.parametrize("step", [0, 1], ids=["reduce-scatter", "all-gather"])
@pytest.mark.parametrize("rank_bytes", [64 << 10, 1 << 20, 16 << 20], ids=["64K", "1M", "16M"])
def test_below_the_dram_bound_the_engine_finds_the_kernels_index_arithmetic(
    rank_bytes: int, step: int
) -> None:
    """The reduce-copy at the sizes collectives send (fp32, the ring kernel's only dtype), held
    to the engine: the memory-bound model is a lower bound of the engine's launch (the engine
    moves no fewer bytes from DRAM than the model less what L2 keeps dirty, and no faster),
    and the gap is the kernel's per-thread 64-bit index arithmetic and division (chunk bounds
    computed per thread, one element each): the engine names the integer (arithmetic) pipe,
    not DRAM, as what holds the launch. At 64 KiB the grid is one partial wave and latency
    rules as well.
    NCCL's reduce-copy computes its bounds once per slice and moves 16-byte packs, so that gap
    is the Numba kernel's, not the collective's: docs/collectives.md, "The reduction"."""
    from gpusim.api import simulate_kernel
    from gpusim.cuda.kernels.params import AllreduceRingParams

    elements, ranks = rank_bytes // 4, 2
    model = MemoryBoundReduction.for_gpu(H100)
    model_ns = model.reduce_ns(rank_bytes) if step == 0 else model.copy_ns(rank_bytes)
    engine = simulate_kernel(
        H100, "allreduce_ring_single_device", AllreduceRingParams(elements, ranks, step)
    )
    assert engine.execution_s * 1e9 > model_ns
    assert engine.dram_read_bytes == pytest.approx((2 if step == 0 else 1) * rank_bytes, rel=0.02)
    assert "integer pipe" in engine.bottleneck or "arithmetic pipe" in engine.bottleneck
