"""A link direction: a FIFO server that is busy for ``bytes / bandwidth`` and delivers after
its latency.

A link keeps its schedule as the time it next becomes free. A transfer offered to it starts
when both the data and the link are ready, holds it for its serialisation time, and reaches
the far end one latency after its last byte left. Transfers are served in the order they are
offered (FIFO); a later transfer never slips into an idle gap before an earlier one's
reservation (no backfilling), which is what a FIFO queue does.

Keeping the schedule as a number, not as a SimPy resource, lets a transfer reserve every
link of its route at once, so a message costs one SimPy event however many hops it crosses
(``gpusim.hw.network``). Occupancy is recorded only when a timeline list is attached.
"""

from __future__ import annotations

from dataclasses import dataclass


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
        self._timeline = timeline
        self.free_at_ns = 0.0
        self.carried_bytes = 0.0
        self.busy_ns = 0.0

    def occupy(
        self, size_bytes: float, ready_ns: float, tail_ready_ns: float
    ) -> tuple[float, float]:
        """Serve ``size_bytes`` whose first byte is here at ``ready_ns`` and whose last byte
        is here at ``tail_ready_ns``; return when its first byte enters and its last leaves.

        A link fed by a slower one cannot finish before the data has arrived: its hold then
        lasts until the tail arrives (cut-through at the slower rate).
        """
        start_ns = ready_ns if ready_ns > self.free_at_ns else self.free_at_ns
        serialisation_ns = size_bytes / self.bandwidth_bytes_per_ns
        end_ns = start_ns + serialisation_ns
        if tail_ready_ns > end_ns:
            end_ns = tail_ready_ns
        self.free_at_ns = end_ns
        self.carried_bytes += size_bytes
        self.busy_ns += serialisation_ns
        if self._timeline is not None:
            self._timeline.append(LinkInterval(self.name, start_ns, end_ns, size_bytes))
        return start_ns, end_ns

    def __repr__(self) -> str:
        return f"Link({self.name!r})"
