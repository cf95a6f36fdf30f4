"""From a scenario and its axes to the sweep's points, each resolved (or its error).

Axes given in a script are checked exactly as a scenario file's ``[sweep]`` table is (the
scenario is rebuilt with them through ``scenario_from_dict``), so an unknown path or an empty
list is the same one-line error either way. Each point is resolved here, in the parent
process: its hash decides whether the store already holds it, and a point whose values do
not resolve (or resolve to a value with no hash, such as inf) fails alone, before anything
is sent to a worker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gpusim.errors import ScenarioError
from gpusim.hw.sm.result import Mode
from gpusim.scenario import Scenario, scenario_from_dict
from gpusim.store.records import scenario_hash, unresolved_hash

SweepMode = Literal["grid", "zip"]
AxisValues = Sequence[Any] | Mapping[str, int | float]
"""A list of values, or a range ``{"start", "stop", "step"}`` / ``{"start", "stop", "factor"}``."""


def with_axes(
    scenario: Scenario, axes: Mapping[str, AxisValues], sweep_mode: SweepMode = "grid"
) -> Scenario:
    """``scenario`` with its ``[sweep]`` table replaced by ``axes`` (checked on the way)."""
    table = {
        path: dict(values) if isinstance(values, Mapping) else list(values)
        for path, values in axes.items()
    }
    document = {**scenario.document, "sweep": {"mode": sweep_mode, "axes": table}}
    return scenario_from_dict(document, source=scenario.source)


@dataclass(frozen=True)
class PlannedPoint:
    """One point of a sweep: its axis values, and the scenario there or why there is none."""

    index: int
    point: dict[str, Any]
    scenario: Scenario | None
    error: str | None
    scenario_hash: str


def plan_points(scenario: Scenario, mode: Mode) -> list[PlannedPoint]:
    """Every point of ``scenario``'s sweep, in its deterministic order, resolved."""
    if not scenario.sweep_axes:
        raise ScenarioError(
            f"{scenario.source}: sweep: the scenario has no [sweep] table (add one, or give axes)"
        )
    planned = []
    for index, point in enumerate(scenario.sweep_points()):
        try:
            at_point = scenario.at(point)
            resolved_hash = scenario_hash(at_point, mode)
        except ScenarioError as err:
            unresolved = unresolved_hash(scenario, point, mode)
            planned.append(PlannedPoint(index, point, None, str(err), unresolved))
            continue
        planned.append(PlannedPoint(index, point, at_point, None, resolved_hash))
    return planned
