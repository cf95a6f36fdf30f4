"""A training step simulated: operators from the SM engine, collectives from the collective
model, composed by the step's schedule."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from gpusim.hw.sm.result import Mode
from gpusim.roofline import tensor_flops_per_s
from gpusim.spec.system import SystemSpec
from gpusim.training.comms import CommCosts
from gpusim.training.costs import LaunchWatch, OperatorCosts
from gpusim.training.gemm_choice import choose_gemm_kernel
from gpusim.training.memory import GRADIENT_BYTES_PER_PARAM, fullest_gpu_memory
from gpusim.training.model import TrainingStepWorkload
from gpusim.training.operators import (
    ADAM_BYTES_PER_PARAM,
    MemoryOp,
    Operator,
    Phase,
    embedding_operators,
    head_operators,
    layer_blocks,
    model_flops_per_step,
    stage_params,
    tp_allreduce_bytes,
)
from gpusim.training.result import TrainingResult
from gpusim.training.schedule import CommPlan, Segment, StagePlan, schedule_step

Seconds = Callable[[Operator], float]


def simulate_training(
    system: SystemSpec,
    workload: TrainingStepWorkload,
    *,
    mode: Mode = "fast",
    costs_folder: Path | None = None,
    watch: LaunchWatch | None = None,
) -> TrainingResult:
    """Simulate one optimizer step of ``workload`` on ``system`` (checked by the scenario).

    ``costs_folder`` keeps the operators' durations (default: the gpusim cache's);
    ``watch`` is told of each operator launch the engine simulates (one no cache holds).
    """
    kernel = choose_gemm_kernel(workload.gemm_kernel, workload.dtype, system.gpu)
    costs = OperatorCosts(system.gpu, kernel, mode=mode, folder=costs_folder, watch=watch)
    comms = CommCosts(system, workload)
    plans = [stage_plan(workload, stage, costs.seconds, comms) for stage in range(workload.pp)]
    activation_bytes = tp_allreduce_bytes(workload)
    boundaries = range(workload.pp - 1)
    comm = CommPlan(
        send_s=[comms.send_s(stage, activation_bytes) for stage in boundaries],
        send_paths=[comms.boundary_path(stage) for stage in boundaries],
        bucket_bytes=workload.bucket_bytes,
        dp_allreduce_s=comms.dp_allreduce_s,
        dp_path=comms.dp_path(),
    )
    timeline = schedule_step(plans, comm, workload.micro_batches, workload.schedule)
    critical = max(range(workload.pp), key=lambda stage: timeline.stages[stage].end_s)
    times = timeline.stages[critical]
    memory_stage, memory = fullest_gpu_memory(workload)
    return TrainingResult(
        system=system.name,
        gpu=system.gpu.name,
        gpus=workload.gpus,
        gemm_kernel=kernel.name,
        step_s=timeline.step_s,
        tokens_per_step=workload.global_batch * workload.seq_len,
        model_flops=model_flops_per_step(workload),
        peak_flops_per_s_per_gpu=tensor_flops_per_s(system.gpu, workload.dtype),
        compute_s=times.compute_s,
        tp_allreduce_s=times.tp_allreduce_s,
        dp_exposed_s=times.dp_exposed_s,
        bubble_s=times.bubble_s,
        critical_stage=critical,
        memory=memory,
        memory_stage=memory_stage,
        operators_simulated=costs.simulated,
        timeline=timeline.bars,
    )


def stage_plan(
    workload: TrainingStepWorkload, stage: int, seconds: Seconds, comms: CommCosts
) -> StagePlan:
    """The segments one GPU of ``stage`` runs per micro-batch, and its optimizer step."""
    tp_s = comms.tp_allreduce_s(tp_allreduce_bytes(workload))
    shape, tp = workload.shape, workload.tp
    layer_grad_bytes = shape.layer_params // tp * GRADIENT_BYTES_PER_PARAM
    first, last = stage == 0, stage == workload.pp - 1

    def layers(phase: Phase) -> list[Segment]:
        block_a, block_b = layer_blocks(workload, phase)
        grads = layer_grad_bytes if phase == "backward" else 0
        layer = [
            _compute(block_a, seconds),
            Segment("tp_allreduce", tp_s),
            _compute(block_b, seconds, grads),
            Segment("tp_allreduce", tp_s),
        ]
        return layer * workload.layers_per_stage

    head_grads = (shape.embedding_params + shape.hidden) // tp * GRADIENT_BYTES_PER_PARAM
    embedding_grads = shape.embedding_params // tp * GRADIENT_BYTES_PER_PARAM
    forward = layers("forward")
    backward = layers("backward")
    if first:
        forward.insert(0, _compute(embedding_operators(workload, "forward"), seconds))
        backward.append(
            _compute(embedding_operators(workload, "backward"), seconds, embedding_grads)
        )
    if last:
        forward.append(_compute(head_operators(workload, "forward"), seconds))
        backward.insert(0, _compute(head_operators(workload, "backward"), seconds, head_grads))
    optimizer = MemoryOp("adam", stage_params(workload, stage) * ADAM_BYTES_PER_PARAM)
    return StagePlan(
        forward=tuple(segment for segment in forward if segment.seconds > 0),
        backward=tuple(segment for segment in backward if segment.seconds > 0),
        optimizer_s=seconds(optimizer),
    )


def _compute(ops: Iterable[Operator], seconds: Seconds, grad_bytes: int = 0) -> Segment:
    return Segment("compute", sum(seconds(op) for op in ops), grad_bytes)
