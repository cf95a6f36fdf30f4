"""The communicator: ordered messages, one event each, protocol costs, reduction on arrival."""

from __future__ import annotations

import pytest
import simpy

from gpusim.collectives.comm import Communicator
from gpusim.collectives.reduction import MemoryBoundReduction, ReductionUnits
from gpusim.hw.net.links import Link
from gpusim.hw.net.network import Network, Route
from gpusim.spec.system import ProtocolSpec

GB_PER_S = 1.0  # bytes per ns
LINK_LATENCY_NS = 500.0
PLAIN = ProtocolSpec(
    efficiency=1.0,
    base_latency_s=0.0,
    nvlink_hop_latency_s=0.0,
    pcie_hop_latency_s=0.0,
    net_hop_latency_s=0.0,
    slice_bytes=1 << 20,
    min_channel_bytes=1,
)


def _comm(protocol: ProtocolSpec = PLAIN, reduce_bytes_per_ns: float = 3.0) -> Communicator:
    env = simpy.Environment()
    links = {f"gpu{i}.out": Link(f"gpu{i}.out", GB_PER_S, LINK_LATENCY_NS) for i in range(2)}
    network = Network(env, 2, links, lambda src, dst: Route((links[f"gpu{src}.out"],), "nvlink"))
    reductions = ReductionUnits(MemoryBoundReduction(reduce_bytes_per_ns), 2)
    return Communicator(env, network, protocol, reductions)


def _received(comm: Communicator, count: int, *, wait_first_ns: float = 0.0) -> list[float]:
    """GPU 1 receives ``count`` messages from GPU 0 (after ``wait_first_ns``); their times."""
    times: list[float] = []

    def receiver() -> simpy.events.ProcessGenerator:
        yield comm.env.timeout(wait_first_ns)
        for _ in range(count):
            yield comm.recv(0, 0, 1)
            times.append(comm.env.now)

    comm.env.process(receiver())
    return times


@pytest.mark.parametrize("wait_first_ns", [0.0, 10_000.0])
def test_messages_arrive_in_order_whichever_side_comes_first(wait_first_ns: float) -> None:
    comm = _comm()
    times = _received(comm, 2, wait_first_ns=wait_first_ns)
    comm.send(0, 0, 1, 1000.0)
    comm.send(0, 0, 1, 1000.0)
    comm.env.run()
    expected = [1000.0 + LINK_LATENCY_NS, 2000.0 + LINK_LATENCY_NS]
    assert times == [max(t, wait_first_ns) for t in expected]
    assert comm.messages == 2


def test_one_message_is_one_event_shared_by_sender_and_receiver() -> None:
    comm = _comm()
    asked_first = comm.recv(0, 0, 1)
    assert comm.send(0, 0, 1, 1000.0) is asked_first
    sent_first = comm.send(0, 0, 1, 1000.0)
    assert comm.recv(0, 0, 1) is sent_first
    comm.env.run()
    assert comm.env.now == 2000.0 + LINK_LATENCY_NS


def test_the_protocol_adds_wire_bytes_and_its_hop_latency_beyond_the_links() -> None:
    protocol = PLAIN.model_copy(update={"efficiency": 0.5, "nvlink_hop_latency_s": 2e-6})
    comm = _comm(protocol)
    times = _received(comm, 1)
    comm.send(0, 0, 1, 1000.0)
    comm.env.run()
    assert times == [2000.0 + LINK_LATENCY_NS + (2000.0 - LINK_LATENCY_NS)]
    assert comm.network.links["gpu0.out"].carried_bytes == 2000.0


def test_a_reduced_message_counts_as_received_once_reduced() -> None:
    comm = _comm(reduce_bytes_per_ns=3.0)  # 3 bytes of DRAM traffic per byte reduced: 1 ns/B
    times = _received(comm, 2)
    comm.send(0, 0, 1, 1000.0, reduce=True)
    comm.send(0, 0, 1, 100.0, reduce=True)
    comm.env.run()
    first = 1000.0 + LINK_LATENCY_NS + 1000.0
    # The second arrives during the first's reduction and queues behind it.
    assert times == [first, first + 100.0]
    assert comm.reductions.busy_ns == [0.0, 1100.0]


def test_a_gpu_hands_a_message_to_itself_at_once() -> None:
    comm = _comm()
    event = comm.send(0, 1, 1, 1e9, reduce=True)
    assert comm.env.peek() == 0.0
    comm.env.run()
    assert event.processed and comm.reductions.busy_ns == [0.0, 0.0]
