"""The alpha-beta terms of a collective's lower bound, and the network peaks they draw on.

Each algorithm states its own terms (``CollectiveAlgorithm.terms``): the latency of its
critical chain of hops and the bytes its busiest rank must move, at the bandwidth the
system leaves it. The peaks here are what every algorithm's terms are built from: the
slowest hop a collective of ``ranks`` GPUs must cross, and what one GPU can inject. They
use datasheet rates (``link_efficiency`` is not applied), so a bound is never above what
the hardware allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gpusim.spec.system import SystemSpec


@dataclass(frozen=True)
class NetworkTerms:
    """The alpha-beta terms of a collective: latency of its critical chain of hops, and the
    bytes its busiest rank must move through the bandwidth available to it."""

    latency_s: float
    bytes_per_rank: float
    bandwidth_bytes_per_s: float

    @property
    def time_s(self) -> float:
        """Latency plus transfer time: no implementation on the spec is faster."""
        return self.latency_s + self.bytes_per_rank / self.bandwidth_bytes_per_s


BoundTerms = Callable[[SystemSpec, float, int], NetworkTerms]
"""An algorithm's terms on a system, for nccl-tests' size (bytes) over a number of ranks."""


def slowest_hop(system: SystemSpec, ranks: int) -> tuple[float, float]:
    """(latency s, bandwidth bytes/s per direction) of the slowest hop between ``ranks``
    GPUs: the node's links, and the NIC once the collective leaves the node."""
    gpu = system.gpu
    if system.topology == "pcie_tree":
        latency_s, bandwidth = gpu.pcie.latency_s, gpu.pcie.bandwidth_bytes_per_s_per_direction
    else:
        latency_s = gpu.nvlink.latency_s
        bandwidth = gpu.nvlink.bandwidth_bytes_per_s_per_direction
    if ranks > system.gpus_per_node:
        latency_s = max(latency_s, system.nic.latency_s)
        bandwidth = min(bandwidth, system.nic.bandwidth_bytes_per_s_per_direction)
    return latency_s, bandwidth


def intra_node_hop_latency_s(system: SystemSpec, ranks: int) -> float:
    """The latency of one hop between two of ``ranks`` GPUs inside a node."""
    return slowest_hop(system, min(ranks, system.gpus_per_node))[0]


def injection_bandwidth(system: SystemSpec, ranks: int) -> float:
    """What one GPU can send at once (bytes/s): its links in the node, plus its NIC when the
    collective spans nodes."""
    intra_bandwidth = slowest_hop(system, min(ranks, system.gpus_per_node))[1]
    if ranks > system.gpus_per_node:
        return intra_bandwidth + system.nic.bandwidth_bytes_per_s_per_direction
    return intra_bandwidth
