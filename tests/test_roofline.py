"""Roofline bounds: exact arithmetic on the preset figures."""

from __future__ import annotations

import pytest

from gpusim.roofline import collective_bound, copy_bound, gemm_bound
from gpusim.spec import gpu_preset, system_preset

H100 = gpu_preset("H100-SXM5-80GB")


L2_BYTES = 50 * 2**20


def test_a_large_fp32_gemm_is_bound_by_the_cuda_cores() -> None:
    bound = gemm_bound(H100, 4096, 4096, 4096, dtype="fp32", tensor_cores=False)
    assert bound.flops == 2 * 4096**3
    matrix = 4096 * 4096 * 4
    # A and B come from DRAM; of C (64 MiB) what L2 cannot hold goes back to DRAM.
    assert bound.bytes_moved == 2 * matrix + (matrix - L2_BYTES)
    assert bound.limiter == "compute"
    assert bound.time_s == pytest.approx(2 * 4096**3 / (132 * 128 * 2 * 1.98e9))


def test_a_tensor_core_gemm_reads_fp16_and_writes_fp32() -> None:
    bound = gemm_bound(H100, 1024, 2048, 512, dtype="fp16", tensor_cores=True)
    assert bound.bytes_moved == (1024 * 512 + 512 * 2048) * 2  # C stays in L2
    assert bound.compute_time_s == pytest.approx(2 * 1024 * 2048 * 512 / 989.4e12, rel=1e-3)


def test_a_skinny_gemm_is_bound_by_memory() -> None:
    bound = gemm_bound(H100, 8192, 8192, 1, dtype="fp32", tensor_cores=False)
    assert bound.limiter == "memory"
    written = 8192 * 8192 * 4
    dram = (8192 * 2) * 4 + written - L2_BYTES
    assert bound.time_s == pytest.approx(dram / 3.35e12)


def test_a_copy_reads_once_and_writes_back_what_l2_cannot_hold() -> None:
    bound = copy_bound(H100, 1 << 30)
    assert bound.bytes_moved == 2 * (1 << 30) - L2_BYTES
    assert bound.time_s == pytest.approx((2 * (1 << 30) - L2_BYTES) / 3.35e12)
    assert bound.flops == 0


def test_a_copy_that_fits_in_l2_is_bound_by_its_reads_and_the_l2() -> None:
    size = 4 << 20
    bound = copy_bound(H100, size)
    assert bound.bytes_moved == size
    assert bound.time_s == pytest.approx(max(size / 3.35e12, 2 * size / (4472 * 1.98e9)))


def test_tensor_cores_of_a_missing_type_are_an_error() -> None:
    with pytest.raises(ValueError, match=r"^dtype: V100-SXM2-32GB has no bf16 tensor cores$"):
        gemm_bound(gpu_preset("V100-SXM2-32GB"), 16, 16, 16, dtype="bf16", tensor_cores=True)


def test_ring_allreduce_alpha_beta_on_an_nvswitch_node() -> None:
    system = system_preset("8xH100-NVSwitch")
    size = 1 << 30
    bound = collective_bound(system, "allreduce", "ring", size, 8)
    expected = 14 * 0.47e-6 + (14 / 8) * size / 450e9
    assert bound.time_s == pytest.approx(expected)
    assert bound.limiter == "network"
    assert bound.flops == 7 * size // 4


@pytest.mark.parametrize(("ranks", "message"), [(1, "needs >= 2 ranks"), (9, "has 8 GPUs")])
def test_ring_ranks_are_checked(ranks: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^ranks: .*{message}"):
        collective_bound(system_preset("8xH100-NVSwitch"), "allreduce", "ring", 1024, ranks)
