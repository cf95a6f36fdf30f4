"""Operator durations: who is told of the launches the engine simulates (the explorer's
progress), and that a cached shape is never simulated again. The engine is replaced by a
stand-in that answers at once, so the test reads the cache's bookkeeping, not timing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gpusim.cuda.kernels import GemmParams, KernelParams
from gpusim.spec.presets import gpu_preset
from gpusim.training import costs
from gpusim.training.costs import OperatorCosts
from gpusim.training.gemm_choice import choose_gemm_kernel
from gpusim.training.operators import Gemm


@dataclass(frozen=True)
class Launch:
    time_s: float
    launch_overhead_s: float


def test_only_launches_no_cache_holds_are_watched(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine: list[tuple[str, KernelParams, bool]] = []

    def simulate_kernel(gpu: Any, kernel: str, params: KernelParams, **options: Any) -> Launch:
        engine.append((kernel, params, options["progress"] is not None))
        return Launch(1e-3, 2e-6)

    monkeypatch.setattr(costs, "simulate_kernel", simulate_kernel)
    watched: list[tuple[str, KernelParams]] = []

    def watch(kernel: str, params: KernelParams) -> Any:
        watched.append((kernel, params))
        return lambda fraction: None

    gpu = gpu_preset("H100-SXM5-80GB")
    kernel = choose_gemm_kernel("auto", "bf16", gpu)
    product = Gemm("qkv", 100, 200, 300)
    padded = costs.padded(product, kernel)
    first = OperatorCosts(gpu, kernel, folder=tmp_path, watch=watch)
    assert first.seconds(product) == first.seconds(product) == 1e-3
    again = OperatorCosts(gpu, kernel, folder=tmp_path, watch=watch)  # from the disk cache
    assert again.seconds(product) == 1e-3
    assert watched == [(kernel.name, padded)]
    assert engine == [(kernel.name, padded, True)]
    assert isinstance(padded, GemmParams) and (first.simulated, again.simulated) == (1, 0)


@pytest.mark.parametrize(
    ("gpu_name", "dtype", "chosen"),
    [
        ("H100-SXM5-80GB", "bf16", "gemm_tc_hopper_bf16"),
        ("H200-SXM-141GB", "fp8", "gemm_tc_hopper_fp8"),
        ("A100-SXM4-80GB", "bf16", "gemm_tc_ampere_bf16"),
    ],
)
def test_auto_takes_the_best_kernel_that_runs_on_the_gpu(
    gpu_name: str, dtype: Any, chosen: str
) -> None:
    assert choose_gemm_kernel("auto", dtype, gpu_preset(gpu_name)).name == chosen
