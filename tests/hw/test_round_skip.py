"""Fast mode's skip over steady rounds of CTAs: it happens, and it changes little."""

from __future__ import annotations

import pytest

from gpusim.cuda.kernels import GemmParams
from gpusim.cuda.tracegen import build_trace
from gpusim.hw.sm.gpu import simulate_kernel
from gpusim.hw.sm.lowering import lower
from gpusim.hw.sm.settings import FastModeSettings
from gpusim.spec import gpu_preset

SMALL = gpu_preset("H100-SXM5-80GB").with_overrides({"sm.count": 8, "name": "H100-8SM"})


@pytest.mark.parametrize("kernel", ["gemm_smem_tiled_16", "gemm_naive"])
def test_skipping_steady_rounds_keeps_the_time_of_simulating_them(kernel: str) -> None:
    program = lower(build_trace(kernel, GemmParams(512, 512, 128)), SMALL)
    skipped = simulate_kernel(program, SMALL, timeline=True)
    walked = simulate_kernel(
        program, SMALL, timeline=True, settings=FastModeSettings(skip_rounds=False)
    )
    assert len(skipped.timeline) < len(walked.timeline) / 2
    assert skipped.execution_s == pytest.approx(walked.execution_s, rel=0.02)
    assert skipped.warp_instructions == walked.warp_instructions
    assert skipped.dram_read_bytes == pytest.approx(walked.dram_read_bytes, rel=0.05)
