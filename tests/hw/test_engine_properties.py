"""Invariants of the engine on the project's real kernels, at small sizes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpusim.api import simulate_kernel
from gpusim.cuda.kernels import CopyParams, GemmParams
from gpusim.roofline import copy_bound, gemm_bound
from gpusim.spec import gpu_preset
from gpusim.workload import TENSOR_CORE_GEMMS

H100 = gpu_preset("H100-SXM5-80GB")
SMALL = H100.with_overrides({"sm.count": 8, "name": "H100-8SM"})
GEMMS = [
    "gemm_naive",
    "gemm_smem_tiled_16",
    "gemm_smem_tiled_32",
    "gemm_register_blocked_64",
    "gemm_register_blocked_128",
    "gemm_tensor_core",
]
SIZES = st.sampled_from([128, 256])


@settings(max_examples=12, deadline=None)
@given(kernel=st.sampled_from(GEMMS), m=SIZES, n=SIZES, k=st.sampled_from([64, 128, 256]))
def test_no_gemm_beats_its_roofline_bound(kernel: str, m: int, n: int, k: int) -> None:
    result = simulate_kernel(SMALL, kernel, GemmParams(m, n, k))
    tensor = kernel in TENSOR_CORE_GEMMS
    bound = gemm_bound(SMALL, m, n, k, dtype="fp16" if tensor else "fp32", tensor_cores=tensor)
    assert result.execution_s >= bound.time_s
    assert result.flops == 2 * m * n * k


@settings(max_examples=6, deadline=None)
@given(size_kib=st.sampled_from([256, 512, 1024, 4096]))
def test_no_copy_beats_its_roofline_bound(size_kib: int) -> None:
    result = simulate_kernel(H100, "copy", CopyParams(size_kib * 1024))
    assert result.execution_s >= copy_bound(H100, size_kib * 1024).time_s


TOLERANCE = 0.02
"""How much slower a faster machine may come out: scheduling interleavings shift a little
when timing changes, which can cost a warp a few cycles here and there."""


@settings(max_examples=5, deadline=None)
@given(factor=st.sampled_from([1.25, 1.5, 2.0, 4.0]))
def test_more_bandwidth_never_slows_a_memory_bound_copy(factor: float) -> None:
    params = CopyParams(32 << 20)
    base = simulate_kernel(H100, "copy", params)
    faster = H100.with_overrides(
        {"dram.bandwidth_bytes_per_s": H100.dram.bandwidth_bytes_per_s * factor}
    )
    assert simulate_kernel(faster, "copy", params).time_s <= base.time_s * (1 + TOLERANCE)


@settings(max_examples=5, deadline=None)
@given(sms=st.sampled_from([16, 32, 66, 132]))
def test_more_sms_never_slow_a_compute_bound_gemm(sms: int) -> None:
    params = GemmParams(1024, 1024, 256)
    fewer = simulate_kernel(
        H100.with_overrides({"sm.count": sms // 2}), "gemm_smem_tiled_32", params
    )
    more = simulate_kernel(H100.with_overrides({"sm.count": sms}), "gemm_smem_tiled_32", params)
    assert more.time_s <= fewer.time_s * (1 + TOLERANCE)


@pytest.mark.parametrize("mode", ["fast", "detailed"])
def test_the_same_inputs_give_identical_results(mode: str) -> None:
    params = GemmParams(256, 256, 128)
    first = simulate_kernel(SMALL, "gemm_smem_tiled_16", params, mode=mode, timeline=True)  # type: ignore[arg-type]
    second = simulate_kernel(SMALL, "gemm_smem_tiled_16", params, mode=mode, timeline=True)  # type: ignore[arg-type]
    assert first == second


@pytest.mark.parametrize(
    ("kernel", "params"),
    [
        ("gemm_naive", GemmParams(256, 256, 256)),
        ("gemm_smem_tiled_32", GemmParams(512, 512, 256)),
        ("gemm_register_blocked_64", GemmParams(512, 512, 256)),
        ("gemm_register_blocked_128", GemmParams(512, 512, 256)),
        ("gemm_tensor_core", GemmParams(512, 512, 256)),
        ("copy", CopyParams(8 << 20)),
    ],
)
def test_fast_mode_agrees_with_detailed_mode(kernel: str, params: GemmParams | CopyParams) -> None:
    fast = simulate_kernel(SMALL, kernel, params, mode="fast")
    detailed = simulate_kernel(SMALL, kernel, params, mode="detailed")
    assert fast.execution_s == pytest.approx(detailed.execution_s, rel=0.05)
    assert fast.flops == pytest.approx(detailed.flops, rel=1e-9)
    assert fast.warp_instructions == pytest.approx(detailed.warp_instructions, rel=1e-9)
    assert fast.dram_read_bytes == pytest.approx(detailed.dram_read_bytes, rel=0.05)
