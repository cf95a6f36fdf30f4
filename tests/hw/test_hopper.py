"""Hopper's asynchronous instructions in the engine: ``wgmma`` on the tensor pipe at its
sourced rate, completing at ``wgmma.wait_group``; TMA copies (``cp.async.bulk.tensor``)
through L2 into shared memory, completing their bytes on an ``mbarrier``; ``try_wait``
holding a warp until its phase completes. Each benchmark is a trace (``microbench``), so it
goes through lowering and the PTX costs as a traced kernel does."""

from __future__ import annotations

import pytest

import gpusim
from gpusim.cuda.trace import OpClass
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.lowering import lower
from gpusim.hw.sm.result import KernelResult
from tests.hw.microbench import Bench, Op, trace

GPU = gpusim.gpu_preset("H100-SXM5-80GB").with_overrides({"sm.count": 1})
WGMMA_BF16 = "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16"
WGMMA_E4M3 = "wgmma.mma_async.sync.aligned.m64n128k32.f32.e4m3.e4m3"
WARPGROUP_THREADS = 128
ONE_LANE = 0x1
BARRIER = 0
"""The shared address of the benchmarks' mbarrier."""
BOX_ROWS = 16
ROW_BYTES = 128
BOX_BYTES = BOX_ROWS * ROW_BYTES
ROW_STRIDE_BYTES = 8192
"""The tensor's row pitch: each CTA's boxes come from its own band of 16 rows."""
TENSOR_BASE = 1 << 40


def _run(bench: Bench) -> KernelResult:
    return simulate_kernel(lower(trace(bench), GPU), GPU, mode="detailed")


def _wgmma(opcode: str, m: int, n: int, k: int) -> Op:
    return Op(OpClass.WGMMA, opcode, flops_per_lane=2 * m * n * k // WARPGROUP_THREADS)


def _sourced_rate_per_cycle(peak_flops_per_cycle: int, fraction: float) -> float:
    """FLOPs per SM cycle: the dense peak at its rated clock, times wgmma's share."""
    tensor = GPU.tensor
    return float(peak_flops_per_cycle * fraction * tensor.low_precision_clock_hz / GPU.sm.clock_hz)


@pytest.mark.parametrize(
    ("op", "peak", "fraction"),
    [
        (_wgmma(WGMMA_BF16, 64, 128, 16), "bf16_flops_per_cycle_per_sm", "fp16_fraction_of_peak"),
        (_wgmma(WGMMA_E4M3, 64, 128, 32), "fp8_flops_per_cycle_per_sm", "fp8_fraction_of_peak"),
    ],
    ids=["bf16", "e4m3"],
)
def test_a_warpgroup_of_wgmmas_runs_at_the_sourced_rate(op: Op, peak: str, fraction: str) -> None:
    """One warpgroup (a warp per sub-partition) issuing wgmmas back to back: the tensor
    cores run at Luo et al.'s measured share of the peak, and the warps never wait to
    issue (the tensor cores queue a wgmma)."""
    iterations = 256
    result = _run(Bench(body=[op], iterations=iterations, warps=4))
    assert GPU.tensor.wgmma is not None
    expected = _sourced_rate_per_cycle(
        getattr(GPU.tensor, peak), getattr(GPU.tensor.wgmma, fraction)
    )
    achieved = result.flops / (result.execution_s * GPU.sm.clock_hz)
    assert achieved == pytest.approx(expected, rel=1e-3)
    assert result.stall_fractions["math_pipe_throttle"] == 0.0


def test_wait_group_0_holds_the_warp_until_its_wgmmas_complete() -> None:
    """Committing and waiting for every wgmma serialises nothing more than the tensor pipe
    already does, and the wait is the ``wgmma_wait`` stall."""
    body = [
        _wgmma(WGMMA_BF16, 64, 128, 16),
        Op(OpClass.MEMBAR, "wgmma.commit_group.sync.aligned"),
        Op(OpClass.MEMBAR, "wgmma.wait_group.sync.aligned.0"),
    ]
    result = _run(Bench(body=body, iterations=64, warps=4))
    assert result.stall_fractions["wgmma_wait"] > 0.9
    assert GPU.tensor.wgmma is not None
    per_wgmma_cycles = (2 * 64 * 128 * 16 / 4) / (
        _sourced_rate_per_cycle(4096, GPU.tensor.wgmma.fp16_fraction_of_peak) / 4
    )
    assert result.execution_s * GPU.sm.clock_hz >= 64 * per_wgmma_cycles


def _tma_bench(iterations: int, *, wait: bool, grid: tuple[int, int, int] = (1, 1, 1)) -> Bench:
    """One warp: an mbarrier of one arrival; per iteration, lane 0 expects a box's bytes and
    copies the box (the next 128 bytes of each of 16 rows), then the warp waits (or not)."""
    init = Op(OpClass.MBARRIER, "mbarrier.init.shared::cta.b64", lanes=ONE_LANE, operand=1)
    expect = Op(
        OpClass.MBARRIER,
        "mbarrier.arrive.expect_tx.shared::cta.b64",
        lanes=ONE_LANE,
        operand=BOX_BYTES,
    )
    copy = Op(
        OpClass.TENSOR_COPY,
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes",
        bytes_per_lane=BOX_BYTES,
        lanes=ONE_LANE,
        operand=BOX_ROWS,
        row_stride_bytes=ROW_STRIDE_BYTES,
    )
    try_wait = Op(OpClass.MBARRIER, "mbarrier.try_wait.parity.shared::cta.b64", dst=(1,))
    body = [expect, copy, try_wait] if wait else [expect, copy]
    barrier = {index: (lambda warp, k: [BARRIER] * 32) for index in (0, 1, 3)}
    return Bench(
        prologue=[init],
        body=body,
        iterations=iterations,
        grid=grid,
        addresses={**barrier, 2: lambda warp, k: [TENSOR_BASE + k * ROW_BYTES] * 32},
        cta_shift={2: (BOX_ROWS * ROW_STRIDE_BYTES, 0, 0)},
    )


def test_a_tma_copy_moves_its_boxes_bytes_through_l2_and_dram() -> None:
    """Four CTAs copy eight boxes each of data nobody touched before: L2 and HBM move
    exactly the boxes' bytes."""
    ctas, iterations = 4, 8
    result = _run(_tma_bench(iterations, wait=True, grid=(ctas, 1, 1)))
    assert result.dram_read_bytes == ctas * iterations * BOX_BYTES
    assert result.l2_bytes == ctas * iterations * BOX_BYTES
    assert result.global_bytes == ctas * iterations * BOX_BYTES


def test_a_wait_does_not_pass_before_the_copys_bytes_land() -> None:
    """Each iteration's wait is for the phase its copy completes: the warp cannot go on
    before the box has come from HBM, so every iteration costs at least an HBM round trip,
    and that time is the ``mbarrier_wait`` stall. Without the wait the copies overlap."""
    iterations = 8
    waited = _run(_tma_bench(iterations, wait=True))
    not_waited = _run(_tma_bench(iterations, wait=False))
    round_trip_s = GPU.dram.latency_cycles / GPU.sm.clock_hz
    assert waited.execution_s >= iterations * round_trip_s
    assert not_waited.execution_s < 2 * round_trip_s
    assert waited.stall_fractions["mbarrier_wait"] > 0.9
