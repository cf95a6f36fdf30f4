"""A sweep's points on a Dask distributed cluster (``gpusim sweep --scheduler ADDRESS``).

dask.distributed schedules the points; gpusim only submits them and collects outcomes as
they complete. Every worker must be able to import the same gpusim (the points are sent as
references to ``gpusim.sweeps.point.run_point`` and pickled scenarios). Workers compute;
only this process writes the results store, so the store may be a local file even when the
workers are other machines.

The address is checked before anything connects: it must read ``tcp://HOST:PORT``, a plain
TCP connection to it must open, and the server must send the first frame of Dask's
handshake, all within ``CONNECT_TIMEOUT_S``. Only then is a Dask client made, so a typo, an
unknown host, a closed port or a port whose server never answers (dask.distributed's own
handshake read has no timeout: its client would wait forever) is one line within seconds,
and no half-made client is left to complain when it is collected. The probe closes the
connection after the frame; the scheduler logs that as "closed before handshake completed".
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Generator, Iterable
from typing import Any
from urllib.parse import urlsplit

from gpusim.errors import GpusimError
from gpusim.sweeps.point import PointOutcome, PointTask, collect, run_point

CONNECT_TIMEOUT_S = 5.0
"""How long connecting to the scheduler may take (the probe, then the client's connection)."""
FRAME_SIZE_FORMAT = "<Q"
"""Each message on a Dask TCP comm starts with its size in bytes, a little-endian uint64
(distributed/comm/tcp.py); a scheduler writes its handshake message as soon as it accepts."""
MAX_HANDSHAKE_BYTES = 1 << 20
"""A first message larger than this is not a Dask handshake (one is about 60 bytes)."""


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
    """Connect to the scheduler and read the first frame of its handshake, then close
    (``SchedulerError`` if it cannot be reached or does not answer as a Dask scheduler
    within ``CONNECT_TIMEOUT_S``)."""
    host, port = scheduler_endpoint(address)
    deadline_s = time.monotonic() + CONNECT_TIMEOUT_S
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S) as connection:
            header = _receive(connection, struct.calcsize(FRAME_SIZE_FORMAT), deadline_s)
            (size_bytes,) = struct.unpack(FRAME_SIZE_FORMAT, header)
            if not 0 < size_bytes <= MAX_HANDSHAKE_BYTES:
                raise SchedulerError(
                    f"scheduler {address}: the server there is not a Dask scheduler (its first "
                    f"message announces {size_bytes} bytes)"
                )
            _receive(connection, size_bytes, deadline_s)
    except TimeoutError:
        raise SchedulerError(
            f"scheduler {address}: no answer within {CONNECT_TIMEOUT_S:g} s (is a Dask "
            "scheduler listening there?)"
        ) from None
    except OSError as err:  # unknown host, refused, unreachable, closed before answering
        reason = err.strerror or str(err) or type(err).__name__
        raise SchedulerError(f"scheduler {address}: cannot connect ({reason})") from None


def _receive(connection: socket.socket, count_bytes: int, deadline_s: float) -> bytes:
    """Exactly ``count_bytes`` from ``connection`` by ``deadline_s`` (``time.monotonic``):
    ``TimeoutError`` when the deadline passes, ``ConnectionError`` if the peer closes."""
    data = b""
    while len(data) < count_bytes:
        left_s = deadline_s - time.monotonic()
        if left_s <= 0:
            raise TimeoutError
        connection.settimeout(left_s)
        chunk = connection.recv(count_bytes - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection without answering")
        data += chunk
    return data
