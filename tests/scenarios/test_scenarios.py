"""Every scenario file: it loads, it says what question it answers, the README gives its one
command, and its first point runs (at a reduced size, so the check takes seconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gpusim.api import simulate_scenario
from gpusim.scenario import Scenario, load_scenario, scenario_from_dict
from gpusim.sweeps import sweep

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_FILES = sorted((ROOT / "scenarios").glob("*.toml"))
STUDIES = [path for path in SCENARIO_FILES if path.name != "quickstart.toml"]
REDUCED_WORKLOAD: dict[str, dict[str, Any]] = {
    "gemm": {"m": 256, "n": 256, "k": 256},
    "copy": {"size_bytes": 1 << 20},
}
REDUCED_COLLECTIVE: dict[str, Any] = {"size_bytes": 1 << 20}
"""Sizes the first point is checked at: 256^3 GEMMs, 1 MiB copies and collectives."""


def reduced(scenario: Scenario) -> Scenario:
    """``scenario`` with its workload shrunk to a check-sized one."""
    workload = dict(scenario.document["workload"])
    workload |= REDUCED_WORKLOAD.get(workload["kind"], REDUCED_COLLECTIVE)
    return scenario_from_dict({**scenario.document, "workload": workload}, source=scenario.source)


def test_there_are_at_least_ten_studies() -> None:
    assert len(STUDIES) >= 10


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda path: path.stem)
def test_a_scenario_loads_with_a_name_and_a_description(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name
    assert scenario.document.get("description")


@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.stem)
def test_a_study_asks_a_question_and_sweeps_to_answer_it(path: Path) -> None:
    scenario = load_scenario(path)
    assert str(scenario.document["description"]).lstrip().startswith("Question:")
    assert (
        "with --jobs 2" in scenario.document["description"]
        or "seconds" in (scenario.document["description"])
    ), "the description says how long the sweep takes"
    assert scenario.sweep_axes


def test_study_names_are_unique() -> None:
    names = [load_scenario(path).name for path in SCENARIO_FILES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.stem)
def test_the_readme_gives_a_studys_one_command(path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    assert f"gpusim sweep scenarios/{path.name}" in readme


@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.stem)
def test_every_point_resolves(path: Path) -> None:
    scenario = load_scenario(path)
    for point in scenario.sweep_points():
        scenario.at(point)


@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.stem)
def test_the_first_point_runs_at_a_reduced_size(path: Path) -> None:
    scenario = load_scenario(path)
    first = reduced(scenario.at(scenario.sweep_points()[0]))
    result = simulate_scenario(first)
    assert result.time_s >= first.bound().time_s > 0


@pytest.mark.slow
@pytest.mark.parametrize("path", STUDIES, ids=lambda path: path.stem)
def test_a_whole_study_runs_without_a_failed_point(path: Path, tmp_path: Path) -> None:
    result = sweep(path, jobs=2, store=tmp_path / "results.sqlite")
    assert [record.error for record in result.failed] == []
