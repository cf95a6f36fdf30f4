"""CTAs per SM by the CUDA occupancy rules (the occupancy calculator's figures)."""

from __future__ import annotations

import pytest

from gpusim.errors import KernelError
from gpusim.hw.sm.occupancy import occupancy
from gpusim.spec import gpu_preset

H100 = gpu_preset("H100-SXM5-80GB")
V100 = gpu_preset("V100-SXM2-32GB")


@pytest.mark.parametrize(
    ("threads", "registers", "shared", "ctas", "limiter"),
    [
        (1024, 32, 8192, 2, "warps"),  # 32 warps per CTA, 64 per SM
        (256, 32, 0, 8, "warps"),
        (256, 64, 0, 4, "registers"),  # 2048 registers per warp: 32 warps fit
        (256, 120, 8192, 2, "registers"),  # 3840 per warp -> 17 warps -> 16 after rounding
        (128, 40, 49152, 4, "shared_memory"),  # 50176 B per CTA with the 1 KB reservation
        (32, 16, 0, 32, "ctas"),
        (96, 255, 0, 2, "registers"),  # 3 warps of 8192 registers: 8 warps, 2 CTAs
    ],
)
def test_h100_occupancy_follows_the_cuda_rules(
    threads: int, registers: int, shared: int, ctas: int, limiter: str
) -> None:
    result = occupancy(
        H100, threads_per_cta=threads, registers_per_thread=registers, shared_bytes_per_cta=shared
    )
    assert result.ctas_per_sm == ctas
    assert result.limiter == limiter


def test_volta_rounds_shared_memory_to_256_bytes_and_reserves_none() -> None:
    result = occupancy(
        V100, threads_per_cta=64, registers_per_thread=32, shared_bytes_per_cta=24_577
    )
    assert result.shared_bytes_per_cta == 24_832
    assert result.ctas_per_sm == 3


def test_theoretical_occupancy_is_resident_warps_over_the_maximum() -> None:
    result = occupancy(H100, threads_per_cta=256, registers_per_thread=64, shared_bytes_per_cta=0)
    assert result.warps_per_sm == 32
    assert result.fraction(H100) == 0.5


@pytest.mark.parametrize(
    ("threads", "registers", "shared", "message"),
    [
        (2048, 32, 0, "block: 2048 threads per CTA, H100-SXM5-80GB allows 1 to 1024"),
        (256, 300, 0, "registers: 300 per thread, H100-SXM5-80GB allows at most 255"),
        (
            256,
            32,
            240_000,
            "shared memory: 240000 bytes per CTA, H100-SXM5-80GB allows at most 232448",
        ),
        (1024, 255, 0, "registers: not one CTA of 1024 threads, 255 registers per thread"),
    ],
)
def test_a_kernel_that_does_not_fit_is_a_clear_error(
    threads: int, registers: int, shared: int, message: str
) -> None:
    with pytest.raises(KernelError) as caught:
        occupancy(
            H100,
            threads_per_cta=threads,
            registers_per_thread=registers,
            shared_bytes_per_cta=shared,
        )
    assert str(caught.value).startswith(message)
