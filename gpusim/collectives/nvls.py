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
CTA. The switch's adders keep up with its ports, but its multimem traffic moves at
``nvswitch_reduce_efficiency`` of a port's payload rate (NCCL's ``nvlsEfficiency``, 0.85 on
Hopper: src/graph/tuning.cc from v2.19, src/tuning/nvls.cc later; no finer published
figure), so every multimem transfer puts ``1 / efficiency`` of its payload on the port.

The heads of one channel are symmetric (each its own ports and CTA), so a channel's heads
advance slice by slice together: one process reads slice k of every head's part from every
GPU (one message per GPU carrying the heads' parts) and returns each head its sum; another
stores the sums and multicasts them (one message per GPU carrying every head's sum). The
read of slice k+1 overlaps the store of slice k. Slices are NCCL's NVLS chunks: 128 KiB,
smaller for small buffers (``src/enqueue.cc``, NVLS branch of ``computeColl``).

Around the switch, NCCL's NVLS kernel (``src/device/all_reduce.h``, NVLS Simple: scatter and
gather warps beside the reduce warps, no user-buffer registration) copies each slice of every
head's part from the GPU's buffer into its NVLS buffer before the switch reads it, and each
multicast slice from the NVLS buffer into the output once it has landed: HBM to HBM, 2 S per
GPU, booked on the GPU's reduction schedule (its ``copy_ns``).

Its bound: the switch's one hop each way, and ``(n+1)/n x S`` through one GPU's port at its
datasheet rate.
"""

from __future__ import annotations

import math

from gpusim.collectives.bounds import NetworkTerms, intra_node_hop_latency_s
from gpusim.collectives.comm import Communicator
from gpusim.collectives.placement import Slicing, StepSlices
from gpusim.collectives.run import CollectiveAlgorithm, CollectiveRun, RankProcess
from gpusim.hw.net.endpoints import Gpu, Switch
from gpusim.spec.system import ProtocolSpec, SystemSpec

NVLS_MAX_CHUNK_BYTES = 131072
"""``maxChunkSize`` of NVLS in ``computeColl`` (src/enqueue.cc, v2.18.5)."""
NVLS_SMALLER_CHUNKS: tuple[tuple[int, int], ...] = ((64, 65536), (8, 32768), (2, 16384))
"""(factor, chunk): below factor x concurrent ops x chunk bytes the chunk shrinks to that
size (same function)."""
MESSAGES_PER_HEAD_SLICE = 4
"""Per slice of one channel and head: the read from one GPU, the sum to the head, the
head's store and the multicast to one GPU."""
SLICE_STAGES = 6
"""What a slice goes through, one after another: the scatter copy, the read into the
switch, the sum back to the head, the head's store, the multicast, the gather copy."""


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
    cut = run.cut
    lanes = _Lanes(run.comm, gpus, Switch(gpus[0].node), 1.0 / run.nvswitch_reduce_efficiency)
    for channel in range(run.channels):
        run.start(lanes.read_and_reduce(channel, cut))
        run.start(lanes.store_and_multicast(channel, cut))
        run.start(lanes.gather(channel, cut))


class _Lanes:
    """The two halves of every channel's NVLS loop over one node's GPUs and switch.

    Each channel uses two edge keys: ``2c`` for the reads and sums, ``2c + 1`` for the
    stores, so the two processes' messages between a GPU and the switch never mix.
    """

    def __init__(
        self, comm: Communicator, gpus: tuple[Gpu, ...], switch: Switch, wire_per_payload: float
    ) -> None:
        self.comm = comm
        self.gpus = gpus
        self.switch = switch
        self.wire_per_payload = wire_per_payload

    def read_and_reduce(self, channel: int, cut: Slicing) -> RankProcess:
        """``multimem.ld_reduce``: slice k of every head's part read from every GPU, summed
        in the switch, each sum returned to its head."""
        comm, switch, lane = self.comm, self.switch, 2 * channel
        slice_wire = cut.slice_bytes * self.wire_per_payload
        for _ in range(cut.count):
            yield from self._copy_every_head(cut.slice_bytes)  # the scatter warps
            for gpu in self.gpus:
                comm.send(lane, gpu, switch, slice_wire * len(self.gpus), fabric=True)
            yield comm.env.all_of([comm.recv(lane, gpu, switch) for gpu in self.gpus])
            for head in self.gpus:
                comm.send(lane, switch, head, slice_wire)

    def store_and_multicast(self, channel: int, cut: Slicing) -> RankProcess:
        """``multimem.st``: each head's CTA stores its sum, the switch multicasts every sum
        to every GPU."""
        comm, switch, lane = self.comm, self.switch, 2 * channel
        slice_wire = cut.slice_bytes * self.wire_per_payload
        for _ in range(cut.count):
            yield comm.env.all_of([comm.recv(lane, switch, head) for head in self.gpus])
            for head in self.gpus:
                comm.send(lane + 1, head, switch, slice_wire, cta_channel=channel)
            yield comm.env.all_of([comm.recv(lane + 1, head, switch) for head in self.gpus])
            for gpu in self.gpus:
                comm.send(lane + 1, switch, gpu, slice_wire * len(self.gpus))

    def gather(self, channel: int, cut: Slicing) -> RankProcess:
        """The gather warps: each multicast slice of every head's sum, copied from the NVLS
        buffer into the GPU's output buffer once it has landed."""
        comm, switch, lane = self.comm, self.switch, 2 * channel + 1
        for _ in range(cut.count):
            yield comm.env.all_of([comm.recv(lane, switch, gpu) for gpu in self.gpus])
            yield from self._copy_every_head(cut.slice_bytes)

    def _copy_every_head(self, slice_bytes: float) -> RankProcess:
        """Every GPU copies one slice of every head's part between its user buffer and its
        NVLS buffer (HBM to HBM, on the GPU's reduction schedule); done when all have."""
        now_ns = self.comm.env.now
        units = self.comm.reductions
        size_bytes = slice_bytes * len(self.gpus)
        done_ns = max(units.copy(gpu, size_bytes, now_ns, now_ns) for gpu in self.gpus)
        yield self.comm.env.timeout(done_ns - now_ns)


def nvls_step_slices(
    size_bytes: float, ranks: int, channels: int, protocol: ProtocolSpec
) -> StepSlices:
    """Every GPU is a head: a channel pipelines each head's part in NCCL's NVLS chunks (the
    protocol's own slices do not apply)."""
    part_bytes = size_bytes / channels / ranks
    chunk_bytes = nvls_chunk_bytes(size_bytes, channels * ranks)
    return StepSlices(part_bytes, math.ceil(part_bytes / chunk_bytes))


def nvls_pipeline_depth(ranks: int) -> int:
    """``SLICE_STAGES``, however many GPUs: every head's slice passes them at once."""
    return SLICE_STAGES


def nvls_slice_messages(ranks: int, channels: int) -> int:
    """Every GPU is a head: ``MESSAGES_PER_HEAD_SLICE`` per head and channel."""
    return channels * ranks * MESSAGES_PER_HEAD_SLICE


def nvls_allreduce_terms(system: SystemSpec, size_bytes: float, ranks: int) -> NetworkTerms:
    """Two GPU-to-GPU hops through the switch (the load-reduce's way there and back, then
    the store's and the multicast's; the switch's ports add no latency of their own), and
    ``(n+1)/n`` of the buffer through one GPU's NVLink port at its datasheet rate."""
    nvlink = system.gpu.nvlink.bandwidth_bytes_per_s_per_direction
    return NetworkTerms(
        2 * intra_node_hop_latency_s(system, ranks), (ranks + 1) / ranks * size_bytes, nvlink
    )


NVLS_ALLREDUCE = CollectiveAlgorithm(
    "allreduce",
    "nvls",
    nvls_allreduce,
    nvls_allreduce_terms,
    nvls_slice_messages,
    nvls_step_slices,
    nvls_pipeline_depth,
    topologies=frozenset({"nvswitch"}),
    needs_reducing_switch=True,
)
