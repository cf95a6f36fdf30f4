"""Sweeps: a scenario simulated at every point of a grid (or zip) of axes, in parallel, each
point kept in the results store as it finishes (docs/sweeps.md).

``sweep`` is the one entry point; ``SweepResult`` is its table of ``SweepRecord``s.
"""

from gpusim.sweeps.dask_runner import SchedulerError
from gpusim.sweeps.plan import AxisValues, SweepMode, with_axes
from gpusim.sweeps.result import (
    COLLECTIVE_METRICS,
    KERNEL_METRICS,
    Family,
    SweepRecord,
    SweepResult,
    key_metrics,
)
from gpusim.sweeps.run import OnRecord, SweepError, sweep

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
