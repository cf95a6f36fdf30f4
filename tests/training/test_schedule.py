"""The step's schedule on hand-computable pipelines: every bar's start and end exactly."""

from __future__ import annotations

from collections.abc import Sequence

from gpusim.training.comms import Path
from gpusim.training.schedule import (
    Bar,
    CommPlan,
    Segment,
    StagePlan,
    schedule_step,
    stage_order,
)

FORWARD = (Segment("compute", 1.0),)
BACKWARD = (Segment("compute", 2.0),)
OPTIMIZER_S = 0.25


def _no_dp(size_bytes: int) -> float:
    return 0.0


def _quarter_second_per_byte(size_bytes: int) -> float:
    return 0.25 * size_bytes


def _comm(
    stages: int, dp_allreduce_s: object = _no_dp, dp_path: Path = "network", bucket_bytes: int = 4
) -> CommPlan:
    assert callable(dp_allreduce_s)
    return CommPlan(
        send_s=[0.5] * (stages - 1),
        send_paths=["nvlink"] * (stages - 1),
        bucket_bytes=bucket_bytes,
        dp_allreduce_s=dp_allreduce_s,
        dp_path=dp_path,
    )


def _spans(bars: Sequence[Bar], stage: int) -> list[tuple[str, float, float]]:
    return [(bar.label, bar.start_s, bar.end_s) for bar in bars if bar.stage == stage]


def test_gpipe_on_two_stages_runs_every_forward_then_every_backward() -> None:
    plan = StagePlan(FORWARD, BACKWARD, OPTIMIZER_S)
    timeline = schedule_step([plan, plan], _comm(2), micro_batches=2, schedule="gpipe")
    assert _spans(timeline.bars, 0) == [
        ("F0", 0.0, 1.0),
        ("F1", 1.0, 2.0),
        ("F0 to stage 1", 1.0, 1.5),
        ("F1 to stage 1", 2.0, 2.5),
        ("B0", 6.0, 8.0),
        ("B1", 8.0, 10.0),
        ("optimizer", 10.0, 10.25),
    ]
    assert _spans(timeline.bars, 1) == [
        ("F0", 1.5, 2.5),
        ("F1", 2.5, 3.5),
        ("B0", 3.5, 5.5),
        ("B1", 5.5, 7.5),
        ("B0 to stage 0", 5.5, 6.0),
        ("optimizer", 7.5, 7.75),
        ("B1 to stage 0", 7.5, 8.0),
    ]
    assert timeline.step_s == 10.25
    first = timeline.stages[0]
    assert (first.compute_s, first.tp_allreduce_s, first.dp_exposed_s) == (6.25, 0.0, 0.0)
    # stage 0 waits for B0 from 2 to 6; stage 1 for F0 until 1.5
    assert [stage.bubble_s for stage in timeline.stages] == [4.0, 1.5]


def test_1f1b_stage_orders_warm_up_alternate_and_drain() -> None:
    assert stage_order("1f1b", 4, 0, 6) == [
        ("F", 0), ("F", 1), ("F", 2),
        ("F", 3), ("B", 0), ("F", 4), ("B", 1), ("F", 5), ("B", 2),
        ("B", 3), ("B", 4), ("B", 5),
    ]  # fmt: skip
    assert stage_order("1f1b", 4, 3, 2) == [("F", 0), ("B", 0), ("F", 1), ("B", 1)]
    assert stage_order("1f1b", 4, 0, 2) == [("F", 0), ("F", 1), ("B", 0), ("B", 1)]
    assert stage_order("gpipe", 4, 2, 2) == [("F", 0), ("F", 1), ("B", 0), ("B", 1)]


def test_1f1b_on_two_stages_starts_the_last_stages_backward_early() -> None:
    plan = StagePlan(FORWARD, BACKWARD, OPTIMIZER_S)
    timeline = schedule_step([plan, plan], _comm(2), micro_batches=2, schedule="1f1b")
    assert _spans(timeline.bars, 1) == [
        ("F0", 1.5, 2.5),
        ("B0", 2.5, 4.5),
        ("F1", 4.5, 5.5),
        ("B0 to stage 0", 4.5, 5.0),
        ("B1", 5.5, 7.5),
        ("optimizer", 7.5, 7.75),
        ("B1 to stage 0", 7.5, 8.0),
    ]
    assert _spans(timeline.bars, 0)[-3:] == [
        ("B0", 5.0, 7.0),
        ("B1", 8.0, 10.0),
        ("optimizer", 10.0, 10.25),
    ]


def test_gradient_buckets_overlap_the_backward_and_the_remainder_is_exposed() -> None:
    backward = (Segment("compute", 1.0, grad_bytes=5), Segment("compute", 1.0, grad_bytes=5))
    plan = StagePlan(FORWARD, backward, OPTIMIZER_S)
    comm = _comm(1, dp_allreduce_s=_quarter_second_per_byte)
    timeline = schedule_step([plan], comm, micro_batches=1, schedule="1f1b")
    assert _spans(timeline.bars, 0) == [
        ("F0", 0.0, 1.0),
        ("B0", 1.0, 3.0),
        ("bucket 0", 2.0, 3.0),  # 4 of the first 5 bytes, while the second segment runs
        ("bucket 1", 3.0, 4.0),  # the 1 left and 3 of the second 5: full at 3.0
        ("bucket 2", 4.0, 4.5),  # the 2 left, after the backward
        ("optimizer", 4.5, 4.75),
    ]
    assert timeline.stages[0].dp_exposed_s == 1.5


def test_only_the_last_micro_batch_releases_gradients() -> None:
    backward = (Segment("compute", 2.0, grad_bytes=4),)
    plan = StagePlan(FORWARD, backward, OPTIMIZER_S)
    comm = _comm(1, dp_allreduce_s=_quarter_second_per_byte)
    timeline = schedule_step([plan], comm, micro_batches=2, schedule="gpipe")
    buckets = [bar for bar in timeline.bars if bar.kind == "dp_allreduce"]
    assert [(bar.start_s, bar.end_s) for bar in buckets] == [(6.0, 7.0)]


def test_a_tensor_parallel_all_reduce_waits_for_a_bucket_on_the_same_port() -> None:
    backward = (
        Segment("compute", 1.0, grad_bytes=4),
        Segment("compute", 0.5),
        Segment("tp_allreduce", 0.5),
        Segment("compute", 1.0),
    )
    plan = StagePlan(FORWARD, backward, OPTIMIZER_S)
    shared = schedule_step([plan], _comm(1, _quarter_second_per_byte, "nvlink"), 1, "1f1b")
    assert _spans(shared.bars, 0)[1] == ("B0", 1.0, 4.5)  # the all-reduce ran 3.0-3.5
    assert shared.stages[0].tp_allreduce_s == 1.0  # asked at 2.5, the bucket held it to 3.0
    apart = schedule_step([plan], _comm(1, _quarter_second_per_byte, "network"), 1, "1f1b")
    assert _spans(apart.bars, 0)[1] == ("B0", 1.0, 4.0)
    assert apart.stages[0].tp_allreduce_s == 0.5
    assert apart.step_s == 4.25
