"""Timing repetitions with device events, with the launch queue kept ahead of the GPU.

Each repetition runs between its own pair of events recorded on the launch stream, and the
repetitions follow each other back to back. For a short kernel that alone would measure the
host: Numba's launch path costs 10 to 15 us, so the GPU drains the queue, records the start
event at once, and then waits for the launch to arrive. The series is therefore queued
behind a *blocker* (launches of a long kernel on the same stream) that keeps the GPU busy
until the host has queued every repetition; afterwards the blocker's end event must still
be pending when the last repetition has been queued (``queue_ahead``). If not, the series
is retried with twice the blocker, up to ``MAX_ATTEMPTS``. What a sample then measures is
the device time of the repetition, from the moment the stream reaches its start event:
the GPU-side launch latency is in, the host's launch overhead is out.

Events come through a small protocol so that Numba's events, PyTorch's (library cases) and
a wall clock (the CUDA simulator, which is synchronous and has no event timing) serve the
same code.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

HOST_ENQUEUE_S_PER_LAUNCH = 40e-6
"""A generous bound on the host's time to queue one launch and its events."""
MAX_ATTEMPTS = 3
MS_PER_S = 1e3


class TimingEvent(Protocol):
    """A point in the launch stream whose time can be read once the stream has passed it."""

    def record(self) -> None: ...

    def seconds_until(self, end: Any) -> float: ...

    def pending(self) -> bool | None:
        """True while the stream has not reached the event; None if that cannot be known."""
        ...

    def synchronize(self) -> None: ...


EventFactory = Callable[[], TimingEvent]


class NumbaEvent:
    """A Numba CUDA timing event on ``stream``."""

    def __init__(self, stream: Any = 0) -> None:
        from numba import cuda

        self._event = cuda.event(timing=True)
        self._stream = stream

    def record(self) -> None:
        self._event.record(self._stream)

    def seconds_until(self, end: NumbaEvent) -> float:
        return float(self._event.elapsed_time(end._event)) / MS_PER_S

    def pending(self) -> bool | None:
        return not self._event.query()

    def synchronize(self) -> None:
        self._event.synchronize()


class WallClockEvent:
    """The host clock at ``record``: for the CUDA simulator, where every launch is synchronous."""

    def __init__(self) -> None:
        self._recorded_s = 0.0

    def record(self) -> None:
        self._recorded_s = time.perf_counter()

    def seconds_until(self, end: WallClockEvent) -> float:
        return end._recorded_s - self._recorded_s

    def pending(self) -> bool | None:
        return None

    def synchronize(self) -> None:
        """Nothing to wait for: the simulator has finished the work before returning."""


@dataclass(frozen=True)
class Blocker:
    """A launch of a long-running kernel on the timed stream, and its device time."""

    launch: Callable[[], None]
    launch_s: float

    def launches_to_cover(self, enqueue_s: float) -> int:
        """How many launches keep the GPU busy while the host queues for ``enqueue_s``."""
        return max(1, math.ceil(enqueue_s / max(self.launch_s, 1e-9)))


@dataclass(frozen=True)
class SeriesTiming:
    """Per-repetition seconds of one back-to-back series, and the whole series' span."""

    samples_s: tuple[float, ...]
    series_total_s: float
    queue_ahead: bool | None
    blocker_launches: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples_s)

    @property
    def min_s(self) -> float:
        return min(self.samples_s)

    @property
    def max_s(self) -> float:
        return max(self.samples_s)


def time_repetitions(
    repeat: Callable[[], None], count: int, new_event: EventFactory
) -> tuple[float, ...]:
    """``count`` repetitions, each between its own events, without a blocker (warm-up)."""
    return _series(repeat, count, new_event, blocker=None, blocker_launches=0).samples_s


def time_series(
    repeat: Callable[[], None],
    repetitions: int,
    launches_per_repetition: int,
    new_event: EventFactory,
    blocker: Blocker | None,
) -> SeriesTiming:
    """Time ``repetitions`` back-to-back repetitions queued behind ``blocker``.

    Without a blocker (the simulator) the series runs as it is.
    """
    if blocker is None:
        return _series(repeat, repetitions, new_event, blocker=None, blocker_launches=0)
    enqueue_s = repetitions * (launches_per_repetition + 2) * HOST_ENQUEUE_S_PER_LAUNCH
    launches = blocker.launches_to_cover(enqueue_s)
    for _ in range(MAX_ATTEMPTS):
        timing = _series(repeat, repetitions, new_event, blocker, launches)
        if timing.queue_ahead is not False:
            return timing
        launches *= 2
    return timing


def _series(
    repeat: Callable[[], None],
    repetitions: int,
    new_event: EventFactory,
    blocker: Blocker | None,
    blocker_launches: int,
) -> SeriesTiming:
    starts = [new_event() for _ in range(repetitions)]
    ends = [new_event() for _ in range(repetitions)]
    blocker_end = new_event()
    if blocker is not None:
        for _ in range(blocker_launches):
            blocker.launch()
    blocker_end.record()
    for start, end in zip(starts, ends, strict=True):
        start.record()
        repeat()
        end.record()
    still_blocked = blocker_end.pending() if blocker is not None else None
    ends[-1].synchronize()
    return SeriesTiming(
        samples_s=tuple(start.seconds_until(end) for start, end in zip(starts, ends, strict=True)),
        series_total_s=starts[0].seconds_until(ends[-1]),
        queue_ahead=still_blocked,
        blocker_launches=blocker_launches,
    )
