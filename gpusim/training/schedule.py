"""The step's timeline: a discrete-event schedule (SimPy) of one pipeline's stages.

Every data-parallel replica and tensor-parallel rank of a stage runs the same operators at
the same times, so one GPU per stage stands for all of them. Each such GPU has a compute
stream, which runs its micro-batches' forward and backward segments in the pipeline
schedule's order, and two ports its collectives occupy: its NVLink (or PCIe) port and its
NIC, each a FIFO resource of capacity one.

* Tensor-parallel all-reduces block the compute stream (Megatron-LM issues them there) and
  hold the NVLink port while they run.
* A pipeline send starts when its micro-batch's segment ends and holds the sender's port of
  its path; the receiving stage may start that micro-batch when it arrives.
* Gradients are all-reduced across data-parallel replicas once, after the stage's last
  backward (gradient accumulation): each layer's gradients join the current bucket when the
  layer's backward ends, a full bucket is all-reduced on the data-parallel path at once
  (overlapping the rest of the backward), and the remainder after the stage's backward.
* The optimizer step runs on the compute stream when the stage's last bucket is reduced.

Concurrent collectives of one GPU that share a port take turns (the port is time-shared:
each runs at full rate in its turn, so the bytes over the port and their total time are
kept, but which collective finishes first is approximate).

Schedules: GPipe runs every micro-batch forward, then every one backward; 1F1B (PipeDream-
Flush, Narayanan et al. 2021) runs ``pp - stage - 1`` forwards, then alternates one forward
and one backward, then drains the remaining backwards.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import simpy

from gpusim.training.comms import Path
from gpusim.training.model import PipelineSchedule

SegmentKind = Literal["compute", "tp_allreduce"]
BarKind = Literal["forward", "backward", "send", "dp_allreduce", "optimizer"]
Stream = Literal["compute", "comm"]

COMM_KINDS: frozenset[BarKind] = frozenset({"send", "dp_allreduce"})
"""Bars on a GPU's communication stream; the others are on its compute stream (whose
forward and backward bars include the tensor-parallel all-reduces that block it)."""


@dataclass(frozen=True)
class Segment:
    """A stretch of one micro-batch's work on the compute stream; ``grad_bytes`` of
    gradients are complete when it ends (counted on the stage's last backward only)."""

    kind: SegmentKind
    seconds: float
    grad_bytes: int = 0


@dataclass(frozen=True)
class StagePlan:
    """What one GPU of a stage runs for each micro-batch, and its optimizer step."""

    forward: tuple[Segment, ...]
    backward: tuple[Segment, ...]
    optimizer_s: float


@dataclass(frozen=True)
class CommPlan:
    """How a stage's GPUs communicate with the next stage and with their replicas."""

    send_s: Sequence[float]
    """Seconds of a send across each stage boundary (``pp - 1`` of them)."""
    send_paths: Sequence[Path]
    bucket_bytes: int
    dp_allreduce_s: Callable[[int], float]
    dp_path: Path


@dataclass(frozen=True)
class Bar:
    """One interval of the timeline: on stage ``stage``'s GPU, ``kind`` from start to end."""

    stage: int
    kind: BarKind
    label: str
    start_s: float
    end_s: float

    @property
    def stream(self) -> Stream:
        """The stream of the stage's GPU the bar occupies."""
        return "comm" if self.kind in COMM_KINDS else "compute"


@dataclass
class StageTimes:
    """Where one stage's GPU spent the step."""

    compute_s: float = 0.0
    tp_allreduce_s: float = 0.0
    dp_exposed_s: float = 0.0
    bubble_s: float = 0.0
    """Waiting for another stage's micro-batch (summed as it happens, so a stage that never
    waits reads exactly 0, not the rounding left by subtracting the rest from the end)."""
    end_s: float = 0.0


@dataclass(frozen=True)
class Timeline:
    """The schedule's outcome: every bar, and each stage's accounting."""

    bars: tuple[Bar, ...]
    stages: tuple[StageTimes, ...]

    @property
    def step_s(self) -> float:
        """When the last stage's optimizer step ends."""
        return max(stage.end_s for stage in self.stages)


def stage_order(
    schedule: PipelineSchedule, stages: int, stage: int, micro_batches: int
) -> list[tuple[str, int]]:
    """The compute stream's order on ``stage``: ``("F", i)`` and ``("B", i)`` entries."""
    forwards = [("F", i) for i in range(micro_batches)]
    backwards = [("B", i) for i in range(micro_batches)]
    if schedule == "gpipe":
        return forwards + backwards
    warmup = min(stages - stage - 1, micro_batches)
    order = forwards[:warmup]
    for i in range(micro_batches - warmup):
        order += [forwards[warmup + i], backwards[i]]
    return order + backwards[micro_batches - warmup :]


@dataclass
class _Run:
    env: simpy.Environment
    plans: Sequence[StagePlan]
    comm: CommPlan
    micro_batches: int
    ports: list[dict[Path, simpy.Resource]]
    arrived: dict[tuple[str, int, int], simpy.Event]
    bars: list[Bar] = field(default_factory=list)


def schedule_step(
    plans: Sequence[StagePlan], comm: CommPlan, micro_batches: int, schedule: PipelineSchedule
) -> Timeline:
    """Run one step of ``plans`` (one per stage) and return its timeline."""
    env = simpy.Environment()
    stages = len(plans)
    run = _Run(
        env=env,
        plans=plans,
        comm=comm,
        micro_batches=micro_batches,
        ports=[
            {"nvlink": simpy.Resource(env), "network": simpy.Resource(env)} for _ in range(stages)
        ],
        arrived={
            (phase, stage, i): env.event()
            for phase in ("F", "B")
            for stage in range(stages)
            for i in range(micro_batches)
        },
    )
    times = [StageTimes() for _ in range(stages)]
    for stage in range(stages):
        order = stage_order(schedule, stages, stage, micro_batches)
        env.process(_stage(run, stage, order, times[stage]))
    env.run()
    bars = sorted(run.bars, key=lambda bar: (bar.stage, bar.start_s, bar.kind))
    return Timeline(tuple(bars), tuple(times))


def _stage(
    run: _Run, stage: int, order: list[tuple[str, int]], times: StageTimes
) -> Generator[simpy.Event, Any, None]:
    env, plan = run.env, run.plans[stage]
    last = len(run.plans) - 1
    buckets: list[simpy.Process] = []
    for index, (phase, i) in enumerate(order):
        waits_for_peer = (phase == "F" and stage > 0) or (phase == "B" and stage < last)
        if waits_for_peer:
            waiting_from_s = env.now
            yield run.arrived[(phase, stage, i)]
            times.bubble_s += env.now - waiting_from_s
        final = index == len(order) - 1
        start_s = env.now
        segments = plan.forward if phase == "F" else plan.backward
        pending_bytes = 0
        for segment in segments:
            yield from _segment(run, stage, segment, times)
            if final:
                pending_bytes += segment.grad_bytes
                while pending_bytes >= run.comm.bucket_bytes:
                    buckets.append(_bucket(run, stage, run.comm.bucket_bytes, len(buckets)))
                    pending_bytes -= run.comm.bucket_bytes
        if final and pending_bytes:
            buckets.append(_bucket(run, stage, pending_bytes, len(buckets)))
        kind: Literal["forward", "backward"] = "forward" if phase == "F" else "backward"
        run.bars.append(Bar(stage, kind, f"{phase}{i}", start_s, env.now))
        peer = stage + 1 if phase == "F" else stage - 1
        if 0 <= peer <= last:
            env.process(_send(run, stage, peer, phase, i))
    backward_end_s = env.now
    yield env.all_of(buckets)
    times.dp_exposed_s = env.now - backward_end_s
    start_s = env.now
    yield env.timeout(plan.optimizer_s)
    times.compute_s += plan.optimizer_s
    run.bars.append(Bar(stage, "optimizer", "optimizer", start_s, env.now))
    times.end_s = env.now


def _segment(
    run: _Run, stage: int, segment: Segment, times: StageTimes
) -> Generator[simpy.Event, Any, None]:
    if segment.kind == "compute":
        yield run.env.timeout(segment.seconds)
        times.compute_s += segment.seconds
        return
    start_s = run.env.now
    with run.ports[stage]["nvlink"].request() as turn:
        yield turn
        yield run.env.timeout(segment.seconds)
    times.tp_allreduce_s += run.env.now - start_s


def _send(
    run: _Run, stage: int, peer: int, phase: str, i: int
) -> Generator[simpy.Event, Any, None]:
    boundary = min(stage, peer)
    with run.ports[stage][run.comm.send_paths[boundary]].request() as turn:
        yield turn
        start_s = run.env.now
        yield run.env.timeout(run.comm.send_s[boundary])
    run.bars.append(Bar(stage, "send", f"{phase}{i} to stage {peer}", start_s, run.env.now))
    run.arrived[(phase, peer, i)].succeed()


def _bucket(run: _Run, stage: int, size_bytes: int, index: int) -> simpy.Process:
    def all_reduce() -> Generator[simpy.Event, Any, None]:
        with run.ports[stage][run.comm.dp_path].request() as turn:
            yield turn
            start_s = run.env.now
            yield run.env.timeout(run.comm.dp_allreduce_s(size_bytes))
        if run.env.now > start_s:  # one replica: nothing to reduce
            run.bars.append(Bar(stage, "dp_allreduce", f"bucket {index}", start_s, run.env.now))

    return run.env.process(all_reduce())
