"""Sweep tables: axes, ranges, point order, and applying a point."""

from __future__ import annotations

import tomllib

import pytest

from gpusim.errors import ScenarioError
from gpusim.scenario import Scenario, check_sweep_points, scenario_from_dict

BASE = """
schema_version = 1
[gpu]
preset = "H100-SXM5-80GB"
[workload]
kind = "gemm"
m = 512
n = 512
k = 512
"""


def scenario(sweep: str):  # type: ignore[no-untyped-def]
    return scenario_from_dict(tomllib.loads(BASE + sweep), source="sweep.toml")


def test_a_grid_crosses_its_axes_in_order() -> None:
    swept = scenario(
        '[sweep.axes]\n"workload.m" = [256, 512]\n"gpu.preset" = ["A100-SXM4-80GB", "H100-SXM5-80GB"]\n'
    )
    assert swept.sweep_points() == [
        {"workload.m": 256, "gpu.preset": "A100-SXM4-80GB"},
        {"workload.m": 256, "gpu.preset": "H100-SXM5-80GB"},
        {"workload.m": 512, "gpu.preset": "A100-SXM4-80GB"},
        {"workload.m": 512, "gpu.preset": "H100-SXM5-80GB"},
    ]


def test_zip_walks_axes_together() -> None:
    swept = scenario(
        '[sweep]\nmode = "zip"\n[sweep.axes]\n"workload.m" = [256, 1024]\n"workload.n" = [128, 64]\n'
    )
    assert swept.sweep_points() == [
        {"workload.m": 256, "workload.n": 128},
        {"workload.m": 1024, "workload.n": 64},
    ]


def test_ranges_are_inclusive_arithmetic_or_geometric() -> None:
    swept = scenario(
        '[sweep.axes]\n"workload.k" = { start = 256, stop = 2048, factor = 2 }\n'
        '"gpu.dram.bandwidth_bytes_per_s" = { start = 2e12, stop = 3e12, step = 0.5e12 }\n'
    )
    assert swept.sweep_axes == {
        "workload.k": [256, 512, 1024, 2048],
        "gpu.dram.bandwidth_bytes_per_s": [2e12, 2.5e12, 3e12],
    }


def test_a_point_applies_to_the_hardware_and_the_workload() -> None:
    swept = scenario(
        '[sweep.axes]\n"gpu.l2.size_bytes" = [26214400, 104857600]\n"workload.kernel" = ["gemm_naive"]\n'
    )
    last = swept.at(swept.sweep_points()[-1])
    assert last.gpu.l2.size_bytes == 104857600
    assert last.workload.kernel == "gemm_naive"
    assert last.sweep_axes == {}
    assert swept.gpu.l2.size_bytes == 52428800


def test_a_point_can_switch_presets() -> None:
    swept = scenario('[sweep.axes]\n"gpu.preset" = ["V100-SXM2-32GB"]\n')
    assert swept.at(swept.sweep_points()[0]).gpu.name == "V100-SXM2-32GB"


def checked(sweep: str) -> Scenario:
    """The scenario with every sweep point held to the rules, as ``scenario check`` does."""
    loaded = scenario(sweep)
    check_sweep_points(loaded)
    return loaded


def test_a_bad_point_loads_for_the_sweep_to_record_but_check_refuses_it() -> None:
    loaded = scenario('[sweep.axes]\n"gpu.sm.count" = [66, 0]\n')
    assert loaded.sweep_points() == [{"gpu.sm.count": 66}, {"gpu.sm.count": 0}]
    with pytest.raises(
        ScenarioError,
        match=r"^sweep\.toml: sweep\.axes\.gpu\.sm\.count = 0: "
        r"gpu\.overrides\.sm\.count: must be > 0, got 0$",
    ):
        check_sweep_points(loaded)


def test_a_preset_the_kernel_cannot_run_on_is_refused_by_check() -> None:
    with pytest.raises(ScenarioError) as caught:
        checked(
            'kernel = "gemm_tensor_core"\n'  # into [workload], the last table of BASE
            '[sweep.axes]\n"gpu.preset" = ["H100-SXM5-80GB", "V100-SXM2-32GB"]\n'
        )
    assert str(caught.value) == (
        "sweep.toml: sweep.axes.gpu.preset = 'V100-SXM2-32GB': workload.kernel: "
        "gemm_tensor_core needs compute capability 8.0 or newer, V100-SXM2-32GB has 7.0"
    )


def test_values_fine_alone_but_not_together_name_the_point() -> None:
    sweep = '[sweep.axes]\n"gpu.sm.shared_bytes" = [100000, 200000]\n'
    sweep += '"gpu.sm.shared_bytes_per_cta" = [100000, 150000]\n'
    with pytest.raises(ScenarioError) as caught:
        checked(sweep)
    assert str(caught.value).startswith(
        "sweep.toml: sweep.axes.gpu.sm.shared_bytes = 100000, "
        "sweep.axes.gpu.sm.shared_bytes_per_cta = 150000: gpu.overrides.sm.shared_bytes_per_cta:"
    )


def test_a_zip_of_values_that_fit_together_is_accepted() -> None:
    sweep = '[sweep]\nmode = "zip"\n[sweep.axes]\n"gpu.sm.shared_bytes" = [100000, 200000]\n'
    sweep += '"gpu.sm.shared_bytes_per_cta" = [100000, 150000]\n'
    assert len(checked(sweep).sweep_points()) == 2


@pytest.mark.parametrize(
    ("sweep", "message"),
    [
        (
            '[sweep.axes]\n"gpu.l2.size" = [1]\n',
            "sweep.axes.gpu.l2.size: unknown field (known: associativity,",
        ),
        (
            '[sweep.axes]\n"workload.batch" = [1]\n',
            "sweep.axes.workload.batch: unknown field (known: dtype, k, kernel, kind, m, n)",
        ),
        (
            '[sweep.axes]\n"workload.kind" = ["copy"]\n',
            "sweep.axes.workload.kind: the workload kind cannot be swept",
        ),
        (
            '[sweep.axes]\n"workload.m" = []\n',
            "sweep.axes.workload.m: must list at least one value",
        ),
        ('[sweep.axes]\n"m" = [1]\n', "sweep.axes.m: must start with gpu., system. or workload."),
        (
            '[sweep.axes]\n"system.nodes" = [1]\n',
            "sweep.axes.system.nodes: the scenario has no [system] table",
        ),
        (
            '[sweep.axes]\n"workload.m" = 5\n',
            "sweep.axes.workload.m: must be a list or a table {start, stop, step|factor}",
        ),
        (
            '[sweep.axes]\n"workload.m" = { start = 1, stop = 4 }\n',
            "sweep.axes.workload.m: give exactly one of step",
        ),
        (
            '[sweep.axes]\n"workload.m" = { start = 4, stop = 1, step = 1 }\n',
            "sweep.axes.workload.m.stop: must be >= start (4), got 1",
        ),
        (
            '[sweep.axes]\n"workload.m" = { start = 1, stop = 4, factor = 1 }\n',
            "sweep.axes.workload.m.factor: must be > 1 with start > 0, got 1",
        ),
        (
            '[sweep.axes]\n"workload.m" = { start = nan, stop = 4, step = 1 }\n',
            "sweep.axes.workload.m.start: must be a finite number, got nan",
        ),
        (
            '[sweep.axes]\n"workload.m" = { start = 1, stop = 1e9, step = 1 }\n',
            "sweep.axes.workload.m: gives more than 100000 values",
        ),
        (
            '[sweep]\nmode = "zip"\n[sweep.axes]\n"workload.m" = [1, 2]\n"workload.n" = [1]\n',
            "sweep.mode: zip needs axes of equal length, got workload.m: 2, workload.n: 1",
        ),
        (
            '[sweep]\nmode = "spiral"\n[sweep.axes]\n"workload.m" = [1]\n',
            "sweep.mode: must be one of 'grid' or 'zip', got 'spiral'",
        ),
        ("[sweep]\n", "sweep.axes: missing (required)"),
    ],
)
def test_bad_axes_are_clear_errors(sweep: str, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario(sweep)
    assert str(caught.value).startswith(f"sweep.toml: {message}")
