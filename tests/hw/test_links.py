"""Links are FIFO servers per direction: busy for bytes / bandwidth, arrival after latency."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpusim.hw.net.endpoints import Endpoint, Gpu
from gpusim.hw.net.links import BusySchedule, Link, LinkInterval
from gpusim.hw.net.network import Network, Route

MB = 1_000_000
GB_PER_S = 1.0  # 1 GB/s is 1 byte per ns
T_NS = MB / GB_PER_S  # one 1 MB transfer on a 1 GB/s link
LATENCY_NS = 500.0
A, B, C = Gpu(0, 0), Gpu(0, 1), Gpu(0, 2)


def _network(*links: Link, routes: dict[tuple[Endpoint, Endpoint], tuple[Link, ...]]) -> Network:
    by_name = {link.name: link for link in links}

    def router(src: Endpoint, dst: Endpoint) -> Route:
        if (src, dst) not in routes:
            raise ValueError(f"dst: no route {src.name} -> {dst.name}")
        return Route(routes[(src, dst)], "nvlink")

    return Network(by_name, router)


def _arrivals(network: Network, sends: list[tuple[Gpu, Gpu, float]]) -> list[float]:
    """Send all at time 0, in order; when each arrives."""
    return [network.transfer(src, dst, size, 0.0) for src, dst, size in sends]


def test_two_transfers_on_one_link_serialise() -> None:
    link = Link("a.out", GB_PER_S, LATENCY_NS)
    network = _network(link, routes={(A, B): (link,)})
    assert _arrivals(network, [(A, B, MB), (A, B, MB)]) == [
        T_NS + LATENCY_NS,
        2 * T_NS + LATENCY_NS,
    ]
    assert link.busy_ns == 2 * T_NS
    assert link.carried_bytes == 2 * MB


def test_transfers_on_two_links_overlap() -> None:
    first, second = Link("a.out", GB_PER_S, LATENCY_NS), Link("b.out", GB_PER_S, LATENCY_NS)
    network = _network(first, second, routes={(A, B): (first,), (A, C): (second,)})
    assert _arrivals(network, [(A, B, MB), (A, C, MB)]) == [T_NS + LATENCY_NS] * 2


def test_a_large_transfer_over_hops_pays_its_bytes_once_and_every_latency() -> None:
    """Cut-through: k hops cost bytes / bandwidth + sum of latencies, not k x bytes / bw."""
    hops = [Link(f"hop{i}", GB_PER_S, 100.0 * (i + 1)) for i in range(3)]
    network = _network(*hops, routes={(A, B): tuple(hops)})
    arrivals = _arrivals(network, [(A, B, 1000 * MB)])
    assert arrivals == pytest.approx([1000 * T_NS + 100.0 + 200.0 + 300.0])


def test_a_slow_hop_sets_the_pace_of_a_route() -> None:
    fast, slow = Link("fast", 4 * GB_PER_S, 0.0), Link("slow", GB_PER_S, 0.0)
    network = _network(fast, slow, routes={(A, B): (fast, slow), (B, A): (slow, fast)})
    assert network.transfer(A, B, MB, 0.0) == pytest.approx(T_NS)
    # The fast link behind a slow one cannot finish before the last byte reached it.
    assert network.transfer(B, A, MB, 0.0) == pytest.approx(2 * T_NS)
    assert fast.schedule.busy_until_ns == pytest.approx(2 * T_NS)


def test_a_link_serves_data_in_the_order_it_arrives() -> None:
    """A transfer booked ahead (its data still upstream) leaves the link free before it."""
    link = Link("a.out", GB_PER_S, 0.0)
    assert link.occupy(MB, 10 * T_NS, 10 * T_NS, 0.0) == (10 * T_NS, 11 * T_NS)
    assert link.occupy(MB, 0.0, 0.0, 0.0) == (0.0, T_NS)
    # No gap before 10 T is long enough for 10 MB: it waits for the booked transfer.
    assert link.occupy(10 * MB, T_NS, T_NS, 0.0) == (11 * T_NS, 21 * T_NS)


def test_occupancy_is_recorded_only_when_a_timeline_is_attached() -> None:
    timeline: list[LinkInterval] = []
    traced, silent = Link("traced", GB_PER_S, 0.0, timeline=timeline), Link("silent", 1.0, 0.0)
    traced.occupy(MB, 0.0, 0.0, 0.0)
    silent.occupy(MB, 0.0, 0.0, 0.0)
    assert timeline == [LinkInterval("traced", 0.0, T_NS, MB)]


@pytest.mark.parametrize(
    ("bandwidth", "latency", "message"),
    [(0.0, 0.0, "bandwidth_bytes_per_ns: must be > 0"), (1.0, -1.0, "latency_ns: must be >= 0")],
)
def test_a_link_checks_its_figures(bandwidth: float, latency: float, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}"):
        Link("bad", bandwidth, latency)


def test_a_network_refuses_self_sends_and_passes_on_its_routers_refusals() -> None:
    link = Link("a.out", GB_PER_S, 0.0)
    network = _network(link, routes={(A, B): (link,)})
    with pytest.raises(ValueError, match=r"^dst: node0\.gpu1 does not send to itself$"):
        network.route(B, B)
    with pytest.raises(ValueError, match=r"^dst: no route node0\.gpu0 -> node0\.gpu2$"):
        network.route(A, C)


@given(
    sizes=st.lists(st.floats(min_value=1.0, max_value=1e9), min_size=1, max_size=20),
    latency=st.floats(min_value=0.0, max_value=1e4),
)
def test_a_busy_link_delivers_in_order_at_its_bandwidth(sizes: list[float], latency: float) -> None:
    """N transfers offered at once on one link arrive in order, the last after all bytes."""
    link = Link("a.out", GB_PER_S, latency)
    network = _network(link, routes={(A, B): (link,)})
    arrivals = [network.transfer(A, B, size, 0.0) for size in sizes]
    assert arrivals == sorted(arrivals)
    assert arrivals[-1] == pytest.approx(sum(sizes) / GB_PER_S + latency)


@given(
    bookings=st.lists(st.tuples(st.floats(0.0, 1e6), st.floats(0.0, 1e4)), min_size=1, max_size=40)
)
def test_a_schedule_never_double_books(bookings: list[tuple[float, float]]) -> None:
    schedule = BusySchedule()
    intervals = []
    for earliest, duration in bookings:
        start = schedule.book(earliest, duration, 0.0)
        assert start >= earliest
        intervals.append((start, start + duration))
    intervals.sort()
    for (_, end), (start, _) in pairwise(intervals):
        assert start >= end - 1e-9
