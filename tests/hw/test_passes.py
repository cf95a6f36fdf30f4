"""Passes of a loop (where it starts reading its own data again), and jumps that stay in one."""

from __future__ import annotations

import numpy as np
import pytest

from gpusim.api import kernel_trace
from gpusim.cuda.kernels import CopyParams, GemmParams
from gpusim.hw.sm import loopskip
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.lowering import lower
from gpusim.hw.sm.passes import LoopPasses, loop_passes, pass_ends
from gpusim.hw.sm.state import program_arrays
from gpusim.spec import gpu_preset
from tests.hw.microbench import trace
from tests.hw.test_microbenchmarks import stream

H100 = gpu_preset("H100-SXM5-80GB")
SECTOR_BYTES = H100.l2.sector_bytes


def ends(reach: list[int]) -> list[int]:
    return pass_ends(np.array(reach, dtype=np.int64)).tolist()


def test_a_loop_that_never_reuses_is_one_pass() -> None:
    assert ends([0, 0, 0, 0]) == [4, 4, 4, 4]


def test_a_second_pass_starts_where_the_loop_reaches_back_farther() -> None:
    assert ends([0, 0, 0, 3, 3, 3]) == [3, 3, 3, 6, 6, 6]


def test_reuse_no_farther_than_before_stays_in_its_pass() -> None:
    assert ends([0, 1, 1, 1, 2, 1]) == [1, 4, 4, 4, 6, 6]


def passes_of(program_trace: object, gpu: object = H100) -> LoopPasses:
    program = lower(program_trace, gpu)  # type: ignore[arg-type]
    return loop_passes(program_arrays(program), program.warps_per_cta, SECTOR_BYTES)


def test_a_stream_read_three_times_has_a_first_pass_and_the_rest() -> None:
    # 16 periods of 8 line loads cover a warp's 128 lines; periods 16-47 read them again.
    passes = passes_of(trace(stream(3, 128, 2)))
    assert passes.ptr.tolist() == [48 * warp for warp in range(9)]
    assert (passes.end.reshape(8, 48) == [16] * 16 + [48] * 32).all()


def test_a_copy_and_a_tiled_gemm_read_new_sectors_every_period() -> None:
    copy = passes_of(kernel_trace(H100, "copy", CopyParams(64 << 20)))
    gemm = passes_of(kernel_trace(H100, "gemm_smem_tiled_32", GemmParams(256, 256, 1024)))
    assert (copy.end == 4).all()
    assert (gemm.end == 32).all()


def test_a_naive_gemm_reuses_its_row_of_a_from_its_second_period() -> None:
    passes = passes_of(kernel_trace(H100, "gemm_naive", GemmParams(128, 128, 1024)))
    per_stream = passes.end.reshape(-1, 256)
    assert (per_stream[:, 0] == 1).all()
    assert (per_stream[:, 1:] == 256).all()


def test_jumps_stay_inside_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream read three times on the whole H100 (one CTA per SM) is steady over windows
    of 4 periods in its first, DRAM-bound pass; it jumps, but never from that pass into the
    L2-served rest, whose rate it measures there (test_microbenchmarks: L2's bandwidth)."""
    spans: list[tuple[int, int]] = []
    original = loopskip.LoopSkipper.jump

    def recording(self: loopskip.LoopSkipper, t_ns: float) -> float:
        warps = self._sim.state.warps
        active = np.nonzero(warps.active)
        before = self._loop_periods(warps.visit[active], warps.stream[active])
        jumped = original(self, t_ns)
        if jumped:
            after = self._loop_periods(warps.visit[active], warps.stream[active])
            spans.extend(zip(before.tolist(), after.tolist(), strict=True))
        return jumped

    monkeypatch.setattr(loopskip.LoopSkipper, "jump", recording)
    simulate_kernel(lower(trace(stream(3, 128, 132, shared_bytes=200_000)), H100), H100)
    assert spans
    assert all((before < 16) == (after < 16) for before, after in spans)
