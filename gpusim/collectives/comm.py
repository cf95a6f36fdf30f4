"""What a collective algorithm sees: ordered messages between endpoints, each an event.

``Communicator.send(channel, src, dst, size_bytes)`` sends a message and returns the event of
its arrival; ``recv(channel, src, dst)`` returns the event of the next message on that edge,
matched in order. ``src`` and ``dst`` are network endpoints (``gpusim.hw.net.endpoints``):
GPUs, or a switch that an algorithm addresses in its own right. Algorithms know nothing
else: not the links, not the protocol, not how a reduction is timed. The communicator adds
those on the way:

- the protocol's payload efficiency (more bytes on the wire than the payload);
- its per-hop latency, where that exceeds the route's link latency (NCCL's ``hwLat``
  includes flag polling and fences that the links alone do not);
- the reduction on arrival, when the message is to be reduced into the receiver's buffer
  (``reduce=True``), on the receiver's ``ReductionUnits``.

A message costs one SimPy event whichever side asks first: the network's schedule is known
when the message is sent, so its arrival (reduction included) is fixed then.
"""

from __future__ import annotations

from collections import defaultdict, deque

import simpy
from simpy.events import NORMAL, Event

from gpusim.collectives.reduction import ReductionUnits
from gpusim.hw.net.endpoints import Endpoint
from gpusim.hw.net.network import HopKind, Network
from gpusim.spec.system import ProtocolSpec
from gpusim.units import s_to_ns

Edge = tuple[int, Endpoint, Endpoint]
"""(channel, source, destination): messages on one edge arrive in order."""


class Delivery(Event):  # type: ignore[misc]  # simpy is not type-checked (pyproject)
    """The arrival of one message: created by whichever side asks first, timed by the sender.

    Like SimPy's own ``Timeout``, it schedules itself with a delay, but only once the
    sender has fixed the arrival time.
    """

    def deliver_at(self, at_ns: float) -> None:
        """Fire at ``at_ns`` (now, if that has passed)."""
        if self.triggered:
            raise RuntimeError(f"{self} was already delivered")
        self._ok = True
        self._value = at_ns
        delay_ns = at_ns - self.env.now
        self.env.schedule(self, NORMAL, delay_ns if delay_ns > 0.0 else 0.0)


class _Queue:
    """The deliveries of one edge that one side has created and the other not yet taken:
    sent but not yet asked for (``sender_ahead``), or asked for but not yet sent."""

    __slots__ = ("deliveries", "sender_ahead")

    def __init__(self) -> None:
        self.deliveries: deque[Delivery] = deque()
        self.sender_ahead = False


class Communicator:
    """Message passing between the endpoints of one collective, over one protocol."""

    def __init__(
        self,
        env: simpy.Environment,
        network: Network,
        protocol: ProtocolSpec,
        reductions: ReductionUnits,
    ) -> None:
        self.env = env
        self.network = network
        self.reductions = reductions
        self._wire_per_payload = 1.0 / protocol.efficiency
        self._hop_latency_ns: dict[HopKind, float] = {
            "nvlink": s_to_ns(protocol.nvlink_hop_latency_s),
            "pcie": s_to_ns(protocol.pcie_hop_latency_s),
            "net": s_to_ns(protocol.net_hop_latency_s),
        }
        self._extra_latency_ns: dict[tuple[Endpoint, Endpoint], float] = {}
        self._edges: defaultdict[Edge, _Queue] = defaultdict(_Queue)
        self.messages = 0

    def send(
        self,
        channel: int,
        src: Endpoint,
        dst: Endpoint,
        size_bytes: float,
        *,
        reduce: bool = False,
    ) -> simpy.Event:
        """Send ``size_bytes`` of payload from ``src`` to ``dst`` now; ``reduce``: the receiver
        adds it into its buffer before the message counts as received.

        An endpoint may hand a message to itself: it arrives at once and costs nothing (how
        a tree's root turns the end of its reduction into the start of its broadcast).
        """
        now_ns = self.env.now
        arrival_ns = now_ns if src == dst else self._arrival_ns(src, dst, size_bytes, now_ns)
        if reduce and src != dst:
            arrival_ns = self.reductions.reduce(dst, size_bytes, arrival_ns, now_ns)
        queue = self._edges[(channel, src, dst)]
        if queue.deliveries and not queue.sender_ahead:
            delivery = queue.deliveries.popleft()
        else:
            delivery = Delivery(self.env)
            queue.deliveries.append(delivery)
            queue.sender_ahead = True
        delivery.deliver_at(arrival_ns)
        self.messages += 1
        return delivery

    def recv(self, channel: int, src: Endpoint, dst: Endpoint) -> simpy.Event:
        """The event of the next message from ``src`` to ``dst`` on ``channel``."""
        queue = self._edges[(channel, src, dst)]
        if queue.deliveries and queue.sender_ahead:
            return queue.deliveries.popleft()
        delivery = Delivery(self.env)
        queue.deliveries.append(delivery)
        queue.sender_ahead = False
        return delivery

    def _arrival_ns(self, src: Endpoint, dst: Endpoint, size_bytes: float, now_ns: float) -> float:
        wire_bytes = size_bytes * self._wire_per_payload
        arrival_ns = self.network.transfer(src, dst, wire_bytes, now_ns)
        extra_ns = self._extra_latency_ns.get((src, dst))
        if extra_ns is None:
            route = self.network.route(src, dst)
            extra_ns = max(0.0, self._hop_latency_ns[route.kind] - route.latency_ns)
            self._extra_latency_ns[(src, dst)] = extra_ns
        return arrival_ns + extra_ns
