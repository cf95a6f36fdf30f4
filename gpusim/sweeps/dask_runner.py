"""A sweep's points on a Dask distributed cluster (``gpusim sweep --scheduler ADDRESS``).

dask.distributed schedules the points; gpusim only submits them and collects outcomes as
they complete. Every worker must be able to import the same gpusim (the points are sent as
references to ``gpusim.sweeps.point.run_point`` and pickled scenarios). Workers compute;
only this process writes the results store, so the store may be a local file even when the
workers are other machines.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

from gpusim.errors import GpusimError
from gpusim.sweeps.point import PointOutcome, PointTask, collect, run_point

CONNECT_TIMEOUT_S = 10.0


class SchedulerError(GpusimError):
    """The Dask scheduler cannot be reached."""


def run_dask(tasks: Sequence[PointTask], address: str) -> Generator[PointOutcome, None, None]:
    """The points on the cluster whose scheduler listens at ``address`` (``tcp://HOST:PORT``),
    yielded as each finishes. Connecting gives up after ``CONNECT_TIMEOUT_S`` seconds."""
    from distributed import Client, as_completed  # imported here: it takes a second to load

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise SchedulerError(f"scheduler {address}: cannot connect ({err})") from None
    futures: list[Any] = []
    try:
        futures = client.map(run_point, list(tasks), pure=False)
        index_of = {future.key: task.index for future, task in zip(futures, tasks, strict=True)}
        for future in as_completed(futures, loop=client.loop):
            yield collect(future, index_of[future.key])
    finally:
        client.cancel(futures)
        client.close()
