"""Timing series on a scripted device: samples, the series span, and the queue-ahead retry."""

from __future__ import annotations

import pytest

from gpusim.validate.timing import (
    HOST_ENQUEUE_S_PER_LAUNCH,
    MAX_ATTEMPTS,
    Blocker,
    WallClockEvent,
    time_repetitions,
    time_series,
)


class ScriptedDevice:
    """A stream whose clock advances by each launch's duration.

    The blocker keeps the queue ahead only when a series starts with at least
    ``blocker_launches_needed`` blocker launches.
    """

    def __init__(self, durations_s: list[float], blocker_launches_needed: int = 0) -> None:
        self.now_s = 0.0
        self.durations_s = durations_s
        self.launches = 0
        self.blocker_launches = 0
        self.blocker_launches_needed = blocker_launches_needed
        self.series_blocker_counts: list[int] = []

    def launch(self) -> None:
        self.now_s += self.durations_s[self.launches % len(self.durations_s)]
        self.launches += 1

    def launch_blocker(self) -> None:
        self.now_s += 1e-3
        self.blocker_launches += 1


class ScriptedEvent:
    def __init__(self, device: ScriptedDevice) -> None:
        self.device = device
        self.recorded_s = 0.0
        self.blockers_before = 0

    def record(self) -> None:
        self.recorded_s = self.device.now_s
        self.blockers_before = self.device.blocker_launches
        self.device.series_blocker_counts.append(self.blockers_before)

    def seconds_until(self, end: ScriptedEvent) -> float:
        return end.recorded_s - self.recorded_s

    def pending(self) -> bool | None:
        return self.device.blocker_launches >= self.device.blocker_launches_needed

    def synchronize(self) -> None:
        pass


def test_each_repetition_is_timed_between_its_own_events() -> None:
    device = ScriptedDevice([1e-3, 3e-3, 2e-3])
    blocker = Blocker(launch=device.launch_blocker, launch_s=1.0)
    timing = time_series(device.launch, 3, 1, lambda: ScriptedEvent(device), blocker)
    assert timing.samples_s == pytest.approx((1e-3, 3e-3, 2e-3))
    assert (timing.median_s, timing.min_s, timing.max_s) == pytest.approx((2e-3, 1e-3, 3e-3))
    assert timing.series_total_s == pytest.approx(6e-3)
    assert timing.queue_ahead is True and timing.blocker_launches == 1


def test_a_blocker_too_short_is_doubled_until_the_queue_stays_ahead() -> None:
    device = ScriptedDevice([1e-6], blocker_launches_needed=10)
    repetitions = 20
    enqueue_s = repetitions * 3 * HOST_ENQUEUE_S_PER_LAUNCH
    blocker = Blocker(launch=device.launch_blocker, launch_s=enqueue_s / 3)  # 3 launches first
    timing = time_series(device.launch, repetitions, 1, lambda: ScriptedEvent(device), blocker)
    assert timing.blocker_launches == 12  # 3, then 6, then 12 >= 10
    assert timing.queue_ahead is True
    assert len(timing.samples_s) == repetitions


def test_a_queue_never_ahead_is_reported_after_the_last_attempt() -> None:
    device = ScriptedDevice([1e-6], blocker_launches_needed=10**9)
    blocker = Blocker(launch=device.launch_blocker, launch_s=1.0)
    timing = time_series(device.launch, 20, 1, lambda: ScriptedEvent(device), blocker)
    assert timing.queue_ahead is False
    assert timing.blocker_launches == 2 ** (MAX_ATTEMPTS - 1)


def test_without_a_blocker_queue_ahead_is_unknown() -> None:
    calls: list[int] = []
    timing = time_series(lambda: calls.append(1), 4, 1, WallClockEvent, blocker=None)
    assert len(calls) == 4 and timing.queue_ahead is None
    assert all(sample >= 0 for sample in timing.samples_s)
    assert len(time_repetitions(lambda: None, 3, WallClockEvent)) == 3


def test_blocker_launches_cover_the_enqueue_time() -> None:
    blocker = Blocker(launch=lambda: None, launch_s=1e-4)
    assert blocker.launches_to_cover(1e-3) == 10
    assert blocker.launches_to_cover(0.0) == 1
