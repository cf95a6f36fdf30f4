"""Ring algorithms: all-reduce, all-gather, reduce-scatter, and the pipelined chains of
broadcast and reduce, as NCCL runs them on each channel.

On a ring of n ranks the data of a channel is cut into n chunks (a large buffer in several
loops of n chunks, NCCL's ``chunkSize``, each loop running every step). At step s every
rank sends one chunk to its successor; from step 1 on, what it sends is what it received at step s-1
(reduced into its own chunk during reduce-scatter, copied during all-gather). All-reduce
is reduce-scatter then all-gather: 2(n-1) steps; each of the other two is n-1.

A step's chunk is cut into slices and each slice is forwarded as soon as it has arrived and
the successor has a free buffer slot for it (``Communicator.slot``), so slices pipeline
across hops; a rank executes its steps in program order and its link serves them in that
order. Broadcast and reduce pass slices along the ring as a chain from (to) the
root: n-1 hops, each slice forwarded on arrival.

Bounds: all-reduce crosses 2(n-1) hops and moves 2(n-1)/n of the buffer per rank; all-gather
and reduce-scatter n-1 hops and (n-1)/n of the array; broadcast and reduce n-1 hops and the
whole buffer through the root.
"""

from __future__ import annotations

from collections.abc import Callable

from gpusim.collectives.bounds import (
    BoundTerms,
    NetworkTerms,
    injection_bandwidth,
    intra_node_hop_latency_s,
)
from gpusim.collectives.comm import Communicator
from gpusim.collectives.placement import Slicing, StepSlices, protocol_slices
from gpusim.collectives.run import (
    CollectiveAlgorithm,
    CollectiveRun,
    PipelineDepth,
    RankProcess,
    RunAlgorithm,
    SliceMessages,
    SliceSteps,
)
from gpusim.hw.net.endpoints import Gpu
from gpusim.roofline import CollectiveKind
from gpusim.spec.system import ProtocolSpec, SystemSpec


def ring_allreduce(run: CollectiveRun) -> None:
    """Reduce-scatter then all-gather: 2(n-1) sends per rank, the first n-1 reduced."""
    ranks = run.rank_count
    _ring(run, sends=2 * (ranks - 1), reduced_sends=ranks - 1)


def ring_allgather(run: CollectiveRun) -> None:
    """n-1 sends per rank, each forwarding the chunk received before."""
    _ring(run, sends=run.rank_count - 1, reduced_sends=0)


def ring_reducescatter(run: CollectiveRun) -> None:
    """n-1 sends per rank, each reduced into the receiver's chunk."""
    ranks = run.rank_count
    _ring(run, sends=ranks - 1, reduced_sends=ranks - 1)


def ring_broadcast(run: CollectiveRun) -> None:
    """The root's buffer along each channel's ring, slice by slice."""
    _chain(run, reduce=False)


def ring_reduce(run: CollectiveRun) -> None:
    """Every rank adds its buffer into the slices passing by, the sum ending at the root."""
    _chain(run, reduce=True)


def _ring(run: CollectiveRun, *, sends: int, reduced_sends: int) -> None:
    ranks = run.rank_count
    cut = run.cut
    for channel in range(run.channels):
        ring = run.placement.ring(channel)
        for position, gpu in enumerate(ring):
            successor, predecessor = ring[(position + 1) % ranks], ring[position - 1]
            neighbours = (predecessor, gpu, successor)
            run.start(
                _ring_rank(
                    run.comm,
                    channel,
                    neighbours,
                    sends,
                    reduced_sends,
                    cut,
                    run.protocol.slices_per_chunk,
                )
            )


def _ring_rank(
    comm: Communicator,
    channel: int,
    neighbours: tuple[Gpu, Gpu, Gpu],
    sends: int,
    reduced_sends: int,
    cut: Slicing,
    slices_per_chunk: int,
) -> RankProcess:
    """One rank of one channel, chunk by chunk as NCCL loops (``runRing``): each chunk's
    slices go through every step before the next chunk starts; within a chunk the rank
    sends, then forwards what arrives, then takes the last step."""
    predecessor, gpu, successor = neighbours
    for first in range(0, cut.count, slices_per_chunk):
        slices = range(first, min(cut.count, first + slices_per_chunk))
        for step in range(sends):
            reduce = step < reduced_sends
            for _ in slices:
                if step:
                    yield comm.recv(channel, predecessor, gpu)
                slot = comm.slot(channel, gpu, successor)
                if slot is not None:
                    yield slot
                comm.send(channel, gpu, successor, cut.slice_bytes, reduce=reduce)
        for _ in slices:
            yield comm.recv(channel, predecessor, gpu)


def _chain(run: CollectiveRun, *, reduce: bool) -> None:
    root_gpu = run.placement.ranks[run.root]
    cut = run.cut
    for channel in range(run.channels):
        ring = run.placement.ring(channel)
        start = ring.index(root_gpu) + (1 if reduce else 0)
        chain = ring[start:] + ring[:start]
        for position in range(len(chain)):
            run.start(_chain_rank(run.comm, channel, chain, position, cut, reduce))


def _chain_rank(
    comm: Communicator,
    channel: int,
    chain: tuple[Gpu, ...],
    position: int,
    cut: Slicing,
    reduce: bool,
) -> RankProcess:
    """One link of a chain: receive each slice from upstream, pass it downstream."""
    gpu = chain[position]
    upstream = chain[position - 1] if position else None
    downstream = chain[position + 1] if position + 1 < len(chain) else None
    for _ in range(cut.count):
        if upstream is not None:
            yield comm.recv(channel, upstream, gpu)
        if downstream is not None:
            slot = comm.slot(channel, gpu, downstream)
            if slot is not None:
                yield slot
            comm.send(channel, gpu, downstream, cut.slice_bytes, reduce=reduce)


def ring_latency_s(system: SystemSpec, ranks: int, hops: int) -> float:
    """The least latency of ``hops`` consecutive hops around a ring of ``ranks`` GPUs.

    Inside a node every hop pays the node's link latency. A ring over several nodes leaves
    each node once per turn, so any ``hops`` consecutive hops include at least
    ``hops // gpus_per_node`` node crossings, each at the NIC's latency.
    """
    per_node = system.gpus_per_node
    intra_latency_s = intra_node_hop_latency_s(system, ranks)
    if ranks <= per_node:
        return hops * intra_latency_s
    crossings = hops // per_node
    return (hops - crossings) * intra_latency_s + crossings * system.nic.latency_s


def ring_bandwidth(system: SystemSpec, ranks: int) -> float:
    """The bandwidth per rank (bytes/s per direction) of rings over ``ranks`` GPUs, at best.

    One GPU's injection bandwidth, and across nodes no more than the node's NICs carry
    together: every ring leaves a node once, so a node's NICs carry a rank's whole share.
    """
    bandwidth = injection_bandwidth(system, ranks)
    if ranks > system.gpus_per_node:
        node_nics = system.gpus_per_node * system.nic.bandwidth_bytes_per_s_per_direction
        bandwidth = min(bandwidth, node_nics)
    return bandwidth


def _ring_terms(hops_of: Callable[[int], int], *, chain: bool) -> BoundTerms:
    """The terms of ``hops_of(n)`` consecutive ring hops: each rank moves that many n-ths of
    the size, or, along a ``chain`` from (to) the root, the whole size."""

    def terms(system: SystemSpec, size_bytes: float, ranks: int) -> NetworkTerms:
        hops = hops_of(ranks)
        bytes_per_rank = float(size_bytes) if chain else hops / ranks * size_bytes
        return NetworkTerms(
            ring_latency_s(system, ranks, hops), bytes_per_rank, ring_bandwidth(system, ranks)
        )

    return terms


def _ring_slice_messages(hops_of: Callable[[int], int], *, chain: bool) -> SliceMessages:
    """Per slice of every channel: every rank sends one message per hop on a ring, and the
    one slice in flight on a ``chain`` crosses each hop once."""

    def slice_messages(ranks: int, channels: int) -> int:
        senders = 1 if chain else ranks
        return channels * senders * hops_of(ranks)

    return slice_messages


def _ring_step_slices(*, chain: bool) -> SliceSteps:
    """A ring step moves one n-th of a channel's share, a ``chain`` the whole share; the
    protocol cuts it into slices."""

    def step_slices(
        size_bytes: float, ranks: int, channels: int, protocol: ProtocolSpec
    ) -> StepSlices:
        step_bytes = size_bytes / channels if chain else size_bytes / channels / ranks
        return protocol_slices(step_bytes, protocol)

    return step_slices


def _ring_pipeline_depth(*, chain: bool) -> PipelineDepth:
    """A ``chain`` passes each slice along n-1 hops one after another and holds no other
    data, so its n-1 links are all busy only with n-1 slices in flight. A ring's slice
    crosses as many steps, but every rank sends its own chunk from the first step on, so the
    ranks' chunks keep every link of the channel busy with a single slice each (one slice
    per channel against 64 moves a 16-rank 1 GiB Simple ring all-reduce by 1.2%)."""

    def pipeline_depth(ranks: int) -> int:
        return ranks - 1 if chain else 1

    return pipeline_depth


def _ring_algorithm(
    collective: CollectiveKind,
    run: RunAlgorithm,
    hops_of: Callable[[int], int],
    *,
    chain: bool,
) -> CollectiveAlgorithm:
    """The ring algorithm of ``collective``, crossing ``hops_of(n)`` hops over n ranks."""
    return CollectiveAlgorithm(
        collective,
        "ring",
        run,
        _ring_terms(hops_of, chain=chain),
        _ring_slice_messages(hops_of, chain=chain),
        _ring_step_slices(chain=chain),
        _ring_pipeline_depth(chain=chain),
    )


RING_ALLREDUCE = _ring_algorithm("allreduce", ring_allreduce, lambda n: 2 * (n - 1), chain=False)
RING_ALLGATHER = _ring_algorithm("allgather", ring_allgather, lambda n: n - 1, chain=False)
RING_REDUCESCATTER = _ring_algorithm(
    "reducescatter", ring_reducescatter, lambda n: n - 1, chain=False
)
RING_BROADCAST = _ring_algorithm("broadcast", ring_broadcast, lambda n: n - 1, chain=True)
RING_REDUCE = _ring_algorithm("reduce", ring_reduce, lambda n: n - 1, chain=True)
