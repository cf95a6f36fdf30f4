"""The communicator: ordered messages, one event each, protocol costs, reduction on arrival."""

from __future__ import annotations

import pytest
import simpy

from gpusim.collectives.comm import Communicator
from gpusim.collectives.reduction import MemoryBoundReduction, ReductionUnits
from gpusim.hw.net.endpoints import Endpoint, Gpu, Switch
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


A, B, SWITCH = Gpu(0, 0), Gpu(0, 1), Switch(0)


def _comm(protocol: ProtocolSpec = PLAIN, reduce_bytes_per_ns: float = 3.0) -> Communicator:
    """Two GPUs and a switch, each endpoint with one link out."""
    env = simpy.Environment()
    links = {
        f"{end.name}.out": Link(f"{end.name}.out", GB_PER_S, LINK_LATENCY_NS)
        for end in (A, B, SWITCH)
    }

    def router(src: Endpoint, dst: Endpoint) -> Route:
        return Route((links[f"{src.name}.out"],), "nvlink")

    network = Network(links, router)
    reductions = ReductionUnits(MemoryBoundReduction(reduce_bytes_per_ns))
    return Communicator(env, network, protocol, reductions)


def _received(comm: Communicator, count: int, *, wait_first_ns: float = 0.0) -> list[float]:
    """B receives ``count`` messages from A (after ``wait_first_ns``); their times."""
    times: list[float] = []

    def receiver() -> simpy.events.ProcessGenerator:
        yield comm.env.timeout(wait_first_ns)
        for _ in range(count):
            yield comm.recv(0, A, B)
            times.append(comm.env.now)

    comm.env.process(receiver())
    return times


@pytest.mark.parametrize("wait_first_ns", [0.0, 10_000.0])
def test_messages_arrive_in_order_whichever_side_comes_first(wait_first_ns: float) -> None:
    comm = _comm()
    times = _received(comm, 2, wait_first_ns=wait_first_ns)
    comm.send(0, A, B, 1000.0)
    comm.send(0, A, B, 1000.0)
    comm.env.run()
    expected = [1000.0 + LINK_LATENCY_NS, 2000.0 + LINK_LATENCY_NS]
    assert times == [max(t, wait_first_ns) for t in expected]
    assert comm.messages == 2


def test_one_message_is_one_event_shared_by_sender_and_receiver() -> None:
    comm = _comm()
    asked_first = comm.recv(0, A, B)
    assert comm.send(0, A, B, 1000.0) is asked_first
    sent_first = comm.send(0, A, B, 1000.0)
    assert comm.recv(0, A, B) is sent_first
    comm.env.run()
    assert comm.env.now == 2000.0 + LINK_LATENCY_NS


def test_the_protocol_adds_wire_bytes_and_its_hop_latency_beyond_the_links() -> None:
    protocol = PLAIN.model_copy(update={"efficiency": 0.5, "nvlink_hop_latency_s": 2e-6})
    comm = _comm(protocol)
    times = _received(comm, 1)
    comm.send(0, A, B, 1000.0)
    comm.env.run()
    assert times == [2000.0 + LINK_LATENCY_NS + (2000.0 - LINK_LATENCY_NS)]
    assert comm.network.links["node0.gpu0.out"].carried_bytes == 2000.0


def test_a_reduced_message_counts_as_received_once_reduced() -> None:
    comm = _comm(reduce_bytes_per_ns=3.0)  # 3 bytes of DRAM traffic per byte reduced: 1 ns/B
    times = _received(comm, 2)
    comm.send(0, A, B, 1000.0, reduce=True)
    comm.send(0, A, B, 100.0, reduce=True)
    comm.env.run()
    first = 1000.0 + LINK_LATENCY_NS + 1000.0
    # The second arrives during the first's reduction and queues behind it.
    assert times == [first, first + 100.0]
    assert comm.reductions.busy_ns == {B: 1100.0}


def test_a_gpu_hands_a_message_to_itself_at_once() -> None:
    comm = _comm()
    event = comm.send(0, B, B, 1e9, reduce=True)
    assert comm.env.peek() == 0.0
    comm.env.run()
    assert event.processed and comm.reductions.busy_ns == {}


def test_a_switch_is_an_endpoint_that_receives_and_multicasts() -> None:
    """A sends to the switch; the switch forwards to both GPUs once the message is there."""
    comm = _comm()
    times: dict[str, float] = {}

    def switch() -> simpy.events.ProcessGenerator:
        yield comm.recv(0, A, SWITCH)
        times["switch"] = comm.env.now
        arrivals = [comm.send(0, SWITCH, gpu, 1000.0) for gpu in (A, B)]
        yield comm.env.all_of(arrivals)
        times["gpus"] = comm.env.now

    comm.env.process(switch())
    comm.send(0, A, SWITCH, 1000.0)
    comm.env.run()
    # The switch's one link out carries both copies, one after the other.
    hop_ns = 1000.0 + LINK_LATENCY_NS
    assert times == {"switch": hop_ns, "gpus": hop_ns + 2000.0 + LINK_LATENCY_NS}


def test_a_switch_does_not_reduce_without_a_model_of_its_own() -> None:
    comm = _comm()
    with pytest.raises(ValueError, match=r"^dst: node0\.nvswitch cannot reduce"):
        comm.send(0, A, SWITCH, 1000.0, reduce=True)
