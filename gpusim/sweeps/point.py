"""One sweep point, simulated where a worker runs it: a process of the pool, a Dask worker,
or the sweep's own process.

Whatever goes wrong in one point stays in that point: a user error (a kernel that does not
fit, a size it cannot run) becomes its one-line message, and so does any other exception, so
a bug met at one corner of a grid does not cost the other points. Only the metrics travel
back (plain data, no timeline), so results are small and pickle anywhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from gpusim.api import simulate_scenario
from gpusim.errors import GpusimError
from gpusim.hw.sm.result import Mode
from gpusim.scenario import Scenario
from gpusim.store.records import result_metrics


@dataclass(frozen=True)
class PointTask:
    """A resolved point to simulate."""

    index: int
    scenario: Scenario
    mode: Mode


@dataclass(frozen=True)
class PointOutcome:
    """What simulating one point gave: its metrics, or the one line saying why not."""

    index: int
    metrics: dict[str, Any] | None
    error: str | None
    wall_s: float
    """Wall-clock seconds the point took on its worker."""


def run_point(task: PointTask) -> PointOutcome:
    """Simulate one point; every exception but an interrupt becomes the point's error."""
    start_s = time.perf_counter()
    try:
        result = simulate_scenario(task.scenario, mode=task.mode)
        metrics = result_metrics(result, task.scenario.bound())
    except GpusimError as err:
        return PointOutcome(task.index, None, str(err), time.perf_counter() - start_s)
    except Exception as err:  # a bug in gpusim: report it on this point, keep the others
        return PointOutcome(task.index, None, internal_error(err), time.perf_counter() - start_s)
    return PointOutcome(task.index, metrics, None, time.perf_counter() - start_s)


class _Future(Protocol):
    def result(self) -> PointOutcome: ...


def collect(future: _Future, index: int) -> PointOutcome:
    """A finished future's outcome (``concurrent.futures`` or Dask); a worker that died
    (killed, out of memory, lost by the cluster) fails its point."""
    try:
        return future.result()
    except Exception as err:
        return PointOutcome(index, None, f"worker failed: {internal_error(err)}", 0.0)


def internal_error(err: BaseException) -> str:
    """One line naming an unexpected exception (the first line of its message)."""
    message = str(err).splitlines()[0] if str(err) else ""
    return f"internal error: {type(err).__name__}: {message}".rstrip(": ")
