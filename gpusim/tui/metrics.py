"""The figures a run is judged by, and how a figure changed against a baseline.

A change carries an arrow and a word besides its colour (``▼ -12.0% better``), so it reads
the same without colour (NO_COLOR, monochrome terminals, screen readers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from gpusim.hw.sm.result import KernelResult
from gpusim.training.result import TrainingResult
from gpusim.tui.jobs import RunResult
from gpusim.units import format_bytes, format_decimal, format_seconds

Better = Literal["lower", "higher"] | None
Verdict = Literal["better", "worse", "same", "changed"]

SAME_WITHIN = 5e-4
"""Relative changes smaller than this read as no change (0.05%)."""

WHOLE_PERCENT_FROM = 0.1
"""Changes of 10% or more are shown in whole percent (``+100%``), smaller ones to 0.1%."""


@dataclass(frozen=True)
class Metric:
    """One figure of a result: how to read it, show it, and which way is better."""

    label: str
    read: Callable[[Any], float]
    """Reads the figure from a result of the kind the metric is listed for."""
    show: Callable[[float], str]
    better: Better


@dataclass(frozen=True)
class Delta:
    """How a figure moved from its baseline value."""

    change: float | None
    """Relative change (0.12 is +12%); ``None`` when the baseline is 0 and this is not."""
    verdict: Verdict

    def text(self) -> str:
        """``▲ +12.0% better``, ``= same``, ``▼ -3.1%``."""
        if self.verdict == "same":
            return "= same"
        word = "" if self.verdict == "changed" else f" {self.verdict}"
        if self.change is None:
            return f"▲ from 0{word}"
        arrow = "▲" if self.change > 0 else "▼"
        digits = 0 if abs(self.change) >= WHOLE_PERCENT_FROM else 1
        return f"{arrow} {self.change:+.{digits}%}{word}"


def delta(metric: Metric, value: float, baseline: float) -> Delta:
    """The change of ``metric`` from ``baseline`` to ``value``."""
    if baseline == 0:
        if value == 0:
            return Delta(0.0, "same")
        return Delta(None, _verdict(metric.better, value))
    change = value / baseline - 1
    if abs(change) < SAME_WITHIN:
        return Delta(change, "same")
    return Delta(change, _verdict(metric.better, change))


def _verdict(better: Better, change: float) -> Verdict:
    if better is None:
        return "changed"
    return "better" if (change > 0) == (better == "higher") else "worse"


def _percent(value: float) -> str:
    return f"{value:.0%}"


KERNEL_METRICS: tuple[Metric, ...] = (
    Metric("time", lambda r: r.time_s, format_seconds, "lower"),
    Metric(
        "throughput",
        lambda r: r.flops_per_s,
        lambda v: format_decimal(v, "FLOP/s"),
        "higher",
    ),
    Metric(
        "DRAM bandwidth",
        lambda r: r.dram_bandwidth_bytes_per_s,
        lambda v: format_decimal(v, "B/s"),
        None,  # less DRAM traffic can be the win (a bigger L2), so no side is better
    ),
    Metric("occupancy", lambda r: r.achieved_occupancy, _percent, "higher"),
    Metric("IPC", lambda r: r.ipc, lambda v: f"{v:.2f}", "higher"),
    Metric("L1 hit rate", lambda r: r.l1_hit_rate, _percent, None),
    Metric("L2 hit rate", lambda r: r.l2_hit_rate, _percent, None),
)
"""A kernel run's figures, in the order the summary shows them."""

COLLECTIVE_METRICS: tuple[Metric, ...] = (
    Metric("time", lambda r: r.time_s, format_seconds, "lower"),
    Metric(
        "algbw",
        lambda r: r.algbw_bytes_per_s,
        lambda v: format_decimal(v, "B/s"),
        "higher",
    ),
    Metric(
        "busbw",
        lambda r: r.busbw_bytes_per_s,
        lambda v: format_decimal(v, "B/s"),
        "higher",
    ),
)
"""A collective run's figures, as nccl-tests reports them."""


TRAINING_METRICS: tuple[Metric, ...] = (
    Metric("step time", lambda r: r.step_s, format_seconds, "lower"),
    Metric(
        "throughput",
        lambda r: r.tokens_per_s,
        lambda v: format_decimal(v, "tokens/s"),
        "higher",
    ),
    Metric("MFU", lambda r: r.mfu, lambda v: f"{v:.1%}", "higher"),
    Metric("compute", lambda r: r.compute_s, format_seconds, "lower"),
    Metric("exposed comm", lambda r: r.exposed_comm_s, format_seconds, "lower"),
    Metric("bubble", lambda r: r.bubble_s, format_seconds, "lower"),
    Metric("memory per GPU", lambda r: r.memory.total_bytes, format_bytes, "lower"),
)
"""A training step's figures, as ``gpusim run`` prints them (the breakdown is the critical
stage's)."""


def metrics_of(result: RunResult) -> tuple[Metric, ...]:
    """The figures that apply to ``result``."""
    if isinstance(result, KernelResult):
        return KERNEL_METRICS
    if isinstance(result, TrainingResult):
        return TRAINING_METRICS
    return COLLECTIVE_METRICS
