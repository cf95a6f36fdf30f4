"""A training step's result in words: the rows the CLI prints and the report's facts."""

from __future__ import annotations

from gpusim.training.result import TrainingResult
from gpusim.units import format_bytes, format_decimal, format_seconds


def summary_rows(result: TrainingResult) -> list[tuple[str, str, str]]:
    """(what, value, detail) rows, in reading order."""
    step_s = result.step_s

    def share(seconds: float) -> str:
        return f"{format_seconds(seconds)} ({seconds / step_s:.0%})"

    memory = result.memory
    return [
        ("step time", format_seconds(step_s), f"{result.gpus} GPUs, {result.gemm_kernel}"),
        ("throughput", format_decimal(result.tokens_per_s, "tokens/s"), ""),
        (
            "MFU",
            f"{result.mfu:.1%}",
            f"{format_decimal(result.model_flops, 'FLOP')} per step over "
            f"{format_decimal(result.peak_flops_per_s_per_gpu, 'FLOP/s')} per GPU",
        ),
        ("compute", share(result.compute_s), f"stage {result.critical_stage}, optimizer included"),
        (
            "exposed comm",
            share(result.exposed_comm_s),
            f"TP all-reduce {format_seconds(result.tp_allreduce_s)}, "
            f"DP tail {format_seconds(result.dp_exposed_s)}",
        ),
        ("bubble", share(result.bubble_s), "waiting for other pipeline stages"),
        (
            "memory per GPU",
            format_bytes(memory.total_bytes),
            f"stage {result.memory_stage}: weights {format_bytes(memory.weights_bytes)}, "
            f"gradients {format_bytes(memory.gradients_bytes)}, optimizer "
            f"{format_bytes(memory.optimizer_bytes)}, activations "
            f"{format_bytes(memory.activations_bytes)}",
        ),
    ]
