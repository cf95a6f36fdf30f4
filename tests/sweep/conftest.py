"""Small sweeps (256^3 GEMMs on an H100: a fraction of a second a point once traced) and
a counter of the simulations a sweep really runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gpusim.api import simulate_scenario
from gpusim.scenario import Scenario, scenario_from_dict
from gpusim.sweeps import point as sweep_point
from tests.store.conftest import gpusim, store_path  # noqa: F401  (fixtures)

SMALL_GEMM: dict[str, Any] = {
    "schema_version": 1,
    "name": "small",
    "gpu": {"preset": "H100-SXM5-80GB"},
    "workload": {"kind": "gemm", "kernel": "gemm_smem_tiled_16", "m": 256, "n": 256, "k": 256},
}
LATENCIES = [600, 834, 1000]
"""DRAM latencies (cycles) to sweep: every point shares one trace, so points are cheap."""


def small_sweep(axes: dict[str, Any], mode: str = "grid") -> Scenario:
    """The small GEMM with a ``[sweep]`` of ``axes``."""
    return scenario_from_dict(
        {**SMALL_GEMM, "sweep": {"mode": mode, "axes": axes}}, source="small.toml"
    )


@pytest.fixture
def simulations(monkeypatch: pytest.MonkeyPatch) -> list[Scenario]:
    """Every scenario a sweep simulates in this process (jobs=1), in order."""
    calls: list[Scenario] = []

    def counting(scenario: Scenario, **options: Any) -> Any:
        calls.append(scenario)
        return simulate_scenario(scenario, **options)

    monkeypatch.setattr(sweep_point, "simulate_scenario", counting)
    return calls


def interrupt_after(count: int) -> Callable[..., None]:
    """An ``on_record`` that presses Ctrl-C once ``count`` records are finished."""
    finished = 0

    def on_record(*_: Any) -> None:
        nonlocal finished
        finished += 1
        if finished == count:
            raise KeyboardInterrupt

    return on_record
