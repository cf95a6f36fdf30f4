"""A real Dask cluster (scheduler and two worker processes on loopback) gives exactly the
process pool's records; a malformed or unreachable scheduler is a one-line error, at once."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

from gpusim.sweeps import SchedulerError, dask_runner, sweep
from tests.sweep.conftest import small_sweep
from tests.sweep.test_cli_sweep import SCENARIO
from tests.sweep.test_sweep import comparable

FAST_FAILURE_S = 15.0
"""Start-up and a one-line error (seconds on a loaded machine; 25 s before the check)."""
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
    assert result.records[0].error == (
        "small.toml: workload.m: must be a multiple of 128 (gemm_register_blocked_128), got 100"
    )


def test_an_unreachable_scheduler_is_a_user_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT_S", 0.5)
    with pytest.raises(SchedulerError, match=r"^scheduler tcp://127\.0\.0\.1:9: cannot connect \("):
        sweep(
            small_sweep({"workload.m": [256]}), scheduler="tcp://127.0.0.1:9", store=tmp_path / "r"
        )


@pytest.mark.parametrize("address", ["notaurl", "tcp://127.0.0.1", "tcp://h:99999", "http://h:1"])
def test_a_malformed_address_is_refused_before_anything_runs(address: str, tmp_path: Path) -> None:
    with pytest.raises(SchedulerError) as caught:
        sweep(small_sweep({"workload.m": [256]}), scheduler=address, store=tmp_path / "r")
    assert str(caught.value) == (
        f"scheduler {address}: not a scheduler address (give tcp://HOST:PORT, as "
        "'dask scheduler' prints it)"
    )
    assert not (tmp_path / "r").exists()


def test_a_bad_scheduler_is_one_line_and_fast_on_the_command_line(tmp_path: Path) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SCENARIO + '"gpu.dram.latency_cycles" = [600]\n')
    started_s = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "gpusim", "sweep", str(scenario), "--scheduler", "notaurl",
         "--store", str(tmp_path / "r.sqlite")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert time.monotonic() - started_s < FAST_FAILURE_S
    assert finished.returncode == 2
    assert finished.stderr == (
        "error: scheduler notaurl: not a scheduler address (give tcp://HOST:PORT, as "
        "'dask scheduler' prints it)\n"
    )
