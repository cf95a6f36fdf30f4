"""Canned simulation results and a service that answers with them at once, so tests of the
screen follow the screen, not the engine's calibration (the engine has its own tests)."""

from __future__ import annotations

from typing import Any

from gpusim.collectives.result import CollectiveResult
from gpusim.hw.sm.result import CtaSpan, KernelResult, Mode
from gpusim.roofline import Bound
from gpusim.training.memory import GpuMemory
from gpusim.training.result import TrainingResult
from gpusim.training.schedule import Bar
from gpusim.tui.jobs import Event, Finished, Outcome
from gpusim.tui.service import SimulationService

MS = 1e-3

TWO_STAGE_BARS = (
    Bar(0, "forward", "F0", 0 * MS, 2 * MS),
    Bar(0, "forward", "F1", 2 * MS, 4 * MS),
    Bar(0, "send", "F0 to stage 1", 2 * MS, 2.5 * MS),
    Bar(0, "send", "F1 to stage 1", 4 * MS, 4.5 * MS),
    Bar(0, "backward", "B0", 8 * MS, 11 * MS),
    Bar(0, "backward", "B1", 11 * MS, 14 * MS),
    Bar(0, "dp_allreduce", "bucket 0", 12.5 * MS, 15 * MS),
    Bar(0, "optimizer", "optimizer", 15 * MS, 16 * MS),
    Bar(1, "forward", "F0", 2.5 * MS, 4.5 * MS),
    Bar(1, "forward", "F1", 4.5 * MS, 6.5 * MS),
    Bar(1, "backward", "B0", 6.5 * MS, 10.5 * MS),
    Bar(1, "send", "B0 to stage 0", 10.5 * MS, 11 * MS),
    Bar(1, "backward", "B1", 10.5 * MS, 14.5 * MS),
    Bar(1, "dp_allreduce", "bucket 0", 13 * MS, 15 * MS),
    Bar(1, "send", "B1 to stage 0", 14.5 * MS, 15.5 * MS),
    Bar(1, "optimizer", "optimizer", 15 * MS, 16 * MS),
)
"""A hand-made step of two stages, two micro-batches each, 16 ms long."""


def canned_training_result(step_s: float = 16 * MS) -> TrainingResult:
    """A step of 2 stages x 4 GPUs whose timeline is ``TWO_STAGE_BARS`` stretched to
    ``step_s``; compute 11 ms, TP all-reduce 2 ms, DP tail 1 ms, bubble the rest."""
    scale = step_s / (16 * MS)
    bars = tuple(
        Bar(bar.stage, bar.kind, bar.label, bar.start_s * scale, bar.end_s * scale)
        for bar in TWO_STAGE_BARS
    )
    return TrainingResult(
        system="8xH100-NVSwitch",
        gpu="H100-SXM5-80GB",
        gpus=8,
        gemm_kernel="gemm_tc_ampere_bf16",
        step_s=step_s,
        tokens_per_step=8 * 256,
        model_flops=4_000_000_000_000,
        peak_flops_per_s_per_gpu=989e12,
        compute_s=11 * MS * scale,
        tp_allreduce_s=2 * MS * scale,
        dp_exposed_s=1 * MS * scale,
        bubble_s=2 * MS * scale,
        critical_stage=1,
        memory=GpuMemory(
            weights_bytes=2 * 2**30,
            gradients_bytes=2 * 2**30,
            optimizer_bytes=12 * 2**30,
            activations_bytes=4 * 2**30,
        ),
        memory_stage=0,
        operators_simulated=0,
        timeline=bars,
    )


def canned_result(time_s: float) -> KernelResult:
    """A 256^3 GEMM's result on four SMs of two CTA slots each, taking ``time_s``."""
    launch_s = 2.43e-6
    spans = tuple(
        CtaSpan(
            sm,
            cta,
            launch_s + wave * (time_s - launch_s) / 2,
            launch_s + (wave + 1) * (time_s - launch_s) / 2,
        )
        for sm in range(4)
        for wave in range(2)
        for cta in (sm * 4 + wave * 2, sm * 4 + wave * 2 + 1)
    )
    flops = 2.0 * 256**3
    dram_bytes = 3 * 256 * 256 * 4
    return KernelResult(
        kernel="gemm_smem_tiled_32",
        gpu="H100-SXM5-80GB",
        mode="fast",
        time_s=time_s,
        execution_s=time_s - launch_s,
        launch_overhead_s=launch_s,
        cycles=time_s * 1.98e9,
        ctas=64,
        ctas_per_sm=2,
        waves=0.24,
        occupancy_limiter="warps",
        theoretical_occupancy=0.5,
        achieved_occupancy=0.25,
        warp_instructions=1.2e6,
        ipc=0.48,
        issue_slot_utilisation=0.12,
        pipe_utilisation={"lsu": 0.25, "int": 0.06, "fp32": 0.03, "control": 0.01},
        stall_fractions={
            "long_scoreboard": 0.41,
            "lsu_throttle": 0.26,
            "barrier": 0.26,
            "wait": 0.07,
        },
        l1_hit_rate=0.0,
        l2_hit_rate=0.88,
        global_bytes=2 * 256**3 * 4 / 32,
        shared_bytes=2 * 256**3 * 4 * (1 + 1 / 32),
        l2_bytes=2 * 256**3 * 4 / 32,
        dram_read_bytes=dram_bytes * 2 / 3,
        dram_write_bytes=dram_bytes / 3,
        dram_bandwidth_bytes_per_s=dram_bytes / time_s,
        dram_utilisation=dram_bytes / time_s / 3.0e12,
        flops=flops,
        flops_per_s=flops / time_s,
        shared_bank_conflict_factor=1.0,
        bottleneck="latency-bound: global-memory latency (long scoreboard) (41% of stalls)",
        simulated_sms=4,
        timeline=spans,
    )


def canned_collective_result() -> CollectiveResult:
    """A 64 MiB ring all-reduce over 8 GPUs in 400 us."""
    size_bytes = 64 * 2**20
    return CollectiveResult(
        system="8xH100-NVSwitch",
        collective="all_reduce",
        algo="ring",
        protocol="Simple",
        dtype="fp32",
        size_bytes=size_bytes,
        ranks=8,
        channels=16,
        time_s=400e-6,
        bound=Bound(0.0, 300e-6, 0.0, 2 * 7 / 8 * size_bytes, "network"),
        links=(),
        messages=112,
    )


class CannedService(SimulationService):
    """Answers each job at once. A kernel run takes 31 us edited, 19.7 us on its preset; a
    training step 20 ms edited, 16 ms on its preset."""

    def __init__(self) -> None:
        super().__init__()
        self._answers: list[Event] = []
        self._jobs = 0

    @property
    def alive(self) -> bool:
        return True

    def start(self) -> None:
        """Nothing to start: no process."""

    def submit(self, document: dict[str, Any], source: str, mode: Mode) -> int:
        self._jobs += 1
        if document["workload"]["kind"] == "training_step":
            edited = bool(document["system"].get("overrides"))
            result: KernelResult | TrainingResult = canned_training_result(
                20 * MS if edited else 16 * MS
            )
        else:
            edited = bool(document["gpu"]["overrides"])
            result = canned_result(31e-6 if edited else 19.7e-6)
        self._answers.append(Finished(self._jobs, Outcome(result)))
        return self._jobs

    def poll(self, job: int) -> Event | None:
        return self._answers.pop(0) if self._answers else None

    def close(self) -> None:
        """Nothing to stop."""
