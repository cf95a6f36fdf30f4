"""A training step's report and summary, from a hand-built schedule (no engine)."""

from __future__ import annotations

from gpusim.report.training import training_timeline_figure
from gpusim.training.memory import GpuMemory
from gpusim.training.result import TrainingResult
from gpusim.training.schedule import CommPlan, Segment, StagePlan, schedule_step
from gpusim.training.summary import summary_rows


def _result() -> TrainingResult:
    plan = StagePlan((Segment("compute", 1.0),), (Segment("compute", 2.0, 4),), 0.25)
    comm = CommPlan([0.5], ["nvlink"], 4, lambda size_bytes: 0.25 * size_bytes, "network")
    timeline = schedule_step([plan, plan], comm, 2, "gpipe")
    stage = timeline.stages[0]
    return TrainingResult(
        system="2 GPUs", gpu="H100", gpus=2, gemm_kernel="k", step_s=timeline.step_s,
        tokens_per_step=1000, model_flops=10**12, peak_flops_per_s_per_gpu=1e12,
        compute_s=stage.compute_s, tp_allreduce_s=stage.tp_allreduce_s,
        dp_exposed_s=stage.dp_exposed_s,
        bubble_s=stage.bubble_s,
        critical_stage=0, memory=GpuMemory(2, 2, 12, 100), memory_stage=0,
        operators_simulated=0, timeline=timeline.bars,
    )  # fmt: skip


def test_the_summary_splits_the_step_into_compute_comm_and_bubble() -> None:
    result = _result()
    assert result.step_s == 11.25  # GPipe as in test_schedule, then a 1 s bucket on stage 0
    assert (result.compute_s, result.dp_exposed_s, result.bubble_s) == (6.25, 1.0, 4.0)
    assert result.mfu == 10**12 / (11.25 * 2 * 1e12)
    rows = {what: (value, detail) for what, value, detail in summary_rows(result)}
    assert rows["bubble"][0] == "4 s (36%)"
    assert rows["memory per GPU"][0] == "116 B"


def test_the_timeline_has_a_compute_and_a_comm_row_per_stage() -> None:
    figure = training_timeline_figure(_result())
    rows = {row for trace in figure.data for row in trace.y}
    assert rows == {"stage 0 compute", "stage 0 comm", "stage 1 compute", "stage 1 comm"}
    names = {trace.name for trace in figure.data}
    assert names == {"forward", "backward", "send", "dp_allreduce", "optimizer"}
