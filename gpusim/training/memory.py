"""Device memory one GPU of a training step needs, and the check that it fits.

Mixed-precision Adam keeps 16 bytes per parameter (Rajbhandari et al. 2020, ZeRO, section
3.1): bf16 weights (2) and gradients (2), and fp32 master weights, momentum and variance (12);
nothing is sharded across data-parallel ranks (no ZeRO, no distributed optimizer).

Activations follow Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
Transformer Models", eq. 2 with tensor parallelism, no sequence parallelism, no
recomputation): ``s b h (10 + 24/t + 5 a s / (h t))`` bytes per layer and micro-batch. The
formula assumes a 4h FFN, full multi-head attention and dropout masks; it is applied as
published to every model. A stage keeps the activations of every micro-batch it has run
forward and not yet backward: all of them under GPipe, at most ``pp`` under 1F1B
(stage 0 holds the most).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from gpusim.spec.system import SystemSpec
from gpusim.training.model import TrainingStepWorkload
from gpusim.training.operators import stage_params
from gpusim.units import format_bytes

WEIGHT_BYTES_PER_PARAM = 2
GRADIENT_BYTES_PER_PARAM = 2
OPTIMIZER_BYTES_PER_PARAM = 12


@dataclass(frozen=True)
class GpuMemory:
    """Bytes one GPU of the fullest pipeline stage holds, by what they hold."""

    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    activations_bytes: int

    @property
    def total_bytes(self) -> int:
        """All of them."""
        return (
            self.weights_bytes + self.gradients_bytes + self.optimizer_bytes
            + self.activations_bytes
        )  # fmt: skip

    def to_dict(self) -> dict[str, int]:
        """Plain data, with the total."""
        return {**asdict(self), "total_bytes": self.total_bytes}


def activation_bytes_per_layer(workload: TrainingStepWorkload) -> int:
    """Korthikanti et al. 2022, eq. 2 with tensor parallelism (module docstring)."""
    shape = workload.shape
    s, b, h, a, t = workload.seq_len, workload.micro_batch, shape.hidden, shape.heads, workload.tp
    return round(s * b * h * (10 + 24 / t + 5 * a * s / (h * t)))


def in_flight_micro_batches(workload: TrainingStepWorkload, stage: int) -> int:
    """Micro-batches whose activations stage ``stage`` holds at most at once."""
    if workload.schedule == "gpipe":
        return workload.micro_batches
    return min(workload.pp - stage, workload.micro_batches)


def gpu_memory(workload: TrainingStepWorkload, stage: int) -> GpuMemory:
    """What one GPU of pipeline stage ``stage`` holds at its fullest."""
    params = stage_params(workload, stage)
    held = in_flight_micro_batches(workload, stage)
    activations = activation_bytes_per_layer(workload) * workload.layers_per_stage * held
    return GpuMemory(
        weights_bytes=params * WEIGHT_BYTES_PER_PARAM,
        gradients_bytes=params * GRADIENT_BYTES_PER_PARAM,
        optimizer_bytes=params * OPTIMIZER_BYTES_PER_PARAM,
        activations_bytes=activations,
    )


def fullest_gpu_memory(workload: TrainingStepWorkload) -> tuple[int, GpuMemory]:
    """The stage whose GPUs need the most memory, and what they need."""
    stages = [(stage, gpu_memory(workload, stage)) for stage in range(workload.pp)]
    return max(stages, key=lambda pair: pair[1].total_bytes)


def check_training(workload: TrainingStepWorkload, system: SystemSpec) -> None:
    """The degrees must tile the system, tensor-parallel groups sit inside a node, and the
    fullest stage fit its GPUs' memory. ``ValueError`` naming the workload field."""
    if workload.gpus != system.gpu_count:
        raise ValueError(
            f"workload.dp: dp x tp x pp = {workload.dp} x {workload.tp} x {workload.pp} = "
            f"{workload.gpus}, but {system.name} has {system.gpu_count} GPUs"
        )
    if workload.tp > system.gpus_per_node:
        raise ValueError(
            f"workload.tp: tensor-parallel groups stay inside a node of "
            f"{system.gpus_per_node} GPUs, got {workload.tp}"
        )
    stage, memory = fullest_gpu_memory(workload)
    capacity_bytes = system.gpu.dram.capacity_bytes
    if memory.total_bytes > capacity_bytes:
        raise ValueError(
            f"workload: the model does not fit: a GPU of stage {stage} needs "
            f"{format_bytes(memory.total_bytes)} (weights {format_bytes(memory.weights_bytes)}, "
            f"gradients {format_bytes(memory.gradients_bytes)}, optimizer "
            f"{format_bytes(memory.optimizer_bytes)}, activations "
            f"{format_bytes(memory.activations_bytes)}), more than the {system.gpu.name}'s "
            f"{format_bytes(capacity_bytes)} (gpu.dram.capacity_bytes); raise tp or pp"
        )
