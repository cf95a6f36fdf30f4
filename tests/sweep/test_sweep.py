"""``sweep``: records in point order, failures kept to their point, results kept as they
arrive, resumed without recomputing, the same on a process pool as in one process."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import gpusim
from gpusim.scenario import Scenario
from gpusim.store import ResultStore
from gpusim.sweeps import KERNEL_METRICS, SweepResult, sweep
from tests.sweep.conftest import LATENCIES, interrupt_after, small_sweep

LATENCY_SWEEP = small_sweep({"gpu.dram.latency_cycles": LATENCIES})


def comparable(result: SweepResult) -> list[dict[str, Any]]:
    """The rows without what differs between stores (record ids, reuse)."""
    return [
        {key: value for key, value in row.items() if key not in ("run_id", "reused")}
        for row in result.rows()
    ]


def test_records_come_in_point_order_with_key_metrics(
    store_path: Path, simulations: list[Scenario]
) -> None:
    result = sweep(LATENCY_SWEEP, jobs=1, store=store_path)
    assert [record.point for record in result.records] == [
        {"gpu.dram.latency_cycles": latency} for latency in LATENCIES
    ]
    assert [record.status for record in result.records] == ["ok"] * 3
    assert all(tuple(record.metrics) == KERNEL_METRICS for record in result.records)
    assert [record.run_id for record in result.records] == [1, 2, 3]
    assert [scenario.gpu.dram.latency_cycles for scenario in simulations] == LATENCIES
    assert result.axes == {"gpu.dram.latency_cycles": LATENCIES}
    assert (result.family, result.sweep_mode, result.store) == ("kernel", "grid", str(store_path))


def test_the_api_is_reexported_from_gpusim() -> None:
    assert gpusim.sweep is sweep


def test_a_failing_point_is_recorded_and_the_others_complete(store_path: Path) -> None:
    scenario = small_sweep(
        {
            "workload.kernel": ["gemm_smem_tiled_16", "gemm_register_blocked_128", "gemm_naive"],
            "workload.m": [256, 100, 256],
        },
        mode="zip",
    )
    result = sweep(scenario, jobs=1, store=store_path)
    assert [record.status for record in result.records] == ["ok", "error", "ok"]
    failed = result.records[1]
    assert failed.error == (
        "small.toml: workload.m: must be a multiple of 128 (gemm_register_blocked_128), got 100"
    )
    assert failed.metrics == {}
    with ResultStore(store_path) as store:
        stored = store.get(failed.run_id)
    assert (stored.status, stored.error, stored.metrics) == ("error", failed.error, None)


def test_a_value_that_does_not_resolve_fails_alone(store_path: Path) -> None:
    result = sweep(small_sweep({"gpu.l2.size_bytes": [52428800, 1000]}), jobs=1, store=store_path)
    assert [record.status for record in result.records] == ["ok", "error"]
    assert result.records[1].error == (
        "small.toml: gpu.overrides.l2.size_bytes: must be a whole number of sets "
        "(slices x associativity x line_bytes = 163840 bytes), got 1000"
    )
    assert len(result.failed) == 1


def test_a_rerun_reuses_every_stored_point(store_path: Path, simulations: list[Scenario]) -> None:
    first = sweep(LATENCY_SWEEP, jobs=1, store=store_path)
    again = sweep(LATENCY_SWEEP, jobs=1, store=store_path)
    assert len(simulations) == 3
    assert [record.reused for record in again.records] == [True] * 3
    assert again.reused == 3
    assert [r.run_id for r in again.records] == [r.run_id for r in first.records]
    assert comparable(again) == comparable(first)


def test_a_grown_sweep_runs_only_its_new_points(
    store_path: Path, simulations: list[Scenario]
) -> None:
    sweep(LATENCY_SWEEP, jobs=1, store=store_path)
    grown = sweep(LATENCY_SWEEP, {"gpu.dram.latency_cycles": [*LATENCIES, 1200]}, jobs=1,
                  store=store_path)  # fmt: skip
    assert [record.reused for record in grown.records] == [True, True, True, False]
    assert len(simulations) == 4


def test_an_interrupted_sweep_resumes_without_recomputing(
    store_path: Path, simulations: list[Scenario]
) -> None:
    with pytest.raises(KeyboardInterrupt):
        sweep(LATENCY_SWEEP, jobs=1, store=store_path, on_record=interrupt_after(1))
    with ResultStore(store_path) as store:
        assert [record.point for record in store.all()] == [{"gpu.dram.latency_cycles": 600}]
    assert len(simulations) == 1
    resumed = sweep(LATENCY_SWEEP, jobs=1, store=store_path)
    assert len(simulations) == 3, "only the two unfinished points run again"
    assert [record.reused for record in resumed.records] == [True, False, False]
    assert [record.status for record in resumed.records] == ["ok"] * 3


def test_a_process_pool_gives_exactly_the_serial_records(tmp_path: Path) -> None:
    serial = sweep(LATENCY_SWEEP, jobs=1, store=tmp_path / "serial.sqlite")
    pooled = sweep(LATENCY_SWEEP, jobs=2, store=tmp_path / "pool.sqlite")
    assert comparable(pooled) == comparable(serial)
    assert [record.reused for record in pooled.records] == [False] * 3


def test_an_interrupted_pool_keeps_what_finished(store_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        sweep(LATENCY_SWEEP, jobs=2, store=store_path, on_record=interrupt_after(1))
    with ResultStore(store_path) as store:
        finished = len(store.all())
    assert finished >= 1
    resumed = sweep(LATENCY_SWEEP, jobs=2, store=store_path)
    assert resumed.reused == finished
    assert [record.status for record in resumed.records] == ["ok"] * 3


def with_base_override(scenario: Scenario, path: str, value: float) -> Scenario:
    """``scenario`` whose document holds an override its loader may refuse (as a scenario
    built before that check would): how a non-finite value reaches a point."""
    gpu = {**scenario.document["gpu"], "overrides": {path: value}}
    return replace(scenario, document={**scenario.document, "gpu": gpu})


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_value_fails_its_point_and_the_sweep_goes_on(
    value: float, store_path: Path
) -> None:
    scenario = small_sweep({"gpu.l2.size_bytes": [52428800, 1000]})
    result = sweep(
        with_base_override(scenario, "dram.bandwidth_bytes_per_s", value), jobs=1, store=store_path
    )
    assert [record.status for record in result.records] == ["error", "error"]
    assert "dram.bandwidth_bytes_per_s" in (result.records[0].error or "")
    with ResultStore(store_path) as store:
        assert [record.status for record in store.all()] == ["error", "error"]
