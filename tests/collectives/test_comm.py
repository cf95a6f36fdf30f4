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
    line_payload_fraction=1.0,
    slice_steps=1,
    slices_per_chunk=1,
)
UNLIMITED_CTA = 1e12  # bytes per ns: the CTA never binds


A, B, SWITCH = Gpu(0, 0), Gpu(0, 1), Switch(0)


def _comm(
    protocol: ProtocolSpec = PLAIN,
    reduce_bytes_per_ns: float = 3.0,
    *,
    cta_bytes_per_ns: float = UNLIMITED_CTA,
    window: int = 0,
) -> Communicator:
    """Two GPUs and a switch, each endpoint with one link out (``window`` 0: no slots)."""
    env = simpy.Environment()
    links = {
        f"{end.name}.out": Link(f"{end.name}.out", GB_PER_S, LINK_LATENCY_NS)
        for end in (A, B, SWITCH)
    }

    def router(src: Endpoint, dst: Endpoint) -> Route:
        return Route((links[f"{src.name}.out"],), "nvlink")

    network = Network(links, router)
    reductions = ReductionUnits(MemoryBoundReduction(reduce_bytes_per_ns))
    return Communicator(
        env,
        network,
        protocol,
        reductions,
        channel_payload_bytes_per_ns=cta_bytes_per_ns,
        window=window,
    )


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


def test_a_channel_sends_no_faster_than_its_cta() -> None:
    """A CTA at half the link's rate: 1 MB takes 2 ms to leave, then the link's latency."""
    comm = _comm(cta_bytes_per_ns=GB_PER_S / 2)
    times = _received(comm, 1)
    comm.send(0, A, B, 1e6)
    comm.env.run()
    assert times == [pytest.approx(2e6 + LINK_LATENCY_NS)]


def test_two_channels_have_two_ctas() -> None:
    """Two channels at half the link's rate finish sooner than one channel sending both
    (4 ms): the second CTA pushes while the first does."""
    comm = _comm(cta_bytes_per_ns=GB_PER_S / 2)
    arrivals = [comm.send(channel, A, B, 1e6) for channel in (0, 1)]
    comm.env.run()
    assert max(event.value for event in arrivals) < 4e6


def test_a_sender_waits_for_a_free_slot() -> None:
    """One slot: the second message leaves only when the first was taken (the receiver asks
    at 10 ms) and the credit came back (one link latency)."""
    comm = _comm(window=1)
    late_ns = 1e7
    times = _received(comm, 2, wait_first_ns=late_ns)
    sent: list[float] = []

    def sender() -> simpy.events.ProcessGenerator:
        for _ in range(2):
            slot = comm.slot(0, A, B)
            if slot is not None:
                yield slot
            sent.append(comm.env.now)
            comm.send(0, A, B, 1e3)

    comm.env.process(sender())
    comm.env.run()
    assert sent == [0.0, pytest.approx(late_ns + LINK_LATENCY_NS)]
    assert times[1] == pytest.approx(late_ns + 2 * LINK_LATENCY_NS + 1e3)


def test_sending_past_the_window_without_a_slot_is_a_bug() -> None:
    comm = _comm(window=1)
    comm.send(0, A, B, 1e3)
    with pytest.raises(RuntimeError, match="without a slot"):
        comm.send(0, A, B, 1e3)
