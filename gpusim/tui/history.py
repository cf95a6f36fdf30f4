"""The runs of this session: what ran, on what, and what came out; and which run is the
baseline of another.

A run's default baseline is the same workload on the unmodified preset (its document with
the overrides taken out), so a changed knob is always read against the hardware as shipped.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gpusim.errors import GpusimError
from gpusim.hw.sm.result import Mode
from gpusim.roofline import Bound
from gpusim.scenario import Scenario, scenario_from_dict
from gpusim.tui import values
from gpusim.tui.fields import hardware_table, parameters, value_of
from gpusim.tui.jobs import Outcome, RunResult


@dataclass(frozen=True)
class RunRecord:
    """One finished run."""

    number: int
    scenario: Scenario
    mode: Mode
    outcome: Outcome

    @property
    def result(self) -> RunResult:
        """The simulated result."""
        return self.outcome.result

    @property
    def bound(self) -> Bound:
        """The roofline (or alpha-beta) bound of the run's workload on its hardware."""
        return self.scenario.bound()

    @property
    def preset(self) -> str:
        """The preset the hardware starts from."""
        return str(self.scenario.document[hardware_table(self.scenario)]["preset"])

    @property
    def overrides(self) -> Mapping[str, Any]:
        """The hardware fields changed from the preset, by path inside the spec."""
        return dict(self.scenario.document[hardware_table(self.scenario)].get("overrides", {}))

    @property
    def title(self) -> str:
        """``#3 quickstart``."""
        return f"#{self.number} {self.scenario.name}"

    def describe(self) -> str:
        """One line: the workload, the hardware and what was changed in it."""
        changed = ", ".join(
            f"{path}={values.display(value, values.unit_of(path))}"
            for path, value in self.overrides.items()
        )
        hardware = f"{self.preset} ({changed})" if changed else f"{self.preset} as preset"
        return f"{self.scenario.workload.describe()} on {hardware}, {self.mode} mode"

    def settings(self) -> dict[str, str]:
        """Every parameter's path and shown value (what the compare screen diffs)."""
        return {
            parameter.path: parameter.display(value_of(self.scenario, parameter))
            for parameter in parameters(self.scenario)
        }


def unmodified(document: Mapping[str, Any]) -> dict[str, Any]:
    """The default baseline of a scenario: its workload on its preset, overrides removed."""
    baseline = copy.deepcopy(dict(document))
    baseline.pop("sweep", None)
    for table in ("gpu", "system"):
        if table in baseline:
            baseline[table] = {"preset": baseline[table]["preset"], "overrides": {}}
            baseline["name"] = f"{baseline[table]['preset']} preset"
    baseline.pop("description", None)
    return baseline


def unmodified_scenario(scenario: Scenario) -> Scenario | None:
    """The scenario's workload on its unmodified preset (``None`` if that cannot run)."""
    try:
        return scenario_from_dict(unmodified(scenario.document), source=scenario.source)
    except GpusimError:
        return None


class History:
    """This session's runs, numbered from 1 in the order they finished."""

    def __init__(self) -> None:
        self._records: list[RunRecord] = []

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def add(self, scenario: Scenario, mode: Mode, outcome: Outcome) -> RunRecord:
        """Record a finished run."""
        record = RunRecord(len(self._records) + 1, scenario, mode, outcome)
        self._records.append(record)
        return record

    def get(self, number: int) -> RunRecord:
        """The run numbered ``number``."""
        return self._records[number - 1]

    def find(self, scenario: Scenario, mode: Mode) -> RunRecord | None:
        """The latest run of the same hardware and workload in ``mode``, if any."""
        for record in reversed(self._records):
            same = (record.scenario.hardware, record.scenario.workload) == (
                scenario.hardware,
                scenario.workload,
            )
            if same and record.mode == mode:
                return record
        return None

    def baseline_of(self, record: RunRecord, chosen: RunRecord | None) -> RunRecord | None:
        """The run ``record`` is compared with: the ``chosen`` baseline, else its preset's
        run in the same mode (``None`` while that has not run)."""
        if chosen is not None:
            return chosen
        preset = unmodified_scenario(record.scenario)
        return None if preset is None else self.find(preset, record.mode)

    def missing_baseline(
        self, scenario: Scenario, mode: Mode, chosen: RunRecord | None
    ) -> Scenario | None:
        """The default baseline ``scenario`` still needs run in ``mode``: none when a
        baseline is ``chosen``, the preset already ran, or the scenario is its own preset."""
        if chosen is not None:
            return None
        preset = unmodified_scenario(scenario)
        if preset is None or self.find(preset, mode) is not None:
            return None
        same = (preset.hardware, preset.workload) == (scenario.hardware, scenario.workload)
        return None if same else preset
