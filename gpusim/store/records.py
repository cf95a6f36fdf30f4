"""What the results store keeps of one simulation: the record, its metrics, its hash.

A record is plain JSON-able data, so a run stored today reads back tomorrow without the
objects that produced it. Its ``scenario_hash`` identifies the simulation itself: the
resolved hardware spec, the workload and the mode, hashed in a canonical JSON form. Two
scenario files (or a sweep point and a plain run) that resolve to the same spec and workload
share a hash, which is what lets a re-run sweep skip points already done.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from gpusim.errors import ScenarioError
from gpusim.spec.gpu import GpuSpec

if TYPE_CHECKING:  # reading the store (``gpusim results``) loads no workload or result model
    from gpusim.collectives.result import CollectiveResult
    from gpusim.hw.sm.result import KernelResult, Mode
    from gpusim.roofline import Bound
    from gpusim.scenario import Scenario
    from gpusim.training.result import TrainingResult

RecordKind = Literal["run", "sweep-point"]
Status = Literal["ok", "error"]


def canonical_json(data: Any, *, allow_nan: bool = False) -> str:
    """JSON with sorted keys and no spaces: equal data, equal text, equal hash. Non-finite
    floats are refused unless ``allow_nan`` (then written as ``NaN``/``Infinity``)."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=allow_nan)


def digest(data: Any, *, allow_nan: bool = False) -> str:
    """SHA-256 (hex) of ``data``'s canonical JSON."""
    return hashlib.sha256(canonical_json(data, allow_nan=allow_nan).encode()).hexdigest()


def scenario_hash(scenario: Scenario, mode: Mode) -> str:
    """The hash of a resolved scenario's simulation: its hardware, workload and mode.

    A non-finite value (nan, inf) has no place in a simulation: ``ScenarioError`` naming it.
    """
    hardware = scenario.hardware.model_dump(mode="json")
    workload = scenario.workload.model_dump(mode="json")
    table = "gpu" if isinstance(scenario.hardware, GpuSpec) else "system"
    found = _first_non_finite({table: hardware, "workload": workload})
    if found is not None:
        path, value = found
        raise ScenarioError(f"{scenario.source}: {path}: must be a finite number, got {value}")
    return digest({"hardware": hardware, "workload": workload, "mode": mode})


def unresolved_hash(scenario: Scenario, point: Mapping[str, Any], mode: Mode) -> str:
    """The hash of a sweep point that did not resolve: the document, the point and the mode
    (whatever they hold: a point that did not resolve is recorded all the same)."""
    document = {key: value for key, value in scenario.document.items() if key != "sweep"}
    return digest({"document": document, "point": dict(point), "mode": mode}, allow_nan=True)


def _first_non_finite(data: Any, path: str = "") -> tuple[str, float] | None:
    """The dotted path and value of the first nan or inf in nested dicts and lists."""
    if isinstance(data, float) and not math.isfinite(data):
        return path, data
    if isinstance(data, list):
        data = dict(enumerate(data))
    for key, value in data.items() if isinstance(data, dict) else ():
        found = _first_non_finite(value, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def point_text(point: Mapping[str, Any]) -> str:
    """A sweep point for people: ``gpu.l2.size_bytes=52428800, workload.m=256``."""
    return ", ".join(f"{path}={value}" for path, value in point.items())


def result_metrics(
    result: KernelResult | CollectiveResult | TrainingResult, bound: Bound
) -> dict[str, Any]:
    """Everything a result says, as plain data (no timeline), with the roofline bound.

    Kernels keep every ``KernelResult`` field plus ``tflops`` and ``dram_bytes``; collectives
    keep their nccl-tests row, link usage and bound plus ``time_s`` and both bandwidths in
    bytes/s; training steps every ``TrainingResult`` field with tokens/s and MFU. All gain
    ``bound_time_s`` (seconds) and ``fraction_of_bound`` (bound / time).
    """
    from gpusim.collectives.result import CollectiveResult  # loaded already: result is one

    if isinstance(result, CollectiveResult):
        data = result.to_dict()
        data.pop("timeline", None)
        data |= {
            "time_s": result.time_s,
            "algbw_bytes_per_s": result.algbw_bytes_per_s,
            "busbw_bytes_per_s": result.busbw_bytes_per_s,
        }
    else:
        data = result.to_dict()
        data.pop("timeline")
    return data | {"bound_time_s": bound.time_s, "fraction_of_bound": bound.time_s / result.time_s}


@dataclass(frozen=True, kw_only=True)
class NewRecord:
    """A simulation to store: what ran, on what, and what came out (or why it failed)."""

    kind: RecordKind
    status: Status
    error: str | None
    """One line saying why the simulation failed (``None`` when it succeeded)."""
    scenario: str
    """The scenario's name."""
    source: str
    """The scenario file (or ``<scenario>`` for one built in a script)."""
    scenario_hash: str
    point: dict[str, Any]
    """A sweep point's axis values by dotted path (empty for a run)."""
    mode: Mode
    spec: dict[str, Any] | None
    """The resolved hardware spec (``None`` when the point did not resolve)."""
    workload: dict[str, Any] | None
    metrics: dict[str, Any] | None
    """``result_metrics`` of the result (``None`` on error)."""
    wall_s: float
    """Wall-clock seconds the simulation took."""

    @classmethod
    def of_scenario(
        cls,
        scenario: Scenario,
        *,
        kind: RecordKind,
        mode: Mode,
        wall_s: float,
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
        point: Mapping[str, Any] | None = None,
    ) -> NewRecord:
        """The record of a simulation of a resolved ``scenario``: its ``metrics``
        (``result_metrics``) when it succeeded, else its one-line ``error``."""
        return cls(
            kind=kind,
            status="ok" if error is None else "error",
            error=error,
            scenario=scenario.name,
            source=scenario.source,
            scenario_hash=scenario_hash(scenario, mode),
            point=dict(point or {}),
            mode=mode,
            spec=scenario.hardware.model_dump(mode="json"),
            workload=scenario.workload.model_dump(mode="json"),
            metrics=metrics,
            wall_s=wall_s,
        )

    @classmethod
    def of_unresolved(
        cls, scenario: Scenario, point: Mapping[str, Any], *, mode: Mode, error: str
    ) -> NewRecord:
        """The record of a sweep point of ``scenario`` whose values did not resolve."""
        return cls(
            kind="sweep-point",
            status="error",
            error=error,
            scenario=scenario.name,
            source=scenario.source,
            scenario_hash=unresolved_hash(scenario, point, mode),
            point=dict(point),
            mode=mode,
            spec=None,
            workload=None,
            metrics=None,
            wall_s=0.0,
        )


@dataclass(frozen=True, kw_only=True)
class StoredRecord(NewRecord):
    """A record as the store holds it: with its id, the gpusim version and the UTC date."""

    id: int
    gpusim_version: str
    created_utc: str
    """ISO 8601, seconds, UTC (``2026-01-31T12:00:00+00:00``)."""

    @property
    def hardware_name(self) -> str:
        """The spec's name (the GPU's, or the system's)."""
        return str((self.spec or {}).get("name", ""))

    def to_dict(self) -> dict[str, Any]:
        """Plain data, for JSON."""
        return asdict(self)
