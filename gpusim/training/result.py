"""What a simulated training step says: its time, throughput, MFU, breakdown and memory."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gpusim.training.memory import GpuMemory
from gpusim.training.schedule import Bar


@dataclass(frozen=True)
class TrainingResult:
    """One optimizer step of a model on a system.

    The breakdown is that of the stage whose GPUs finish last: ``compute_s`` (kernels on the
    compute stream, the optimizer included), ``tp_allreduce_s`` (tensor-parallel
    all-reduces, which block the stream), ``dp_exposed_s`` (waiting for the last gradient
    buckets after the backward) and ``bubble_s`` (the rest: waiting for other stages).
    """

    system: str
    gpu: str
    gpus: int
    gemm_kernel: str
    step_s: float
    tokens_per_step: int
    model_flops: int
    peak_flops_per_s_per_gpu: float
    compute_s: float
    tp_allreduce_s: float
    dp_exposed_s: float
    bubble_s: float
    critical_stage: int
    memory: GpuMemory
    memory_stage: int
    operators_simulated: int
    timeline: tuple[Bar, ...]

    @property
    def time_s(self) -> float:
        """The step's time (as every result names it)."""
        return self.step_s

    @property
    def tokens_per_s(self) -> float:
        """Tokens trained per second."""
        return self.tokens_per_step / self.step_s

    @property
    def mfu(self) -> float:
        """Model FLOPs utilisation: model FLOPs per second over every GPU's dense peak."""
        return self.model_flops / (self.step_s * self.gpus * self.peak_flops_per_s_per_gpu)

    @property
    def exposed_comm_s(self) -> float:
        """Communication the compute stream waited for."""
        return self.tp_allreduce_s + self.dp_exposed_s

    @property
    def losses(self) -> str:
        """Where the step lost time to anything but compute, as shares of the step."""
        return (
            f"bubble {self.bubble_s / self.step_s:.0%}, "
            f"exposed comm {self.exposed_comm_s / self.step_s:.0%}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON and the results store (the timeline as a list of bars)."""
        data = asdict(self)
        data["memory"] = self.memory.to_dict()
        return data | {
            "time_s": self.time_s,
            "tokens_per_s": self.tokens_per_s,
            "mfu": self.mfu,
            "exposed_comm_s": self.exposed_comm_s,
            "losses": self.losses,
        }
