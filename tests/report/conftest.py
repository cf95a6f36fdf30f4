"""Results with round numbers, built by hand, so every figure's data is known exactly."""

from __future__ import annotations

import itertools

from gpusim.collectives.result import CollectiveResult, LinkUsage
from gpusim.hw.sm.result import CtaSpan, KernelResult
from gpusim.roofline import Bound
from gpusim.sweeps import SweepRecord, SweepResult
from tests.store.conftest import gpusim, store_path  # noqa: F401  (fixtures for the CLI)


def kernel_result(*, timeline: bool = True) -> KernelResult:
    """A 2 TFLOP/s kernel of 2e9 FLOPs (1 ms) that read 4 MB and wrote 2 MB of DRAM."""
    spans = (
        CtaSpan(sm=0, cta=0, start_s=1e-6, end_s=5e-6),
        CtaSpan(sm=1, cta=1, start_s=1e-6, end_s=4e-6),
        CtaSpan(sm=0, cta=2, start_s=5e-6, end_s=9e-6),
    )
    return KernelResult(
        kernel="gemm_naive",
        gpu="H100-SXM5-80GB",
        mode="fast",
        time_s=1e-3,
        execution_s=0.99e-3,
        launch_overhead_s=0.01e-3,
        cycles=1.98e6,
        ctas=3,
        ctas_per_sm=2,
        waves=1.0,
        occupancy_limiter="warps",
        theoretical_occupancy=1.0,
        achieved_occupancy=0.5,
        warp_instructions=1e6,
        ipc=1.0,
        issue_slot_utilisation=0.25,
        pipe_utilisation={"fma": 0.5},
        stall_fractions={"barrier": 0.25, "long_scoreboard": 0.5, "lsu_throttle": 0.25},
        l1_hit_rate=0.5,
        l2_hit_rate=0.75,
        global_bytes=400.0,
        shared_bytes=500.0,
        l2_bytes=200.0,
        dram_read_bytes=4e6,
        dram_write_bytes=2e6,
        dram_bandwidth_bytes_per_s=6e9,
        dram_utilisation=0.002,
        flops=2e9,
        flops_per_s=2e12,
        shared_bank_conflict_factor=1.0,
        bottleneck="throughput-bound: integer pipe (97% busy)",
        simulated_sms=2,
        timeline=spans if timeline else None,
    )


def collective_result() -> CollectiveResult:
    """A 1 MB all-reduce over 4 ranks in 100 us against a 50 us bound, two links used."""
    return CollectiveResult(
        system="8xH100-NVSwitch",
        collective="allreduce",
        algo="ring",
        protocol="simple",
        dtype="fp32",
        size_bytes=1_000_000,
        ranks=4,
        channels=1,
        time_s=100e-6,
        bound=Bound(0.0, 50e-6, 0.0, 1.5e6, "network"),
        links=(
            LinkUsage("node0.gpu0.nvlink.out", 1.5e6, 50e-6, 0.5),
            LinkUsage("node0.gpu1.nvlink.out", 1.5e6, 75e-6, 0.75),
        ),
        messages=12,
    )


def record(index: int, point: dict[str, object], time_s: float | None) -> SweepRecord:
    """A kernel sweep record taking ``time_s`` (``None``: the point failed)."""
    if time_s is None:
        return SweepRecord(index, point, "error", "it failed", {}, index + 1, False)
    metrics = {
        "time_s": time_s,
        "tflops": 1e-6 / time_s,
        "dram_bandwidth_bytes_per_s": 1e3 / time_s,
        "l2_hit_rate": 0.5,
    }
    return SweepRecord(index, point, "ok", None, metrics, index + 1, False)


def kernel_sweep(
    axes: dict[str, list[object]], times_s: list[float | None], mode: str = "grid"
) -> SweepResult:
    """A kernel sweep over ``axes`` whose points (in order) took ``times_s``."""
    paths = list(axes)
    if mode == "grid":
        points = [dict(zip(paths, row, strict=True)) for row in itertools.product(*axes.values())]
    else:
        points = [dict(zip(paths, row, strict=True)) for row in zip(*axes.values(), strict=True)]
    return SweepResult(
        scenario="study",
        source="study.toml",
        family="kernel",
        sweep_mode=mode,  # type: ignore[arg-type]
        axes=axes,
        mode="fast",
        store="results.sqlite",
        records=tuple(
            record(i, p, t) for i, (p, t) in enumerate(zip(points, times_s, strict=True))
        ),
    )
