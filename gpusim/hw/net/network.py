"""The network of a system: endpoints (GPUs, switches) joined by links, and the narrow
interface collectives use.

``Network.transfer(src, dst, size_bytes, start_ns)`` books the route of a message sent at
``start_ns`` and returns when its last byte reaches ``dst``; ``route(src, dst)`` says which
link directions and what kind of hop that is. That is all the collectives' communicator
(``gpusim.collectives.comm``) asks of NVLink, NVSwitch, PCIe or NICs; it turns arrival times
into SimPy events itself. The network holds no clock: it is a calendar of link bookings.

A transfer is cut-through: its first byte enters the next link one latency after it entered
the previous one, and no link can finish before the last byte has reached it. Over ``k``
idle hops a message therefore costs ``bytes / slowest bandwidth + sum of latencies``, not
``k`` times its serialisation, as wormhole-routed NVLink and PCIe fabrics behave. Switches
buffer without limit: a busy downstream port delays a message, never its upstream links.
The whole route is booked when the message is sent (``gpusim.hw.net.links``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from gpusim.hw.net.endpoints import Endpoint
from gpusim.hw.net.links import Link

HopKind = Literal["nvlink", "pcie", "net"]
"""What a route crosses, as NCCL classifies a hop (it picks the protocol's hop latency)."""


@dataclass(frozen=True)
class Route:
    """The link directions from one endpoint to another, in order, and the kind of hop."""

    links: tuple[Link, ...]
    kind: HopKind
    latency_ns: float = field(init=False)
    """Latency of an empty message over the idle route."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "latency_ns", sum(link.latency_ns for link in self.links))


Router = Callable[[Endpoint, Endpoint], Route]
"""Builds the route from ``src`` to ``dst``; raises ``ValueError`` (naming ``src`` or
``dst``) for an endpoint the system does not have or a pair no route joins."""


class Network:
    """Endpoints joined by named links; routes are built by the router once, on first use."""

    def __init__(self, links: Mapping[str, Link], router: Router) -> None:
        self.links = dict(links)
        self._router = router
        self._routes: dict[tuple[Endpoint, Endpoint], Route] = {}

    def route(self, src: Endpoint, dst: Endpoint) -> Route:
        """The route from ``src`` to ``dst``."""
        key = (src, dst)
        route = self._routes.get(key)
        if route is None:
            if src == dst:
                raise ValueError(f"dst: {src.name} does not send to itself")
            route = self._routes[key] = self._router(src, dst)
        return route

    def transfer(
        self,
        src: Endpoint,
        dst: Endpoint,
        size_bytes: float,
        start_ns: float,
        *,
        now_ns: float | None = None,
        source: Link | None = None,
    ) -> float:
        """Book the route for ``size_bytes`` ready at ``start_ns`` (booked at ``now_ns``,
        default ``start_ns``); return its arrival. ``source``: a server the data leaves
        through before the route (the sending channel's CTA), at its own rate."""
        route = self._routes.get((src, dst)) or self.route(src, dst)
        booked_ns = start_ns if now_ns is None else now_ns
        head_ns = tail_ns = start_ns
        if source is not None:
            first_in_ns, last_out_ns = source.occupy(size_bytes, head_ns, tail_ns, booked_ns)
            head_ns, tail_ns = first_in_ns, last_out_ns
        for link in route.links:
            first_in_ns, last_out_ns = link.occupy(size_bytes, head_ns, tail_ns, booked_ns)
            head_ns = first_in_ns + link.latency_ns
            tail_ns = last_out_ns + link.latency_ns
        return tail_ns
