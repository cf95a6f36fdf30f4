"""Where a collective runs: which GPUs take part, the ring of each channel, the tree order,
and how a channel's data is cut into pipelined slices.

Ranks fill nodes in order (the first ``ranks`` GPUs); a collective that leaves one node
takes whole nodes. Channel ``c`` follows the topology's ring order ``c`` (cycling through
them: on the DGX-1 mesh, the six directed NVLink rings) inside every node, then crosses to
the next node. Across nodes each channel starts its tour of a node one GPU further on, so
channels leave each node through different GPUs' NICs, as NCCL spreads its rings over the
NICs; with as many channels as GPUs per node every NIC carries one channel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpusim.errors import CollectiveError
from gpusim.hw.net.endpoints import Gpu
from gpusim.hw.net.topology import intra_node_rings
from gpusim.spec.system import ProtocolSpec, SystemSpec


@dataclass(frozen=True)
class Placement:
    """The GPUs of a collective in rank order, and each channel's ring.

    Rank order is node by node, each node in its first ring order, so that neighbouring
    ranks are linked (trees are built over it; rank ``i`` is ``ranks[i]``).
    """

    ranks: tuple[Gpu, ...]
    rings: tuple[tuple[Gpu, ...], ...]

    def ring(self, channel: int) -> tuple[Gpu, ...]:
        """The cyclic order of GPUs that channel ``channel`` follows."""
        return self.rings[channel]


def rank_count(system: SystemSpec, ranks: int | None) -> int:
    """The ranks a collective runs on (all GPUs when ``None``), checked against ``system``."""
    count = system.gpu_count if ranks is None else ranks
    per_node = system.gpus_per_node
    if count < 2:
        raise CollectiveError(f"ranks: must be >= 2, got {count}")
    if count > system.gpu_count:
        raise CollectiveError(f"ranks: {system.name} has {system.gpu_count} GPUs, got {count}")
    if count > per_node and count % per_node:
        raise CollectiveError(
            f"ranks: a collective across nodes takes whole nodes (a multiple of {per_node}), "
            f"got {count}"
        )
    return count


def place(system: SystemSpec, ranks: int, channels: int) -> Placement:
    """The placement of ``ranks`` ranks (checked by ``rank_count``) with ``channels`` rings."""
    per_node = system.gpus_per_node
    nodes = max(1, ranks // per_node)
    local = tuple(range(min(ranks, per_node)))
    orders = intra_node_rings(system, local)
    rings = []
    for channel in range(channels):
        order = orders[channel % len(orders)]
        if nodes > 1:
            turn = channel % len(order)
            order = order[turn:] + order[:turn]
        rings.append(tuple(Gpu(node, gpu) for node in range(nodes) for gpu in order))
    in_rank_order = tuple(Gpu(node, gpu) for node in range(nodes) for gpu in orders[0])
    return Placement(ranks=in_rank_order, rings=tuple(rings))


@dataclass(frozen=True)
class Slicing:
    """A step's data on one channel, cut into ``count`` slices of ``slice_bytes``."""

    count: int
    slice_bytes: float


@dataclass(frozen=True)
class StepSlices:
    """The data one channel pipelines (``step_bytes``) and the slices NCCL cuts it into."""

    step_bytes: float
    wanted: int

    def capped(self, messages_per_slice: int, max_messages: int) -> Slicing:
        """``wanted`` slices, but fewer and larger ones where a collective sending
        ``messages_per_slice`` messages per slice would exceed ``max_messages``; at least
        one (``CollectiveAlgorithm.check_budget`` refuses a collective whose one slice is
        already over, or whose cap leaves its pipeline short)."""
        count = max(1, min(self.wanted, max_messages // messages_per_slice))
        return Slicing(count, self.step_bytes / count)


def protocol_slices(step_bytes: float, protocol: ProtocolSpec) -> StepSlices:
    """Slices of at most ``protocol.slice_bytes``, at least ``protocol.slices_per_chunk`` of
    them (NCCL cuts a Simple chunk into two slices however small it is)."""
    wanted = max(protocol.slices_per_chunk, math.ceil(step_bytes / protocol.slice_bytes))
    return StepSlices(step_bytes, wanted)
