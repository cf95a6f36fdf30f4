"""Sweeps: a scenario simulated at every point of a grid (or zip) of axes, in parallel, each
point kept in the results store as it finishes (docs/sweeps.md).

``sweep`` is the one entry point; ``SweepResult`` is its table of ``SweepRecord``s.

The runner's names (``sweep``, ``SweepError``, ``OnRecord``, ``SchedulerError``) load on
first use: running points imports the engine (Numba), and what only reads a sweep's records
(the report writer, the results store) must not pay for it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gpusim.sweeps.plan import AxisValues, SweepMode, with_axes
from gpusim.sweeps.result import (
    COLLECTIVE_METRICS,
    KERNEL_METRICS,
    Family,
    SweepRecord,
    SweepResult,
    key_metrics,
)

if TYPE_CHECKING:
    from gpusim.sweeps.dask_runner import SchedulerError
    from gpusim.sweeps.run import OnRecord, SweepError, sweep

_RUNNER_EXPORTS: dict[str, str] = {
    "OnRecord": "gpusim.sweeps.run",
    "SweepError": "gpusim.sweeps.run",
    "sweep": "gpusim.sweeps.run",
    "SchedulerError": "gpusim.sweeps.dask_runner",
}

__all__ = [
    "COLLECTIVE_METRICS",
    "KERNEL_METRICS",
    "AxisValues",
    "Family",
    "OnRecord",
    "SchedulerError",
    "SweepError",
    "SweepMode",
    "SweepRecord",
    "SweepResult",
    "key_metrics",
    "sweep",
    "with_axes",
]


def __getattr__(name: str) -> Any:
    if name in _RUNNER_EXPORTS:
        return getattr(importlib.import_module(_RUNNER_EXPORTS[name]), name)
    raise AttributeError(f"module 'gpusim.sweeps' has no attribute {name!r}")
