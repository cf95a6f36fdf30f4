"""A sweep's table: one record per point, in the sweep's deterministic point order.

Each record carries the point's axis values, its status, the one-line error of a failed
point, the key metrics of a successful one, and the id of its record in the results store
(where the full metrics, spec and workload are kept). ``reused`` says the point was found in
the store rather than simulated again; a reused record reads exactly as a fresh one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from gpusim.hw.sm.result import Mode
from gpusim.store.records import Status
from gpusim.sweeps.plan import SweepMode

Family = Literal["kernel", "collective", "training"]

KERNEL_METRICS: tuple[str, ...] = (
    "time_s",
    "execution_s",
    "tflops",
    "dram_bandwidth_bytes_per_s",
    "dram_bytes",
    "l1_hit_rate",
    "l2_hit_rate",
    "achieved_occupancy",
    "bottleneck",
    "bound_time_s",
    "fraction_of_bound",
)
"""A kernel point's key metrics: seconds, TFLOP/s, bytes/s, bytes, fractions, a reason."""

COLLECTIVE_METRICS: tuple[str, ...] = (
    "time_s",
    "size_bytes",
    "ranks",
    "protocol",
    "algbw_bytes_per_s",
    "busbw_bytes_per_s",
    "bound_time_s",
    "fraction_of_bound",
)
"""A collective point's key metrics (nccl-tests' algbw and busbw, in bytes/s)."""

TRAINING_METRICS: tuple[str, ...] = (
    "time_s",
    "tokens_per_s",
    "mfu",
    "compute_s",
    "exposed_comm_s",
    "bubble_s",
    "bound_time_s",
    "fraction_of_bound",
    "losses",
)
"""A training step's key metrics: step seconds, tokens/s, MFU, its breakdown, its losses."""

FAMILY_METRICS: dict[Family, tuple[str, ...]] = {
    "kernel": KERNEL_METRICS,
    "collective": COLLECTIVE_METRICS,
    "training": TRAINING_METRICS,
}


def key_metrics(family: Family, metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The key metrics of ``family`` picked from a stored record's full metrics."""
    return {name: metrics[name] for name in FAMILY_METRICS[family]}


@dataclass(frozen=True)
class SweepRecord:
    """One point of a sweep and what came of it."""

    index: int
    """Position in the sweep's point order (a grid varies its last axis fastest)."""
    point: dict[str, Any]
    """Axis values by dotted path."""
    status: Status
    error: str | None
    metrics: dict[str, Any]
    """Key metrics (``KERNEL_METRICS``, ``COLLECTIVE_METRICS`` or ``TRAINING_METRICS``);
    empty on error."""
    run_id: int
    """The record's id in the results store (``gpusim results show ID``)."""
    reused: bool
    """Found in the store (same hash, same gpusim version) instead of simulated."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: where it came from, its axes, and one record per point."""

    scenario: str
    source: str
    family: Family
    sweep_mode: SweepMode
    axes: dict[str, list[Any]]
    """Each axis's values in order, by dotted path."""
    mode: Mode
    store: str
    """The results store's file."""
    records: tuple[SweepRecord, ...]

    @property
    def failed(self) -> tuple[SweepRecord, ...]:
        """The points that failed."""
        return tuple(record for record in self.records if record.status == "error")

    @property
    def reused(self) -> int:
        """How many points came from the store."""
        return sum(record.reused for record in self.records)

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The key metrics every successful record holds."""
        return FAMILY_METRICS[self.family]

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per point: index, axis values, status, error, metrics, store id."""
        return [
            {
                "index": record.index,
                **record.point,
                "status": record.status,
                "error": record.error,
                **{name: record.metrics.get(name) for name in self.metric_names},
                "run_id": record.run_id,
                "reused": record.reused,
            }
            for record in self.records
        ]

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return {
            "scenario": self.scenario,
            "source": self.source,
            "family": self.family,
            "sweep_mode": self.sweep_mode,
            "axes": self.axes,
            "mode": self.mode,
            "store": self.store,
            "points": len(self.records),
            "failed": len(self.failed),
            "reused": self.reused,
            "records": [record.to_dict() for record in self.records],
        }
