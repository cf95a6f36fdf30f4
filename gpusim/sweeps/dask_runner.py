"""A sweep's points on a Dask distributed cluster (``gpusim sweep --scheduler ADDRESS``).

dask.distributed schedules the points; gpusim only submits them and collects outcomes as
they complete. Every worker must be able to import the same gpusim (the points are sent as
references to ``gpusim.sweeps.point.run_point`` and pickled scenarios). Workers compute;
only this process writes the results store, so the store may be a local file even when the
workers are other machines.

The address is checked before anything connects: it must read ``tcp://HOST:PORT``, and a
plain TCP connection to it must open within ``CONNECT_TIMEOUT_S``. Only then is a Dask
client made, so a typo, an unknown host or a closed port is one line within seconds, and no
half-made client is left to complain when it is collected.
"""

from __future__ import annotations

import socket
from collections.abc import Generator, Iterable
from typing import Any
from urllib.parse import urlsplit

from gpusim.errors import GpusimError
from gpusim.sweeps.point import PointOutcome, PointTask, collect, run_point

CONNECT_TIMEOUT_S = 5.0
"""How long connecting to the scheduler may take (the TCP probe, then Dask's handshake)."""


class SchedulerError(GpusimError):
    """The Dask scheduler's address is malformed or cannot be reached."""


def run_dask(tasks: Iterable[PointTask], address: str) -> Generator[PointOutcome, None, None]:
    """The points on the cluster whose scheduler listens at ``address`` (``tcp://HOST:PORT``,
    already ``check_reachable``), yielded as each finishes."""
    from distributed import Client, as_completed  # imported here: it takes a second to load

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as err:
        raise SchedulerError(f"scheduler {address}: cannot connect ({err})") from None
    futures: list[Any] = []
    try:
        submitted = list(tasks)  # the cluster schedules them all: each is claimed now
        futures = client.map(run_point, submitted, pure=False)
        index_of = {future.key: task.index for future, task in zip(futures, submitted, strict=True)}
        for future in as_completed(futures, loop=client.loop):
            yield collect(future, index_of[future.key])
    finally:
        client.cancel(futures)
        client.close()


def scheduler_endpoint(address: str) -> tuple[str, int]:
    """The host and port of ``tcp://HOST:PORT`` (``SchedulerError`` for any other form)."""
    parts = urlsplit(address)
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = None
    if parts.scheme != "tcp" or not parts.hostname or port is None or parts.path or parts.query:
        raise SchedulerError(
            f"scheduler {address}: not a scheduler address (give tcp://HOST:PORT, as "
            "'dask scheduler' prints it)"
        )
    return parts.hostname, port


def check_reachable(address: str) -> None:
    """Open and close a TCP connection to the scheduler (``SchedulerError`` if it cannot)."""
    host, port = scheduler_endpoint(address)
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:  # unknown host, refused, unreachable, timed out
        reason = err.strerror or str(err) or type(err).__name__
        raise SchedulerError(f"scheduler {address}: cannot connect ({reason})") from None
