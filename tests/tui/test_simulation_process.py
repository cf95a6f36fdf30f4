"""The simulation process: what it reports while it works, and how a run is stopped."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from gpusim.collectives.result import CollectiveResult
from gpusim.hw.sm.result import KernelResult
from gpusim.scenario import load_scenario
from gpusim.tui.catalog import Entry
from gpusim.tui.jobs import Event, Failed, Finished, Job, Phase, Progress
from gpusim.tui.runner import execute
from gpusim.tui.service import SimulationService
from tests.tui.conftest import RUN_TIMEOUT_S, SMALL_GEMM


def small_gemm() -> dict[str, Any]:
    return dict(load_scenario(SMALL_GEMM).document)


def run_here(document: dict[str, Any]) -> tuple[list[Event], Finished | Failed]:
    events: list[Event] = []
    final = execute(Job(1, document, "small.toml", "fast"), events.append, warm=False)
    return events, final


def test_a_kernel_run_reports_its_stages_then_its_result() -> None:
    events, final = run_here(small_gemm())
    phases = [event.text for event in events if isinstance(event, Phase)]
    assert phases[-1] == "simulating (fast mode)"
    assert phases[-2] in (
        "loading the engine",
        "compiling the engine: first run of this gpusim version, about a minute",
    )
    fractions = [event.fraction for event in events if isinstance(event, Progress)]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert isinstance(final, Finished)
    result = final.outcome.result
    assert isinstance(result, KernelResult) and result.time_s > 0 and result.timeline


def test_a_user_error_comes_back_as_its_one_line() -> None:
    document = small_gemm()
    document["workload"] = {**document["workload"], "m": -1}
    _, final = run_here(document)
    assert final == Failed(1, "small.toml: workload.m: must be > 0, got -1")


def test_a_collective_brings_its_busbw_sweep() -> None:
    document = dict(Entry("system", "8xH100-NVSwitch").load().document)
    events, final = run_here(document)
    assert isinstance(final, Finished)
    assert isinstance(final.outcome.result, CollectiveResult)
    sizes = [point.size_bytes for point in final.outcome.sweep]
    assert sizes == [2**power for power in range(10, 31)]
    assert [e.fraction for e in events if isinstance(e, Progress)][-1] == 1.0


@pytest.fixture
def service() -> Iterator[SimulationService]:
    owned = SimulationService()
    yield owned
    owned.close()


def wait_for_end(service: SimulationService, job: int, timeout: float = RUN_TIMEOUT_S) -> Event:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = service.poll(job)
        if isinstance(event, Finished | Failed):
            return event
        time.sleep(0.02)
    raise AssertionError("the simulation process did not answer")


def test_a_restart_stops_a_run_at_once(service: SimulationService) -> None:
    long_run = service.submit(small_gemm(), "small.toml", "detailed")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not isinstance(service.poll(long_run), Phase):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    started = time.monotonic()
    service.restart()
    assert time.monotonic() - started < 2.0
    assert service.alive
    assert service.poll(long_run) is None  # the stopped run never answers
    quick = service.submit(small_gemm(), "small.toml", "fast")
    assert isinstance(wait_for_end(service, quick), Finished)


def test_a_process_that_dies_is_a_failed_run(service: SimulationService) -> None:
    job = service.submit(small_gemm(), "small.toml", "detailed")
    time.sleep(0.5)
    process = service._process  # the test plays the out-of-memory killer
    assert process is not None and process.pid is not None
    os.kill(process.pid, signal.SIGKILL)
    final = wait_for_end(service, job, timeout=10)
    assert isinstance(final, Failed) and final.bug
    assert final.message == "the simulation process stopped (exit code -9)"
