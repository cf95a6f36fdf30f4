"""Bad axes are one-line errors, found before anything runs or is stored."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest

from gpusim.errors import ScenarioError
from gpusim.scenario import scenario_from_dict
from gpusim.sweeps import SweepError, sweep
from tests.sweep.conftest import SMALL_GEMM, small_sweep

NO_SWEEP = scenario_from_dict(SMALL_GEMM, source="small.toml")


def failure(axes: dict[str, object], store: Path, **options: object) -> str:
    with pytest.raises((ScenarioError, SweepError)) as caught:
        sweep(NO_SWEEP, axes, store=store, jobs=1, **options)  # type: ignore[arg-type]
    assert not store.exists(), "nothing may be stored for a sweep that cannot start"
    return str(caught.value)


def test_an_unknown_path_names_the_axis_and_the_known_fields(tmp_path: Path) -> None:
    message = failure({"gpu.l2.sise_bytes": [1]}, tmp_path / "r.sqlite")
    assert message.startswith("small.toml: sweep.axes.gpu.l2.sise_bytes: unknown field (known: ")
    assert "size_bytes" in message


def test_a_path_outside_the_scenario_is_refused(tmp_path: Path) -> None:
    assert failure({"system.nodes": [1, 2]}, tmp_path / "r.sqlite") == (
        "small.toml: sweep.axes.system.nodes: the scenario has no [system] table"
    )


def test_an_empty_list_is_refused(tmp_path: Path) -> None:
    assert failure({"gpu.l2.size_bytes": []}, tmp_path / "r.sqlite") == (
        "small.toml: sweep.axes.gpu.l2.size_bytes: must list at least one value"
    )


def test_a_bad_range_is_refused(tmp_path: Path) -> None:
    message = failure({"workload.m": {"start": 256, "stop": 128, "step": 64}}, tmp_path / "r")
    assert message == "small.toml: sweep.axes.workload.m.stop: must be >= start (256), got 128"


def test_zipped_axes_must_be_equally_long(tmp_path: Path) -> None:
    message = failure(
        {"workload.m": [256, 512], "workload.n": [256]}, tmp_path / "r.sqlite", sweep_mode="zip"
    )
    assert message == (
        "small.toml: sweep.mode: zip needs axes of equal length, got workload.m: 2, workload.n: 1"
    )


def test_a_scenario_without_axes_has_nothing_to_sweep(tmp_path: Path) -> None:
    assert failure(None, tmp_path / "r.sqlite") == (  # type: ignore[arg-type]
        "small.toml: sweep: the scenario has no [sweep] table (add one, or give axes)"
    )


def test_fewer_than_one_job_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match=r"^jobs: must be >= 1, got 0$"):
        sweep(small_sweep({"workload.m": [256]}), jobs=0, store=tmp_path / "r.sqlite")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(math.inf, "inf"), (math.nan, "nan"), (datetime.date(1979, 5, 27), "datetime.date(1979")],
)
def test_a_value_that_is_no_finite_number_or_text_is_refused_at_load(
    value: object, shown: str, tmp_path: Path
) -> None:
    message = failure({"gpu.dram.bandwidth_bytes_per_s": [1e12, value]}, tmp_path / "r.sqlite")
    assert message.startswith(
        "small.toml: sweep.axes.gpu.dram.bandwidth_bytes_per_s: values must be finite numbers "
        f"or text, got {shown}"
    )
