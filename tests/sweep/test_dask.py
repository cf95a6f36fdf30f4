"""A real Dask cluster (scheduler and two worker processes on loopback) gives exactly the
process pool's records; an unreachable scheduler is a one-line error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

from gpusim.sweeps import SchedulerError, dask_runner, sweep
from tests.sweep.conftest import small_sweep
from tests.sweep.test_sweep import comparable

GRID = small_sweep(
    {
        "gpu.dram.latency_cycles": [600, 1000],
        "workload.kernel": ["gemm_smem_tiled_16", "gemm_naive"],
    }
)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """The address of a two-worker LocalCluster (one thread each, no dashboard)."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


def test_a_local_cluster_gives_exactly_the_pools_records(scheduler: str, tmp_path: Path) -> None:
    pooled = sweep(GRID, jobs=2, store=tmp_path / "pool.sqlite")
    clustered = sweep(GRID, scheduler=scheduler, store=tmp_path / "dask.sqlite")
    assert [record.status for record in clustered.records] == ["ok"] * 4
    assert comparable(clustered) == comparable(pooled)


def test_a_failing_point_on_the_cluster_fails_alone(scheduler: str, tmp_path: Path) -> None:
    scenario = small_sweep(
        {
            "workload.kernel": ["gemm_register_blocked_128", "gemm_smem_tiled_16"],
            "workload.m": [100, 256],
        },
        mode="zip",
    )
    result = sweep(scenario, scheduler=scheduler, store=tmp_path / "dask.sqlite")
    assert [record.status for record in result.records] == ["error", "ok"]
    assert (result.records[0].error or "").startswith("gemm_register_blocked_128: m")


def test_an_unreachable_scheduler_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT_S", 0.5)
    with pytest.raises(SchedulerError, match=r"^scheduler tcp://127\.0\.0\.1:9: cannot connect \("):
        sweep(
            small_sweep({"workload.m": [256]}), scheduler="tcp://127.0.0.1:9", store=tmp_path / "r"
        )
