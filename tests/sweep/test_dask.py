"""A real Dask cluster (scheduler and two worker processes on loopback) gives exactly the
process pool's records; a malformed or unreachable scheduler, or a server that is not one,
is a one-line error, at once."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def fake_server(greeting: bytes | None) -> Iterator[str]:
    """``tcp://`` address of a loopback server that accepts every connection, sends
    ``greeting`` and then holds it open without a word (``None``: closes it at once)."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:  # the listener closed: the test is over
                return
            if greeting is None:
                connection.close()
            else:
                connection.sendall(greeting)
                held.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for connection in held:
        connection.close()
    thread.join(timeout=5)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts and never answers (a port of something else, or a hung one)."""
    with fake_server(b"") as address:
        yield address


@pytest.mark.parametrize(
    ("greeting", "reason"),
    [
        (b"", "no answer within 0.5 s (is a Dask scheduler listening there?)"),
        (b"\x3a\x00\x00\x00\x00\x00\x00\x00{", "no answer within 0.5 s (is a Dask"
         " scheduler listening there?)"),
        (None, "cannot connect (the server closed the connection without answering)"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "the server there is not a Dask scheduler (its first"
         " message announces 3256153323631825747 bytes)"),
    ],
    ids=["silent", "half a handshake", "closes", "another protocol"],
)  # fmt: skip
def test_a_server_that_does_not_answer_as_a_scheduler_is_refused_in_time(
    greeting: bytes | None, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dask_runner, "CONNECT_TIMEOUT_S", 0.5)
    with fake_server(greeting) as address:
        started_s = time.monotonic()
        with pytest.raises(SchedulerError) as caught:
            sweep(small_sweep({"workload.m": [256]}), scheduler=address, store=tmp_path / "r")
        assert time.monotonic() - started_s < FAST_FAILURE_S
        assert str(caught.value) == f"scheduler {address}: {reason}"
        assert not (tmp_path / "r").exists()


def test_a_silent_scheduler_is_one_line_and_fast_on_the_command_line(
    silent_server: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SCENARIO + '"gpu.dram.latency_cycles" = [600]\n')
    started_s = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "gpusim", "sweep", str(scenario), "--scheduler", silent_server,
         "--store", str(tmp_path / "r.sqlite")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert time.monotonic() - started_s < FAST_FAILURE_S
    assert finished.returncode == 2
    assert finished.stderr == (
        f"error: scheduler {silent_server}: no answer within 5 s (is a Dask scheduler "
        "listening there?)\n"
    )
