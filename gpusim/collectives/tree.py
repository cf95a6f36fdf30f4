"""Double-binary-tree all-reduce (Sanders, Speck and Träff 2009; NCCL 2.4's trees).

Two binary trees span the ranks such that the inner ranks of one are the leaves of the
other, so every rank sends and receives about as much as in the other tree and both trees'
halves of the data move at once. Tree 0 is the in-order tree of the ranks by their lowest
set bit (rank 0 at the top, with one child); tree 1 is tree 0 with the ranks mirrored
(``r -> n-1-r``) for an even count and shifted by one for an odd count. Channel ``c`` runs
tree ``c mod 2`` on its share of the buffer.

On each tree the data is reduced up to the root, slice by slice, and broadcast back down;
the two directions run at once (NCCL gives them separate warps), so slice k can go down
while slice k+1 goes up. A latency of 2 ceil(log2 n) hops instead of the ring's 2(n-1) wins
at small sizes; the trees' uneven loads and their inner ranks' extra traffic lose at large.
Its bound: up and down 2 ceil(log2 n) levels of hops, and still at least 2(n-1)/n of the
buffer per rank (any all-reduce moves that much, nccl-tests' busbw argument), at one GPU's
injection bandwidth.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from gpusim.collectives.bounds import NetworkTerms, injection_bandwidth, intra_node_hop_latency_s
from gpusim.collectives.comm import Communicator
from gpusim.collectives.placement import Slicing, StepSlices, protocol_slices
from gpusim.collectives.run import CollectiveAlgorithm, CollectiveRun, RankProcess
from gpusim.hw.net.endpoints import Gpu
from gpusim.spec.system import ProtocolSpec, SystemSpec


def binary_tree_parents(ranks: int) -> list[int | None]:
    """Parent of each rank in the in-order binary tree of ``ranks`` (rank 0: ``None``).

    Rank r with lowest set bit b hangs below r - b or r + b, whichever has 2b as its lowest
    set bit; when r + b is past the end, below r - b.
    """
    parents: list[int | None] = [None]
    for rank in range(1, ranks):
        low_bit = rank & -rank
        above = rank - low_bit if rank & (2 * low_bit) else rank + low_bit
        parents.append(above if above < ranks else rank - low_bit)
    return parents


def double_binary_tree(ranks: int) -> tuple[list[int | None], list[int | None]]:
    """The parents of each rank in the two complementary trees."""
    first = binary_tree_parents(ranks)
    if ranks % 2 == 0:
        relabel = [ranks - 1 - rank for rank in range(ranks)]
    else:
        relabel = [(rank + 1) % ranks for rank in range(ranks)]
    second: list[int | None] = [None] * ranks
    for rank, parent in enumerate(first):
        second[relabel[rank]] = None if parent is None else relabel[parent]
    return first, second


def children_of(parents: Sequence[int | None]) -> list[list[int]]:
    """The children of each rank, in rank order."""
    children: list[list[int]] = [[] for _ in parents]
    for rank, parent in enumerate(parents):
        if parent is not None:
            children[parent].append(rank)
    return children


def tree_allreduce(run: CollectiveRun) -> None:
    """Reduce up and broadcast down each channel's tree, both pipelined by slices."""
    trees = double_binary_tree(run.rank_count)
    gpus = run.placement.ranks
    cut = run.cut
    for channel in range(run.channels):
        parents = trees[channel % 2]
        children = children_of(parents)
        for rank, parent in enumerate(parents):
            gpu = gpus[rank]
            above = gpu if parent is None else gpus[parent]
            below = [gpus[child] for child in children[rank]]
            run.start(_reduce_up(run.comm, channel, gpu, above, below, cut))
            run.start(_broadcast_down(run.comm, channel, gpu, above, below, cut))


def _reduce_up(
    comm: Communicator, channel: int, gpu: Gpu, above: Gpu, below: list[Gpu], cut: Slicing
) -> RankProcess:
    """Sum the children's slices into this rank's and pass them up (the root: to itself)."""
    for _ in range(cut.count):
        for child in below:
            yield comm.recv(channel, child, gpu)
        slot = comm.slot(channel, gpu, above)
        if slot is not None:
            yield slot
        comm.send(channel, gpu, above, cut.slice_bytes, reduce=above != gpu)


def _broadcast_down(
    comm: Communicator, channel: int, gpu: Gpu, above: Gpu, below: list[Gpu], cut: Slicing
) -> RankProcess:
    """Take each finished slice from above (the root: from itself) and pass it down."""
    for _ in range(cut.count):
        yield comm.recv(channel, above, gpu)
        for child in below:
            slot = comm.slot(channel, gpu, child)
            if slot is not None:
                yield slot
            comm.send(channel, gpu, child, cut.slice_bytes)


def tree_slice_messages(ranks: int, channels: int) -> int:
    """Each slice goes up and down every edge of a channel's tree, and the root hands it to
    itself: 2n - 1 messages per channel."""
    return channels * (2 * ranks - 1)


def tree_step_slices(
    size_bytes: float, ranks: int, channels: int, protocol: ProtocolSpec
) -> StepSlices:
    """Each channel pipelines its share of the buffer, cut by the protocol."""
    return protocol_slices(size_bytes / channels, protocol)


def tree_height(parents: Sequence[int | None]) -> int:
    """Edges from the deepest rank up to the root."""
    levels: dict[int, int] = {}
    for rank in range(len(parents)):
        path = []
        above: int | None = rank
        while above is not None and above not in levels:
            path.append(above)
            above = parents[above]
        level = -1 if above is None else levels[above]
        for walked in reversed(path):
            level += 1
            levels[walked] = level
    return max(levels.values())


def tree_pipeline_depth(ranks: int) -> int:
    """A slice crosses every level of its tree once going up (a rank forwards it when all
    its children's have arrived) and once coming down, one hop after another: twice the
    height of the taller of the two trees (the root's hand-off to itself is no hop)."""
    return 2 * max(tree_height(parents) for parents in double_binary_tree(ranks))


def tree_allreduce_terms(system: SystemSpec, size_bytes: float, ranks: int) -> NetworkTerms:
    """Up and down the trees' levels; the busbw bytes through one GPU's injection bandwidth."""
    levels = 2 * math.ceil(math.log2(ranks))
    bytes_per_rank = 2 * (ranks - 1) / ranks * size_bytes
    return NetworkTerms(
        levels * intra_node_hop_latency_s(system, ranks),
        bytes_per_rank,
        injection_bandwidth(system, ranks),
    )


TREE_ALLREDUCE = CollectiveAlgorithm(
    "allreduce",
    "tree",
    tree_allreduce,
    tree_allreduce_terms,
    tree_slice_messages,
    tree_step_slices,
    tree_pipeline_depth,
)
