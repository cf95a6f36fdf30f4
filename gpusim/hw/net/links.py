"""A link direction: a FIFO server that is busy for ``bytes / bandwidth`` and delivers after
its latency.

A link serves one transfer at a time, each for its serialisation time, in the order the data
reaches it, and delivers it one latency after its last byte left. The link keeps its
schedule as a calendar of busy intervals (``BusySchedule``): a transfer is booked into the
first idle interval long enough for it, from the time its data is there. When transfers are
offered in the order their data arrives this is exactly a FIFO queue; when a transfer is
booked ahead (its data is still queued upstream), an earlier one can use the gap before it,
as it would on the wire.

Booking the whole route when a message is sent lets a message cost one SimPy event however
many hops it crosses (``gpusim.hw.net.network``). Occupancy is recorded only when a timeline list
is attached.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

MAX_GAPS_SEARCHED = 16
"""A booking looks for room in this many idle gaps at most, then joins the end of the queue:
schedules fragmented by many flows stay cheap to search."""


class BusySchedule:
    """When a server is busy: sorted, disjoint intervals, booked first-fit."""

    def __init__(self) -> None:
        self._starts: list[float] = []
        self._ends: list[float] = []

    def book(self, earliest_ns: float, duration_ns: float, now_ns: float) -> float:
        """Book ``duration_ns`` in the first idle interval from ``earliest_ns``; its start.

        ``now_ns`` is the current time: intervals over by then can serve no later booking.
        Back-to-back bookings merge into one interval, so a queue of transfers is searched
        in one step; past ``MAX_GAPS_SEARCHED`` gaps the booking goes to the end.
        """
        starts, ends = self._starts, self._ends
        if not ends or earliest_ns > ends[-1]:
            starts.append(earliest_ns)
            ends.append(earliest_ns + duration_ns)
            return earliest_ns
        if earliest_ns == ends[-1]:
            ends[-1] = earliest_ns + duration_ns
            return earliest_ns
        if ends[0] <= now_ns:
            self._forget_before(now_ns)
        start_ns = earliest_ns
        index = bisect_right(ends, start_ns)
        last = min(len(starts), index + MAX_GAPS_SEARCHED)
        while index < last and starts[index] - start_ns < duration_ns:
            if ends[index] > start_ns:
                start_ns = ends[index]
            index += 1
        if index == last and index < len(starts):
            index, start_ns = len(starts), ends[-1]  # no gap near: join the queue's end
        end_ns = start_ns + duration_ns
        joins_previous = index > 0 and ends[index - 1] == start_ns
        joins_next = index < len(starts) and starts[index] == end_ns
        if joins_previous and joins_next:
            ends[index - 1] = ends[index]
            del starts[index], ends[index]
        elif joins_previous:
            ends[index - 1] = end_ns
        elif joins_next:
            starts[index] = start_ns
        else:
            starts.insert(index, start_ns)
            ends.insert(index, end_ns)
        return start_ns

    @property
    def busy_until_ns(self) -> float:
        """The end of the last booking (0 when there is none)."""
        return self._ends[-1] if self._ends else 0.0

    def _forget_before(self, now_ns: float) -> None:
        past = bisect_right(self._ends, now_ns)
        del self._starts[:past]
        del self._ends[:past]


@dataclass(frozen=True)
class LinkInterval:
    """One transfer's hold on one link: when it started and ended, and what it carried."""

    link: str
    start_ns: float
    end_ns: float
    size_bytes: float


class Link:
    """One direction of a point-to-point link (or a switch port), named hierarchically."""

    def __init__(
        self,
        name: str,
        bandwidth_bytes_per_ns: float,
        latency_ns: float,
        *,
        timeline: list[LinkInterval] | None = None,
    ) -> None:
        if bandwidth_bytes_per_ns <= 0:
            raise ValueError(f"bandwidth_bytes_per_ns: must be > 0, got {bandwidth_bytes_per_ns}")
        if latency_ns < 0:
            raise ValueError(f"latency_ns: must be >= 0, got {latency_ns}")
        self.name = name
        self.bandwidth_bytes_per_ns = bandwidth_bytes_per_ns
        self.latency_ns = latency_ns
        self.schedule = BusySchedule()
        self._timeline = timeline
        self.carried_bytes = 0.0
        self.busy_ns = 0.0

    def occupy(
        self, size_bytes: float, ready_ns: float, tail_ready_ns: float, now_ns: float
    ) -> tuple[float, float]:
        """Serve ``size_bytes`` whose first byte is here at ``ready_ns`` and whose last byte
        is here at ``tail_ready_ns``; return when its first byte enters and its last leaves.

        Fed by a slower link, the transfer starts late enough to end as its last byte comes
        (cut-through at the slower rate), and leaves the link free before that.
        """
        duration_ns = size_bytes / self.bandwidth_bytes_per_ns
        earliest_ns = tail_ready_ns - duration_ns
        if ready_ns > earliest_ns:
            earliest_ns = ready_ns
        start_ns = self.schedule.book(earliest_ns, duration_ns, now_ns)
        end_ns = start_ns + duration_ns
        self.carried_bytes += size_bytes
        self.busy_ns += duration_ns
        if self._timeline is not None:
            self._timeline.append(LinkInterval(self.name, start_ns, end_ns, size_bytes))
        return start_ns, end_ns

    def __repr__(self) -> str:
        return f"Link({self.name!r})"
