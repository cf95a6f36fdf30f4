"""``compare`` through the real engine (not the stand-in): what it reports is the engine's."""

from __future__ import annotations

import dataclasses

import pytest

from gpusim.api import simulate_kernel
from gpusim.cuda.kernels import AllreduceRingParams, CopyParams, GemmParams
from gpusim.spec import gpu_preset
from gpusim.validate.compare import compare
from gpusim.validate.suite import KernelCase, RingAllreduceCase
from tests.validate.conftest import case_record, synthetic_measurements

H100 = gpu_preset("H100-SXM5-80GB")


def test_compare_reports_the_engines_fast_mode_times() -> None:
    gemm = KernelCase("gemm_smem_tiled_16", GemmParams(128, 128, 128))
    copy = KernelCase("copy", CopyParams(1 << 20))
    ring = RingAllreduceCase(ranks=2, message_bytes=1 << 16)
    measured_s = 10e-6
    measurements = dataclasses.replace(
        synthetic_measurements(),
        cases=tuple(case_record(case, measured_s) for case in (gemm, copy, ring)),
    )

    comparison = compare(measurements, H100)

    expected_s = {
        gemm.case_id: simulate_kernel(H100, gemm.kernel, gemm.params).time_s,
        copy.case_id: simulate_kernel(H100, copy.kernel, copy.params).time_s,
        ring.case_id: sum(
            simulate_kernel(H100, ring.kernel, AllreduceRingParams(ring.elements, 2, step)).time_s
            for step in (0, 1)
        ),
    }
    simulated_s = {case.case_id: case.simulated_s for case in comparison.cases}
    assert simulated_s == pytest.approx(expected_s, rel=1e-12)
    for case in comparison.cases:
        assert case.error_pct == pytest.approx((case.simulated_s / measured_s - 1) * 100)
