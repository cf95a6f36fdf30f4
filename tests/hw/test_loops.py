"""Steady loops in warp streams, and fast mode's jumps over them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gpusim.api import kernel_trace
from gpusim.cuda.kernels import CopyParams, GemmParams
from gpusim.hw.sm import loopskip
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.loops import NO_LOOP, Loop, executions_per_period, steady_loop
from gpusim.hw.sm.lowering import lower
from gpusim.hw.sm.settings import FastModeSettings
from gpusim.spec import gpu_preset

MASK = np.uint32(0xFFFFFFFF)


def stream(blocks: list[int], masks: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array(blocks, dtype=np.int32),
        np.array(masks or [MASK] * len(blocks), dtype=np.uint32),
    )


def test_a_single_block_loop_is_found_whole() -> None:
    assert steady_loop(*stream([0] + [3] * 100 + [5])) == Loop(start=1, period=1, count=100)


def test_a_loop_of_several_blocks_is_found_with_its_last_period() -> None:
    blocks = [0, 1] + [2, 3, 3, 3, 4] * 10 + [5]
    assert steady_loop(*stream(blocks)) == Loop(start=2, period=5, count=10)


def test_the_loop_ends_where_the_periods_stop_being_identical() -> None:
    masks = [MASK] * 21 + [7] + [MASK]
    loop = steady_loop(*stream([0] + [1] * 21 + [2], [int(m) for m in masks]))
    assert loop == Loop(start=1, period=1, count=20)


def test_short_repetitions_are_no_loop() -> None:
    assert steady_loop(*stream([0, 1, 1, 1, 2])) == NO_LOOP


def test_executions_per_period_count_each_memory_instruction() -> None:
    # Block 1 holds slots 0 and 1, block 2 holds slot 1; a period is blocks 1, 2, 2.
    bb_start = np.array([0, 2, 5, 7], dtype=np.int32)
    mem_slot = np.array([-1, -1, 0, 1, -1, 1, -1], dtype=np.int32)
    blocks, _ = stream([0, 1, 2, 2, 1, 2, 2])
    executions = executions_per_period(Loop(1, 3, 2), blocks, bb_start, mem_slot, 2)
    assert executions.tolist() == [1, 3]


def test_real_gemm_streams_have_their_k_loop() -> None:
    gpu = gpu_preset("H100-SXM5-80GB")
    program = lower(kernel_trace(gpu, "gemm_smem_tiled_32", GemmParams(256, 256, 1024)), gpu)
    assert program.loop_count[0] == 1024 // 32
    assert (program.loop_count == program.loop_count[0]).all()


WALK_EVERY_PERIOD = FastModeSettings(jump_loops=False)


@pytest.mark.parametrize("kernel", ["gemm_smem_tiled_32", "gemm_tensor_core"])
def test_jumping_over_periods_keeps_the_time_and_the_work(
    kernel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gpu = gpu_preset("H100-SXM5-80GB").with_overrides({"sm.count": 8})
    program = lower(kernel_trace(gpu, kernel, GemmParams(512, 512, 4096)), gpu)
    jumps: list[float] = []
    original = loopskip.LoopSkipper.jump

    def counting(self: loopskip.LoopSkipper, t_ns: float) -> float:
        jumped = original(self, t_ns)
        if jumped:
            jumps.append(jumped)
        return jumped

    monkeypatch.setattr(loopskip.LoopSkipper, "jump", counting)
    jumped = simulate_kernel(program, gpu, mode="fast")
    walked = simulate_kernel(program, gpu, mode="fast", settings=WALK_EVERY_PERIOD)
    assert jumps, "the loop was never steady enough to jump"
    assert jumped.warp_instructions == walked.warp_instructions
    assert jumped.execution_s == pytest.approx(walked.execution_s, rel=0.05)
    assert jumped.dram_read_bytes == pytest.approx(walked.dram_read_bytes, rel=0.1)


def test_a_jump_replays_only_the_periods_that_refill_l2(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an L2 that a few periods' traffic fills, a jump replays those few; the time
    and HBM traffic stay those of walking every period."""
    gpu = gpu_preset("H100-SXM5-80GB").with_overrides({"sm.count": 8, "l2.size_bytes": 8 * 163_840})
    program = lower(kernel_trace(gpu, "gemm_smem_tiled_32", GemmParams(512, 512, 4096)), gpu)
    jumps: list[tuple[int, int]] = []
    original = loopskip.LoopSkipper._periods_to_replay

    def recording(self: loopskip.LoopSkipper, *args: Any) -> int:
        replayed = original(self, *args)
        jumps.append((args[2], replayed))
        return replayed

    monkeypatch.setattr(loopskip.LoopSkipper, "_periods_to_replay", recording)
    jumped = simulate_kernel(program, gpu, mode="fast")
    walked = simulate_kernel(program, gpu, mode="fast", settings=WALK_EVERY_PERIOD)
    assert jumps
    assert all(0 < replayed < periods for periods, replayed in jumps)
    assert jumped.execution_s == pytest.approx(walked.execution_s, rel=0.05)
    assert jumped.dram_read_bytes == pytest.approx(walked.dram_read_bytes, rel=0.1)
    assert jumped.l2_hit_rate == pytest.approx(walked.l2_hit_rate, abs=0.05)


def test_a_kernel_without_barriers_jumps_after_its_shorter_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 256 MiB copy's warps loop 16 periods (64 grid-stride steps unrolled 4x). Windows of
    16 periods per warp never fit in that; the copy has no bar.sync, so its windows are the
    barrier-free 4 and it jumps, keeping the time of walking every period."""
    settings = FastModeSettings()
    gpu = gpu_preset("H100-SXM5-80GB").with_overrides({"sm.count": 8})
    program = lower(kernel_trace(gpu, "copy", CopyParams(256 << 20)), gpu)
    assert (program.loop_count == 16).all()
    windows: list[int] = []
    original = loopskip.LoopSkipper._steady_window

    def recording(self: loopskip.LoopSkipper, periods: int) -> Any:
        window = original(self, periods)
        if window is not None:
            windows.append(periods // int(self._sim.state.warps.active.sum()))
        return window

    monkeypatch.setattr(loopskip.LoopSkipper, "_steady_window", recording)
    jumped = simulate_kernel(program, gpu, mode="fast", settings=settings)
    walked = simulate_kernel(program, gpu, mode="fast", settings=WALK_EVERY_PERIOD)
    assert windows and set(windows) == {settings.barrier_free_window_periods_per_cta}
    assert jumped.execution_s == pytest.approx(walked.execution_s, rel=0.01)
    assert jumped.dram_read_bytes == pytest.approx(walked.dram_read_bytes, rel=0.01)
