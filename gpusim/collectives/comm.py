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
  (``reduce=True``), on the receiver's ``ReductionUnits``;
- the sending channel's CTA: a message leaves a GPU through its channel's CTA, a server at
  the rate one thread block moves payload (``gpusim.collectives.cta``), before its links;
- flow control: a channel's receiver offers its sender ``window`` buffer slots per edge
  (NCCL_STEPS over the protocol's steps per slice). Slot k is free again once the receiver
  has taken message k (it has arrived and the receiver asked for it) and the credit has
  travelled back (the reverse route's latency). A sender asks ``slot`` before it sends; it
  gets None when a slot is (or is known to become) free, else the event of its freeing.
  Only GPU-to-GPU edges have slots (NCCL's per-peer buffers); a switch buffers freely.

A message costs one SimPy event whichever side asks first: the network's schedule is known
when the message is sent, so its arrival (reduction included) is fixed then.
"""

from __future__ import annotations

from collections import defaultdict, deque

import simpy
from simpy.events import NORMAL, Event

from gpusim.collectives.reduction import ReductionUnits
from gpusim.hw.net.endpoints import Endpoint, Gpu
from gpusim.hw.net.links import Link
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
    sent but not yet asked for (``sender_ahead``), or asked for but not yet sent; and the
    edge's flow control: messages sent, when each taken one freed its slot, and a sender
    waiting for a slot."""

    __slots__ = ("deliveries", "freed_ns", "last_start_ns", "sender_ahead", "sent", "slot_waiter")

    def __init__(self) -> None:
        self.deliveries: deque[Delivery] = deque()
        self.sender_ahead = False
        self.sent = 0
        self.freed_ns: list[float] = []
        self.slot_waiter: Delivery | None = None
        self.last_start_ns = 0.0


class Communicator:
    """Message passing between the endpoints of one collective, over one protocol."""

    def __init__(
        self,
        env: simpy.Environment,
        network: Network,
        protocol: ProtocolSpec,
        reductions: ReductionUnits,
        *,
        channel_payload_bytes_per_ns: float,
        window: int,
    ) -> None:
        self.env = env
        self.network = network
        self.reductions = reductions
        self.window = window
        self._wire_per_payload = 1.0 / protocol.efficiency
        self._cta_wire_bytes_per_ns = channel_payload_bytes_per_ns / protocol.efficiency
        self._ctas: dict[tuple[int, Gpu], Link] = {}
        self._credit_latency_ns: dict[tuple[Endpoint, Endpoint], float] = {}
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
        cta_channel: int | None = None,
        fabric: bool = False,
    ) -> simpy.Event:
        """Send ``size_bytes`` of payload from ``src`` to ``dst`` now, or once its slot is
        free; ``reduce``: the receiver adds it into its buffer before the message counts as
        received. ``cta_channel``: the channel whose CTA pushes it (default ``channel``);
        ``fabric``: the fabric moves it, no CTA (a switch reading GPU memory; a switch's own
        sends never have one).

        An endpoint may hand a message to itself: it arrives at once and costs nothing (how
        a tree's root turns the end of its reduction into the start of its broadcast).
        """
        now_ns = self.env.now
        queue = self._edges[(channel, src, dst)]
        if src == dst:
            arrival_ns = now_ns
        else:
            start_ns = self._start_ns(src, dst, queue, now_ns)
            source = None
            if isinstance(src, Gpu) and not fabric:
                source = self._cta(channel if cta_channel is None else cta_channel, src)
            arrival_ns = self._arrival_ns(src, dst, size_bytes, start_ns, now_ns, source)
            if reduce:
                arrival_ns = self.reductions.reduce(dst, size_bytes, arrival_ns, now_ns)
        queue.sent += 1
        if queue.deliveries and not queue.sender_ahead:
            delivery = queue.deliveries.popleft()
            self._freed(queue, src, dst, arrival_ns)  # the receiver is waiting: taken on arrival
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
            delivery = queue.deliveries.popleft()
            self._freed(queue, src, dst, max(self.env.now, delivery.value))
            return delivery
        delivery = Delivery(self.env)
        queue.deliveries.append(delivery)
        queue.sender_ahead = False
        return delivery

    def slot(self, channel: int, src: Endpoint, dst: Endpoint) -> simpy.Event | None:
        """None when the next message from ``src`` to ``dst`` has a slot (now or at a known
        time, which ``send`` waits for); else the event of the slot's freeing, to wait on
        before sending."""
        queue = self._edges[(channel, src, dst)]
        needed = queue.sent - self.window
        if not self._flow_controlled(src, dst) or needed < len(queue.freed_ns):
            return None
        waiter = queue.slot_waiter = Delivery(self.env)
        return waiter

    def _start_ns(self, src: Endpoint, dst: Endpoint, queue: _Queue, now_ns: float) -> float:
        """When the message can leave: its slot free, after the edge's previous message."""
        start_ns = now_ns
        needed = queue.sent - self.window
        if needed >= 0 and self._flow_controlled(src, dst):
            if needed >= len(queue.freed_ns):
                raise RuntimeError(f"{src.name} sent to {dst.name} without a slot (ask slot())")
            start_ns = max(start_ns, queue.freed_ns[needed] + self._credit_ns(src, dst))
        start_ns = max(start_ns, queue.last_start_ns)
        queue.last_start_ns = start_ns
        return start_ns

    def _flow_controlled(self, src: Endpoint, dst: Endpoint) -> bool:
        """Buffers with slots are a GPU's, for another GPU (a switch has none to offer)."""
        return bool(self.window) and src != dst and isinstance(src, Gpu) and isinstance(dst, Gpu)

    def _freed(self, queue: _Queue, src: Endpoint, dst: Endpoint, freed_ns: float) -> None:
        """Message ``len(freed_ns)`` of the edge was taken at ``freed_ns``; wake a sender
        waiting for that slot once the credit is back."""
        queue.freed_ns.append(freed_ns)
        waiter = queue.slot_waiter
        if waiter is not None and queue.sent - self.window < len(queue.freed_ns):
            queue.slot_waiter = None
            waiter.deliver_at(freed_ns + self._credit_ns(src, dst))

    def _credit_ns(self, src: Endpoint, dst: Endpoint) -> float:
        """The credit's way back: the latency of the route from ``dst`` to ``src``."""
        latency_ns = self._credit_latency_ns.get((src, dst))
        if latency_ns is None:
            latency_ns = self.network.route(dst, src).latency_ns
            self._credit_latency_ns[(src, dst)] = latency_ns
        return latency_ns

    def _cta(self, channel: int, gpu: Gpu) -> Link:
        """The CTA of ``channel`` on ``gpu``: a server at one thread block's rate."""
        key = (channel, gpu)
        cta = self._ctas.get(key)
        if cta is None:
            name = f"{gpu.name}.channel{channel}.cta"
            cta = self._ctas[key] = Link(name, self._cta_wire_bytes_per_ns, 0.0)
        return cta

    def _arrival_ns(
        self,
        src: Endpoint,
        dst: Endpoint,
        size_bytes: float,
        start_ns: float,
        now_ns: float,
        source: Link | None,
    ) -> float:
        wire_bytes = size_bytes * self._wire_per_payload
        arrival_ns = self.network.transfer(
            src, dst, wire_bytes, start_ns, now_ns=now_ns, source=source
        )
        extra_ns = self._extra_latency_ns.get((src, dst))
        if extra_ns is None:
            route = self.network.route(src, dst)
            extra_ns = max(0.0, self._hop_latency_ns[route.kind] - route.latency_ns)
            self._extra_latency_ns[(src, dst)] = extra_ns
        return arrival_ns + extra_ns
