"""NVLS all-reduce: NVLink SHARP, the reduction done inside the NVSwitch (NCCL 2.17+ on
H100-class nodes; ``src/device/all_reduce.h``, ``ncclPatternNvls``).

Each channel's share of the buffer is split among the node's GPUs ("heads", NCCL's
``nvls.nHeads``); head k owns part k. For each slice of its part, head k's CTA issues a
``multimem.ld_reduce``: the switch reads that slice from every GPU (over each GPU's port
out), adds the copies and returns the sum to head k (over its port in); head k then issues
a ``multimem.st`` of the sum (over its port out), which the switch multicasts to every GPU
(over each port in). Per GPU and direction that is the whole buffer plus one part,
``S (n+1)/n``, where a ring moves ``2 (n-1)/n x S``: NVLS's advantage on 8 GPUs is
1.75 / 1.125.

In gpusim the switch is an endpoint (``Switch(node)``). Reading the GPUs' slices is the
fabric's work, not a CTA's (``fabric=True``); the store goes through the head's channel
CTA. The switch's adders are assumed to keep up with its ports (the NVSwitch reduces at
line rate; no published figure says otherwise), so the sum leaves when the last copy has
arrived. Heads pull one slice at a time per channel; the channels' and heads' slices share
the ports. Slices are NCCL's NVLS chunks: 128 KiB, smaller for small buffers
(``src/enqueue.cc``, NVLS branch of ``computeColl``).

Its bound: the switch's one hop each way, and ``(n+1)/n x S`` through one GPU's port.
"""

from __future__ import annotations

import math

from gpusim.collectives.bounds import NetworkTerms, intra_node_hop_latency_s
from gpusim.collectives.comm import Communicator
from gpusim.collectives.placement import Slicing
from gpusim.collectives.run import CollectiveAlgorithm, CollectiveRun, RankProcess
from gpusim.hw.net.endpoints import Gpu, Switch
from gpusim.spec.system import SystemSpec

NVLS_MAX_CHUNK_BYTES = 131072
"""``maxChunkSize`` of NVLS in ``computeColl`` (src/enqueue.cc, v2.18.5)."""
NVLS_SMALLER_CHUNKS: tuple[tuple[int, int], ...] = ((64, 65536), (8, 32768), (2, 16384))
"""(factor, chunk): below factor x concurrent ops x chunk bytes the chunk shrinks to that
size (same function)."""


def nvls_chunk_bytes(size_bytes: float, concurrent_ops: int) -> int:
    """NCCL's NVLS chunk for ``size_bytes`` over ``concurrent_ops`` channel-heads."""
    chunk = NVLS_MAX_CHUNK_BYTES
    for factor, smaller in NVLS_SMALLER_CHUNKS:
        if size_bytes < factor * concurrent_ops * chunk and chunk > smaller:
            chunk = smaller
    return chunk


def nvls_allreduce(run: CollectiveRun) -> None:
    """Every channel's part k is reduced in the switch for head k and multicast back."""
    gpus = run.placement.ranks
    switch = Switch(gpus[0].node)
    heads = len(gpus)
    part_bytes = run.size_bytes / run.channels / heads
    messages_per_slice = run.channels * heads * (2 * heads + 2)
    wanted = math.ceil(part_bytes / nvls_chunk_bytes(run.size_bytes, run.channels * heads))
    count = max(1, min(wanted, run.max_messages // messages_per_slice))
    cut = Slicing(count, part_bytes / count)
    for channel in range(run.channels):
        for index, head in enumerate(gpus):
            lane = channel * heads + index
            run.start(_pull(run.comm, lane, gpus, head, switch, cut))
            run.start(_push(run.comm, lane, channel, gpus, head, switch, cut))


def _pull(
    comm: Communicator, lane: int, gpus: tuple[Gpu, ...], head: Gpu, switch: Switch, cut: Slicing
) -> RankProcess:
    """``multimem.ld_reduce``: each slice read from every GPU, summed, returned to the head."""
    for _ in range(cut.count):
        for gpu in gpus:
            comm.send(lane, gpu, switch, cut.slice_bytes, fabric=True)
        yield comm.env.all_of([comm.recv(lane, gpu, switch) for gpu in gpus])
        comm.send(lane, switch, head, cut.slice_bytes)


def _push(
    comm: Communicator,
    lane: int,
    channel: int,
    gpus: tuple[Gpu, ...],
    head: Gpu,
    switch: Switch,
    cut: Slicing,
) -> RankProcess:
    """``multimem.st``: each summed slice stored by the head's CTA, multicast to all."""
    for _ in range(cut.count):
        yield comm.recv(lane, switch, head)
        comm.send(lane, head, switch, cut.slice_bytes, cta_channel=channel)
        yield comm.recv(lane, head, switch)
        for gpu in gpus:
            comm.send(lane, switch, gpu, cut.slice_bytes)


def nvls_allreduce_terms(system: SystemSpec, size_bytes: float, ranks: int) -> NetworkTerms:
    """Up to the switch and back (two hops, each way once for the load and the store), and
    ``(n+1)/n`` of the buffer through one GPU's NVLink port."""
    nvlink = system.gpu.nvlink.bandwidth_bytes_per_s_per_direction
    return NetworkTerms(
        4 * intra_node_hop_latency_s(system, ranks), (ranks + 1) / ranks * size_bytes, nvlink
    )


NVLS_ALLREDUCE = CollectiveAlgorithm(
    "allreduce",
    "nvls",
    nvls_allreduce,
    nvls_allreduce_terms,
    topologies=frozenset({"nvswitch"}),
    needs_reducing_switch=True,
)
